"""The Docker engine behind a typed :class:`ImageBuilder`: the only module that imports ``docker``.

Every ``docker`` exception is wrapped into an :class:`~mcpgen.errors.DockerError`
subclass here, with a hint for the common causes (daemon not running, base
image not present, no disk space). Builds and containers use host networking
when asked (``network_mode="host"``); nothing here picks an address.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import docker
import docker.errors
import requests.exceptions

from mcpgen.build.plan import PythonTarget
from mcpgen.errors import DockerError, EngineUnavailable, ImageBuildError, RegistryError

LineSink = Callable[[str], None]
_STEP = re.compile(r"^Step \d+/\d+ : (.*)$")
_LAYER = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
PROBE = (
    "import json, platform, sys; print(json.dumps({'version': '%d.%d' % sys.version_info[:2], "
    "'machine': platform.machine(), 'glibc': platform.libc_ver()[1], 'executable': sys.executable}))"
)


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: list[str]
    size: int
    created: str
    labels: dict[str, str] = field(default_factory=dict)
    user: str = ""
    env: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ContainerSpec:
    image: str
    name: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    network_host: bool = False
    ports: Mapping[int, tuple[str, int]] = field(default_factory=dict)
    """container port → (host address, host port)."""
    mounts: Mapping[str, str] = field(default_factory=dict)
    """host path → container path (read-only)."""
    command: Sequence[str] = ()
    entrypoint: Sequence[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


class ImageBuilder(Protocol):
    """What mcpgen needs from a container engine."""

    def ping(self) -> str: ...
    def inspect_image(self, ref: str) -> ImageInfo | None: ...
    def probe_python(self, image: str) -> PythonTarget: ...
    def build(
        self, context: IO[bytes], *, no_cache: bool, platform: str | None, on_line: LineSink
    ) -> str: ...
    def tag(self, image_id: str, ref: str) -> None: ...
    def push(self, ref: str, *, auth: Mapping[str, str] | None, on_line: LineSink) -> None: ...
    def pull(self, ref: str, *, auth: Mapping[str, str] | None = None) -> str: ...
    def remove_image(self, ref: str, *, force: bool = False) -> None: ...
    def list_images(self, label: str) -> list[ImageInfo]: ...
    def save_image(self, ref: str) -> Iterator[bytes]: ...
    def run(self, spec: ContainerSpec) -> str: ...
    def container_logs(
        self, container_id: str, *, follow: bool, tail: int | None = None
    ) -> Iterator[str]: ...
    def container_status(self, container_id: str) -> str: ...
    def stop(self, container_id: str, *, timeout: int = 10) -> None: ...
    def remove_container(self, container_id: str) -> None: ...
    def has_buildx(self) -> bool: ...


def hint_for(text: str) -> str | None:
    """A fix suggestion for the common failure causes, from the engine's message."""
    low = text.lower()
    if "no space left" in low:
        return "the disk is full: free space, e.g. `docker system prune` and `mcpgen images --prune 3`"
    if (
        "pull access denied" in low
        or "manifest unknown" in low
        or "not found: manifest" in low
        or ("error pulling image" in low)
        or "failed to resolve" in low
        or "no such image" in low
    ):
        return "the base image is not present locally and cannot be pulled: `docker pull` it or pass --base-image"
    if "python3: not found" in low or "stat /bin/sh" in low or 'python3": executable file not found' in low:
        return "the base image has no python3 (or no shell): use a Python base image, e.g. --base-image python:3.12-slim"
    if "no matching distribution" in low or "could not find a version" in low:
        return "a dependency cannot be installed: build with --offline (wheels are fetched on the host) or fix the requirement"
    if (
        "connection refused" in low
        or ("file not found" in low and "docker.sock" in low)
        or "permission denied" in low
    ):
        return "is the Docker daemon running and may you use it? start it (`dockerd`) or set DOCKER_HOST"
    if "unauthorized" in low or "authentication required" in low or "denied" in low:
        return "log in to the registry (`docker login`) or store REGISTRY_USERNAME/REGISTRY_PASSWORD with `mcpgen secrets set`"
    return None


@contextlib.contextmanager
def _wrapped(what: str) -> Iterator[None]:
    try:
        yield
    except DockerError:
        raise
    except docker.errors.DockerException as exc:
        text = str(exc)
        raise DockerError(f"{what}: {text}", hint=hint_for(text)) from exc
    except requests.exceptions.RequestException as exc:
        raise EngineUnavailable(
            f"{what}: the Docker engine does not answer ({exc})", hint=hint_for("connection refused")
        ) from exc


