"""What the synchronous and the asyncio transports share: the request a call sends, how an
answer becomes a result or an error, and when to try again.

Retries (docs/api.md, Idempotency): a call that changes the ledger sends one Idempotency-Key,
made when the call starts and reused on every attempt, so a retry after a lost answer gets the
first answer instead of doing the change twice. Connection errors, timeouts and 5xx answers are
tried again with exponential backoff and jitter (`Retry-After` when the server sends one);
4xx answers never are: the same request would get the same refusal.
"""

from __future__ import annotations

import json
import random
import urllib.parse
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Optional

from . import errors

USER_AGENT = "tally-client-python/0.1"


def new_idempotency_key() -> str:
    """A fresh key in the id alphabet (docs/openapi.yaml, Key)."""
    return "py-" + uuid.uuid4().hex


def path_segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what}: expected a non-empty id string, got {value!r}")
    # The id alphabet is [A-Za-z0-9._:@+~-], all valid in a path as they are; anything else is
    # escaped (and refused by the server).
    return urllib.parse.quote(value, safe="._:@+~-")


@dataclass
class Call:
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    decode: Callable[[int, Any], Any]
    body: Optional[dict] = None
    query: Optional[dict] = None
    idempotency_key: Optional[str] = None
    retry: bool = True  # False only where a repeat would make a second object (POST /v1/keys)
    text: bool = False  # the answer is text (GET /metrics), not JSON

    def target(self, base_path: str) -> str:
        path = base_path.rstrip("/") + self.path
        if self.query:
            q = {k: v for k, v in self.query.items() if v is not None}
            if q:
                path += "?" + urllib.parse.urlencode(q)
        return path

    def body_bytes(self) -> Optional[bytes]:
        if self.body is None:
            return None
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()

    def request_info(self, attempts: int) -> errors.RequestInfo:
        return errors.RequestInfo(self.method, self.path, self.body, self.idempotency_key, attempts)


def request_headers(call: Call, key: Optional[str], host: str, body: Optional[bytes]) -> dict[str, str]:
    h = {"Host": host, "User-Agent": USER_AGENT, "Accept": "application/json, application/problem+json"}
    if key:
        h["Authorization"] = f"Bearer {key}"
    if body is not None:
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(body))
    elif call.method in ("POST", "PUT", "PATCH"):
        h["Content-Length"] = "0"
    if call.idempotency_key:
        h["Idempotency-Key"] = call.idempotency_key
    return h


@dataclass
class RetryPolicy:
    """Attempts after the first (`retries`), and the backoff between them."""

    retries: int = 4
    backoff_s: float = 0.1
    backoff_max_s: float = 5.0
    rng: random.Random = field(default_factory=random.Random)

    def delay_s(self, attempt: int, retry_after_s: Optional[float]) -> float:
        """The pause before attempt `attempt + 1` (attempt counts from 1)."""
        step = min(self.backoff_max_s, self.backoff_s * (2 ** (attempt - 1)))
        pause = step * (0.5 + 0.5 * self.rng.random())  # jitter: retries of many clients spread
        if retry_after_s is not None:
            pause = max(pause, min(retry_after_s, self.backoff_max_s))
        return pause


class Retry(Exception):
    """Internal: the attempt failed in a way worth trying again."""

    def __init__(self, error: errors.TallyError, retry_after_s: Optional[float] = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after_s = retry_after_s


def interpret(call: Call, status: int, headers: dict[str, str], body: bytes, attempts: int) -> Any:
    """The result of a 2xx answer; raises the TallyError of any other, or `Retry` for a 5xx."""
    info = call.request_info(attempts)
    content_type = headers.get("content-type", "")
    if 200 <= status < 300:
        if call.text:
            return body.decode("utf-8", "replace")
        try:
            data = json.loads(body, parse_float=Decimal) if body else None
        except ValueError as e:
            raise errors.UnexpectedResponse("unexpected_response", status, f"not JSON: {e}", "", None, info)
        try:
            return call.decode(status, data)
        except (TypeError, ValueError, KeyError) as e:
            raise errors.UnexpectedResponse("unexpected_response", status, f"reply does not fit: {e}", "", None, info)
    problem: Any = None
    if body and ("json" in content_type or body[:1] == b"{"):
        try:
            problem = json.loads(body, parse_float=Decimal)
        except ValueError:
            problem = None
    if not isinstance(problem, dict):
        problem = {"type": f"http_{status}", "status": status, "detail": body[:200].decode("utf-8", "replace")}
    error = errors.error_from_problem(status, problem, info)
    if status >= 500 and call.retry:
        retry_after = headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        raise Retry(error, seconds)
    raise error


def connection_error(call: Call, e: BaseException, attempts: int) -> errors.ConnectionFailed:
    return errors.ConnectionFailed(f"{type(e).__name__}: {e}", call.request_info(attempts))
