"""Webhooks through the Python client against a real `tally serve`, with a real receiver (an
http.server on 127.0.0.1, started and stopped here): every webhook method, and the signature
check of docs/webhooks.md, taken from the file as written, run on real signed deliveries.
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import re
import threading
import time
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import TallyServer

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "webhooks.md")


def doc_python_check():
    """verify_tally_signature, defined by running the Python block of docs/webhooks.md."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify_tally_signature" in b]
    assert len(blocks) == 1, "docs/webhooks.md must have one Python block defining verify_tally_signature"
    namespace: dict = {}
    exec(compile(blocks[0], "docs/webhooks.md", "exec"), namespace)
    return namespace["verify_tally_signature"]


class Receiver:
    """Answers every POST 200 and keeps (headers, raw body)."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.cond:
                    outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, n: int, timeout: float = 30) -> list[tuple[dict, bytes]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.received) >= n, timeout)
            return list(self.received)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TallyServer()
        cls.client = tc.TallyClient(cls.server.url, cls.server.admin_key, retries=2)
        cls.receiver = Receiver()
        cls.verify = staticmethod(doc_python_check())

    @classmethod
    def tearDownClass(cls):
        cls.receiver.stop()
        cls.client.close()
        status = cls.server.stop()
        assert status == 0, f"tally serve exited {status}:\n{''.join(cls.server.output)}"

    def test_a_delivery_is_signed_as_the_doc_checks_it(self):
        made = self.client.create_webhook(self.receiver.url, event_types=["balance.depleted"], description="py")
        self.assertIsInstance(made, tc.WebhookWithSecret)
        self.assertTrue(made.secret.startswith("whsec_"))
        self.assertEqual(made.event_types, ["balance.depleted"])
        self.assertEqual(made.status, "enabled")
        self.client.open_account("py-hook")
        available = self.client.get_account("py-hook").balance.available
        self.client.create_spend("py-hook", amount=available)
        (headers, body), = self.receiver.wait(1)
        self.assertEqual(headers["tally-webhook-id"], made.id)
        signature = headers["tally-signature"]
        self.assertTrue(self.verify(signature, body, made.secret))
        self.assertFalse(self.verify(signature, body + b" ", made.secret))
        self.assertFalse(self.verify(signature, body, made.secret + "x"))
        stale = re.sub(r"t=(\d+)", lambda m: f"t={int(m.group(1)) - 301}", signature)
        self.assertFalse(self.verify(stale, body, made.secret), "older than the 5-minute tolerance")

        # Rotation: both secrets sign during the overlap.
        rotated = self.client.rotate_webhook_secret(made.id, overlap_s=600)
        self.assertIsNotNone(rotated.previous_secret_valid_until)
        self.assertNotEqual(rotated.secret, made.secret)
        queued = self.client.redeliver_webhook_event(made.id, headers["tally-event-id"])
        self.assertEqual((queued.webhook, queued.event, queued.queued), (made.id, headers["tally-event-id"], True))
        _, (again_headers, again_body) = self.receiver.wait(2)
        self.assertEqual(again_body, body)
        self.assertTrue(self.verify(again_headers["tally-signature"], again_body, made.secret))
        self.assertTrue(self.verify(again_headers["tally-signature"], again_body, rotated.secret))

        # The attempt is recorded once the receiver answered: it may take a moment to show.
        deadline = time.monotonic() + 10
        while True:
            deliveries = self.client.list_webhook_deliveries(made.id, limit=10).deliveries
            if len(deliveries) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual([d.redelivery for d in deliveries], [True, False])
        self.assertTrue(all(d.delivered and d.status == 200 and d.error is None for d in deliveries))
        listed = self.client.list_webhooks().webhooks
        self.assertIn(made.id, [w.id for w in listed])
        for model in [made, rotated, queued, *deliveries, *listed]:  # every field the server sends is typed
            declared = {f.name for f in dataclasses.fields(model)}
            self.assertEqual(set(model.raw) - declared, set(), type(model).__name__)
        self.assertEqual(self.client.get_webhook(made.id).description, "py")
        self.assertEqual(self.client.enable_webhook(made.id).status, "enabled")
        platform = self.client.list_platform_events(limit=10)  # none disabled here
        self.assertEqual((platform.events, platform.next_after, platform.has_more), ([], None, False))
        with self.assertRaises(tc.InvalidRequest):
            self.client.list_platform_events(after="12")
        self.assertEqual(self.client.delete_webhook(made.id).id, made.id)
        with self.assertRaises(tc.NotFound):
            self.client.get_webhook(made.id)

    def test_bad_input_is_refused(self):
        with self.assertRaises(tc.InvalidRequest):
            self.client.create_webhook("ftp://127.0.0.1/x")
        with self.assertRaises(tc.InvalidRequest):
            self.client.create_webhook(self.receiver.url, event_types=["balance.nope"])
        with self.assertRaises(tc.NotFound):
            self.client.redeliver_webhook_event("wh_0000000000000000", "281474976710657")


if __name__ == "__main__":
    unittest.main()
