"""Credentials read from files: ``MCPGEN_SECRETS_DIR`` (``mcpgen run --secrets-as-files``, Kubernetes, Compose)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.errors import CredentialError
from mcpgen.runtime.credentials import load_secret_files


def test_each_file_sets_its_credential_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "API_TOKEN").write_text("from-file\n")
    (tmp_path / "REGION").write_text("eu")
    (tmp_path / "SET_ALREADY").write_text("from-file")
    (tmp_path / "..data").mkdir()  # what a Kubernetes Secret volume holds besides the keys
    (tmp_path / "not-a-name.txt").write_text("ignored")
    environ = {"MCPGEN_SECRETS_DIR": str(tmp_path), "SET_ALREADY": "from-env"}
    assert load_secret_files(environ) == ["API_TOKEN", "REGION"]
    assert environ["API_TOKEN"] == "from-file"  # one trailing newline dropped
    assert environ["REGION"] == "eu"
    assert environ["SET_ALREADY"] == "from-env"
    assert "not-a-name.txt" not in environ


def test_no_folder_named_means_nothing_and_an_unreadable_one_is_an_error(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert load_secret_files(environ) == []
    assert environ == {}
    with pytest.raises(CredentialError, match=r"MCPGEN_SECRETS_DIR=.*cannot read"):
        load_secret_files({"MCPGEN_SECRETS_DIR": str(tmp_path / "missing")})
