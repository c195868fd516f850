"""Build notifications: a signed JSON POST to a webhook after each build, push and failed build.

Copy this file into your workspace's ``plugins/`` folder and configure it in ``config/config.yaml``::

    plugins:
      settings:
        webhook_notify:
          url: https://hooks.example.com/mcpgen   # where to POST (required)
          secret: MCPGEN_WEBHOOK_SECRET            # name of the signing secret (default shown)
          events: [build, push, failure]           # which events to send (default: all three)
          retries: 3                               # retries after the first attempt (5xx, 429, network errors)
          backoff: 0.5                             # seconds before the first retry, doubled each time
          timeout: 10                              # seconds per attempt

The secret's value comes from the environment or the workspace's secret store
(``mcpgen secrets set MCPGEN_WEBHOOK_SECRET``); without it nothing is sent (the
plugin fails, which the build shows as a warning). It is never logged.

Each request carries the JSON body (``event``, ``project``, ``version``, ``tags``,
``imageId``, ``pushed``, ``upToDate``, ``durationSeconds``, ``error``,
``timestamp``) and the headers ``X-Mcpgen-Event``, ``X-Mcpgen-Delivery`` (one id per
event, the same on every retry, so the receiver can drop duplicates) and
``X-Mcpgen-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the secret>``.
A receiver checks it with ``hmac.compare_digest`` before trusting the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from mcpgen.plugins import PluginContext, hookimpl

__version__ = "1.0"
SIGNATURE_HEADER = "X-Mcpgen-Signature-256"
EVENTS = ("build", "push", "failure")


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _where(url: str) -> str:
    """The URL without its path and query (which may carry a token): what messages show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def send(settings: Mapping[str, Any], secret: str, event: str, payload: Mapping[str, Any]) -> int:
    """POST ``payload`` signed with ``secret``; retry on 5xx, 429 and network errors. Returns the attempts."""
    url = str(settings["url"])
    retries = int(settings.get("retries", 3))
    delay = float(settings.get("backoff", 0.5))
    body = json.dumps(
        {"event": event, **payload, "timestamp": datetime.now(UTC).isoformat()}, sort_keys=True
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mcpgen-webhook-notify/1.0",
        "X-Mcpgen-Event": event,
        "X-Mcpgen-Delivery": str(uuid.uuid4()),
        SIGNATURE_HEADER: sign(secret, body),
    }
    problem = ""
    with httpx.Client(timeout=float(settings.get("timeout", 10)), follow_redirects=False) as client:
        for attempt in range(1, retries + 2):
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code < 300:
                    return attempt
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # the receiver refused this request: sending it again will not help
            if attempt <= retries:
                time.sleep(delay)
                delay *= 2
    raise RuntimeError(f"webhook {_where(url)} did not accept the {event!r} event: {problem}")


def _notify(context: PluginContext, event: str, payload: Mapping[str, Any]) -> None:
    settings = context.settings
    if "url" not in settings:
        raise ValueError(f"set plugins.settings.{context.name}.url in config/config.yaml")
    if event not in settings.get("events", EVENTS):
        return
    name = str(settings.get("secret", "MCPGEN_WEBHOOK_SECRET"))
    secret = context.secret(name)
    if not secret:
        raise ValueError(f"the signing secret {name} is not set (environment or `mcpgen secrets set {name}`)")
    attempts = send(settings, secret, event, payload)
    context.logger.info("sent %r to %s (%d attempt(s))", event, _where(str(settings["url"])), attempts)


@hookimpl
def mcpgen_after_build(context: PluginContext, build: Any) -> None:
    _notify(context, "build", build.to_data())


@hookimpl
def mcpgen_after_push(context: PluginContext, build: Any) -> None:
    _notify(context, "push", build.to_data())


@hookimpl
def mcpgen_build_failed(context: PluginContext, build: Any) -> None:
    _notify(context, "failure", build.to_data())
