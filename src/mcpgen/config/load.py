"""Loading the runtime configuration: files, environment and ``--set``, in one stated order.

Precedence, lowest first::

    defaults < config/config.yaml < config/config.{env}.yaml < MCPGEN_SECTION__KEY < --set section.key=value

``env`` comes from the ``env`` argument, else ``MCPGEN_ENV``. ``${VAR}``
substitution (see :mod:`mcpgen.config.substitution`) applies to the files;
environment variables and ``--set`` values are taken literally. Every problem
is collected and reported in one :class:`~mcpgen.errors.ConfigError`, with the
key path and where the value came from, never the value itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from mcpgen.common.masking import mask, mask_url
from mcpgen.config.layers import (
    KeyPath,
    Layer,
    dotted,
    env_layer,
    file_layer,
    leaves,
    merge_layers,
    model_of,
    set_layer,
    source_of,
)
from mcpgen.config.models import Config
from mcpgen.config.reader import read_document
from mcpgen.config.substitution import substitute
from mcpgen.errors import ConfigError

CONFIG_DIR = "config"
BASE_NAME = "config"
SUFFIXES = (".yaml", ".yml", ".json")
ENV_VAR = "MCPGEN_ENV"
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_URL_SECRETS = frozenset({("database", "url")})
"""Secret fields holding URLs: only their password is masked."""


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config, where each value came from, and the files that were read."""

    config: Config
    sources: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    env: str | None = None
    sensitive: tuple[str, ...] = field(default=(), repr=False)
    missing: tuple[tuple[str, str], ...] = ()
    """``(key path, variable)`` for each ``${VARIABLE}`` left unset (only with ``allow_missing``)."""
    """Values that came from the secret store (or the environment standing in for it): masked
    wherever they land, also in fields not declared secret."""

    def to_data(self, *, reveal: bool = False) -> dict[str, Any]:
        """The config as plain JSON-able data; secrets are masked unless ``reveal``.

        Masked: every secret field, and every occurrence of a secret value (a
        secret field's value, or one of :attr:`sensitive`) in any other string,
        as when ``${API_KEY}`` feeds a free-form field.
        """
        dumped = self.config.model_dump(mode="python")
        found: list[str] = list(self.sensitive)
        _collect_secrets(dumped, found)
        secrets = sorted({value for value in found if value}, key=len, reverse=True)
        data: dict[str, Any] = _plain(dumped, (), reveal, () if reveal else tuple(secrets))
        return data


