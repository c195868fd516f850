"""``mcpgen generate`` and ``mcpgen config show``: the runtime config files of a workspace.

``plan_config_files`` is pure (the files and their text); ``write_config_files``
writes the ones that are missing (or all of them with ``force``). Existing user
files are never overwritten without ``force``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from mcpgen.config import LoadedConfig, config_json_schema, load_config, render_config
from mcpgen.config.load import BASE_NAME, CONFIG_DIR, ENV_VAR, SUFFIXES
from mcpgen.discovery.diagnostics import Diagnostic, error
from mcpgen.errors import ConfigError
from mcpgen.manifest import Manifest
from mcpgen.secrets import SecretStore
from mcpgen.validation import Report
from mcpgen.workflows.generate import Generated, write_manifest
from mcpgen.workflows.project import STATE_DIR


@dataclass(frozen=True)
class ConfigFiles:
    manifest: Path
    written: list[Path]
    kept: list[Path]


def plan_config_files(manifest: Manifest) -> dict[Path, str]:
    """Relative path → text of every generated config file."""
    credentials = manifest.credentials
    name = manifest.server.name
    schema = (
        orjson.dumps(config_json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    )
    return {
        Path(CONFIG_DIR, "config.yaml"): render_config(credentials, "base", server_name=name),
        Path(CONFIG_DIR, "config.dev.yaml"): render_config(credentials, "dev", server_name=name),
        Path(CONFIG_DIR, "config.prod.yaml"): render_config(credentials, "prod", server_name=name),
        Path(CONFIG_DIR, "schema.json"): schema,
    }


def write_config_files(generated: Generated, *, force: bool = False) -> ConfigFiles:
    """Write the manifest (always: it is generated state) and the config files that are missing."""
    assert generated.manifest is not None
    manifest_path = write_manifest(generated)
    root = generated.project.root
    written: list[Path] = []
    kept: list[Path] = []
    for rel, text in plan_config_files(generated.manifest).items():
        target = root / rel
        # schema.json is generated, not edited by users: always refresh it.
        if target.exists() and not force and rel.name != "schema.json":
            kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(rel)
    return ConfigFiles(manifest=manifest_path, written=written, kept=kept)


def stored_secrets(state_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Every secret in the workspace's store (``{}`` when it has none yet); ``environ`` holds the key sources."""
    if not (state_dir / "secrets.enc").is_file():
        return {}
    return SecretStore.open(state_dir, environ=environ, create=False).items()


def inject_stored_secrets(state_dir: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Put the stored secrets into ``environ`` (a value already there wins); returns the names set.

    Nothing happens when the workspace has no secret store yet.
    """
    injected = []
    for name, value in stored_secrets(state_dir, environ).items():
        if name not in environ:
            environ[name] = value
            injected.append(name)
    return injected


def show_config(
    root: Path, *, env: str | None, environ: Mapping[str, str], overrides: Sequence[str]
) -> LoadedConfig:
    """The merged config of a workspace (stored secrets resolve ``${NAME}`` as they do when serving).

    The values of the stored secrets are marked sensitive: masked wherever they land. A
    ``${NAME}`` that is neither stored nor set is listed in ``missing``, not an error.
    """
    scratch = dict(environ)
    injected = inject_stored_secrets(root / STATE_DIR, scratch)
    loaded = load_config(root, env=env, environ=scratch, overrides=overrides, allow_missing=True)
    return replace(loaded, sensitive=tuple(scratch[name] for name in injected))


_CONFIG_AT = re.compile(r"(?P<path>config/[\w.-]+?)(?::(?P<line>\d+))?(?=[:\s)]|$)")
"""Where a config problem is: ``config/config.yaml:3`` (every config message names its file so)."""


_LEADING_AT = re.compile(r"^config/[\w.-]+(?::\d+)*:\s*")


def overlays(root: Path) -> list[str]:
    """The environment overlays the workspace has (``config/config.prod.yaml`` → ``prod``), sorted."""
    names = {
        path.name[len(BASE_NAME) + 1 : -len(suffix)]
        for suffix in SUFFIXES
        for path in (root / CONFIG_DIR).glob(f"{BASE_NAME}.*{suffix}")
    }
    return sorted(name for name in names if name and "." not in name)


def config_diagnostics(root: Path, environ: Mapping[str, str]) -> list[Diagnostic]:
    """Every problem of the layered config, as ``config-error`` diagnostics naming the file and line.

    The base config is loaded alone and with each overlay, so a mistake in ``config.prod.yaml`` is
    found before a deployment. An unset ``${NAME}`` is not a problem here (credentials are set later).
    """
    base = {k: v for k, v in environ.items() if k != ENV_VAR}
    found: dict[str, Diagnostic] = {}
    for env in [None, *overlays(root)]:
        try:
            load_config(root, env=env, environ=base, allow_missing=True)
        except ConfigError as exc:
            lines = [line.strip() for line in exc.message.splitlines()]
            for line in lines[1:] if len(lines) > 1 else lines:
                where = _CONFIG_AT.search(line)
                path = where.group("path") if where else f"{CONFIG_DIR}/{BASE_NAME}.yaml"
                number = int(where.group("line")) if where and where.group("line") else None
                message = _LEADING_AT.sub("", line)  # the location is the diagnostic's own
                found.setdefault(line, error("config-error", message, path, number))
    return list(found.values())


def with_config_problems(generated: Generated, environ: Mapping[str, str]) -> Generated:
    """``generated`` with the config's problems added to its report (``mcpgen validate``)."""
    problems = config_diagnostics(generated.project.root, environ)
    if not problems:
        return generated
    return replace(generated, report=Report.of([*generated.report.diagnostics, *problems]))
