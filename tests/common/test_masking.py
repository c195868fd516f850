from __future__ import annotations

import pytest

from mcpgen.common.masking import HIDDEN, mask, mask_url, url_has_password


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", HIDDEN),
        ("a", HIDDEN),
        ("12345678", HIDDEN),  # 8 characters: nothing shown
        ("123456789", "12…89"),  # 9 characters: first and last two
        ("sk-live-abcdefz9", "sk…z9"),
    ],
)
def test_mask_rules(value: str, shown: str) -> None:
    assert mask(value) == shown


def test_mask_never_contains_the_middle() -> None:
    secret = "sk-" + "SECRETMIDDLE" + "-end"
    assert "SECRETMIDDLE" not in mask(secret)


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql://app:hunter2@db:5432/app") == "postgresql://app:********@db:5432/app"
    assert mask_url("sqlite:///.mcpgen/dev.sqlite3") == "sqlite:///.mcpgen/dev.sqlite3"
    assert url_has_password("mysql://u:p@h/db")
    assert not url_has_password("mysql://u@h/db")


def test_mask_url_with_unparsable_url_masks_everything() -> None:
    assert mask_url("http://[bad-ipv6:secretvalue@x") == "ht…@x"
