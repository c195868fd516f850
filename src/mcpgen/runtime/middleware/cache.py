"""Result caching of read-only tools: a repeated call with the same arguments is answered without running.

A tool is cached when it has a time to live: ``@tool(cache_ttl=60)`` or ``tools.<name>.cache.ttl``
in the config (which wins, with ``max_entries`` and ``per_caller``). Only tools marked
``readOnlyHint: true`` that take no ``Context`` are cached (a Context means logging, progress or
asking the client: a replay would skip them); ``tools.<name>.cache.force: true`` caches one anyway,
with a warning at the first call.

The key is the tool name and the canonical JSON of the arguments (sorted keys), plus the caller's
identity (``call.client.id``) with ``per_caller: true``. Only successful results are kept (not
``isError``, not an ``input_required`` round). Results live in this process's memory, a bounded
LRU per tool (:class:`MemoryStore`), or in Redis when ``redis.url`` is set (:class:`RedisStore`:
replicas share them; entries expire by Redis's own TTL; ``max_entries`` is left to Redis's
``maxmemory`` policy). A Redis that cannot be reached is a miss (failing open, with a warning).

The middleware sits innermost (after RBAC and rate limits: a hit is still authorized and counted
against the caller's rate; metrics time it as a call). Hits and misses are counted in
``mcpgen_cache_hits_total{tool}`` and ``mcpgen_cache_misses_total{tool}``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from mcpgen.runtime.middleware.ratelimit import redis_asyncio
from mcpgen.runtime.pipeline import CallContext, Next, Result

if TYPE_CHECKING:
    from mcpgen.config.models import CacheConfig
    from mcpgen.runtime.registry import LoadedTool
    from mcpgen.runtime.telemetry.metrics import Instruments

logger = logging.getLogger("mcpgen.runtime")
DEFAULT_MAX_ENTRIES = 1024
PREFIX = "mcpgen:cache:"


@dataclass(frozen=True, slots=True)
class Policy:
    """How one tool's results are cached."""

    ttl: float
    max_entries: int = DEFAULT_MAX_ENTRIES
    per_caller: bool = False


def policy_of(tool: LoadedTool, config: CacheConfig | None) -> tuple[Policy | None, str | None]:
    """The tool's caching policy and, when caching is refused or forced, why (for a warning)."""
    ttl = config.ttl if config is not None and config.ttl is not None else tool.entry.cache_ttl
    if ttl is None:
        return None, None
    read_only = (tool.entry.annotations or {}).get("readOnlyHint") is True
    problem = None
    if not read_only:
        problem = "it is not marked readOnlyHint: true"
    elif tool.wants_context:
        problem = "it takes a Context (logging, progress or questions would not be replayed)"
    forced = config is not None and config.force
    policy = Policy(
        ttl=ttl,
        max_entries=config.max_entries if config is not None else DEFAULT_MAX_ENTRIES,
        per_caller=config.per_caller if config is not None else False,
    )
    if problem is None:
        return policy, None
    if forced:
        return (
            policy,
            f"tool '{tool.name}' is cached because tools.{tool.name}.cache.force is set, though {problem}",
        )
    return (
        None,
        f"tool '{tool.name}' is not cached: {problem} (tools.{tool.name}.cache.force: true caches it anyway)",
    )


class Store(Protocol):
    """Where cached results live: ``get`` a fresh one, ``put`` one for ``ttl`` seconds."""

    async def get(self, tool: str, key: bytes) -> Result | None: ...

    async def put(self, tool: str, key: bytes, result: Result, policy: Policy) -> None: ...


