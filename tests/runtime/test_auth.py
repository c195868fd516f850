"""API-key authentication, RBAC and the audit log, on the fast path and the SDK path, on both wires.

Each test serves the ``guarded`` fixture twice (fast path on, and off so every
request goes through the SDK's transport) and sends the same requests to both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest

from mcpgen.config import load_config
from mcpgen.errors import ConfigError, McpgenError
from mcpgen.runtime.auth import gate
from mcpgen.runtime.auth.gate import refuse_unsafe_bind
from mcpgen.runtime.auth.settings import AuditSettings, AuthSettings, Role
from mcpgen.runtime.middleware.rbac import FORBIDDEN, Rbac
from mcpgen.runtime.pipeline import ClientIdentity
from mcpgen.runtime.settings import Settings, settings_from_config
from mcpgen.runtime.transport.http import McpEndpoint
from mcpgen.secrets.api_keys import ApiKey, ApiKeyFile, hash_key

from . import test_fastpath as fastpath
from .conftest import fixture_files
from .test_fastpath import body, legacy, modern

pytestmark = pytest.mark.anyio

ROLES = {
    "reader": Role(allow=("tool:add", "tag:readonly", "resource:docs://*", "prompt:greet")),
    "admin": Role(allow=("*",), inherits=("reader",)),
    "auditor": Role(allow=("resource:vault://*",)),
}


def make_keys(path: Path) -> dict[str, str]:
    store = ApiKeyFile(path)
    now = datetime.now(UTC)
    return {role: store.create(f"{role}-key", role, None, now)[1] for role in ("reader", "admin")}


def serving(tmp_path: Path, auth: AuthSettings, **settings: Any) -> AbstractAsyncContextManager[Any]:
    """The ``guarded`` fixture served in process with ``auth`` (see ``test_fastpath.serving``)."""
    return fastpath.serving(tmp_path, fixture_files("guarded"), auth=auth, **settings)


@asynccontextmanager
async def both(tmp_path: Path, auth: AuthSettings) -> AsyncIterator[list[httpx2.AsyncClient]]:
    async with AsyncExitStack() as stack:
        fast = await stack.enter_async_context(serving(tmp_path / "fast", auth))
        sdk = await stack.enter_async_context(serving(tmp_path / "sdk", auth, fast_path=False))
        yield [fast, sdk]


def served(client: httpx2.AsyncClient) -> dict[str, int]:
    endpoint = client.app.state.mcp_endpoint  # type: ignore[attr-defined]
    assert isinstance(endpoint, McpEndpoint)
    return dict(endpoint.served)


def requests(method: str, params: dict[str, Any] | None = None) -> Iterator[tuple[bytes, dict[str, str]]]:
    """The request on the 2025-11-25 wire and on the 2026-07-28 wire."""
    yield body(method, params), legacy()
    name = (params or {}).get("uri" if method == "resources/read" else "name")
    yield body(method, params, envelope=True), modern(method, name)


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "api_keys.json"


@pytest.fixture
def keys(keys_file: Path) -> dict[str, str]:
    return make_keys(keys_file)


@pytest.fixture
def auth(keys_file: Path) -> AuthSettings:
    return AuthSettings(api_keys=True, api_keys_file=keys_file, roles=ROLES)


async def test_no_credentials_is_401_before_any_json_rpc(tmp_path: Path, auth: AuthSettings) -> None:
    async with both(tmp_path, auth) as clients:
        for client in clients:
            for content, headers in requests("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}):
                response = await client.post("/mcp", content=content, headers=headers)
                assert response.status_code == 401
                challenge = response.headers["www-authenticate"]
                assert challenge.startswith("Bearer ")
                assert 'error="invalid_request"' in challenge
            assert served(client) == {"fast": 0, "sdk": 0}  # refused before classification
            assert (await client.get("/mcp")).status_code == 401
            assert (await client.get("/health/live")).status_code == 200  # probes stay open


async def test_api_key_by_bearer_or_x_api_key_on_both_paths(
    tmp_path: Path, auth: AuthSettings, keys: dict[str, str]
) -> None:
    async with both(tmp_path, auth) as clients:
        for client in clients:
            for credentials in ({"authorization": f"Bearer {keys['admin']}"}, {"x-api-key": keys["admin"]}):
                for content, headers in requests(
                    "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}}
                ):
                    response = await client.post("/mcp", content=content, headers={**headers, **credentials})
                    assert response.status_code == 200, response.text
                    assert response.json()["result"]["structuredContent"] == {"result": 5}
        fast, sdk = clients
        assert served(fast) == {"fast": 4, "sdk": 0}  # authentication keeps the fast path
        assert served(sdk) == {"fast": 0, "sdk": 4}


async def test_bad_revoked_and_expired_keys_are_refused(
    tmp_path: Path, auth: AuthSettings, keys: dict[str, str], keys_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate, "RELOAD_EVERY", 0.0)
    content, headers = next(requests("tools/list"))
    expired = "mcpgen_" + "x" * 43
    ApiKeyFile(keys_file)._write(
        {
            **{k.name: k for k in ApiKeyFile(keys_file).list()},
            "old": ApiKey(
                "old",
                "admin",
                "2020-01-01T00:00:00+00:00",
                "2020-02-01T00:00:00+00:00",
                hash_key(expired),
                expired[:11],
            ),
        }
    )
    async with serving(tmp_path, auth) as client:

        async def status(key: str) -> tuple[int, str]:
            response = await client.post("/mcp", content=content, headers={**headers, "x-api-key": key})
            return response.status_code, response.headers.get("www-authenticate", "")

        assert (await status(keys["reader"]))[0] == 200
        code, challenge = await status(keys["reader"] + "x")
        assert code == 401
        assert 'error="invalid_token"' in challenge
        assert keys["reader"] not in challenge
        code, challenge = await status(expired)
        assert code == 401
        assert "expired" in challenge
        assert ApiKeyFile(keys_file).revoke("reader-key")
        code, challenge = await status(keys["reader"])
        assert code == 401
        assert "revoked" in challenge
        wrong_scheme = await client.post(
            "/mcp", content=content, headers={**headers, "authorization": f"Basic {keys['admin']}"}
        )
        assert wrong_scheme.status_code == 401


async def test_listings_show_only_what_the_role_may_use(
    tmp_path: Path, auth: AuthSettings, keys: dict[str, str]
) -> None:
    lists = {
        "tools/list": ("tools", "name"),
        "resources/list": ("resources", "uri"),
        "resources/templates/list": ("resourceTemplates", "uriTemplate"),
        "prompts/list": ("prompts", "name"),
    }
    expected = {
        "reader": {
            "tools/list": ["add", "peek"],
            "resources/list": ["docs://readme"],
            "resources/templates/list": [],
            "prompts/list": ["greet"],
        },
        "admin": {
            "tools/list": ["add", "peek", "wipe"],
            "resources/list": ["docs://readme"],
            "resources/templates/list": ["vault://{name}"],
            "prompts/list": ["greet"],
        },
    }
    async with both(tmp_path, auth) as clients:
        for client in clients:
            for role, key in keys.items():
                for method, (field, attr) in lists.items():
                    for content, headers in requests(method):
                        response = await client.post(
                            "/mcp", content=content, headers={**headers, "authorization": f"Bearer {key}"}
                        )
                        shown = sorted(item[attr] for item in response.json()["result"][field])
                        assert shown == expected[role][method], (role, method, headers)


async def test_forbidden_calls_name_the_target_and_permission_never_the_key(
    tmp_path: Path, auth: AuthSettings, keys: dict[str, str]
) -> None:
    forbidden = [
        ("tools/call", {"name": "wipe", "arguments": {"target": "db"}}, "tool:wipe"),
        ("resources/read", {"uri": "vault://gold"}, "resource:vault://gold"),
    ]
    async with both(tmp_path, auth) as clients:
        for client in clients:
            credentials = {"authorization": f"Bearer {keys['reader']}"}
            for method, params, permission in forbidden:
                for content, headers in requests(method, params):
                    response = await client.post("/mcp", content=content, headers={**headers, **credentials})
                    error = response.json()["error"]
                    assert error["code"] == FORBIDDEN
                    assert permission in error["message"]
                    assert "reader" in error["message"]
                    assert error["data"]["permission"] == permission
                    assert keys["reader"] not in response.text
            allowed = [
                ("tools/call", {"name": "peek", "arguments": {}}),  # by tag
                ("resources/read", {"uri": "docs://readme"}),
                ("prompts/get", {"name": "greet", "arguments": {"who": "x"}}),
            ]
            for method, params in allowed:
                for content, headers in requests(method, params):
                    response = await client.post("/mcp", content=content, headers={**headers, **credentials})
                    assert "result" in response.json(), response.text
            admin = {"authorization": f"Bearer {keys['admin']}"}
            for content, headers in requests("tools/call", forbidden[0][1]):  # inherits reader, plus "*"
                response = await client.post("/mcp", content=content, headers={**headers, **admin})
                assert response.json()["result"]["content"][0]["text"] == "wiped db"


async def test_audit_log_records_decisions_without_secrets(tmp_path: Path, keys_file: Path) -> None:
    keys = make_keys(keys_file)
    log = tmp_path / "audit.jsonl"
    auth = AuthSettings(
        api_keys=True, api_keys_file=keys_file, roles=ROLES, audit=AuditSettings(enabled=True, file=log)
    )
    async with both(tmp_path, auth) as clients:
        for client in clients:
            credentials = {"authorization": f"Bearer {keys['reader']}"}
            for name in ("add", "wipe"):
                content, headers = next(requests("tools/call", {"name": name, "arguments": {"a": 1, "b": 2}}))
                await client.post("/mcp", content=content, headers={**headers, **credentials})
    lines = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert [(r["target"], r["decision"], r["outcome"]) for r in lines] == [
        ("add", "allow", "ok"),
        ("wipe", "deny", "error"),
    ] * 2
    first = lines[0]
    assert {"time", "client", "via", "method", "request_id", "duration_ms"} <= first.keys()
    assert (first["client"], first["via"], first["method"]) == ("reader-key", "api_key", "tools/call")
    assert lines[1]["error_code"] == FORBIDDEN
    assert "arguments" not in first
    text = log.read_text()
    assert keys["reader"] not in text
    assert hash_key(keys["reader"]) not in text


async def test_audit_arguments_only_when_configured_and_masked(tmp_path: Path, keys_file: Path) -> None:
    keys = make_keys(keys_file)
    log = tmp_path / "audit.jsonl"
    auth = AuthSettings(
        api_keys=True, api_keys_file=keys_file, audit=AuditSettings(True, log, include_arguments=True)
    )
    async with serving(tmp_path, auth, secret_values=("hunter2",)) as client:
        content, headers = next(
            requests("tools/call", {"name": "wipe", "arguments": {"target": "hunter2-db"}})
        )
        response = await client.post(
            "/mcp", content=content, headers={**headers, "x-api-key": keys["reader"]}
        )
        assert response.json()["result"]["content"][0]["text"] == "wiped hunter2-db"  # no roles: all allowed
    (record,) = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert record["arguments"] == {"target": "***-db"}


def test_rbac_roles_inherit_transitively_and_scopes_name_roles() -> None:
    roles = {"a": Role(("tool:a",)), "b": Role(("tool:b",), ("a",)), "c": Role((), ("b", "c"))}
    rbac = Rbac(roles, default_roles=())
    assert rbac.roles_of(ClientIdentity("x", "jwt", roles=frozenset({"c"}))) == {"a", "b", "c"}
    assert rbac.roles_of(ClientIdentity("x", "jwt", scopes=frozenset({"b", "mcp:tools"}))) == {"a", "b"}
    assert rbac.roles_of(ClientIdentity("x", "jwt", roles=frozenset({"nope"}))) == frozenset()


def test_a_public_bind_without_hosts_or_auth_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        refuse_unsafe_bind(Settings.of(tmp_path, host="0.0.0.0"))
    assert "server.allowed_hosts" in caught.value.message
    assert "server.auth" in caught.value.message
    refuse_unsafe_bind(Settings.of(tmp_path))  # loopback
    refuse_unsafe_bind(Settings.of(tmp_path, host="0.0.0.0", allowed_hosts=["mcp.example"]))
    refuse_unsafe_bind(Settings.of(tmp_path, host="0.0.0.0", auth=AuthSettings(api_keys=True)))


async def test_stateful_sessions_carry_the_caller_of_each_request(
    tmp_path: Path, auth: AuthSettings, keys: dict[str, str]
) -> None:
    """2025-11-25 sessions: every request of the session is authenticated and authorized on its own."""
    async with serving(tmp_path, auth, protocol_mode="stateful", json_response=True) as client:
        reader = {**legacy(), "authorization": f"Bearer {keys['reader']}"}
        init = await client.post(
            "/mcp",
            content=body(
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            ),
            headers=reader,
        )
        session = {**reader, "mcp-session-id": init.headers["mcp-session-id"]}
        listed = await client.post("/mcp", content=body("tools/list"), headers=session)
        assert sorted(t["name"] for t in listed.json()["result"]["tools"]) == ["add", "peek"]
        wipe = body("tools/call", {"name": "wipe", "arguments": {"target": "x"}})
        assert (await client.post("/mcp", content=wipe, headers=session)).json()["error"]["code"] == FORBIDDEN
        anonymous = {k: v for k, v in session.items() if k != "authorization"}
        assert (await client.post("/mcp", content=wipe, headers=anonymous)).status_code == 401
        assert served(client) == {"fast": 0, "sdk": 3}


def test_config_maps_to_auth_settings_and_bad_combinations_are_named(tmp_path: Path) -> None:
    overrides = [
        "server.auth.api_keys=true",
        "server.auth.roles.reader.allow=tool:add,tag:readonly",
        "server.auth.roles.admin.inherits=reader",
        "server.audit.enabled=true",
        "server.audit.file=logs/audit.jsonl",
    ]
    config = load_config(tmp_path, environ={}, overrides=overrides).config
    auth = settings_from_config(config, tmp_path).auth
    assert auth.enabled
    assert auth.api_keys_file == tmp_path / ".mcpgen" / "api_keys.json"
    assert auth.roles["reader"].allow == ("tool:add", "tag:readonly")
    assert auth.roles["admin"].inherits == ("reader",)
    assert auth.audit.file == tmp_path / "logs" / "audit.jsonl"
    bad = {
        "server.auth.roles.a.inherits=nobody": "no role named 'nobody'",
        "server.auth.oauth.resource=https://mcp.example/mcp": "authorization_servers is required",
        "server.auth.oauth.introspection_url=https://as.example/introspect": "needs oauth.resource",
    }
    for override, message in bad.items():
        with pytest.raises(McpgenError, match=message):
            load_config(tmp_path, environ={}, overrides=[override])
