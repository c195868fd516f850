"""Rate limits and concurrent-call caps per client (and per client per tool), with the ``limits`` library.

Who a client is: the authenticated identity (``call.client.id``) once an auth
middleware earlier in the chain set one, else the peer address the request
came from, else ``stdio`` -- so limits work with auth off and key on the
identity as soon as it is on. Keys are ``id:<client id>`` and ``ip:<address>``,
so an identity can never share a bucket with an address.

Counters live in this process's memory by default (:class:`LocalWindows`, the
same sliding-window-counter arithmetic as ``limits``' strategy in a few dict
operations: the library's async memory storage costs ~15 µs per hit, too much
for the fast path), or in Redis through ``limits`` when ``redis.url`` is set
(every replica then draws from the same buckets). The sliding-window-counter
strategy: two counters per bucket, exact enough for abuse control. If Redis cannot be reached
the call goes through (failing open, with a warning): an outage of the
limiter must not become an outage of the server.

Over a limit, the call is refused before it runs with a :class:`CallError`
(-32000, ``data.retryAfter`` in seconds) asking HTTP transports for 429 and a
``Retry-After`` header; stdio gets the JSON-RPC error. Concurrent calls are
counted per process (a call in flight is a local thing).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from mcpgen.errors import ConfigError
from mcpgen.runtime.pipeline import CallContext, CallError, Next, Result
from mcpgen.runtime.settings import LimitSettings

logger = logging.getLogger("mcpgen.runtime")
RATE_LIMITED = -32000
"""The JSON-RPC code of a refusal (the server-error range: JSON-RPC and MCP define none for it)."""
PREFIX = "mcpgen"
REFUSED = "ratelimit.refused"
"""``CallContext.state`` key: why this middleware refused the call (``client``, ``tool``, ``concurrency``)."""


def client_key(call: CallContext) -> str:
    """The bucket a call counts against: its identity, else its peer address, else ``stdio``."""
    client = call.client
    if client is not None:
        return f"id:{client.id}"
    if call.peer is not None:
        return f"ip:{call.peer}"
    return "stdio"


class _Stats:
    __slots__ = ("remaining", "reset_time")

    def __init__(self, reset_time: float, remaining: int) -> None:
        self.reset_time = reset_time
        self.remaining = remaining


class LocalWindows:
    """Sliding-window counters in this process's memory, with the ``limits`` strategy's interface.

    A bucket is ``[window number, hits in it, hits in the window before, window seconds]``; a hit is
    allowed while ``previous * (1 - elapsed fraction) + current + 1 <= amount``.
    Buckets idle for two windows are dropped when the table grows past ``max_keys``.
    """

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._buckets: dict[tuple[str, ...], list[float]] = {}
        self._max_keys = max_keys
        self._clock = clock
        self._items: dict[int, tuple[RateLimitItem, str, int]] = {}

    def _about(self, item: RateLimitItem) -> tuple[str, int]:
        """``item``'s key prefix and window in seconds, computed once per rate (the library builds the
        key string anew on every call, a few microseconds per hit)."""
        known = self._items.get(id(item))
        if known is None or known[0] is not item:
            known = self._items[id(item)] = (item, item.key_for(), item.get_expiry())
        return known[1], known[2]

    def _bucket(self, item: RateLimitItem, key: tuple[str, ...], now: float) -> tuple[list[float], float]:
        expiry = self._about(item)[1]
        window = now // expiry
        bucket = self._buckets.get(key)
        if bucket is None or bucket[0] < window - 1:
            if bucket is None and len(self._buckets) >= self._max_keys:
                self._prune(now)
            bucket = self._buckets[key] = [window, 0.0, 0.0, expiry]
        elif bucket[0] == window - 1:
            bucket[0], bucket[1], bucket[2] = window, 0.0, bucket[1]
        return bucket, (now % expiry) / expiry

    def _prune(self, now: float) -> None:
        stale = [k for k, b in self._buckets.items() if b[0] < now // b[3] - 1]  # idle two windows
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:  # still full: forget the oldest half
            for key in list(self._buckets)[: self._max_keys // 2]:
                del self._buckets[key]

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        key = (self._about(item)[0], *identifiers)
        bucket, elapsed = self._bucket(item, key, self._clock())
        if bucket[2] * (1 - elapsed) + bucket[1] + 1 > item.amount:
            return False
        bucket[1] += 1
        return True

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> _Stats:
        now = self._clock()
        prefix, expiry = self._about(item)
        key = (prefix, *identifiers)
        bucket, elapsed = self._bucket(item, key, now)
        used = bucket[2] * (1 - elapsed) + bucket[1]
        return _Stats((bucket[0] + 1) * expiry, max(0, int(item.amount - used)))


def redis_storage(url: str) -> tuple[Storage, Callable[[], Awaitable[None]]]:
    """The ``limits`` async Redis storage for ``redis://``/``rediss://`` ``url``, and how to close it.

    The connection pool is ours (redis-py, the ``redis`` extra), so shutdown closes its connections.
    """
    try:
        from redis.asyncio import ConnectionPool
    except ImportError:  # pragma: no cover - the [redis] extra is missing
        raise ConfigError(
            "redis.url is set but the redis package is not installed (pip install 'mcpgen[redis]')",
            key="redis.url",
        ) from None
    pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    uri = url if url.startswith("async+") else f"async+{url}"
    options: dict[str, Any] = {"connection_pool": pool}
    return RedisStorage(uri, implementation="redispy", **options), pool.aclose


def _limited(message: str, retry_after: int) -> CallError:
    return CallError(
        RATE_LIMITED,
        message,
        {"retryAfter": retry_after},
        http_status=429,
        http_headers={"Retry-After": str(retry_after)},
    )


class RateLimit:
    """The middleware: refuse a call over its client's rate, its tool's rate, or its client's concurrency."""

    changes_listings = False

    def __init__(self, settings: LimitSettings, storage: Storage | None = None) -> None:
        self._close: Callable[[], Awaitable[None]] | None = None
        if storage is None and settings.redis_url:
            storage, self._close = redis_storage(settings.redis_url)
        self.storage = storage
        self._limiter: LocalWindows | SlidingWindowCounterRateLimiter = (
            LocalWindows() if storage is None else SlidingWindowCounterRateLimiter(storage)
        )
        self._client_rates: Sequence[RateLimitItem] = (
            parse_many(settings.rate_limit) if settings.rate_limit else ()
        )
        self._tool_patterns: Mapping[str, Sequence[RateLimitItem]] = {
            pattern: parse_many(rate) for pattern, rate in settings.tool_rate_limits.items() if rate
        }
        self._tool_rates: dict[str, tuple[str, Sequence[RateLimitItem]] | None] = {}
        self._max_running = settings.max_concurrent_calls
        self._running: dict[str, int] = {}

    def _rates_of(self, tool: str) -> tuple[str, Sequence[RateLimitItem]] | None:
        """The rates ``tool`` falls under (its exact name first, then the first matching glob)."""
        if tool in self._tool_rates:
            return self._tool_rates[tool]
        found = None
        if tool in self._tool_patterns:
            found = (tool, self._tool_patterns[tool])
        else:
            for pattern, rates in self._tool_patterns.items():
                if fnmatchcase(tool, pattern):
                    found = (pattern, rates)
                    break
        if len(self._tool_rates) < 10_000:  # tool names come from callers: keep the memo bounded
            self._tool_rates[tool] = found
        return found

    async def _check(self, call: CallContext, rates: Sequence[RateLimitItem], what: str, *key: str) -> None:
        for item in rates:
            try:
                allowed = await self._limiter.hit(item, PREFIX, *key)
            except Exception as exc:  # the limiter's storage is down: let the call through
                logger.warning("rate limit not checked (%s: %s); call allowed", type(exc).__name__, exc)
                return
            if not allowed:
                stats = await self._limiter.get_window_stats(item, PREFIX, *key)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                call.state[REFUSED] = key[0]
                raise _limited(
                    f"Rate limit exceeded for {what}: at most {item.amount} per "
                    f"{item.multiples} {item.GRANULARITY.name}; retry in {retry}s",
                    retry,
                )

    async def aclose(self) -> None:
        """Close the connections to Redis, if any (at shutdown)."""
        if self._close is not None:
            await self._close()

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        client = client_key(call)
        if self._client_rates:
            await self._check(call, self._client_rates, "this client", "client", client)
        if call.method == "tools/call" and self._tool_patterns:
            matched = self._rates_of(call.name)
            if matched is not None:
                pattern, rates = matched
                await self._check(call, rates, f"tool '{call.name}'", "tool", pattern, client)
        limit = self._max_running
        if limit is None:
            return await call_next(call)
        running = self._running.get(client, 0)
        if running >= limit:
            call.state[REFUSED] = "concurrency"
            raise _limited(f"Too many concurrent calls from this client (at most {limit} at once)", 1)
        self._running[client] = running + 1
        try:
            return await call_next(call)
        finally:
            left = self._running[client] - 1
            if left:
                self._running[client] = left
            else:
                del self._running[client]
