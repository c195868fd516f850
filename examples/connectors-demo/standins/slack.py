"""A Slack incoming-webhook stand-in.

``POST /services/{T}/{B}/{X}`` with a JSON body ``{"text": ...}`` (or ``blocks``) answers
``200 ok`` (``text/html``, as Slack does). A webhook path that does not exist answers 404
``no_service``; a body with neither text nor blocks 400 ``no_text``; a body that is not JSON 400
``invalid_payload``. Injected errors are plain text, like Slack's; 429 comes with ``Retry-After``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mcpgen.testing import StandIn

_TEXTS = {
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
    401: "invalid_token",
    403: "invalid_token",
}


def slack_error(status: int, message: str) -> Response:
    return PlainTextResponse(_TEXTS.get(status, message.replace(" ", "_")), status_code=status)


@dataclass(frozen=True)
class Posted:
    path: str
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))


class SlackStandIn(StandIn):
    """Accepts posts to :attr:`webhook_path`; every accepted post is kept in :attr:`posted`."""

    def __init__(
        self, *, webhook_path: str = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX", port: int = 0
    ) -> None:
        self.webhook_path = webhook_path
        self.posted: list[Posted] = []
        app = Starlette(routes=[Route("/services/{rest:path}", self._post, methods=["POST"])])
        super().__init__(app, error=slack_error, port=port)

    @property
    def webhook_url(self) -> str:
        return self.url + self.webhook_path

    async def _post(self, request: Request) -> Response:
        if request.url.path != self.webhook_path:
            return PlainTextResponse("no_service", status_code=404)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(payload, dict):
            return PlainTextResponse("invalid_payload", status_code=400)
        if not payload.get("text") and not payload.get("blocks"):
            return PlainTextResponse("no_text", status_code=400)
        self.posted.append(Posted(request.url.path, payload))
        return PlainTextResponse("ok", media_type="text/html")
