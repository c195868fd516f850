"""The ``mcpgen`` command (and ``python -m mcpgen``).

The command line lives in the ``cli`` extra (``pip install "mcpgen[cli]"``): a
plain ``pip install mcpgen`` is the runtime set that serves a manifest
(``python -m mcpgen.runtime``), which is what generated images install. Without
the extra this entry point says so instead of failing with a traceback.
"""

from __future__ import annotations

import sys

CLI_PACKAGES = frozenset({"typer", "rich", "questionary", "jinja2", "docker", "watchfiles"})
"""Import names of the ``cli`` extra (pyproject.toml); the runtime imports none of them."""


def missing_cli_message(module: str) -> str:
    return (
        f"mcpgen: the command line needs the 'cli' extra, which is not installed (no module {module!r}).\n"
        "Install it with:  pipx install 'mcpgen[cli]'   (or: uvx --from 'mcpgen[cli]' mcpgen ...,"
        " pip install 'mcpgen[cli]')\n"
        "(This installation can serve a manifest: python -m mcpgen.runtime --manifest FILE)"
    )


def main() -> None:
    try:
        from mcpgen.cli.app import main as cli_main

        cli_main()
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top not in CLI_PACKAGES:
            raise
        print(missing_cli_message(top), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
