"""``mcpgen deploy k8s``: Kubernetes manifests for a server image (pure).

:func:`manifests` turns a :class:`KubePlan` into the objects ``kubectl apply -f``
takes, in order: the ConfigMap (a config overlay, never a secret value), the
Deployment, its Service, HorizontalPodAutoscaler (``autoscaling/v2``),
PodDisruptionBudget, NetworkPolicy and, when metrics are on, a
``monitoring.coreos.com/v1`` ServiceMonitor. :func:`kube_files` gives them as
``{file name: YAML text}``. The Helm chart (:mod:`mcpgen.build.helm`) renders
the same objects from its ``values.yaml``.

How the pod starts safely: it binds ``0.0.0.0``, which the runtime refuses
without ``server.allowed_hosts`` or authentication (``refuse_unsafe_bind``), so
the overlay sets ``server.allowed_hosts`` to the Service's DNS names (``NAME``,
``NAME.NS``, ``NAME.NS.svc``, ``NAME.NS.svc.cluster.local``, any port) plus the
public ``hosts`` given. Probes and Prometheus reach ``/health/*`` and
``/metrics``, which the Host check does not cover.

Credentials reach the pod as environment variables from one Secret the user
creates (``NAME-credentials``, one key per declared credential;
:func:`secret_command` prints the ``kubectl`` line that makes it from the
shell's environment); an optional credential's key is optional.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

CONFIG_ENV = "kubernetes"
"""``MCPGEN_ENV`` in the pod: the ConfigMap is mounted as ``config/config.kubernetes.yaml``."""
APP = "/app"
HOME = "/home/mcpgen"
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
DEFAULT_LIMITS = {"cpu": "1", "memory": "512Mi"}
API_KEYS_FILE = "api_keys.json"


@dataclass(frozen=True)
class SecretKey:
    """One declared credential: a key of the credentials Secret, an environment variable in the pod."""

    name: str
    required: bool = True
    secret: bool = True
    description: str = ""


@dataclass(frozen=True)
class KubePlan:
    name: str
    """The objects' name: a DNS label made from the server name."""
    server: str
    version: str
    image: str
    namespace: str = "default"
    port: int = 8080
    replicas: int = 2
    max_replicas: int = 6
    cpu_target: int = 70
    requests: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REQUESTS))
    limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    metrics_path: str | None = "/metrics"
    """``None``: metrics are off (no ServiceMonitor, no scrape annotation)."""
    hosts: Sequence[str] = ()
    """Public host names (an Ingress); the Service's own names are always allowed."""
    allowed_hosts: Sequence[str] = ()
    """``server.allowed_hosts`` the workspace's config already has (kept)."""
    credentials: Sequence[SecretKey] = ()
    api_keys: bool = False
    """``server.auth.api_keys``: mount ``.mcpgen/api_keys.json`` from the Secret ``NAME-api-keys``."""
    uid: int = 10001
    grace_seconds: int = 35
    mcp_name: str = ""
    """The MCP Registry name (``io.github.owner/name``), as an annotation."""

    @property
    def credentials_secret(self) -> str:
        return f"{self.name}-credentials"

    @property
    def api_keys_secret(self) -> str:
        return f"{self.name}-api-keys"


def dns_label(name: str) -> str:
    """A Kubernetes object name (RFC 1123 label) from a server name: ``My_Server.v2`` → ``my-server-v2``."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    label = re.sub(r"-{2,}", "-", label).strip("-")[:63].rstrip("-")
    return label or "mcp-server"


def service_hosts(name: str, namespace: str) -> list[str]:
    """The names a client in the cluster uses for the Service, on any port."""
    names = [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local"]
    return [f"{host}{suffix}" for host in names for suffix in ("", ":*")]


def allowed_hosts(plan: KubePlan) -> list[str]:
    """``server.allowed_hosts`` in the pod: the Service's names, the public hosts, the configured ones."""
    seen: dict[str, None] = {}
    public = [
        f"{host}{suffix}" for host in plan.hosts for suffix in (("", ":*") if ":" not in host else ("",))
    ]
    for host in [*service_hosts(plan.name, plan.namespace), *public, *plan.allowed_hosts]:
        seen.setdefault(host, None)
    return list(seen)


