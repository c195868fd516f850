"""classify: a sync tool with structured output and an optional complex argument.

What this file shows
--------------------
* A plain ``def`` (not ``async def``) is fine: mcpgen runs synchronous tools
  in a bounded thread pool so they never block the server's event loop.
* **Structured output.** The return annotation is a dataclass, so mcpgen
  derives an *output schema* from it and sends the result to the client as
  ``structuredContent`` (plus a JSON text copy for older clients). Use a
  dataclass, a ``TypedDict`` or a pydantic model; returning ``str`` gives a
  plain text result instead (see ``summarize.py``).
* **Richer input types.** ``dict[str, list[str]] | None`` becomes an object
  whose values are string arrays, and may be omitted (default ``None``).
  Incoming JSON arguments are validated against the schema before the
  function runs, so the body can trust the types.
* **Per-parameter documentation.** Each entry of the Google-style ``Args:``
  section becomes the ``description`` of that property in the input schema:
  this is what an LLM reads when deciding how to call the tool.

The classifier is deliberately simple (keyword counting), so the example
stays about mcpgen rather than about machine learning.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from mcpgen import ToolError, tool

DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "technology": [
        "software", "computer", "algorithm", "internet", "app", "data", "cloud", "code", "programming",
        "developer", "ai", "artificial intelligence", "machine learning", "robot", "chip", "smartphone",
        "cybersecurity", "server", "startup", "digital", "network", "python",
    ],
    "business": [
        "market", "stock", "company", "revenue", "profit", "investor", "economy", "finance", "bank",
        "trade", "ceo", "shares", "merger", "acquisition", "sales", "customer", "earnings", "price",
        "inflation", "business",
    ],
    "sports": [
        "game", "match", "team", "player", "score", "goal", "league", "championship", "coach", "tournament",
        "football", "soccer", "basketball", "tennis", "olympic", "season", "win", "stadium", "athlete",
        "referee",
    ],
    "health": [
        "health", "doctor", "patient", "hospital", "disease", "vaccine", "medicine", "treatment", "symptom",
        "diet", "exercise", "nutrition", "virus", "therapy", "mental health", "clinic", "nurse", "drug",
        "sleep", "wellness",
    ],
    "science": [
        "research", "scientist", "experiment", "physics", "chemistry", "biology", "study", "discovery",
        "laboratory", "theory", "space", "planet", "nasa", "telescope", "climate", "species", "genome",
        "molecule", "quantum", "evolution",
    ],
    "politics": [
        "government", "election", "vote", "president", "parliament", "senate", "congress", "policy", "law",
        "minister", "campaign", "party", "democracy", "legislation", "governor", "diplomat", "treaty",
        "political", "candidate", "referendum",
    ],
    "entertainment": [
        "movie", "film", "music", "album", "concert", "celebrity", "actor", "actress", "director", "show",
        "television", "series", "festival", "song", "singer", "band", "box office", "streaming", "award",
        "hollywood",
    ],
}  # fmt: skip

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")


@dataclass
class CategoryScore:
    """One category's result."""

    category: str
    confidence: float
    matched_keywords: list[str] = field(default_factory=list)


@dataclass
class ClassificationResult:
    """All ranked categories, best first, and the winner."""

    top: str
    ranking: list[CategoryScore]


def _normalize(word: str) -> str:
    """A tiny stemmer: "companies" -> "company", "games" -> "game", "players" -> "player"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    return [_normalize(w.lower()) for w in _WORD.findall(text)]


def _count_keyword(tokens: list[str], keyword: str) -> int:
    """How often ``keyword`` (one word or a phrase) occurs in ``tokens``."""
    parts = _tokens(keyword)
    if not parts:
        return 0
    n = len(parts)
    return sum(1 for i in range(len(tokens) - n + 1) if tokens[i : i + n] == parts)


def _check_categories(categories: dict[str, list[str]]) -> None:
    if not categories:
        raise ToolError("categories is empty: pass at least one category name with its keywords")
    for name, keywords in categories.items():
        if not name.strip():
            raise ToolError("category names must not be empty")
        if not any(k.strip() for k in keywords):
            raise ToolError(f"category {name!r} has no keywords: give it at least one")


@tool(annotations={"readOnlyHint": True, "idempotentHint": True}, tags=["demo", "nlp"])
def classify(
    text: str,
    categories: dict[str, list[str]] | None = None,
    top_k: int = 3,
) -> ClassificationResult:
    """Classify text into topic categories by counting category keywords.

    Each category has a list of keywords (single words or phrases, matched
    case-insensitively, plural forms included). A category's confidence is its
    share of all keyword hits, with one extra "none of these" hit in the
    denominator so a single stray keyword never means certainty; confidences
    are between 0 and 1 and sum to at most 1. When nothing matches, the result
    is the category "unknown" with confidence 0.

    Args:
        text: The text to classify.
        categories: Custom categories for this call, as {"category name": ["keyword", ...]}.
            Leave out to use the built-in ones: technology, business, sports,
            health, science, politics and entertainment.
        top_k: How many of the best-matching categories to return (at least 1).

    Returns:
        The ranking (best first, each with its confidence and the keywords
        that matched) and the top category.
    """
    if not text.strip():
        raise ToolError("text is empty: pass the text to classify")
    if top_k < 1:
        raise ToolError(f"top_k must be at least 1, got {top_k}")
    if categories is None:
        categories = DEFAULT_CATEGORIES
    else:
        _check_categories(categories)

    tokens = _tokens(text)
    hits: dict[str, Counter[str]] = {}
    for name, keywords in categories.items():
        found = Counter({k.strip().lower(): _count_keyword(tokens, k) for k in keywords if k.strip()})
        found = +found  # drop zero counts
        if found:
            hits[name] = found

    total = sum(c.total() for c in hits.values())
    if total == 0:
        return ClassificationResult(top="unknown", ranking=[CategoryScore("unknown", 0.0, [])])

    ranked = sorted(hits.items(), key=lambda item: (-item[1].total(), -len(item[1]), item[0]))
    ranking = [
        CategoryScore(
            category=name,
            # floor (not round) to 3 decimals, so the confidences never add up to more than 1
            confidence=math.floor(found.total() / (total + 1) * 1000) / 1000,
            matched_keywords=[k for k, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))],
        )
        for name, found in ranked[:top_k]
    ]
    return ClassificationResult(top=ranking[0].category, ranking=ranking)
