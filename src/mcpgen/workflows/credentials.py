"""Ask for, validate and store the credentials a workspace declares (``mcpgen credentials``).

Plan, then effect. The pure part turns ``manifest.credentials`` into an ordered
question plan, checks values, evaluates ``when="OTHER=value"`` conditions and
resolves values from the environment, an ``--env-file`` and the store. The
only effect is one :meth:`SecretStore.set_many` at the very end, after every
value is valid (and, interactively, after the user said "Proceed"), so a
validation failure or Ctrl+C leaves the store exactly as it was.

Precedence of a value (``--no-input``) or of a default (interactive):
the process environment, then the ``--env-file``, then the value already in
the store. Empty strings count as unset.

Masking: every kind is masked (prompted without echo, shown as ``sk…z9``)
except the plain kinds in :data:`PLAIN_KINDS` and credentials with
``choices``. Unknown kinds are masked, so a new kind fails safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from mcpgen.errors import ConfigError, CredentialError, UsageError, ValidationFailed
from mcpgen.manifest import Credential, parse_when
from mcpgen.secrets import KeyInfo, SecretStore, mask
from mcpgen.secrets.store import STORE_FILE
from mcpgen.workflows.generate import generate
from mcpgen.workflows.project import load_project

PLAIN_KINDS = frozenset(
    {
        "account_id",
        "choice",
        "client_id",
        "email",
        "endpoint",
        "host",
        "hostname",
        "path",
        "port",
        "region",
        "string",
        "tenant_id",
        "text",
        "url",
        "user",
        "username",
    }
)
"""Kinds whose values are not secret: echoed while typed and shown in clear in summaries."""

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

Style = Literal["secret", "text", "choice"]
Source = Literal["prompt", "environment", "env-file", "stored"]
Status = Literal["set", "kept", "skipped", "inactive"]


# -- the plan (pure) ---------------------------------------------------------


def condition(credential: Credential) -> tuple[str, str] | None:
    """``when="AUTH_METHOD=oauth2"`` as ``("AUTH_METHOD", "oauth2")``."""
    return parse_when(credential.when)


def ordered(credentials: Sequence[Credential]) -> list[Credential]:
    """The order to ask in: each credential followed by those whose ``when=`` names it.

    Among siblings, credentials with ``choices`` come first (they tend to switch
    others on), otherwise the manifest order (by name) is kept. Credentials in a
    ``when=`` cycle come last (their conditions can never hold).
    """
    declared = {c.name for c in credentials}
    rank = {c.name: (not c.choices, i) for i, c in enumerate(credentials)}
    children: dict[str | None, list[Credential]] = {}
    for cred in credentials:
        cond = condition(cred)
        parent = cond[0] if cond and cond[0] in declared and cond[0] != cred.name else None
        children.setdefault(parent, []).append(cred)
    result: list[Credential] = []

    def visit(parent: str | None) -> None:
        for cred in sorted(children.get(parent, []), key=lambda c: rank[c.name]):
            result.append(cred)
            visit(cred.name)

    visit(None)
    placed = {c.name for c in result}
    return result + [c for c in credentials if c.name not in placed]


def is_masked(credential: Credential) -> bool:
    """Whether values of this credential are secret (see the module docstring)."""
    return not credential.choices and credential.kind.lower() not in PLAIN_KINDS


def display(credential: Credential, value: str) -> str:
    """A value as it may be shown: masked for secret kinds, in clear for plain ones."""
    return mask(value) if is_masked(credential) else value


def check_value(credential: Credential, value: str) -> str | None:
    """Why ``value`` is not acceptable for ``credential`` (a message naming it), or ``None``.

    An empty value is fine for an optional credential (it is skipped).
    """
    name = credential.name
    if not value:
        return f"{name} is required" if credential.required else None
    if credential.choices and value not in credential.choices:
        return f"{name} must be one of {', '.join(credential.choices)}"
    kind = credential.kind.lower()
    if kind == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in value):
            return f"{name} must be an http(s) URL, like https://api.example.com"
    if kind == "email" and not _EMAIL.match(value):
        return f"{name} must be an email address, like name@example.com"
    if credential.pattern is not None and re.fullmatch(credential.pattern, value) is None:
        return f"{name} must match the pattern {credential.pattern}"
    return None


@dataclass(frozen=True, slots=True)
class Question:
    """One prompt: how to ask for ``credential`` and what Enter alone means."""

    credential: Credential
    default: SecretStr | None = None
    default_source: Source | None = None

    @property
    def name(self) -> str:
        return self.credential.name

    @property
    def style(self) -> Style:
        if self.credential.choices:
            return "choice"
        return "secret" if is_masked(self.credential) else "text"

    @property
    def message(self) -> str:
        text = self.credential.name
        if self.credential.description:
            text += f" ({self.credential.description})"
        if not self.credential.required:
            text += " [optional, Enter skips]" if self.default is None else " [optional]"
        if self.default is not None and self.style == "secret":
            where = {"stored": "stored", "environment": "from the environment", "env-file": "from --env-file"}
            text += f" [Enter keeps {mask(self.default.get_secret_value())}, {where[self.default_source or 'stored']}]"
        return text

    def resolve(self, answer: str) -> str:
        """The value an answer stands for: an empty answer takes the default (if any)."""
        if answer:
            return answer
        return self.default.get_secret_value() if self.default is not None else ""

    def check(self, answer: str) -> str | None:
        """Validation for the prompt: the message to show, or ``None`` when the answer is fine."""
        return check_value(self.credential, self.resolve(answer))


def _sources(
    environ: Mapping[str, str], env_file: Mapping[str, str], stored: Mapping[str, str]
) -> list[tuple[Source, Mapping[str, str]]]:
    """Where values come from, in precedence order."""
    return [("environment", environ), ("env-file", env_file), ("stored", stored)]


def question_for(
    credential: Credential,
    environ: Mapping[str, str],
    env_file: Mapping[str, str],
    stored: Mapping[str, str],
) -> Question:
    """The question for ``credential`` with its default (environment, env-file, then stored)."""
    for source, values in _sources(environ, env_file, stored):
        value = values.get(credential.name)
        if value and (not credential.choices or value in credential.choices):
            return Question(credential, SecretStr(value), source)
    return Question(credential)


# -- the resolution (what would be written) ----------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """What happens to one credential. ``value`` is a SecretStr: it never shows in a repr."""

    credential: Credential
    status: Status
    source: Source | None = None
    value: SecretStr | None = None

    @property
    def name(self) -> str:
        return self.credential.name

    @property
    def shown(self) -> str:
        """The value as it may be displayed (masked for secret kinds), or a dash."""
        return display(self.credential, self.value.get_secret_value()) if self.value is not None else "-"

    def data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.credential.kind,
            "required": self.credential.required,
            "declaredBy": list(self.credential.declared_by),
            "status": self.status,
            "source": self.source,
            "value": self.shown if self.value is not None else None,
        }


@dataclass(frozen=True)
class Resolution:
    """Every declared credential with its fate; :attr:`to_write` is what ``set_many`` gets."""

    entries: list[Entry]

    @property
    def to_write(self) -> dict[str, str]:
        return {e.name: e.value.get_secret_value() for e in self.entries if e.status == "set" and e.value}

    def names(self, status: Status) -> list[str]:
        return [e.name for e in self.entries if e.status == status]


def _entry(credential: Credential, value: str, source: Source, stored: Mapping[str, str]) -> Entry:
    if not value:
        return Entry(credential, "skipped")
    status: Status = "kept" if stored.get(credential.name) == value else "set"
    return Entry(credential, status, source, SecretStr(value))


def _active(
    credential: Credential,
    resolved: Mapping[str, str],
    declared: Collection[str],
    fallback: Iterable[Mapping[str, str]],
) -> bool:
    """Whether the ``when=`` condition holds, judged on the values resolved so far.

    A declared credential that was skipped, missing or itself inactive has no
    value, so conditions on it are false. A condition on a name that is not a
    declared credential is judged on the first of environment, env-file and
    store that has it.
    """
    cond = condition(credential)
    if cond is None:
        return True
    other, expected = cond
    if other in resolved or other in declared:
        return resolved.get(other) == expected
    return next((values[other] for values in fallback if values.get(other)), None) == expected


def resolve_without_input(
    credentials: Sequence[Credential],
    *,
    environ: Mapping[str, str],
    env_file: Mapping[str, str] | None = None,
    stored: Mapping[str, str] | None = None,
) -> Resolution:
    """``--no-input``: take every value from the environment, the env-file or the store.

    Raises one :class:`CredentialError` naming *every* missing required
    credential (``missing={name: declared_by}``) and every invalid value.
    """
    env_file = env_file or {}
    stored = stored or {}
    declared = {c.name for c in credentials}
    resolved: dict[str, str] = {}
    entries: list[Entry] = []
    missing: dict[str, list[str]] = {}
    invalid: list[str] = []
    for cred in ordered(credentials):
        if not _active(cred, resolved, declared, (environ, env_file, stored)):
            entries.append(Entry(cred, "inactive"))
            continue
        found = next(
            (
                (src, vals[cred.name])
                for src, vals in _sources(environ, env_file, stored)
                if vals.get(cred.name)
            ),
            None,
        )
        if found is None:
            if cred.required:
                missing[cred.name] = list(cred.declared_by)
            else:
                entries.append(Entry(cred, "skipped"))
            continue
        source, value = found
        problem = check_value(cred, value)
        if problem is not None:
            invalid.append(f"{problem} (from {source})")
            continue
        resolved[cred.name] = value
        entries.append(_entry(cred, value, source, stored))
    if missing or invalid:
        raise CredentialError(_problems_message(missing, invalid), missing=missing)
    return Resolution(entries)


def _problems_message(missing: Mapping[str, list[str]], invalid: Sequence[str]) -> str:
    lines: list[str] = []
    if missing:
        lines.append(
            f"{len(missing)} required credential(s) missing (set them in the environment or --env-file):"
        )
        for name, modules in missing.items():
            lines.append(f"  {name}  (declared by {', '.join(modules) or 'unknown'})")
    if invalid:
        lines.append(f"{len(invalid)} invalid value(s):")
        lines.extend(f"  {problem}" for problem in invalid)
    lines.append("nothing was saved")
    return "\n".join(lines)


class Prompter(Protocol):
    """Asks the questions; the CLI implements it with questionary, tests with a script.

    ``ask`` returns the raw answer ("" for Enter alone), already checked with
    ``question.check``; raising ``KeyboardInterrupt`` cancels everything.
    """

    def ask(self, question: Question) -> str: ...

    def confirm(self, resolution: Resolution) -> bool: ...


def resolve_interactively(
    credentials: Sequence[Credential],
    prompter: Prompter,
    *,
    environ: Mapping[str, str],
    env_file: Mapping[str, str] | None = None,
    stored: Mapping[str, str] | None = None,
) -> Resolution:
    """Ask for each active credential in :func:`ordered` order; conditions see earlier answers."""
    env_file = env_file or {}
    stored = stored or {}
    declared = {c.name for c in credentials}
    resolved: dict[str, str] = {}
    entries: list[Entry] = []
    for cred in ordered(credentials):
        if not _active(cred, resolved, declared, (environ, env_file, stored)):
            entries.append(Entry(cred, "inactive"))
            continue
        question = question_for(cred, environ, env_file, stored)
        answer = prompter.ask(question)
        problem = question.check(answer)
        if problem is not None:  # the prompter should not let this through; never store it
            raise CredentialError(f"{problem}; nothing was saved")
        value = question.resolve(answer)
        source: Source = "prompt" if answer else (question.default_source or "prompt")
        if value:
            resolved[cred.name] = value
        entries.append(_entry(cred, value, source, stored))
    return Resolution(entries)


# -- env files ----------------------------------------------------------------

_DOUBLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_SINGLE_ESCAPES = {"\\": "\\", "'": "'"}


def parse_dotenv(text: str, *, source: str = "<env-file>") -> dict[str, str]:
    """Parse dotenv text: ``KEY=value``, ``export KEY=value``, ``#`` comments, quotes.

    As python-dotenv reads it (so ``mcpgen secrets export-env`` output reads back
    unchanged): in single quotes only ``\\\\`` and ``\\'`` are escapes; double
    quotes also understand ``\\" \\n \\t \\r`` and friends; quoted values may
    span lines; unquoted values end at `` #``. No ``${VAR}`` expansion.
    Errors raise :class:`ConfigError` naming ``source`` and the line.
    """
    values: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(f"{source}:{number}: expected KEY=value, got {key!r}", key=key or None)
        if not ENV_NAME.match(key):
            raise ConfigError(f"{source}:{number}: {key!r} is not a valid variable name", key=key or None)
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while True:
                end = _closing_quote(body, quote)
                if end is not None:
                    break
                if index >= len(lines):
                    raise ConfigError(f"{source}:{number}: unterminated {quote} quote for {key}", key=key)
                body += "\n" + lines[index]
                index += 1
            tail = body[end + 1 :].strip()
            if tail and not tail.startswith("#"):
                raise ConfigError(
                    f"{source}:{number}: unexpected text after the quoted value of {key}", key=key
                )
            raw = body[:end]
            values[key] = _unescape(raw, _SINGLE_ESCAPES if quote == "'" else _DOUBLE_ESCAPES)
        else:
            values[key] = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
    return values


def _closing_quote(body: str, quote: str) -> int | None:
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return None


def _unescape(raw: str, escapes: Mapping[str, str]) -> str:
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), raw, flags=re.DOTALL)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the dotenv file at ``path`` (a missing file is a usage error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"--env-file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_dotenv(text, source=str(path))


# -- the workflow -------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What ``mcpgen credentials`` did. ``saved`` is False when the user declined or nothing changed."""

    workspace: Path
    store_path: Path | None
    resolution: Resolution
    saved: bool
    declined: bool = False
    written: list[str] = field(default_factory=list)
    key: KeyInfo | None = None
    """Set when this run created the store (tells where its key came from)."""

    def data(self) -> dict[str, Any]:
        res = self.resolution
        return {
            "workspace": str(self.workspace),
            "store": str(self.store_path) if self.store_path else None,
            "saved": self.saved,
            "declined": self.declined,
            "stored": self.written,
            "kept": res.names("kept"),
            "skipped": res.names("skipped"),
            "inactive": res.names("inactive"),
            "credentials": [e.data() for e in res.entries],
            "newStore": key_data(self.key) if self.key is not None else None,
        }


