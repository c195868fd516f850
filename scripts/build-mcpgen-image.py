"""Build the image of mcpgen itself (the repository's Dockerfile) without any network access in the build.

On the host: probe the base image's Python (a throwaway container), build mcpgen's wheel from the
installed package, download every dependency's wheel for that Python (``pip download``, cached in
``$MCPGEN_CACHE_DIR``/``~/.cache/mcpgen``) into ``build/wheelhouse/``, then build the Dockerfile with
``BASE_IMAGE`` set; pip in the image installs with ``--no-index``. Prints the image id.

    python scripts/build-mcpgen-image.py --base-image mcpgen-test-base:bookworm --tag mcpgen:dev

Needs mcpgen installed in the running Python (``pip install -e .``) and a reachable Docker engine.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mcpgen.build.docker_engine import DockerEngine
from mcpgen.build.plan import merge_requirements
from mcpgen.build.wheelhouse import build_self_wheel, cache_dir, download_wheels
from mcpgen.errors import McpgenError

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / "build" / "wheelhouse"


def context_files(root: Path, wheelhouse: Path) -> Iterator[tuple[Path, str]]:
    """(file, name in the context): what .dockerignore lets in, the wheelhouse as build/wheelhouse/."""
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        yield root / name, name
    for path in sorted((root / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield path, path.relative_to(root).as_posix()
    for path in sorted(wheelhouse.glob("*.whl")):
        yield path, f"build/wheelhouse/{path.name}"


def prepare_wheelhouse(engine: DockerEngine, base_image: str, wheelhouse: Path) -> None:
    python = engine.probe_python(base_image)
    requires = merge_requirements(
        importlib.metadata.distribution("mcpgen").requires or [], extras=("cli",)
    )  # the image of mcpgen itself is the generator: its command line too
    shutil.rmtree(wheelhouse, ignore_errors=True)
    wheelhouse.mkdir(parents=True)
    build_self_wheel(wheelhouse)
    deps = download_wheels(requires, python, cache=cache_dir(os.environ), on_line=print)
    for wheel in deps.glob("*.whl"):
        shutil.copyfile(wheel, wheelhouse / wheel.name)
    count = len(list(wheelhouse.glob("*.whl")))
    print(f"wheelhouse: {count} wheels for Python {python.version} ({python.machine}) in {wheelhouse}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-image", default="python:3.12-slim")
    parser.add_argument("--tag", "-t", default="mcpgen:latest")
    parser.add_argument(
        "--wheelhouse", type=Path, default=WHEELHOUSE, help=f"Where the wheels go [default: {WHEELHOUSE}]."
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="Do not stream the Docker build output.")
    args = parser.parse_args(argv)
    engine = DockerEngine(network_host=True)
    try:
        prepare_wheelhouse(engine, args.base_image, args.wheelhouse)
        with tempfile.TemporaryFile() as tar_file:
            with tarfile.open(fileobj=tar_file, mode="w") as tar:
                for path, name in context_files(ROOT, args.wheelhouse):
                    tar.add(path, arcname=name, recursive=False)
            tar_file.seek(0)
            image_id = engine.build(
                tar_file,
                no_cache=False,
                platform=None,
                on_line=(lambda line: None) if args.quiet else print,
                build_args={"BASE_IMAGE": args.base_image},
            )
        repository, _, tag = args.tag.rpartition(":") if ":" in args.tag else (args.tag, "", "latest")
        engine.tag(image_id, f"{repository}:{tag}")
    except McpgenError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        hint = getattr(exc, "hint", None)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        return 1
    print(image_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
