"""The two example plugins (examples/plugins/): the webhook notifier against a real HTTP receiver on
127.0.0.1 that checks the HMAC signature, and the Dockerfile linter on rendered Dockerfiles."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fake_engine import FakeEngine
from mcpgen.build.plan import BuildOptions
from mcpgen.errors import ImageBuildError, ValidationFailed
from mcpgen.secrets import SecretStore
from mcpgen.secrets.crypto import encode_key
from mcpgen.workflows.build import build, dry_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plugins"
SECRET = "whsec-test-7c1f0a"
TOOL = 'from mcpgen import tool\n\n@tool\ndef echo(text: str) -> str:\n    """Echo."""\n    return text\n'


class PushingEngine(FakeEngine):
    def push(self, ref: str, *, auth: object, on_line: object) -> None:
        self.pushed = [*getattr(self, "pushed", []), ref]


@dataclass
class Receiver:
    """Answers with ``statuses`` in turn (then 200) and records each delivery and whether its signature held."""

    statuses: list[int] = field(default_factory=list)
    deliveries: list[dict[str, object]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            given = self.headers.get("X-Mcpgen-Signature-256", "")
            state.deliveries.append(
                {
                    "verified": hmac.compare_digest(expected, given),
                    "event": self.headers["X-Mcpgen-Event"],
                    "delivery": self.headers["X-Mcpgen-Delivery"],
                    "body": json.loads(body),
                    "path": self.path,
                }
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status if hmac.compare_digest(expected, given) else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mcpgen?token=abc"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def workspace(tmp_path: Path, *plugins: str, config: str = "") -> Path:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "echo.py").write_text(TOOL)
    (root / "plugins").mkdir()
    for name in plugins:
        shutil.copy(EXAMPLES / f"{name}.py", root / "plugins" / f"{name}.py")
    if config:
        (root / "config").mkdir()
        (root / "config" / "config.yaml").write_text(config)
    return root


def notify_config(url: str, **extra: object) -> str:
    settings = {"url": url, "backoff": 0, "retries": 2, **extra}
    return "plugins:\n  settings:\n    webhook_notify: " + json.dumps(settings) + "\n"


def test_webhook_sends_push_then_build_events(tmp_path: Path, receiver: Receiver) -> None:
    root = workspace(tmp_path, "webhook_notify", config=notify_config(receiver.url))
    result = build(
        root,
        BuildOptions(base_image="base:1", push=True, registry="127.0.0.1:5999"),
        engine=PushingEngine(),
        environ={"MCPGEN_WEBHOOK_SECRET": SECRET},
    )
    assert [(d["event"], d["verified"]) for d in receiver.deliveries] == [("push", True), ("build", True)]
    pushed = receiver.deliveries[0]["body"]
    assert isinstance(pushed, dict)
    assert pushed["pushed"] == result.pushed == result.tags
    assert receiver.deliveries[0]["delivery"] != receiver.deliveries[1]["delivery"]


def test_webhook_signature_retry_and_secret_handling(tmp_path: Path, receiver: Receiver) -> None:
    root = workspace(
        tmp_path, "webhook_notify", config=notify_config(receiver.url, events=["build", "failure"])
    )
    receiver.statuses = [500]  # the first delivery fails once and is sent again
    result = build(
        root,
        BuildOptions(base_image="base:1"),
        engine=FakeEngine(),
        environ={"MCPGEN_WEBHOOK_SECRET": SECRET},
    )
    assert [d["event"] for d in receiver.deliveries] == ["build", "build"]
    assert all(d["verified"] for d in receiver.deliveries)
    assert (
        receiver.deliveries[0]["delivery"] == receiver.deliveries[1]["delivery"]
    )  # a retry, not a new event
    assert receiver.deliveries[0]["body"] == receiver.deliveries[1]["body"]
    body = receiver.deliveries[1]["body"]
    assert isinstance(body, dict)
    assert (body["event"], body["project"], body["imageId"], body["tags"]) == (
        "build",
        "ws",
        result.image_id,
        result.tags,
    )
    assert receiver.deliveries[0]["path"] == "/hooks/mcpgen?token=abc"
    log = (root / ".mcpgen" / "build.log").read_text()
    assert SECRET not in log

    receiver.deliveries.clear()
    with pytest.raises(ImageBuildError):
        build(
            root,
            BuildOptions(base_image="base:1", no_cache=True),
            engine=FakeEngine(fail_with="no space left on device"),
            environ={"MCPGEN_WEBHOOK_SECRET": SECRET},
        )
    (failure,) = receiver.deliveries
    assert failure["event"] == "failure"
    assert failure["verified"]
    assert "no space left on device" in str(failure["body"]["error"])  # type: ignore[index]


def test_webhook_reads_the_secret_from_the_store_and_gives_up_as_a_warning(
    tmp_path: Path, receiver: Receiver
) -> None:
    root = workspace(tmp_path, "webhook_notify", config=notify_config(receiver.url, retries=1))
    key = {"MCPGEN_SECRET_KEY": encode_key(b"k" * 32)}
    SecretStore.open(root / ".mcpgen", environ=key).set("MCPGEN_WEBHOOK_SECRET", SECRET)
    receiver.statuses = [503, 503]  # every attempt fails: a warning, the build still succeeds
    lines: list[str] = []
    progress = type(
        "P", (), {"start": lambda *a: None, "finish": lambda *a: None, "line": lambda _, t: lines.append(t)}
    )()
    result = build(
        root, BuildOptions(base_image="base:1"), engine=FakeEngine(), environ=key, progress=progress
    )
    assert result.image_id
    assert [(d["event"], d["verified"]) for d in receiver.deliveries] == [("build", True), ("build", True)]
    warning = next(line for line in lines if "webhook_notify" in line)
    assert warning == (
        "warning: plugin 'webhook_notify' failed in mcpgen_after_build: RuntimeError: webhook "
        f"http://127.0.0.1:{receiver.url.split(':')[2].split('/')[0]} did not accept the 'build' event: HTTP 503"
    )
    assert "token=abc" not in "\n".join(lines)
    assert SECRET not in "\n".join(lines)

    receiver.deliveries.clear()  # no secret anywhere: nothing is sent unsigned
    (root / ".mcpgen" / "secrets.enc").unlink()
    build(
        root,
        BuildOptions(base_image="base:1", no_cache=True),
        engine=FakeEngine(),
        environ={},
        progress=progress,
    )
    assert receiver.deliveries == []
    assert any("the signing secret MCPGEN_WEBHOOK_SECRET is not set" in line for line in lines), lines


def test_dockerfile_linter_passes_the_generated_dockerfile_and_flags_what_plugins_break(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path, "dockerfile_lint")
    assert not [
        w for w in dry_run(root, BuildOptions(base_image="python:3.12-slim")).warnings if "Dockerfile" in w
    ]

    unpinned = dry_run(root, BuildOptions(base_image="registry.local:5000/python"))
    flagged = [w for w in unpinned.warnings if "dockerfile-unpinned" in w]
    assert flagged == [
        "Dockerfile:8: base image 'registry.local:5000/python' is not pinned to a version tag "
        "(dockerfile-unpinned, plugin dockerfile_lint)",
        "Dockerfile:16: base image 'registry.local:5000/python' is not pinned to a version tag "
        "(dockerfile-unpinned, plugin dockerfile_lint)",
    ]

    (root / "plugins" / "careless.py").write_text(
        "from mcpgen.plugins import Arg, Env, User, hookimpl\n\n@hookimpl\ndef mcpgen_dockerfile(dockerfile):\n"
        "    dockerfile.add('system', Arg('GITHUB_TOKEN', 'ghp_x'))\n"
        "    dockerfile.add('final', Env({'DB_PASSWORD': 'hunter2', 'MODE': 'prod'}), User('root'))\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        dry_run(root, BuildOptions(base_image="python:3.12-slim"))
    found = sorted((d.code, d.severity, d.line, d.name) for d in caught.value.report.diagnostics)
    text = "\n".join(str(d) for d in caught.value.report.diagnostics)
    assert [f[:2] for f in found] == [
        ("dockerfile-root-user", "warning"),
        ("dockerfile-secret", "error"),
        ("dockerfile-secret", "error"),
    ]
    assert all(f[3] == "dockerfile_lint" for f in found)
    assert "ARG GITHUB_TOKEN holds a literal value" in text
    assert "ENV DB_PASSWORD holds a literal value" in text
    assert "MODE" not in text


def test_dockerfile_linter_rules_on_handwritten_dockerfiles() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("dockerfile_lint_example", EXAMPLES / "dockerfile_lint.py")
    assert spec is not None
    assert spec.loader is not None
    lint = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lint)
    bare = 'FROM ubuntu\nRUN apt-get update \\\n && apt-get install -y curl\nENV API_KEY abc\nCMD ["x"]\n'
    found = {(d.code, d.line) for d in lint.lint(bare)}
    assert found == {
        ("dockerfile-unpinned", 1),
        ("dockerfile-secret", 4),
        ("dockerfile-root-user", 1),
        ("dockerfile-healthcheck", 1),
    }
    good = (
        "FROM python:3.12-slim@sha256:" + "a" * 64 + " AS build\nFROM build\nUSER 10001:10001\n"
        'ARG TOKEN_URL\nHEALTHCHECK CMD ["true"]\n'
    )
    assert lint.lint(good, {"require_digest": True}) == []
    strict = lint.lint("FROM python:3.12\nUSER app\nHEALTHCHECK NONE\n", {"strict": True, "ignore": []})
    assert [(d.code, d.severity) for d in strict] == [("dockerfile-healthcheck", "error")]
