"""``mcpgen deploy k8s``'s manifests (pure), checked against the Kubernetes schemas (kubernetes-validate)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from kube_support import check_all, check_schema, sample_plan
from ruamel.yaml import YAML

from mcpgen.build.kubernetes import (
    FILE_NAMES,
    allowed_hosts,
    config_overlay,
    dns_label,
    kube_files,
    manifests,
    secret_command,
)
from mcpgen.runtime.health import health_routes


def by_kind(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents}


def test_every_object_matches_the_kubernetes_schema() -> None:
    documents = manifests(sample_plan())
    assert [d["kind"] for d in documents] == [
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
    ]
    check_all(documents)
    assert by_kind(documents)["HorizontalPodAutoscaler"]["apiVersion"] == "autoscaling/v2"


def test_the_schema_check_catches_a_broken_object() -> None:
    """The validation used above can fail: a misspelt field and a wrong type are refused."""
    deployment = by_kind(manifests(sample_plan()))["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFs"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        check_schema(deployment)
    service = by_kind(manifests(sample_plan()))["Service"]
    service["spec"]["ports"][0]["port"] = "eighty"
    with pytest.raises(kubernetes_validate.ValidationError):
        check_schema(service)


def test_the_files_parse_back_to_the_same_objects() -> None:
    plan = sample_plan()
    files = kube_files(plan)
    assert sorted(files) == sorted(FILE_NAMES.values())
    loaded = [YAML(typ="safe").load(text) for text in files.values()]
    assert sorted(loaded, key=lambda d: d["kind"]) == sorted(manifests(plan), key=lambda d: d["kind"])


def test_the_pod_is_locked_down() -> None:
    pod = by_kind(manifests(sample_plan()))["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's user
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # no NAME_PORT=tcp://... variables in the environment
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert {"/tmp", "/home/mcpgen", "/app/config/config.kubernetes.yaml"} <= set(mounts)
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]


def test_the_probes_use_the_runtime_health_routes() -> None:
    paths = {route.path for route in health_routes(None)}  # type: ignore[arg-type]
    (container,) = by_kind(manifests(sample_plan()))["Deployment"]["spec"]["template"]["spec"]["containers"]
    probes = {
        kind: container[f"{kind}Probe"]["httpGet"]["path"] for kind in ("startup", "liveness", "readiness")
    }
    assert probes == {"startup": "/health/live", "liveness": "/health/live", "readiness": "/health/ready"}
    assert set(probes.values()) <= paths


def test_credentials_are_secret_references_never_values() -> None:
    plan = sample_plan()
    documents = manifests(plan)
    (container,) = by_kind(documents)["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["WEATHER_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "weather-credentials",
        "key": "WEATHER_API_KEY",
    }
    assert env["TRANSLATION_API_KEY"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "value" not in env["WEATHER_API_KEY"]
    assert not any(d["kind"] == "Secret" for d in documents)  # the user creates it
    (command,) = secret_command(plan)
    assert command == (
        "kubectl create secret generic weather-credentials --namespace mcp "
        '--from-literal=WEATHER_API_KEY="$WEATHER_API_KEY" --from-literal=TRANSLATION_API_KEY="$TRANSLATION_API_KEY"'
    )


def test_api_keys_come_from_their_own_secret() -> None:
    plan = sample_plan(api_keys=True)
    documents = manifests(plan)
    check_all(documents)
    pod = by_kind(documents)["Deployment"]["spec"]["template"]["spec"]
    assert {"name": "api-keys", "secret": {"secretName": "weather-api-keys"}} in pod["volumes"]
    assert any(m["mountPath"] == "/app/.mcpgen/api_keys.json" for m in pod["containers"][0]["volumeMounts"])
    assert secret_command(plan)[1].endswith("--from-file=api_keys.json=.mcpgen/api_keys.json")


def test_the_overlay_binds_publicly_with_the_service_names_allowed() -> None:
    plan = sample_plan(allowed_hosts=("internal.example",))
    overlay = config_overlay(plan)
    assert overlay["server"]["host"] == "0.0.0.0"
    hosts = overlay["server"]["allowed_hosts"]
    assert hosts == allowed_hosts(plan)
    assert {"weather", "weather.mcp.svc.cluster.local:*", "mcp.example.com", "mcp.example.com:*"} <= set(
        hosts
    )
    assert "internal.example" in hosts  # the workspace's own setting is kept
    configmap = by_kind(manifests(plan))["ConfigMap"]
    assert YAML(typ="safe").load(configmap["data"]["config.kubernetes.yaml"]) == overlay


def test_a_config_change_rolls_the_pods() -> None:
    def checksum(**changes: Any) -> str:
        deployment = by_kind(manifests(sample_plan(**changes)))["Deployment"]
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() == checksum()
    assert checksum() != checksum(hosts=("other.example.com",))


def test_no_service_monitor_when_metrics_are_off() -> None:
    documents = manifests(sample_plan(metrics_path=None))
    assert "ServiceMonitor" not in by_kind(documents)
    check_all(documents)


def test_the_autoscaler_owns_the_replica_count() -> None:
    documents = by_kind(manifests(sample_plan(replicas=3, max_replicas=2)))
    assert "replicas" not in documents["Deployment"]["spec"]
    hpa = documents["HorizontalPodAutoscaler"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 3)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("weather", "weather"),
        ("My_Server.v2", "my-server-v2"),
        ("--x--", "x"),
        ("___", "mcp-server"),
        ("a" * 80, "a" * 63),
    ],
)
def test_dns_label(name: str, label: str) -> None:
    assert dns_label(name) == label