def key_data(key: KeyInfo) -> dict[str, Any]:
    """Where a store key lives (never the key itself)."""
    return {
        "kind": key.kind,
        "source": key.source,
        "keyId": key.key_id,
        "kdf": key.kdf,
        "generated": key.generated,
        "keyFile": str(key.key_file) if key.key_file else None,
    }


def declared_credentials(root: Path) -> list[Credential]:
    """The merged credentials of a workspace (raises ValidationFailed when it does not validate)."""
    gen = generate(root)
    if gen.manifest is None:
        raise ValidationFailed(
            f"{len(gen.report.errors)} error(s) in {gen.project.root}; fix them before setting credentials",
            report=gen.report,
        )
    return list(gen.manifest.credentials)


def store_path(root: Path) -> Path:
    """Where the workspace's store lives (``WORKSPACE/.mcpgen/secrets.enc``), existing or not."""
    return load_project(root).state_dir / STORE_FILE


def open_store(
    root: Path,
    *,
    environ: Mapping[str, str],
    passphrase: Callable[[], str] | None = None,
    create: bool = True,
) -> SecretStore:
    """The workspace's secret store.

    ``passphrase`` is only offered for a store that exists (one sealed with a
    passphrase needs it). A *new* store takes its key from ``MCPGEN_SECRET_KEY``,
    a key file or the keyring, or else gets a generated ``.mcpgen/secret.key``;
    it is never silently turned into a passphrase store by a prompt.
    """
    path = store_path(root)
    ask = passphrase if path.exists() else None
    return SecretStore.open(path.parent, environ=environ, passphrase=ask, create=create)


