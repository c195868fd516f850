"""``mcpgen doctor``'s checks with injected probes: each problem found, none crashes the report."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from mcpgen.common.nodejs import NodeNotFound
from mcpgen.secrets import SecretStore
from mcpgen.workflows import doctor
from mcpgen.workflows.conformance import SUITE_VERSION
from mcpgen.workflows.doctor import CHECKS, Check, DoctorOptions, DoctorReport, Probes, run_doctor

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
TOOL = '''
from mcpgen import Credential, tool


@tool(credentials=[Credential("WEATHER_KEY", kind="api_key")])
def weather(city: str) -> str:
    """The weather in a city."""
    return city
'''


def fine_probes(**changes: object) -> Probes:
    values: dict[str, object] = {
        "node_version": lambda timeout: "v24.1.0",
        "docker_version": lambda timeout: "27.0.1",
        "port_problem": lambda host, port: None,
        "registry_problem": lambda environ, timeout: None,
    }
    values.update(changes)
    return Probes(**values)  # type: ignore[arg-type]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "weather.py").write_text(TOOL)
    return root


def only(*names: str) -> tuple[tuple[str, Callable[..., Check]], ...]:
    return tuple(c for c in CHECKS if c[0] in names)


def check(report: DoctorReport, name: str) -> Check:
    return next(c for c in report.checks if c.name == name)


def test_a_healthy_workspace_reports_every_check_ok(ws: Path) -> None:
    report = run_doctor(ws, environ={"WEATHER_KEY": "k-123"}, probes=fine_probes())

    assert [c.name for c in report.checks] == [name for name, _ in CHECKS]
    assert {c.name: c.status for c in report.checks if c.status != "ok"} == {}
    assert report.ok
    assert json.loads(json.dumps(report.to_data()))["errors"] == 0


def test_validation_problems_are_listed_with_file_and_line(ws: Path) -> None:
    (ws / "tools" / "broken.py").write_text("def oops(:\n")
    (ws / "tools" / "plain.py").write_text(
        'from mcpgen import tool\n\n\n@tool\ndef bare() -> str:\n    return ""\n'
    )

    found = check(run_doctor(ws, environ={}, probes=fine_probes(), checks=only("workspace")), "workspace")

    assert found.status == "error"
    assert any(line.startswith("tools/broken.py:1: error:") for line in found.lines), found.lines
    assert any(line.startswith("tools/plain.py:") and "warning" in line for line in found.lines), found.lines


def test_missing_credentials_are_an_error_naming_them(ws: Path) -> None:
    report = run_doctor(ws, environ={}, probes=fine_probes(), checks=only("workspace", "credentials"))

    found = check(report, "credentials")
    assert found.status == "error"
    assert found.lines == ("WEATHER_KEY (declared by tools/weather.py)",)
    assert not report.ok


def with_store(ws: Path, key: str) -> DoctorReport:
    """Store WEATHER_KEY under KEY, then run the store and credential checks with ``key``."""
    SecretStore.open(ws / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).set("WEATHER_KEY", "stored")
    return run_doctor(
        ws,
        environ={"MCPGEN_SECRET_KEY": key},
        probes=fine_probes(),
        checks=only("workspace", "secret store", "credentials"),
    )


def test_credentials_in_the_store_count(ws: Path) -> None:
    report = with_store(ws, KEY)

    assert check(report, "credentials").status == "ok"
    store = check(report, "secret store")
    assert store.status == "ok"
    assert "1 secret(s)" in store.detail
    assert "from MCPGEN_SECRET_KEY" in store.detail


def test_a_store_the_key_does_not_open_is_an_error(ws: Path) -> None:
    report = with_store(ws, OTHER_KEY)

    store = check(report, "secret store")
    assert store.status == "error"
    assert "MCPGEN_SECRET_KEY" in store.detail
    assert "could not be opened" in check(report, "credentials").detail


def test_a_tampered_store_is_an_error(ws: Path) -> None:
    SecretStore.open(ws / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).set("WEATHER_KEY", "stored")
    path = ws / ".mcpgen" / "secrets.enc"
    body = json.loads(path.read_text())
    sealed = bytearray(base64.b64decode(body["entries"]["WEATHER_KEY"]["ciphertext"]))
    sealed[0] ^= 1
    body["entries"]["WEATHER_KEY"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(body))

    store = check(
        run_doctor(ws, environ={"MCPGEN_SECRET_KEY": KEY}, probes=fine_probes(), checks=only("secret store")),
        "secret store",
    )

    assert store.status == "error"
    assert "failed authentication" in store.detail
    assert "secrets restore" in (store.hint or "")


def test_config_that_fails_to_load_is_an_error_and_the_port_check_uses_the_default(ws: Path) -> None:
    (ws / "config").mkdir()
    (ws / "config" / "config.yaml").write_text("server:\n  prot: 9000\n")
    asked: list[tuple[str, int]] = []

    def port_problem(host: str, port: int) -> None:
        asked.append((host, port))

    report = run_doctor(
        ws, environ={}, probes=fine_probes(port_problem=port_problem), checks=only("config", "port")
    )

    config = check(report, "config")
    assert config.status == "error"
    assert any("prot" in line for line in config.lines), config.lines
    assert asked == [("127.0.0.1", 8080)]
    assert "config did not load" in check(report, "port").detail


def test_a_taken_port_from_config_is_an_error(ws: Path, taken_port: int) -> None:
    (ws / "config").mkdir()
    (ws / "config" / "config.yaml").write_text(f"server:\n  host: 127.0.0.1\n  port: {taken_port}\n")

    report = run_doctor(ws, environ={}, probes=Probes(), checks=only("config", "port"))

    port = check(report, "port")
    assert (port.status, port.detail) == ("error", f"port {taken_port} on 127.0.0.1 is in use")
    assert not report.ok


def test_docker_unreachable_is_a_warning_unless_the_user_builds(ws: Path) -> None:
    def down(timeout: float) -> str:
        raise ConnectionError("connection refused")

    for build, status in ((False, "warning"), (True, "error")):
        report = run_doctor(
            ws,
            DoctorOptions(build=build),
            environ={},
            probes=fine_probes(docker_version=down),
            checks=only("docker"),
        )
        docker = check(report, "docker")
        assert (docker.status, docker.detail) == (
            status,
            "the Docker engine is not reachable: connection refused",
        )
        assert report.ok is not build


def test_missing_node_is_an_error_only_with_typescript_tools(ws: Path) -> None:
    def missing(timeout: float) -> str:
        raise NodeNotFound("no node here")

    probes = fine_probes(node_version=missing)
    assert check(run_doctor(ws, environ={}, probes=probes, checks=only("node")), "node").status == "warning"
    (ws / "tools" / "later.ts").write_text("export default {}\n")
    node = check(run_doctor(ws, environ={}, probes=probes, checks=only("node")), "node")
    assert node.status == "error"
    assert "TypeScript" in node.detail


def test_an_old_node_is_reported(ws: Path) -> None:
    probes = fine_probes(node_version=lambda timeout: "v20.11.0")
    node = check(run_doctor(ws, environ={}, probes=probes, checks=only("node")), "node")
    assert node.status == "warning"
    assert "older than 22.18" in node.detail


def test_conformance_suite_installed_or_registry_reachable(ws: Path) -> None:
    def unreachable(environ: Mapping[str, str], timeout: float) -> str:
        return "https://registry.example is not reachable (timed out)"

    found = check(
        run_doctor(
            ws, environ={}, probes=fine_probes(registry_problem=unreachable), checks=only("conformance")
        ),
        "conformance",
    )
    assert found.status == "warning"
    assert "timed out" in found.detail

    package = (
        ws
        / ".mcpgen"
        / "conformance"
        / SUITE_VERSION
        / "node_modules"
        / "@modelcontextprotocol"
        / "conformance"
    )
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "index.js").write_text("")
    (package / "package.json").write_text(json.dumps({"version": SUITE_VERSION}))
    found = check(
        run_doctor(
            ws, environ={}, probes=fine_probes(registry_problem=unreachable), checks=only("conformance")
        ),
        "conformance",
    )
    assert found.status == "ok"
    assert "installed" in found.detail


def test_a_check_that_raises_becomes_an_error_line_and_the_rest_still_runs(ws: Path) -> None:
    def broken(host: str, port: int) -> None:
        raise RuntimeError("boom")

    report = run_doctor(
        ws, environ={}, probes=fine_probes(port_problem=broken), checks=only("port", "docker")
    )

    port = check(report, "port")
    assert (port.status, port.detail) == ("error", "the check failed: RuntimeError: boom")
    assert check(report, "docker").status == "ok"


def test_a_check_that_hangs_becomes_an_error_line(ws: Path) -> None:
    release = threading.Event()

    def hangs(timeout: float) -> str:
        release.wait(30)
        return "27.0.1"

    try:
        report = run_doctor(
            ws,
            DoctorOptions(check_limit=0.05),
            environ={},
            probes=fine_probes(docker_version=hangs),
            checks=only("docker", "python"),
        )
    finally:
        release.set()
    docker = check(report, "docker")
    assert (docker.status, docker.detail) == ("error", "the check did not finish within 0.05s")
    assert check(report, "python").status == "ok"


def test_the_real_registry_probe_reports_an_unreachable_registry() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    problem = doctor.registry_problem({"npm_config_registry": f"http://127.0.0.1:{port}"}, 2.0)
    assert problem is not None
    assert "is not reachable" in problem
