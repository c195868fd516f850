"""The demo workspace's tools (examples/demo), called directly as plain functions."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from mcpgen import Context, ToolError
from mcpgen.authoring import ToolDefinition, collect, import_file

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
TOOLS = DEMO / "tools"

ARTICLE = (
    "Solar panels are getting cheaper every year. Solar power now costs less than coal in many countries. "
    "Engineers expect solar capacity to double by 2030. My neighbour painted his fence green. "
    "Cheaper solar panels also make home batteries more attractive. The weather was nice on Sunday."
)


def _load(name: str) -> ModuleType:
    return import_file(DEMO, TOOLS / f"{name}.py")  # the default namespace, as discovery and the runtime do


@pytest.fixture(scope="module")
def summarize_mod() -> ModuleType:
    return _load("summarize")


@pytest.fixture(scope="module")
def classify_mod() -> ModuleType:
    return _load("classify")


@pytest.fixture(scope="module")
def translate_mod() -> ModuleType:
    return _load("translate")


def _definition(module: ModuleType, name: str) -> ToolDefinition:
    found = {t.name: t for t in collect(module).tools}
    assert list(found) == [name]
    return found[name]


class RecordingBackend:
    """A ContextBackend that records what a tool sends and serves fixed credentials."""

    def __init__(self, credentials: dict[str, str] | None = None) -> None:
        self.credentials = credentials or {}
        self.logs: list[tuple[str, str]] = []
        self.progress: list[tuple[float, float | None, str | None]] = []

    @property
    def request_id(self) -> str | None:
        return "req-1"

    def log_enabled(self, level: str) -> bool:
        return level != "debug"

    async def send_log(self, level: str, message: str, data: dict[str, Any] | None) -> None:
        self.logs.append((level, message))

    async def report_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, total, message))

    def credential(self, name: str) -> str | None:
        return self.credentials.get(name)


async def _with_context(backend: RecordingBackend, fn: Any, *args: Any, **kwargs: Any) -> Any:
    ctx = Context(backend, tool=fn.__name__)  # built inside the loop, as the runtime does
    result = await fn(*args, ctx=ctx, **kwargs)
    await ctx.flush()
    return result


# ---------------------------------------------------------------- workspace layout


def test_workspace_has_project_file_and_only_three_tools() -> None:
    text = (DEMO / "mcpgen.yaml").read_text()
    assert "name: demo" in text
    assert "version: 0.1.0" in text
    assert "description:" in text
    tools = sorted(p.stem for p in TOOLS.glob("*.py") if not p.name.startswith("_"))
    assert tools == ["classify", "summarize", "translate"]
    assert (DEMO / "README.md").is_file()


def test_tool_files_import_only_stdlib_and_mcpgen() -> None:
    import ast
    import sys

    allowed = set(sys.stdlib_module_names) | {"mcpgen", "_text", "_languages"}
    for path in TOOLS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}"


def test_discovery_finds_the_three_tools_without_problems() -> None:
    from mcpgen.discovery import discover

    result = discover(DEMO)
    assert sorted(t.name for t in result.tools) == ["classify", "summarize", "translate"]
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    (translate,) = [t for t in result.tools if t.name == "translate"]
    assert [c.name for c in translate.credentials] == ["TRANSLATION_API_KEY"]


# ---------------------------------------------------------------- summarize


def test_summarize_schema(summarize_mod: ModuleType) -> None:
    d = _definition(summarize_mod, "summarize")
    schema = d.input_schema
    assert schema["required"] == ["text"]
    assert set(schema["properties"]) == {"text", "max_length", "style"}  # ctx is injected, not input
    assert schema["properties"]["max_length"] == {
        "type": "integer",
        "default": 100,
        "description": "Maximum length of the summary in characters (at least 20).",
    }
    assert schema["properties"]["style"]["enum"] == ["bullet", "paragraph"]
    assert schema["properties"]["style"]["default"] == "paragraph"
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert d.description.startswith("Summarize text by picking its most representative sentences")
    assert d.annotations == {"readOnlyHint": True, "idempotentHint": True}
    assert d.output_schema is None  # a str result is plain text content
    assert d.is_async


@pytest.mark.parametrize("max_length", [20, 21, 35, 50, 80, 100, 150, 200, 400, 1000])
@pytest.mark.parametrize("style", ["paragraph", "bullet"])
def test_summarize_never_exceeds_max_length(summarize_mod: ModuleType, max_length: int, style: str) -> None:
    result = asyncio.run(summarize_mod.summarize(ARTICLE, max_length=max_length, style=style))
    assert 0 < len(result) <= max_length


def test_summarize_picks_central_sentences_in_original_order(summarize_mod: ModuleType) -> None:
    result = asyncio.run(summarize_mod.summarize(ARTICLE, max_length=150))
    sentences = [s + "." for s in result.rstrip(".").split(". ")]
    assert all(s in ARTICLE for s in sentences)
    assert "Solar panels are getting cheaper every year." in sentences  # lead + frequent words
    assert "fence" not in result
    assert "weather" not in result
    positions = [ARTICLE.index(s) for s in sentences]
    assert positions == sorted(positions)


def test_summarize_leaves_out_off_topic_sentences_even_with_room_to_spare(summarize_mod: ModuleType) -> None:
    result = asyncio.run(summarize_mod.summarize(ARTICLE, max_length=1000))
    assert len(result) < len(ARTICLE)
    assert result.startswith("Solar panels are getting cheaper every year. Solar power")
    assert "fence" not in result
    assert "weather" not in result


def test_summarize_bullet_style(summarize_mod: ModuleType) -> None:
    result = asyncio.run(summarize_mod.summarize(ARTICLE, max_length=200, style="bullet"))
    lines = result.split("\n")
    assert len(lines) >= 2
    assert all(line.startswith("- ") and line[2:] in ARTICLE for line in lines)


def test_summarize_whole_text_when_it_fits(summarize_mod: ModuleType) -> None:
    text = "Short text.  It fits\nin the budget."
    assert asyncio.run(summarize_mod.summarize(text, max_length=100)) == "Short text. It fits in the budget."


def test_summarize_truncates_a_long_sentence_on_a_word_boundary(summarize_mod: ModuleType) -> None:
    text = "Extraordinarily long sentences without any full stop keep going and going until the end"
    result = asyncio.run(summarize_mod.summarize(text, max_length=30))
    assert result == "Extraordinarily long…"
    bullet = asyncio.run(summarize_mod.summarize(text, max_length=30, style="bullet"))
    assert bullet == "- Extraordinarily long…"
    assert len(bullet) <= 30


def test_summarize_hard_cuts_a_single_giant_word(summarize_mod: ModuleType) -> None:
    result = asyncio.run(summarize_mod.summarize("x" * 100, max_length=20))
    assert result == "x" * 19 + "…"


def test_summarize_keeps_abbreviations_inside_sentences() -> None:
    import_file(DEMO, TOOLS / "_text.py")
    from _text import split_sentences  # type: ignore[import-not-found]

    text = "Dr. Smith met Mr. Jones, e.g. at noon. Then they left! Did they? Yes."
    assert split_sentences(text) == [
        "Dr. Smith met Mr. Jones, e.g. at noon.",
        "Then they left!",
        "Did they?",
        "Yes.",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   \n"}, "text is empty"),
        ({"text": ARTICLE, "max_length": 19}, "max_length must be at least 20"),
        ({"text": ARTICLE, "max_length": -5}, "max_length must be at least 20"),
    ],
)
def test_summarize_rejects_bad_input(summarize_mod: ModuleType, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        asyncio.run(summarize_mod.summarize(**kwargs))


def test_summarize_reports_progress_and_logs(summarize_mod: ModuleType) -> None:
    backend = RecordingBackend()
    result = asyncio.run(_with_context(backend, summarize_mod.summarize, ARTICLE, max_length=120))
    assert [(done, total) for done, total, _ in backend.progress] == [(0, 1), (1, 1)]
    assert backend.logs[0] == ("info", f"summarizing {len(ARTICLE)} characters to at most 120")
    assert backend.logs[-1] == ("info", f"summary has {len(result)} characters")


# ---------------------------------------------------------------- classify


def test_classify_schema_and_output_schema(classify_mod: ModuleType) -> None:
    d = _definition(classify_mod, "classify")
    props = d.input_schema["properties"]
    assert d.input_schema["required"] == ["text"]
    assert props["top_k"]["default"] == 3
    categories = props["categories"]
    assert categories["default"] is None
    assert {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    } in categories["anyOf"]
    assert "technology, business, sports" in categories["description"]
    assert all(p.get("description") for p in props.values())
    assert "Returns" not in d.description
    assert "Args" not in d.description
    assert not d.is_async  # a sync tool: the runtime runs it in a thread pool


def test_classify_ranks_default_categories(classify_mod: ModuleType) -> None:
    text = (
        "The team won the championship game after the coach rested two players. "
        "Shares of the club's owner rose on the stock market."
    )
    result = classify_mod.classify(text)
    assert result.top == "sports"
    assert [s.category for s in result.ranking] == ["sports", "business"]
    sports, business = result.ranking
    assert sports.matched_keywords == ["championship", "coach", "game", "player", "team"]
    assert set(business.matched_keywords) == {"market", "shares", "stock"}
    assert 1 > sports.confidence > business.confidence > 0
    assert sum(s.confidence for s in result.ranking) <= 1


def test_classify_matches_phrases_and_plurals(classify_mod: ModuleType) -> None:
    result = classify_mod.classify("Machine learning startups build smartphones and robots.")
    assert result.top == "technology"
    assert result.ranking[0].matched_keywords == ["machine learning", "robot", "smartphone", "startup"]


def test_classify_top_k_limits_ranking(classify_mod: ModuleType) -> None:
    text = "The election campaign ended with a vote. A vaccine study, a football match and a film festival."
    assert len(classify_mod.classify(text, top_k=5).ranking) == 5
    ranking = classify_mod.classify(text, top_k=2).ranking
    assert len(ranking) == 2
    assert [s.category for s in ranking] == ["politics", "entertainment"]  # 3 hits, then 2 (ties: by name)
    assert ranking[0].matched_keywords == ["campaign", "election", "vote"]


def test_classify_custom_categories(classify_mod: ModuleType) -> None:
    categories = {"fruit": ["apple", "banana", "cherry"], "vegetable": ["carrot", "leek"], "grain": ["rice"]}
    result = classify_mod.classify("Apples, bananas and an apple pie with one carrot.", categories=categories)
    assert result.top == "fruit"
    assert [(s.category, s.matched_keywords) for s in result.ranking] == [
        ("fruit", ["apple", "banana"]),
        ("vegetable", ["carrot"]),
    ]
    assert result.ranking[0].confidence == 0.6  # 3 hits of 4 total, plus the "none of these" hit: 3/5
    assert result.ranking[1].confidence == 0.2


def test_classify_without_matches_is_unknown(classify_mod: ModuleType) -> None:
    result = classify_mod.classify("Lorem ipsum dolor sit amet.")
    assert result.top == "unknown"
    assert [(s.category, s.confidence, s.matched_keywords) for s in result.ranking] == [("unknown", 0.0, [])]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ""}, "text is empty"),
        ({"text": "a game", "top_k": 0}, "top_k must be at least 1"),
        ({"text": "a game", "categories": {}}, "categories is empty"),
        ({"text": "a game", "categories": {"x": []}}, "category 'x' has no keywords"),
        ({"text": "a game", "categories": {" ": ["game"]}}, "category names must not be empty"),
    ],
)
def test_classify_rejects_bad_input(classify_mod: ModuleType, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        classify_mod.classify(**kwargs)


# ---------------------------------------------------------------- translate


def test_translate_schema_and_credential(translate_mod: ModuleType) -> None:
    d = _definition(translate_mod, "translate")
    assert set(d.input_schema["properties"]) == {"text", "target_language", "source_language"}
    assert d.input_schema["properties"]["target_language"]["default"] == "en"
    assert all(p.get("description") for p in d.input_schema["properties"].values())
    (cred,) = d.credentials
    assert (cred.name, cred.kind, cred.required) == ("TRANSLATION_API_KEY", "api_key", False)
    assert cred.description
    assert d.timeout == 30


def test_dataclass_results_are_structured_output(classify_mod: ModuleType, translate_mod: ModuleType) -> None:
    classify = _definition(classify_mod, "classify")
    assert classify.output_schema is not None
    assert set(classify.output_schema["required"]) == {"top", "ranking"}
    structured = classify.structured(classify_mod.classify("The doctor saw a patient in the hospital."))
    assert structured == {
        "top": "health",
        "ranking": [
            {"category": "health", "confidence": 0.75, "matched_keywords": ["doctor", "hospital", "patient"]}
        ],
    }
    translate = _definition(translate_mod, "translate")
    assert translate.output_schema is not None
    assert translate.output_schema["properties"]["mode"]["enum"] == ["online", "offline"]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "The cat is on the table and the dog is in the house.", None),
        (
            "es",
            "El gato está en la casa y el perro es muy bueno.",
            "The cat is in the house and the dog is very good.",
        ),
        ("fr", "Le chat est dans la maison et le chien est très beau.", None),
        ("de", "Die Katze ist im Haus und der Hund ist sehr gut.", None),
        ("it", "Il gatto è nella casa e il cane è molto bello.", None),
        ("pt", "O gato está na casa e o cão é muito bonito.", None),
    ],
)
def test_translate_offline_detects_each_language(
    translate_mod: ModuleType, language: str, text: str, expected: str | None
) -> None:
    result = asyncio.run(translate_mod.translate(text, target_language="en"))
    assert result.mode == "offline"
    assert result.detected_language == language
    assert result.source_language == language
    assert 0.5 < result.confidence <= 1
    assert "offline" in result.note or "already" in result.note
    if language == "en":
        assert result.translated_text == text
        assert "already in English" in result.note
    else:
        assert "cat" in result.translated_text.lower()
        assert "dog" in result.translated_text.lower()
    if expected is not None:
        assert result.translated_text == expected


def test_translate_offline_between_two_non_english_languages(translate_mod: ModuleType) -> None:
    result = asyncio.run(translate_mod.translate("Hola, buen día amigo!", "fr", source_language="ES"))
    assert result.source_language == "es"
    assert result.translated_text == "Bonjour, buen jour ami!"
    assert result.untranslated == ["buen"]


def test_translate_offline_keeps_case(translate_mod: ModuleType) -> None:
    result = asyncio.run(translate_mod.translate("Hello my FRIEND", "de", source_language="en"))
    assert result.translated_text == "Hallo mein FREUND"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": " "}, "text is empty"),
        ({"text": "hello", "target_language": "xx"}, "unsupported target_language 'xx'"),
        ({"text": "hello", "source_language": "klingon"}, "unsupported source_language"),
        ({"text": "12345 !!!"}, "cannot detect the language"),
    ],
)
def test_translate_rejects_bad_input(translate_mod: ModuleType, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolError, match=message) as info:
        asyncio.run(translate_mod.translate(**kwargs))
    if "unsupported" in message:
        for code in ("en (English)", "es", "fr", "de", "it", "pt (Portuguese)"):
            assert code in str(info.value)


# ---------------------------------------------------------------- translate, online mode


class _FakeService(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "type": self.headers["Content-Type"]})
        if self.path == "/translate":
            self._reply(
                200, {"translatedText": "¡Hola!", "detectedLanguage": {"confidence": 92.0, "language": "en"}}
            )
        elif self.path == "/forbidden":
            self._reply(403, {"error": "Invalid API key"})
        else:
            self._reply(200, None, raw=b"<html>not json</html>")

    def _reply(self, status: int, payload: Any, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    _FakeService.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_translate_online_calls_the_service(
    translate_mod: ModuleType, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSLATION_API_URL", f"{service}/translate")
    backend = RecordingBackend({"TRANSLATION_API_KEY": "sekret"})
    result = asyncio.run(_with_context(backend, translate_mod.translate, "Hello!", target_language="es"))
    assert result.mode == "online"
    assert result.translated_text == "¡Hola!"
    assert (result.detected_language, result.confidence, result.source_language) == ("en", 0.92, "en")
    (request,) = _FakeService.requests
    assert request["type"] == "application/json"
    assert request["body"] == {
        "q": "Hello!",
        "source": "auto",
        "target": "es",
        "format": "text",
        "api_key": "sekret",
    }
    assert all("sekret" not in message for _, message in backend.logs)


def test_translate_online_passes_codes_the_offline_mode_lacks(
    translate_mod: ModuleType, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSLATION_API_URL", f"{service}/translate")
    backend = RecordingBackend({"TRANSLATION_API_KEY": "k"})
    asyncio.run(
        _with_context(backend, translate_mod.translate, "Hi", target_language="ja", source_language="en")
    )
    assert _FakeService.requests[0]["body"]["target"] == "ja"
    assert _FakeService.requests[0]["body"]["source"] == "en"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/forbidden", "answered HTTP 403: Invalid API key"),
        ("/garbage", "not JSON"),
    ],
)
def test_translate_online_failures_become_tool_errors(
    translate_mod: ModuleType, service: str, monkeypatch: pytest.MonkeyPatch, path: str, message: str
) -> None:
    monkeypatch.setenv("TRANSLATION_API_URL", service + path)
    backend = RecordingBackend({"TRANSLATION_API_KEY": "sekret"})
    with pytest.raises(ToolError, match=message) as info:
        asyncio.run(_with_context(backend, translate_mod.translate, "Hello", target_language="es"))
    assert "sekret" not in str(info.value)


def test_translate_online_unreachable_service(
    translate_mod: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TRANSLATION_API_URL", f"http://127.0.0.1:{port}/translate")
    backend = RecordingBackend({"TRANSLATION_API_KEY": "sekret"})
    with pytest.raises(ToolError, match="cannot reach the translation service"):
        asyncio.run(_with_context(backend, translate_mod.translate, "Hello", target_language="es"))
