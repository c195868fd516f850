"""examples/connectors-demo end to end: `mcpgen serve` with its Gmail, Notion and Slack connectors
pointed at the local stand-ins (only through config and credentials), driven by the MCP SDK client.

Covers the fault list of issue 7 for these connectors: missing and wrong credentials, a service
down at start, a service dying mid-run and coming back, responses slower than the timeout, 429
storms, and access-token expiry; after every test, no credential value is in the server log.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from server_support import free_port, stop_process, wait_ready

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "connectors-demo"
sys.path.insert(0, str(EXAMPLE))
from standins import GmailStandIn, NotionStandIn, SlackStandIn  # noqa: E402

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SECRETS = {
    "GMAIL_CLIENT_ID": "sentinel-7f3a0c.apps.googleusercontent.com",
    "GMAIL_CLIENT_SECRET": "GOCSPX-SENTINEL-client-secret-51d2",
    "GMAIL_REFRESH_TOKEN": "1//SENTINEL-refresh-token-9c4e",
    "NOTION_TOKEN": "ntn_SENTINEL_notion_token_2b8f",
}
WEBHOOK_PATH = "/services/T0SENTINEL/B0SENTINEL/SENTINELwebhookSecret77"
FAST = (
    # quick health checks, reconnects and breaker resets, so recovery shows within seconds
    *(f"services.{name}.health_interval=0.5" for name in ("gmail", "notion", "slack")),
    *(f"services.{name}.retry.initial=0.1" for name in ("gmail", "notion", "slack")),
    *(f"services.{name}.retry.max=2" for name in ("gmail", "notion", "slack")),
    *(f"services.{name}.circuit_breaker.reset_timeout=1" for name in ("gmail", "notion", "slack")),
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Services:
    gmail: GmailStandIn
    notion: NotionStandIn
    slack: SlackStandIn

    def env(self) -> dict[str, str]:
        return SECRETS | {"SLACK_WEBHOOK_URL": self.slack.url + WEBHOOK_PATH}

    def settings(self) -> list[str]:
        """The only thing pointing the connectors here: endpoints in config."""
        return [
            f"services.gmail.endpoint={self.gmail.url}/",
            f"services.gmail.extras.token_url={self.gmail.url}/token",
            f"services.notion.endpoint={self.notion.url}",
        ]


@pytest.fixture
def services() -> Iterator[Services]:
    gmail = GmailStandIn(
        client_id=SECRETS["GMAIL_CLIENT_ID"],
        client_secret=SECRETS["GMAIL_CLIENT_SECRET"],
        refresh_token=SECRETS["GMAIL_REFRESH_TOKEN"],
    )
    notion = NotionStandIn(token=SECRETS["NOTION_TOKEN"])
    slack = SlackStandIn(webhook_path=WEBHOOK_PATH)
    with gmail, notion, slack:
        yield Services(gmail, notion, slack)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{self.port}/health", timeout=5)
        return dict(response.json())

    async def connector(self, name: str) -> dict[str, Any]:
        return dict((await self.health())["connectors"][name])

    async def wait_state(self, name: str, *states: str) -> dict[str, Any]:
        """Poll /health (a subprocess's state: nothing to await on) until ``name`` is in ``states``, 20 s at most."""
        seen: dict[str, Any] = {}
        try:
            with anyio.fail_after(20):
                while True:
                    seen = await self.connector(name)
                    if seen["state"] in states:
                        return seen
                    await anyio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"{name} never reached {states}; last: {seen}") from None


@pytest.fixture
def start(tmp_path: Path, services: Services) -> Iterator[Callable[..., Server]]:
    """Start `mcpgen serve` on a private copy of the example; stop it and check its log afterwards.

    The PostgreSQL connector and its tools are left out: they have their own tests with a real
    server (tests/examples/test_connectors_postgres.py).
    """
    workspace = tmp_path / "connectors-demo"
    skipped = shutil.ignore_patterns(".mcpgen", "__pycache__", "standins", "postgres.py", "pg_*.py")
    shutil.copytree(EXAMPLE, workspace, ignore=skipped)
    started: list[Server] = []

    def run(*settings: str, env: dict[str, str] | None = None, without: tuple[str, ...] = ()) -> Server:
        port = free_port()
        log_path = tmp_path / f"serve-{port}.log"
        environ = {k: v for k, v in os.environ.items() if k not in {*SECRETS, "SLACK_WEBHOOK_URL"}}
        environ |= {k: v for k, v in (env or services.env()).items() if k not in without}
        args = [arg for setting in (*services.settings(), *FAST, *settings) for arg in ("--set", setting)]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mcpgen", "serve", str(workspace), "--port", str(port), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environ,
            )
        server = Server(proc, port, log_path)
        started.append(server)
        assert wait_ready(proc, port, server.log, timeout=60), server.log()
        return server

    yield run
    for server in started:
        stop_process(server.proc)
        assert_no_secrets(server.log())


