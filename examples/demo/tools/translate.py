"""translate: a tool with an optional credential, an outbound HTTP call and an offline fallback.

What this file shows
--------------------
* **Declaring credentials.** ``credentials=[Credential(...)]`` tells mcpgen
  that this tool can use a secret named ``TRANSLATION_API_KEY``. mcpgen lists
  it in the manifest, asks for it when you configure the server, stores it
  encrypted and hands it to the tool at call time. ``required=False`` means
  the server starts without it and the tool must cope.
* **Reading a credential.** ``ctx.credential("TRANSLATION_API_KEY")`` returns
  the value, or ``None`` when it is not set. Never log it or put it into an
  error message.
* **Blocking I/O in an async tool.** ``urllib`` blocks, so the request runs in
  a worker thread (``asyncio.to_thread``) with a timeout, and the tool's own
  ``timeout=`` bounds the whole call. Every failure (HTTP error, network
  error, bad JSON) becomes a ``ToolError`` with a message the caller can act
  on.
* **Graceful degradation.** Without a key the tool still answers, using a
  small offline glossary, and says so in the result (``mode``, ``note``).

Online mode talks to a LibreTranslate-compatible API: ``POST {q, source,
target, format, api_key}`` to ``TRANSLATION_API_URL`` (default
``https://libretranslate.com/translate``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Literal

from _languages import CODES, LANGUAGES, detect, translate_words

from mcpgen import Context, Credential, ToolError, tool

DEFAULT_API_URL = "https://libretranslate.com/translate"
HTTP_TIMEOUT = 10.0  # seconds for one request to the translation service
_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass
class TranslationResult:
    """A translation and how it was made."""

    translated_text: str
    source_language: str
    target_language: str
    mode: Literal["online", "offline"]
    detected_language: str | None = None
    confidence: float | None = None
    note: str = ""
    untranslated: list[str] = field(default_factory=list)


def _supported() -> str:
    return ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())


def _language(code: str, what: str, *, online: bool) -> str:
    """Normalize ``"PT-br"`` to ``"pt"``; reject what the chosen mode cannot handle."""
    norm = code.strip().lower().replace("_", "-").split("-")[0]
    if online and _CODE.match(norm):
        return norm  # the service knows many more languages; it rejects unknown ones itself
    if norm not in CODES:
        raise ToolError(f"unsupported {what} {code!r}; supported languages: {_supported()}")
    return norm


@tool(
    annotations={"readOnlyHint": True, "openWorldHint": True},
    timeout=30,
    credentials=[
        Credential(
            "TRANSLATION_API_KEY",
            kind="api_key",
            required=False,
            description="API key of a LibreTranslate-compatible service; without it the tool "
            "uses a small offline glossary",
        )
    ],
)
async def translate(
    text: str,
    target_language: str = "en",
    source_language: str | None = None,
    ctx: Context | None = None,
) -> TranslationResult:
    """Translate text between languages.

    With the TRANSLATION_API_KEY credential set, a LibreTranslate-compatible
    service does the translation. Without it, an offline fallback detects the
    language (English, Spanish, French, German, Italian or Portuguese) and
    translates common words with a built-in glossary, leaving other words as
    they are; the result then says mode "offline" and lists the untranslated
    words.

    Args:
        text: The text to translate.
        target_language: ISO 639-1 code of the language to translate into, e.g. "en", "es", "fr".
        source_language: ISO 639-1 code of the text's language; leave out to detect it.
    """
    if not text.strip():
        raise ToolError("text is empty: pass the text to translate")
    api_key = ctx.credential("TRANSLATION_API_KEY") if ctx is not None else None
    online = api_key is not None
    target = _language(target_language, "target_language", online=online)
    source = _language(source_language, "source_language", online=online) if source_language else None

    if api_key is not None:
        url = os.environ.get("TRANSLATION_API_URL", DEFAULT_API_URL)
        if ctx is not None:
            await ctx.info(f"translating {len(text)} characters to {target} via {url}")
        return await _translate_online(text, target, source, api_key, url)

    if ctx is not None:
        await ctx.info("TRANSLATION_API_KEY is not set: using the offline glossary")
    return _translate_offline(text, target, source)


async def _translate_online(
    text: str, target: str, source: str | None, api_key: str, url: str
) -> TranslationResult:
    payload = {"q": text, "source": source or "auto", "target": target, "format": "text", "api_key": api_key}
    data = await asyncio.to_thread(_post_json, url, payload)
    translated = data.get("translatedText")
    if not isinstance(translated, str):
        raise ToolError("the translation service answered without 'translatedText'")
    detected = data.get("detectedLanguage")
    detected_code: str | None = None
    confidence: float | None = None
    if isinstance(detected, dict) and isinstance(detected.get("language"), str):
        detected_code = detected["language"]
        if isinstance(detected.get("confidence"), int | float):
            confidence = round(float(detected["confidence"]) / 100, 2)  # LibreTranslate reports 0-100
    return TranslationResult(
        translated_text=translated,
        source_language=source or detected_code or "auto",
        target_language=target,
        mode="online",
        detected_language=detected_code,
        confidence=confidence,
    )


def _post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST ``payload`` as JSON; every failure becomes a ToolError (without the API key in it)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ToolError(f"the translation service answered HTTP {exc.code}: {_error_detail(exc)}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ToolError(f"cannot reach the translation service at {url}: {reason}") from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ToolError("the translation service answered with something that is not JSON") from exc
    if not isinstance(data, dict):
        raise ToolError("the translation service answered with unexpected JSON")
    return data


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        body = {}
    finally:
        exc.close()
    message = body.get("error") if isinstance(body, dict) else None
    return str(message) if message else str(exc.reason)


def _translate_offline(text: str, target: str, source: str | None) -> TranslationResult:
    detected, confidence = detect(text)
    if source is None:
        if detected is None:
            raise ToolError(
                "cannot detect the language of the text offline; pass source_language "
                f"(supported: {_supported()}) or set TRANSLATION_API_KEY"
            )
        source = detected
    if source == target:
        translated, missing = text, []
        note = f"the text is already in {LANGUAGES[target]}; returned unchanged"
    else:
        translated, missing = translate_words(text, source, target)
        note = (
            "offline mode: word-by-word translation of common words from a small built-in glossary "
            "(no grammar, unknown words kept as they are); set TRANSLATION_API_KEY for real translation"
        )
    return TranslationResult(
        translated_text=translated,
        source_language=source,
        target_language=target,
        mode="offline",
        detected_language=detected,
        confidence=confidence,
        note=note,
        untranslated=missing,
    )
