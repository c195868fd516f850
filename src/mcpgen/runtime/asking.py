"""Asking the client (``ctx.elicit``, ``ctx.sample``, ``ctx.list_roots``) on both protocol generations.

- **2025-11-25 and older** (handshake era): a server-to-client request on the
  session's back channel, answered while the tool waits. Needs a session
  (``protocol_mode`` ``auto`` or ``stateful``); without one the call fails
  with a clear :class:`~mcpgen.NoBackChannel` error instead of hanging.
- **2026-07-28**: multi-round-trip. The first time a call asks something it
  has no answer for, the call is stopped and answered with an
  ``InputRequiredResult`` listing every open request (concurrent asks, e.g.
  under ``asyncio.gather``, join the same round). The client answers with
  ``inputResponses`` and echoes ``requestState``; the call runs again and each
  ask is answered from those. ``requestState`` carries the answers of earlier
  rounds; the SDK's ``RequestStateBoundary`` seals it (AES-GCM, bound to the
  request, with an expiry), so a tampered state is rejected with -32602.

Either way, asking for something the client did not declare
(``sampling``/``elicitation``/``roots``) raises
:class:`~mcpgen.authoring.MissingClientCapability`, which the handlers turn
into the JSON-RPC error -32021 on 2026-07-28 and an ``isError`` result before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import mcp_types as types
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.shared.message import ServerMessageMetadata
from pydantic import BaseModel, TypeAdapter, ValidationError

from mcpgen.authoring import ClientInputError, NoBackChannel
from mcpgen.authoring.interaction import ELICIT, LIST_ROOTS, SAMPLE

T = TypeVar("T")
_ROUND_SETTLE_TICKS = 8
"""Loop turns to wait after the first open ask, so concurrent asks join the same round."""
_REQUEST_ADAPTER: TypeAdapter[Any] = TypeAdapter(
    types.ElicitRequest | types.CreateMessageRequest | types.ListRootsRequest
)
_RESULT_MODELS: dict[str, type[BaseModel]] = {
    ELICIT: types.ElicitResult,
    SAMPLE: types.CreateMessageResult,
    LIST_ROOTS: types.ListRootsResult,
}


def invalid(message: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS, message=message)


def missing_capability(capability: str, what: str) -> MCPError:
    """The 2026-07-28 ``MissingRequiredClientCapabilityError`` (-32021)."""
    return MCPError(
        code=types.MISSING_REQUIRED_CLIENT_CAPABILITY,
        message=f"{what} needs the client capability '{capability}', which the client did not declare",
        data={"requiredCapabilities": {capability: {}}},
    )


def client_supports(capabilities: types.ClientCapabilities | None, capability: str) -> bool:
    return capabilities is not None and getattr(capabilities, capability, None) is not None


class InputRound:
    """One 2026-07-28 round of a call: the answers known so far and the requests still open."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers
        self.open: dict[str, dict[str, Any]] = {}
        self.blocked = asyncio.Event()

    @classmethod
    def from_params(cls, params: Any) -> InputRound:
        """The round for a request's ``requestState`` (already unsealed) and ``inputResponses``.

        Only responses to requests the previous round asked for are kept
        (extra keys are ignored); a response whose shape does not fit its
        request is -32602 naming the key.
        """
        answers: dict[str, dict[str, Any]] = {}
        asked: dict[str, str] = {}
        state = getattr(params, "request_state", None)
        if state:
            try:
                decoded = json.loads(state)
                answers = dict(decoded["answers"])
                asked = dict(decoded["asked"])
            except (ValueError, KeyError, TypeError):
                raise invalid("Invalid or expired requestState") from None
        responses = getattr(params, "input_responses", None) or {}
        for key, response in responses.items():
            method = asked.get(key)
            if method is None:
                continue
            raw = response.model_dump(by_alias=True, mode="json", exclude_none=True)
            try:
                _RESULT_MODELS[method].model_validate(raw, by_name=False)
            except ValidationError:
                raise invalid(f"inputResponses['{key}'] is not a valid answer to {method}") from None
            answers[key] = raw
        return cls(answers)

    async def ask(self, key: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = self.answers.get(key)
        if answer is not None:
            return answer
        self.open[key] = {"method": method, "params": params}
        self.blocked.set()
        await asyncio.Event().wait()  # never set: the call is cancelled and answered with the open requests
        raise AssertionError("unreachable")

    def result(self) -> dict[str, Any]:
        state = {"answers": self.answers, "asked": {k: r["method"] for k, r in self.open.items()}}
        return {
            "resultType": "input_required",
            "inputRequests": dict(self.open),
            "requestState": json.dumps(state, separators=(",", ":")),
        }


class InputRequired(Exception):
    """The call stopped to ask the client: ``result`` is the ``InputRequiredResult`` to send."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("input required")
        self.result = result


async def run_round(call: Callable[[], Awaitable[T]], round_: InputRound | None) -> T:
    """Run ``call``; when it asks what ``round_`` cannot answer, stop it and raise :class:`InputRequired`."""
    if round_ is None:
        return await call()
    task = asyncio.ensure_future(call())
    blocked = asyncio.ensure_future(round_.blocked.wait())
    try:
        await asyncio.wait({task, blocked}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            for _ in range(_ROUND_SETTLE_TICKS):
                await asyncio.sleep(0)
    except BaseException:
        task.cancel()
        raise
    finally:
        blocked.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise InputRequired(round_.result())


def no_back_channel(method: str) -> NoBackChannel:
    return NoBackChannel(
        f"{method} needs a server-to-client back channel, which this request has none of: "
        "on protocol 2025-11-25 run the server with protocol_mode 'auto' or 'stateful' "
        "(and keep the Mcp-Session-Id), or use a 2026-07-28 client"
    )


class BackChannel:
    """Server-to-client requests over a handshake-era session (what :class:`InputRound` is on 2026)."""

    def __init__(self, session: Any, request_id: Any) -> None:
        self._session = session
        self._request_id = request_id

    async def ask(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        model = _RESULT_MODELS[method]
        request = _REQUEST_ADAPTER.validate_python({"method": method, "params": dict(params)}, by_alias=True)
        metadata = ServerMessageMetadata(related_request_id=self._request_id)
        try:
            result = await self._session.send_request(request, model, metadata=metadata)
        except NoBackChannelError:
            raise no_back_channel(method) from None
        except MCPError as exc:
            raise ClientInputError(f"the client could not answer {method}: {exc.error.message}") from None
        dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return dumped