def _collect_secrets(value: Any, into: list[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _collect_secrets(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_secrets(item, into)
    elif isinstance(value, SecretStr):
        into.append(value.get_secret_value())


_SHORT = 4
"""Secrets shorter than this are masked only where they are the whole value (not inside other text)."""


def _hide(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if text == secret:
            return mask(secret)
        if len(secret) >= _SHORT and secret in text:
            text = text.replace(secret, mask(secret))
    return text


def _plain(value: Any, path: KeyPath, reveal: bool, secrets: Sequence[str]) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item, (*path, key), reveal, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, path, reveal, secrets) for item in value]
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if reveal:
            return secret
        return mask_url(secret) if path in _URL_SECRETS else mask(secret)
    if isinstance(value, str) and secrets:
        return _hide(value, secrets)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # ByteSize and friends become plain ints
    return value


def find_file(directory: Path, stem: str) -> Path | None:
    """``directory/stem.yaml`` (or ``.yml``/``.json``); an error if more than one exists."""
    found = [
        directory / f"{stem}{suffix}" for suffix in SUFFIXES if (directory / f"{stem}{suffix}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(f"{CONFIG_DIR}/{p.name}" for p in found)
        raise ConfigError(f"more than one config file for {stem!r}: {names}; keep one")
    return found[0] if found else None


def config_files(root: Path, env: str | None) -> list[Path]:
    """The files that apply, lowest precedence first (a missing file is simply skipped)."""
    directory = root / CONFIG_DIR
    stems = [BASE_NAME] + ([f"{BASE_NAME}.{env}"] if env else [])
    return [path for stem in stems if (path := find_file(directory, stem)) is not None]


def resolve_env(env: str | None, environ: Mapping[str, str]) -> str | None:
    """The environment name: the argument, else ``MCPGEN_ENV``; validated as a plain name."""
    name = env if env is not None else environ.get(ENV_VAR) or None
    if name is not None and not _ENV_NAME.match(name):
        raise ConfigError(
            f"environment name {name!r} must be letters, digits, '_' or '-' (it names config/config.<env>.yaml)",
            key="env",
        )
    return name


def _allowed_keys(loc: KeyPath) -> list[str]:
    """Keys the model accepts at ``loc`` (a dotted location of a map), or [] if it is free-form."""
    model: type[BaseModel] | None = Config
    skip_map_key = False
    for key in loc:
        if skip_map_key:  # a name in services.<name> / tools.<name>
            skip_map_key = False
            continue
        info = model.model_fields.get(key) if model is not None else None
        if info is None:
            return []
        model, skip_map_key = model_of(info.annotation)
    return [] if model is None or skip_map_key else list(model.model_fields)


def _where(path: KeyPath, sources: Mapping[KeyPath, str]) -> str:
    source = source_of(path, sources)
    if source == "default":
        source = next((s for p, s in sources.items() if p[: len(path)] == path), "default")
    return "" if source == "default" else f" (from {source})"


def schema_problems(exc: ValidationError, sources: Mapping[KeyPath, str]) -> list[tuple[str, str]]:
    """``(key, message)`` for every schema error: the key path and what was expected, never the value."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = tuple(str(part) for part in error["loc"])
        key = dotted(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            expected = f"; expected one of: {', '.join(allowed)}" if allowed else ""
            message = f"unknown key{expected}"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if message.startswith("Input should be "):
                message = "expected " + message.removeprefix("Input should be ")
        problems.append((key, f"{key}: {message}{_where(loc, sources)}"))
    return problems


def build_config(layers: Sequence[Layer]) -> tuple[Config, dict[str, str]]:
    """Merge ``layers`` over the defaults and validate (pure); returns the config and its sources."""
    merged = merge_layers(layers)
    try:
        config = Config.model_validate(merged.data)
    except ValidationError as exc:
        problems = schema_problems(exc, merged.sources)
        raise ConfigError(
            "invalid configuration:\n  " + "\n  ".join(message for _, message in problems), key=problems[0][0]
        ) from None
    data = config.model_dump(mode="python")
    sources = {dotted(path): source_of(path, merged.sources) for path in leaves(data)}
    return config, sources


def load_config(
    root: Path,
    *,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    allow_missing: bool = False,
) -> LoadedConfig:
    """Load ``root/config/config.yaml`` (+ the ``env`` overlay), environment variables and ``overrides``.

    ``environ`` defaults to ``os.environ``; ``overrides`` are ``section.key=value``
    strings from ``--set``. Raises :class:`~mcpgen.errors.ConfigError` listing
    every problem. With ``allow_missing`` an unset ``${NAME}`` (a credential not
    set yet) expands to ``""`` and is listed in :attr:`LoadedConfig.missing`
    instead (``mcpgen config show``, ``mcpgen validate``).
    """
    environ = os.environ if environ is None else environ
    env_name = resolve_env(env, environ)
    files = config_files(root, env_name)
    layers: list[Layer] = []
    problems: list[tuple[str | None, str]] = []
    missing: list[tuple[str, str]] = []
    for path in files:
        label = f"{CONFIG_DIR}/{path.name}"
        document = read_document(path, label)
        document.data, unresolved = substitute(document.data, environ)
        for p in unresolved:
            if allow_missing and p.variable is not None:
                missing.append((p.key, p.variable))
            else:
                problems.append((p.key, f"{label}: {p.key}: {p.message}"))
        layers.append(file_layer(document, label))
    for layer, messages in (env_layer(environ), set_layer(overrides)):
        layers.append(layer)
        problems += [(None, message) for message in messages]
    if problems:
        key = next((k for k, _ in problems if k), None)
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(m for _, m in problems), key=key)
    config, sources = build_config(layers)
    return LoadedConfig(config=config, sources=sources, files=files, env=env_name, missing=tuple(missing))
