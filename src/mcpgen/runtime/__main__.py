"""``python -m mcpgen.runtime``: the production entry point (what container images run).

::

    python -m mcpgen.runtime --manifest .mcpgen/manifest.json [--root DIR]
        [--transport http|stdio] [--host 127.0.0.1] [--port 8080] [--stateful]
        [--json-response] [--timeout 30] [--threads 32] [--max-request-size BYTES]
        [--graceful-shutdown-timeout 10] [--allowed-host H]... [--allowed-origin O]...
        [--log-level info] [--access-log]

Precedence: flag > environment variable > default. Environment variables:
``MCPGEN_MANIFEST``, ``MCPGEN_ROOT``, ``MCPGEN_TRANSPORT``, ``MCPGEN_HOST``,
``MCPGEN_PORT`` (or ``PORT``), ``MCPGEN_LOG_LEVEL``, ``MCPGEN_ALLOWED_HOSTS``
and ``MCPGEN_ALLOWED_ORIGINS`` (comma-separated).

Default ``--root``: the manifest's parent's parent when the manifest lives in
a ``.mcpgen/`` folder (``my-server/.mcpgen/manifest.json`` → ``my-server``),
else the manifest's own folder.

Exit codes: 0 after a clean shutdown (including SIGTERM), 1 when the
manifest or a module cannot be loaded, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from mcpgen.errors import McpgenError
from mcpgen.manifest import load
from mcpgen.runtime.settings import Settings


def default_root(manifest: Path) -> Path:
    parent = manifest.resolve().parent
    return parent.parent if parent.name == ".mcpgen" else parent


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mcpgen.runtime", description="Serve an mcpgen manifest.")
    manifest = env.get("MCPGEN_MANIFEST")
    p.add_argument("--manifest", type=Path, default=manifest, required=manifest is None)
    p.add_argument("--root", type=Path, default=env.get("MCPGEN_ROOT"), help="workspace root (see above)")
    p.add_argument("--transport", choices=["http", "stdio"], default=env.get("MCPGEN_TRANSPORT", "http"))
    p.add_argument("--host", default=env.get("MCPGEN_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env.get("MCPGEN_PORT") or env.get("PORT") or 8080))
    p.add_argument("--stateful", action="store_true", help="keep sessions (default: stateless)")
    p.add_argument("--json-response", action="store_true", help="answer POSTs with JSON instead of SSE")
    p.add_argument("--timeout", type=float, default=30.0, help="default tool timeout in seconds")
    p.add_argument("--threads", type=int, default=32, help="thread pool size for sync tools")
    p.add_argument("--max-request-size", type=int, default=4 * 1024 * 1024, help="bytes")
    p.add_argument("--graceful-shutdown-timeout", type=float, default=10.0)
    p.add_argument("--allowed-host", action="append", default=_split(env.get("MCPGEN_ALLOWED_HOSTS")))
    p.add_argument("--allowed-origin", action="append", default=_split(env.get("MCPGEN_ALLOWED_ORIGINS")))
    p.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error", "critical"],
        default=env.get("MCPGEN_LOG_LEVEL", "info"),
    )
    p.add_argument("--access-log", action="store_true")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    manifest: Path = args.manifest
    return Settings(
        root=args.root if args.root is not None else default_root(manifest),
        host=args.host,
        port=args.port,
        stateless=not args.stateful,
        json_response=args.json_response,
        default_timeout=args.timeout,
        max_request_size=args.max_request_size,
        thread_pool_size=args.threads,
        graceful_shutdown_timeout=args.graceful_shutdown_timeout,
        allowed_hosts=tuple(args.allowed_host),
        allowed_origins=tuple(args.allowed_origin),
        log_level=args.log_level,
        access_log=args.access_log,
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser(os.environ if env is None else env).parse_args(argv)
    from mcpgen.runtime.serve import serve_http, serve_stdio

    try:
        settings = settings_from_args(args)
        manifest = load(Path(args.manifest))
        if args.transport == "stdio":
            serve_stdio(manifest, settings)
        else:
            serve_http(manifest, settings)
    except McpgenError as exc:
        print(f"mcpgen.runtime: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


def _exit(code: int) -> None:
    """Exit without waiting for threads of abandoned sync calls (they may never return)."""
    main = threading.main_thread()
    if any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    _exit(main())
