"""TS/JS connectors: they live in the Node workers; the :class:`~mcpgen.runtime.connectors.hub.ConnectorHub`
drives them through a proxy.

A TS/JS connector (``connectors/notion.ts``) default-exports ``{metadata,
initialize(config), testConnection(), disconnect(), ...methods}``. Each Node
worker holds one instance (the module's object). The hub sees a
:class:`NodeConnector` per connection attempt, made by the
:class:`~mcpgen.runtime.connectors.hub.LoadedConnector` factory, and runs it like
any Python connector (connect timeout, health checks, backoff reconnects,
states in ``/health``):

- ``connect()`` calls ``initialize(config)`` in every worker (starting them) and remembers the config in the pool, so a
  worker started later or restarted after a crash initializes the connector
  lazily, before the first call that needs it;
- ``health()`` calls ``testConnection()`` in every worker (``false`` or a throw
  in any of them is unhealthy);
- ``close()`` forgets the config and calls ``disconnect()`` where it was initialized.

``config`` is :func:`~mcpgen.authoring.connectors.seed_config`: the extras,
``endpoint``, ``timeout`` and each credential by full name and by its role
in camelCase. A throw from ``initialize()`` leaves the connector ``degraded``
(retried with backoff), unless the error's ``name`` is ``ConnectorAuthError``
(``error``: refused, fix the credential). TS/JS tools reach connected
connectors through ``ctx.connector(name)``/``ctx.connectors``; with each call
goes :func:`node_connector_states`, so asking for one that is down throws the
same message a Python tool would get.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcpgen.authoring import (
    ConnectorAuthError,
    ConnectorDefinition,
    ConnectorError,
    ConnectorSettings,
    ConnectorUnavailable,
    Credential,
    Health,
)
from mcpgen.authoring.connectors import seed_config
from mcpgen.manifest import ConnectorEntry
from mcpgen.runtime.connectors.hub import ConnectorHub, LoadedConnector
from mcpgen.runtime.node_pool import NodePool, NodeToolError, NodeWorkerError

REFUSED = frozenset({"ConnectorAuthError", "AuthError"})
"""JS error names that mean "credentials refused": the connector goes to ``error``, not ``degraded``."""


def _problem(results: Sequence[Any], what: str) -> str | None:
    """What went wrong in the workers' answers (``None``: every worker said yes)."""
    failures = [r for r in results if isinstance(r, BaseException) or r is not True]
    if not failures:
        return None
    first = failures[0]
    if isinstance(first, NodeToolError | NodeWorkerError):
        why = first.message if isinstance(first, NodeToolError) else str(first)
    elif isinstance(first, BaseException):
        why = f"{type(first).__name__}: {first}"
    else:
        why = f"{what} returned {str(first).lower() if isinstance(first, bool) else first!r}"
    if len(results) > 1:
        why += f" (in {len(failures)} of {len(results)} Node workers)"
    return why


class NodeConnector:
    """The hub's handle on a TS/JS connector: lifecycle calls go to every Node worker."""

    uses_http = False
    """The hub makes no pooled ``httpx`` client for it: the connector does its own I/O in Node."""

    settings: ConnectorSettings
    guard: Any

    def __init__(self, pool: NodePool, entry: ConnectorEntry) -> None:
        self.pool = pool
        self.entry = entry
        self.name = entry.name

    def spec(self) -> dict[str, Any]:
        ep = self.entry.entrypoint
        return {"path": ep.path, "attribute": ep.attribute, "config": seed_config(self.settings)}

    async def connect(self) -> None:
        """``initialize(config)`` in every worker (the hub checked the required credentials already)."""
        spec = self.spec()
        self.pool.connector_specs[self.name] = spec
        results = await self.pool.broadcast("connector.connect", {"name": self.name, "spec": spec})
        why = _problem(results, "initialize()")
        if why is None:
            return
        self.pool.connector_specs.pop(self.name, None)
        refused = any(isinstance(r, NodeToolError) and r.name in REFUSED for r in results)
        error = ConnectorAuthError if refused else ConnectorUnavailable
        raise error(f"connector '{self.name}': {why}", connector=self.name)

    async def health(self) -> Health:
        results = await self.pool.broadcast("connector.health", {"name": self.name})
        why = _problem(results, "testConnection()")
        return Health(ok=why is None, detail=why or "")

    def __getattr__(self, name: str) -> Any:
        """A Python tool reaching for a TS/JS connector's methods: say it cannot, clearly."""
        if name.startswith("_") or name in ("settings", "guard", "http"):
            raise AttributeError(name)
        raise ConnectorError(
            f"connector '{self.name}' is a TS/JS connector: only TS/JS tools can call its methods "
            f"(ctx.connector('{self.name}') in a TS/JS handler)",
            connector=self.name,
        )

    async def close(self) -> None:
        self.pool.connector_specs.pop(self.name, None)
        results = await self.pool.broadcast("connector.close", {"name": self.name}, start=False)
        why = _problem(results, "disconnect()")
        if why is not None:
            raise ConnectorError(f"connector '{self.name}': {why}", connector=self.name)


def _credential(c: Any) -> Credential:
    return Credential(
        name=c.name,
        kind=c.kind,
        required=c.required,
        description=c.description,
        pattern=c.pattern,
        choices=tuple(c.choices) if c.choices is not None else None,
        when=c.when,
    )


def load_node_connector(entry: ConnectorEntry, pool: NodePool) -> LoadedConnector:
    """The hub's view of a TS/JS connector of the manifest (its module is loaded by the workers)."""
    definition = ConnectorDefinition(
        name=entry.name,
        cls=NodeConnector,
        kind=entry.kind,
        auth=entry.auth,
        description=entry.description,
        credentials=tuple(_credential(c) for c in entry.credentials),
        required=entry.required,
        endpoint=entry.endpoint,
        rate_limit=entry.rate_limit,
        scopes=tuple(entry.scopes),
        attribute=entry.entrypoint.attribute,
        line=entry.source.line,
        seed=True,
    )
    return LoadedConnector(entry=entry, definition=definition, factory=lambda: NodeConnector(pool, entry))


def node_connector_states(hub: ConnectorHub) -> dict[str, Any]:
    """What a TS/JS tool call is told: connected TS/JS connectors, and why each other one is not usable."""
    connected: list[str] = []
    unavailable: dict[str, str] = {}
    for name, slot in sorted(hub.slots.items()):
        if slot.entry.entrypoint.language == "python":
            unavailable[name] = (
                f"connector '{name}' is a Python connector; TS/JS tools can use only TS/JS connectors"
            )
            continue
        try:
            slot.acquire()
        except ConnectorError as exc:
            unavailable[name] = exc.message
        else:
            connected.append(name)
    return {"connected": connected, "unavailable": unavailable}
