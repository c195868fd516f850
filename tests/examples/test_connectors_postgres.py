"""examples/connectors-demo's postgres connector, served by `mcpgen serve` against a real PostgreSQL.

Each test serves a copy of the example's postgres files with ``DATABASE_URL``
pointing at the throwaway cluster (``postgres`` fixture, tests/postgres_support.py)
and calls the tools with the official MCP client. Outages are real: the
cluster is stopped and started again. No database password may reach a log line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from postgres_support import WRITER, PostgresCluster
from server_support import free_port, stop_process, wait_ready

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.xdist_group("postgres")]  # one cluster
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "connectors-demo"
POSTGRES_FILES = [
    "mcpgen.yaml",
    "config",
    "connectors/postgres.py",
    "tools/pg_query.py",
    "tools/pg_tables.py",
]
# Fast reconnects, so outage and recovery tests take seconds.
FAST = [
    "services.postgres.health_interval=0.5",
    "services.postgres.retry.initial=0.1",
    "services.postgres.retry.max=0.5",
    "services.postgres.connect_timeout=5",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The example's postgres connector, tools and config (the other connectors are not needed here)."""
    target = tmp_path / "connectors-demo"
    for name in POSTGRES_FILES:
        source, dest = EXAMPLE / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)
    return target


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx2.get(f"http://127.0.0.1:{self.port}/health", timeout=5).json()
        return answer

    def connector(self) -> dict[str, Any]:
        state: dict[str, Any] = self.health()["connectors"]["postgres"]
        return state

    def ready_status(self) -> int:
        return httpx2.get(f"http://127.0.0.1:{self.port}/health/ready", timeout=5).status_code

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            if check():
                return
            time.sleep(0.1)  # polling a subprocess over HTTP: nothing to await on
        raise AssertionError(f"{what} not reached within {timeout}s; /health: {self.health()}\n{self.log()}")

    def wait_state(self, *states: str, timeout: float = 30) -> dict[str, Any]:
        self.wait_until(lambda: self.connector()["state"] in states, f"postgres state in {states}", timeout)
        return self.connector()


def _command(workspace: Path, port: int, sets: list[str]) -> list[str]:
    args = [sys.executable, "-m", "mcpgen", "serve", str(workspace), "--port", str(port)]
    for item in sets:
        args += ["--set", item]
    return args


def _environ(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url}


