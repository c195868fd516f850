"""``@connector``: a class that gives tools a ready client for an external service.

A connector declares the credentials it needs and implements ``connect()``,
``close()`` and ``health()`` plus its own methods. The runtime owns its
lifecycle (connect at start, health checks, reconnects, close at shutdown) and
hands the *same* instance to every tool that asks for it, by parameter
annotation (``notion: Notion``, left out of the input schema) or by
``ctx.connector("notion")``.

Before ``connect()`` the runtime sets three attributes:

- ``self.settings``: a :class:`ConnectorSettings` (endpoint, timeout, extras,
  database pool settings, and the resolved credentials);
- ``self.http``: for a connector with an endpoint, one pooled ``httpx.AsyncClient``
  whose requests are authenticated, rate limited, retried and guarded by the
  connector's circuit breaker;
- ``self.guard``: ``async with self.guard:`` gives calls that do not go
  through ``self.http`` (a database driver, a sync SDK in a thread) the same
  rate limit and circuit breaker.

The seed's format (a ``metadata`` dict plus a class with ``initialize(config)``,
``test_connection()`` and ``disconnect()``) is accepted too; see :func:`seed_connector`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, get_args

from mcpgen.authoring import docstrings
from mcpgen.authoring.credentials import Credential, seed_credentials
from mcpgen.authoring.errors import ConnectorError
from mcpgen.authoring.rates import per_minute, seed_rate_limit
from mcpgen.authoring.schema import CONNECTOR_ATTRIBUTE, DefinitionError

if TYPE_CHECKING:
    import httpx

C = TypeVar("C", bound=type)
AuthKind = Literal["api_key", "oauth2", "token", "basic", "none"]
AUTH_KINDS: tuple[str, ...] = get_args(AuthKind)
CONNECTOR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_HTTP_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Health:
    """What ``health()`` may return instead of a bool: the verdict plus a detail shown in ``/health``."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """``config.database``: the URL and the connection-pool limits a database connector should use."""

    url: str | None = field(default=None, repr=False)
    pool_min: int = 1
    pool_max: int = 10
    pool_idle_timeout: float = 300.0


def credential_role(connector: str, name: str) -> str:
    """A credential's role for ``connector``: the name lower-cased without the connector's prefix.

    ``credential_role("gmail", "GMAIL_CLIENT_ID") == "client_id"``;
    ``credential_role("notion", "NOTION_TOKEN") == "token"``; a name without
    the prefix keeps all of it (``API_KEY`` → ``api_key``).
    """
    prefix = re.sub(r"[^A-Z0-9]", "_", connector.upper()) + "_"
    if name.startswith(prefix) and len(name) > len(prefix):
        name = name[len(prefix) :]
    return name.lower()


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    """Everything a connector is configured with (``config.services.<name>`` plus credentials)."""

    name: str
    endpoint: str | None = None
    """Base URL: ``services.<name>.endpoint``, else the ``endpoint=`` the connector declares."""
    timeout: float = 30.0
    """Seconds per request: ``services.<name>.timeout``, else ``server.request_timeout``."""
    extras: Mapping[str, Any] = field(default_factory=dict)
    """``services.<name>.extras``, free-form."""
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Values of the declared credentials that are set, by declared name."""

    def credential(self, key: str) -> str:
        """A credential by declared name (``"GMAIL_CLIENT_ID"``) or role (``"client_id"``).

        Raises :class:`ConnectorError` naming the credential when it is not set.
        """
        value = self.find(key)
        if value is not None:
            return value
        raise ConnectorError(
            f"connector '{self.name}': credential {key!r} is not set "
            "(store it with `mcpgen secrets set NAME` or put it in the environment)",
            connector=self.name,
        )

    def find(self, key: str) -> str | None:
        """Like :meth:`credential`, but ``None`` when it is not set."""
        if key in self.credentials:
            return self.credentials[key]
        return next(
            (value for name, value in self.credentials.items() if credential_role(self.name, name) == key),
            None,
        )


class Guard(Protocol):
    """``async with connector.guard:`` around one service call: rate limit plus circuit breaker."""

    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...


class _NoGuard:
    """The guard of a connector used outside the runtime (a unit test): does nothing."""

    async def __aenter__(self) -> object:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return None


class Connector:
    """Optional base class for connectors: typed attributes and do-nothing lifecycle methods.

    Subclass it for editor help; any class with the same methods works with ``@connector``.
    """

    settings: ConnectorSettings
    http: httpx.AsyncClient
    guard: Guard = _NoGuard()

    async def connect(self) -> None:
        """Open connections, check credentials; raise to report failure."""

    async def close(self) -> None:
        """Release what ``connect`` opened (``self.http`` is closed by the runtime)."""

    async def health(self) -> bool | Health:
        """Whether the service answers now (called every ``services.<name>.health_interval`` seconds)."""
        return True


