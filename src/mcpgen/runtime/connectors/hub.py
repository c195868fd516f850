"""The connector hub: start, watch, reconnect and close the manifest's connectors.

Each connector gets a :class:`ConnectorSlot` holding its one live instance,
its pooled ``httpx`` client, its :class:`~mcpgen.runtime.connectors.resilience.ServiceGuard`
(rate limit + circuit breaker) and its state:

========== ==================================================================
state      meaning
========== ==================================================================
connected  ``connect()`` and the last health check succeeded: tools get it
degraded   unreachable for now (down, timing out, circuit open): reconnecting
error      refused for good (credentials rejected or missing): still retried,
           but needs someone to fix the credential
disconnected  not connected yet, or closed at shutdown
========== ==================================================================

At start every connector connects concurrently, each within
``services.<name>.connect_timeout``; a required one retries with backoff and,
if it still fails, start-up fails naming it. An optional one starts
``degraded``. A supervisor task per connector then checks ``health()`` every
``health_interval`` seconds (sooner when the circuit opens), drops a failing
instance and reconnects with exponential backoff and jitter. Tools asking for
a connector that is not ``connected`` get a :class:`~mcpgen.ConnectorUnavailable`
(or :class:`~mcpgen.ConnectorAuthError`) naming the state and the last error,
without running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio

from mcpgen._version import __version__
from mcpgen.authoring import (
    ConnectorAuthError,
    ConnectorDefinition,
    ConnectorError,
    ConnectorSettings,
    ConnectorUnavailable,
    DatabaseSettings,
    Health,
    RateLimited,
)
from mcpgen.config.models import ServiceConfig
from mcpgen.errors import ConnectorStartError
from mcpgen.manifest import ConnectorEntry
from mcpgen.runtime.connectors.resilience import CircuitOpen, RateLimiter, RetryPolicy, ServiceGuard

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("mcpgen.runtime")
State = Literal["connected", "degraded", "disconnected", "error"]
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True, eq=False)
class LoadedConnector:
    """A connector of the manifest, ready to instantiate (``factory()`` makes a fresh instance)."""

    entry: ConnectorEntry
    definition: ConnectorDefinition
    factory: Callable[[], Any]

    @property
    def name(self) -> str:
        return self.entry.name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _reason(exc: BaseException) -> str:
    """What went wrong, without the ``connector 'x':`` prefix (the state says which connector)."""
    if isinstance(exc, ConnectorError):
        text = exc.message
        if exc.connector and text.startswith(f"connector '{exc.connector}'"):
            text = text[len(f"connector '{exc.connector}'") :].lstrip(": ")
        return text
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_permanent(exc: BaseException) -> bool:
    """Credentials refused or missing: retrying will not help until someone fixes them."""
    return isinstance(exc, ConnectorAuthError) or (
        isinstance(exc, ConnectorError) and not isinstance(exc, ConnectorUnavailable | RateLimited)
    )


class ConnectorSlot:
    """One connector's live instance, client, guard, state and supervisor."""

    def __init__(
        self,
        loaded: LoadedConnector,
        service: ServiceConfig,
        *,
        default_timeout: float,
        database: DatabaseSettings,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.loaded = loaded
        self.name = loaded.name
        self.entry = loaded.entry
        self.service = service
        self.required = service.required if service.required is not None else loaded.entry.required
        self._default_timeout = default_timeout
        self._database = database
        self._environ = environ
        self.retry = RetryPolicy(service.retry.max_retries, service.retry.initial, service.retry.max)
        rate = service.rate_limit or loaded.entry.rate_limit
        self.guard = ServiceGuard(
            self.name,
            limiter=RateLimiter(rate) if rate else None,
            failure_threshold=service.circuit_breaker.failure_threshold,
            reset_timeout=service.circuit_breaker.reset_timeout,
        )
        self.guard.listen(self._after_call)
        self.state: State = "disconnected"
        self.last_error: str | None = None
        self.since = _now()
        self.instance: Any = None
        self._http: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connects = 0

    # state -------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        """Record a failure; a refusal by the open circuit keeps the cause that opened it."""
        if isinstance(exc, CircuitOpen) and self.last_error and self.state != "connected":
            self._set(self.state, self.last_error)
            return
        self._set("error" if _is_permanent(exc) else "degraded", _reason(exc))

    def _set(self, state: State, error: str | None = None) -> None:
        if state != self.state:
            self.since = _now()
            log = logger.info if state == "connected" else logger.warning
            suffix = f": {error}" if error else ""
            log("connector %s is %s%s", self.name, state, suffix, extra={"connector": self.name})
        self.state = state
        if error is not None:
            self.last_error = error

    def _after_call(self, circuit: str, error: BaseException | None) -> None:
        if error is not None and circuit == "open" and self.state == "connected":
            self._set("degraded", f"circuit open after repeated failures; last: {_reason(error)}")
            self._wake.set()
        elif error is None and circuit == "closed" and self.state == "degraded" and self.instance is not None:
            self._set("connected")

    def snapshot(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "state": self.state,
            "required": self.required,
            "kind": self.entry.kind,
            "circuit": self.guard.state,
            "lastError": self.last_error,
            "since": self.since,
        }
        retry_in = self.guard.retry_in()
        if retry_in is not None:
            data["retryIn"] = round(retry_in, 1)
        return data

    def acquire(self) -> Any:
        """The live instance, or a clear error saying why there is none."""
        if self.state == "connected" and self.instance is not None:
            return self.instance
        why = f": {self.last_error}" if self.last_error else ""
        if self.state == "error":
            raise ConnectorAuthError(
                f"connector '{self.name}' is in error{why} (fix its credentials or settings)",
                connector=self.name,
            )
        when = "still connecting" if self.state == "disconnected" else "reconnecting"
        raise ConnectorUnavailable(
            f"connector '{self.name}' is {self.state}{why}; {when} (every "
            f"{self.service.health_interval:g}s at most)",
            connector=self.name,
        )

    # connecting --------------------------------------------------------------

    def connector_settings(self) -> ConnectorSettings:
        endpoint = self.service.endpoint or self.entry.endpoint
        credentials = {
            c.name: self._environ[c.name] for c in self.entry.credentials if self._environ.get(c.name)
        }
        return ConnectorSettings(
            name=self.name,
            endpoint=endpoint,
            timeout=float(self.service.timeout or self._default_timeout),
            extras=dict(self.service.extras),
            database=self._database,
            credentials=credentials,
        )

    def _client(self, settings: ConnectorSettings) -> httpx.AsyncClient:
        import httpx  # imported only by servers that have connectors

        from mcpgen.runtime.connectors.auth import OAuth2RefreshAuth, http_auth
        from mcpgen.runtime.connectors.http_client import ResilientTransport, TracedTransport

        auth = http_auth(self.loaded.definition, settings)
        limits = httpx.Limits(max_connections=self.service.max_connections, max_keepalive_connections=10)
        transport = ResilientTransport(
            TracedTransport(httpx.AsyncHTTPTransport(limits=limits), self.name),
            self.guard,
            self.retry,
            authenticated=auth is not None and not isinstance(auth, OAuth2RefreshAuth),
        )
        return httpx.AsyncClient(
            base_url=settings.endpoint or "",
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            headers={"User-Agent": f"mcpgen/{__version__} ({self.name})"},
            follow_redirects=True,
        )

    async def _check(self, instance: Any) -> None:
        result = await instance.health() if hasattr(instance, "health") else True
        ok, detail = (result.ok, result.detail) if isinstance(result, Health) else (bool(result), "")
        if not ok:
            raise ConnectorUnavailable(
                f"health check failed{': ' + detail if detail else ''}", connector=self.name
            )

    def _check_credentials(self, settings: ConnectorSettings) -> None:
        missing = [
            c.name
            for c in self.loaded.definition.credentials
            if c.required and c.name not in settings.credentials
        ]
        if missing:
            raise ConnectorAuthError(
                f"credential(s) not set: {', '.join(missing)} (store them with `mcpgen secrets set NAME` "
                "or `mcpgen credentials`, or set them in the environment)",
                connector=self.name,
            )

    async def _open(self) -> None:
        """One attempt: a fresh instance, connected and healthy within ``connect_timeout``."""
        settings = self.connector_settings()
        self._check_credentials(settings)
        instance = self.loaded.factory()
        instance.settings = settings
        instance.guard = self.guard
        http = None
        try:
            if settings.endpoint and getattr(instance, "uses_http", True):  # not a TS/JS connector's proxy
                http = instance.http = self._client(settings)
            with anyio.fail_after(self.service.connect_timeout):
                if hasattr(instance, "connect"):
                    await instance.connect()
                await self._check(instance)
        except BaseException as exc:
            await self._dispose(instance, http)
            if isinstance(exc, TimeoutError):
                raise ConnectorUnavailable(
                    f"connect() and the first health check took longer than {self.service.connect_timeout:g}s",
                    connector=self.name,
                ) from exc
            raise
        self.instance, self._http = instance, http
        self.connects += 1
        self._set("connected")

    async def connect(self, attempts: int) -> bool:
        """Try to connect up to ``attempts`` times with backoff; ``True`` once connected."""
        import tenacity

        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=self.retry.backoff(),
            retry=tenacity.retry_if_exception(lambda e: not _is_permanent(e)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        await self._open()
                    except Exception as exc:
                        self._fail(exc)  # each attempt: /health shows the latest cause while retrying
                        raise
        except Exception:
            return False
        return True

    async def _dispose(self, instance: Any, http: httpx.AsyncClient | None) -> None:
        with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
            try:
                if instance is not None and hasattr(instance, "close"):
                    await instance.close()
            except Exception as exc:
                logger.warning("connector %s: close() failed: %s", self.name, _reason(exc))
            finally:
                if http is not None:
                    await http.aclose()

    async def drop(self) -> None:
        instance, http = self.instance, self._http
        self.instance, self._http = None, None
        await self._dispose(instance, http)

    # supervising -------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        with anyio.move_on_after(seconds):
            await self._wake.wait()
        self._wake.clear()

    async def supervise(self) -> None:
        """Forever: reconnect while down; check health while up (until cancelled)."""
        interval = self.service.health_interval
        while True:
            if self.instance is None:
                if not await self.connect(self.retry.max_retries + 1):
                    await self._pause(interval)
                continue
            await self._pause(interval)
            try:
                with anyio.fail_after(self.service.timeout or self._default_timeout):
                    await self._check(self.instance)
            except Exception as exc:
                error = "health check timed out" if isinstance(exc, TimeoutError) else _reason(exc)
                self._set("error" if _is_permanent(exc) else "degraded", error)
                await self.drop()
            else:
                if self.state != "connected":
                    self._set("connected")

    def start_supervisor(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.supervise(), name=f"connector-{self.name}")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
        await self.drop()
        self._set("disconnected")


class ConnectorHub:
    """All connectors of one manifest: started together, looked up by name, closed together."""

    def __init__(
        self,
        connectors: Sequence[LoadedConnector],
        services: Mapping[str, ServiceConfig],
        *,
        default_timeout: float = 30.0,
        database: DatabaseSettings | None = None,
    ) -> None:
        self.slots: dict[str, ConnectorSlot] = {
            c.name: ConnectorSlot(
                c,
                services.get(c.name) or ServiceConfig(),
                default_timeout=default_timeout,
                database=database or DatabaseSettings(),
            )
            for c in connectors
        }
        self.started = False

    def __bool__(self) -> bool:
        return bool(self.slots)

    async def start(self) -> None:
        """Connect every connector concurrently; raise :class:`ConnectorStartError` if a required one fails."""
        if not self.slots:
            self.started = True
            return
        began = time.monotonic()
        async with anyio.create_task_group() as group:
            for slot in self.slots.values():
                attempts = slot.retry.max_retries + 1 if slot.required else 1
                group.start_soon(slot.connect, attempts)
        failed = [s for s in self.slots.values() if s.required and s.state != "connected"]
        if failed:
            # Before aclose(): closing marks every slot disconnected and clears its last error.
            lines = [f"  {s.name} ({s.entry.source.path}): {s.last_error}" for s in failed]
            await self.aclose()
            raise ConnectorStartError(
                "required connector(s) could not connect:\n"
                + "\n".join(lines)
                + "\nfix the service or its settings (services.<name> in config), or mark it "
                "required: false to start without it",
                connectors=[s.name for s in failed],
            )
        for slot in self.slots.values():
            slot.start_supervisor()
        self.started = True
        states = ", ".join(f"{s.name}={s.state}" for s in self.slots.values())
        logger.info("connectors started in %.1fs: %s", time.monotonic() - began, states)

    def get(self, name: str) -> Any:
        """The connected instance of ``name`` (raises a clear :class:`ConnectorError` otherwise)."""
        slot = self.slots.get(name)
        if slot is None:
            known = ", ".join(sorted(self.slots)) or "none"
            raise ConnectorError(f"no connector named {name!r} (connectors: {known})", connector=name)
        return slot.acquire()

    @property
    def ready(self) -> bool:
        """Whether every required connector is connected."""
        return all(s.state == "connected" for s in self.slots.values() if s.required)

    @property
    def degraded(self) -> bool:
        return any(s.state != "connected" for s in self.slots.values())

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: slot.snapshot() for name, slot in sorted(self.slots.items())}

    async def aclose(self) -> None:
        async with anyio.create_task_group() as group:
            for slot in self.slots.values():
                group.start_soon(slot.aclose)


def fingerprint(connectors: Mapping[str, LoadedConnector], root: Path) -> tuple[tuple[str, str, int], ...]:
    """What identifies a set of connectors across reloads: entries and their files' modification times."""
    found = []
    for name, c in sorted(connectors.items()):
        try:
            mtime = (root / c.entry.source.path).stat().st_mtime_ns
        except OSError:
            mtime = 0
        found.append((name, c.entry.model_dump_json(), mtime))
    return tuple(found)


def explain(exc: BaseException) -> str | None:
    """A user-facing message for a service error a connector let escape (``None``: not one of ours)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:  # never imported: the error cannot be one of its
        return None
    if isinstance(exc, httpx.HTTPStatusError):
        request, response = exc.request, exc.response
        return f"the service answered HTTP {response.status_code} for {request.method} {request.url.path}"
    if isinstance(exc, httpx.TimeoutException):
        return f"the service did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the service ({type(exc).__name__})"
    return None
