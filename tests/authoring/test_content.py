"""Content helpers and the pure parts of asking the client."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import BaseModel

from mcpgen import Audio, ClientInputError, Context, EmbeddedResource, Image, ResourceLink
from mcpgen.authoring import NoBackChannel, interaction


def test_helpers_render_their_wire_form(tmp_path: Path) -> None:
    assert Image(b"\x89PNG").to_wire() == {"type": "image", "data": "iVBORw==", "mimeType": "image/png"}
    assert Audio(b"RIFF", mime_type="audio/mpeg").to_wire()["mimeType"] == "audio/mpeg"
    blob = EmbeddedResource("data://x", blob=b"\x00\x01", mime_type="application/octet-stream").to_wire()
    assert blob["resource"] == {"uri": "data://x", "mimeType": "application/octet-stream", "blob": "AAE="}
    assert ResourceLink("file:///a.txt", "a", size=3).to_wire() == {
        "type": "resource_link",
        "uri": "file:///a.txt",
        "name": "a",
        "size": 3,
    }
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(b"\xff\xd8")
    assert Image.from_file(jpeg).mime_type == "image/jpeg"
    assert Image.from_base64("iVBORw==").data == b"\x89PNG"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Image("iVBORw=="), "raw bytes"),  # type: ignore[arg-type]
        (lambda: Image(b"x", mime_type="png"), "type/subtype"),
        (lambda: EmbeddedResource("data://x"), "exactly one"),
        (lambda: EmbeddedResource("data://x", text="a", blob=b"b"), "exactly one"),
        (lambda: ResourceLink("not a uri", "n"), "absolute URI"),
        (lambda: ResourceLink("file:///a", ""), "name is required"),
    ],
)
def test_bad_helpers_fail_at_construction(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()  # type: ignore[operator]


class Profile(BaseModel):
    name: str
    age: int | None = None


def test_elicit_schema_from_a_model_is_flat() -> None:
    schema = interaction.elicit_schema(Profile)
    assert schema == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name"],
    }
    with pytest.raises(ValueError, match="type"):
        interaction.elicit_schema({"properties": {}})


def test_answers_are_parsed_and_checked() -> None:
    accepted = interaction.elicitation({"action": "accept", "content": {"name": "Ada", "age": 36}}, Profile)
    assert accepted.accepted
    assert accepted.data == Profile(name="Ada", age=36)
    with pytest.raises(ClientInputError, match="age"):
        interaction.elicitation({"action": "accept", "content": {"name": "Ada", "age": "old"}}, Profile)
    with pytest.raises(ClientInputError, match="unknown action"):
        interaction.elicitation({"action": "maybe"}, Profile)
    sampled = interaction.sampled(
        {"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m"}
    )
    assert (sampled.text, sampled.model) == ("hi", "m")
    assert interaction.sampling_messages(["q", {"role": "assistant", "content": "a"}]) == [
        {"role": "user", "content": {"type": "text", "text": "q"}},
        {"role": "assistant", "content": {"type": "text", "text": "a"}},
    ]


def test_a_context_without_a_client_says_so() -> None:
    with pytest.raises(NoBackChannel, match="connected client"):
        asyncio.run(Context().elicit("Name?", Profile))
    assert Context().client_supports("sampling") is False
