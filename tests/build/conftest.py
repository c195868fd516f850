"""Fixtures for the build tests."""

import pytest
from build_support import small_manifest

from mcpgen.manifest import Manifest


@pytest.fixture
def manifest() -> Manifest:
    return small_manifest()
