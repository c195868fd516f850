"""promtool (Debian's ``prometheus`` package) for the tests that check what Prometheus reads.

Missing, the tests skip -- or fail when ``MCPGEN_REQUIRE_PROMTOOL=1`` (set by ``.ci/run``, which
runs scripts/provision-prometheus.sh first).
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("MCPGEN_REQUIRE_PROMTOOL", "") not in ("", "0")


def promtool() -> str:
    """The promtool binary, or skip (fail when required)."""
    found = shutil.which("promtool")
    if found is None:
        if REQUIRED:
            pytest.fail(
                "MCPGEN_REQUIRE_PROMTOOL is set but promtool is missing (scripts/provision-prometheus.sh)"
            )
        pytest.skip("promtool is not installed (scripts/provision-prometheus.sh installs it)")
    return found


def docker_compose() -> str:
    """Compose v1 (Debian's ``docker-compose``, installed with promtool), or skip (fail when required).

    ``docker-compose config`` validates and resolves a compose file without an engine; the v2 plugin
    (``docker compose``) is not packaged for Debian bookworm.
    """
    found = shutil.which("docker-compose")
    if found is None:
        if REQUIRED:
            pytest.fail(
                "MCPGEN_REQUIRE_PROMTOOL is set but docker-compose is missing (scripts/provision-prometheus.sh)"
            )
        pytest.skip("docker-compose is not installed (scripts/provision-prometheus.sh installs it)")
    return found