def configure(
    root: Path,
    *,
    environ: Mapping[str, str],
    prompter: Prompter | None,
    env_file: Path | None = None,
    passphrase: Callable[[], str] | None = None,
) -> Outcome:
    """Resolve every declared credential, then write the changed ones in one atomic ``set_many``.

    ``prompter=None`` is ``--no-input``. Nothing is written - not even an empty
    store - when a value is missing or invalid, when the user declines, or when
    ``KeyboardInterrupt`` escapes the prompter. An existing store is opened
    (and its key checked) before the first question.
    """
    credentials = declared_credentials(root)
    file_values = read_env_file(env_file) if env_file is not None else {}
    path = store_path(root)
    if not credentials:
        return Outcome(root, path if path.exists() else None, Resolution([]), saved=False)
    store = open_store(root, environ=environ, passphrase=passphrase, create=False) if path.exists() else None
    stored = store.items() if store is not None else {}
    if prompter is None:
        resolution = resolve_without_input(credentials, environ=environ, env_file=file_values, stored=stored)
    else:
        resolution = resolve_interactively(
            credentials, prompter, environ=environ, env_file=file_values, stored=stored
        )
        if not prompter.confirm(resolution):
            return Outcome(root, store.path if store else None, resolution, saved=False, declined=True)
    to_write = resolution.to_write
    if not to_write:
        return Outcome(root, store.path if store else None, resolution, saved=False)
    created = store is None
    if store is None:
        store = open_store(root, environ=environ, create=True)
    store.set_many(to_write)
    return Outcome(
        root,
        store.path,
        resolution,
        saved=True,
        written=sorted(to_write),
        key=store.key_info if created else None,
    )
