"""Tools that ask the client: its LLM (sampling), its user (elicitation), its roots.

The same code works on both protocol generations: a back-channel request on
2025-11-25, an InputRequiredResult round on 2026-07-28 (``key=`` names the
request on the wire; code before an ask runs again each round).
"""

import asyncio

from mcpgen import Context, tool

USER_INFO = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}


@tool
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Ask the client's LLM to answer a prompt.

    Args:
        prompt: The prompt to send to the LLM
    """
    answer = await ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {answer.text}"


@tool
async def test_elicitation(message: str, ctx: Context) -> str:
    """Ask the user for a username and an email address.

    Args:
        message: The message to show the user
    """
    answer = await ctx.elicit(message, USER_INFO)
    return f"User response: action={answer.action}, content={answer.content}"


@tool
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Ask for values of every primitive type, each with a default (SEP-1034)."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "default": True},
        },
    }
    answer = await ctx.elicit("Please review your profile", schema)
    return f"Elicitation completed: action={answer.action}, content={answer.content}"


@tool
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Ask with all five enum shapes (SEP-1330)."""
    titled = [("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option")]
    choices = [("value1", "First Choice"), ("value2", "Second Choice"), ("value3", "Third Choice")]
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [{"const": v, "title": t} for v, t in titled]},
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
            },
            "titledMulti": {
                "type": "array",
                "items": {"anyOf": [{"const": v, "title": t} for v, t in choices]},
            },
        },
    }
    answer = await ctx.elicit("Pick your options", schema)
    return f"Elicitation completed: action={answer.action}, content={answer.content}"


NAME = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@tool
async def test_input_required_result_elicitation(ctx: Context) -> str:
    """Ask the user's name, then greet them."""
    answer = await ctx.elicit("What is your name?", NAME, key="user_name")
    return f"Hello, {(answer.content or {}).get('name', 'stranger')}!"


@tool
async def test_input_required_result_sampling(ctx: Context) -> str:
    """Ask the client's LLM a question and return its answer."""
    answer = await ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"The LLM says: {answer.text}"


@tool
async def test_input_required_result_list_roots(ctx: Context) -> str:
    """List the client's roots."""
    roots = await ctx.list_roots(key="client_roots")
    return "Client roots: " + ", ".join(root.uri for root in roots)


@tool
async def test_input_required_result_request_state(ctx: Context) -> str:
    """Ask for a confirmation; the answer comes back with the server's sealed state."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit("Please confirm", schema, key="confirm")
    return f"state-ok: confirmed={(answer.content or {}).get('ok')}"


@tool
async def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """Ask the user, the LLM and the roots at once (one round on 2026-07-28)."""
    name, greeting, roots = await asyncio.gather(
        ctx.elicit("What is your name?", NAME, key="user_name"),
        ctx.sample("Generate a greeting", max_tokens=50, key="greeting"),
        ctx.list_roots(key="client_roots"),
    )
    who = (name.content or {}).get("name")
    return f"{greeting.text} {who}; {len(roots)} root(s)"


@tool
async def test_input_required_result_multi_round(ctx: Context) -> str:
    """Ask two questions, one after the other (two rounds)."""
    name = await ctx.elicit("Step 1: What is your name?", NAME, key="step1")
    color_schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    color = await ctx.elicit("Step 2: What is your favorite color?", color_schema, key="step2")
    return f"{(name.content or {}).get('name')} likes {(color.content or {}).get('color')}"


@tool
async def test_input_required_result_tampered_state(ctx: Context) -> str:
    """Ask once; a tampered requestState on the retry is rejected by the server."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    await ctx.elicit("Please confirm", schema, key="confirm")
    return "state verified"


@tool
async def test_input_required_result_capabilities(ctx: Context) -> str:
    """Ask only for what the client declared it can answer."""
    asks = []
    if ctx.client_supports("sampling"):
        asks.append(ctx.sample("Say hello", max_tokens=20, key="hello"))
    if ctx.client_supports("elicitation"):
        asks.append(ctx.elicit("What is your name?", NAME, key="user_name"))
    if not asks:
        return "the client can answer nothing"
    answers = await asyncio.gather(*asks)
    return f"{len(answers)} answer(s)"


@tool
async def test_missing_capability(ctx: Context) -> str:
    """Sample without checking: a client that did not declare sampling gets error -32021."""
    answer = await ctx.sample("Hello?", max_tokens=10)
    return answer.text or ""


@tool
async def test_streaming_elicitation(ctx: Context) -> str:
    """Send progress, then ask the user (a stream that carries only notifications and the result)."""
    await ctx.report_progress(0, 1)
    answer = await ctx.elicit("What is your name?", NAME, key="user_name")
    return f"Hello, {(answer.content or {}).get('name')}!"
