"""A workspace served on 127.0.0.1 for a client in the same program: tests, ``record`` and ``replay``.

Two ways, one handle (:class:`LocalServer`: ``url``, ``mcp_url``, ``secrets``, ``stop()``):

- :func:`serve_in_process` — discover and validate the workspace, then serve it with uvicorn in a
  background thread of this process (fast; the tools are imported here, under a fresh module
  namespace each time, so a changed tool file is imported anew);
- :func:`serve_subprocess` — ``python -m mcpgen serve WS`` as a child process, exactly what a user
  runs, waited for on ``/health/ready`` (its log is kept for the error message).

Both read the workspace's config (``config/config.yaml`` and the layers, stored secrets), with
``overrides`` (``key=value``, as ``--set``) on top. Both serve both wires (2025-11-25 with the
initialize handshake, 2026-07-28 stateless): the client chooses.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from starlette.types import ASGIApp

from mcpgen.errors import McpgenError, UsageError
from mcpgen.runtime.background import BackgroundServer
from mcpgen.runtime.credentials import credential_values
from mcpgen.workflows.serve import ServeOptions, configure, prepare, workspace_rebuild
from mcpgen.workflows.served import running_server, serve_command

DEFAULT_READY_TIMEOUT = 60.0


class LocalServer(Protocol):
    """A served workspace: where to reach it and how to stop it."""

    @property
    def url(self) -> str: ...

    @property
    def mcp_url(self) -> str: ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """Secret values the server knows (credentials, config secrets): what a recording masks."""
        ...

    def stop(self) -> None: ...


@dataclass
class InProcessServer:
    background: BackgroundServer
    root: Path
    secrets: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.background.url

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def stop(self) -> None:
        self.background.stop()


def serve_in_process(
    root: Path,
    *,
    overrides: Sequence[str] = (),
    env: str | None = None,
    port: int = 0,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
    environ: Mapping[str, str] | None = None,
) -> InProcessServer:
    """Serve the workspace at ``root`` in a background thread; ``wrap`` puts ASGI middleware in front.

    ``environ`` adds variables (credentials) to this process's environment first.
    """
    from mcpgen.runtime import create_app  # the SDK: ~0.7 s, only when serving

    os.environ.update(environ or {})
    source = prepare(root, None)
    root = source.root
    options = ServeOptions(host="127.0.0.1", overrides=tuple(overrides), env=env)
    ready = configure(source.manifest, root, options, os.environ)
    settings = ready.settings.with_options(
        port=port, module_namespace=f"mcpgen_local_{uuid.uuid4().hex[:12]}"
    )
    served = replace(source, manifest=ready.manifest)  # as `mcpgen serve`: without broken optional connectors
    registry = served.registry(settings) if served.left_out else None
    rebuild = workspace_rebuild(root, ready.config)
    app: ASGIApp = create_app(ready.manifest, settings, registry=registry, rebuild=rebuild)
    if wrap is not None:
        app = wrap(app)
    background = BackgroundServer(app, port=port, name="mcpgen-local")
    try:
        background.start()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", hint="pick another --port"
        ) from exc
    secrets = (*credential_values(ready.manifest, os.environ), *settings.secret_values)
    return InProcessServer(background, root, tuple(s for s in secrets if s))


@dataclass
class SubprocessServer:
    mcp_url: str
    log_path: Path
    root: Path
    _stack: ExitStack
    secrets: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.mcp_url.removesuffix("/mcp")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM (the graceful path), then SIGKILL after 15 s."""
        self._stack.close()


def serve_subprocess(
    root: Path,
    *,
    overrides: Sequence[str] = (),
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
) -> SubprocessServer:
    """Start ``python -m mcpgen serve ROOT`` on a free 127.0.0.1 port and wait for ``/health/ready``.

    Raises :class:`McpgenError` with the end of the server's log when it exits or is not ready in time.
    """
    log_path = Path(tempfile.mkstemp(prefix="mcpgen-serve-", suffix=".log")[1])
    stack = ExitStack()
    url = stack.enter_context(
        running_server(
            lambda port: serve_command(root, port, env=env, overrides=overrides),
            log_path,
            ready_timeout=ready_timeout,
            fail=lambda message: McpgenError(f"`mcpgen serve {root}`: {message}"),
            environ={**os.environ, **(environ or {}), "PYTHONUNBUFFERED": "1"},
        )
    )
    return SubprocessServer(url, log_path, root, stack)
