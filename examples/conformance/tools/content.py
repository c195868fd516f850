"""Tools returning each kind of content, and an error."""

from _media import PNG, WAV

from mcpgen import Audio, EmbeddedResource, Image, ToolError, tool


@tool
def test_simple_text() -> str:
    """Return a simple text response."""
    return "This is a simple text response for testing."


@tool
def test_image_content() -> Image:
    """Return a small PNG image."""
    return Image(PNG, mime_type="image/png")


@tool
def test_audio_content() -> Audio:
    """Return a short WAV clip."""
    return Audio(WAV, mime_type="audio/wav")


@tool
def test_embedded_resource() -> EmbeddedResource:
    """Return an embedded text resource."""
    return EmbeddedResource(
        "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
    )


@tool
def test_multiple_content_types() -> list:
    """Return text, an image and an embedded resource together."""
    return [
        "Multiple content types test:",
        Image(PNG, mime_type="image/png"),
        EmbeddedResource(
            "test://mixed-content-resource",
            text='{"test":"data","value":123}',
            mime_type="application/json",
        ),
    ]


@tool
def test_error_handling() -> str:
    """Always fail with an error result."""
    raise ToolError("This tool intentionally returns an error for testing")


@tool
def echo(message: str = "") -> str:
    """Echo the message back (takes no required arguments).

    Args:
        message: Text to echo
    """
    return message or "echo"