def config_overlay(plan: KubePlan) -> dict[str, Any]:
    """``config/config.kubernetes.yaml``: what the pod needs over the image's config (no secret values)."""
    return {
        "server": {"host": "0.0.0.0", "port": plan.port, "allowed_hosts": allowed_hosts(plan)},
        "logging": {"format": "json"},
    }


def labels(plan: KubePlan, instance: str | None = None) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": plan.name,
        "app.kubernetes.io/instance": instance or plan.name,
        "app.kubernetes.io/version": _label_value(plan.version),
        "app.kubernetes.io/component": "mcp-server",
        "app.kubernetes.io/part-of": plan.name,
        "app.kubernetes.io/managed-by": "mcpgen",
    }


def selector(plan: KubePlan) -> dict[str, str]:
    return {"app.kubernetes.io/name": plan.name, "app.kubernetes.io/instance": plan.name}


def _label_value(value: str) -> str:
    """A label value: at most 63 of ``[A-Za-z0-9_.-]``, alphanumeric at both ends."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", text)


def _meta(plan: KubePlan, name: str | None = None) -> dict[str, Any]:
    return {"name": name or plan.name, "namespace": plan.namespace, "labels": labels(plan)}


def dump_yaml(documents: Sequence[Mapping[str, Any]]) -> str:
    """YAML documents separated by ``---``, keys in the order given."""
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    parts = []
    for document in documents:
        buffer = StringIO()
        yaml.dump(_plain(document), buffer)
        parts.append(buffer.getvalue())
    return "---\n".join(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)  # a file in a ConfigMap reads as a block, not one quoted line
    return value


def overlay_text(plan: KubePlan) -> str:
    header = (
        "# config/config.kubernetes.yaml in the pod (MCPGEN_ENV=kubernetes), over the image's config.yaml.\n"
        "# server.allowed_hosts lets the pod bind 0.0.0.0 safely: add the host names clients use.\n"
        "# Never put a secret value here: credentials come from the Secret, as environment variables.\n"
    )
    return header + dump_yaml([config_overlay(plan)])


def config_map(plan: KubePlan) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(plan, f"{plan.name}-config"),
        "data": {f"config.{CONFIG_ENV}.yaml": overlay_text(plan)},
    }


def _env(plan: KubePlan) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "PORT", "value": str(plan.port)},
        {"name": "MCPGEN_ENV", "value": CONFIG_ENV},
    ]
    for key in plan.credentials:
        ref: dict[str, Any] = {"name": plan.credentials_secret, "key": key.name}
        if not key.required:
            ref["optional"] = True
        env.append({"name": key.name, "valueFrom": {"secretKeyRef": ref}})
    return env


def _probe(path: str, *, period: int, failures: int, timeout: int = 3) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    }


def _volumes(plan: KubePlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    config_file = f"config.{CONFIG_ENV}.yaml"
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": f"{plan.name}-config"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "home", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    mounts: list[dict[str, Any]] = [
        {
            "name": "config",
            "mountPath": f"{APP}/config/{config_file}",
            "subPath": config_file,
            "readOnly": True,
        },
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "home", "mountPath": HOME},
    ]
    if plan.api_keys:
        volumes.append({"name": "api-keys", "secret": {"secretName": plan.api_keys_secret}})
        mounts.append(
            {
                "name": "api-keys",
                "mountPath": f"{APP}/.mcpgen/{API_KEYS_FILE}",
                "subPath": API_KEYS_FILE,
                "readOnly": True,
            }
        )
    return volumes, mounts


def config_checksum(plan: KubePlan) -> str:
    """Changes with the ConfigMap, so a new config rolls the pods."""
    return hashlib.sha256(overlay_text(plan).encode()).hexdigest()


def pod_security_context(plan: KubePlan) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": plan.uid,
        "runAsGroup": plan.uid,
        "fsGroup": plan.uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


def deployment(plan: KubePlan) -> dict[str, Any]:
    volumes, mounts = _volumes(plan)
    annotations = {"checksum/config": config_checksum(plan)}
    if plan.mcp_name:
        annotations["io.modelcontextprotocol.server.name"] = plan.mcp_name
    container = {
        "name": "server",
        "image": plan.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": plan.port, "protocol": "TCP"}],
        "env": _env(plan),
        "resources": {"requests": dict(plan.requests), "limits": dict(plan.limits)},
        "startupProbe": _probe("/health/live", period=2, failures=30),
        "livenessProbe": _probe("/health/live", period=10, failures=3),
        "readinessProbe": _probe("/health/ready", period=5, failures=2),
        "securityContext": CONTAINER_SECURITY_CONTEXT,
        "volumeMounts": mounts,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(plan),
        "spec": {  # no `replicas`: the autoscaler owns it (minReplicas), so `kubectl apply` does not fight it
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(plan)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(plan), "annotations": annotations},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": plan.grace_seconds,
                    "securityContext": pod_security_context(plan),
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def service(plan: KubePlan) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(plan),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(plan),
            "ports": [{"name": "http", "port": plan.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(plan: KubePlan) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(plan),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "minReplicas": plan.replicas,
            "maxReplicas": max(plan.max_replicas, plan.replicas),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": plan.cpu_target},
                    },
                }
            ],
        },
    }


def disruption_budget(plan: KubePlan) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(plan),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(plan)}},
    }


def network_policy(plan: KubePlan) -> dict[str, Any]:
    """Only the server's port is reachable (from anywhere a Service can be reached); egress is open:
    tools call their APIs."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(plan),
        "spec": {
            "podSelector": {"matchLabels": selector(plan)},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": plan.port}]}],
        },
    }


