"""Prompts the conformance suite gets."""

import base64

from mcpgen import Context, EmbeddedResource, Image, prompt

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
CITIES = ["paris", "park", "party", "prague", "porto"]


@prompt
def test_simple_prompt() -> str:
    """A simple prompt without arguments."""
    return "This is a simple prompt for testing."


@prompt(
    complete={
        "arg1": CITIES,
        "arg2": lambda value: [c.title() for c in CITIES if c.startswith(value.lower())],
    }
)
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two arguments.

    Args:
        arg1: First test argument
        arg2: Second test argument
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@prompt
def test_prompt_with_embedded_resource(resourceUri: str) -> list:
    """A prompt that embeds a resource.

    Args:
        resourceUri: URI of the resource to embed
    """
    return [
        {
            "role": "user",
            "content": EmbeddedResource(
                resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"
            ),
        },
        {"role": "user", "content": "Please process the embedded resource above."},
    ]


@prompt
def test_prompt_with_image() -> list:
    """A prompt with an image."""
    return [
        {"role": "user", "content": Image(PNG, mime_type="image/png")},
        {"role": "user", "content": "Please analyze the image above."},
    ]


@prompt
async def test_input_required_result_prompt(ctx: Context) -> str:
    """A prompt that first asks the user which context to use."""
    schema = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
    answer = await ctx.elicit("What context should the prompt use?", schema, key="user_context")
    return f"Use this context: {(answer.content or {}).get('context', '')}"