@dataclass(frozen=True, eq=False)
class ConnectorDefinition:
    """Everything the generator and the runtime know about one connector class."""

    name: str
    cls: type
    kind: str = "generic"
    auth: str = "none"
    description: str = ""
    credentials: tuple[Credential, ...] = ()
    required: bool = True
    endpoint: str | None = None
    rate_limit: float | None = None
    """Requests per minute the service allows (``None``: no limit)."""
    token_url: str | None = None
    auth_header: str | None = None
    scopes: tuple[str, ...] = ()
    attribute: str = ""
    line: int | None = None
    seed: bool = False


def _line(cls: type) -> int | None:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


def _credentials(raw: Sequence[Credential] | None, where: str) -> tuple[Credential, ...]:
    found: dict[str, Credential] = {}
    for cred in raw or ():
        if not isinstance(cred, Credential):
            raise DefinitionError(f"{where}: credentials= takes Credential(...) objects, got {cred!r}")
        found[cred.name] = cred
    return tuple(found.values())


def build_connector(
    cls: type,
    *,
    name: str,
    kind: str = "generic",
    auth: str = "none",
    credentials: Sequence[Credential] | None = None,
    required: bool = True,
    description: str | None = None,
    endpoint: str | None = None,
    rate_limit: float | str | None = None,
    token_url: str | None = None,
    auth_header: str | None = None,
    scopes: Sequence[str] | None = None,
    seed: bool = False,
) -> ConnectorDefinition:
    """Check the declaration and describe it (raises :class:`DefinitionError` naming the problem)."""
    where = f"connector {name!r}"
    if not isinstance(cls, type):
        raise DefinitionError(f"@connector must decorate a class, not {type(cls).__name__}")
    if not isinstance(name, str) or not CONNECTOR_NAME.match(name):
        raise DefinitionError(
            f"@connector on {cls.__name__}: name must be letters, digits, '_' or '-' "
            f"starting with a letter, got {name!r}"
        )
    if auth not in AUTH_KINDS:
        raise DefinitionError(f"{where}: auth must be one of {', '.join(AUTH_KINDS)}, got {auth!r}")
    for method in ("connect", "close", "health"):
        fn = getattr(cls, method, None)
        if fn is not None and not inspect.iscoroutinefunction(fn):
            raise DefinitionError(f"{where}: {cls.__name__}.{method} must be 'async def'")
    if endpoint is not None and not (isinstance(endpoint, str) and _HTTP_URL.match(endpoint)):
        raise DefinitionError(f"{where}: endpoint must be an http:// or https:// URL, got {endpoint!r}")
    if token_url is not None and not (isinstance(token_url, str) and _HTTP_URL.match(token_url)):
        raise DefinitionError(f"{where}: token_url must be an http:// or https:// URL, got {token_url!r}")
    per_min = per_minute(rate_limit, f"{where}: rate_limit")
    creds = _credentials(credentials, where)
    if auth != "none" and not creds:
        raise DefinitionError(f"{where}: auth={auth!r} needs at least one credential in credentials=[...]")
    return ConnectorDefinition(
        name=name,
        cls=cls,
        kind=str(kind),
        auth=auth,
        description=description if description is not None else docstrings.parse(cls.__doc__).description,
        credentials=creds,
        required=bool(required),
        endpoint=endpoint,
        rate_limit=per_min,
        token_url=token_url,
        auth_header=auth_header,
        scopes=tuple(scopes or ()),
        attribute=cls.__name__,
        line=_line(cls),
        seed=seed,
    )


def connector(
    *,
    name: str,
    kind: str = "generic",
    auth: AuthKind = "none",
    credentials: Sequence[Credential] | None = None,
    required: bool = True,
    description: str | None = None,
    endpoint: str | None = None,
    rate_limit: float | str | None = None,
    token_url: str | None = None,
    auth_header: str | None = None,
    scopes: Sequence[str] | None = None,
) -> Callable[[C], C]:
    """Make a class a connector named ``name``; the class is returned unchanged.

    ``auth`` says how ``self.http`` authenticates: ``token``/``api_key`` send
    ``Authorization: Bearer <value>`` (or the raw value in ``auth_header``),
    ``basic`` uses the ``username``/``password`` credentials, ``oauth2`` with a
    ``token_url`` refreshes an access token from ``client_id``,
    ``client_secret`` and ``refresh_token``; ``none`` adds nothing. Credentials
    are matched to these roles by name without the connector prefix
    (``NOTION_TOKEN`` → ``token``). ``required=False`` lets the server start
    without the service (the connector is then ``degraded`` until it connects).
    ``rate_limit`` is what the service allows: a number of requests per minute, or
    ``"3/second"``, ``"600/minute"``, ``"1000/hour"`` (:mod:`mcpgen.authoring.rates`).
    """

    def decorate(cls: C) -> C:
        definition = build_connector(
            cls,
            name=name,
            kind=kind,
            auth=auth,
            credentials=credentials,
            required=required,
            description=description,
            endpoint=endpoint,
            rate_limit=rate_limit,
            token_url=token_url,
            auth_header=auth_header,
            scopes=scopes,
        )
        setattr(cls, CONNECTOR_ATTRIBUTE, definition)
        return cls

    return decorate


