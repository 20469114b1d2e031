"""Retries and errors against a scripted HTTP server (a real socket, no tally): one
Idempotency-Key per call, the same on every retry; backoff on dropped connections, 503 and
5xx; never a retry on 4xx; problems as typed exceptions. Both clients.
"""

from __future__ import annotations

import http.server
import json
import threading
import unittest
from decimal import Decimal

import tally_client as tc

HOLD = {"id": "281474976710657", "account": "ana", "amount": "20", "amount_micro": 20000000, "state": "active",
        "tool": "video", "expires_at": "2026-11-21T08:15:00Z", "price_book_version": "2026-11",
        "portions": [{"lot": "281474976710656", "amount": "20", "amount_micro": 20000000}]}


def problem(status, type_, detail="", **extra):
    return (status, dict(type=type_, title=type_, status=status, detail=detail, **extra))


class ScriptedServer:
    """Answers each request with the next scripted step: (status, body) or "drop" (close the
    connection without answering). Records (method, path, headers, body) of every request."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), json.loads(body) if body else None))
                step = outer.steps.pop(0) if outer.steps else (500, {"type": "internal"})
                if step == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, reply = step
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def keys(self):
        return [h.get("Idempotency-Key") for _, _, h, _ in self.requests]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SyncRetryTest(unittest.TestCase):
    def client(self, server, **kw):
        self.sleeps = []
        c = tc.TallyClient(server.url, "tk_test", seed=7, sleep=self.sleeps.append, **kw)
        self.addCleanup(c.close)
        self.addCleanup(server.close)
        return c

    def test_one_key_reused_on_every_retry_after_5xx_and_dropped_connections(self):
        s = ScriptedServer([problem(503, "unavailable"), "drop", problem(500, "internal"), (201, HOLD)])
        hold = self.client(s).create_hold("ana", tool="video", params={"resolution": "720p", "seconds": 4})
        self.assertEqual(hold.id, "281474976710657")
        self.assertEqual(hold.amount, Decimal("20"))
        keys = s.keys()
        self.assertEqual(len(keys), 4)
        self.assertEqual(len(set(keys)), 1, keys)
        self.assertTrue(keys[0])
        # The drop hit the connection the 503 kept alive: that attempt is repeated at once on a
        # new connection (a server may close an idle one); the other two waited, longer each time.
        self.assertEqual(len(self.sleeps), 2)
        self.assertLess(self.sleeps[0], self.sleeps[1])  # exponential: 0.05-0.1, then 0.1-0.2

    def test_each_call_gets_its_own_key_and_a_given_key_is_sent(self):
        s = ScriptedServer([(201, HOLD), (201, HOLD), (201, HOLD)])
        c = self.client(s)
        c.create_hold("ana", amount="20")
        c.create_hold("ana", amount="20")
        c.create_hold("ana", amount="20", idempotency_key="job-42")
        k = s.keys()
        self.assertNotEqual(k[0], k[1])
        self.assertEqual(k[2], "job-42")

    def test_4xx_is_never_retried(self):
        s = ScriptedServer([problem(409, "idempotency_conflict", "key job-1 was used for another request")])
        with self.assertRaises(tc.IdempotencyConflict) as e:
            self.client(s).create_hold("ana", amount=5, idempotency_key="job-1")
        self.assertEqual(len(s.requests), 1)
        self.assertEqual(self.sleeps, [])
        err = e.exception
        self.assertEqual((err.type, err.status), ("idempotency_conflict", 409))
        self.assertIn("job-1", err.detail)
        self.assertEqual(err.request.idempotency_key, "job-1")
        self.assertEqual(err.request_body, {"account": "ana", "amount": 5})
        self.assertIsInstance(err, tc.Conflict)

    def test_insufficient_credits_carries_the_shortfall(self):
        s = ScriptedServer([problem(402, "insufficient_credits", "short", shortfall="2.5", shortfall_micro=2500000)])
        with self.assertRaises(tc.InsufficientCredits) as e:
            self.client(s).create_spend("ana", amount=Decimal("7.5"))
        self.assertEqual(e.exception.shortfall, Decimal("2.5"))
        self.assertEqual(e.exception.shortfall_micro, 2500000)

    def test_giving_up_raises_the_last_error(self):
        s = ScriptedServer([problem(503, "unavailable")] * 3)
        with self.assertRaises(tc.Unavailable) as e:
            self.client(s, retries=2).get_account("ana")
        self.assertEqual(len(s.requests), 3)
        self.assertEqual(e.exception.request.attempts, 3)

    def test_a_server_that_is_gone_is_a_connection_failure(self):
        s = ScriptedServer([])
        c = self.client(s, retries=1)
        s.close()
        with self.assertRaises(tc.ConnectionFailed) as e:
            c.health()
        self.assertEqual(e.exception.request.attempts, 2)

    def test_creating_a_key_is_not_retried(self):
        s = ScriptedServer([problem(503, "unavailable"), (201, {"id": "1", "name": "w", "scope": "service", "key": "s", "created_at": "2026-11-21T08:00:00Z"})])
        with self.assertRaises(tc.Unavailable):
            self.client(s).create_key("w")
        self.assertEqual(len(s.requests), 1)

    def test_rotating_or_revoking_a_key_is_not_retried(self):
        # No Idempotency-Key for keys: a repeated rotation mints another secret, a repeated
        # revocation answers 404 for the key it revoked.
        key = {"id": "key_1", "name": "w", "scope": "service", "key": "s", "created_at": "2026-11-21T08:00:00Z",
               "expires_at": None, "last_used_at": None, "previous_valid_until": None}
        s = ScriptedServer(["drop", (200, key)])
        c = self.client(s)
        with self.assertRaises(tc.ConnectionFailed):
            c.rotate_key("key_1", overlap_s=60)
        self.assertEqual(len(s.requests), 1)  # the drop is not followed by a second rotation
        s2 = ScriptedServer([problem(503, "unavailable"), (200, key)])
        with self.assertRaises(tc.Unavailable):
            self.client(s2).revoke_key("key_1")
        self.assertEqual(len(s2.requests), 1)

    def test_revoking_tokens_is_retried_without_a_key(self):
        done = {"account": "ana", "token_id": None, "all": True, "revoked_at": "2026-11-21T08:00:00Z"}
        s = ScriptedServer([problem(503, "unavailable"), (200, done)])
        revoked = self.client(s).revoke_tokens("ana", all=True)
        self.assertTrue(revoked.all)
        self.assertEqual(len(s.requests), 2)
        self.assertEqual(s.keys(), [None, None])

    def test_an_unknown_problem_type_falls_back_to_its_status(self):
        s = ScriptedServer([problem(409, "quota_exceeded", "over quota")])
        with self.assertRaises(tc.Conflict) as e:
            self.client(s).create_spend("ana", amount=1)
        self.assertEqual(e.exception.type, "quota_exceeded")

    def test_floats_are_refused_before_sending(self):
        s = ScriptedServer([])
        with self.assertRaises(TypeError):
            self.client(s).create_spend("ana", amount=0.1)
        self.assertEqual(s.requests, [])


class AsyncRetryTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.sleeps = []

    async def _sleep(self, seconds):
        self.sleeps.append(seconds)

    async def test_one_key_reused_on_every_retry(self):
        s = ScriptedServer([problem(503, "unavailable"), "drop", problem(502, "bad_gateway"), (201, HOLD)])
        self.addCleanup(s.close)
        async with tc.AsyncTallyClient(s.url, "tk", seed=1, sleep=self._sleep) as c:
            hold = await c.create_hold("ana", tool="video", params={"seconds": 4})
        self.assertEqual(hold.portions[0].lot, "281474976710656")
        self.assertEqual(len(set(s.keys())), 1)
        self.assertEqual(len(s.requests), 4)
        self.assertEqual(len(self.sleeps), 2)  # the drop on a kept-alive connection: at once

    async def test_4xx_is_never_retried(self):
        s = ScriptedServer([problem(404, "not_found", "no account bob")])
        self.addCleanup(s.close)
        async with tc.AsyncTallyClient(s.url, "tk", sleep=self._sleep) as c:
            with self.assertRaises(tc.NotFound):
                await c.get_account("bob")
        self.assertEqual(len(s.requests), 1)
        self.assertEqual(self.sleeps, [])


if __name__ == "__main__":
    unittest.main()
