"""``mcpgen run``: build (cache-aware), start the container, wait until ``/health/ready`` answers.

Every declared credential and every stored secret is handed to the container
when it starts, never baked into the image: its value comes from ``--env-file``,
else the host environment, else the secret store; only the names (and where each
came from) are reported. By default they are environment variables (which
``docker inspect`` shows); ``--secrets-as-files`` writes them instead to files on a
host tmpfs mounted read-only at ``/run/secrets`` (``MCPGEN_SECRETS_DIR``), removed
from the host once the server is ready. The host
port is bound to 127.0.0.1 by default and checked free first; with
``--network host`` the server itself listens on ``--host:--port``. ``--dev``
mounts ``tools/``, ``connectors/`` and ``config/`` read-only and runs
``mcpgen dev`` inside the container, which reloads on change.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcpgen import manifest as manifest_io
from mcpgen.build.docker_engine import ContainerSpec, DockerEngine, ImageBuilder
from mcpgen.build.dockerfile import APP as APP_ROOT
from mcpgen.build.dockerfile import VENV
from mcpgen.build.plan import IMAGE_HOSTS, BuildOptions
from mcpgen.errors import DockerError, McpgenError, UsageError
from mcpgen.runtime.credentials import SECRETS_DIR_VAR, check_credentials
from mcpgen.runtime.settings import is_loopback
from mcpgen.workflows.build import BuildResult, Progress, build
from mcpgen.workflows.configure import stored_secrets
from mcpgen.workflows.project import STATE_DIR, load_project

CONTAINER_PORT = 8080
SECRETS_MOUNT = "/run/secrets"
"""Where ``--secrets-as-files`` mounts the credential files (the Docker Compose/Swarm convention)."""
DEV_DIRS = ("tools", "connectors", "config")
RUNNING = ("created", "running", "restarting")


@dataclass(frozen=True)
class RunOptions:
    port: int = 8080
    host: str = "127.0.0.1"
    network: str | None = None
    detach: bool = False
    name: str | None = None
    env_file: Path | None = None
    remove: bool = False
    dev: bool = False
    ready_timeout: float = 30.0
    secrets_as_files: bool = False
    """Credentials as files in a read-only tmpfs folder (``/run/secrets``), not environment variables."""
    build: BuildOptions = field(default_factory=BuildOptions)


@dataclass
class Started:
    container_id: str
    image: str
    url: str
    build: BuildResult
    env_names: list[str]
    credentials: dict[str, str] = field(default_factory=dict)
    """Credential name → where its value came from (``environment``, ``secret store``, ``env file``)."""
    secrets_as_files: bool = False


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines (``#`` comments, blank lines and an ``export`` prefix allowed)."""
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"--env-file {path}: cannot read: {exc}") from exc
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--env-file {path}:{number}: expected NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class ContainerEnvironment:
    """What the container is given: plain settings, and the credentials with where each came from."""

    settings: dict[str, str]
    credentials: dict[str, str] = field(repr=False)
    sources: dict[str, str]
    """Credential name → ``environment``, ``secret store`` or ``env file`` (names only: never a value)."""

    def as_variables(self) -> dict[str, str]:
        return {**self.credentials, **self.settings}


def plan_environment(
    root: Path, options: RunOptions, environ: Mapping[str, str], declared: Iterable[str] = ()
) -> ContainerEnvironment:
    """Every declared or stored credential (the host environment wins over the store, an ``--env-file``
    over both), the other ``--env-file`` variables, and where to listen."""
    stored = stored_secrets(root / STATE_DIR, environ)
    extra = read_env_file(options.env_file) if options.env_file is not None else {}
    credentials: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in sorted({*declared, *stored}):
        if name in extra:
            credentials[name], sources[name] = extra.pop(name), "env file"
        elif environ.get(name):
            credentials[name], sources[name] = environ[name], "environment"
        elif name in stored:
            credentials[name], sources[name] = stored[name], "secret store"
    settings = dict(extra)
    if options.network == "host":
        settings["PORT"] = str(options.port)
        settings["MCPGEN_SERVER__HOST"] = options.host
    elif is_loopback(options.host):  # published on loopback only: these are the names it is reached by
        settings.setdefault("MCPGEN_SERVER__ALLOWED_HOSTS", ",".join(IMAGE_HOSTS))
    return ContainerEnvironment(settings, credentials, sources)


