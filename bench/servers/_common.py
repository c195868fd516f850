"""What every peer server shares: the tools' work, their schemas, the command line, uvicorn.

Each server exposes the same two tools with the same work per call:

* ``summarize(text, max_length=100, style="paragraph") -> str``: the demo's
  extractive summarizer, imported from ``examples/demo/tools/_text.py`` (the
  exact function the mcpgen tool calls), behind the same argument checks;
* ``add(a: int, b: int) -> int``: trivial, so the number is framework overhead.

Both are ``async def`` everywhere, so every framework runs them on the event
loop (no thread-pool hop for one and not another). ``--extra-tools N`` adds N
trivial ``noop_<i>`` tools (the cold-start benchmark's 50-tool servers).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "demo" / "tools"))

from _text import summarize_text  # noqa: E402  (needs the path above)

Style = Literal["bullet", "paragraph"]

SUMMARIZE_DESCRIPTION = "Summarize text by picking its most representative sentences (extractive summary)."
ADD_DESCRIPTION = "Add two integers."

SUMMARIZE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The text to summarize."},
        "max_length": {"type": "integer", "default": 100, "description": "Maximum length in characters."},
        "style": {"type": "string", "enum": ["bullet", "paragraph"], "default": "paragraph"},
    },
    "required": ["text"],
}
ADD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}
NOOP_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"x": {"type": "integer", "default": 0}}}


def summarize_impl(text: str, max_length: int = 100, style: Style = "paragraph") -> str:
    """The demo tool's body without mcpgen: same checks, same algorithm."""
    if not text.strip():
        raise ValueError("text is empty: pass the text to summarize")
    if max_length < 20:
        raise ValueError(f"max_length must be at least 20 characters, got {max_length}")
    return summarize_text(text, max_length, style)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--sse", action="store_true", help="answer tools/call as an SSE stream (default: a JSON response)"
    )
    parser.add_argument("--extra-tools", type=int, default=0, help="add N trivial noop_<i> tools")
    return parser.parse_args()


def serve(app: Any, port: int) -> None:
    """One uvicorn worker on 127.0.0.1, the same settings for every server (uvloop + httptools)."""
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
