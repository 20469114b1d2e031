"""The asyncio client against a real `tally serve`: the same calls awaited over asyncio
streams, concurrent jobs on one client, async paging, typed errors.
"""

from __future__ import annotations

import asyncio
import itertools
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import TallyServer

_ids = itertools.count(1)


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TallyServer()

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        assert status == 0, f"tally serve exited {status}:\n{''.join(cls.server.output)}"

    async def asyncSetUp(self):
        self.client = tc.AsyncTallyClient(self.server.url, self.server.admin_key, retries=2)

    async def asyncTearDown(self):
        await self.client.close()

    async def new_account(self) -> str:
        account = f"py-async-{next(_ids)}"
        await self.client.open_account(account)
        await self.client.grant(account, 100, "for the async tests")
        return account

    async def test_a_job_end_to_end(self):
        account = await self.new_account()
        quote = await self.client.quote("video", {"resolution": "1080p", "seconds": 2})
        self.assertEqual(quote.total, Decimal("20"))
        hold = await self.client.create_hold(account, tool="video", params={"resolution": "1080p", "seconds": 2})
        self.assertEqual(hold.state, "active")
        captured = await self.client.capture(hold.id, amount=Decimal("12.5"))
        self.assertEqual((captured.captured, captured.released), (Decimal("12.5"), Decimal("7.5")))
        self.assertEqual((await self.client.get_spend(captured.spend)).amount, Decimal("12.5"))
        self.assertEqual((await self.client.get_hold(hold.id)).state, "captured")

    async def test_concurrent_jobs_on_one_client(self):
        account = await self.new_account()
        before = (await self.client.get_account(account)).balance.available
        holds = await asyncio.gather(*[self.client.create_hold(account, amount=1, tool="image") for _ in range(20)])
        self.assertEqual(len({h.id for h in holds}), 20)
        results = await asyncio.gather(*[
            self.client.capture(h.id) if i % 2 else self.client.release(h.id, reason="failed")
            for i, h in enumerate(holds)
        ])
        self.assertEqual(sum(isinstance(r, tc.Capture) for r in results), 10)
        after = (await self.client.get_account(account)).balance
        self.assertEqual(after.available, before - 10)
        self.assertEqual(after.held, 0)

    async def test_async_paging(self):
        account = await self.new_account()
        for i in range(7):
            await self.client.create_spend(account, amount=i + 1)
        entries = [e async for e in self.client.iter_entries(account, page_size=3)]
        page = await self.client.list_entries(account, limit=1000)
        self.assertEqual(entries, page.entries)
        # A spend takes from as many lots as it needs: one entry per lot portion.
        self.assertEqual(sum(e.amount for e in entries if e.kind == "spend"), Decimal(-28))
        self.assertEqual(len({e.spend for e in entries if e.kind == "spend"}), 7)

    async def test_typed_errors_and_tokens(self):
        account = await self.new_account()
        with self.assertRaises(tc.InsufficientCredits) as e:
            await self.client.create_spend(account, amount=1000)
        self.assertGreater(e.exception.shortfall, 0)
        with self.assertRaises(tc.NotFound):
            await self.client.get_account("py-async-nobody")
        token = await self.client.create_token(account)
        async with self.client.for_token(token.token) as user:
            self.assertEqual((await user.get_balance(account)).available, (await self.client.get_balance(account)).available)
            with self.assertRaises(tc.Forbidden):
                await user.get_account("py-async-nobody")
        self.assertEqual((await self.client.health()).status, "ok")

    async def test_keys_tokens_and_account_listing(self):
        made = await self.client.create_key(f"async-{next(_ids)}", scope="service")
        self.assertIn(made.id, {k.id for k in (await self.client.list_keys()).keys})
        account = await self.new_account()
        async with self.client.for_token(made.key) as service:
            self.assertEqual((await service.get_account(account)).id, account)
            rotated = await self.client.rotate_key(made.id, overlap_s=0)
            with self.assertRaises(tc.Unauthorized):  # no overlap: the old secret ends at once
                await service.get_account(account)
        async with self.client.for_token(rotated.key) as service:
            self.assertEqual((await service.get_account(account)).id, account)
            self.assertEqual((await self.client.revoke_key(made.id)).id, made.id)
            with self.assertRaises(tc.Unauthorized):
                await service.get_account(account)
        token = await self.client.create_token(account)
        async with self.client.for_token(token.token) as user:
            self.assertEqual((await user.get_account(account)).id, account)
            revoked = await self.client.revoke_tokens(account, token_id=token.id)
            self.assertEqual(revoked.token_id, token.id)
            with self.assertRaises(tc.Unauthorized):
                await user.get_account(account)
        prefix = f"py-async-list-{next(_ids)}-"
        opened = sorted([(await self.client.open_account(f"{prefix}{i}")).id for i in range(5)])
        listed = [a.id async for a in self.client.iter_accounts(prefix=prefix, page_size=2)]
        self.assertEqual(listed, opened)
        page = await self.client.list_accounts(prefix=prefix, limit=2)
        self.assertEqual(page.next_cursor, opened[1])

    async def test_a_team_debit_meets_its_member_and_project_budgets(self):
        account = f"py-async-team-{next(_ids)}"
        await self.client.open_account(account, plan="pro", kind="team", owner="olu")
        await self.client.add_member(account, "ben", role="admin")
        await self.client.add_budget(account, "ben", 100, "P1M", member="ben")
        await self.client.add_budget(account, "site", 6, "P1W", project="site", mode="hard")
        await self.client.create_spend(account, amount=4, member="ben", project="site")
        with self.assertRaises(tc.BudgetExceeded) as e:  # ben has 96 left, the project 2
            await self.client.create_hold(account, amount=3, member="ben", project="site")
        self.assertEqual((e.exception.budget.id, e.exception.budget.left, e.exception.shortfall), ("site", Decimal(2), Decimal(1)))
        by_project = await self.client.list_budgets(account, project="site")
        self.assertEqual([(b.id, b.used) for b in by_project.budgets], [("ben", Decimal(4)), ("site", Decimal(4))])
        self.assertEqual((await self.client.update_budget(account, "site", limit=10)).left, Decimal(6))
        hold = await self.client.create_hold(account, amount=3, member="ben", project="site")
        await self.client.set_member_role(account, "ben", "member")
        await self.client.remove_member(account, "ben")
        # Removed mid-hold: the hold can still be captured, but ben starts no new one.
        self.assertEqual((await self.client.capture(hold.id, amount=1)).captured, Decimal(1))
        with self.assertRaises(tc.NotAMember):
            await self.client.create_hold(account, amount=1, member="ben", project="site")
        self.assertEqual((await self.client.get_budget(account, "site")).used, Decimal(5))
        self.assertEqual((await self.client.remove_budget(account, "site")).id, "site")
        self.assertEqual([m.user for m in (await self.client.list_members(account)).members], ["olu"])


if __name__ == "__main__":
    unittest.main()
