"""Typed runtime settings: what the generated server needs, passed in, never read from the environment.

Only ``python -m mcpgen.runtime`` (``runtime/__main__.py``) and the serve workflow turn config files,
command-line flags and environment variables into a :class:`Settings`; every other runtime object
takes one as an argument.

A :class:`Settings` is nested by concern, mirroring the config sections::

    Settings(root,
             http=HttpSettings(host, port, protocol_mode, ...),           # server.*: how it listens
             security=SecuritySettings(allowed_hosts, allowed_origins,     # server.allowed_*
                                       cors=CorsSettings(...)),            # server.cors.*
             execution=ExecutionSettings(default_timeout, ...),            # how tools run
             logging=LogSettings(level, format, destination, ...),         # logging.*
             monitoring=MonitoringSettings(metrics, tracing, admin_token), # monitoring.*
             limits=LimitSettings(rate_limit, ..., redis_url),             # rate_limits.*, redis.url
             services, database, secret_values)                            # services.*, database.*

Each part is a frozen dataclass that validates itself. :meth:`Settings.of` and
:meth:`Settings.with_options` take the same values by one flat keyword each
(``Settings.of(root, port=0, log_level="debug", cors_allow_origins=[...])``), see
:class:`SettingsOptions`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import BaseModel, SecretStr

from mcpgen.authoring import DatabaseSettings
from mcpgen.config import Config
from mcpgen.config.models import CacheConfig, OpenApiConfig, ServiceConfig, ToolConfig
from mcpgen.errors import ConfigError
from mcpgen.manifest import Manifest
from mcpgen.plugins import PluginOptions
from mcpgen.runtime.auth.settings import AuthSettings, auth_settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

LogLevelName = Literal["debug", "info", "warning", "error", "critical"]
ProtocolMode = Literal["auto", "stateless", "stateful"]
MIB = 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
logger = logging.getLogger("mcpgen.runtime")


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _freeze(obj: object, *names: str) -> None:
    """Lists are accepted for convenience and frozen into tuples."""
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """``server.*``: how the HTTP transport listens, answers and shuts down."""

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
    max_sessions: int | None = 10_000
    """2025-11-25 sessions open at once; past it, opening another gets 503 (``None``: no limit)."""
    max_request_size: int = 4 * MIB
    max_json_depth: int = 64
    """Deepest nesting of arrays and objects accepted in a request body (deeper: -32600)."""
    graceful_shutdown_timeout: float = 10.0
    request_state_key: str | None = field(default=None, repr=False, compare=False)
    """Key sealing the 2026-07-28 ``requestState`` (shared by replicas); ``None``: a per-process random key."""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, got {self.port}", key="port")
        if self.protocol_mode not in ("auto", "stateless", "stateful"):
            raise ConfigError(f"unknown protocol mode {self.protocol_mode!r}", key="protocol_mode")
        if self.max_request_size <= 0:
            raise ConfigError("max_request_size must be a positive number of bytes", key="max_request_size")
        if self.max_sessions is not None and self.max_sessions < 1:
            raise ConfigError("max_sessions must be at least 1", key="server.max_sessions")
        if self.max_json_depth < 2:
            raise ConfigError("max_json_depth must be at least 2", key="server.max_json_depth")
        if self.graceful_shutdown_timeout < 0:
            raise ConfigError("graceful_shutdown_timeout must be >= 0", key="graceful_shutdown_timeout")
        if self.request_state_key is not None and len(self.request_state_key.encode()) < 32:
            raise ConfigError(
                "server.request_state_key must be at least 32 bytes of secret randomness "
                '(python -c "import secrets; print(secrets.token_hex(32))")',
                key="server.request_state_key",
            )

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


@dataclass(frozen=True, slots=True)
class CorsSettings:
    """``server.cors.*``: which browser origins may call the server (empty ``allow_origins``: CORS off)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("GET", "POST", "DELETE", "OPTIONS")
    allow_headers: tuple[str, ...] = ("*",)
    expose_headers: tuple[str, ...] = ("Mcp-Session-Id",)
    allow_credentials: bool = False
    max_age: int = 600

    def __post_init__(self) -> None:
        _freeze(self, "allow_origins", "allow_methods", "allow_headers", "expose_headers")


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """Host/Origin (DNS-rebinding) validation and CORS.

    See :func:`mcpgen.runtime.transport.security.transport_security` for how the allow lists
    combine with :attr:`HttpSettings.host`.
    """

    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    cors: CorsSettings = field(default_factory=CorsSettings)

    def __post_init__(self) -> None:
        _freeze(self, "allowed_hosts", "allowed_origins")


