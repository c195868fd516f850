"""export-env quoting round-trips through real parsers, and masking follows the one rule."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from secrets_support import OpenStore

from mcpgen.errors import UsageError
from mcpgen.secrets import mask
from mcpgen.secrets.exporting import render_env

TRICKY = {
    "SPACES": "a value with  spaces ",
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "NEWLINES": "line1\nline2\r\nline3\n",
    "DOLLAR": "$HOME ${HOME} $(whoami) `id`",
    "BACKSLASH": "C:\\path\\ end\\",
    "MIXED": "\\'\"$\n\\\\'",
    "EMPTY": "",
    "HASH": "#not a comment",
    "UNICODE": "ключ 🔑",
}


def test_shell_export_round_trips_through_sh() -> None:
    sh = shutil.which("sh")
    assert sh is not None
    script = render_env(TRICKY, format="shell")
    assert script.splitlines()[0].startswith("export ")
    probe = "; ".join(f'printf "%s\\0" "${name}"' for name in TRICKY)
    out = subprocess.run(
        [sh, "-c", script + probe], capture_output=True, check=True, timeout=30, env={"PATH": "/usr/bin:/bin"}
    ).stdout
    assert out.decode().split("\0")[:-1] == list(TRICKY.values())


def test_dotenv_export_round_trips_through_python_dotenv() -> None:
    dotenv = pytest.importorskip("dotenv")
    from io import StringIO

    text = render_env(TRICKY, format="dotenv")
    # python-dotenv expands ${VAR} even inside single quotes and has no escape for it: read with
    # interpolate=False (Docker Compose keeps single-quoted values literal on its own).
    assert dict(dotenv.dotenv_values(stream=StringIO(text), interpolate=False)) == TRICKY
    plain = {k: v for k, v in TRICKY.items() if "${" not in v}
    assert dict(dotenv.dotenv_values(stream=StringIO(render_env(plain)), interpolate=True)) == plain


def test_store_export_env(open_store: OpenStore) -> None:
    store = open_store()
    store.set_many({"B": "it's", "A": "x y"})
    assert store.export_env() == "A='x y'\nB='it\\'s'\n"
    assert store.export_env(format="shell") == "export A='x y'\nexport B='it'\\''s'\n"
    with pytest.raises(UsageError, match="unknown export format"):
        store.export_env(format="yaml")  # type: ignore[arg-type]


def test_empty_export() -> None:
    assert render_env({}) == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", "********"),
        ("a", "********"),
        ("12345678", "********"),
        ("123456789", "12…89"),
        ("sk-live-abcdef0123456789", "sk…89"),
        ("pässwörd🔑x", "pä…🔑x"),
    ],
)
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_secrets_and_config_share_the_one_masking_rule() -> None:
    from mcpgen import config
    from mcpgen.common import masking

    assert mask is masking.mask
    assert config.mask is masking.mask
