"""summarize: an async tool with validation, progress and logging.

What this file shows
--------------------
* ``@tool(...)`` turns a plain function into an MCP tool. It does **not** wrap
  the function: ``summarize(...)`` is still callable directly (that is how the
  tests call it). The decorator reads the signature once, at import time, and
  stores the tool's definition on ``summarize.__mcpgen__``.
* The **input schema comes from the type hints**: ``text: str`` becomes a
  required string, ``max_length: int = 100`` an integer with default 100, and
  ``Literal["bullet", "paragraph"]`` an ``enum``. The parameter descriptions
  come from the ``Args:`` section of the docstring, the tool description from
  its first paragraph.
* A parameter annotated ``Context`` is **not** part of the schema: mcpgen
  injects it at call time. With it a tool can log to the client
  (``ctx.info``), report progress (``await ctx.report_progress``) and read
  the request id. It defaults to ``None`` here so the function also works
  when called without a server.
* ``raise ToolError("...")`` returns a tool result with ``isError: true`` and
  that message: the way to tell the caller (often an LLM) what to fix. Any
  other exception is reported as a generic internal error instead.
* ``annotations=`` are hints for clients: this tool only reads its input
  (``readOnlyHint``) and the same input always gives the same output
  (``idempotentHint``).

The algorithm itself lives in the helper module ``_text.py`` (files starting
with ``_`` are helpers, not tools).
"""

from __future__ import annotations

from typing import Literal

from _text import summarize_text

from mcpgen import Context, ToolError, tool

MIN_LENGTH = 20


@tool(annotations={"readOnlyHint": True, "idempotentHint": True})
async def summarize(
    text: str,
    max_length: int = 100,
    style: Literal["bullet", "paragraph"] = "paragraph",
    ctx: Context | None = None,
) -> str:
    """Summarize text by picking its most representative sentences (extractive summary).

    Sentences are scored by how frequent their meaningful words are in the
    whole text, with a bonus for coming early; the best ones that fit in
    max_length characters are returned in their original order. The result
    never exceeds max_length: if not even one sentence fits, the best one is
    cut on a word boundary and ends with "…".

    Args:
        text: The text to summarize (plain text, any length).
        max_length: Maximum length of the summary in characters (at least 20).
        style: "paragraph" for running text, "bullet" for one "- " line per sentence.
    """
    if not text.strip():
        raise ToolError("text is empty: pass the text to summarize")
    if max_length < MIN_LENGTH:
        raise ToolError(f"max_length must be at least {MIN_LENGTH} characters, got {max_length}")

    if ctx is not None:
        # Not awaited: the log notification is sent in the background and
        # flushed by mcpgen before the result goes out. Awaiting also works.
        ctx.info(f"summarizing {len(text)} characters to at most {max_length}")
        await ctx.report_progress(0, 1, "scoring sentences")

    summary = summarize_text(text, max_length, style)
    if ctx is not None:
        await ctx.report_progress(1, 1, "done")
        ctx.info(f"summary has {len(summary)} characters")
    return summary
