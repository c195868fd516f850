"""Credentials at start-up: check the required ones are set, and keep their values out of the logs.

Values come from the process environment (``mcpgen serve``/``dev`` put the
stored secrets there first; a container gets them from ``docker run -e``), or
from files: when ``MCPGEN_SECRETS_DIR`` names a folder, each file in it whose
name is a variable name (``API_KEY``) sets that variable unless the environment
already has it (``mcpgen run --secrets-as-files``, Docker/Compose secrets, a
Kubernetes Secret volume). One trailing newline is dropped from a file's content.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping

from mcpgen.errors import CredentialError
from mcpgen.manifest import Manifest, parse_when

SECRETS_DIR_VAR = "MCPGEN_SECRETS_DIR"
"""Names a folder of credential files (one file per credential, named after it)."""
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REDACTED = "[redacted]"
_MIN_REDACT = 4
"""Values shorter than this are not redacted from log lines (they would garble every message)."""


def load_secret_files(environ: MutableMapping[str, str]) -> list[str]:
    """Set each credential found as a file in ``$MCPGEN_SECRETS_DIR`` that ``environ`` lacks; the names set.

    Raises :class:`CredentialError` when the variable names a folder that cannot be read.
    """
    folder = environ.get(SECRETS_DIR_VAR)
    if not folder:
        return []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise CredentialError(f"{SECRETS_DIR_VAR}={folder}: cannot read the folder: {exc.strerror}") from None
    loaded = []
    for entry in entries:
        if not _VARIABLE.match(entry.name) or not entry.is_file() or environ.get(entry.name):
            continue  # hidden files (a Kubernetes volume's ..data) and the environment's own values
        try:
            with open(entry.path, encoding="utf-8") as handle:
                value = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CredentialError(f"{SECRETS_DIR_VAR}: cannot read {entry.name}: {exc}") from None
        environ[entry.name] = value[:-1] if value.endswith("\n") else value
        loaded.append(entry.name)
    return loaded


def _condition_holds(when: str | None, environ: Mapping[str, str]) -> bool:
    condition = parse_when(when)
    return condition is None or environ.get(condition[0]) == condition[1]


def missing_credentials(manifest: Manifest, environ: Mapping[str, str]) -> dict[str, list[str]]:
    """Required credentials (whose ``when`` condition holds) with no non-empty value, with their modules."""
    return {
        c.name: list(c.declared_by)
        for c in manifest.credentials
        if c.required and _condition_holds(c.when, environ) and not environ.get(c.name)
    }


def check_credentials(manifest: Manifest, environ: Mapping[str, str]) -> None:
    """Raise :class:`CredentialError` naming every missing required credential and who needs it."""
    missing = missing_credentials(manifest, environ)
    if not missing:
        return
    lines = [
        f"  {name} (needed by {', '.join(modules) or 'the server'})" for name, modules in missing.items()
    ]
    raise CredentialError(
        "missing required credential(s):\n"
        + "\n".join(lines)
        + "\nset them in the environment, or store them with `mcpgen credentials` / `mcpgen secrets set NAME`",
        missing=missing,
    )


def credential_values(manifest: Manifest, environ: Mapping[str, str]) -> list[str]:
    """The values of every declared credential that is set (to redact from logs)."""
    return [environ[c.name] for c in manifest.credentials if environ.get(c.name)]


class RedactingFilter(logging.Filter):
    """Replace every known secret value in a log record's message, arguments and traceback."""

    def __init__(self, values: Iterable[str]) -> None:
        super().__init__("mcpgen-redact")
        self._values = sorted({v for v in values if len(v) >= _MIN_REDACT}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            if self._clean(formatted) != formatted:
                record.exc_text = self._clean(formatted)
                record.exc_info = None
        for key, value in list(record.__dict__.items()):
            if key not in ("msg", "args", "exc_text") and isinstance(value, str) and key not in _STANDARD:
                record.__dict__[key] = self._clean(value)
        return True


_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def install_redaction(values: Iterable[str]) -> RedactingFilter:
    """Attach a redacting filter to every handler of the root logger (replacing an earlier one)."""
    redactor = RedactingFilter(values)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    return redactor
