"""Typed runtime settings: what the generated server needs, passed in, never read from the environment.

Only ``python -m mcpgen.runtime`` (``runtime/__main__.py``) turns command-line
flags and environment variables into a :class:`Settings`; every other runtime
object takes one as an argument.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from mcpgen.authoring import DatabaseSettings
from mcpgen.config import Config
from mcpgen.config.models import ServiceConfig, ToolConfig
from mcpgen.errors import ConfigError
from mcpgen.manifest import Manifest

LogLevelName = Literal["debug", "info", "warning", "error", "critical"]
MIB = 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


ProtocolMode = Literal["auto", "stateless", "stateful"]


@dataclass(frozen=True, slots=True)
class Settings:
    """How the runtime serves one manifest.

    ``root`` is the workspace directory that manifest entrypoint paths are
    relative to. ``allowed_hosts``/``allowed_origins`` feed Host/Origin
    (DNS-rebinding) validation; see :func:`mcpgen.runtime.app.transport_security`
    for how they combine with ``host``.
    """

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    protocol_mode: ProtocolMode = "auto"
    """``auto``: stateless, except the sessions protocol 2025-11-25 needs for back channels;
    ``stateless``: never a session; ``stateful``: every 2025-era request goes through its session."""
    json_response: bool = False
    """Answer every request with plain JSON, even one that would stream notifications (they are dropped)."""
    fast_path: bool = True
    """Answer plain stateless requests without the SDK's transport (:mod:`mcpgen.runtime.transport.fastpath`)."""
    session_idle_timeout: float = 1800.0
    request_state_key: str | None = field(default=None, repr=False, compare=False)
    """Key sealing the 2026-07-28 ``requestState`` (shared by replicas); ``None``: a per-process random key."""
    default_timeout: float = 30.0
    max_request_size: int = 4 * MIB
    thread_pool_size: int = 32
    node_workers: int = 2
    """Node worker processes for TS/JS tools (started on the first call of such a tool)."""
    tool_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False)
    """Per-tool ``tools.<name>.config`` sections (a seed TS/JS handler's ``config`` argument)."""
    graceful_shutdown_timeout: float = 10.0
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    log_level: LogLevelName = "info"
    log_format: Literal["text", "json"] = "text"
    log_destination: Literal["stderr", "stdout", "file"] = "stderr"
    log_file: Path | None = None
    access_log: bool = False
    cors_allow_origins: tuple[str, ...] = field(default_factory=tuple)
    cors_allow_methods: tuple[str, ...] = ("GET", "POST", "DELETE", "OPTIONS")
    cors_allow_headers: tuple[str, ...] = ("*",)
    cors_expose_headers: tuple[str, ...] = ("Mcp-Session-Id",)
    cors_allow_credentials: bool = False
    cors_max_age: int = 600
    module_namespace: str = "mcpgen_workspace"
    services: Mapping[str, ServiceConfig] = field(default_factory=dict, compare=False)
    """``services.<name>``: each connector's endpoint, timeouts, retry and breaker settings."""
    database: DatabaseSettings = field(default_factory=DatabaseSettings, repr=False, compare=False)
    """``config.database`` as connectors see it (URL and pool limits)."""
    secret_values: tuple[str, ...] = field(default_factory=tuple, repr=False, compare=False)
    """Secret values from the config (service API keys, database password, credentials): redacted from logs."""

    def __post_init__(self) -> None:
        # Lists are accepted for convenience and frozen into tuples.
        object.__setattr__(self, "root", Path(self.root))
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "allowed_origins", tuple(self.allowed_origins))
        for name in ("cors_allow_origins", "cors_allow_methods", "cors_allow_headers", "cors_expose_headers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.log_destination == "file" and self.log_file is None:
            raise ConfigError("logging.destination is file but logging.file is not set", key="logging.file")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, got {self.port}", key="port")
        if not self.default_timeout > 0:
            raise ConfigError("default_timeout must be a positive number of seconds", key="default_timeout")
        if self.max_request_size <= 0:
            raise ConfigError("max_request_size must be a positive number of bytes", key="max_request_size")
        if self.node_workers < 1:
            raise ConfigError("node_workers must be at least 1", key="node_workers")
        if self.thread_pool_size < 1:
            raise ConfigError("thread_pool_size must be at least 1", key="thread_pool_size")
        if self.graceful_shutdown_timeout < 0:
            raise ConfigError("graceful_shutdown_timeout must be >= 0", key="graceful_shutdown_timeout")
        if self.log_level not in ("debug", "info", "warning", "error", "critical"):
            raise ConfigError(f"unknown log level {self.log_level!r}", key="log_level")
        if self.protocol_mode not in ("auto", "stateless", "stateful"):
            raise ConfigError(f"unknown protocol mode {self.protocol_mode!r}", key="protocol_mode")
        if self.request_state_key is not None and len(self.request_state_key.encode()) < 32:
            raise ConfigError(
                "server.request_state_key must be at least 32 bytes of secret randomness "
                '(python -c "import secrets; print(secrets.token_hex(32))")',
                key="server.request_state_key",
            )
        if not self.module_namespace.isidentifier():
            raise ConfigError("module_namespace must be a Python identifier", key="module_namespace")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def settings_from_config(config: Config, root: Path) -> Settings:
    """The runtime settings a loaded :class:`~mcpgen.config.Config` describes, for workspace ``root``."""
    server, logs, cors = config.server, config.logging, config.server.cors
    if server.workers > 1:
        logging.getLogger("mcpgen.runtime").warning(
            "server.workers=%d is not supported yet: serving with one process (run replicas instead)",
            server.workers,
        )
    log_file = Path(logs.file) if logs.file else None
    if log_file is not None and not log_file.is_absolute():
        log_file = root / log_file
    return Settings(
        root=root,
        host=server.host,
        port=server.port,
        protocol_mode=server.protocol_mode,
        session_idle_timeout=server.session_idle_timeout,
        request_state_key=(
            server.request_state_key.get_secret_value() if server.request_state_key is not None else None
        ),
        json_response=server.json_response,
        fast_path=server.fast_path,
        default_timeout=float(server.request_timeout),
        max_request_size=int(server.max_request_size),
        thread_pool_size=server.thread_pool_size,
        node_workers=server.node_workers,
        tool_settings={name: dict(t.config) for name, t in config.tools.items() if t.config},
        graceful_shutdown_timeout=server.graceful_shutdown_timeout,
        allowed_hosts=tuple(server.allowed_hosts),
        allowed_origins=tuple(server.allowed_origins),
        log_level=logs.level,
        log_format=logs.format,
        log_destination=logs.destination,
        log_file=log_file,
        access_log=logs.access_log,
        cors_allow_origins=tuple(cors.allow_origins),
        cors_allow_methods=tuple(cors.allow_methods),
        cors_allow_headers=tuple(cors.allow_headers),
        cors_expose_headers=tuple(cors.expose_headers),
        cors_allow_credentials=cors.allow_credentials,
        cors_max_age=cors.max_age,
        services=dict(config.services),
        database=DatabaseSettings(
            url=config.database.url.get_secret_value() if config.database.url is not None else None,
            pool_min=config.database.pool_min,
            pool_max=config.database.pool_max,
            pool_idle_timeout=float(config.database.pool_idle_timeout),
        ),
        secret_values=tuple(config_secrets(config)),
    )


def config_secrets(config: Config) -> list[str]:
    """Every non-empty secret value in ``config`` (each ``SecretStr``, and a database URL's password)."""
    values: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if secret:
                values.append(secret)
                password = urlsplit(secret).password if "://" in secret else None
                if password:
                    values.append(password)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                collect(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect(config)
    return values


def apply_tool_overrides(manifest: Manifest, tools: Mapping[str, ToolConfig]) -> Manifest:
    """``manifest`` with the config's ``tools.<name>`` applied: disabled tools removed, timeouts replaced.

    A name that is not a tool of the manifest is an error (a typo would otherwise silently do nothing).
    """
    known = {t.name for t in manifest.tools}
    unknown = sorted(set(tools) - known)
    if unknown:
        raise ConfigError(
            f"tools.{unknown[0]}: no such tool (configured: {', '.join(unknown)}; "
            f"the manifest has: {', '.join(sorted(known)) or 'no tools'})",
            key=f"tools.{unknown[0]}",
        )
    kept = []
    for entry in manifest.tools:
        override = tools.get(entry.name)
        if override is None:
            kept.append(entry)
        elif override.enabled:
            timeout = float(override.timeout) if override.timeout is not None else entry.timeout
            kept.append(entry.model_copy(update={"timeout": timeout}))
    return manifest.model_copy(update={"tools": kept})
