"""The credentials workflow: question plan, validation, env files, --no-input, interactive, atomic save."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from mcpgen.errors import ConfigError, CredentialError, UsageError
from mcpgen.manifest import Credential
from mcpgen.secrets import SecretStore
from mcpgen.workflows.credentials import (
    Question,
    Resolution,
    check_value,
    configure,
    is_masked,
    ordered,
    parse_dotenv,
    question_for,
    read_env_file,
    resolve_interactively,
    resolve_without_input,
)

KEY = base64.b64encode(bytes(range(32))).decode()
SENTINEL = "sk_SENTINELsecret123"

AUTH = Credential(
    name="AUTH_METHOD", kind="choice", choices=["api_key", "oauth2"], declared_by=["tools/a.py"]
)
API_KEY = Credential(
    name="SERVICE_API_KEY",
    kind="api_key",
    when="AUTH_METHOD=api_key",
    pattern=r"sk_[A-Za-z0-9]{8,}",
    declared_by=["tools/a.py"],
)
CLIENT_ID = Credential(
    name="OAUTH_CLIENT_ID", kind="client_id", when="AUTH_METHOD=oauth2", declared_by=["tools/a.py"]
)
CLIENT_SECRET = Credential(
    name="OAUTH_CLIENT_SECRET", kind="client_secret", when="AUTH_METHOD=oauth2", declared_by=["tools/a.py"]
)
URL = Credential(name="SERVICE_URL", kind="url", declared_by=["tools/a.py", "tools/b.py"])
EMAIL = Credential(name="ALERT_EMAIL", kind="email", required=False, declared_by=["tools/b.py"])
ALL = [EMAIL, AUTH, CLIENT_ID, CLIENT_SECRET, API_KEY, URL]  # manifest order: sorted by name

TOOL = (
    Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "credentials" / "tools" / "ping.py"
).read_text()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "ping.py").write_text(TOOL)
    return root


class Script:
    """A Prompter answering from a dict; records what it was asked."""

    def __init__(self, answers: dict[str, str], *, proceed: bool = True, interrupt_at: str | None = None):
        self.answers = answers
        self.proceed = proceed
        self.interrupt_at = interrupt_at
        self.asked: list[Question] = []
        self.confirmed: Resolution | None = None

    def ask(self, question: Question) -> str:
        self.asked.append(question)
        if question.name == self.interrupt_at:
            raise KeyboardInterrupt
        return self.answers.get(question.name, "")

    def confirm(self, resolution: Resolution) -> bool:
        self.confirmed = resolution
        return self.proceed


# -- the plan -------------------------------------------------------------------


def test_order_puts_choices_first_and_dependents_right_after_their_condition() -> None:
    names = [c.name for c in ordered(ALL)]
    assert names == [
        "AUTH_METHOD",
        "OAUTH_CLIENT_ID",
        "OAUTH_CLIENT_SECRET",
        "SERVICE_API_KEY",
        "ALERT_EMAIL",
        "SERVICE_URL",
    ]


def test_when_cycle_is_kept_last_and_never_active() -> None:
    a = Credential(name="A", when="B=x")
    b = Credential(name="B", when="A=x")
    c = Credential(name="C")
    assert [x.name for x in ordered([a, b, c])] == ["C", "A", "B"]
    res = resolve_without_input([a, b, c], environ={"A": "x", "B": "x", "C": "1"})
    assert res.names("inactive") == ["A", "B"]


def test_masked_kinds_fail_safe() -> None:
    assert is_masked(API_KEY)
    assert is_masked(CLIENT_SECRET)
    assert is_masked(Credential(name="X", kind="refresh_token"))
    assert is_masked(Credential(name="X", kind="something_new"))
    assert not is_masked(URL)
    assert not is_masked(EMAIL)
    assert not is_masked(AUTH)
    assert not is_masked(CLIENT_ID)


@pytest.mark.parametrize(
    ("credential", "value", "problem"),
    [
        (URL, "https://api.example.com/v1", None),
        (URL, "ftp://example.com", "SERVICE_URL must be an http(s) URL"),
        (URL, "https://", "SERVICE_URL must be an http(s) URL"),
        (EMAIL, "ops@example.com", None),
        (EMAIL, "ops@example", "ALERT_EMAIL must be an email address"),
        (EMAIL, "", None),
        (URL, "", "SERVICE_URL is required"),
        (AUTH, "basic", "AUTH_METHOD must be one of api_key, oauth2"),
        (API_KEY, "sk_abcdefgh", None),
        (API_KEY, "xsk_abcdefgh", "SERVICE_API_KEY must match the pattern"),
        (API_KEY, "sk_abcdefgh!", "SERVICE_API_KEY must match the pattern"),  # full match, not search
    ],
)
def test_check_value(credential: Credential, value: str, problem: str | None) -> None:
    result = check_value(credential, value)
    if problem is None:
        assert result is None
    else:
        assert result is not None
        assert result.startswith(problem)


def test_question_default_precedence_and_masked_message() -> None:
    q = question_for(
        CLIENT_SECRET, {"OAUTH_CLIENT_SECRET": SENTINEL}, {}, {"OAUTH_CLIENT_SECRET": "stored-value-1"}
    )
    assert q.default_source == "environment"
    assert q.style == "secret"
    assert SENTINEL not in q.message
    assert "sk…23" in q.message
    assert SENTINEL not in repr(q)
    assert q.resolve("") == SENTINEL
    q = question_for(
        CLIENT_SECRET, {}, {"OAUTH_CLIENT_SECRET": "from-file-value"}, {"OAUTH_CLIENT_SECRET": "x" * 9}
    )
    assert q.default_source == "env-file"
    q = question_for(CLIENT_SECRET, {}, {}, {"OAUTH_CLIENT_SECRET": "stored-value-1"})
    assert (q.default_source, q.resolve("")) == ("stored", "stored-value-1")
    assert question_for(AUTH, {"AUTH_METHOD": "bogus"}, {}, {}).default is None


# -- env files ------------------------------------------------------------------


def test_parse_dotenv_syntax() -> None:
    text = textwrap.dedent(
        """\
        # a comment
        PLAIN=value  # trailing comment
        export EXPORTED=yes
        SINGLE='lit $HOME \\n # not a comment'
        DOUBLE="a\\"b\\nc"
        EMPTY=
        HASH=abc#def
        MULTI="line one
        line two"

        SPACED = spaced value
        """
    )
    assert parse_dotenv(text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SINGLE": "lit $HOME \\n # not a comment",
        "DOUBLE": 'a"b\nc',
        "EMPTY": "",
        "HASH": "abc#def",
        "MULTI": "line one\nline two",
        "SPACED": "spaced value",
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("OK=1\nNOEQUALS\n", "f.env:2"),
        ("OK=1\n\n1BAD=x\n", "f.env:3"),
        ('OK=1\nQ="open\n', "f.env:2"),
        ("A='x' trailing\n", "f.env:1"),
    ],
)
def test_parse_dotenv_errors_name_file_and_line(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_dotenv(text, source="f.env")
    assert info.value.message.startswith(where + ":")


def test_missing_env_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        read_env_file(tmp_path / "nope.env")


# -- --no-input -----------------------------------------------------------------


def test_no_input_lists_every_missing_required_credential_with_modules() -> None:
    with pytest.raises(CredentialError) as info:
        resolve_without_input(ALL, environ={})
    assert info.value.missing == {"AUTH_METHOD": ["tools/a.py"], "SERVICE_URL": ["tools/a.py", "tools/b.py"]}
    assert "AUTH_METHOD" in info.value.message
    assert "SERVICE_URL" in info.value.message
    assert "ALERT_EMAIL" not in info.value.message  # optional


def test_no_input_condition_switches_required_fields_and_reports_invalid_too() -> None:
    env = {"AUTH_METHOD": "oauth2", "SERVICE_URL": "not a url", "SERVICE_API_KEY": "ignored"}
    with pytest.raises(CredentialError) as info:
        resolve_without_input(ALL, environ=env)
    assert set(info.value.missing) == {"OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"}
    assert (
        "SERVICE_URL must be an http(s) URL, like https://api.example.com (from environment)"
        in info.value.message
    )
    assert "SERVICE_API_KEY" not in info.value.message


def test_no_input_precedence_environment_then_env_file_then_store() -> None:
    res = resolve_without_input(
        ALL,
        environ={"AUTH_METHOD": "api_key", "SERVICE_API_KEY": SENTINEL},
        env_file={"AUTH_METHOD": "oauth2", "SERVICE_URL": "https://file.example.com"},
        stored={"SERVICE_URL": "https://stored.example.com", "ALERT_EMAIL": "ops@example.com"},
    )
    by_name = {e.name: e for e in res.entries}
    assert res.to_write == {
        "AUTH_METHOD": "api_key",
        "SERVICE_API_KEY": SENTINEL,
        "SERVICE_URL": "https://file.example.com",
    }
    assert by_name["SERVICE_URL"].source == "env-file"
    assert by_name["ALERT_EMAIL"].status == "kept"
    assert res.names("inactive") == ["OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"]
    assert SENTINEL not in repr(res)
    assert by_name["SERVICE_API_KEY"].data()["value"] == "sk…23"


# -- interactive ----------------------------------------------------------------


def test_interactive_asks_oauth_fields_only_when_oauth_is_chosen() -> None:
    script = Script(
        {
            "AUTH_METHOD": "oauth2",
            "OAUTH_CLIENT_ID": "cid",
            "OAUTH_CLIENT_SECRET": SENTINEL,
            "SERVICE_URL": "https://x.example.com",
        }
    )
    res = resolve_interactively(ALL, script, environ={})
    assert [q.name for q in script.asked] == [
        "AUTH_METHOD",
        "OAUTH_CLIENT_ID",
        "OAUTH_CLIENT_SECRET",
        "ALERT_EMAIL",
        "SERVICE_URL",
    ]
    assert [q.style for q in script.asked] == ["choice", "text", "secret", "text", "text"]
    assert res.names("skipped") == ["ALERT_EMAIL"]
    assert res.names("inactive") == ["SERVICE_API_KEY"]

    script = Script(
        {"AUTH_METHOD": "api_key", "SERVICE_API_KEY": SENTINEL, "SERVICE_URL": "https://x.example.com"}
    )
    resolve_interactively(ALL, script, environ={})
    assert "OAUTH_CLIENT_ID" not in [q.name for q in script.asked]


def test_interactive_enter_keeps_default_from_environment() -> None:
    script = Script({"AUTH_METHOD": "api_key"})
    res = resolve_interactively(
        ALL, script, environ={"SERVICE_API_KEY": SENTINEL}, stored={"SERVICE_URL": "https://s.example.com"}
    )
    by_name = {e.name: e for e in res.entries}
    assert (by_name["SERVICE_API_KEY"].status, by_name["SERVICE_API_KEY"].source) == ("set", "environment")
    assert (by_name["SERVICE_URL"].status, by_name["SERVICE_URL"].source) == ("kept", "stored")
    assert "SERVICE_URL" not in res.to_write


def test_interactive_never_stores_an_invalid_answer() -> None:
    script = Script({"AUTH_METHOD": "api_key", "SERVICE_API_KEY": "wrong"})
    with pytest.raises(CredentialError, match="SERVICE_API_KEY must match"):
        resolve_interactively(ALL, script, environ={})


# -- the workflow end to end (real store) ---------------------------------------


def test_configure_no_input_writes_once_and_reports(workspace: Path) -> None:
    env = {
        "MCPGEN_SECRET_KEY": KEY,
        "AUTH_METHOD": "api_key",
        "SERVICE_API_KEY": SENTINEL,
        "SERVICE_URL": "https://api.example.com",
    }
    outcome = configure(workspace, environ=env, prompter=None)
    assert outcome.saved
    assert outcome.written == ["AUTH_METHOD", "SERVICE_API_KEY", "SERVICE_URL"]
    store = SecretStore.open(workspace / ".mcpgen", environ=env, create=False)
    assert store.get("SERVICE_API_KEY") == SENTINEL
    assert "OAUTH_CLIENT_ID" not in store.names()
    assert SENTINEL not in repr(outcome.data())
    again = configure(workspace, environ=env, prompter=None)
    assert not again.saved
    assert again.resolution.names("kept") == [
        "AUTH_METHOD",
        "SERVICE_API_KEY",
        "SERVICE_URL",
    ]


def test_configure_no_input_failure_writes_nothing(workspace: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "ci.env"
    env_file.write_text("AUTH_METHOD=oauth2\nOAUTH_CLIENT_ID=cid\n")
    env = {"MCPGEN_SECRET_KEY": KEY, "SERVICE_URL": "https://api.example.com"}
    with pytest.raises(CredentialError) as info:
        configure(workspace, environ=env, prompter=None, env_file=env_file)
    assert list(info.value.missing) == ["OAUTH_CLIENT_SECRET"]
    assert info.value.missing["OAUTH_CLIENT_SECRET"] == ["tools/ping.py"]
    assert SecretStore.open(workspace / ".mcpgen", environ=env).names() == []


@pytest.mark.parametrize("how", ["decline", "interrupt"])
def test_configure_interactive_decline_or_interrupt_writes_nothing(workspace: Path, how: str) -> None:
    env = {"MCPGEN_SECRET_KEY": KEY}
    answers = {"AUTH_METHOD": "api_key", "SERVICE_API_KEY": SENTINEL, "SERVICE_URL": "https://x.example.com"}
    script = Script(answers, proceed=False, interrupt_at="SERVICE_URL" if how == "interrupt" else None)
    if how == "interrupt":
        with pytest.raises(KeyboardInterrupt):
            configure(workspace, environ=env, prompter=script)
    else:
        outcome = configure(workspace, environ=env, prompter=script)
        assert outcome.declined
        assert not outcome.saved
        assert script.confirmed is not None
        assert script.confirmed.to_write["SERVICE_API_KEY"] == SENTINEL
    assert SecretStore.open(workspace / ".mcpgen", environ=env).names() == []


def test_configure_interactive_proceed_saves(workspace: Path) -> None:
    env = {"MCPGEN_SECRET_KEY": KEY}
    script = Script(
        {
            "AUTH_METHOD": "oauth2",
            "OAUTH_CLIENT_ID": "cid",
            "OAUTH_CLIENT_SECRET": SENTINEL,
            "SERVICE_URL": "https://x.example.com",
        }
    )
    outcome = configure(workspace, environ=env, prompter=script)
    assert outcome.saved
    assert outcome.resolution.names("skipped") == ["ALERT_EMAIL"]
    assert SecretStore.open(workspace / ".mcpgen", environ=env).items() == {
        "AUTH_METHOD": "oauth2",
        "OAUTH_CLIENT_ID": "cid",
        "OAUTH_CLIENT_SECRET": SENTINEL,
        "SERVICE_URL": "https://x.example.com",
    }


def test_workspace_without_credentials(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "t.py").write_text(
        'from mcpgen import tool\n\n@tool\ndef t() -> str:\n    """T."""\n    return ""\n'
    )
    outcome = configure(tmp_path, environ={}, prompter=None)
    assert outcome.resolution.entries == []
    assert not outcome.saved
    assert not (tmp_path / ".mcpgen" / "secrets.enc").exists()
