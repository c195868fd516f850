"""The runtime configuration schema: one pydantic model per section of ``config.yaml``.

Field descriptions are the single source of truth for the JSON Schema
(``config/schema.json``), the comments in rendered config files and the field
tables in ``docs/configuration.md``. Defaults match :class:`mcpgen.runtime.settings.Settings`.

Unknown keys are errors everywhere except in the free-form maps
(``services.<name>.extras`` and ``features``). Values that arrive as strings
(environment variables, ``--set``, ``${VAR}`` substitutions) are coerced by the
field's type; list fields also accept ``[a, b]`` (JSON/YAML flow) or ``a,b``.
A field whose schema carries ``"x-merge": "append"`` is concatenated across
layers instead of replaced.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ByteSize,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mcpgen.authoring.rates import per_minute

MIB = 1024 * 1024
_HTTP_URL = re.compile(r"^https?://\S+$")
APPEND: dict[str, Any] = {"x-merge": "append"}
"""``json_schema_extra`` of list fields whose values are concatenated across layers."""

_DB_SCHEMES = {
    "postgres": ("postgres", "postgresql"),
    "mysql": ("mysql", "mariadb"),
    "sqlite": ("sqlite",),
}


def _parse_flow(value: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(value)
    except YAMLError as exc:
        raise ValueError("cannot parse the value as a JSON/YAML flow collection") from exc


def _rate(value: Any) -> Any:
    """``"3/second"``, ``"1000/hour"`` → requests per minute; numbers (and numeric strings) pass on."""
    if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
        return per_minute(value, "the rate")
    return value


def parse_list(value: Any) -> Any:
    """Accept ``[a, b]`` (JSON or YAML flow) or ``a, b`` where a list is expected."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return _parse_flow(text)
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_map(value: Any) -> Any:
    """Accept ``{a: 1}`` (JSON or YAML flow) or an empty string where a map is expected."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    return _parse_flow(text) if text.startswith("{") else ({} if not text else value)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(parse_list)]
Seconds = Annotated[float, Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class CorsConfig(_Section):
    """Cross-origin resource sharing for browser clients. Off while `allow_origins` is empty."""

    allow_origins: StrList = Field(
        default_factory=list,
        description='Origins allowed to call the server from a browser, e.g. "https://app.example.com"; "*" allows any.',
    )
    allow_methods: StrList = Field(
        default_factory=lambda: ["GET", "POST", "DELETE", "OPTIONS"],
        description="HTTP methods allowed in cross-origin requests.",
    )
    allow_headers: StrList = Field(
        default_factory=lambda: ["*"],
        description='Request headers allowed in cross-origin requests ("*" for any).',
    )
    expose_headers: StrList = Field(
        default_factory=lambda: ["Mcp-Session-Id"],
        description="Response headers a browser client may read.",
    )
    allow_credentials: bool = Field(False, description="Whether browsers may send cookies and auth headers.")
    max_age: int = Field(600, ge=0, description="Seconds a browser may cache a preflight answer.")


class JwtConfig(_Section):
    """JWT bearer tokens, verified locally (on when `jwks_url` or `public_key` is set)."""

    jwks_url: str | None = Field(
        None,
        description="URL of the issuer's JWKS; keys are cached and refetched when a token names an unknown kid.",
        json_schema_extra={"pattern": _HTTP_URL.pattern},
    )
    public_key: SecretStr | None = Field(
        None, description="A PEM public key (or HS256 shared secret) instead of a JWKS URL, usually ${VAR}."
    )
    algorithms: StrList = Field(
        default_factory=lambda: ["RS256", "ES256"], description="Accepted signing algorithms."
    )
    issuer: str | None = Field(None, description="Required iss claim; empty: not checked.")
    audience: StrList = Field(
        default_factory=list,
        description="Accepted aud values; empty: server.auth.oauth.resource when set, else not checked.",
    )
    leeway: float = Field(30.0, ge=0, description="Seconds of clock skew allowed on exp/nbf/iat.")
    roles_claim: str = Field(
        "roles",
        description="Claim holding the caller's roles (a list or a space-separated string); dots nest.",
    )
    scopes_claim: str = Field(
        "scope", description="Claim holding the granted scopes (space-separated or a list)."
    )
    client_id_claim: str = Field("sub", description="Claim naming the caller in the audit log.")
    jwks_cache_seconds: Seconds = Field(
        3600.0, description="Seconds a fetched JWKS is trusted before a refetch."
    )


class OAuthConfig(_Section):
    """OAuth 2.1 resource server per the MCP authorization spec (on when `resource` is set)."""

    resource: str | None = Field(
        None,
        description=(
            "This server's canonical URL, e.g. https://mcp.example.com/mcp: served in the Protected Resource "
            "Metadata and required as the token audience."
        ),
        json_schema_extra={"pattern": _HTTP_URL.pattern},
    )
    authorization_servers: StrList = Field(
        default_factory=list, description="Issuer URLs of the authorization servers clients should use."
    )
    scopes_supported: StrList = Field(
        default_factory=list, description="Scopes listed in the Protected Resource Metadata."
    )
    introspection_url: str | None = Field(
        None,
        description="RFC 7662 introspection endpoint for opaque tokens (used when a token is not a JWT we verify).",
        json_schema_extra={"pattern": _HTTP_URL.pattern},
    )
    client_id: str | None = Field(None, description="Client id for the introspection endpoint (basic auth).")
    client_secret: SecretStr | None = Field(
        None, description="Client secret for the introspection endpoint, usually ${VAR}. Secret."
    )


class RoleConfig(_Section):
    """One role: what it may call, and the roles whose permissions it inherits."""

    inherits: StrList = Field(default_factory=list, description="Roles whose permissions this role also has.")
    allow: StrList = Field(
        default_factory=list,
        description=(
            'Permissions: "tool:<glob>", "resource:<glob>" (on the URI), "prompt:<glob>", "tag:<tag>" '
            '(tools with that tag), or "*" for everything.'
        ),
    )


class AuthConfig(_Section):
    """Inbound authentication and per-tool authorization (off unless a method is configured; stdio never)."""

    api_keys: bool = Field(
        False, description="Accept keys made with `mcpgen keys create` (Bearer or X-API-Key)."
    )
    api_keys_file: str = Field(
        ".mcpgen/api_keys.json",
        description="Hashed key file (relative to the workspace); mount it in containers.",
    )
    jwt: JwtConfig = Field(default_factory=JwtConfig, description=JwtConfig.__doc__)
    oauth: OAuthConfig = Field(default_factory=OAuthConfig, description=OAuthConfig.__doc__)
    roles: dict[str, RoleConfig] = Field(
        default_factory=dict,
        description="Roles by name; empty: every authenticated caller may call everything.",
    )
    default_roles: StrList = Field(
        default_factory=list, description="Roles every authenticated caller has besides its own."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AuthConfig:
        problems: list[str] = []
        oauth, jwt = self.oauth, self.jwt
        if jwt.jwks_url and jwt.public_key is not None:
            problems.append("jwt: set jwks_url or public_key, not both")
        if oauth.resource:
            if not oauth.authorization_servers:
                problems.append("oauth.authorization_servers is required when oauth.resource is set")
            if not (jwt.jwks_url or jwt.public_key is not None or oauth.introspection_url):
                problems.append(
                    "oauth.resource needs a way to check tokens: jwt.jwks_url, jwt.public_key "
                    "or oauth.introspection_url"
                )
        elif oauth.introspection_url:
            problems.append("oauth.introspection_url needs oauth.resource (the audience tokens must name)")
        for name, role in self.roles.items():
            for parent in role.inherits:
                if parent not in self.roles:
                    problems.append(f"roles.{name}.inherits: no role named {parent!r}")
        for name in self.default_roles:
            if name not in self.roles:
                problems.append(f"default_roles: no role named {name!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class AuditConfig(_Section):
    """The audit log: one JSON line per call (time, client, method, target, decision, duration, outcome)."""

    enabled: bool = Field(False, description="Write the audit log.")
    file: str | None = Field(
        None,
        description="Audit file (JSON lines, relative to the workspace); empty: the mcpgen.audit logger.",
    )
    include_arguments: bool = Field(
        False, description="Also record call arguments (secret values are masked)."
    )


class ServerConfig(_Section):
    """How the server listens and serves MCP over HTTP."""

    host: str = Field("127.0.0.1", min_length=1, description="Interface to listen on; 0.0.0.0 in containers.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port to listen on (0 picks a free one).")
    protocol_mode: Literal["auto", "stateless", "stateful"] = Field(
        "auto",
        description=(
            "auto: stateless (any replica answers), except that protocol 2025-11-25 clients get a session "
            "for what needs a back channel (sampling, elicitation, roots, subscriptions); "
            "stateless: never a session (those features fail clearly on 2025-11-25); "
            "stateful: every 2025-11-25 request goes through its session."
        ),
    )
    json_response: bool = Field(
        False,
        description=(
            "Answer every request with plain JSON, dropping progress and log notifications "
            "(default: JSON unless the request needs a stream)."
        ),
    )
    fast_path: bool = Field(
        True,
        description=(
            "Answer plain stateless requests (no session, no stream) in mcpgen's own fast path; "
            "false: every request goes through the MCP SDK's transport (slower, same answers)."
        ),
    )
    session_idle_timeout: Seconds = Field(
        1800.0, description="Seconds an idle 2025-11-25 session is kept before it is closed."
    )
    max_sessions: int | None = Field(
        10_000,
        ge=1,
        description="2025-11-25 sessions open at once; past it a new session gets 503 (null: no limit).",
    )
    max_json_depth: int = Field(
        64, ge=2, description="Deepest nesting of arrays and objects accepted in a request body."
    )
    max_result_size: ByteSize = Field(
        ByteSize(16 * MIB),
        description=(
            "Largest tool result or resource a call may return, in bytes of text "
            '("16MiB"); a larger one is refused with isError (a JSON-RPC error for resources).'
        ),
    )
    request_state_key: SecretStr | None = Field(
        None,
        description=(
            "Key (32+ bytes) sealing the 2026-07-28 requestState of multi-round calls; set the same "
            "${VAR} on every replica. Unset: a random per-process key. Secret."
        ),
    )
    cors: CorsConfig = Field(default_factory=CorsConfig, description=CorsConfig.__doc__)
    max_request_size: ByteSize = Field(
        ByteSize(4 * MIB),
        description='Largest accepted request body, in bytes or with a unit ("4MiB", "512KB").',
    )
    allowed_origins: StrList = Field(
        default_factory=list,
        description="Origin header values accepted on /mcp (DNS-rebinding protection); empty: same-host only.",
    )
    allowed_hosts: StrList = Field(
        default_factory=list, description="Host header values accepted on /mcp; empty: derived from host."
    )
    workers: int = Field(1, ge=1, description="Server processes; each runs its own tool executors.")
    thread_pool_size: int = Field(32, ge=1, description="Threads per process for synchronous Python tools.")
    node_workers: int = Field(
        2, ge=1, description="Node worker processes per server process for TS/JS tools."
    )
    request_timeout: Seconds = Field(
        30.0,
        description="Seconds a tool call may run before it is cancelled (per-tool timeouts override it).",
    )
    graceful_shutdown_timeout: float = Field(
        10.0, ge=0, description="Seconds in-flight requests get to finish on shutdown."
    )
    auth: AuthConfig = Field(default_factory=AuthConfig, description=AuthConfig.__doc__)
    audit: AuditConfig = Field(default_factory=AuditConfig, description=AuditConfig.__doc__)


class RateLimitsConfig(_Section):
    """Per-client call limits, off while unset; over one: HTTP 429 + Retry-After (stdio: JSON-RPC -32000)."""

    per_client: str | None = Field(
        None, description='Calls per client, e.g. "100/minute" or "10/second;1000/hour" (any method).'
    )
    per_tool: Annotated[dict[str, str], BeforeValidator(parse_map)] = Field(
        default_factory=dict,
        description='tools/call per client per tool, by tool name or glob, e.g. {search: "10/minute"}.',
    )
    max_concurrent: int | None = Field(
        None, ge=1, description="Calls one client may have running at once (per server process)."
    )


class RedisConfig(_Section):
    """Redis, for state replicas share (rate-limit counters)."""

    url: SecretStr | None = Field(
        None,
        description=(
            'Redis URL, e.g. "redis://redis:6379/0"; set: rate limits are counted in Redis '
            "(shared by replicas), unset: in each process's memory. Secret."
        ),
    )


class LoggingConfig(_Section):
    """What the server logs and where."""

    level: Annotated[Literal["debug", "info", "warning", "error", "critical"], BeforeValidator(_lower)] = (
        Field("info", description="Least severe level that is logged.")
    )
    format: Literal["json", "text"] = Field("text", description="json: one object per line; text: key=value.")
    destination: Literal["stdout", "stderr", "file"] = Field(
        "stderr", description="Where log lines go; with the stdio transport stdout is reserved for MCP."
    )
    file: str | None = Field(
        None, description="Log file path (relative to the workspace) when destination is file."
    )
    access_log: bool = Field(False, description="Log one line per HTTP request.")

    @model_validator(mode="after")
    def _file_when_needed(self) -> LoggingConfig:
        if self.destination == "file" and not self.file:
            raise ValueError("file is required when destination is 'file'")
        return self


class DatabaseConfig(_Section):
    """The database tools and connectors share (sqlite needs no server)."""

    type: Literal["sqlite", "postgres", "mysql"] = Field("sqlite", description="Database engine.")
    url: SecretStr | None = Field(
        None,
        description="Connection URL, e.g. ${DATABASE_URL}; required for postgres and mysql. "
        "Empty for sqlite: .mcpgen/data.sqlite3 in the workspace.",
    )
    pool_min: int = Field(1, ge=0, description="Connections kept open when idle.")
    pool_max: int = Field(10, ge=1, description="Most connections open at once.")
    pool_idle_timeout: Seconds = Field(
        300.0, description="Seconds before an idle connection above pool_min closes."
    )

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseConfig:
        problems: list[str] = []
        url = self.url.get_secret_value() if self.url is not None else ""
        if self.type != "sqlite" and not url:
            problems.append(f"url is required when type is '{self.type}'")
        scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if url else ""
        if url and scheme not in _DB_SCHEMES[self.type]:
            problems.append(
                f"url scheme must be one of {', '.join(_DB_SCHEMES[self.type])} for type '{self.type}'"
            )
        if self.pool_min > self.pool_max:
            problems.append("pool_min must not exceed pool_max")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class RetryConfig(_Section):
    """How a connector retries: reconnects, and idempotent requests that failed in transit or got 429/502/503/504."""

    max_retries: int = Field(3, ge=0, le=20, description="Retries after the first attempt (0: none).")
    initial: Seconds = Field(0.5, description="First backoff in seconds; doubles each retry, with jitter.")
    max: Seconds = Field(30.0, description="Longest single wait in seconds (also caps a Retry-After).")


class CircuitBreakerConfig(_Section):
    """When a failing service is cut off (calls fail at once) and when it is tried again."""

    failure_threshold: int = Field(5, ge=1, description="Consecutive failures that open the circuit.")
    reset_timeout: Seconds = Field(30.0, description="Seconds the circuit stays open before one trial call.")


class ServiceConfig(_Section):
    """Settings for one external service a connector talks to (``services.<connector name>``)."""

    api_key: SecretStr | None = Field(None, description="API key, usually ${SERVICE_API_KEY}. Secret.")
    endpoint: str | None = Field(
        None,
        description="Base URL (http:// or https://); empty: the connector's default.",
        json_schema_extra={"pattern": _HTTP_URL.pattern},
    )
    timeout: Seconds | None = Field(None, description="Seconds per request; empty: server.request_timeout.")
    connect_timeout: Seconds = Field(10.0, description="Seconds connect() may take at start-up.")
    required: bool | None = Field(
        None,
        description="Override the connector's own required=: true stops start-up when it cannot connect.",
    )
    rate_limit: Annotated[float | None, BeforeValidator(_rate)] = Field(
        None,
        gt=0,
        description="Requests per minute, or '3/second', '1000/hour'; empty: what the connector declares "
        "(or no limit).",
    )
    health_interval: Seconds = Field(
        30.0, description="Seconds between health checks, and between reconnect rounds while down."
    )
    max_connections: int = Field(20, ge=1, description="Most open HTTP connections of the pooled client.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description=RetryConfig.__doc__)
    circuit_breaker: CircuitBreakerConfig = Field(
        default_factory=CircuitBreakerConfig, description=CircuitBreakerConfig.__doc__
    )
    extras: Annotated[dict[str, Any], BeforeValidator(parse_map)] = Field(
        default_factory=dict, description="Free-form settings passed to the connector as they are."
    )

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not _HTTP_URL.match(value):
            raise ValueError("expected an http:// or https:// URL")
        return value


class ToolConfig(_Section):
    """Overrides for one tool, by tool name."""

    enabled: bool = Field(True, description="false hides the tool from tools/list and rejects calls.")
    timeout: Seconds | None = Field(
        None, description="Seconds per call; empty: the tool's own timeout, else server.request_timeout."
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Settings passed to a seed-format TS/JS handler as its config argument (over metadata.config).",
    )


class MetricsConfig(_Section):
    """Prometheus metrics."""

    enabled: bool = Field(True, description="Serve Prometheus metrics.")
    path: str = Field("/metrics", pattern=r"^/", description="URL path of the metrics endpoint.")


class TracingConfig(_Section):
    """OpenTelemetry tracing."""

    enabled: bool = Field(False, description="Export OpenTelemetry traces.")
    endpoint: str | None = Field(
        None, description="OTLP endpoint, e.g. http://collector:4318; empty: OTel env vars."
    )
    sample_ratio: float = Field(1.0, ge=0, le=1, description="Fraction of requests traced (0 to 1).")
    service_name: str | None = Field(
        None, description="service.name of the spans; empty: OTEL_SERVICE_NAME, else mcpgen."
    )


class AdminConfig(_Section):
    """The admin API under /admin/ (reload, stats, config, debug-info): off unless a token is set."""

    token: SecretStr | None = Field(
        None,
        description="Bearer token the admin API requires, usually ${MCPGEN_ADMIN_TOKEN}; empty: no admin API. "
        "Secret.",
    )


class MonitoringConfig(_Section):
    """Health, metrics, tracing and the admin API."""

    health_enabled: bool = Field(True, description="Serve /health, /health/live and /health/ready.")
    metrics: MetricsConfig = Field(default_factory=MetricsConfig, description=MetricsConfig.__doc__)
    tracing: TracingConfig = Field(default_factory=TracingConfig, description=TracingConfig.__doc__)
    admin: AdminConfig = Field(default_factory=AdminConfig, description=AdminConfig.__doc__)


class PluginsConfig(_Section):
    """Generator and runtime plugins (entry points and the workspace plugins/ folder)."""

    enabled: StrList = Field(
        default_factory=list,
        description="Plugins to load by name; empty: every installed one. Concatenated across layers.",
        json_schema_extra=APPEND,
    )
    disabled: StrList = Field(
        default_factory=list,
        description="Plugins never to load, even if installed. Concatenated across layers.",
        json_schema_extra=APPEND,
    )
    paths: StrList = Field(
        default_factory=list,
        description="Extra folders to load plugins from, besides plugins/. Concatenated across layers.",
        json_schema_extra=APPEND,
    )


class Config(_Section):
    """The runtime configuration of an mcpgen server (config/config.yaml)."""

    model_config = ConfigDict(title="mcpgen runtime config")

    server: ServerConfig = Field(default_factory=ServerConfig, description=ServerConfig.__doc__)
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description=LoggingConfig.__doc__)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig, description=DatabaseConfig.__doc__)
    services: dict[str, ServiceConfig] = Field(
        default_factory=dict, description="External services by name (connector settings)."
    )
    features: Annotated[dict[str, bool], BeforeValidator(parse_map)] = Field(
        default_factory=dict, description="Feature flags by name, free-form: true or false."
    )
    tools: dict[str, ToolConfig] = Field(default_factory=dict, description="Per-tool overrides by tool name.")
    monitoring: MonitoringConfig = Field(
        default_factory=MonitoringConfig, description=MonitoringConfig.__doc__
    )
    plugins: PluginsConfig = Field(default_factory=PluginsConfig, description=PluginsConfig.__doc__)
    rate_limits: RateLimitsConfig = Field(
        default_factory=RateLimitsConfig, description=RateLimitsConfig.__doc__
    )
    redis: RedisConfig = Field(default_factory=RedisConfig, description=RedisConfig.__doc__)
    credentials: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Credential values by name, as modules declare them; usually ${NAME} placeholders.",
    )


SECTIONS = tuple(Config.model_fields)
"""Top-level keys; only ``MCPGEN_<SECTION>__...`` environment variables are config."""
