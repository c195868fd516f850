"""``mcpgen deploy k8s``: Kubernetes manifests or a Helm chart for a workspace's image.

What the files describe comes from three places, the command line first:
the flags (``--image``, ``--replicas``, ``--namespace``, ``--host``), the
``kubernetes:`` section of ``mcpgen.yaml``, and the runtime config (port,
metrics, auth, ``server.allowed_hosts``, the shutdown grace period). The image
is what ``mcpgen build`` tags (``NAME:v{version}``, under ``build.registry``)
unless ``--image`` names one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcpgen.build.helm import chart_files
from mcpgen.build.kubernetes import (
    DEFAULT_LIMITS,
    DEFAULT_REQUESTS,
    KubePlan,
    SecretKey,
    allowed_hosts,
    dns_label,
    kube_files,
    secret_command,
)
from mcpgen.build.reference import build_tags, parse_reference, repository_name
from mcpgen.build.server_json import registry_name
from mcpgen.config import Config, load_config
from mcpgen.config.project import KubernetesSettings, ProjectFile
from mcpgen.errors import ConfigError, UsageError, ValidationFailed
from mcpgen.manifest import Manifest
from mcpgen.runtime.settings import settings_from_config
from mcpgen.workflows.credentials import is_masked
from mcpgen.workflows.generate import generate
from mcpgen.workflows.project import Project

DEFAULT_OUT = Path("deploy", "kubernetes")
DEFAULT_HELM_OUT = Path("deploy", "helm")
DEFAULT_REPLICAS = 2


@dataclass(frozen=True)
class DeployOptions:
    out: Path | None = None
    helm: bool = False
    image: str | None = None
    replicas: int | None = None
    namespace: str | None = None
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deployed:
    out: Path
    files: list[Path]
    plan: KubePlan
    helm: bool
    secret_commands: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "format": "helm" if self.helm else "manifests",
            "files": [str(p) for p in self.files],
            "name": self.plan.name,
            "namespace": self.plan.namespace,
            "image": self.plan.image,
            "allowedHosts": allowed_hosts(self.plan),
            "secrets": [key.name for key in self.plan.credentials],
            "secretCommands": self.secret_commands,
            "warnings": self.warnings,
        }


def default_image(project: ProjectFile, now: datetime | None = None) -> str:
    """What ``mcpgen build`` tags the image as: ``[build.registry/]NAME:v{version}``."""
    tags = build_tags(
        repository_name(project.name),
        project.version,
        now or datetime.now(UTC),
        registry=project.build.registry,
    )
    return tags[1]


def runtime_config(project: Project, manifest: Manifest, environ: Mapping[str, str]) -> Config:
    """The workspace's config; credentials not set here get stand-in values (only non-secret
    settings are read from it)."""
    try:
        return load_config(project.root, environ=environ).config
    except ConfigError:
        stand_in = {c.name: "stand-in" for c in manifest.credentials}
        return load_config(project.root, environ={**stand_in, **environ}).config


def kube_plan(
    project: Project, manifest: Manifest, config: Config, options: DeployOptions
) -> tuple[KubePlan, list[str]]:
    """Everything the files say, decided (pure given the loaded config)."""
    k8s = project.file.kubernetes
    _check_flags(options)
    warnings: list[str] = []
    image = options.image or default_image(project.file)
    ref = parse_reference(image)
    if not ref.tag and not ref.digest:
        raise UsageError(f"--image {image!r} needs a tag or a digest (a moving `latest` is not deployable)")
    if ref.tag == "latest":
        warnings.append(f"image {image} uses the tag `latest`: pods may run different builds")
    if not ref.domain:
        warnings.append(
            f"image {image} has no registry: the cluster pulls it from Docker Hub "
            "(set build.registry in mcpgen.yaml or pass --image)"
        )
    settings = settings_from_config(config, project.root)
    port = config.server.port or 8080
    replicas = options.replicas or k8s.replicas or DEFAULT_REPLICAS
    if config.logging.destination == "file" or config.server.audit.file:
        warnings.append(
            "logging.file / server.audit.file: the root filesystem is read-only in the pod; "
            "point them under /tmp or mount a volume"
        )
    plan = KubePlan(
        name=dns_label(project.file.name),
        server=manifest.server.name,
        version=manifest.server.version,
        image=str(ref),
        namespace=options.namespace or k8s.namespace or "default",
        port=port,
        replicas=replicas,
        max_replicas=k8s.max_replicas or max(replicas * 3, 3),
        cpu_target=k8s.cpu_target,
        requests={**DEFAULT_REQUESTS, **k8s.requests},
        limits={**DEFAULT_LIMITS, **k8s.limits},
        metrics_path=config.monitoring.metrics.path if config.monitoring.metrics.enabled else None,
        hosts=(*k8s.hosts, *options.hosts),
        allowed_hosts=tuple(config.server.allowed_hosts),
        credentials=tuple(
            SecretKey(
                c.name, required=c.required and not c.when, secret=is_masked(c), description=c.description
            )
            for c in manifest.credentials
        ),
        api_keys=config.server.auth.api_keys,
        grace_seconds=int(config.server.graceful_shutdown_timeout) + 5,
        mcp_name=registry_name(project.file).name,
    )
    if not plan.hosts and not settings.auth.enabled:
        warnings.append(
            "no public host names (kubernetes.hosts in mcpgen.yaml or --host): the server answers only "
            "the Service's names; add the Ingress host before exposing it"
        )
    return plan, warnings


def _check_flags(options: DeployOptions) -> None:
    """--namespace and --host follow the rules of their mcpgen.yaml keys."""
    try:
        KubernetesSettings(namespace=options.namespace, hosts=options.hosts)
    except ValidationError as exc:
        problems = [
            f"--{'host' if error['loc'][0] == 'hosts' else 'namespace'}: "
            + str(error["msg"]).removeprefix("Value error, ")
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise UsageError("; ".join(problems)) from None


def write_files(out: Path, files: Mapping[str, str]) -> list[Path]:
    written = []
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def deploy_k8s(root: Path, options: DeployOptions, environ: Mapping[str, str] | None = None) -> Deployed:
    """Render the manifests (or the chart) for the workspace at ``root`` and write them."""
    gen = generate(root)
    if not gen.report.ok or gen.manifest is None:
        raise ValidationFailed(f"{len(gen.report.errors)} error(s) in {root}", report=gen.report)
    config = runtime_config(gen.project, gen.manifest, os.environ if environ is None else environ)
    plan, warnings = kube_plan(gen.project, gen.manifest, config, options)
    if options.helm:
        out = options.out or gen.project.root / DEFAULT_HELM_OUT / plan.name
        files = chart_files(plan)
    else:
        out = options.out or gen.project.root / DEFAULT_OUT
        files = kube_files(plan)
    written = write_files(out, files)
    return Deployed(out, written, plan, options.helm, secret_command(plan), warnings)
