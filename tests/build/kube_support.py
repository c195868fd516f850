"""Shared by the Kubernetes and Helm tests: a plan, and the check of objects against the Kubernetes schemas."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from mcpgen.build.kubernetes import KubePlan, SecretKey

KUBE_VERSION = kubernetes_validate.latest_version()
"""The newest Kubernetes release whose schemas kubernetes-validate bundles (offline)."""


def sample_plan(**changes: Any) -> KubePlan:
    values: dict[str, Any] = dict(
        name="weather",
        server="weather",
        version="1.2.0",
        image="ghcr.io/acme/weather:v1.2.0",
        namespace="mcp",
        hosts=("mcp.example.com",),
        credentials=(
            SecretKey("WEATHER_API_KEY", required=True),
            SecretKey("TRANSLATION_API_KEY", required=False),
        ),
        mcp_name="io.github.acme/weather",
    )
    values.update(changes)
    return KubePlan(**values)


def check_schema(document: dict[str, Any]) -> None:
    """Raise ``kubernetes_validate.ValidationError`` unless ``document`` matches its kind's strict schema."""
    kubernetes_validate.validate(document, KUBE_VERSION, strict=True)


def check_service_monitor(document: dict[str, Any]) -> None:
    """A ServiceMonitor is a CRD (no bundled schema): the fields the Prometheus Operator requires."""
    assert document["apiVersion"] == "monitoring.coreos.com/v1"
    assert document["kind"] == "ServiceMonitor"
    spec = document["spec"]
    assert spec["selector"]["matchLabels"]
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= {"port", "path", "interval", "scheme", "scrapeTimeout"}
        assert endpoint["path"].startswith("/")


def check_all(documents: list[dict[str, Any]]) -> None:
    for document in documents:
        if document["kind"] == "ServiceMonitor":
            check_service_monitor(document)
        else:
            check_schema(document)
