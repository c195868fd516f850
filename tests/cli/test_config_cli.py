"""`mcpgen generate` and `mcpgen config show` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpgen.cli.app import app

runner = CliRunner()

TOOL = '''
from mcpgen import Credential, tool

@tool(credentials=[Credential("PAYMENTS_KEY", kind="api_key", description="Key for the payments API"),
                   Credential("REGION", kind="text", required=False)])
def charge(amount: int) -> str:
    """Charge an amount."""
    return "ok"
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "tools").mkdir(parents=True)
    (ws / "tools" / "charge.py").write_text(TOOL)
    (ws / "mcpgen.yaml").write_text("name: payments\n")
    return ws


def test_generate_writes_manifest_and_commented_configs_once(workspace: Path) -> None:
    result = runner.invoke(app, ["generate", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["credentials"] == ["PAYMENTS_KEY", "REGION"]
    assert sorted(data["written"]) == [
        "config/config.dev.yaml",
        "config/config.prod.yaml",
        "config/config.yaml",
        "config/schema.json",
        "server.json",
    ]
    assert data["registryName"] == "io.github.your-github-user/payments"
    assert "registry.name is not set" in result.stderr
    assert json.loads((workspace / "server.json").read_text())["name"] == data["registryName"]
    base = (workspace / "config" / "config.yaml").read_text()
    assert "${PAYMENTS_KEY}" in base
    assert "tools/charge.py" in base  # which module declares it
    assert "MCPGEN_SERVER__PORT" in base  # the env var that overrides a field
    assert (workspace / ".mcpgen" / "manifest.json").is_file()
    assert json.loads((workspace / "config" / "schema.json").read_text())["$schema"].endswith(
        "2020-12/schema"
    )

    (workspace / "config" / "config.yaml").write_text("server:\n  port: 9001\n")
    again = runner.invoke(app, ["generate", str(workspace), "--json"])
    assert "config/config.yaml" in json.loads(again.stdout)["kept"]
    assert (workspace / "config" / "config.yaml").read_text() == "server:\n  port: 9001\n"
    forced = runner.invoke(app, ["generate", str(workspace), "--force", "--json"])
    assert "config/config.yaml" in json.loads(forced.stdout)["written"]


def test_generate_monitoring_writes_the_monitoring_folder(workspace: Path) -> None:
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text("server:\n  port: 9001\n")
    result = runner.invoke(app, ["generate", str(workspace), "--monitoring", "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)["written"]
    assert "monitoring/prometheus/alerts.yml" in written
    assert "monitoring/grafana/dashboards/mcpgen.json" in written
    assert "monitoring/docker-compose.yml" in written
    assert "server:9001" in (workspace / "monitoring" / "prometheus" / "prometheus.yml").read_text()
    assert "payments:latest" in (workspace / "monitoring" / "docker-compose.yml").read_text()
    again = runner.invoke(app, ["generate", str(workspace), "--monitoring", "--json"])
    assert "monitoring/prometheus/alerts.yml" in json.loads(again.stdout)["kept"]


def test_config_show_sources_and_masking(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text(
        "server:\n  port: 9001\nservices:\n  payments:\n    api_key: ${PAYMENTS_KEY}\n"
    )
    (workspace / "config" / "config.prod.yaml").write_text("server:\n  host: 0.0.0.0\n")
    monkeypatch.setenv("PAYMENTS_KEY", "pk-live-0123456789")
    monkeypatch.setenv("MCPGEN_LOGGING__LEVEL", "debug")
    result = runner.invoke(
        app,
        [
            "config",
            "show",
            str(workspace),
            "--env",
            "prod",
            "--set",
            "server.request_timeout=5",
            "--sources",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config"]["server"]["port"] == 9001
    assert data["config"]["server"]["host"] == "0.0.0.0"
    assert data["sources"]["server.port"] == "config/config.yaml:2"
    assert data["sources"]["server.host"] == "config/config.prod.yaml:2"
    assert data["sources"]["logging.level"] == "env MCPGEN_LOGGING__LEVEL"
    assert data["sources"]["server.request_timeout"] == "--set"
    assert "pk-live-0123456789" not in result.stdout
    assert data["config"]["services"]["payments"]["api_key"] == "pk…89"
    human = runner.invoke(app, ["config", "show", str(workspace), "--sources"])
    assert human.exit_code == 0
    assert "pk-live-0123456789" not in human.stdout
    assert "config/config.yaml:2" in human.stdout


def test_config_errors_name_the_key_and_never_the_value(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text(
        "services:\n  payments:\n    api_key: ${PAYMENTS_KEY}\n"
    )
    monkeypatch.setenv("PAYMENTS_KEY", "pk-live-0123456789")
    monkeypatch.setenv("MCPGEN_SERVER__PORT", "not-a-port-s3cr3t")
    bad = runner.invoke(app, ["config", "show", str(workspace), "--set", "services.payments.api_key=x"])
    assert bad.exit_code == 1
    assert "server.port" in bad.stderr
    assert "s3cr3t" not in bad.stderr


def test_config_show_lists_unset_credentials_as_missing_and_strict_fails(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text(
        "server:\n  port: 9001\nservices:\n  payments:\n    api_key: ${PAYMENTS_KEY}\n"
    )
    monkeypatch.delenv("PAYMENTS_KEY", raising=False)
    shown = runner.invoke(app, ["config", "show", str(workspace)])
    assert shown.exit_code == 0, shown.output
    assert "services.payments.api_key" in shown.stdout
    assert "<missing: ${PAYMENTS_KEY}>" in shown.stdout
    assert "server.port" in shown.stdout
    assert "missing: PAYMENTS_KEY" in shown.stderr
    data = json.loads(runner.invoke(app, ["config", "show", str(workspace), "--json"]).stdout)
    assert data["missing"] == [{"key": "services.payments.api_key", "variable": "PAYMENTS_KEY"}]
    assert data["config"]["server"]["port"] == 9001
    strict = runner.invoke(app, ["config", "show", str(workspace), "--strict"])
    assert strict.exit_code == 1
    assert "PAYMENTS_KEY" in strict.stderr
    monkeypatch.setenv("PAYMENTS_KEY", "pk-live-0123456789")
    assert runner.invoke(app, ["config", "show", str(workspace), "--strict"]).exit_code == 0


def test_config_show_resolves_placeholders_from_the_secret_store(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpgen.secrets import SecretStore

    monkeypatch.delenv("PAYMENTS_KEY", raising=False)
    assert runner.invoke(app, ["generate", str(workspace)]).exit_code == 0
    SecretStore.open(workspace / ".mcpgen", environ={}).set("PAYMENTS_KEY", "pk-stored-0123456789")
    result = runner.invoke(app, ["config", "show", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"]["credentials"]["PAYMENTS_KEY"] == "pk…89"
    assert "pk-stored-0123456789" not in result.stdout


def test_a_stored_secret_is_masked_whatever_field_it_lands_in(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``${NAME}`` of a stored secret in fields not declared secret: masked in text, --json and --sources."""
    from mcpgen.secrets import SecretStore

    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    monkeypatch.setenv("PAYMENTS_KEY", "pk-env-0123456789")
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text(
        "services:\n  payments:\n    api_key: ${PAYMENTS_KEY}\n"
        "    endpoint: https://api.example/${NOTION_TOKEN}/v1\n"
        "    extras:\n      header: Bearer ${NOTION_TOKEN}\n      copy: ${PAYMENTS_KEY}\n"
    )
    SecretStore.open(workspace / ".mcpgen", environ={}).set("NOTION_TOKEN", "ntn-stored-abcdef123")
    for flags in (["--json"], ["--json", "--sources"], [], ["--sources"]):
        result = runner.invoke(app, ["config", "show", str(workspace), *flags])
        assert result.exit_code == 0, result.output
        assert "ntn-stored-abcdef123" not in result.stdout
        assert "pk-env-0123456789" not in result.stdout  # a secret field's value, copied elsewhere
        assert "Bearer nt…23" in result.stdout
    data = json.loads(runner.invoke(app, ["config", "show", str(workspace), "--json"]).stdout)
    service = data["config"]["services"]["payments"]
    assert service["endpoint"] == "https://api.example/nt…23/v1"
    assert service["extras"] == {"header": "Bearer nt…23", "copy": "pk…89"}


