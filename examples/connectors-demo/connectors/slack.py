"""Slack incoming webhook: post a message to the channel the webhook was created for.

The webhook URL is the secret (anyone holding it can post), so it is a credential, not
config. Requests go through the connector's pooled ``self.http`` with the absolute URL, so
the rate limit (Slack allows about one message per second per webhook), 429 ``Retry-After``
retries and the circuit breaker apply. ``auth="none"``: the URL carries the authority.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

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

# Answers that mean "this webhook URL is wrong or revoked", whatever the status.
_BAD_WEBHOOK = {
    "no_service",
    "invalid_token",
    "no_team",
    "team_disabled",
    "channel_not_found",
    "channel_is_archived",
    "action_prohibited",
    "posting_to_general_channel_denied",
}


@connector(
    name="slack",
    kind="webhook",
    auth="none",
    credentials=[
        Credential(
            "SLACK_WEBHOOK_URL",
            kind="url",
            description="incoming webhook URL (https://hooks.slack.com/services/...)",
        )
    ],
    required=False,
    endpoint="https://hooks.slack.com",
    rate_limit=60,
)
class Slack(Connector):
    """Posts messages to one Slack channel through an incoming webhook."""

    _url: str

    async def connect(self) -> None:
        self._url = self.settings.credential("webhook_url")
        if urlsplit(self._url).scheme not in ("https", "http") or not urlsplit(self._url).path.startswith(
            "/services/"
        ):
            raise ConnectorAuthError(
                "slack: SLACK_WEBHOOK_URL is not an incoming webhook URL (https://hooks.slack.com/services/...)"
            )
        await self._check()

    async def close(self) -> None:
        pass

    async def health(self) -> Health:
        await self._check()
        return Health(ok=True)

    async def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post a message (mrkdwn text, optional Block Kit blocks); returns Slack's answer ("ok")."""
        payload: dict[str, Any] = {"text": text}
        if blocks:
            payload["blocks"] = blocks
        response = await self._post(payload)
        if response.status_code != 200:
            raise _from_response(response)
        return response.text

    async def _check(self) -> None:
        """Post an empty payload: Slack answers 400 no_text for a live webhook and posts nothing."""
        response = await self._post({})
        if response.status_code == 400 and response.text.strip() in (
            "no_text",
            "invalid_payload",
            "missing_text_or_fallback_or_attachments",
        ):
            return
        if response.status_code != 200:
            raise _from_response(response)

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            return await self.http.post(self._url, json=payload)
        except httpx.TimeoutException:
            raise ConnectorUnavailable(
                f"slack: no answer within {self.settings.timeout:g}s (timed out)"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectorUnavailable(f"slack: cannot reach the webhook host: {exc}") from None


def _from_response(response: httpx.Response) -> ConnectorError:
    answer = response.text.strip()[:200]
    if response.status_code == 429:
        header = response.headers.get("retry-after", "")
        retry_after = float(header) if header.replace(".", "", 1).isdigit() else None
        when = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimited(f"slack: rate limited{when}", retry_after=retry_after)
    if answer in _BAD_WEBHOOK or response.status_code in (401, 403, 404, 410):
        return ConnectorAuthError(
            f"slack: the webhook was rejected ({response.status_code} {answer}); check SLACK_WEBHOOK_URL"
        )
    if response.status_code >= 500:
        return ConnectorUnavailable(f"slack: Slack answered {response.status_code} {answer}")
    return ConnectorError(f"slack: Slack answered {response.status_code} {answer}")
