"""Events and alert settings through the Python client, against a real `tally serve` (started
here on a free port with a manual clock and two shards; stopped at the end). docs/events.md.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import ServerTestCase

_ids = itertools.count(1)


class EventsTest(ServerTestCase):
    def new_account(self) -> str:
        account = f"py-ev-{self._testMethodName[5:20]}-{next(_ids)}"
        self.client.open_account(account, no_plan=True)
        return account

    def test_alert_settings_round_trip(self):
        account = self.new_account()
        plan_default = self.client.get_alerts(account)
        self.assertIsInstance(plan_default, tc.Alerts)
        self.assertEqual(plan_default.account, account)
        self.assertEqual(plan_default.low_balance_from, "plan")
        self.assertIsNone(plan_default.low_balance)
        set_ = self.client.set_alerts(account, low_balance=Decimal("12.5"), expiring_notice=datetime.timedelta(days=3))
        self.assertEqual(set_.low_balance, Decimal("12.5"))
        self.assertEqual(set_.low_balance_micro, 12_500_000)
        self.assertEqual(set_.low_balance_from, "account")
        self.assertEqual(set_.expiring_notice, "P3D")
        self.assertEqual(set_.expiring_notice_from, "account")
        self.assertEqual(self.client.get_alerts(account), set_)
        # The same idempotency key again: the first answer, nothing changed twice.
        first = self.client.set_alerts(account, low_balance=7, idempotency_key=f"alerts-{account}")
        again = self.client.set_alerts(account, low_balance=7, idempotency_key=f"alerts-{account}")
        self.assertEqual(first, again)
        self.assertEqual(first.low_balance, Decimal(7))
        self.assertEqual(first.expiring_notice_from, "plan")  # left out: the plan's
        with self.assertRaises(tc.IdempotencyConflict):
            self.client.set_alerts(account, low_balance=8, idempotency_key=f"alerts-{account}")
        off = self.client.set_alerts(account, low_balance=0, expiring_notice=datetime.timedelta(0))
        self.assertIsNone(off.low_balance)
        self.assertEqual(off.low_balance_from, "account")
        with self.assertRaises(tc.NotFound):
            self.client.get_alerts(f"nobody-{next(_ids)}")
        with self.assertRaises(tc.InvalidRequest):
            self.client.set_alerts(account, expiring_notice="P1M")  # a month is not a fixed length

    def test_a_crossing_and_an_expiry_become_events(self):
        account = self.new_account()
        self.client.set_alerts(account, low_balance=50, expiring_notice="P3D")
        self.client.grant(account, 100, "welcome", valid_for=datetime.timedelta(days=2))
        lot = self.client.get_account(account).lots[0]
        self.client.create_spend(account, amount=60)
        self.client.create_spend(account, amount=1)  # still below: no second balance.low
        page = self.client.list_account_events(account)
        types = [e.type for e in page.events]
        self.assertEqual(types, ["credits.expiring", "balance.low"])
        for e in page.events:
            self.assertIsInstance(e, tc.Event)
            self.assertEqual(e.account, account)
            self.assertIsInstance(e.at, datetime.datetime)
            self.assertIsInstance(e.data, dict)
        self.assertFalse(page.has_more)
        self.assertEqual(page.next_after, page.events[-1].id)
        low = page.events[1]
        self.assertEqual(Decimal(low.data["available"]), Decimal(40))
        self.assertEqual(Decimal(low.data["threshold"]), Decimal(50))
        # Paging: one at a time, resumed from the previous page's next_after.
        one = self.client.list_account_events(account, limit=1)
        self.assertEqual([e.id for e in one.events], [page.events[0].id])
        self.assertTrue(one.has_more)
        rest = self.client.list_account_events(account, after=one.next_after)
        self.assertEqual([e.id for e in rest.events], [low.id])
        self.assertEqual([e.type for e in self.client.list_account_events(account, types=["balance.low"]).events], ["balance.low"])
        empty = self.client.list_account_events(account, after=low.id)
        self.assertEqual(empty.events, [])
        self.assertIsNone(empty.next_after)
        # The lot expires; the next command on the account runs the write-off.
        self.client.set_clock(lot.expires_at + datetime.timedelta(seconds=1))
        self.client.grant(account, 1, "after", never_expires=True)
        expired = list(self.client.iter_events(account=account, after=low.id, types="credits.expired"))
        self.assertEqual(len(expired), 1)
        self.assertEqual(expired[0].data["lot"], lot.id)
        self.assertEqual(Decimal(expired[0].data["expired"]), Decimal(39))

    def test_the_feed_pages_across_shards(self):
        accounts = [self.new_account() for _ in range(6)]
        for a in accounts:
            self.client.set_alerts(a, low_balance=5)
            self.client.grant(a, 10, "seed", never_expires=True)
            self.client.create_spend(a, amount=6)
        ours = set(accounts)
        walked = [e for e in self.client.iter_events(types="balance.low", page_size=2) if e.account in ours]
        self.assertEqual(sorted(e.account for e in walked), sorted(accounts))
        self.assertEqual(len({e.id for e in walked}), len(walked))
        # Resuming from a page's cursor gives what follows it, and nothing again.
        first = self.client.list_events(types=["balance.low"], limit=1)
        self.assertTrue(first.has_more)
        after_first = list(self.client.iter_events(types="balance.low", after=first.next_after))
        self.assertNotIn(first.events[0].id, {e.id for e in after_first})
        tail = self.client.list_events(after=self.last_cursor())
        self.assertEqual(tail.events, [])
        self.assertFalse(tail.has_more)
        with self.assertRaises(tc.InvalidRequest):
            self.client.list_events(types="balance.lowish")

    def last_cursor(self) -> str:
        cursor = None
        while True:
            page = self.client.list_events(after=cursor, limit=1000)
            cursor = page.next_after
            if not page.has_more:
                return cursor

    def test_the_async_client_walks_the_same_events(self):
        account = self.new_account()
        self.client.set_alerts(account, low_balance=5)
        self.client.grant(account, 10, "seed", never_expires=True)
        self.client.create_spend(account, amount=10)  # low and depleted at once
        sync_ids = [e.id for e in self.client.iter_events(account=account)]

        async def walk():
            async with tc.AsyncTallyClient(self.server.url, self.server.admin_key) as client:
                alerts = await client.get_alerts(account)
                return alerts, [e.id async for e in client.iter_events(account=account, page_size=1)]

        alerts, async_ids = asyncio.run(walk())
        self.assertEqual(alerts.low_balance, Decimal(5))
        self.assertEqual(len(sync_ids), 2)
        self.assertEqual(async_ids, sync_ids)


if __name__ == "__main__":
    unittest.main()
