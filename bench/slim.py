"""Slim runtime: idle RSS of ``python -m mcpgen.runtime`` serving examples/demo, and image sizes.

    python bench/slim.py --python LABEL=/path/to/venv/bin/python [--python ...] [--runs 3]
        [--image LABEL=IMAGE ...] [--base-image mcpgen-test-base:bookworm]

For each interpreter (each a virtualenv with some mcpgen installed): writes the
demo's manifest once (``mcpgen generate`` on a copy of examples/demo, with the
Python running this script), then ``--runs`` times starts
``PY -m mcpgen.runtime --manifest M --port P`` on 127.0.0.1, waits for
``/health/ready``, waits one more second, reads ``VmRSS`` from
``/proc/PID/status`` and stops the server (SIGTERM). Also prints the size of
the interpreter's site-packages. ``--image`` adds each image's size and its size
above ``--base-image`` (``docker image inspect``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

WORKSPACE = h.OUT / "slim-demo"
MANIFEST = WORKSPACE / ".mcpgen" / "manifest.json"


def make_manifest() -> None:
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    shutil.copytree(h.REPO / "examples" / "demo", WORKSPACE)
    subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(WORKSPACE)], check=True, capture_output=True
    )


def ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(h.HOST, port, timeout=1)
        conn.request("GET", "/health/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def idle_rss(python: str, label: str, run: int) -> float:
    """MiB resident after start-up."""
    port = h.free_port()
    server = h.Server(
        f"{label}-{run}",
        [python, "-m", "mcpgen.runtime", "--manifest", str(MANIFEST), "--port", str(port)],
        port,
        h.OUT / f"slim-{label}-{run}.log",
    )
    server.start()
    try:
        deadline = time.monotonic() + 30
        while not ready(port):
            if not server.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{label}: not ready\n{server.tail()}")
            time.sleep(0.05)
        time.sleep(1.0)  # idle: whatever start-up left behind
        assert server.proc is not None
        return rss_kib(server.proc.pid) / 1024
    finally:
        server.stop()


def site_packages_mib(python: str) -> float:
    path = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total / 2**20


def image_size(image: str) -> int:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", image],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def labelled(text: str) -> tuple[str, str]:
    label, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected LABEL=VALUE, got {text!r}")
    return label, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=labelled, action="append", default=[])
    parser.add_argument("--image", type=labelled, action="append", default=[])
    parser.add_argument("--base-image", default="mcpgen-test-base:bookworm")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.python:
        make_manifest()
        print("| install | site-packages | idle RSS, MiB (runs) | median |")
        print("|---|---|---|---|")
        for label, python in args.python:
            runs = [idle_rss(python, label, i) for i in range(args.runs)]
            cells = ", ".join(f"{r:.1f}" for r in runs)
            print(f"| {label} | {site_packages_mib(python):.1f} MiB | {cells} | {h.median(runs):.1f} |")
    if args.image:
        base = image_size(args.base_image)
        print(f"\n| image | size | above the base ({args.base_image}, {base / 1e6:.1f} MB) |")
        print("|---|---|---|")
        for label, image in args.image:
            size = image_size(image)
            print(f"| {label} (`{image}`) | {size / 1e6:.1f} MB | {(size - base) / 1e6:.1f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
