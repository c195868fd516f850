"""``mcpgen generate --monitoring``: write ``monitoring/`` (dashboard, alert rules, compose file)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from mcpgen.build.monitoring import MonitoringPlan, monitoring_files
from mcpgen.build.reference import build_tags, repository_name
from mcpgen.config import load_config
from mcpgen.errors import ConfigError
from mcpgen.workflows.project import Project

FOLDER = "monitoring"


def monitoring_plan(project: Project) -> MonitoringPlan:
    """What the files describe: the project's image (``NAME:latest``), port and metrics path."""
    build = project.file.build
    image = build_tags(
        repository_name(project.file.name), project.file.version, datetime.now(UTC), registry=build.registry
    )[0]
    try:
        config = load_config(project.root, environ=os.environ).config
    except ConfigError:  # a ${VAR} not set here: the defaults
        return MonitoringPlan(server=project.file.name, image=image)
    return MonitoringPlan(
        server=project.file.name,
        image=image,
        port=config.server.port,
        metrics_path=config.monitoring.metrics.path,
    )


def write_monitoring(project: Project, *, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Write the files of ``monitoring/`` (existing ones kept unless ``force``): ``(written, kept)``,
    paths relative to the workspace."""
    written: list[Path] = []
    kept: list[Path] = []
    for relative, text in monitoring_files(monitoring_plan(project)).items():
        path = project.root / FOLDER / relative
        if path.exists() and not force:
            kept.append(path.relative_to(project.root))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path.relative_to(project.root))
    return written, kept
