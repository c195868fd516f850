"""The Helm chart: linted and rendered by Helm's own Go SDK (helm-python-sdk bundles it, offline),
its objects checked against the Kubernetes schemas and compared with the plain manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helm_python import Chart, lint
from kube_support import check_all, sample_plan
from ruamel.yaml import YAML

from mcpgen.build.helm import chart_files, chart_values, chart_version
from mcpgen.build.kubernetes import KubePlan, manifests

HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def write_chart(plan: KubePlan, folder: Path) -> Path:
    for relative, text in chart_files(plan).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def render(folder: Path, plan: KubePlan, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    chart = Chart.load(folder)
    try:
        rendered = chart.render(values or {}, name=plan.name, namespace=plan.namespace, is_install=True)
    finally:
        chart.close()
    documents = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        documents += [d for d in YAML(typ="safe").load_all(text) if d]
    return documents


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Without what only one side has: Helm's labels, the config checksum (hashes a different text)."""
    document = YAML(typ="safe").load(_dump(document))
    for meta in (document["metadata"], document.get("spec", {}).get("template", {}).get("metadata")):
        if meta:
            for label in HELM_ONLY_LABELS:
                meta.get("labels", {}).pop(label, None)
            meta.get("annotations", {}).pop("checksum/config", None)
    if document["kind"] == "ConfigMap":
        document["data"] = {k: YAML(typ="safe").load(v) for k, v in document["data"].items()}
    return document


def _dump(document: dict[str, Any]) -> str:
    from io import StringIO

    buffer = StringIO()
    YAML(typ="safe").dump(document, buffer)
    return buffer.getvalue()


def by_kind(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents}


def test_helm_lint_finds_nothing(tmp_path: Path) -> None:
    folder = write_chart(sample_plan(), tmp_path / "weather")
    report = lint(folder, strict=True, namespace="mcp")
    assert report["errors"] == [], report
    assert [m for m in report["messages"] if m["severity"] >= 2] == [], report


def test_helm_lint_can_fail(tmp_path: Path) -> None:
    folder = write_chart(sample_plan(), tmp_path / "weather")
    (folder / "templates" / "service.yaml").write_text("kind: Service\nmetadata: {{ .Values.nope.deeper }}\n")
    report = lint(folder, strict=True)
    assert report["errors"] or any(m["severity"] == 3 for m in report["messages"])


def test_the_chart_renders_the_same_objects_as_the_plain_manifests(tmp_path: Path) -> None:
    plan = sample_plan(api_keys=True, allowed_hosts=("internal.example",))
    _same_objects(plan, tmp_path)


def test_an_image_by_digest_renders_the_same(tmp_path: Path) -> None:
    _same_objects(sample_plan(image="registry.local:5000/team/weather@sha256:" + "c" * 64), tmp_path)


def _same_objects(plan: KubePlan, tmp_path: Path) -> None:
    documents = render(write_chart(plan, tmp_path / "weather"), plan)
    check_all(documents)
    helm = {d["kind"]: comparable(d) for d in documents}
    plain = {d["kind"]: comparable(d) for d in manifests(plan)}
    assert sorted(helm) == sorted(plain)
    for kind in plain:
        assert helm[kind] == plain[kind], kind


def test_values_switch_parts_off_and_stay_valid(tmp_path: Path) -> None:
    plan = sample_plan()
    folder = write_chart(plan, tmp_path / "weather")
    values = {
        "autoscaling": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "networkPolicy": {"from": [{"namespaceSelector": {"matchLabels": {"name": "ingress"}}}]},
        "serviceMonitor": {"enabled": False},
        "replicaCount": 4,
        "credentials": {"secretName": "from-vault"},
        "hosts": ["other.example.com"],
        "config": {"logging": {"level": "debug"}},
    }
    documents = by_kind(render(folder, plan, values))
    check_all(list(documents.values()))
    assert sorted(documents) == ["ConfigMap", "Deployment", "NetworkPolicy", "Service"]
    assert documents["Deployment"]["spec"]["replicas"] == 4
    env = documents["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env if "valueFrom" in e} == {"from-vault"}
    assert documents["NetworkPolicy"]["spec"]["ingress"][0]["from"] == values["networkPolicy"]["from"]
    config = YAML(typ="safe").load(documents["ConfigMap"]["data"]["config.kubernetes.yaml"])
    assert config["logging"] == {"format": "json", "level": "debug"}
    assert "other.example.com" in config["server"]["allowed_hosts"]


def test_notes_print_the_secret_command(tmp_path: Path) -> None:
    plan = sample_plan()
    chart = Chart.load(write_chart(plan, tmp_path / "weather"))
    try:
        notes = chart.render({}, name="weather", namespace="mcp")["weather/templates/NOTES.txt"]
    finally:
        chart.close()
    assert '--from-literal=WEATHER_API_KEY="$WEATHER_API_KEY"' in notes
    assert "weather.mcp.svc.cluster.local:8080/mcp" in notes


def test_values_carry_no_secret_and_the_image_splits() -> None:
    values = chart_values(sample_plan(image="registry.local:5000/team/weather:v1.2.0"))
    assert values["image"] == {
        "repository": "registry.local:5000/team/weather",
        "tag": "v1.2.0",
        "digest": "",
        "pullPolicy": "IfNotPresent",
    }
    assert values["credentials"]["keys"] == [
        {"name": "WEATHER_API_KEY", "optional": False},
        {"name": "TRANSLATION_API_KEY", "optional": True},
    ]


@pytest.mark.parametrize(
    ("version", "chart"), [("1.2.0", "1.2.0"), ("v2.0.1-rc.1", "2.0.1-rc.1"), ("2024.5", "0.1.0")]
)
def test_chart_version_is_semver(version: str, chart: str) -> None:
    assert chart_version(version) == chart