@pytest.fixture
def serve(workspace: Path, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `mcpgen serve` on the workspace with DATABASE_URL and --set items; stopped at the end."""
    started: list[Served] = []

    def start(database_url: str, *sets: str) -> Served:
        port = free_port()
        log_path = tmp_path / f"serve-{port}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                _command(workspace, port, list(sets)),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_environ(database_url),
            )
        served = Served(proc, port, log_path)
        started.append(served)
        live = wait_ready(proc, port, served.log, timeout=60, path="/health/live")
        assert live, f"/health/live not answering within 60s:\n{served.log()}"
        return served

    yield start
    for served in started:
        stop_process(served.proc)


def _secrets(postgres: PostgresCluster) -> list[str]:
    return [postgres.reader_password, postgres.writer_password, "wrong-" + postgres.writer_password]


def _assert_no_secret(text: str, postgres: PostgresCluster) -> None:
    for secret in _secrets(postgres):
        assert secret not in text, "a database password reached the server log"


async def _call(served: Served, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp_url) as client:
        return await client.call_tool(tool, arguments)


def _text(result: Any) -> str:
    return "\n".join(getattr(item, "text", "") for item in result.content)


async def _query(served: Served, sql: str, params: list[Any] | None = None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"sql": sql}
    if params is not None:
        arguments["params"] = params
    result = await _call(served, "pg_query", arguments)
    assert result.is_error is False, _text(result)
    structured: dict[str, Any] = result.structured_content
    return structured


async def _query_error(served: Served, sql: str, params: list[Any] | None = None) -> str:
    arguments: dict[str, Any] = {"sql": sql}
    if params is not None:
        arguments["params"] = params
    result = await _call(served, "pg_query", arguments)
    assert result.is_error is True, f"expected an error for {sql!r}, got {result.structured_content}"
    return _text(result)


def _book_count(postgres: PostgresCluster) -> str:
    return postgres.psql("SELECT count(*) FROM books")


# queries ----------------------------------------------------------------------------------------------


async def test_parameterised_queries_tables_and_json_safe_values(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    served = serve(postgres.reader_url)
    served.wait_state("connected")
    assert served.ready_status() == 200

    found = await _query(
        served,
        "SELECT id, title, price, published, added, ref, cover FROM books WHERE author = %s AND price > %s ORDER BY id",
        ["Ursula K. Le Guin", 10],
    )
    assert found == {
        "columns": ["id", "title", "price", "published", "added", "ref", "cover"],
        "rows": [
            [
                1,
                "The Left Hand of Darkness",
                "12.50",
                "1969-03-01",
                "2024-05-01T12:00:00+00:00",
                "6f1c1d1e-0000-4000-8000-000000000001",
                "iVBORw==",
            ]
        ],
        "row_count": 1,
        "truncated": False,
    }

    capped = await _query(served, "SELECT n FROM big ORDER BY n")
    assert capped["row_count"] == 500
    assert capped["truncated"] is True
    assert capped["rows"][-1] == [500]

    result = await _call(served, "pg_tables", {})
    assert result.is_error is False, _text(result)
    text = _text(result)
    assert '"books"' in text
    assert '"big"' in text
    _assert_no_secret(served.log(), postgres)


async def test_injection_through_params_stays_data(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    served = serve(postgres.writer_url)  # a role that *could* drop the table
    served.wait_state("connected")
    attack = "x'; DROP TABLE books; --"
    nothing = await _query(served, "SELECT id FROM books WHERE title = %s", [attack])
    assert nothing["rows"] == []
    tautology = await _query(served, "SELECT id FROM books WHERE author = %s", ["' OR '1'='1"])
    assert tautology["rows"] == []
    # The seeded row whose title *is* an injection string is found by exact match: data, not SQL.
    exact = await _query(served, "SELECT id FROM books WHERE title = %s", ["Robert'); DROP TABLE books;--"])
    assert exact["rows"] == [[4]]
    assert _book_count(postgres) == "4"


async def test_writes_are_refused_and_data_is_unchanged(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    served = serve(postgres.writer_url)  # the connector itself must refuse, whatever the role may do
    served.wait_state("connected")
    before = postgres.psql(
        "SELECT string_agg(id || ':' || title || ':' || price, ',' ORDER BY id) FROM books"
    )
    for sql in (
        "DELETE FROM books",
        "INSERT INTO books (id, title, author, price, ref) VALUES (99, 't', 'a', 1, gen_random_uuid())",
        "UPDATE books SET price = 0",
        "DROP TABLE books",
        "CREATE TABLE sneaky (id int)",
    ):
        message = await _query_error(served, sql)
        assert "this tool is read-only" in message, message
    assert "one SQL statement per call" in await _query_error(served, "SELECT 1; DELETE FROM books")
    assert "this tool is read-only" in await _query_error(
        served, "WITH gone AS (DELETE FROM books RETURNING id) SELECT count(*) FROM gone"
    )
    syntax = await _query_error(served, "SELECT title FORM books")
    assert "syntax error at character" in syntax
    assert '"books"' in syntax or "FORM" in syntax
    after = postgres.psql("SELECT string_agg(id || ':' || title || ':' || price, ',' ORDER BY id) FROM books")
    assert after == before
    assert postgres.psql("SELECT to_regclass('public.sneaky') IS NULL") == "t"
    _assert_no_secret(served.log(), postgres)


async def test_statement_timeout_is_clear_and_the_pool_keeps_working(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    served = serve(postgres.reader_url, "services.postgres.timeout=1")
    served.wait_state("connected")
    started = time.monotonic()
    message = await _query_error(served, "SELECT pg_sleep(5)")
    assert time.monotonic() - started < 4
    assert "query exceeded 1 s" in message, message
    for _ in range(3):  # the connection went back to the pool in a usable state
        assert (await _query(served, "SELECT count(*) AS n FROM books"))["rows"] == [[4]]
    assert served.connector()["state"] == "connected"


# credentials ------------------------------------------------------------------------------------------


def test_wrong_password_fails_startup_when_required(workspace: Path, postgres: PostgresCluster) -> None:
    wrong = postgres.url(WRITER, password="wrong-" + postgres.writer_password)
    proc = subprocess.run(
        _command(workspace, free_port(), ["services.postgres.required=true", *FAST]),
        capture_output=True,
        text=True,
        timeout=120,
        env=_environ(wrong),
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert re.search(r"postgres'? \(connectors/postgres\.py\): .*password authentication failed", output), (
        output
    )
    _assert_no_secret(output, postgres)


async def test_wrong_password_marks_an_optional_connector_error(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    wrong = postgres.url(WRITER, password="wrong-" + postgres.writer_password)
    served = serve(wrong, *FAST)
    state = served.wait_state("error")
    assert "password authentication failed" in (state["lastError"] or "")
    assert state["required"] is False
    assert served.ready_status() == 200  # optional: the server serves its other tools
    message = await _query_error(served, "SELECT 1")
    assert "postgres" in message.lower()
    _assert_no_secret(served.log(), postgres)


# outages ----------------------------------------------------------------------------------------------


async def test_database_down_at_start_then_recovers(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    postgres.stop()
    served = serve(postgres.reader_url, *FAST)
    state = served.wait_state("degraded")
    assert "unreachable" in (state["lastError"] or ""), state
    assert served.ready_status() == 200  # optional connector
    message = await _query_error(served, "SELECT 1")
    assert "postgres" in message.lower()
    assert "degraded" in message or "unreachable" in message, message

    postgres.start()
    served.wait_state("connected")
    assert (await _query(served, "SELECT count(*) FROM books"))["rows"] == [[4]]
    _assert_no_secret(served.log(), postgres)


async def test_database_dies_mid_run_then_recovers(
    postgres: PostgresCluster, serve: Callable[..., Served]
) -> None:
    served = serve(postgres.reader_url, "services.postgres.required=true", *FAST)
    served.wait_until(lambda: served.ready_status() == 200, "/health/ready 200")
    assert served.connector()["state"] == "connected"
    assert (await _query(served, "SELECT count(*) FROM books"))["rows"] == [[4]]

    postgres.stop()
    # The first call after the outage may hit a pooled connection that the shutdown killed: still a
    # clear error, never a crash or a hang.
    started = time.monotonic()
    message = await _query_error(served, "SELECT count(*) FROM books")
    assert time.monotonic() - started < 15
    assert "postgres" in message.lower()
    assert any(word in message for word in ("unreachable", "degraded", "not connected", "unavailable")), (
        message
    )
    state = served.wait_state("degraded", "disconnected")
    assert state["lastError"]
    served.wait_until(
        lambda: served.ready_status() == 503, "/health/ready 503 while the required database is down"
    )

    postgres.start()
    served.wait_state("connected")
    served.wait_until(lambda: served.ready_status() == 200, "/health/ready 200 after recovery")
    assert (await _query(served, "SELECT count(*) FROM books"))["rows"] == [[4]]
    _assert_no_secret(served.log(), postgres)
