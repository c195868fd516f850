"""A Python tool beside the TypeScript and JavaScript ones."""

import re
import unicodedata

from mcpgen import tool


@tool(annotations={"readOnlyHint": True, "idempotentHint": True})
async def slugify(text: str, separator: str = "-") -> str:
    """Turn a title into a URL slug ("Hello, World!" -> "hello-world").

    Args:
        text: The title.
        separator: What joins the words.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)
