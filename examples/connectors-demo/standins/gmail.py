"""A Gmail API stand-in: Google's OAuth token endpoint plus the messages endpoints the connector uses.

Endpoints (paths as in the Gmail discovery document, rooted at the stand-in's URL):

- ``POST /token`` — OAuth 2.0 ``refresh_token`` grant: ``{access_token, expires_in, scope,
  token_type}``; a wrong client gives 401 ``invalid_client``, a wrong refresh token 400
  ``invalid_grant`` (Google's token error shape).
- ``GET /gmail/v1/users/me/profile``
- ``GET /gmail/v1/users/me/messages`` (``q``, ``maxResults``, ``pageToken``, ``labelIds``)
- ``GET /gmail/v1/users/me/messages/{id}`` (``format`` = full | metadata | minimal | raw,
  ``metadataHeaders``)
- ``POST /gmail/v1/users/me/messages/send`` (``{"raw": base64url RFC 822}``)

API calls need ``Authorization: Bearer <access token>`` from ``/token`` that has not expired
(401 in Google's JSON error shape otherwise). Errors use Google's shape::

    {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED",
               "errors": [{"message": "...", "domain": "usageLimits", "reason": "rateLimitExceeded"}]}}

Quota faults: ``quota_exceeded(status=429 | 403, ...)``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import format_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcpgen.testing import Fault, StandIn

SCOPE = "https://www.googleapis.com/auth/gmail.modify"

_STATUS = {
    400: ("INVALID_ARGUMENT", "global", "badRequest"),
    401: ("UNAUTHENTICATED", "global", "authError"),
    403: ("PERMISSION_DENIED", "global", "forbidden"),
    404: ("NOT_FOUND", "global", "notFound"),
    429: ("RESOURCE_EXHAUSTED", "usageLimits", "rateLimitExceeded"),
    500: ("INTERNAL", "global", "backendError"),
    503: ("UNAVAILABLE", "global", "backendError"),
}
_REASONS = {
    "rateLimitExceeded": (
        "usageLimits",
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'.",
    ),
    "userRateLimitExceeded": ("usageLimits", "User-rate limit exceeded."),
    "dailyLimitExceeded": ("usageLimits", "Daily Limit Exceeded."),
    "authError": (
        "global",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
    ),
}


def google_error(status: int, message: str) -> Response:
    """Google's JSON error shape; ``message`` may be a Google reason code (``userRateLimitExceeded``)."""
    name, domain, reason = _STATUS.get(status, ("UNKNOWN", "global", "backendError"))
    if message in _REASONS:
        reason = message
        domain, message = _REASONS[message]
    elif status == 401:
        message = _REASONS["authError"][1]
    error: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if status == 401:
        error |= {"location": "Authorization", "locationType": "header"}
    body = {"error": {"code": status, "message": message, "errors": [error], "status": name}}
    return JSONResponse(body, status_code=status, headers={"Content-Type": "application/json; charset=UTF-8"})


@dataclass
class Mail:
    """One message in the stand-in mailbox."""

    sender: str
    to: str
    subject: str
    body: str
    labels: list[str] = field(default_factory=lambda: ["INBOX", "UNREAD"])
    sent_at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    thread_id: str = ""

    def __post_init__(self) -> None:
        self.thread_id = self.thread_id or self.id

    def headers(self) -> list[dict[str, str]]:
        when = format_datetime(datetime.fromtimestamp(self.sent_at, UTC))
        return [
            {"name": "From", "value": self.sender},
            {"name": "To", "value": self.to},
            {"name": "Subject", "value": self.subject},
            {"name": "Date", "value": when},
        ]

    def rfc822(self) -> bytes:
        lines = [f"{h['name']}: {h['value']}" for h in self.headers()]
        return ("\r\n".join([*lines, "Content-Type: text/plain; charset=UTF-8", "", self.body])).encode()

    def matches(self, query: str) -> bool:
        """A small subset of Gmail's search syntax: from:, to:, subject:, is:, in:, label:, and words."""
        fields = {
            "": f"{self.sender} {self.subject} {self.body}".lower(),
            "from": self.sender.lower(),
            "to": self.to.lower(),
            "subject": self.subject.lower(),
            "is": " ".join(self.labels).lower(),
            "in": " ".join(self.labels).lower(),
            "label": " ".join(self.labels).lower(),
        }
        for term in query.lower().split():
            key, colon, value = term.partition(":")
            key, value = (key, value) if colon else ("", term)
            if value not in fields.get(key, fields[""]):
                return False
        return True

    def resource(self, fmt: str, wanted: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.labels),
            "snippet": self.body[:100],
            "sizeEstimate": len(self.rfc822()),
            "historyId": "1000",
            "internalDate": str(int(self.sent_at * 1000)),
        }
        if fmt == "minimal":
            return data
        if fmt == "raw":
            return data | {"raw": base64.urlsafe_b64encode(self.rfc822()).decode()}
        headers = self.headers()
        if fmt == "metadata":
            if wanted:
                keep = {w.lower() for w in wanted}
                headers = [h for h in headers if h["name"].lower() in keep]
            return data | {
                "payload": {
                    "partId": "",
                    "mimeType": "text/plain",
                    "filename": "",
                    "headers": headers,
                    "body": {"size": 0},
                }
            }
        encoded = base64.urlsafe_b64encode(self.body.encode()).decode()
        body = {"size": len(self.body.encode()), "data": encoded}
        payload = {"partId": "", "mimeType": "text/plain", "filename": "", "headers": headers, "body": body}
        return data | {"payload": payload}


