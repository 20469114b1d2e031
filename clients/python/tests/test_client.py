"""The synchronous client against a real `tally serve` (started here on a free port with a
temporary data directory and the built-in config/default.toml; stopped at the end).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import itertools
import os
import shutil
import tempfile
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import ServerTestCase, TallyServer

UTC = datetime.timezone.utc
_ids = itertools.count(1)


def aware(t: datetime.datetime) -> bool:
    return t.tzinfo is not None and t.utcoffset() == datetime.timedelta(0)


class SyncClientTest(ServerTestCase):
    def new_account(self, plan=None) -> str:
        account = f"py-{self._testMethodName[5:20]}-{next(_ids)}"
        self.client.open_account(account, plan=plan)
        return account

    def test_open_and_read_an_account(self):
        account = f"py-open-{next(_ids)}"
        opened = self.client.open_account(account)
        self.assertIsInstance(opened, tc.Account)
        self.assertEqual(opened.id, account)
        self.assertEqual(opened.plan, "free")
        self.assertIsInstance(opened.balance.available, Decimal)
        self.assertEqual(opened.balance.available, sum(lot.remaining for lot in opened.lots))
        self.assertEqual(opened.balance.available_micro, int(opened.balance.available * 1_000_000))
        self.assertTrue(aware(opened.subscription.period_end))
        self.assertTrue(all(isinstance(lot.id, str) and lot.id.isdigit() for lot in opened.lots))
        read = self.client.get_account(account)
        self.assertEqual(read.balance, opened.balance)
        balance = self.client.get_balance(account)
        self.assertEqual(balance.available, opened.balance.available)
        self.assertTrue(aware(balance.as_of))
        with self.assertRaises(tc.AccountExists):
            self.client.open_account(account)
        none = self.client.open_account(f"py-noplan-{next(_ids)}", no_plan=True)
        self.assertIsNone(none.plan)
        self.assertIsNone(none.subscription)

    def test_quote_hold_capture_refund(self):
        account = self.new_account()
        quote = self.client.quote("video", {"resolution": "720p", "seconds": 4}, account=account)
        self.assertEqual(quote.total, Decimal("20"))
        self.assertEqual(quote.total_micro, 20_000_000)
        self.assertTrue(quote.breakdown)
        self.assertEqual(quote.breakdown[-1].subtotal, Decimal("20"))
        self.assertIn("total", quote.format_breakdown())

        hold = self.client.create_hold(account, tool="video", params={"resolution": "720p", "seconds": 4})
        self.assertIsInstance(hold, tc.Hold)
        self.assertEqual((hold.state, hold.amount, hold.account), ("active", Decimal("20"), account))
        self.assertTrue(aware(hold.expires_at))
        self.assertEqual(sum(p.amount for p in hold.portions), Decimal("20"))
        self.assertEqual(hold.quote.total, Decimal("20"))
        self.assertEqual(self.client.get_account(account).open_holds, 1)

        captured = self.client.capture(hold.id, usage={"seconds": 3})
        self.assertEqual((captured.captured, captured.released), (Decimal("15"), Decimal("5")))
        self.assertEqual(captured.hold, hold.id)
        self.assertEqual(self.client.get_hold(hold.id).state, "captured")
        with self.assertRaises(tc.HoldNotActive):
            self.client.release(hold.id)

        spend = self.client.get_spend(captured.spend)
        self.assertEqual((spend.amount, spend.tool), (Decimal("15"), "video"))
        refund = self.client.refund(captured.spend, "one second was black", amount=Decimal("5"))
        self.assertEqual((refund.refunded, refund.refunded_total), (Decimal("5"), Decimal("5")))
        self.assertEqual(refund.restored.to_lots + refund.restored.to_refund_lots, Decimal("5"))
        with self.assertRaises(tc.RefundExceedsSpend):
            self.client.refund(captured.spend, "too much", amount=100)

    def test_release_returns_the_credits(self):
        account = self.new_account()
        before = self.client.get_account(account).balance.available
        hold = self.client.create_hold(account, amount="2.5", tool="image", ttl_s=60)
        self.assertEqual(self.client.get_account(account).balance.available, before - Decimal("2.5"))
        released = self.client.release(hold.id, reason="the GPU fell over")
        self.assertEqual((released.state, released.released), ("released", Decimal("2.5")))
        self.assertEqual(self.client.get_account(account).balance.available, before)

    def test_a_repeated_key_gets_the_first_answer_and_another_request_conflicts(self):
        account = self.new_account()
        first = self.client.create_hold(account, amount=3, idempotency_key=f"{account}-job")
        again = self.client.create_hold(account, amount=3, idempotency_key=f"{account}-job")
        self.assertEqual(first.id, again.id)
        self.assertEqual(self.client.get_account(account).open_holds, 1)
        with self.assertRaises(tc.IdempotencyConflict) as e:
            self.client.create_hold(account, amount=4, idempotency_key=f"{account}-job")
        self.assertEqual(e.exception.status, 409)
        self.assertEqual(e.exception.request.idempotency_key, f"{account}-job")

    def test_insufficient_credits_has_the_shortfall(self):
        account = self.new_account()
        available = self.client.get_account(account).balance.available
        with self.assertRaises(tc.InsufficientCredits) as e:
            self.client.create_spend(account, amount=available + Decimal("7.25"), tool="image")
        self.assertEqual(e.exception.shortfall, Decimal("7.25"))
        self.assertEqual(e.exception.shortfall_micro, 7_250_000)
        self.assertEqual(e.exception.request_body["account"], account)

    def test_spends_and_included_jobs(self):
        account = self.new_account()
        spend = self.client.create_spend(account, tool="upscale", params={})
        self.assertIsInstance(spend, tc.Spend)
        self.assertEqual(spend.amount, Decimal("3"))
        included = self.client.create_spend(account, tool="chat", params={"model": "standard"})
        self.assertIsInstance(included, tc.IncludedJob)
        self.assertEqual((included.id, included.state, included.amount), (None, "included", Decimal("0")))
        with self.assertRaises(tc.UnknownTool):
            self.client.create_spend(account, tool="teleport", params={})
        with self.assertRaises(tc.PricingError):
            self.client.quote("video", {"resolution": "8k", "seconds": 1})

    def test_errors_are_typed(self):
        with self.assertRaises(tc.NotFound) as e:
            self.client.get_account("py-nobody")
        self.assertEqual(e.exception.type, "not_found")
        with tc.TallyClient(self.server.url, "tk_wrong", retries=0) as stranger:
            with self.assertRaises(tc.Unauthorized):
                stranger.get_account("py-nobody")
        with self.assertRaises(tc.InvalidRequest):
            self.client.grant(self.new_account(), 5, "both", never_expires=True, valid_for="P1D")
        with self.assertRaises(tc.NotFound):
            self.client.get_hold("12345")

    def test_grants(self):
        account = self.new_account()
        now = datetime.datetime.now(UTC)
        never = self.client.grant(account, Decimal("1.5"), "welcome back", never_expires=True, source="promo", reference="r-1")
        self.assertIsInstance(never, tc.Lot)
        self.assertEqual((never.amount, never.source, never.reference, never.expires_at), (Decimal("1.5"), "promo", "r-1", None))
        dated = self.client.grant(account, 2, "dated", expires_at=now + datetime.timedelta(days=3), scope=["image"])
        self.assertEqual(dated.scope, ["image"])
        self.assertTrue(aware(dated.expires_at))
        self.assertLess(abs(dated.expires_at - (now + datetime.timedelta(days=3))), datetime.timedelta(seconds=1))
        relative = self.client.grant(account, 3, "a week", valid_for=datetime.timedelta(days=7))
        self.assertEqual(relative.expires_at - relative.granted_at, datetime.timedelta(days=7))
        later = self.client.grant(account, 4, "next month", effective_at=now + datetime.timedelta(days=30))
        self.assertGreater(later.effective_at, later.granted_at)
        self.assertEqual(self.client.get_account(account).balance.pending, Decimal("4"))
        voided = self.client.void_lot(dated.id, "granted by mistake")
        self.assertEqual((voided.lot, voided.voided), (dated.id, Decimal("2")))
        # docs/openapi.yaml: 409 lot_voided; the server answers 404 not_found ("no open lot")
        # for a lot voided whole. Either is an error the caller can catch.
        with self.assertRaises((tc.LotVoided, tc.NotFound)):
            self.client.void_lot(dated.id, "again")

    def test_history_pages(self):
        account = self.new_account()
        for i in range(12):
            self.client.grant(account, i + 1, f"grant {i}")
        everything = self.client.list_entries(account, limit=1000)
        self.assertIsNone(everything.next_after)
        first = self.client.list_entries(account, limit=5)
        self.assertEqual(len(first.entries), 5)
        self.assertEqual(first.next_after, first.entries[-1].seq)
        paged = list(self.client.iter_entries(account, page_size=5))
        self.assertEqual([e.seq for e in paged], [e.seq for e in everything.entries])
        self.assertGreaterEqual(len(paged), 12)
        self.assertEqual(paged, everything.entries)
        grants = [e for e in paged if e.kind == "grant" and e.reason.startswith("grant ")]
        self.assertEqual([e.amount for e in grants], [Decimal(i + 1) for i in range(12)])
        self.assertTrue(all(aware(e.at) and isinstance(e.balance_after, Decimal) for e in paged))
        self.assertEqual(list(self.client.iter_entries(account, after=paged[-1].seq)), [])

    def test_end_user_tokens_read_only_their_account(self):
        account = self.new_account()
        other = self.new_account()
        token = self.client.create_token(account, ttl_s=600)
        self.assertEqual(token.account, account)
        self.assertTrue(aware(token.expires_at))
        self.assertIn("#token=", token.url)
        user = self.client.for_token(token.token)
        self.addCleanup(user.close)
        self.assertEqual(user.get_account(account).id, account)
        self.assertEqual(user.get_balance(account).available, self.client.get_balance(account).available)
        self.assertTrue(list(user.iter_entries(account)))
        with self.assertRaises(tc.Forbidden):
            user.get_account(other)
        with self.assertRaises(tc.Forbidden):
            user.create_spend(account, amount=1)

    def test_subscriptions_and_daily_rewards(self):
        account = self.new_account()
        plus = self.client.subscribe(account, "plus")
        self.assertIsInstance(plus, tc.Subscription)
        self.assertEqual((plus.plan, plus.state), ("plus", "active"))
        self.assertEqual(plus.allocation, Decimal("200"))
        self.assertEqual(self.client.mark_past_due(account).state, "past_due")
        self.assertEqual(self.client.resume_subscription(account).state, "active")
        cancelling = self.client.cancel_subscription(account)
        self.assertTrue(cancelling.cancel_at_period_end)
        self.assertEqual(cancelling.state, "cancelling")
        # Resume also withdraws a cancellation (docs/openapi.yaml).
        resumed = self.client.resume_subscription(account)
        self.assertEqual((resumed.state, resumed.cancel_at_period_end), ("active", False))
        reward = self.client.claim_daily_reward(account)
        self.assertIsInstance(reward.amount, Decimal)
        self.assertGreater(reward.amount, 0)
        with self.assertRaises(tc.AlreadyClaimed):
            self.client.claim_daily_reward(account)
        with self.assertRaises(tc.NotSubscribed):
            self.client.cancel_subscription(self.client.open_account(f"py-free-{next(_ids)}", no_plan=True).id)
        enterprise = self.client.subscribe(account, "enterprise", allocation=Decimal("5000"))
        self.assertEqual(enterprise.plan, "enterprise")

    def test_purchases_credit_once_and_void(self):
        account = self.new_account()
        ref = f"pay-{account}"
        bought = self.client.create_purchase(account, "medium", "USD", ref)
        self.assertEqual((bought.price.amount, bought.price.currency), (Decimal("39.99"), "USD"))
        self.assertEqual((bought.credits, bought.bonus), (Decimal("500"), Decimal("25")))
        self.assertEqual(self.client.create_purchase(account, "medium", "USD", ref).id, bought.id)
        with self.assertRaises(tc.PaymentRefUsed):
            self.client.create_purchase(self.new_account(), "medium", "USD", ref)
        regional = self.client.create_purchase(account, "small", "USD", ref + "-in", region="IN")
        self.assertEqual(regional.price.amount, Decimal("5.99"))
        voided = self.client.void_purchase(bought.id, "charge-back")
        self.assertEqual(voided.purchase, bought.id)
        self.assertEqual(voided.consumed + voided.held + voided.expired, 0)  # nothing was used yet
        self.assertIn(voided.voided, (Decimal("500"), Decimal("525")))  # with or without the bonus lot

    def test_batch(self):
        account = self.new_account()
        result = self.client.batch([
            tc.BatchRequest("POST", "/v1/holds", {"account": account, "amount": "1"}),
            {"method": "POST", "path": "/v1/spends", "body": {"account": account, "amount": 2}},
            tc.BatchRequest("GET", f"/v1/accounts/{account}"),
            tc.BatchRequest("GET", "/v1/holds/1"),
            # A POST that changes nothing gets a key too; the server does not mind it.
            tc.BatchRequest("POST", "/v1/quotes", {"tool": "upscale", "params": {}}),
        ])
        statuses = [r.status for r in result.responses]
        self.assertEqual(statuses, [201, 201, 200, 404, 200])
        self.assertEqual(result.responses[4].body["total"], "3")
        self.assertTrue(result.responses[0].ok)
        self.assertIsNone(result.responses[0].error())
        self.assertIsInstance(result.responses[3].error(), tc.NotFound)
        self.assertEqual(result.responses[2].body["open_holds"], 1)

    def test_service_keys(self):
        made = self.client.create_key(f"worker-{next(_ids)}")
        self.assertEqual(made.scope, "service")
        self.assertTrue(made.key)
        self.assertTrue(aware(made.created_at))
        service = self.client.for_token(made.key)
        self.addCleanup(service.close)
        account = self.new_account()
        self.assertIsInstance(service.create_hold(account, amount=1), tc.Hold)
        with self.assertRaises(tc.Forbidden):
            service.grant(account, 5, "not allowed")

    def test_scoped_and_expiring_keys_are_listed(self):
        now = self.client.create_key(f"clock-{next(_ids)}").created_at
        worker = self.client.create_key(f"worker-{next(_ids)}", scope="worker", expires_at=now + datetime.timedelta(hours=1))
        self.assertEqual((worker.scope, worker.expires_at), ("worker", now + datetime.timedelta(hours=1)))
        self.assertIsNone(worker.last_used_at)
        reader = self.client.create_key(f"read-{next(_ids)}", scope="read")
        listed = {k.id: k for k in self.client.list_keys().keys}
        self.assertIn("admin", listed)
        self.assertEqual(listed[worker.id].name, worker.name)
        self.assertEqual(listed[worker.id].expires_at, worker.expires_at)
        self.assertNotIn("key", listed[worker.id].raw)  # never a secret
        account = self.new_account()
        with self.client.for_token(worker.key) as w, self.client.for_token(reader.key) as r:
            self.assertIsInstance(w.create_hold(account, amount=1), tc.Hold)
            with self.assertRaises(tc.Forbidden):
                w.get_account(account)
            self.assertEqual(r.get_account(account).id, account)
            with self.assertRaises(tc.Forbidden):
                r.create_hold(account, amount=1)
        self.assertIsNotNone(next(k for k in self.client.list_keys().keys if k.id == worker.id).last_used_at)

    def test_a_revoked_key_is_refused_at_once(self):
        made = self.client.create_key(f"gone-{next(_ids)}")
        with self.client.for_token(made.key) as service:
            self.assertTrue(service.list_accounts(limit=1).accounts is not None)
            revoked = self.client.revoke_key(made.id)
            self.assertEqual((revoked.id, revoked.name), (made.id, made.name))
            self.assertTrue(aware(revoked.revoked_at))
            with self.assertRaises(tc.Unauthorized):
                service.list_accounts(limit=1)
        self.assertNotIn(made.id, {k.id for k in self.client.list_keys().keys})
        with self.assertRaises(tc.NotFound):
            self.client.revoke_key(made.id)
        with self.assertRaises(tc.InvalidRequest):
            self.client.revoke_key("admin")

    def test_a_revoked_token_is_refused(self):
        account = self.new_account()
        one, two = self.client.create_token(account), self.client.create_token(account)
        self.assertRegex(one.id, r"^[0-9a-f]{16}$")
        self.assertNotEqual(one.id, two.id)
        with self.client.for_token(one.token) as u1, self.client.for_token(two.token) as u2:
            done = self.client.revoke_tokens(account, token_id=one.id)
            self.assertEqual((done.account, done.token_id, done.all), (account, one.id, False))
            with self.assertRaises(tc.Unauthorized):
                u1.get_balance(account)
            self.assertEqual(u2.get_account(account).id, account)  # only the one named
            every = self.client.revoke_tokens(account, all=True)
            self.assertEqual((every.token_id, every.all), (None, True))
            with self.assertRaises(tc.Unauthorized):
                u2.get_balance(account)
        with self.assertRaises(ValueError):
            self.client.revoke_tokens(account)
        with self.assertRaises(tc.NotFound):
            self.client.revoke_tokens(f"py-nobody-{next(_ids)}", all=True)

    def test_accounts_listed_a_page_at_a_time(self):
        prefix = f"py-list-{next(_ids)}-"
        ids = sorted(self.client.open_account(f"{prefix}{i}", plan="plus" if i % 2 else None).id for i in range(7))
        first = self.client.list_accounts(prefix=prefix, limit=3)
        self.assertEqual([a.id for a in first.accounts], ids[:3])
        self.assertEqual(first.next_cursor, ids[2])
        self.assertIsInstance(first.accounts[0].balance.available, Decimal)
        self.assertEqual(first.accounts[0].open_holds, 0)
        self.assertEqual([a.id for a in self.client.iter_accounts(prefix=prefix, page_size=2)], ids)
        plus = [a for a in self.client.iter_accounts(prefix=prefix, plan="plus", page_size=2)]
        self.assertEqual([a.id for a in plus], [i for i in ids if int(i.rsplit("-", 1)[1]) % 2])
        self.assertTrue(all(a.plan == "plus" for a in plus))
        self.assertIsNone(self.client.list_accounts(prefix=prefix, limit=1000).next_cursor)

    def test_public_reads_and_operations(self):
        anonymous = tc.TallyClient(self.server.url)
        self.assertEqual(anonymous.health().status, "ok")
        self.assertEqual(anonymous.health().shards, 2)
        pricing = anonymous.get_pricing()
        self.assertTrue(pricing.version)
        self.assertTrue(pricing.tools)
        plans = {p.id: p for p in anonymous.get_plans().plans}
        self.assertEqual(plans["free"].daily_reward.base_amount, Decimal("1"))
        self.assertIsNone(plans["enterprise"].daily_reward)
        packs = {p.id: p for p in anonymous.get_packs().packs}
        self.assertEqual(packs["large"].name, "2,000 credits, never expire")
        self.assertIn("# TYPE", anonymous.metrics())
        anonymous.close()

    def test_one_client_shared_by_threads(self):
        account = self.new_account()
        before = self.client.get_account(account).balance.available
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            spends = list(pool.map(lambda i: self.client.create_spend(account, amount=1, tool="image"), range(16)))
        self.assertEqual(len({s.id for s in spends}), 16)
        self.assertEqual(self.client.get_account(account).balance.available, before - 16)

    def test_every_field_the_server_sends_is_typed(self):
        # The other direction of test_openapi_coverage: a field the server sends that no model
        # declares (it would only be in `.raw`) fails here, spec or not.
        account = self.new_account()
        c = self.client
        seen = [c.get_account(account), c.list_entries(account), c.get_balance(account), c.grant(account, 5, "x")]
        hold = c.create_hold(account, tool="video", params={"seconds": 2})
        captured = c.capture(hold.id, usage={"seconds": 1})
        seen += [hold, captured, c.get_hold(hold.id), c.get_spend(captured.spend), c.refund(captured.spend, "r")]
        seen += [c.release(c.create_hold(account, amount=1).id), c.create_spend(account, amount=1),
                 c.create_spend(account, tool="chat", params={}), c.get_hold(c.create_hold(account, amount=1).id)]
        purchase = c.create_purchase(account, "medium", "USD", f"pay-typed-{account}")
        seen += [purchase, c.void_purchase(purchase.id, "charge-back"), c.void_lot(c.grant(account, 3, "y").id, "v")]
        seen += [c.subscribe(account, "plus"), c.claim_daily_reward(account), c.create_token(account),
                 c.quote("video", {"seconds": 1}), c.get_pricing(), c.get_plans(), c.get_packs(),
                 c.batch([tc.BatchRequest("GET", f"/v1/accounts/{account}")]), c.health(),
                 c.mark_past_due(account), c.resume_subscription(account), c.cancel_subscription(account)]
        made = c.create_key(f"typed-{account}")
        token = c.create_token(account)
        seen += [made, c.list_keys(), c.rotate_key(made.id, overlap_s=0), c.revoke_key(made.id), token,
                 c.revoke_tokens(account, token_id=token.id), c.list_accounts(prefix=account)]
        untyped: set[str] = set()

        def walk(obj):
            if dataclasses.is_dataclass(obj):
                declared = {f.name for f in dataclasses.fields(obj)}
                untyped.update(f"{type(obj).__name__}.{k}" for k in obj.raw if k not in declared)
                for f in dataclasses.fields(obj):
                    if f.name != "raw":
                        walk(getattr(obj, f.name))
            elif isinstance(obj, (list, tuple)):
                for x in obj:
                    walk(x)
            elif isinstance(obj, dict):
                for x in obj.values():
                    walk(x)

        walk(seen)
        self.assertEqual(sorted(untyped), [])

    def test_zy_rotation_keeps_the_old_secret_for_the_overlap(self):
        # Moves the server's time forward (name order: before the last test).
        made = self.client.create_key(f"rotated-{next(_ids)}", scope="read")
        rotated = self.client.rotate_key(made.id, overlap_s=60)
        self.assertEqual((rotated.id, rotated.name, rotated.scope), (made.id, made.name, "read"))
        self.assertNotEqual(rotated.key, made.key)
        self.assertEqual(rotated.created_at, made.created_at)
        self.assertGreaterEqual(rotated.previous_valid_until, made.created_at + datetime.timedelta(seconds=60))
        account = self.new_account()
        with self.client.for_token(made.key) as old, self.client.for_token(rotated.key) as new:
            self.assertEqual(old.get_account(account).id, account)
            self.assertEqual(new.get_account(account).id, account)
            self.client.set_clock(rotated.previous_valid_until + datetime.timedelta(seconds=1))
            with self.assertRaises(tc.Unauthorized):
                old.get_account(account)
            self.assertEqual(new.get_account(account).id, account)
        again = self.client.rotate_key(made.id, overlap_s=0)
        with self.client.for_token(rotated.key) as previous:
            with self.assertRaises(tc.Unauthorized):
                previous.get_account(account)
        self.assertEqual(again.id, made.id)

    def test_zz_clock_expires_holds(self):
        # Runs last (name order): it moves the server's time forward.
        account = self.new_account()
        hold = self.client.create_hold(account, amount=1, ttl_s=60)
        moved = self.client.set_clock(hold.expires_at + datetime.timedelta(seconds=1))
        self.assertEqual(moved.now, hold.expires_at + datetime.timedelta(seconds=1))
        self.assertEqual(self.client.get_hold(hold.id).state, "expired")
        with self.assertRaises((tc.HoldExpired, tc.HoldNotActive)):
            self.client.capture(hold.id)



class ReloadConfigTest(unittest.TestCase):
    """reload_config against a server started with a configuration file (its own server)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tally-python-reload-")
        self.file = os.path.join(self.dir, "tally.toml")
        spec = os.environ.get("TALLY_OPENAPI") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "openapi.yaml")
        with open(os.path.join(os.path.dirname(spec), "..", "config", "default.toml"), encoding="utf-8") as f:
            self.good = f.read()
        self.write(self.good)
        self.server = TallyServer(extra_args=("--config", self.file))
        self.client = tc.TallyClient(self.server.url, self.server.admin_key, retries=2)

    def tearDown(self):
        self.client.close()
        status = self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(status, 0, "".join(self.server.output))

    def write(self, text: str) -> None:
        with open(self.file + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(self.file + ".tmp", self.file)

    def test_reload_applies_a_new_price_book_and_refuses_a_bad_file(self):
        same = self.client.reload_config()
        self.assertIsInstance(same, tc.ConfigReload)
        self.assertEqual((same.generation, same.changed, same.restart_required, same.price_book_added), (1, [], [], False))

        self.write(self.good + '\n[ledger.limits]\nlots_per_account = 0\n')
        with self.assertRaises(tc.InvalidConfig) as refused:
            self.client.reload_config()
        self.assertEqual(refused.exception.status, 422)
        self.assertEqual(len(refused.exception.errors), 1)
        self.assertTrue(refused.exception.errors[0].startswith(self.file + ":"), refused.exception.errors)
        self.assertIn("lots_per_account", refused.exception.errors[0])
        self.assertRegex(refused.exception.request_id or "", r"^[0-9a-f]{16}$")

        newer = (self.good.replace('version = "studio-2026-11-01"', 'version = "studio-2026-12-01"', 1)
                 .replace("effective_at = 2026-11-01T00:00:00Z", "effective_at = 2026-12-01T00:00:00Z", 1)
                 .replace('allocation = 200\n', 'allocation = 250\n', 1))
        self.write(newer)
        applied = self.client.reload_config()
        self.assertEqual(applied.generation, 2)
        self.assertEqual(applied.changed, ["price_book", "plans"])
        self.assertEqual((applied.price_book_version, applied.price_book_added), ("studio-2026-12-01", True))
        self.assertEqual(applied.price_book_in_force, "studio-2026-12-01")
        plus = next(p for p in self.client.get_plans().plans if p.id == "plus")
        self.assertEqual(plus.allocation, Decimal(250))


if __name__ == "__main__":
    unittest.main()
