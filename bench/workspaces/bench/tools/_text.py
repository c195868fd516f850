"""Text helpers shared by the demo tools (stdlib only, no mcpgen import).

Files whose name starts with ``_`` are *helpers*, not tools: mcpgen never
scans them for ``@tool`` functions, but tool files in the same folder can
import them by plain name (``from _text import summarize_text``) because the
folder is put on ``sys.path`` while the tools load.

Keeping the algorithm here, free of any framework, also means it can be unit
tested on its own and reused elsewhere (the benchmarks in ``bench/`` run the
very same function inside other MCP servers).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal


def _word_set(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words in ``text`` (keeps long word lists readable)."""
    return frozenset(text.split())


Style = Literal["bullet", "paragraph"]

ELLIPSIS = "…"
BULLET = "- "

# Common English function words: they say nothing about what a text is about.
STOPWORDS = _word_set(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    let me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves one two many much may might must
    shall us said says new like get got make made
    """
)

# Abbreviations whose final dot does not end a sentence.
_ABBREVIATIONS = _word_set(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e inc ltd co corp fig no approx dept est jan feb mar apr "
    "jun jul aug sep sept oct nov dec u.s u.k"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SPACE = re.compile(r"\s+")


def words(text: str) -> list[str]:
    """The lowercase words of ``text`` (letters only; numbers and punctuation dropped)."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stopwords, nothing shorter than three letters."""
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences on ``.``, ``!``, ``?`` and ``…``, keeping abbreviations intact.

    Whitespace (including newlines) is collapsed to single spaces first.
    """
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if sentences and _ends_with_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _ends_with_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    last = sentence.rsplit(" ", 1)[-1].rstrip(".").lower()
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def score_sentences(sentences: list[str]) -> list[float]:
    """Score each sentence by how central its words are to the whole text.

    1. Count every content word across the text. A word used once says
       nothing about the theme, so it weighs 0; the most frequent weighs 1.0
       (weight = (count - 1) / (top count - 1)).
    2. A sentence's base score is the mean weight of its content words (mean,
       not sum, so long sentences do not win just by being long). A sentence
       sharing no word with the rest of the text scores 0: it is off-topic.
    3. Position bonus: the lead sentence usually states the topic, so the
       first sentence gets x1.5, fading towards x1.0 for later ones.
    """
    per_sentence = [content_words(s) for s in sentences]
    counts = Counter(w for ws in per_sentence for w in ws)
    top = max(counts.values(), default=1)
    weight = {w: (c - 1) / (top - 1) if top > 1 else 0.0 for w, c in counts.items()}
    scores = []
    for position, ws in enumerate(per_sentence):
        base = sum(weight[w] for w in ws) / len(ws) if ws else 0.0
        if len(ws) < 3:  # fragments like "Yes." or "See below." rarely summarize anything
            base *= 0.5
        scores.append(base * (1.0 + 0.5 / (1 + position)))
    return scores


def render(sentences: Iterable[str], style: Style) -> str:
    """Join sentences as one paragraph, or as ``- `` bullet lines."""
    if style == "bullet":
        return "\n".join(BULLET + s for s in sentences)
    return " ".join(sentences)


def truncate_words(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters on a word boundary, ending with ``…``."""
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    cut = text[: budget + 1]  # one extra char tells us whether we stopped mid-word
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else cut[:budget]  # a single giant word: hard cut
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def summarize_text(text: str, max_length: int, style: Style = "paragraph") -> str:
    """Extractive summary of ``text`` in at most ``max_length`` characters.

    Picks the best-scoring on-topic sentences greedily while they still fit, then puts
    them back in their original order so the summary reads naturally. If not
    even one sentence fits, the best one is truncated on a word boundary.
    The caller validates the arguments (see ``summarize.py``).
    """
    sentences = split_sentences(text)
    if not sentences:
        return ""
    scores = score_sentences(sentences)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    # Off-topic sentences (score 0) are no summary, even when there is room left;
    # unless no word repeats at all (a very short text): then keep everything.
    candidates = [i for i in ranked if scores[i] > 0] or ranked
    chosen: list[int] = []
    for index in candidates:
        trial = sorted([*chosen, index])
        if len(render((sentences[i] for i in trial), style)) <= max_length:
            chosen = trial
    if chosen:
        return render((sentences[i] for i in chosen), style)
    prefix = BULLET if style == "bullet" else ""
    return prefix + truncate_words(sentences[ranked[0]], max_length - len(prefix))
