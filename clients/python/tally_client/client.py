"""The synchronous client and the asyncio client.

    client = TallyClient("http://127.0.0.1:8080", key=admin_key)
    hold = client.create_hold("ana", tool="video", params={"resolution": "720p", "seconds": 4})
    client.capture(hold.id, usage={"seconds": 3})

    async with AsyncTallyClient(url, key=key) as client:
        hold = await client.create_hold(...)

Both have the same methods (_operations.py); the asyncio client's return awaitables, and its
paging iterator is an async generator. A `TallyClient` may be shared between threads; an
`AsyncTallyClient` belongs to the event loop that first uses it.
"""

from __future__ import annotations

import random
import ssl
import time
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, Optional, Union

from . import models as m
from ._http import Call, RetryPolicy
from ._operations import Operations
from ._transport import AsyncTransport, SyncTransport

DEFAULT_URL = "http://127.0.0.1:8080"
PAGE_MAX = 1000  # the server's bound on `limit`


class TallyClient(Operations):
    """Blocking client. `key`: an admin key, a service key or an end-user token.

    `retries`, `backoff_s`, `backoff_max_s`: attempts after the first on connection errors and
    5xx answers, and the exponential backoff between them (with jitter; `seed` fixes it).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        key: Optional[str] = None,
        *,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.1,
        backoff_max_s: float = 5.0,
        seed: Optional[int] = None,
        sleep: Optional[Callable[[float], None]] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        self.base_url = base_url
        self._options = dict(timeout_s=timeout_s, retries=retries, backoff_s=backoff_s, backoff_max_s=backoff_max_s, seed=seed, sleep=sleep, ssl_context=ssl_context)
        policy = RetryPolicy(retries, backoff_s, backoff_max_s, random.Random(seed))
        self._transport = SyncTransport(base_url, key, timeout_s, policy, sleep or time.sleep, ssl_context)

    def _perform(self, call: Call) -> Any:
        return self._transport.perform(call)

    def for_token(self, token: str) -> "TallyClient":
        """A client with the same settings that authenticates as `token` (an end-user token
        from `create_token`, or another key)."""
        return TallyClient(self.base_url, token, **self._options)

    def iter_entries(self, account: str, *, after: int = 0, page_size: int = 100) -> Iterator[m.Entry]:
        """Every entry of the account's history after `after`, oldest first, a page at a time."""
        page_size = max(1, min(page_size, PAGE_MAX))
        while True:
            page = self.list_entries(account, limit=page_size, after=after)
            yield from page.entries or []
            if page.next_after is None:
                return
            after = page.next_after

    def iter_accounts(self, *, prefix: Optional[str] = None, plan: Optional[str] = None, kind: Optional[str] = None, page_size: int = 100) -> Iterator[m.AccountSummary]:
        """Every account (whose id starts with `prefix`, on `plan`, of `kind`) in byte order of
        ids, a page at a time."""
        page_size = max(1, min(page_size, PAGE_MAX))
        cursor: Optional[str] = None
        while True:
            page = self.list_accounts(prefix=prefix, plan=plan, kind=kind, cursor=cursor, limit=page_size)
            yield from page.accounts or []
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def iter_events(self, *, types: Optional[Union[str, Iterable[str]]] = None, after: Optional[str] = None, account: Optional[str] = None, page_size: int = 100) -> Iterator[m.Event]:
        """Every event after `after` (every account's, or `account`'s), a page at a time, until
        none is left for now. Keep the last page's `next_after` (`list_events`) to resume."""
        page_size = max(1, min(page_size, PAGE_MAX))
        while True:
            if account is None:
                page = self.list_events(types=types, limit=page_size, after=after)
            else:
                page = self.list_account_events(account, types=types, limit=page_size, after=after)
            yield from page.events or []
            if not page.has_more or page.next_after is None:
                return
            after = page.next_after

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "TallyClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncTallyClient(Operations):
    """asyncio client over asyncio streams: the same methods as `TallyClient`, awaited."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        key: Optional[str] = None,
        *,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.1,
        backoff_max_s: float = 5.0,
        seed: Optional[int] = None,
        sleep: Optional[Callable[[float], Any]] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        self.base_url = base_url
        self._options = dict(timeout_s=timeout_s, retries=retries, backoff_s=backoff_s, backoff_max_s=backoff_max_s, seed=seed, sleep=sleep, ssl_context=ssl_context)
        policy = RetryPolicy(retries, backoff_s, backoff_max_s, random.Random(seed))
        self._transport = AsyncTransport(base_url, key, timeout_s, policy, sleep, ssl_context)

    async def _perform(self, call: Call) -> Any:
        return await self._transport.perform(call)

    def for_token(self, token: str) -> "AsyncTallyClient":
        return AsyncTallyClient(self.base_url, token, **self._options)

    async def iter_entries(self, account: str, *, after: int = 0, page_size: int = 100) -> AsyncIterator[m.Entry]:
        page_size = max(1, min(page_size, PAGE_MAX))
        while True:
            page = await self.list_entries(account, limit=page_size, after=after)
            for entry in page.entries or []:
                yield entry
            if page.next_after is None:
                return
            after = page.next_after

    async def iter_accounts(self, *, prefix: Optional[str] = None, plan: Optional[str] = None, kind: Optional[str] = None, page_size: int = 100) -> AsyncIterator[m.AccountSummary]:
        page_size = max(1, min(page_size, PAGE_MAX))
        cursor: Optional[str] = None
        while True:
            page = await self.list_accounts(prefix=prefix, plan=plan, kind=kind, cursor=cursor, limit=page_size)
            for account in page.accounts or []:
                yield account
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def iter_events(self, *, types: Optional[Union[str, Iterable[str]]] = None, after: Optional[str] = None, account: Optional[str] = None, page_size: int = 100) -> AsyncIterator[m.Event]:
        page_size = max(1, min(page_size, PAGE_MAX))
        while True:
            if account is None:
                page = await self.list_events(types=types, limit=page_size, after=after)
            else:
                page = await self.list_account_events(account, types=types, limit=page_size, after=after)
            for event in page.events or []:
                yield event
            if not page.has_more or page.next_after is None:
                return
            after = page.next_after

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncTallyClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