@dataclass(frozen=True, slots=True)
class ExecutionSettings:
    """How tools run: timeouts, the thread pool, the Node workers, per-tool config, module names."""

    default_timeout: float = 30.0
    """Seconds a call may take when its tool sets no timeout (``server.request_timeout``)."""
    thread_pool_size: int = 32
    node_workers: int = 2
    """Node worker processes for TS/JS tools (started on the first call of such a tool)."""
    tool_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False)
    """Per-tool ``tools.<name>.config`` sections (a seed TS/JS handler's ``config`` argument)."""
    module_namespace: str = "mcpgen_workspace"
    """Package name workspace modules are imported under (a reload uses a fresh one)."""
    max_result_size: int = 16 * MIB
    """Largest tool result or resource accepted from user code, in bytes of text (larger: refused)."""

    def __post_init__(self) -> None:
        if self.max_result_size < 1:
            raise ConfigError(
                "max_result_size must be a positive number of bytes", key="server.max_result_size"
            )
        if not self.default_timeout > 0:
            raise ConfigError("default_timeout must be a positive number of seconds", key="default_timeout")
        if self.node_workers < 1:
            raise ConfigError("node_workers must be at least 1", key="node_workers")
        if self.thread_pool_size < 1:
            raise ConfigError("thread_pool_size must be at least 1", key="thread_pool_size")
        if not self.module_namespace.isidentifier():
            raise ConfigError("module_namespace must be a Python identifier", key="module_namespace")


@dataclass(frozen=True, slots=True)
class LogSettings:
    """``logging.*``: level, format and where the server's log lines go."""

    level: LogLevelName = "info"
    format: Literal["text", "json"] = "text"
    destination: Literal["stderr", "stdout", "file"] = "stderr"
    file: Path | None = None
    access_log: bool = False

    def __post_init__(self) -> None:
        if self.destination == "file" and self.file is None:
            raise ConfigError("logging.destination is file but logging.file is not set", key="logging.file")
        if self.level not in ("debug", "info", "warning", "error", "critical"):
            raise ConfigError(f"unknown log level {self.level!r}", key="log_level")