def service_monitor(plan: KubePlan) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _meta(plan),
        "spec": {
            "selector": {"matchLabels": selector(plan)},
            "namespaceSelector": {"matchNames": [plan.namespace]},
            "endpoints": [{"port": "http", "path": plan.metrics_path, "interval": "30s"}],
        },
    }


def manifests(plan: KubePlan) -> list[dict[str, Any]]:
    """Every object, in the order ``kubectl apply`` should create them."""
    docs = [
        config_map(plan),
        deployment(plan),
        service(plan),
        autoscaler(plan),
        disruption_budget(plan),
        network_policy(plan),
    ]
    if plan.metrics_path:
        docs.append(service_monitor(plan))
    return docs


FILE_NAMES = {
    "ConfigMap": "configmap.yaml",
    "Deployment": "deployment.yaml",
    "Service": "service.yaml",
    "HorizontalPodAutoscaler": "hpa.yaml",
    "PodDisruptionBudget": "pdb.yaml",
    "NetworkPolicy": "networkpolicy.yaml",
    "ServiceMonitor": "servicemonitor.yaml",
}


def kube_files(plan: KubePlan) -> dict[str, str]:
    """``{file name: YAML}``, one object per file (``kubectl apply -f DIR``)."""
    header = (
        f"# Generated by `mcpgen deploy k8s` for {plan.server} {plan.version}: edit mcpgen.yaml and rerun.\n"
    )
    return {FILE_NAMES[doc["kind"]]: header + dump_yaml([doc]) for doc in manifests(plan)}


def secret_command(plan: KubePlan) -> list[str]:
    """The ``kubectl`` commands that create the Secrets the pods read, values from the shell's environment."""
    commands = []
    if plan.credentials:
        literals = " ".join(f'--from-literal={key.name}="${key.name}"' for key in plan.credentials)
        commands.append(
            f"kubectl create secret generic {plan.credentials_secret} --namespace {plan.namespace} {literals}"
        )
    if plan.api_keys:
        commands.append(
            f"kubectl create secret generic {plan.api_keys_secret} --namespace {plan.namespace} "
            f"--from-file={API_KEYS_FILE}=.mcpgen/{API_KEYS_FILE}"
        )
    return commands
