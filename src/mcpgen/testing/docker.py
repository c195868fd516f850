"""Docker helpers for end-to-end tests: build the workspace image, run it, wait until it is ready.

They go through the same workflows as ``mcpgen build`` and ``mcpgen run`` (one code path), so an
end-to-end test checks the image a user ships::

    with start_container(workspace, base_image="python:3.12-slim", network="host") as container:
        async with Client(container.mcp_url) as client:
            ...

:func:`start_container` builds (or reuses an unchanged build), starts the container detached,
waits for ``/health/ready`` and returns a :class:`Container`; leaving the ``with`` block (or
:meth:`Container.stop`) removes the container. Images are left for the build cache;
:func:`remove_image` removes one you tagged yourself. Without a reachable engine,
:func:`docker_available` says why, for a skip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["Container", "build_image", "docker_available", "remove_image", "start_container"]


def docker_available() -> str | None:
    """``None`` when a Docker engine answers at ``DOCKER_HOST``; otherwise why not."""
    from mcpgen.build.docker_engine import DockerEngine

    try:
        DockerEngine().ping()
    except Exception as exc:
        return f"no Docker engine answers at {os.environ.get('DOCKER_HOST', 'the default socket')} ({exc})"
    return None


def _options(tag: str | None, base_image: str | None, offline: bool) -> Any:
    from mcpgen.build.plan import BuildOptions

    return BuildOptions(output=tag, base_image=base_image, offline=offline)


def build_image(
    root: Path | str,
    *,
    tag: str | None = None,
    base_image: str | None = None,
    offline: bool = False,
    environ: Mapping[str, str] | None = None,
) -> str:
    """``mcpgen build``: build the workspace's image; returns its first tag (``tag:latest`` with ``tag``)."""
    from mcpgen.workflows.build import build

    result = build(Path(root), _options(tag, base_image, offline), environ=environ)
    return result.tags[0]


def remove_image(ref: str) -> None:
    """Remove an image you built (``force``: also when a stopped container still names it)."""
    from mcpgen.build.docker_engine import DockerEngine

    DockerEngine().remove_image(ref, force=True)


@dataclass
class Container:
    """A running workspace container, ready on :attr:`url`."""

    id: str
    image: str
    url: str

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def logs(self, tail: int | None = 200) -> str:
        from mcpgen.build.docker_engine import DockerEngine

        return "\n".join(DockerEngine().container_logs(self.id, follow=False, tail=tail))

    def stop(self) -> None:
        """Remove the container (stopping it first)."""
        from mcpgen.build.docker_engine import DockerEngine

        DockerEngine().remove_container(self.id)

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_container(
    root: Path | str,
    *,
    tag: str | None = None,
    base_image: str | None = None,
    offline: bool = False,
    port: int | None = None,
    network: str | None = None,
    environ: Mapping[str, str] | None = None,
    ready_timeout: float = 60.0,
) -> Container:
    """``mcpgen run --detach``: build the image, start it on ``127.0.0.1:port``, wait for readiness.

    ``network="host"`` runs it in the host's network (an engine without a bridge network);
    ``environ`` is where the workspace's credentials are read from (default: this process's).
    """
    from mcpgen.workflows.run import RunOptions, start
    from mcpgen.workflows.served import free_port

    options = RunOptions(
        port=port or free_port(),
        host="127.0.0.1",
        network=network,
        detach=True,
        ready_timeout=ready_timeout,
        build=_options(tag, base_image, offline),
    )
    started = start(Path(root), options, environ=environ)
    return Container(started.container_id, started.image, started.url)
