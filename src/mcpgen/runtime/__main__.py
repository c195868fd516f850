"""``python -m mcpgen.runtime``: the production entry point (what container images run).

::

    python -m mcpgen.runtime --manifest .mcpgen/manifest.json [--root DIR] [--env NAME] [--set k=v]...
        [--transport http|stdio] [--host H] [--port P] [--stateful] [--json-response]
        [--timeout S] [--threads N] [--max-request-size BYTES] [--graceful-shutdown-timeout S]
        [--allowed-host H]... [--allowed-origin O]... [--log-level L] [--access-log]

Settings come from the workspace's runtime config (``ROOT/config/config.yaml``,
``config.{env}.yaml``, ``MCPGEN_SECTION__KEY`` environment variables, ``--set``;
see docs/configuration.md); a flag given here overrides its config value.
``PORT`` (as set by many platforms) overrides ``server.port`` when no
``--port`` is given. Other environment variables: ``MCPGEN_MANIFEST``,
``MCPGEN_ROOT``, ``MCPGEN_TRANSPORT``, ``MCPGEN_ENV``.

Default ``--root``: the manifest's parent's parent when the manifest lives in
a ``.mcpgen/`` folder (``my-server/.mcpgen/manifest.json`` → ``my-server``),
else the manifest's own folder.

Credentials come from the environment, or from files in ``MCPGEN_SECRETS_DIR``
(one file per credential, named after it; the environment wins).
Start-up fails (exit 1) when a required credential is missing, naming it and
the modules that need it. Exit codes: 0 after a clean shutdown (including
SIGTERM), 1 when the manifest, config, a credential or a module is wrong, 2
for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from pathlib import Path

from mcpgen.config import load_config
from mcpgen.errors import McpgenError
from mcpgen.manifest import Manifest, load
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings, apply_tool_overrides, settings_from_config


def default_root(manifest: Path) -> Path:
    parent = manifest.resolve().parent
    return parent.parent if parent.name == ".mcpgen" else parent


def parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mcpgen.runtime", description="Serve an mcpgen manifest.")
    manifest = env.get("MCPGEN_MANIFEST")
    p.add_argument("--manifest", type=Path, default=manifest, required=manifest is None)
    p.add_argument("--root", type=Path, default=env.get("MCPGEN_ROOT"), help="workspace root (see above)")
    p.add_argument(
        "--env", default=env.get("MCPGEN_ENV") or None, help="config overlay config/config.ENV.yaml"
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    p.add_argument("--transport", choices=["http", "stdio"], default=env.get("MCPGEN_TRANSPORT", "http"))
    # Everything below overrides the config only when given.
    p.add_argument("--host")
    p.add_argument("--port", type=int, default=int(env["PORT"]) if env.get("PORT", "").isdigit() else None)
    p.add_argument("--protocol-mode", choices=["auto", "stateless", "stateful"], help="default: from config")
    p.add_argument("--json-response", action="store_true", default=None, help="answer with JSON, not SSE")
    p.add_argument("--timeout", type=float, help="default tool timeout in seconds")
    p.add_argument("--threads", type=int, help="thread pool size for sync tools")
    p.add_argument("--max-request-size", type=int, help="bytes")
    p.add_argument("--graceful-shutdown-timeout", type=float)
    p.add_argument("--allowed-host", action="append")
    p.add_argument("--allowed-origin", action="append")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error", "critical"])
    p.add_argument("--access-log", action="store_true", default=None)
    return p


def settings_from_args(args: argparse.Namespace, base: Settings) -> Settings:
    """``base`` (from the config) with every flag that was given applied on top."""
    flags: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "protocol_mode": args.protocol_mode,
        "json_response": args.json_response,
        "default_timeout": args.timeout,
        "max_request_size": args.max_request_size,
        "thread_pool_size": args.threads,
        "graceful_shutdown_timeout": args.graceful_shutdown_timeout,
        "allowed_hosts": tuple(args.allowed_host) if args.allowed_host else None,
        "allowed_origins": tuple(args.allowed_origin) if args.allowed_origin else None,
        "log_level": args.log_level,
        "access_log": args.access_log,
    }
    return base.with_options(**{k: v for k, v in flags.items() if v is not None})  # type: ignore[arg-type]


def load_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Manifest, Settings]:
    """The manifest, and settings from the workspace config plus flags; tool overrides applied."""
    manifest_path: Path = args.manifest
    root = (args.root if args.root is not None else default_root(manifest_path)).resolve()
    manifest = load(manifest_path)
    loaded = load_config(root, env=args.env, environ=environ, overrides=args.set)
    settings = settings_from_args(args, settings_from_config(loaded.config, root))
    return apply_tool_overrides(manifest, loaded.config.tools), settings


def manifest_rebuild(args: argparse.Namespace, environ: Mapping[str, str]) -> Callable[[Settings], Registry]:
    """What a reload (``SIGHUP``, ``POST /admin/reload``) builds: the manifest file as it is now."""

    def rebuild(settings: Settings) -> Registry:
        manifest, _ = load_settings(args, environ)
        return Registry.load(manifest, settings, purge=True)

    return rebuild


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    environ: MutableMapping[str, str] = os.environ if env is None else dict(env)
    args = parser(environ).parse_args(argv)
    from mcpgen.runtime.credentials import load_secret_files
    from mcpgen.runtime.serve import serve_http, serve_stdio

    try:
        load_secret_files(environ)  # credentials as files ($MCPGEN_SECRETS_DIR), before the config reads them
        manifest, settings = load_settings(args, environ)
        if args.transport == "stdio":
            serve_stdio(manifest, settings)
        else:
            serve_http(manifest, settings, rebuild=manifest_rebuild(args, environ))
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
