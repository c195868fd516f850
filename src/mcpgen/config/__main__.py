"""``python -m mcpgen.config FILE...``: regenerate the reference section of docs such as docs/configuration.md."""

from __future__ import annotations

import sys
from pathlib import Path

from mcpgen.config.reference import update_doc


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        path.write_text(update_doc(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