@dataclass(frozen=True, slots=True)
class MonitoringSettings:
    """``monitoring.*``: Prometheus metrics, OpenTelemetry tracing, the admin API."""

    metrics: bool = True
    metrics_path: str = "/metrics"
    tracing: bool = False
    tracing_endpoint: str | None = None
    """OTLP/HTTP endpoint (``http://collector:4318``); ``None``: the ``OTEL_EXPORTER_OTLP_*`` variables."""
    sample_ratio: float = 1.0
    service_name: str | None = None
    admin_token: str | None = field(default=None, repr=False, compare=False)
    """Bearer token of the admin API under ``/admin/``; ``None``: no admin API."""

    def __post_init__(self) -> None:
        if not self.metrics_path.startswith("/"):
            raise ConfigError("monitoring.metrics.path must start with /", key="monitoring.metrics.path")
        if not 0 <= self.sample_ratio <= 1:
            raise ConfigError(
                "monitoring.tracing.sample_ratio must be between 0 and 1",
                key="monitoring.tracing.sample_ratio",
            )
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ConfigError(
                "monitoring.admin.token must be at least 16 characters", key="monitoring.admin.token"
            )


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """``rate_limits.*`` and ``redis.url``: how often and how much at once each client may call.

    Rates are ``limits`` strings (``"100/minute"``, ``"10/second;500/hour"``);
    ``None``/empty means no limit. A client is the authenticated identity when
    an auth middleware set one, else the peer address (``stdio`` on stdio).
    """

    rate_limit: str | None = None
    """Calls per client, every method the pipeline answers."""
    tool_rate_limits: Mapping[str, str] = field(default_factory=dict)
    """``tools/call`` of one tool per client, by tool name (``*`` globs allowed)."""
    max_concurrent_calls: int | None = None
    """Calls one client may have running at once in this process."""
    redis_url: str | None = field(default=None, repr=False)
    """Where rate-limit counters live so replicas share them (``None``: this process's memory)."""

    def __post_init__(self) -> None:
        rates = [("rate_limits.per_client", self.rate_limit)]
        rates += [(f"rate_limits.per_tool.{name}", rate) for name, rate in self.tool_rate_limits.items()]
        for key, rate in rates:
            if rate:
                try:
                    parse_many(rate)
                except ValueError:
                    raise ConfigError(
                        f'{key}: {rate!r} is not a rate (write e.g. "100/minute" or "5/second;200/hour")',
                        key=key,
                    ) from None
        if self.max_concurrent_calls is not None and self.max_concurrent_calls < 1:
            raise ConfigError("max_concurrent_calls must be at least 1", key="rate_limits.max_concurrent")

    @property
    def enabled(self) -> bool:
        return bool(self.rate_limit or self.tool_rate_limits or self.max_concurrent_calls)


class SettingsOptions(TypedDict, total=False):
    """Every field of a :class:`Settings` as one flat keyword (:meth:`Settings.of`, :meth:`Settings.with_options`).

    ``cors_<name>`` is ``security.cors.<name>``, ``log_<name>`` is ``logging.<name>``; any other
    keyword is the field of that name in ``http``, ``security``, ``execution``, ``logging`` or the
    :class:`Settings` itself.
    """

    host: str
    port: int
    protocol_mode: ProtocolMode
    json_response: bool
    fast_path: bool
    session_idle_timeout: float
    max_sessions: int | None
    max_request_size: int
    max_json_depth: int
    graceful_shutdown_timeout: float
    request_state_key: str | None
    allowed_hosts: tuple[str, ...] | list[str]
    allowed_origins: tuple[str, ...] | list[str]
    cors_allow_origins: tuple[str, ...] | list[str]
    cors_allow_methods: tuple[str, ...] | list[str]
    cors_allow_headers: tuple[str, ...] | list[str]
    cors_expose_headers: tuple[str, ...] | list[str]
    cors_allow_credentials: bool
    cors_max_age: int
    default_timeout: float
    thread_pool_size: int
    node_workers: int
    tool_settings: Mapping[str, Mapping[str, Any]]
    module_namespace: str
    max_result_size: int
    rate_limit: str | None
    tool_rate_limits: Mapping[str, str]
    max_concurrent_calls: int | None
    redis_url: str | None
    log_level: LogLevelName
    log_format: Literal["text", "json"]
    log_destination: Literal["stderr", "stdout", "file"]
    log_file: Path | None
    access_log: bool
    metrics: bool
    metrics_path: str
    tracing: bool
    tracing_endpoint: str | None
    sample_ratio: float
    service_name: str | None
    admin_token: str | None
    services: Mapping[str, ServiceConfig]
    database: DatabaseSettings
    secret_values: tuple[str, ...] | list[str]
    auth: AuthSettings
    openapi: Mapping[str, OpenApiConfig]
    tool_caches: Mapping[str, CacheConfig]
    plugins: PluginOptions


