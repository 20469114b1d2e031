"""Auto top-up through the Python client, against a real `tally serve` (started here on a free
port with a manual clock; stopped at the end). docs/events.md "Auto top-up".
"""

from __future__ import annotations

import datetime
import itertools
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import ServerTestCase

_ids = itertools.count(1)


class AutoTopupTest(ServerTestCase):
    def new_account(self) -> str:
        account = f"py-at-{next(_ids)}"
        self.client.open_account(account, no_plan=True)  # no credits: below any threshold
        return account

    def test_a_request_is_completed_by_the_purchase_with_its_payment_ref(self):
        account = self.new_account()
        on = self.client.set_auto_topup(account, below=10, pack="small", currency="USD")
        self.assertIsInstance(on, tc.AutoTopup)
        self.assertTrue(on.enabled)
        self.assertEqual(on.below, Decimal(10))
        self.assertEqual(on.price, Decimal("9.99"))
        self.assertEqual(on.credits, Decimal(100))
        self.assertIsInstance(on.request, tc.AutoTopupRequest)  # asked at once
        self.assertEqual(on.request.payment_ref, f"auto_topup_{on.request.id}")
        self.assertIsInstance(on.request.expires_at, datetime.datetime)
        (event,) = self.client.iter_events(account=account, types="auto_topup.requested")
        self.assertEqual(event.data["payment_ref"], on.request.payment_ref)
        self.assertEqual(event.data["price"], {"amount": "9.99", "currency": "USD"})
        self.client.create_purchase(account, "small", "USD", event.data["payment_ref"])
        done = self.client.get_auto_topup(account)
        self.assertIsNone(done.request)
        self.assertEqual(done.failures, 0)
        # A new crossing: a new request; the charge fails and it is no longer outstanding.
        self.client.create_spend(account, amount=95)
        asked = self.client.get_auto_topup(account).request
        self.assertIsNotNone(asked)
        self.assertNotEqual(asked.id, on.request.id)
        failed = self.client.fail_auto_topup(asked.id, reason="card declined")
        self.assertIsNone(failed.request)
        self.assertEqual(failed.failures, 1)
        self.assertIsInstance(failed.retry_at, datetime.datetime)
        with self.assertRaises(tc.NotFound):
            self.client.cancel_auto_topup(asked.id)
        off = self.client.disable_auto_topup(account)
        self.assertFalse(off.enabled)
        self.assertIsNone(off.below)
        self.assertEqual(self.client.get_auto_topup(account), off)

    def test_settings_are_checked_and_a_cancel_is_not_retried(self):
        account = self.new_account()
        with self.assertRaises(tc.InvalidRequest):
            self.client.set_auto_topup(account, below=10, pack="mega", currency="USD")
        with self.assertRaises(tc.InvalidRequest):
            self.client.set_auto_topup(account, below=0, pack="small", currency="USD")
        asked = self.client.set_auto_topup(account, below=5, pack="small", currency="USD", region="IN").request
        cancelled = self.client.cancel_auto_topup(asked.id, reason="card removed")
        self.assertIsNone(cancelled.request)
        self.assertIsNone(cancelled.retry_at)
        self.assertEqual(cancelled.region, "IN")
        self.assertEqual(cancelled.price, Decimal("5.99"))


if __name__ == "__main__":
    unittest.main()
