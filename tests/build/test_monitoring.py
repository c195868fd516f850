"""``mcpgen generate --monitoring``: the files are valid for the tools that read them, and every query
names a metric the runtime really exports."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mcpgen.build.monitoring import MonitoringPlan, monitoring_files
from promtool_support import docker_compose, promtool

PLAN = MonitoringPlan(server="weather", image="ghcr.io/acme/weather:latest", port=9000)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for relative, text in monitoring_files(PLAN).items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_promtool_accepts_the_rules_and_the_config(folder: Path) -> None:
    tool = promtool()
    rules = subprocess.run(
        [tool, "check", "rules", str(folder / "prometheus/alerts.yml")], capture_output=True, timeout=60
    )
    assert rules.returncode == 0, rules.stdout.decode() + rules.stderr.decode()
    assert b"SUCCESS: 9 rules found" in rules.stdout
    config = subprocess.run(
        [tool, "check", "config", str(folder / "prometheus/prometheus.yml")], capture_output=True, timeout=60
    )
    assert config.returncode == 0, config.stdout.decode() + config.stderr.decode()


def test_every_query_names_an_exported_metric(folder: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "src/mcpgen/runtime/telemetry/metrics.py"
    declared = set(re.findall(r'"(mcpgen_[a-z_]+)"', source.read_text()))
    known = set()
    for name in declared:  # counters gain _total, histograms _bucket/_count/_sum
        known |= {name, f"{name}_total", f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    texts = [
        (folder / "prometheus/alerts.yml").read_text(),
        (folder / "grafana/dashboards/mcpgen.json").read_text(),
    ]
    used = set(re.findall(r"\b(mcpgen_[a-z_]+)", "\n".join(texts)))
    assert used, "the queries name no mcpgen metric"
    assert used <= known, f"unknown metrics: {sorted(used - known)}"


def test_dashboard_and_compose_shape(folder: Path) -> None:
    board = json.loads((folder / "grafana/dashboards/mcpgen.json").read_text())
    titles = [p["title"] for p in board["panels"]]
    assert {"Calls per second by tool", "p99 latency by tool", "Node workers", "Connectors up"} <= set(titles)
    assert len({p["id"] for p in board["panels"]}) == len(titles)
    yaml = YAML(typ="safe")
    compose = yaml.load((folder / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"server", "prometheus", "grafana"}
    assert compose["services"]["server"]["image"] == "ghcr.io/acme/weather:latest"
    scrape = yaml.load((folder / "prometheus/prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == ["server:9000"]
    assert scrape["job_name"] == "weather"


def test_docker_compose_accepts_the_compose_file(folder: Path) -> None:
    compose = docker_compose()
    checked = subprocess.run(
        [compose, "-f", str(folder / "docker-compose.yml"), "config"], capture_output=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    resolved = YAML(typ="safe").load(checked.stdout)
    assert set(resolved["services"]) == {"server", "prometheus", "grafana"}
    assert all(p.startswith("127.0.0.1:") for s in resolved["services"].values() for p in s.get("ports", []))
