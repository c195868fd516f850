"""Served workspaces for tests, started once and shared: the pool behind the ``mcp_server`` fixture.

A server is keyed by what makes it different — the workspace, in-process or subprocess, config
overrides (connector mocks add theirs), extra environment, the config overlay — so tests that ask
for the same server share one, and a test that needs another gets its own, kept until the end of
the session (:meth:`ServerPool.close`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mcp import Client

    from mcpgen.workflows.local import LocalServer

__all__ = ["MODES", "WIRES", "McpServer", "ServerPool", "client_for"]

Mode = Literal["inprocess", "subprocess"]
MODES: tuple[Mode, ...] = ("inprocess", "subprocess")
WIRES = ("2025-11-25", "2026-07-28")
"""The protocol versions a client can pick: the initialize handshake (2025-11-25) or stateless 2026-07-28."""


def client_for(mcp_url: str, wire: str = "2026-07-28", **options: Any) -> Client:
    """The official SDK client for ``mcp_url`` on ``wire`` (``async with client_for(url) as client``)."""
    from mcp import Client

    if wire not in WIRES:
        raise ValueError(f"wire must be one of {', '.join(WIRES)}, not {wire!r}")
    mode = "legacy" if wire == "2025-11-25" else wire
    return Client(mcp_url, mode=mode, **options)


@dataclass(frozen=True)
class McpServer:
    """A workspace served for tests: its URLs, how it runs, and a client factory."""

    root: Path
    mode: Mode
    local: LocalServer

    @property
    def url(self) -> str:
        return self.local.url

    @property
    def mcp_url(self) -> str:
        return self.local.mcp_url

    def client(self, wire: str = "2026-07-28", **options: Any) -> Client:
        """An SDK client for this server on ``wire`` (``async with server.client() as client``)."""
        return client_for(self.mcp_url, wire, **options)


class ServerStartError(Exception):
    """The workspace could not be served (it does not validate, its config is wrong, the server died)."""


@dataclass(frozen=True)
class _Key:
    root: Path
    mode: Mode
    overrides: tuple[str, ...]
    environ: tuple[tuple[str, str], ...]
    env: str | None


class ServerPool:
    """Starts servers on demand and keeps them until :meth:`close` (one per distinct key)."""

    def __init__(self) -> None:
        self._servers: dict[_Key, McpServer] = {}
        self._failed: dict[_Key, ServerStartError] = {}
        """Servers that could not start: every later test asking for one fails at once, with the same reason."""
        self._lock = threading.Lock()

    def get(
        self,
        root: Path,
        *,
        mode: Mode = "inprocess",
        overrides: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
        env: str | None = None,
    ) -> McpServer:
        if mode not in MODES:
            raise ValueError(f"server mode must be one of {', '.join(MODES)}, not {mode!r}")
        key = _Key(root.resolve(), mode, tuple(overrides), tuple(sorted((environ or {}).items())), env)
        with self._lock:
            if key in self._failed:
                raise self._failed[key]
            server = self._servers.get(key)
            if server is None:
                try:
                    server = self._servers[key] = McpServer(key.root, mode, self._start(key))
                except ServerStartError as exc:
                    self._failed[key] = exc
                    raise
            return server

    @staticmethod
    def _start(key: _Key) -> LocalServer:
        from mcpgen.errors import McpgenError, ValidationFailed
        from mcpgen.workflows.local import serve_in_process, serve_subprocess

        environ = dict(key.environ)
        try:
            if key.mode == "subprocess":
                return serve_subprocess(key.root, overrides=key.overrides, env=key.env, environ=environ)
            return serve_in_process(key.root, overrides=key.overrides, env=key.env, environ=environ)
        except ValidationFailed as exc:  # every problem, with file and line, not "run mcpgen validate"
            problems = "\n".join(f"  {d}" for d in exc.report.errors)
            raise ServerStartError(f"the workspace {key.root} does not validate:\n{problems}") from None
        except McpgenError as exc:
            raise ServerStartError(f"cannot serve {key.root}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.local.stop()
