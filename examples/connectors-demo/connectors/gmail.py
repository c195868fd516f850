# /// script
# dependencies = ["google-auth>=2.30", "google-api-python-client>=2.130", "google-auth-httplib2>=0.2"]
# ///
"""Gmail through Google's own client libraries: OAuth2 refresh-token flow, list, search, send.

google-api-python-client is synchronous (httplib2), so each call runs in a worker thread
inside ``self.guard`` (the connector's rate limit and circuit breaker), with its own
``httplib2.Http`` (they are not thread-safe) sharing one ``Credentials`` object: the access
token is fetched on first use, refreshed before it expires and once more on a 401.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport import Request as AuthRequest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12 for output schemas

from mcpgen import (
    Connector,
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailable,
    Credential,
    Health,
    RateLimited,
    connector,
)

T = TypeVar("T")
Message = TypedDict(
    "Message",
    {
        "id": str,
        "thread_id": str,
        "from": str,
        "to": str,
        "subject": str,
        "date": str,
        "snippet": str,
        "unread": bool,
    },
)
"""A message as the tools return it (``from`` is a keyword, hence the functional form)."""
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]
QUOTA_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded"}
MAX_WAIT = 30.0
"""Longest Retry-After we sit out inside one tool call; longer ones become a RateLimited error."""


@connector(
    name="gmail",
    kind="http",
    auth="oauth2",
    credentials=[
        Credential("GMAIL_CLIENT_ID", kind="oauth_client_id", description="OAuth client ID (Desktop app)"),
        Credential("GMAIL_CLIENT_SECRET", kind="oauth_client_secret", description="OAuth client secret"),
        Credential(
            "GMAIL_REFRESH_TOKEN", kind="token", description="refresh token with the gmail.modify scope"
        ),
    ],
    required=False,
    endpoint="https://gmail.googleapis.com/",
    rate_limit=600,
)
class Gmail(Connector):
    """The signed-in user's Gmail mailbox: list and search messages, send mail."""

    _credentials: Credentials
    _service: Any

    async def connect(self) -> None:
        extras = self.settings.extras
        self._credentials = Credentials(
            token=None,
            refresh_token=self.settings.credential("refresh_token"),
            client_id=self.settings.credential("client_id"),
            client_secret=self.settings.credential("client_secret"),
            token_uri=str(extras.get("token_url", TOKEN_URL)),
            scopes=SCOPES,
        )
        self._service = await asyncio.to_thread(
            build,
            "gmail",
            "v1",
            credentials=self._credentials,
            static_discovery=True,  # the discovery document shipped in the library: no fetch at start
            client_options={"api_endpoint": self.settings.endpoint or "https://gmail.googleapis.com/"},
            cache_discovery=False,
        )
        await self._call(self._refresh)  # fail now on a bad client or refresh token, not in a tool call

    async def close(self) -> None:
        if getattr(self, "_service", None) is not None:
            self._service.close()

    async def health(self) -> Health:
        profile = await self._call(
            lambda http: self._service.users().getProfile(userId="me").execute(http=http)
        )
        return Health(ok=True, detail=f"{profile.get('messagesTotal', 0)} messages")

    # -- what tools use ------------------------------------------------------------------

    async def search(self, query: str = "", max_results: int = 10) -> list[Message]:
        """Messages matching a Gmail search query ("" for the newest), with sender, subject and snippet."""
        messages = self._service.users().messages()
        listing = await self._call(
            lambda http: messages.list(userId="me", q=query, maxResults=max_results).execute(http=http)
        )
        found: list[Message] = []
        for ref in listing.get("messages", []):
            full = await self._call(
                lambda http, ref=ref: messages.get(
                    userId="me",
                    id=ref["id"],
                    format="metadata",
                    metadataHeaders=["From", "To", "Subject", "Date"],
                ).execute(http=http)
            )
            headers = {h["name"].lower(): h["value"] for h in full.get("payload", {}).get("headers", [])}
            found.append(
                {
                    "id": full["id"],
                    "thread_id": full.get("threadId", ""),
                    "from": headers.get("from", ""),
                    "to": headers.get("to", ""),
                    "subject": headers.get("subject", ""),
                    "date": headers.get("date", ""),
                    "snippet": full.get("snippet", ""),
                    "unread": "UNREAD" in full.get("labelIds", []),
                }
            )
        return found

    async def list_messages(self, max_results: int = 10) -> list[Message]:
        """The newest messages in the inbox."""
        return await self.search("in:inbox", max_results)

    async def send(self, to: str, subject: str, body: str) -> dict[str, str]:
        """Send a plain-text message from the signed-in account; returns the new message's id."""
        message = EmailMessage()
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
        sent = await self._call(
            lambda http: (
                self._service.users().messages().send(userId="me", body={"raw": raw}).execute(http=http)
            )
        )
        return {"id": sent["id"], "thread_id": sent.get("threadId", "")}

    # -- plumbing ------------------------------------------------------------------------

    def _http(self) -> google_auth_httplib2.AuthorizedHttp:
        """A fresh authorized transport per call: refreshes the token when needed and once on a 401."""
        return google_auth_httplib2.AuthorizedHttp(
            self._credentials, http=httplib2.Http(timeout=self.settings.timeout)
        )

    def _refresh(self, http: google_auth_httplib2.AuthorizedHttp) -> None:
        request: AuthRequest = google_auth_httplib2.Request(http.http)
        self._credentials.refresh(request)

    async def _call(self, call: Callable[[Any], T]) -> T:
        """Run a blocking client call in a thread under the guard; honour short Retry-Afters."""
        retries = int(self.settings.extras.get("quota_retries", 2))
        for attempt in range(retries + 1):
            try:
                async with self.guard:
                    return await asyncio.to_thread(self._translate, call)
            except RateLimited as exc:
                if attempt == retries or exc.retry_after is None or exc.retry_after > MAX_WAIT:
                    raise
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

    def _translate(self, call: Callable[[Any], T]) -> T:
        """Call, mapping the client library's errors onto mcpgen's (never echoing a token)."""
        try:
            return call(self._http())
        except RefreshError as exc:
            reason = (
                exc.args[1].get("error", "") if len(exc.args) > 1 and isinstance(exc.args[1], dict) else ""
            )
            if reason in ("invalid_grant", "invalid_client", "unauthorized_client"):
                raise ConnectorAuthError(
                    f"gmail: Google rejected the OAuth credentials ({reason}); "
                    "check GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET and GMAIL_REFRESH_TOKEN"
                ) from None
            raise ConnectorUnavailable(f"gmail: token refresh failed: {exc.args[0]}") from None
        except HttpError as exc:
            raise _from_http_error(exc) from None
        except TimeoutError:
            raise ConnectorUnavailable(
                f"gmail: no answer within {self.settings.timeout:g}s (timed out)"
            ) from None
        except (OSError, httplib2.HttpLib2Error, TransportError) as exc:
            raise ConnectorUnavailable(f"gmail: cannot reach the Gmail API: {exc}") from None


def _from_http_error(exc: HttpError) -> ConnectorError:
    status = exc.resp.status
    reasons = (
        {d.get("reason", "") for d in exc.error_details} if isinstance(exc.error_details, list) else set()
    )
    message = exc.reason or f"HTTP {status}"
    if status == 429 or (status == 403 and reasons & QUOTA_REASONS):
        header = exc.resp.get("retry-after")
        retry_after = float(header) if header and header.replace(".", "", 1).isdigit() else None
        when = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimited(
            f"gmail: quota exceeded ({', '.join(sorted(reasons)) or status}){when}", retry_after=retry_after
        )
    if status in (401, 403):
        return ConnectorAuthError(f"gmail: {status} {message}")
    if status >= 500:
        return ConnectorUnavailable(f"gmail: the Gmail API answered {status}: {message}")
    return ConnectorError(f"gmail: {status} {message}")
