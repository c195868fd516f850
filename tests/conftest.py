"""Plugins every test directory can use: throwaway PostgreSQL (``postgres``, ``postgres_cluster``) and Redis (``redis_url``).

Under pytest-xdist (``scripts/test.sh`` runs 4 workers), the one-time installs into shared places happen once:
see ``_typescript_schema_generator``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from filelock import FileLock

from mcpgen.discovery import ts_schema

pytest_plugins = ["postgres_support", "redis_support"]


@pytest.fixture(scope="session", autouse=True)
def _typescript_schema_generator() -> None:
    """Under xdist: install the TypeScript schema generator in one worker while the others wait.

    mcpgen installs it with npm into ``~/.cache/mcpgen`` on first use, guarded by a lock that only one
    process sees; workers (and the servers they start) meeting TypeScript tools at the same moment on a
    fresh machine would otherwise run ``npm install`` into one folder together. Already installed: a file
    check. Without xdist there is one process, and mcpgen's own lock suffices.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    prefix = ts_schema.cache_dir()
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(prefix.parent / f"{prefix.name}.lock"), timeout=600):
        ts_schema.ensure_generator()


_UNGROUPED = pytest.StashKey[set[str]]()


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook, which tags each grouped test's id
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup``: note the tests whose ``xdist_group`` was lost (they fail, see below)."""
    if getattr(config.option, "loadgroup", False):
        config.stash[_UNGROUPED] = {
            item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
        }


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a grouped test that xdist did not keep on its group's worker, rather than run it elsewhere.

    Tests of one ``xdist_group`` share a server, an image or a Docker project: spread over workers they
    would start it several times or race on it. pytest-xdist groups them by appending ``@group`` to their
    ids, which some pytest versions ignore (pytest-dev/pytest-xdist#1386).
    """
    if item.nodeid in item.config.stash.get(_UNGROUPED, set()):
        pytest.fail(
            f"--dist loadgroup lost this test's xdist_group: this pytest-xdist does not support pytest "
            f"{pytest.__version__} (see the pin in pyproject.toml); run with -n 0 or another pytest",
            pytrace=False,
        )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