@dataclass(frozen=True, slots=True)
class Settings:
    """How the runtime serves one manifest.

    ``root`` is the workspace directory that manifest entrypoint paths are relative to; the
    other parts are described in the module docstring.
    """

    root: Path
    http: HttpSettings = field(default_factory=HttpSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    logging: LogSettings = field(default_factory=LogSettings)
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    services: Mapping[str, ServiceConfig] = field(default_factory=dict, compare=False)
    """``services.<name>``: each connector's endpoint, timeouts, retry and breaker settings."""
    database: DatabaseSettings = field(default_factory=DatabaseSettings, repr=False, compare=False)
    """``config.database`` as connectors see it (URL and pool limits)."""
    secret_values: tuple[str, ...] = field(default_factory=tuple, repr=False, compare=False)
    """Secret values from the config (service API keys, database password, credentials): redacted from logs."""
    auth: AuthSettings = field(default_factory=AuthSettings, repr=False, compare=False)
    """``server.auth.*`` and ``server.audit.*``: inbound authentication, roles, the audit log."""
    openapi: Mapping[str, OpenApiConfig] = field(default_factory=dict, repr=False, compare=False)
    """``openapi.<name>``: base URL, headers and timeout of each OpenAPI spec's tools."""
    tool_caches: Mapping[str, CacheConfig] = field(default_factory=dict, compare=False)
    """``tools.<name>.cache``: result caching by tool name (over the tool's own ``cache_ttl``)."""
    plugins: PluginOptions = field(default_factory=PluginOptions, compare=False)
    """``plugins.*``: which plugins add middleware and see the server start (:mod:`mcpgen.runtime.plugins`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        _freeze(self, "secret_values")

    @classmethod
    def of(cls, root: Path | str, **options: Unpack[SettingsOptions]) -> Settings:
        """Settings for ``root`` with ``options`` by flat name, defaults elsewhere.

        ``Settings.of(root, port=0, log_level="debug")`` is
        ``Settings(root, http=HttpSettings(port=0), logging=LogSettings(level="debug"))``.
        """
        return cls(root=Path(root)).with_options(**options)

    def with_options(self, **options: Unpack[SettingsOptions]) -> Settings:
        """A copy with ``options`` (flat names, see :class:`SettingsOptions`) replaced; each part re-validated."""
        changes: dict[tuple[str, ...], object] = {}
        for name, value in options.items():
            path = OPTION_PATHS.get(name)
            if path is None:
                raise TypeError(f"Settings.with_options() got an unexpected keyword argument {name!r}")
            changes[path] = value
        return _replaced(self, changes)

    @property
    def loopback(self) -> bool:
        """True when the server only listens on this machine (:attr:`HttpSettings.loopback`)."""
        return self.http.loopback


_Part = TypeVar("_Part", bound="DataclassInstance")
_SECTIONS: dict[str, type[DataclassInstance]] = {
    "http": HttpSettings,
    "security": SecuritySettings,
    "execution": ExecutionSettings,
    "logging": LogSettings,
    "monitoring": MonitoringSettings,
    "limits": LimitSettings,
}
_PREFIXES = {"cors_": ("security", "cors"), "log_": ("logging",)}


def _option_path(name: str) -> tuple[str, ...]:
    """Where the flat option ``name`` lives, as attribute names from a :class:`Settings`."""
    for prefix, section in _PREFIXES.items():
        if name.startswith(prefix):
            return (*section, name.removeprefix(prefix))
    for section_name, section_type in _SECTIONS.items():
        if name in {f.name for f in fields(section_type)}:
            return (section_name, name)
    return (name,)


OPTION_PATHS: dict[str, tuple[str, ...]] = {
    name: _option_path(name) for name in SettingsOptions.__annotations__
}
"""Each :class:`SettingsOptions` keyword and the attribute path it sets, e.g. ``("security", "cors", "max_age")``."""


def _replaced(part: _Part, changes: Mapping[tuple[str, ...], object]) -> _Part:
    """``part`` with each ``path: value`` of ``changes`` set, nested parts rebuilt (and re-validated)."""
    direct: dict[str, object] = {}
    nested: dict[str, dict[tuple[str, ...], object]] = {}
    for (name, *rest), value in changes.items():
        if rest:
            nested.setdefault(name, {})[tuple(rest)] = value
        else:
            direct[name] = value
    for name, inner in nested.items():
        direct[name] = _replaced(getattr(part, name), inner)
    return replace(part, **direct) if direct else part


def settings_from_config(config: Config, root: Path) -> Settings:
    """The runtime settings a loaded :class:`~mcpgen.config.Config` describes, for workspace ``root``."""
    server, logs, cors, rates = config.server, config.logging, config.server.cors, config.rate_limits
    if server.workers > 1:
        logger.warning(
            "server.workers=%d is not supported yet: serving with one process (run replicas instead)",
            server.workers,
        )
    log_file = Path(logs.file) if logs.file else None
    if log_file is not None and not log_file.is_absolute():
        log_file = root / log_file
    return Settings(
        root=root,
        http=HttpSettings(
            host=server.host,
            port=server.port,
            protocol_mode=server.protocol_mode,
            json_response=server.json_response,
            fast_path=server.fast_path,
            session_idle_timeout=server.session_idle_timeout,
            max_sessions=server.max_sessions,
            max_request_size=int(server.max_request_size),
            max_json_depth=server.max_json_depth,
            graceful_shutdown_timeout=server.graceful_shutdown_timeout,
            request_state_key=(
                server.request_state_key.get_secret_value() if server.request_state_key is not None else None
            ),
        ),
        security=SecuritySettings(
            allowed_hosts=tuple(server.allowed_hosts),
            allowed_origins=tuple(server.allowed_origins),
            cors=CorsSettings(**cors.model_dump()),  # the same names, lists frozen into tuples
        ),
        execution=ExecutionSettings(
            default_timeout=float(server.request_timeout),
            thread_pool_size=server.thread_pool_size,
            node_workers=server.node_workers,
            tool_settings={name: dict(t.config) for name, t in config.tools.items() if t.config},
            max_result_size=int(server.max_result_size),
        ),
        logging=LogSettings(
            level=logs.level,
            format=logs.format,
            destination=logs.destination,
            file=log_file,
            access_log=logs.access_log,
        ),
        monitoring=monitoring_settings(config),
        limits=LimitSettings(
            rate_limit=rates.per_client,
            tool_rate_limits=dict(rates.per_tool),
            max_concurrent_calls=rates.max_concurrent,
            redis_url=config.redis.url.get_secret_value() if config.redis.url is not None else None,
        ),
        services=dict(config.services),
        database=DatabaseSettings(
            url=config.database.url.get_secret_value() if config.database.url is not None else None,
            pool_min=config.database.pool_min,
            pool_max=config.database.pool_max,
            pool_idle_timeout=float(config.database.pool_idle_timeout),
        ),
        secret_values=tuple(config_secrets(config)),
        auth=auth_settings(server.auth, server.audit, root),
        openapi=dict(config.openapi),
        tool_caches={name: t.cache for name, t in config.tools.items() if "cache" in t.model_fields_set},
        plugins=PluginOptions.of(config.plugins),
    )


def monitoring_settings(config: Config) -> MonitoringSettings:
    """``monitoring.*`` of ``config`` as runtime settings."""
    metrics, tracing, admin = config.monitoring.metrics, config.monitoring.tracing, config.monitoring.admin
    token = admin.token.get_secret_value() if admin.token is not None else ""
    return MonitoringSettings(
        metrics=metrics.enabled,
        metrics_path=metrics.path,
        tracing=tracing.enabled,
        tracing_endpoint=tracing.endpoint,
        sample_ratio=tracing.sample_ratio,
        service_name=tracing.service_name,
        admin_token=token or None,
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
