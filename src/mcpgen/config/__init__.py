"""mcpgen.config: the runtime configuration (models, loading, rendering).

- :mod:`~mcpgen.config.models`: the pydantic schema (:class:`Config` and its sections);
- :mod:`~mcpgen.config.reader`: safe YAML/JSON reading with line numbers and alias budgets;
- :mod:`~mcpgen.config.substitution`: ``${VAR}`` / ``${VAR:-default}`` / ``$${literal}``;
- :mod:`~mcpgen.config.layers`: environment, ``--set`` and file layers and how they merge;
- :mod:`~mcpgen.config.load`: :func:`load_config`, the one place files and environment are read;
- :mod:`~mcpgen.config.reference`: JSON Schema export and the generated docs reference;
- :mod:`~mcpgen.config.render`: commented ``config.yaml`` / ``config.dev.yaml`` / ``config.prod.yaml``;
- :func:`mask` and :func:`mask_url`: how secrets are shown (the one rule, :mod:`mcpgen.common.masking`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpgen.common.masking import mask, mask_url
from mcpgen.config.load import LoadedConfig, load_config
from mcpgen.config.models import Config

if TYPE_CHECKING:
    from mcpgen.config.reference import config_json_schema
    from mcpgen.config.render import render_config

_LAZY = {"config_json_schema": "reference", "render_config": "render"}
"""Generator-side names, imported on first use: the server reads config but never renders it."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpgen.config' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"mcpgen.config.{module}"), name)
    globals()[name] = value
    return value


__all__ = ["Config", "LoadedConfig", "config_json_schema", "load_config", "mask", "mask_url", "render_config"]
