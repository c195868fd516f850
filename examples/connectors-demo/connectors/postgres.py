# /// script
# dependencies = ["psycopg[binary]>=3.2", "psycopg-pool>=3.2"]
# ///
"""PostgreSQL: read-only SQL through a psycopg 3 connection pool.

Where the database is: ``config.database.url`` (``config/config.yaml`` has
``url: ${DATABASE_URL}``), else the ``DATABASE_URL`` credential. Pool limits come
from ``config.database`` (``pool_min``, ``pool_max``, ``pool_idle_timeout``), the
statement timeout from ``services.postgres.timeout`` and the rest from
``services.postgres.extras``:

- ``max_rows`` (default 500): rows a query returns at most; more are cut and
  the result says ``truncated: true``.
- ``pool_timeout`` (default 5): seconds a call waits for a free connection.

Every query runs in its own ``READ ONLY`` transaction that is always rolled
back, with server-side parameters only (``%s`` or ``%(name)s`` placeholders)
and one statement per call. Still, point it at a role that can only read.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from mcpgen import (
    Connector,
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailable,
    Credential,
    Health,
    connector,
)

Params = Sequence[Any] | Mapping[str, Any] | None

_LOGIN_REFUSED = ("password authentication failed", "no password supplied", "pg_hba.conf", 'role "')
DEFAULT_MAX_ROWS = 500
DEFAULT_POOL_TIMEOUT = 5.0
HEALTH_WAIT = 2.0  # seconds a health check waits for a connection: a dead server shows up fast


@connector(
    name="postgres",
    kind="database",
    auth="none",  # the password travels inside the URL; nothing for the runtime to add
    credentials=[
        Credential(
            "DATABASE_URL",
            kind="url",
            required=False,
            description="postgresql://user:password@host:5432/dbname (used when config.database.url is empty)",
        )
    ],
    required=False,
)
class Postgres(Connector):
    """A PostgreSQL database, queried read-only through a connection pool."""

    pool: AsyncConnectionPool | None = None

    # lifecycle ------------------------------------------------------------------

    async def connect(self) -> None:
        url = self._url()
        # One direct connection first: a wrong password or an unknown database is reported as
        # such (a pool would only time out while it retries in the background).
        probe = await self._open(url)
        await probe.close()
        db = self.settings.database
        pool = AsyncConnectionPool(
            url,
            min_size=db.pool_min,
            max_size=db.pool_max,
            max_idle=db.pool_idle_timeout,
            timeout=self._pool_timeout,
            # autocommit: every query opens its own transaction explicitly (see query()).
            # prepare_threshold=None: ad-hoc SQL, nothing worth preparing server-side.
            kwargs={
                "autocommit": True,
                "prepare_threshold": None,
                "application_name": "mcpgen-postgres",
                "connect_timeout": max(1, round(self.settings.timeout)),
            },
            check=AsyncConnectionPool.check_connection,  # drop connections a restart has broken
            reset=_reset_session,
            name="mcpgen-postgres",
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=max(self._pool_timeout, 1.0))
        except BaseException:
            await pool.close()
            raise
        self.pool = pool

    async def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close(timeout=5)

    async def health(self) -> Health:
        try:
            await self._fetch(
                "SELECT 1",
                None,
                max_rows=1,
                statement_timeout=min(self.settings.timeout, 5.0),
                wait=HEALTH_WAIT,
            )
        except ConnectorError as exc:
            return Health(False, str(exc))
        pool = self.pool
        stats = pool.get_stats() if pool is not None else {}
        return Health(True, f"pool {stats.get('pool_size', 0)} open, {stats.get('pool_available', 0)} idle")

    # what tools call ------------------------------------------------------------

    async def query(self, sql: str, params: Params = None, *, max_rows: int | None = None) -> dict[str, Any]:
        """Run one read-only statement with server-side parameters.

        Returns ``{"columns": [...], "rows": [[...], ...], "row_count": n, "truncated": bool}``
        with JSON-safe values (numeric → string, timestamps → ISO 8601, bytea → base64).
        """
        if not sql.strip():
            raise ConnectorError("the SQL statement is empty", connector="postgres")
        limit = max_rows if max_rows is not None else self._max_rows
        return await self._fetch(sql, params, max_rows=limit, statement_timeout=self.settings.timeout)

    # internals ------------------------------------------------------------------

    @property
    def _max_rows(self) -> int:
        return max(1, int(self.settings.extras.get("max_rows", DEFAULT_MAX_ROWS)))

    @property
    def _pool_timeout(self) -> float:
        return float(self.settings.extras.get("pool_timeout", DEFAULT_POOL_TIMEOUT))

    def _url(self) -> str:
        url = self.settings.database.url or self.settings.credentials.get("DATABASE_URL")
        if not url:
            raise ConnectorAuthError(
                "no database URL: set config.database.url (e.g. ${DATABASE_URL}) or the DATABASE_URL credential",
                connector="postgres",
            )
        return url

    async def _open(self, url: str) -> psycopg.AsyncConnection[Any]:
        try:
            return await psycopg.AsyncConnection.connect(
                url, autocommit=True, connect_timeout=max(1, round(self.settings.timeout))
            )
        except psycopg.Error as exc:
            raise self._mapped(exc, url) from None

    async def _fetch(
        self, sql: str, params: Params, *, max_rows: int, statement_timeout: float, wait: float | None = None
    ) -> dict[str, Any]:
        pool = self.pool
        if pool is None:
            raise ConnectorUnavailable("the database connection is not open", connector="postgres")
        args = _params(params)
        async with self.guard:
            try:
                async with (
                    pool.connection(timeout=wait) as conn,
                    conn.transaction(force_rollback=True),
                    conn.cursor() as cur,
                ):
                    await cur.execute("SET TRANSACTION READ ONLY")
                    await cur.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [f"{round(statement_timeout * 1000)}ms"],
                    )
                    rows: list[list[Any]] = []
                    truncated = False
                    columns: list[str] = []  # stays empty for an empty result (stream() drops it)
                    async with contextlib.aclosing(cur.stream(sql, args)) as stream:
                        async for row in stream:
                            if not rows:
                                columns = [column.name for column in cur.description or ()]
                            if len(rows) == max_rows:
                                truncated = True  # leaving the stream cancels the rest of the query
                                break
                            rows.append([_json_safe(value) for value in row])
            except PoolTimeout:
                raise await self._pool_timeout_error() from None
            except psycopg.Error as exc:
                raise self._mapped(exc, None, timeout=statement_timeout) from None
        return {"columns": columns, "rows": rows, "row_count": len(rows), "truncated": truncated}

    async def _pool_timeout_error(self) -> ConnectorError:
        """No connection within pool_timeout: busy pool, or the server is gone (a probe tells which)."""
        try:
            probe = await self._open(self._url())
        except ConnectorError as exc:
            return exc
        await probe.close()
        return ConnectorUnavailable(
            f"all {self.settings.database.pool_max} database connections stayed busy for "
            f"{self._pool_timeout:g} s; try again or raise database.pool_max",
            connector="postgres",
        )

    def _mapped(self, exc: psycopg.Error, url: str | None, *, timeout: float | None = None) -> ConnectorError:
        """A psycopg error as a ConnectorError a user can act on (never containing the password)."""
        diag = exc.diag
        lines = str(exc).strip().splitlines()
        primary = diag.message_primary or (lines[0] if lines else type(exc).__name__)
        primary = _scrub(primary, url or self.settings.database.url)
        where = _where(url or self.settings.database.url)
        if diag.sqlstate is None and "failed: " in primary:  # libpq: 'connection to server at ... failed: X'
            primary = primary.rsplit("failed: ", 1)[1].removeprefix("FATAL:").strip()
        if isinstance(exc, pgerrors.InvalidPassword | pgerrors.InvalidAuthorizationSpecification) or any(
            marker in primary for marker in _LOGIN_REFUSED
        ):
            return ConnectorAuthError(
                f"PostgreSQL at {where} refused the login: {primary} (check the user and password in the database URL)",
                connector="postgres",
            )
        if isinstance(exc, pgerrors.InvalidCatalogName) or (
            "database" in primary and "does not exist" in primary
        ):
            return ConnectorAuthError(f"PostgreSQL at {where}: {primary}", connector="postgres")
        if isinstance(exc, pgerrors.QueryCanceled):
            if "statement timeout" in primary and timeout is not None:
                return ConnectorError(
                    f"query exceeded {timeout:g} s (services.postgres.timeout) and was cancelled",
                    connector="postgres",
                )
            return ConnectorError(f"query cancelled: {primary}", connector="postgres")
        if isinstance(exc, pgerrors.ReadOnlySqlTransaction):
            return ConnectorError(f"this tool is read-only: {primary}", connector="postgres")
        if isinstance(exc, pgerrors.InsufficientPrivilege):
            return ConnectorError(
                f"permission denied: {primary} (this tool is read-only and runs as the configured database role)",
                connector="postgres",
            )
        if isinstance(exc, pgerrors.SyntaxError) and "multiple commands" in primary:
            return ConnectorError(
                "send one SQL statement per call (no ';'-separated lists)", connector="postgres"
            )
        if isinstance(exc, pgerrors.SyntaxError):
            position = f" at character {diag.statement_position}" if diag.statement_position else ""
            return ConnectorError(f"SQL syntax error{position}: {primary}", connector="postgres")
        if _connection_lost(exc):
            return ConnectorUnavailable(
                f"PostgreSQL at {where} is unreachable: {primary}", connector="postgres"
            )
        if isinstance(exc, psycopg.ProgrammingError) and "didn't produce a result" in primary:
            return ConnectorError(
                "the statement returns no rows; this tool runs queries (SELECT, WITH, VALUES, SHOW, EXPLAIN)",
                connector="postgres",
            )
        if isinstance(exc, psycopg.ProgrammingError) and diag.sqlstate is None:
            return ConnectorError(f"invalid query or parameters: {primary}", connector="postgres")
        state = f" [{diag.sqlstate}]" if diag.sqlstate else ""
        return ConnectorError(f"query failed{state}: {primary}", connector="postgres")


async def _reset_session(conn: psycopg.AsyncConnection[Any]) -> None:
    """Back to the pool: undo whatever SET a query ran, so the next caller starts clean."""
    await conn.execute("RESET ALL")


def _params(params: Params) -> Sequence[Any] | Mapping[str, Any] | None:
    """``None`` for no parameters (so a literal ``%`` in the SQL stays literal), else the values as given."""
    if params is None:
        return None
    if isinstance(params, Mapping):
        return dict(params) or None
    if isinstance(params, str | bytes):
        raise ConnectorError(
            "params must be a list (for %s) or an object (for %(name)s)", connector="postgres"
        )
    return list(params) or None


def _connection_lost(exc: psycopg.Error) -> bool:
    """The server went away or cannot be reached (class 08, shutdown, or no SQLSTATE at all)."""
    state = exc.diag.sqlstate
    if isinstance(exc, pgerrors.AdminShutdown | pgerrors.CrashShutdown | pgerrors.CannotConnectNow):
        return True
    if state is not None and state.startswith("08"):
        return True
    return isinstance(exc, psycopg.OperationalError) and state is None


def _where(url: str | None) -> str:
    """``host:port/dbname`` of a URL, without user or password."""
    if not url:
        return "(no URL)"
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"
    except ValueError:
        return "(unparseable URL)"


def _scrub(text: str, url: str | None) -> str:
    """Remove the URL's password (raw and decoded) from a message, just in case a driver echoes it."""
    if not url:
        return text
    try:
        password = urlsplit(url).password
    except ValueError:
        return text
    for secret in {password, unquote(password or "")}:
        if secret:
            text = text.replace(secret, "***")
    return text


def _json_safe(value: Any) -> Any:
    """A database value as something JSON can carry without losing meaning."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)  # exact: 12.50 stays "12.50"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return str(value)  # ranges, network types, enums...
