"""``mcpgen.Credential``: the one model of a declared credential, and how metadata declares one."""

from __future__ import annotations

import pytest

from mcpgen import Credential
from mcpgen.authoring import DefinitionError
from mcpgen.authoring.credentials import seed_credentials


def test_positional_name_keywords_and_defaults() -> None:
    c = Credential("TRANSLATION_API_KEY", kind="api_key", required=False)
    assert (c.name, c.kind, c.required, c.description, c.pattern, c.choices, c.when) == (
        "TRANSLATION_API_KEY",
        "api_key",
        False,
        "",
        None,
        None,
        None,
    )
    assert Credential(name="X") == Credential("X", kind="secret", required=True)


def test_a_list_of_choices_is_kept_as_a_tuple_so_credentials_stay_hashable() -> None:
    c = Credential("AUTH_METHOD", choices=["api_key", "oauth2"])  # type: ignore[arg-type]
    assert c.choices == ("api_key", "oauth2")
    assert c == Credential("AUTH_METHOD", choices=("api_key", "oauth2"))
    assert len({c, Credential("AUTH_METHOD", choices=("api_key", "oauth2"))}) == 1


def test_problems_are_reported_not_raised() -> None:
    bad = Credential("KEY", pattern="[unclosed", when="AUTH_METHOD")  # constructing never raises
    assert bad.problems() == [
        "invalid pattern '[unclosed': unterminated character set at position 0",
        "when= must look like 'OTHER_NAME=value', got 'AUTH_METHOD'",
    ]
    assert Credential("KEY", pattern=r"^sk_\w+$", when="AUTH_METHOD=api_key").problems() == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("API_KEY", Credential("API_KEY")),
        (
            {"name": "K", "type": "api_key", "required": False, "description": "the key"},
            Credential("K", kind="api_key", required=False, description="the key"),
        ),
        ({"name": "K", "kind": "token", "type": "api_key"}, Credential("K", kind="token")),
        ({"name": "K", "validation": {"pattern": "^a"}}, Credential("K", pattern="^a")),
        ({"name": "K", "validation": "^b"}, Credential("K", pattern="^b")),
        ({"name": "K", "pattern": "^c"}, Credential("K", pattern="^c")),
        (
            {"name": "K", "when": "AUTH=oauth2", "choices": ["x", "y"], "description": None},
            Credential("K", when="AUTH=oauth2", choices=("x", "y")),
        ),
    ],
)
def test_from_data_reads_every_metadata_shape(raw: object, expected: Credential) -> None:
    assert Credential.from_data(raw, "tool 't'") == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"description": "no name"}, r"tool 't': each credential must be a name or a dict with 'name'"),
        (42, r"tool 't': each credential must be a name"),
        ({"name": "K", "choices": "a,b"}, r"tool 't': credential 'K': choices must be a list, got 'a,b'"),
    ],
)
def test_from_data_refuses_what_it_cannot_read(raw: object, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        Credential.from_data(raw, "tool 't'")


def test_seed_credentials_must_be_a_list() -> None:
    assert seed_credentials(None, "tool 't'") == ()
    assert seed_credentials(["A", {"name": "B", "required": False}], "tool 't'") == (
        Credential("A"),
        Credential("B", required=False),
    )
    with pytest.raises(DefinitionError, match=r"tool 't': metadata\['credentials'\] must be a list"):
        seed_credentials("A", "tool 't'")