def container_environment(
    root: Path, options: RunOptions, environ: Mapping[str, str], declared: Iterable[str] = ()
) -> dict[str, str]:
    """The container's environment variables when credentials travel as variables (the default)."""
    return plan_environment(root, options, environ, declared).as_variables()


def _host_tmpfs(environ: Mapping[str, str]) -> Path:
    """A RAM-backed folder on the host: ``/dev/shm``, else ``$XDG_RUNTIME_DIR``."""
    for candidate in ("/dev/shm", environ.get("XDG_RUNTIME_DIR") or ""):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return Path(candidate)
    raise UsageError(
        "--secrets-as-files writes the credentials to a tmpfs on the host, and neither /dev/shm nor "
        "$XDG_RUNTIME_DIR is a writable folder here; pass them as environment variables instead"
    )


def write_secret_files(values: Mapping[str, str], environ: Mapping[str, str]) -> tuple[Path, Path]:
    """One file per credential in a fresh folder on a host tmpfs; (folder to remove, folder to mount).

    The container's user (uid 10001) must read the files, so they are world-readable, inside a
    folder with an unguessable name under a folder others may enter but not list (0711).
    """
    outer = Path(tempfile.mkdtemp(prefix="mcpgen-secrets-", dir=_host_tmpfs(environ)))
    try:
        outer.chmod(0o711)
        inner = outer / secrets.token_urlsafe(24)
        inner.mkdir(mode=0o755)
        for name, value in values.items():
            fd = os.open(inner / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value)
            os.chmod(inner / name, 0o444)  # not narrowed by the umask
    except BaseException:
        shutil.rmtree(outer, ignore_errors=True)
        raise
    return outer, inner


def unreadable_for_others(folders: list[Path]) -> list[Path]:
    """Files and folders under ``folders`` that a different user (the container's uid 10001) cannot read."""
    bad: list[Path] = []
    for folder in folders:
        for path in [folder, *sorted(folder.rglob("*"))]:
            if "__pycache__" in path.parts or "node_modules" in path.parts:
                continue
            mode = path.stat().st_mode
            need = 0o005 if path.is_dir() else 0o004
            if mode & need != need:
                bad.append(path)
    return bad


