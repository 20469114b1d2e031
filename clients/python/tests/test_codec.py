"""Amounts, times and durations to and from the wire (no server)."""

from __future__ import annotations

import datetime
import unittest
from decimal import Decimal

import tally_client as tc
from tally_client._codec import amount_to_wire, decode_model, duration_to_wire, time_from_wire, time_to_wire

UTC = datetime.timezone.utc


class CodecTest(unittest.TestCase):
    def test_amounts_go_out_as_exact_decimal_strings(self):
        self.assertEqual(amount_to_wire(Decimal("12.500")), "12.5")
        self.assertEqual(amount_to_wire(Decimal("1E+2")), "100")
        self.assertEqual(amount_to_wire(Decimal("0.000001")), "0.000001")
        self.assertEqual(amount_to_wire("7.10"), "7.1")
        self.assertEqual(amount_to_wire(12), 12)
        for bad in (0.1, True):
            with self.assertRaises(TypeError):
                amount_to_wire(bad)
        with self.assertRaises(ValueError):
            amount_to_wire(Decimal("NaN"))

    def test_times_are_aware_and_utc(self):
        t = time_from_wire("2026-11-21T08:00:00Z")
        self.assertEqual(t, datetime.datetime(2026, 11, 21, 8, tzinfo=UTC))
        self.assertEqual(time_from_wire("2026-11-21T08:00:00.25Z").microsecond, 250000)
        self.assertEqual(time_to_wire(datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))), "2026-11-21T08:30:00Z")
        self.assertEqual(time_to_wire(datetime.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)), "2026-01-02T03:04:05.12Z")
        with self.assertRaises(ValueError):
            time_to_wire(datetime.datetime(2026, 1, 1))

    def test_durations(self):
        self.assertEqual(duration_to_wire(datetime.timedelta(days=30)), "P30D")
        self.assertEqual(duration_to_wire(datetime.timedelta(minutes=15)), "PT15M")
        self.assertEqual(duration_to_wire(datetime.timedelta(days=1, hours=2, seconds=3)), "P1DT2H3S")
        self.assertEqual(duration_to_wire("P1M"), "P1M")

    def test_models_decode_types_and_keep_unknown_fields(self):
        lot = decode_model(tc.Lot, {"id": "281474976710657", "amount": "12.5", "amount_micro": 12500000,
                                    "expires_at": None, "granted_at": "2026-11-21T08:00:00Z",
                                    "scope": ["image"], "voided": False, "colour": "blue"})
        self.assertEqual(lot.amount, Decimal("12.5"))
        self.assertIsNone(lot.expires_at)
        self.assertEqual(lot.granted_at.tzinfo, UTC)
        self.assertEqual(lot.raw["colour"], "blue")
        account = decode_model(tc.Account, {"id": "ana", "by_source": {"promo": {"amount": "3", "amount_micro": 3000000}},
                                            "lots": [], "subscription": None, "next_expiry": None})
        self.assertEqual(account.by_source["promo"].amount, Decimal(3))
        with self.assertRaises(TypeError):
            decode_model(tc.Lot, {"amount": 1.5})


if __name__ == "__main__":
    unittest.main()