# the seed's format ------------------------------------------------------------

_SEED_METHODS = {
    "connect": ("connect", "initialize"),
    "health": ("health", "test_connection", "testConnection"),
    "close": ("close", "disconnect"),
}


def _camel(role: str) -> str:
    head, *rest = role.split("_")
    return head + "".join(part.title() for part in rest)


def seed_config(settings: ConnectorSettings) -> dict[str, Any]:
    """The ``config`` a seed-format connector's ``initialize(config)`` receives (Python and TS/JS alike).

    The ``extras``, then ``endpoint`` and ``timeout``, then each credential that
    is set by its full name and by its role in camelCase (``GMAIL_CLIENT_ID`` →
    ``clientId``, ``NOTION_TOKEN`` → ``token``; see :func:`credential_role`).
    """
    config: dict[str, Any] = {
        **settings.extras,
        "endpoint": settings.endpoint,
        "timeout": settings.timeout,
    }
    for name, value in settings.credentials.items():
        config[name] = value
        config[_camel(credential_role(settings.name, name))] = value
    return config


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class SeedConnector(Connector):
    """Adapts a seed-format class (``initialize(config)``, ``test_connection()``, ``disconnect()``).

    ``initialize`` receives a dict: each credential by its role in camelCase
    (``GMAIL_CLIENT_ID`` → ``clientId``) and by its full name, plus
    ``endpoint``, ``timeout`` and the ``extras``. Other attributes are the
    wrapped object's, so ``ctx.connector("gmail").list_messages()`` works.
    """

    seed_class: type = object

    def __init__(self) -> None:
        self.impl: Any = self.seed_class()

    def config(self) -> dict[str, Any]:
        return seed_config(self.settings)

    async def _call(self, method: str, *args: Any) -> Any:
        for attribute in _SEED_METHODS[method]:
            fn = getattr(self.impl, attribute, None)
            if callable(fn):
                return await _maybe_await(fn(*args))
        return None

    async def connect(self) -> None:
        if callable(getattr(self.impl, "initialize", None)):
            await _maybe_await(self.impl.initialize(self.config()))
        else:
            await self._call("connect")

    async def health(self) -> bool | Health:
        result = await self._call("health")
        return True if result is None else result if isinstance(result, Health) else bool(result)

    async def close(self) -> None:
        await self._call("close")

    def __getattr__(self, name: str) -> Any:
        if name == "impl":
            raise AttributeError(name)
        return getattr(self.impl, name)


def seed_connector(module: ModuleType, metadata: Mapping[str, Any]) -> ConnectorDefinition:
    """Describe a seed-format connector module: ``metadata`` plus the one class defined in it."""
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise DefinitionError("metadata['name'] is missing or not a string")
    where = f"connector {name!r}"
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and not value.__name__.startswith("_")
    ]
    if len(classes) != 1:
        raise DefinitionError(
            f"{where}: a seed-format connector module defines exactly one public class "
            f"(found {', '.join(c.__name__ for c in classes) or 'none'})"
        )
    seed_cls = classes[0]
    has_lifecycle = callable(getattr(seed_cls, "connect", None))
    cls = seed_cls if has_lifecycle else type(seed_cls.__name__, (SeedConnector,), {"seed_class": seed_cls})
    auth = metadata.get("authentication")
    auth_type = auth.get("type") if isinstance(auth, Mapping) else auth
    scopes = auth.get("scopes") if isinstance(auth, Mapping) else None
    rate_limit = seed_rate_limit(metadata, f"{where}: metadata")
    definition = build_connector(
        cls,
        name=name,
        kind=str(metadata.get("type") or "generic"),
        auth=str(auth_type or "none"),
        credentials=seed_credentials(metadata.get("credentials"), where),
        required=bool(metadata.get("required", True)),
        description=str(metadata.get("description") or docstrings.parse(seed_cls.__doc__).description),
        endpoint=metadata.get("endpoint"),
        rate_limit=rate_limit,
        token_url=metadata.get("tokenUrl"),
        scopes=[str(s) for s in scopes] if isinstance(scopes, list) else None,
        seed=True,
    )
    return replace(definition, attribute=seed_cls.__name__, line=_line(seed_cls))
