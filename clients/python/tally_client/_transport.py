"""The two transports: blocking (http.client, a pool of keep-alive connections, safe to share
between threads) and asyncio (asyncio streams, a pool of keep-alive connections per client,
one event loop). Both run a `Call` with the retry rules of _http.py.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import threading
import time
import urllib.parse
from typing import Any, Callable, Optional

from ._http import Call, Retry, RetryPolicy, connection_error, interpret, request_headers

_IDLE_MAX = 8  # keep-alive connections kept per client


class _Endpoint:
    def __init__(self, base_url: str):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"base_url: expected http://HOST[:PORT], got {base_url!r}")
        self.tls = u.scheme == "https"
        self.hostname = u.hostname
        self.port = u.port or (443 if self.tls else 80)
        self.host_header = u.netloc
        self.base_path = u.path.rstrip("/")


class _Attempts:
    """The retry rules of one call, for both transports (which only do the I/O and the sleeping):
    a kept-alive connection the server closed meanwhile is tried again at once, once; connection
    errors and retryable answers wait their backoff, for calls that may retry, at most
    `policy.retries` times; then the error is raised."""

    def __init__(self, call: Call, policy: RetryPolicy):
        self.call = call
        self.policy = policy
        self.attempt = 0
        self._stale_retry_done = False

    def start(self) -> None:
        self.attempt += 1

    def after_error(self, e: BaseException) -> Optional[float]:
        """The pause before the next attempt (None: at once), or raises."""
        if getattr(e, "reused_connection", False) and not self._stale_retry_done:
            self._stale_retry_done = True
            self.attempt -= 1
            return None
        if not self.call.retry or self.attempt > self.policy.retries:
            raise connection_error(self.call, e, self.attempt) from e
        return self.policy.delay_s(self.attempt, None)

    def after_reply(self, status: int, headers: dict, data: bytes) -> tuple[bool, Any]:
        """(True, the result), or (False, the pause before the next attempt), or raises."""
        try:
            return True, interpret(self.call, status, headers, data, self.attempt)
        except Retry as r:
            if self.attempt > self.policy.retries:
                raise r.error from None
            return False, self.policy.delay_s(self.attempt, r.retry_after_s)


class SyncTransport:
    def __init__(
        self,
        base_url: str,
        key: Optional[str],
        timeout_s: float,
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        self.endpoint = _Endpoint(base_url)
        self.key = key
        self.timeout_s = timeout_s
        self.retry = retry
        self.sleep = sleep
        self.ssl_context = ssl_context
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            c.close()

    def _connection(self, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        if not fresh:
            with self._lock:
                if self._idle:
                    return self._idle.pop(), True
        e = self.endpoint
        if e.tls:
            return http.client.HTTPSConnection(e.hostname, e.port, timeout=self.timeout_s, context=self.ssl_context), False
        return http.client.HTTPConnection(e.hostname, e.port, timeout=self.timeout_s), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < _IDLE_MAX:
                self._idle.append(conn)
                return
        conn.close()

    def _once(self, call: Call, target: str, body: Optional[bytes], fresh: bool):
        conn, reused = self._connection(fresh)
        try:
            conn.request(call.method, target, body=body, headers=request_headers(call, self.key, self.endpoint.host_header, body))
            resp = conn.getresponse()
            data = resp.read()
            headers = {k.lower(): v for k, v in resp.getheaders()}
        except BaseException as e:
            conn.close()
            e.reused_connection = reused  # type: ignore[attr-defined]
            raise
        if resp.will_close:
            conn.close()
        else:
            self._release(conn)
        return resp.status, headers, data

    def perform(self, call: Call) -> Any:
        body = call.body_bytes()
        target = call.target(self.endpoint.base_path)
        attempts = _Attempts(call, self.retry)
        while True:
            attempts.start()
            try:
                status, headers, data = self._once(call, target, body, fresh=not call.retry)
            except (OSError, http.client.HTTPException) as e:
                pause = attempts.after_error(e)
            else:
                done, value = attempts.after_reply(status, headers, data)
                if done:
                    return value
                pause = value
            if pause is not None:
                self.sleep(pause)


class _AsyncConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # already broken: nothing left to release
            pass


class AsyncTransport:
    """HTTP/1.1 over asyncio streams. Use one client per event loop."""

    def __init__(
        self,
        base_url: str,
        key: Optional[str],
        timeout_s: float,
        retry: RetryPolicy,
        sleep: Optional[Callable[[float], Any]] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        self.endpoint = _Endpoint(base_url)
        self.key = key
        self.timeout_s = timeout_s
        self.retry = retry
        self.sleep = sleep or asyncio.sleep
        self.ssl_context = ssl_context
        self._idle: list[_AsyncConnection] = []

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for c in idle:
            c.close()
            try:
                await c.writer.wait_closed()
            except Exception:  # the peer may have reset it first
                pass

    async def _connection(self, fresh: bool) -> tuple[_AsyncConnection, bool]:
        if not fresh and self._idle:
            return self._idle.pop(), True
        e = self.endpoint
        ctx = (self.ssl_context or ssl.create_default_context()) if e.tls else None
        reader, writer = await asyncio.open_connection(e.hostname, e.port, ssl=ctx)
        return _AsyncConnection(reader, writer), False

    async def _exchange(self, conn: _AsyncConnection, call: Call, target: str, body: Optional[bytes]):
        headers = request_headers(call, self.key, self.endpoint.host_header, body)
        head = f"{call.method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        conn.writer.write(head.encode("latin-1") + (body or b""))
        await conn.writer.drain()
        status_line = await conn.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection without answering")
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise http.client.BadStatusLine(status_line.decode("latin-1", "replace"))
        status = int(parts[1])
        reply_headers: dict[str, str] = {}
        while True:
            line = await conn.reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionResetError("the connection closed inside the reply's headers")
            name, _, value = line.decode("latin-1").partition(":")
            reply_headers[name.strip().lower()] = value.strip()
        if reply_headers.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int((await conn.reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await conn.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += await conn.reader.readexactly(size)
                await conn.reader.readexactly(2)
            payload = bytes(data)
        elif "content-length" in reply_headers:
            payload = await conn.reader.readexactly(int(reply_headers["content-length"]))
        else:
            payload = await conn.reader.read()
            reply_headers["connection"] = "close"
        return status, reply_headers, payload

    async def _once(self, call: Call, target: str, body: Optional[bytes], fresh: bool):
        conn, reused = await self._connection(fresh)
        try:
            status, headers, data = await asyncio.wait_for(self._exchange(conn, call, target, body), self.timeout_s)
        except BaseException as e:
            conn.close()
            e.reused_connection = reused  # type: ignore[attr-defined]
            raise
        if headers.get("connection", "").lower() == "close" or len(self._idle) >= _IDLE_MAX:
            conn.close()
        else:
            self._idle.append(conn)
        return status, headers, data

    async def perform(self, call: Call) -> Any:
        body = call.body_bytes()
        target = call.target(self.endpoint.base_path)
        attempts = _Attempts(call, self.retry)
        while True:
            attempts.start()
            try:
                status, headers, data = await self._once(call, target, body, fresh=not call.retry)
            except (OSError, EOFError, asyncio.TimeoutError, asyncio.IncompleteReadError, http.client.HTTPException, ValueError) as e:
                pause = attempts.after_error(e)
            else:
                done, value = attempts.after_reply(status, headers, data)
                if done:
                    return value
                pause = value
            if pause is not None:
                await self.sleep(pause)


__all__ = ["SyncTransport", "AsyncTransport"]
