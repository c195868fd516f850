"""Image references and tags: Docker's grammar, with errors that name the bad part."""

from datetime import UTC, datetime

import pytest

from mcpgen.build.reference import build_tags, parse_reference, repository_name, timestamp_tag
from mcpgen.errors import ImageReferenceError

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "domain", "path", "tag"),
    [
        ("demo", None, "demo", None),
        ("demo:latest", None, "demo", "latest"),
        ("team/demo:v1.2", None, "team/demo", "v1.2"),
        ("localhost:5000/demo:x", "localhost:5000", "demo", "x"),
        ("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", None),
        ("ghcr.io/org/my_srv.v2", "ghcr.io", "org/my_srv.v2", None),
        ("a__b-c", None, "a__b-c", None),
    ],
)
def test_valid_references(text: str, domain: str | None, path: str, tag: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.domain, ref.path, ref.tag) == (domain, path, tag)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "part", "why"),
    [
        ("Demo:latest", "Demo", "lowercase"),
        ("team/My_Server", "My_Server", "lowercase"),
        ("demo:-bad", "-bad", "not a valid tag"),
        ("demo:" + "x" * 129, "x" * 129, "not a valid tag"),
        ("demo/-x", "-x", "lowercase letters and digits"),
        ("team//demo", "team//demo", "empty path component"),
        ("bad_host.io:99999/demo", "bad_host.io:99999", "registry host"),
        ("localhost:0/demo", "localhost:0", "invalid port"),
        ("", "", "empty"),
    ],
)
def test_invalid_references_name_the_bad_part(text: str, part: str, why: str) -> None:
    with pytest.raises(ImageReferenceError, match=why) as info:
        parse_reference(text)
    assert info.value.part == part
    assert repr(part) in info.value.message


def test_build_tags_latest_version_timestamp_and_extra() -> None:
    tags = build_tags("demo", "1.2.0", NOW, extra=("stable", "other/name:7"))
    assert tags == ["demo:latest", "demo:v1.2.0", "demo:20260102T030405Z", "demo:stable", "other/name:7"]


def test_build_tags_with_registry_and_odd_version() -> None:
    tags = build_tags("demo", "v1.0+local", NOW, registry="127.0.0.1:5000/team")
    assert tags[:2] == ["127.0.0.1:5000/team/demo:latest", "127.0.0.1:5000/team/demo:v1.0-local"]


def test_build_tags_reject_a_bad_extra_tag() -> None:
    with pytest.raises(ImageReferenceError) as info:
        build_tags("demo", "1", NOW, extra=("no good",))
    assert info.value.part == "no good"


def test_repository_name_and_timestamp() -> None:
    assert repository_name("My Server__v2!") == "my-server_v2"
    assert repository_name("!!!") == "mcp-server"
    assert timestamp_tag(NOW) == "20260102T030405Z"
    parse_reference("x:" + timestamp_tag(NOW))
