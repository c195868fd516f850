"""``server.auth.*`` and ``server.audit.*`` as runtime settings (frozen dataclasses, no I/O).

:class:`AuthSettings` is part of :class:`mcpgen.runtime.settings.Settings`
(``settings.auth``); :func:`auth_settings` maps the config sections onto it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcpgen.config.models import AuditConfig, AuthConfig
from mcpgen.errors import ConfigError


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """How JWT bearer tokens are verified (``jwks_url`` or ``public_key``; neither: JWTs are not accepted)."""

    jwks_url: str | None = None
    public_key: str | None = field(default=None, repr=False)
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    leeway: float = 30.0
    roles_claim: str = "roles"
    scopes_claim: str = "scope"
    client_id_claim: str = "sub"
    jwks_cache_seconds: float = 3600.0

    @property
    def enabled(self) -> bool:
        return bool(self.jwks_url) or self.public_key is not None


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """The MCP authorization spec's resource server (``resource`` set: Protected Resource Metadata on)."""

    resource: str | None = None
    authorization_servers: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    introspection_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Role:
    """A role's own permissions and the roles it inherits from."""

    allow: tuple[str, ...] = ()
    inherits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """``server.audit.*``: where the audit log goes and whether it records arguments."""

    enabled: bool = False
    file: Path | None = None
    include_arguments: bool = False


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``server.auth.*``: which credentials are accepted, and the roles they map to."""

    api_keys: bool = False
    api_keys_file: Path | None = None
    """Absolute path of the hashed key file (``None``: ``<root>/.mcpgen/api_keys.json``)."""
    jwt: JwtSettings = field(default_factory=JwtSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    roles: Mapping[str, Role] = field(default_factory=dict)
    default_roles: tuple[str, ...] = ()
    audit: AuditSettings = field(default_factory=AuditSettings)

    def __post_init__(self) -> None:
        for name, role in self.roles.items():
            for parent in role.inherits:
                if parent not in self.roles:
                    raise ConfigError(
                        f"server.auth.roles.{name}.inherits: no role named {parent!r}",
                        key=f"server.auth.roles.{name}.inherits",
                    )

    @property
    def enabled(self) -> bool:
        """Whether HTTP requests to ``/mcp`` must authenticate."""
        return self.api_keys or self.jwt.enabled or bool(self.oauth.resource)


def _under(root: Path, path: str | None) -> Path | None:
    if not path:
        return None
    found = Path(path)
    return found if found.is_absolute() else root / found


def auth_settings(auth: AuthConfig, audit: AuditConfig, root: Path) -> AuthSettings:
    """The runtime view of the ``server.auth`` and ``server.audit`` config sections."""
    jwt, oauth = auth.jwt, auth.oauth
    return AuthSettings(
        api_keys=auth.api_keys,
        api_keys_file=_under(root, auth.api_keys_file),
        jwt=JwtSettings(
            jwks_url=jwt.jwks_url,
            public_key=jwt.public_key.get_secret_value() if jwt.public_key is not None else None,
            algorithms=tuple(jwt.algorithms),
            issuer=jwt.issuer,
            audience=tuple(jwt.audience),
            leeway=jwt.leeway,
            roles_claim=jwt.roles_claim,
            scopes_claim=jwt.scopes_claim,
            client_id_claim=jwt.client_id_claim,
            jwks_cache_seconds=float(jwt.jwks_cache_seconds),
        ),
        oauth=OAuthSettings(
            resource=oauth.resource,
            authorization_servers=tuple(oauth.authorization_servers),
            scopes_supported=tuple(oauth.scopes_supported),
            introspection_url=oauth.introspection_url,
            client_id=oauth.client_id,
            client_secret=oauth.client_secret.get_secret_value() if oauth.client_secret is not None else None,
        ),
        roles={name: Role(tuple(r.allow), tuple(r.inherits)) for name, r in auth.roles.items()},
        default_roles=tuple(auth.default_roles),
        audit=AuditSettings(
            enabled=audit.enabled, file=_under(root, audit.file), include_arguments=audit.include_arguments
        ),
    )


class AuthFailed(Exception):
    """A credential was presented and refused (``message`` is safe to show the caller)."""

    def __init__(self, message: str, *, final: bool = True, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.final = final
        """``False``: not a token this check can judge (no JWT, unknown key); another check may try."""
        self.reason = reason
        """For the metrics: ``invalid``, ``expired``, ``revoked`` (an unknown API key, a token no longer
        active) or ``unavailable`` (the issuer could not be asked)."""