def dev_mounts(root: Path) -> dict[str, str]:
    """Host folder → container folder for ``--dev``; each must be readable by the container's user."""
    folders = [(root / f).resolve() for f in DEV_DIRS if (root / f).is_dir()]
    bad = unreadable_for_others(folders)
    if bad:
        shown = ", ".join(str(p) for p in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise UsageError(
            f"--dev mounts these into a container whose server runs as uid 10001, which cannot read "
            f"{shown}; make them world-readable (e.g. `chmod -R o+rX {' '.join(str(f) for f in folders)}`)"
        )
    return {str(folder): f"{APP_ROOT}/{folder.name}" for folder in folders}


def wait_ready(url: str, is_running: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running():
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)  # polling a container over HTTP: nothing to await on
    return False


def start(
    root: Path,
    options: RunOptions,
    *,
    engine: ImageBuilder | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    on_log: Callable[[str], None] | None = None,
    before_start: Callable[[], None] | None = None,
) -> Started:
    """Build, start, wait for readiness. On failure the container is removed and the error names why."""
    environ = os.environ if environ is None else environ
    if options.network not in (None, "host", "bridge"):
        raise UsageError(f"--network must be host or bridge, not {options.network!r}")
    engine = engine or DockerEngine()
    project = load_project(root)
    connect_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else options.host
    if not port_is_free(options.host, options.port):
        raise UsageError(f"port {options.port} on {options.host} is in use; pick another with --port")
    if options.dev:
        dev_mounts(project.root)  # fail before building when the container could not read them
    result = build(project.root, options.build, engine=engine, progress=progress, environ=environ)
    image = result.tags[0]
    manifest = manifest_io.load(project.manifest_path) if project.manifest_path.is_file() else None
    declared = [c.name for c in manifest.credentials] if manifest is not None else []
    planned = plan_environment(project.root, options, environ, declared)
    if manifest is not None:  # fail before starting a container that would refuse to start
        check_credentials(manifest, planned.as_variables())
    env = planned.as_variables()
    mounts: dict[str, str] = {}
    scratch: Path | None = None
    if options.secrets_as_files:
        scratch, folder = write_secret_files(planned.credentials, environ)
        mounts[str(folder)] = SECRETS_MOUNT
        env = {**planned.settings, SECRETS_DIR_VAR: SECRETS_MOUNT}
    command: list[str] = []
    entrypoint: list[str] | None = None
    if options.dev:
        mounts.update(dev_mounts(project.root))
        inner_port = options.port if options.network == "host" else CONTAINER_PORT
        inner_host = options.host if options.network == "host" else "0.0.0.0"
        # `mcpgen dev` without the cli extra: the image holds the runtime set only
        entrypoint = [f"{VENV}/bin/python", "-m", "mcpgen.cli.devserver"]
        command = [APP_ROOT, "--host", inner_host, "--port", str(inner_port)]
    spec = ContainerSpec(
        image=image,
        name=options.name,
        environment=env,
        network_host=options.network == "host",
        ports={} if options.network == "host" else {CONTAINER_PORT: (options.host, options.port)},
        mounts=mounts,
        command=command,
        entrypoint=entrypoint,
        labels={"io.mcpgen.project": project.file.name},
    )
    if before_start is not None:
        before_start()  # e.g. end the build's live progress before the container's logs stream
    try:
        container_id = engine.run(spec)
        started = Started(
            container_id=container_id,
            image=image,
            url=f"http://{connect_host}:{options.port}",
            build=result,
            env_names=sorted(env),
            credentials=dict(planned.sources),
            secrets_as_files=options.secrets_as_files,
        )
        _wait(engine, started, options, on_log)
    finally:
        if scratch is not None:  # the server read the files at start-up: none stays on the host
            shutil.rmtree(scratch, ignore_errors=True)
    return started


def _wait(
    engine: ImageBuilder, started: Started, options: RunOptions, on_log: Callable[[str], None] | None
) -> None:
    """Follow the logs (when asked) and wait for readiness; remove the container when it never gets there."""
    container_id = started.container_id
    follower: threading.Thread | None = None
    if on_log is not None:
        follower = threading.Thread(
            target=_follow, args=(engine, container_id, on_log), name="mcpgen-logs", daemon=True
        )
        follower.start()
    try:
        ok = wait_ready(
            f"{started.url}/health/ready",
            lambda: engine.container_status(container_id) in RUNNING,
            options.ready_timeout,
        )
    except BaseException:
        engine.remove_container(container_id)
        raise
    if not ok:
        last = list(engine.container_logs(container_id, follow=False, tail=20))
        engine.remove_container(container_id)
        raise DockerError(
            f"the container did not become ready within {options.ready_timeout:.0f}s; last log lines:\n"
            + "\n".join(last),
            hint="check the log above (a missing required credential? set it with `mcpgen secrets set NAME`)",
        )


def _follow(engine: ImageBuilder, container_id: str, on_log: Callable[[str], None]) -> None:
    try:
        for line in engine.container_logs(container_id, follow=True):
            on_log(line)
    except McpgenError:
        return


def wait_stopped(engine: ImageBuilder, container_id: str, *, poll: float = 0.5) -> str:
    """Block until the container is no longer running (Ctrl+C raises KeyboardInterrupt here); its status."""
    while (status := engine.container_status(container_id)) in RUNNING:
        time.sleep(poll)  # the log follower prints; this waits for the container or Ctrl+C
    return status


def stop(engine: ImageBuilder, container_id: str, *, remove: bool) -> None:
    engine.stop(container_id)
    if remove:
        engine.remove_container(container_id)
