"""``python -m mcpgen.cli.devserver WORKSPACE``: ``mcpgen dev`` without the ``cli`` extra.

What ``mcpgen run --dev`` runs inside the server's own image, which holds the
runtime set only (no typer/rich): serve the mounted workspace from source and
reload on change. Same workflow as ``mcpgen dev``; plain-text errors. Imports
nothing of the ``cli`` extra (a test pins it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from mcpgen.errors import McpgenError, ValidationFailed
from mcpgen.runtime.settings import LogLevelName


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mcpgen.cli.devserver", description="Serve a workspace from source; reload on change."
    )
    p.add_argument("workspace", type=Path, nargs="?", default=Path("."))
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--env", default="dev", help="config overlay config/config.ENV.yaml [default: dev]")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    p.add_argument("--log-level", choices=get_args(LogLevelName))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from mcpgen.workflows.serve import ServeOptions, dev

    options = ServeOptions(
        host=args.host, port=args.port, log_level=args.log_level, env=args.env, overrides=tuple(args.set)
    )
    try:
        dev(args.workspace, options)
    except ValidationFailed as exc:
        for diagnostic in exc.report.diagnostics:
            print(diagnostic, file=sys.stderr)
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except McpgenError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
