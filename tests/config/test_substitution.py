from __future__ import annotations

import pytest

from mcpgen.config.substitution import Problem, expand_string, substitute

ENV = {"A": "a", "EMPTY": "", "REF": "${A}", "B": "b"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}", "a"),
        ("x-${A}-${B}-y", "x-a-b-y"),
        ("${MISSING:-fallback}", "fallback"),
        ("${MISSING:-}", ""),
        ("${EMPTY:-used}", "used"),  # shell semantics: empty counts as unset
        ("${A:-unused}", "a"),
        ("${MISSING:-x:-y}", "x:-y"),  # ':-' inside a default is literal
        ("${A:-x:-y}", "a"),
        ("${MISSING:-${A}}", "a"),  # nested reference in a default
        ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
        ("${A:-${ALSO_MISSING}}", "a"),  # an unused default is not looked up
        ("$${literal}", "${literal}"),
        ("pre $${A} post", "pre ${A} post"),
        ("$${A:-${B}}", "${A:-${B}}"),  # nothing inside an escape expands
        ("${REF}", "${A}"),  # substituted values are not re-expanded
        ("cost: $5, $$, $", "cost: $5, $$, $"),
        ("no dollars", "no dollars"),
    ],
)
def test_expand_string(text: str, expected: str) -> None:
    assert expand_string(text, ENV) == (expected, [])


def test_unset_variable_is_reported_by_name() -> None:
    assert expand_string("${NOPE}/${ALSO}", ENV) == ("/", ["NOPE", "ALSO"])


@pytest.mark.parametrize("text", ["${", "${1A}", "${A", "${A:?err}", "${A-x}", "${MISSING:-never closed"])
def test_malformed_reference_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"\$\{|variable name|missing \}"):
        expand_string(text, ENV)


def test_substitute_recurses_through_maps_and_lists_and_leaves_keys() -> None:
    data = {"${A}": {"list": ["${A}", {"deep": "${B}"}, 3, None, True]}}
    result, problems = substitute(data, ENV)
    assert result == {"${A}": {"list": ["a", {"deep": "b"}, 3, None, True]}}
    assert problems == []


def test_substitute_collects_every_problem_with_key_path() -> None:
    data = {"server": {"host": "${H}", "origins": ["ok", "${O}"]}, "bad": "${"}
    _, problems = substitute(data, ENV)
    assert [p.key for p in problems] == ["server.host", "server.origins.1", "bad"]
    assert problems[0] == Problem(
        "server.host", "environment variable H is not set and has no default", variable="H"
    )
    assert problems[2].variable is None


def test_problem_never_includes_values() -> None:
    secret_env = {"TOKEN": "s3cr3t-value"}
    _, problems = substitute({"a": "${TOKEN}${MISSING}"}, secret_env)
    assert problems
    assert all("s3cr3t" not in p.message for p in problems)
