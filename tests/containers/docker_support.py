"""Names the Docker tests share (a plain module: ``conftest`` is ambiguous once several exist)."""

from __future__ import annotations

import os

BASE_IMAGE = os.environ.get("MCPGEN_TEST_BASE_IMAGE", "mcpgen-test-base:bookworm")
REGISTRY = f"127.0.0.1:{os.environ.get('MCPGEN_TEST_REGISTRY_PORT', '5000')}"