def assert_no_secrets(log: str) -> None:
    leaked = [name for name, value in SECRETS.items() if value in log]
    assert not leaked, f"credential value(s) of {leaked} in the server log"
    assert "SENTINELwebhookSecret77" not in log, "the Slack webhook URL is in the server log"
    assert "ya29.standin-" not in log, "a Gmail access token is in the server log"


def data(result: Any) -> Any:
    assert result.is_error is False, text(result)
    structured = result.structured_content
    if isinstance(structured, dict) and set(structured) == {"result"}:
        return structured["result"]
    if structured is not None:
        return structured
    return json.loads(text(result))


def text(result: Any) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


def error(result: Any) -> str:
    assert result.is_error is True, f"expected a tool error, got {result}"
    return text(result)


# -- the happy path -----------------------------------------------------------------------------


async def test_every_tool_works_against_the_standins(
    start: Callable[..., Server], services: Services
) -> None:
    server = start()
    health = await server.health()
    assert {name: c["state"] for name, c in health["connectors"].items()} == {
        "gmail": "connected",
        "notion": "connected",
        "slack": "connected",
    }
    async with Client(server.mcp_url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert sorted(tools) == [
            "gmail_search",
            "gmail_send",
            "notion_create_page",
            "notion_databases",
            "notion_get_page",
            "notion_query",
            "notion_update_page",
            "slack_post",
        ]
        for tool, connector in (
            ("gmail_search", "gmail"),
            ("notion_databases", "notion"),
            ("slack_post", "slack"),
        ):
            assert connector not in tools[tool].input_schema.get("properties", {}), (
                "connectors are not inputs"
            )

        found = data(await client.call_tool("gmail_search", {"query": "compiler"}))
        assert [m["subject"] for m in found] == ["Compiler meeting"]
        assert found[0]["from"] == "Grace Hopper <grace@example.com>"
        sent = data(
            await client.call_tool(
                "gmail_send", {"to": "bob@example.com", "subject": "Hi", "body": "Hello Bob"}
            )
        )
        assert [(m.id, m.to, m.subject, m.body.strip()) for m in services.gmail.sent] == [
            (sent["id"], "bob@example.com", "Hi", "Hello Bob")
        ]

        databases = data(await client.call_tool("notion_databases", {}))
        assert [(d["id"], d["title"]) for d in databases] == [(services.notion.tasks_id, "Tasks")]
        todo = data(
            await client.call_tool(
                "notion_query",
                {
                    "database_id": services.notion.tasks_id,
                    "filter": {"property": "Status", "select": {"equals": "Todo"}},
                },
            )
        )
        assert [page["title"] for page in todo] == ["Book travel"]
        created = data(
            await client.call_tool(
                "notion_create_page",
                {
                    "database_id": services.notion.tasks_id,
                    "title": "Ship it",
                    "values": {"Status": "Doing", "Estimate": 3},
                },
            )
        )
        assert created["properties"]["Status"] == "Doing"
        updated = data(
            await client.call_tool("notion_update_page", {"page_id": created["id"], "values": {"Done": True}})
        )
        assert updated["properties"]["Done"] is True
        fetched = data(await client.call_tool("notion_get_page", {"page_id": created["id"]}))
        assert (fetched["title"], fetched["properties"]["Done"], fetched["properties"]["Estimate"]) == (
            "Ship it",
            True,
            3,
        )
        missing = error(
            await client.call_tool("notion_get_page", {"page_id": "5e1a1b0e-0000-4000-8000-000000000000"})
        )
        assert "Could not find page" in missing

        assert text(await client.call_tool("slack_post", {"text": "deployed :rocket:"})) == "ok"
        assert [p.text for p in services.slack.posted] == ["deployed :rocket:"]

    queries = services.notion.requests_to("/v1/databases/*/query")
    assert queries
    assert all(r.headers.get("notion-version") for r in queries)
    assert all(r.headers["authorization"] == f"Bearer {SECRETS['NOTION_TOKEN']}" for r in queries)


# -- credentials --------------------------------------------------------------------------------


async def test_missing_credential_is_named_and_the_rest_still_serves(
    start: Callable[..., Server], services: Services
) -> None:
    server = start(without=("NOTION_TOKEN",))
    notion = await server.connector("notion")
    assert notion["state"] == "error"
    # The core's auth layer names the credential's role ("no token credential is set") before
    # the connector's own settings.credential("token") would name NOTION_TOKEN.
    assert "token" in (notion["lastError"] or "").lower()
    assert not services.notion.requests, "no request without a token"
    async with Client(server.mcp_url) as client:
        message = error(await client.call_tool("notion_databases", {}))
        assert "connector 'notion' is in error" in message
        assert "token" in message.lower()
        assert text(await client.call_tool("slack_post", {"text": "still here"})) == "ok"


async def test_wrong_credentials_put_connectors_in_error_with_a_clear_reason(
    start: Callable[..., Server], services: Services
) -> None:
    wrong = services.env() | {
        "GMAIL_REFRESH_TOKEN": "1//SENTINEL-wrong-refresh-token",
        "NOTION_TOKEN": "ntn_SENTINEL_wrong_token",
        "SLACK_WEBHOOK_URL": services.slack.url + "/services/T0/B0/SENTINELwrongWebhook",
    }
    server = start(env=wrong)
    health = (await server.health())["connectors"]
    assert {name: c["state"] for name, c in health.items()} == {
        "gmail": "error",
        "notion": "error",
        "slack": "error",
    }
    assert "invalid_grant" in health["gmail"]["lastError"]
    assert "401" in health["notion"]["lastError"] or "unauthorized" in health["notion"]["lastError"]
    assert "no_service" in health["slack"]["lastError"]
    async with Client(server.mcp_url) as client:
        assert "invalid_grant" in error(await client.call_tool("gmail_search", {}))
        assert "notion" in error(await client.call_tool("notion_databases", {}))
        assert "no_service" in error(await client.call_tool("slack_post", {"text": "x"}))
    assert not services.slack.posted
    log = server.log()
    assert "SENTINEL-wrong-refresh-token" not in log
    assert "SENTINEL_wrong_token" not in log
    assert "SENTINELwrongWebhook" not in log


# -- outages ------------------------------------------------------------------------------------


async def test_service_down_at_start_degrades_then_recovers(
    start: Callable[..., Server], services: Services
) -> None:
    services.notion.stop()
    server = start()
    notion = await server.connector("notion")
    assert notion["state"] == "degraded"
    assert notion["required"] is False
    async with Client(server.mcp_url) as client:
        assert "notion" in error(await client.call_tool("notion_databases", {}))
        assert text(await client.call_tool("slack_post", {"text": "others still work"})) == "ok"
        services.notion.start()
        await server.wait_state("notion", "connected")
        assert [d["title"] for d in data(await client.call_tool("notion_databases", {}))] == ["Tasks"]


async def test_service_dying_mid_run_is_seen_and_recovered(
    start: Callable[..., Server], services: Services
) -> None:
    server = start()
    async with Client(server.mcp_url) as client:
        assert data(await client.call_tool("gmail_search", {"query": "lunch"}))
        services.gmail.stop()
        assert "gmail" in error(await client.call_tool("gmail_search", {"query": "lunch"}))
        down = await server.wait_state("gmail", "degraded")
        assert down["lastError"]
        assert text(await client.call_tool("slack_post", {"text": "gmail is down"})) == "ok"
        services.gmail.start()
        await server.wait_state("gmail", "connected")
        assert [m["subject"] for m in data(await client.call_tool("gmail_search", {"query": "lunch"}))] == [
            "Lunch"
        ]


async def test_responses_slower_than_the_timeout_fail_clearly(
    start: Callable[..., Server], services: Services
) -> None:
    server = start(
        "services.notion.timeout=1", "services.gmail.timeout=1", "services.notion.retry.max_retries=0"
    )
    services.notion.slow(5, path="/v1/databases/*/query")
    services.gmail.slow(5, path="/gmail/v1/users/me/messages")
    async with Client(server.mcp_url) as client:
        began = time.monotonic()
        message = error(await client.call_tool("notion_query", {"database_id": services.notion.tasks_id}))
        assert "timed out" in message.lower() or "timeout" in message.lower(), message
        assert time.monotonic() - began < 4.5
        began = time.monotonic()
        message = error(await client.call_tool("gmail_search", {}))
        assert "timed out" in message.lower(), message
        assert time.monotonic() - began < 4.5
        services.notion.clear_faults()
        services.gmail.clear_faults()
        await server.wait_state("notion", "connected")
        await server.wait_state("gmail", "connected")
        assert (
            len(data(await client.call_tool("notion_query", {"database_id": services.notion.tasks_id}))) == 3
        )


# -- rate limits --------------------------------------------------------------------------------


async def test_429_storm_honours_retry_after_then_reports_rate_limited(
    start: Callable[..., Server], services: Services
) -> None:
    # Health checks would use up the injected 429s too: keep them out of the way here.
    server = start(
        "services.notion.retry.max_retries=3",
        "services.notion.retry.max=5",
        "services.notion.health_interval=60",
        "services.slack.health_interval=60",
    )
    query = {"database_id": services.notion.tasks_id}
    async with Client(server.mcp_url) as client:
        # A short storm: two 429s with Retry-After: 1, then the answer.
        services.notion.rate_limited(retry_after=1, times=2, path="/v1/databases/*/query")
        before = len(services.notion.requests_to("/v1/databases/*/query"))
        assert len(data(await client.call_tool("notion_query", query))) == 3
        tries = services.notion.requests_to("/v1/databases/*/query")[before:]
        assert len(tries) == 3
        gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
        assert all(gap >= 0.9 for gap in gaps), f"Retry-After not honoured: {gaps}"

        # A storm that does not stop: a clear RateLimited error, in bounded time.
        services.notion.rate_limited(retry_after=1, times=None, path="/v1/databases/*/query")
        began = time.monotonic()
        message = error(await client.call_tool("notion_query", query))
        assert "rate limit" in message.lower(), message
        assert "429" in message, message
        assert time.monotonic() - began < 15
        services.notion.clear_faults()
        assert len(data(await client.call_tool("notion_query", query))) == 3

        # Slack's webhook: one 429, retried after Retry-After.
        services.slack.rate_limited(retry_after=1, times=1)
        assert text(await client.call_tool("slack_post", {"text": "after the storm"})) == "ok"
        assert [p.text for p in services.slack.posted] == ["after the storm"]


async def test_gmail_quota_errors_wait_or_report(start: Callable[..., Server], services: Services) -> None:
    server = start()
    async with Client(server.mcp_url) as client:
        # 403 userRateLimitExceeded with a short Retry-After: waited out inside the call.
        services.gmail.quota_exceeded(status=403, retry_after=1, times=1, path="/gmail/v1/users/me/messages")
        assert data(await client.call_tool("gmail_search", {"query": "lunch"}))
        # 429 rateLimitExceeded that persists: a clear quota error.
        services.gmail.quota_exceeded(
            status=429, retry_after=1, times=None, path="/gmail/v1/users/me/messages"
        )
        message = error(await client.call_tool("gmail_search", {"query": "lunch"}))
        assert "quota exceeded" in message, message
        assert "rateLimitExceeded" in message, message
        services.gmail.clear_faults()
        assert data(await client.call_tool("gmail_search", {"query": "lunch"}))
    assert (await server.connector("gmail"))["state"] == "connected", "a quota error is not an outage"


# -- tokens -------------------------------------------------------------------------------------


async def test_expired_access_token_is_refreshed_transparently(
    start: Callable[..., Server], services: Services
) -> None:
    server = start()
    async with Client(server.mcp_url) as client:
        assert data(await client.call_tool("gmail_search", {"query": "compiler"}))
        refreshes = len(services.gmail.requests_to("/token"))
        services.gmail.expire_tokens()
        found = data(await client.call_tool("gmail_search", {"query": "compiler"}))
        assert [m["subject"] for m in found] == ["Compiler meeting"]
    assert len(services.gmail.requests_to("/token")) > refreshes, "the expired token was refreshed"
    refresh = services.gmail.requests_to("/token")[-1]
    assert b"grant_type=refresh_token" in refresh.body
    assert (await server.connector("gmail"))["state"] == "connected"