class DockerEngine:
    """:class:`ImageBuilder` on the Docker SDK; ``DOCKER_HOST`` etc. are read from the environment."""

    def __init__(self, client: Any = None, *, network_host: bool = True, timeout: int = 600) -> None:
        self._client = client
        self.network_host = network_host
        self.timeout = timeout

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=self.timeout)
            except docker.errors.DockerException as exc:
                raise EngineUnavailable(
                    f"cannot reach the Docker engine: {exc}",
                    hint="start the Docker daemon (or set DOCKER_HOST to a reachable engine)",
                ) from exc
        return self._client

    def ping(self) -> str:
        with _wrapped("ping"):
            self.client.ping()
            version: str = self.client.version().get("Version", "unknown")
            return version

    def inspect_image(self, ref: str) -> ImageInfo | None:
        with _wrapped(f"inspecting {ref}"):
            try:
                image = self.client.images.get(ref)
            except docker.errors.ImageNotFound:
                return None
            return _info(image.attrs)

    def probe_python(self, image: str) -> PythonTarget:
        """Run ``python3`` in a throwaway container of ``image`` to learn its version and platform."""
        with _wrapped(f"probing Python in {image}"):
            out = self.client.containers.run(
                image, ["python3", "-c", PROBE], remove=True, network_mode="none", entrypoint=[]
            )
        data = json.loads(out.decode().strip().splitlines()[-1])
        return PythonTarget(
            version=data["version"],
            machine=data["machine"] or "x86_64",
            glibc=data["glibc"] or "2.17",
            executable="python3",
            source="probe",
        )

    def build(
        self,
        context: IO[bytes],
        *,
        no_cache: bool,
        platform: str | None,
        on_line: LineSink,
        build_args: Mapping[str, str] | None = None,
    ) -> str:
        """Build from a tar context; on failure the intermediate images this build made are removed."""
        created: list[str] = []
        ok = False
        try:
            image_id = self._build(
                context,
                no_cache=no_cache,
                platform=platform,
                on_line=on_line,
                created=created,
                build_args=build_args,
            )
            ok = True
            return image_id
        finally:
            if not ok and created:
                removed = self._remove_intermediates(created)
                on_line(f"removed {removed} intermediate image(s) this failed build had made")

    def _build(
        self,
        context: IO[bytes],
        *,
        no_cache: bool,
        platform: str | None,
        on_line: LineSink,
        created: list[str],
        build_args: Mapping[str, str] | None = None,
    ) -> str:
        instruction: str | None = None
        tail: list[str] = []
        image_id: str | None = None
        cached = False
        kwargs: dict[str, Any] = {
            "fileobj": context,
            "custom_context": True,
            "rm": True,
            "forcerm": True,
            "decode": True,
            "nocache": no_cache,
            "pull": False,
        }
        if self.network_host:
            kwargs["network_mode"] = "host"
        if platform:
            kwargs["platform"] = platform
        if build_args:
            kwargs["buildargs"] = dict(build_args)
        with _wrapped("docker build"):
            stream = self.client.api.build(**kwargs)
            try:
                for chunk in stream:
                    if "stream" in chunk:
                        for line in str(chunk["stream"]).splitlines():
                            if not line.strip():
                                continue
                            match = _STEP.match(line)
                            if match:
                                instruction = match.group(1)
                                cached = False
                            elif line.strip() == "---> Using cache":
                                cached = True
                            else:
                                layer = _LAYER.match(line)
                                # FROM prints the base image's id: never ours to remove
                                if (
                                    layer
                                    and not cached
                                    and not (instruction or "").upper().startswith("FROM ")
                                ):
                                    created.append(layer.group(1))
                            tail = [*tail[-30:], line]
                            on_line(line)
                    if "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
                        image_id = str(chunk["aux"]["ID"])
                    if "error" in chunk:
                        message = str(chunk.get("error", "")).strip()
                        on_line(message)
                        raise ImageBuildError(
                            f"the Docker build failed at {instruction or 'an instruction'}: {message}",
                            step="Building image",
                            instruction=instruction,
                            output="\n".join([*tail[-15:], message]),
                            hint=hint_for(message + "\n" + "\n".join(tail[-15:])),
                        )
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        if image_id is None:
            successful = [line for line in tail if line.startswith("Successfully built ")]
            if not successful:
                raise ImageBuildError(
                    "the Docker build ended without an image",
                    step="Building image",
                    output="\n".join(tail[-15:]),
                )
            image_id = successful[-1].split()[-1]
        return image_id

    def _remove_intermediates(self, image_ids: Sequence[str]) -> int:
        """Remove untagged images a failed build made, newest first; one still in use is kept."""
        removed = 0
        for image_id in reversed(image_ids):
            try:
                self.client.images.remove(image_id, force=False, noprune=True)
                removed += 1
            except (docker.errors.DockerException, requests.exceptions.RequestException):
                continue  # tagged meanwhile, or a parent of something else: not ours to force
        return removed

    def tag(self, image_id: str, ref: str) -> None:
        repository, _, tag = ref.rpartition(":")
        with _wrapped(f"tagging {ref}"):
            self.client.api.tag(image_id, repository, tag)

    def push(self, ref: str, *, auth: Mapping[str, str] | None, on_line: LineSink) -> None:
        repository, _, tag = ref.rpartition(":")
        with _wrapped(f"pushing {ref}"):
            for chunk in self.client.api.push(
                repository, tag=tag, stream=True, decode=True, auth_config=dict(auth) if auth else None
            ):
                if "error" in chunk:
                    message = str(chunk["error"])
                    raise RegistryError(
                        f"push of {ref} failed: {message}", reference=ref, hint=hint_for(message)
                    )
                status = chunk.get("status")
                if status and chunk.get("id") is None:
                    on_line(str(status))

    def pull(self, ref: str, *, auth: Mapping[str, str] | None = None) -> str:
        repository, _, tag = ref.rpartition(":")
        with _wrapped(f"pulling {ref}"):
            try:
                image = self.client.images.pull(repository, tag=tag, auth_config=dict(auth) if auth else None)
            except docker.errors.APIError as exc:
                raise RegistryError(
                    f"pull of {ref} failed: {exc}", reference=ref, hint=hint_for(str(exc))
                ) from exc
            image_id: str = image.id
            return image_id

    def remove_image(self, ref: str, *, force: bool = False) -> None:
        with _wrapped(f"removing {ref}"), contextlib.suppress(docker.errors.ImageNotFound):
            self.client.images.remove(ref, force=force, noprune=False)

    def list_images(self, label: str) -> list[ImageInfo]:
        with _wrapped("listing images"):
            images = self.client.images.list(filters={"label": label})
            return [_info(image.attrs) for image in images]

    def save_image(self, ref: str) -> Iterator[bytes]:
        with _wrapped(f"saving {ref}"):
            chunks: Iterator[bytes] = self.client.images.get(ref).save(named=False)
            yield from chunks

    def run(self, spec: ContainerSpec) -> str:
        kwargs: dict[str, Any] = {
            "detach": True,
            "environment": dict(spec.environment),
            "labels": dict(spec.labels),
        }
        if spec.name:
            kwargs["name"] = spec.name
        if spec.network_host:
            kwargs["network_mode"] = "host"
        else:
            kwargs["ports"] = {f"{c}/tcp": (addr, port) for c, (addr, port) in spec.ports.items()}
        if spec.mounts:
            kwargs["volumes"] = {host: {"bind": inside, "mode": "ro"} for host, inside in spec.mounts.items()}
        if spec.command:
            kwargs["command"] = list(spec.command)
        if spec.entrypoint is not None:
            kwargs["entrypoint"] = list(spec.entrypoint)
        with _wrapped(f"starting a container of {spec.image}"):
            container = self.client.containers.run(spec.image, **kwargs)
            container_id: str = container.id
            return container_id

    def container_logs(self, container_id: str, *, follow: bool, tail: int | None = None) -> Iterator[str]:
        with _wrapped("reading container logs"):
            container = self.client.containers.get(container_id)
            if follow:
                for chunk in container.logs(stream=True, follow=True, timestamps=True):
                    yield chunk.decode(errors="replace").rstrip("\n")
            else:
                text = container.logs(timestamps=True, tail=tail if tail is not None else "all")
                yield from text.decode(errors="replace").splitlines()

    def container_status(self, container_id: str) -> str:
        with _wrapped("inspecting a container"):
            try:
                container = self.client.containers.get(container_id)
            except docker.errors.NotFound:
                return "removed"
            status: str = container.status
            return status

    def stop(self, container_id: str, *, timeout: int = 10) -> None:
        with _wrapped("stopping a container"), contextlib.suppress(docker.errors.NotFound):
            self.client.containers.get(container_id).stop(timeout=timeout)

    def remove_container(self, container_id: str) -> None:
        with _wrapped("removing a container"), contextlib.suppress(docker.errors.NotFound):
            self.client.containers.get(container_id).remove(force=True)

    def has_buildx(self) -> bool:
        import shutil
        import subprocess

        docker_cli = shutil.which("docker")
        if docker_cli is None:
            return False
        proc = subprocess.run([docker_cli, "buildx", "version"], capture_output=True, check=False)
        return proc.returncode == 0


def _info(attrs: Mapping[str, Any]) -> ImageInfo:
    config = attrs.get("Config") or {}
    return ImageInfo(
        id=str(attrs.get("Id", "")),
        tags=list(attrs.get("RepoTags") or []),
        size=int(attrs.get("Size") or 0),
        created=str(attrs.get("Created", "")),
        labels=dict(config.get("Labels") or {}),
        user=str(config.get("User") or ""),
        env=list(config.get("Env") or []),
    )