SEED = [
    Mail(
        "Ada Lovelace <ada@example.com>",
        "me@example.com",
        "Analytical engine notes",
        "Here are my notes on the engine.",
    ),
    Mail(
        "Grace Hopper <grace@example.com>",
        "me@example.com",
        "Compiler meeting",
        "Shall we meet on Tuesday about the compiler?",
    ),
    Mail("Alan Turing <alan@example.com>", "me@example.com", "Lunch", "Lunch on Friday?", labels=["INBOX"]),
]


class GmailStandIn(StandIn):
    """Gmail + Google's token endpoint; ``expire_tokens()`` makes every issued access token expire."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        address: str = "me@example.com",
        token_lifetime: int = 3599,
        port: int = 0,
    ) -> None:
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.address = address
        self.token_lifetime = token_lifetime
        self.mailbox: list[Mail] = [Mail(m.sender, m.to, m.subject, m.body, list(m.labels)) for m in SEED]
        self._tokens: dict[str, float] = {}  # access token -> expiry (time.time())
        self._state = threading.Lock()
        app = Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/gmail/v1/users/{user}/profile", self._profile, methods=["GET"]),
                Route("/gmail/v1/users/{user}/messages", self._list, methods=["GET"]),
                Route("/gmail/v1/users/{user}/messages/send", self._send, methods=["POST"]),
                Route("/gmail/v1/users/{user}/messages/{id}", self._get, methods=["GET"]),
            ]
        )
        super().__init__(app, error=google_error, port=port)

    # -- knobs -------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every access token issued so far is expired from now on (the refresh token still works)."""
        with self._state:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def quota_exceeded(
        self,
        *,
        status: int = 429,
        retry_after: float | None = None,
        times: int | None = 1,
        path: str = "/gmail/*",
    ) -> Fault:
        """Google's quota error: 429 ``rateLimitExceeded`` or 403 ``userRateLimitExceeded``."""
        reason = "rateLimitExceeded" if status == 429 else "userRateLimitExceeded"
        return self.inject(
            Fault(path=path, status=status, message=reason, retry_after=retry_after, times=times)
        )

    @property
    def sent(self) -> list[Mail]:
        return [m for m in self.mailbox if "SENT" in m.labels]

    # -- endpoints ---------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "refresh_token":
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}, 400
            )
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return JSONResponse({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        if form.get("refresh_token") != self.refresh_token:
            return JSONResponse({"error": "invalid_grant", "error_description": "Bad Request"}, 400)
        token = "ya29.standin-" + secrets.token_urlsafe(24)
        with self._state:
            self._tokens[token] = time.time() + self.token_lifetime
        return JSONResponse(
            {"access_token": token, "expires_in": self.token_lifetime, "scope": SCOPE, "token_type": "Bearer"}
        )

    def _authorized(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._state:
            expiry = self._tokens.get(token, 0.0) if scheme.lower() == "bearer" else 0.0
        if expiry <= time.time():
            return google_error(401, "authError")
        if request.path_params["user"] not in ("me", self.address):
            return google_error(403, "Delegation denied for " + self.address)
        return None

    async def _profile(self, request: Request) -> Response:
        if denied := self._authorized(request):
            return denied
        total = len(self.mailbox)
        return JSONResponse(
            {"emailAddress": self.address, "messagesTotal": total, "threadsTotal": total, "historyId": "1000"}
        )

    async def _list(self, request: Request) -> Response:
        if denied := self._authorized(request):
            return denied
        query = request.query_params
        try:
            limit = min(int(query.get("maxResults", "100")), 500)
            start = int(query.get("pageToken", "0"))
        except ValueError:
            return google_error(400, "Invalid value for maxResults or pageToken")
        labels = query.getlist("labelIds")
        found = [
            m
            for m in sorted(self.mailbox, key=lambda m: m.sent_at, reverse=True)
            if m.matches(query.get("q", "")) and all(label in m.labels for label in labels)
        ]
        page = found[start : start + limit]
        body: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + limit < len(found):
            body["nextPageToken"] = str(start + limit)
        return JSONResponse(body)

    async def _get(self, request: Request) -> Response:
        if denied := self._authorized(request):
            return denied
        found = next((m for m in self.mailbox if m.id == request.path_params["id"]), None)
        if found is None:
            return google_error(404, "Requested entity was not found.")
        fmt = request.query_params.get("format", "full")
        return JSONResponse(found.resource(fmt, request.query_params.getlist("metadataHeaders")))

    async def _send(self, request: Request) -> Response:
        if denied := self._authorized(request):
            return denied
        try:
            raw = (await request.json())["raw"]
            parsed = message_from_bytes(
                base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), policy=policy.default
            )
        except (ValueError, KeyError, TypeError):
            return google_error(400, "Invalid value for ByteString")
        if not parsed["To"]:
            return google_error(400, "Invalid To header")
        content = parsed.get_body(("plain",))
        text = content.get_content() if content is not None else ""
        mail = Mail(
            parsed["From"] or self.address,
            str(parsed["To"]),
            str(parsed["Subject"] or ""),
            text,
            labels=["SENT"],
        )
        self.mailbox.append(mail)
        return JSONResponse({"id": mail.id, "threadId": mail.thread_id, "labelIds": ["SENT"]})