def test_validate_loads_the_layered_config_and_reports_each_problem_with_file_and_line(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCPGEN_ENV", raising=False)
    monkeypatch.delenv("PAYMENTS_KEY", raising=False)
    (workspace / "config").mkdir()
    (workspace / "config" / "config.yaml").write_text(
        "server:\n  port: not-a-port\nservices:\n  payments:\n    api_key: ${PAYMENTS_KEY}\n"
    )
    (workspace / "config" / "config.prod.yaml").write_text("logging:\n  levle: debug\n")
    result = runner.invoke(app, ["validate", str(workspace), "--json"])
    assert result.exit_code == 1, result.output
    found = {
        (d["path"], d["line"], d["code"])
        for d in json.loads(result.stdout)["diagnostics"]
        if d["severity"] == "error"
    }
    # the overlay is checked too; an unset credential (${PAYMENTS_KEY}) is not a config error
    assert found == {
        ("config/config.yaml", 2, "config-error"),
        ("config/config.prod.yaml", 2, "config-error"),
    }
    human = runner.invoke(app, ["validate", str(workspace)])
    assert "config/config.prod.yaml:2: error: logging.levle: unknown key" in human.stdout + human.stderr
    (workspace / "config" / "config.yaml").write_text("server:\n  port: 9001\n")
    (workspace / "config" / "config.prod.yaml").write_text("logging:\n  level: debug\n")
    assert runner.invoke(app, ["validate", str(workspace)]).exit_code == 0
