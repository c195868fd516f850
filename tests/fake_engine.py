"""An in-memory :class:`~mcpgen.build.docker_engine.ImageBuilder` for build workflow and CLI tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO

from mcpgen.build.docker_engine import ContainerSpec, ImageInfo, LineSink
from mcpgen.build.plan import PythonTarget
from mcpgen.errors import ImageBuildError


class FakeEngine:
    def __init__(self, fail_with: str | None = None) -> None:
        self.fail_with = fail_with
        self.builds = 0
        self.tags: dict[str, str] = {}
        self.images: dict[str, ImageInfo] = {}
        self.contexts: list[bytes] = []

    def ping(self) -> str:
        return "fake"

    def inspect_image(self, ref: str) -> ImageInfo | None:
        return self.images.get(self.tags.get(ref, ref))

    def probe_python(self, image: str) -> PythonTarget:
        return PythonTarget("3.11", source="probe")

    def build(self, context: IO[bytes], *, no_cache: bool, platform: str | None, on_line: LineSink) -> str:
        self.builds += 1
        self.contexts.append(context.read())
        on_line("Step 1/2 : FROM base")
        if self.fail_with:
            on_line(self.fail_with)
            raise ImageBuildError(
                f"the Docker build failed: {self.fail_with}", step="Building image", output=self.fail_with
            )
        image_id = f"sha256:{self.builds:064d}"
        self.images[image_id] = ImageInfo(id=image_id, tags=[], size=123, created="2026")
        return image_id

    def tag(self, image_id: str, ref: str) -> None:
        self.tags[ref] = image_id

    def push(self, ref: str, *, auth: Mapping[str, str] | None, on_line: LineSink) -> None:
        raise NotImplementedError

    def pull(self, ref: str, *, auth: Mapping[str, str] | None = None) -> str:
        raise NotImplementedError

    def remove_image(self, ref: str, *, force: bool = False) -> None:
        self.images.pop(ref, None)

    def list_images(self, label: str) -> list[ImageInfo]:
        return list(self.images.values())

    def save_image(self, ref: str) -> Iterator[bytes]:
        raise NotImplementedError

    def run(self, spec: ContainerSpec) -> str:
        raise NotImplementedError

    def container_logs(self, container_id: str, *, follow: bool, tail: int | None = None) -> Iterator[str]:
        raise NotImplementedError

    def container_status(self, container_id: str) -> str:
        return "removed"

    def stop(self, container_id: str, *, timeout: int = 10) -> None:
        pass

    def remove_container(self, container_id: str) -> None:
        pass

    def has_buildx(self) -> bool:
        return False