class MemoryStore:
    """A bounded LRU per tool in this process's memory; ``clock`` (monotonic seconds) is injectable."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tables: dict[str, OrderedDict[bytes, tuple[float, Result]]] = {}

    async def get(self, tool: str, key: bytes) -> Result | None:
        table = self._tables.get(tool)
        found = table.get(key) if table is not None else None
        if found is None:
            return None
        assert table is not None
        if found[0] <= self._clock():
            del table[key]
            return None
        table.move_to_end(key)
        return {**found[1]}

    async def put(self, tool: str, key: bytes, result: Result, policy: Policy) -> None:
        table = self._tables.get(tool)
        if table is None:
            table = self._tables[tool] = OrderedDict()
        table[key] = (self._clock() + policy.ttl, {**result})
        table.move_to_end(key)
        while len(table) > policy.max_entries:
            table.popitem(last=False)

    def size(self, tool: str) -> int:
        return len(self._tables.get(tool, ()))


class RedisStore:
    """Results as JSON under ``mcpgen:cache:<tool>:<sha256 of the key>``, expiring by Redis's TTL."""

    def __init__(self, url: str) -> None:
        self._redis = redis_asyncio().Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._warned = False

    @staticmethod
    def _key(tool: str, key: bytes) -> str:
        return f"{PREFIX}{tool}:{hashlib.sha256(key).hexdigest()}"

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            logger.warning("result cache unavailable (%s: %s); calls run uncached", type(exc).__name__, exc)

    async def get(self, tool: str, key: bytes) -> Result | None:
        try:
            raw = await self._redis.get(self._key(tool, key))
        except Exception as exc:
            self._failed(exc)
            return None
        self._warned = False
        if raw is None:
            return None
        value = orjson.loads(raw)
        return value if isinstance(value, dict) else None

    async def put(self, tool: str, key: bytes, result: Result, policy: Policy) -> None:
        try:
            await self._redis.set(
                self._key(tool, key), orjson.dumps(result), px=max(1, int(policy.ttl * 1000))
            )
        except Exception as exc:
            self._failed(exc)

    async def aclose(self) -> None:
        await self._redis.aclose()


class ResultCache:
    """The middleware (see the module docstring)."""

    changes_listings = False

    def __init__(
        self,
        configs: Mapping[str, CacheConfig],
        store: Store | None = None,
        instruments: Instruments | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configs = configs
        self.store: Store = store if store is not None else MemoryStore(clock)
        self._instruments = instruments
        self._policies: dict[str, tuple[LoadedTool, Policy | None]] = {}
        self._counters: dict[str, tuple[Any, Any]] = {}

    def _policy(self, tool: LoadedTool) -> Policy | None:
        known = self._policies.get(tool.name)
        if known is not None and known[0] is tool:
            return known[1]
        policy, warning = policy_of(tool, self._configs.get(tool.name))
        if warning is not None:
            logger.warning(warning, extra={"tool": tool.name})
        if len(self._policies) < 10_000:
            self._policies[tool.name] = (tool, policy)
        return policy

    def _count(self, tool: str, hit: bool) -> None:
        instruments = self._instruments
        if instruments is None:
            return
        counters = self._counters.get(tool)
        if counters is None:
            counters = self._counters[tool] = (
                instruments.cache_hits.labels(tool),
                instruments.cache_misses.labels(tool),
            )
        counters[0 if hit else 1].inc()

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        if call.method != "tools/call":
            return await call_next(call)
        tool = call.registry.tools.get(call.name)
        policy = self._policy(tool) if tool is not None else None
        if policy is None:
            return await call_next(call)
        key = orjson.dumps(call.arguments, option=orjson.OPT_SORT_KEYS)
        if policy.per_caller:
            client = call.client
            key = orjson.dumps(client.id if client is not None else None) + b"\x00" + key
        name = call.name
        found = await self.store.get(name, key)
        if found is not None:
            self._count(name, True)
            call.state["cache"] = "hit"
            return found
        self._count(name, False)
        call.state["cache"] = "miss"
        result = await call_next(call)
        if result.get("isError") is not True and result.get("resultType", "complete") == "complete":
            await self.store.put(name, key, result, policy)
        return result

    async def aclose(self) -> None:
        close: Callable[[], Awaitable[None]] | None = getattr(self.store, "aclose", None)
        if close is not None:
            await close()
