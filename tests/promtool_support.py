"""promtool (Debian's ``prometheus`` package) for the tests that check what Prometheus reads.

Missing, the tests skip -- or fail when ``MCPGEN_REQUIRE_PROMTOOL=1`` (set by ``.ci/run``, which
runs scripts/provision-prometheus.sh first).
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("MCPGEN_REQUIRE_PROMTOOL", "") not in ("", "0")


def _required_binary(name: str, what: str) -> str:
    """The ``name`` binary, or skip -- fail when ``MCPGEN_REQUIRE_PROMTOOL`` is set."""
    found = shutil.which(name)
    if found is None:
        if REQUIRED:
            pytest.fail(
                f"MCPGEN_REQUIRE_PROMTOOL is set but {name} is missing (scripts/provision-prometheus.sh)"
            )
        pytest.skip(f"{name} is not installed (scripts/provision-prometheus.sh installs it {what})")
    return found


def promtool() -> str:
    """The promtool binary, or skip (fail when required)."""
    return _required_binary("promtool", "with Debian's prometheus package")


def docker_compose() -> str:
    """Compose v1 (Debian's ``docker-compose``, installed with promtool), or skip (fail when required).

    ``docker-compose config`` validates and resolves a compose file without an engine; the v2 plugin
    (``docker compose``) is not packaged for Debian bookworm.
    """
    return _required_binary("docker-compose", "from Debian")
