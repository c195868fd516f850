"""Server events: resource updates and list changes, delivered on both protocol generations.

- 2026-07-28: clients open a ``subscriptions/listen`` stream; events go
  through the SDK's :class:`~mcp.server.subscriptions.SubscriptionBus`
  (in-process here; a Redis-backed bus can replace it for replicas), and the
  SDK's ``ListenHandler`` filters them per stream.
- 2025-11-25: clients call ``resources/subscribe``; updates go to the
  subscribing session's standalone stream. Those subscriptions live in this
  process (a session is sticky to one replica anyway).
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.subscriptions import InMemorySubscriptionBus, SubscriptionBus
from mcp.shared.subscriptions import (
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ToolsListChanged,
)

logger = logging.getLogger("mcpgen.runtime")
MAX_SUBSCRIPTIONS = 10_000
"""Handshake-era subscriptions kept at most (further ``resources/subscribe`` calls are refused)."""


class Events:
    """Fan-out of server events to listen streams and to subscribed sessions."""

    def __init__(self, bus: SubscriptionBus | None = None) -> None:
        self.bus: SubscriptionBus = bus or InMemorySubscriptionBus()
        self._sessions: dict[str, dict[int, Any]] = {}

    @property
    def subscription_count(self) -> int:
        return sum(len(s) for s in self._sessions.values())

    def subscribe(self, uri: str, session: Any) -> bool:
        """Remember that ``session`` wants updates of ``uri`` (``False`` when the limit is reached)."""
        if self.subscription_count >= MAX_SUBSCRIPTIONS:
            return False
        self._sessions.setdefault(uri, {})[id(session)] = session
        return True

    def unsubscribe(self, uri: str, session: Any) -> None:
        sessions = self._sessions.get(uri)
        if sessions is not None:
            sessions.pop(id(session), None)
            if not sessions:
                del self._sessions[uri]

    async def resource_updated(self, uri: str) -> None:
        """Tell every listener and subscribed session that ``uri`` changed."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for key, session in list(self._sessions.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # the session is gone: forget it
                logger.debug("resource update not delivered; dropping the subscription", exc_info=True)
                self._sessions.get(uri, {}).pop(key, None)

    async def lists_changed(self) -> None:
        """Tell listen streams that tools, prompts and resources may have changed (after a reload)."""
        for event in (ToolsListChanged(), PromptsListChanged(), ResourcesListChanged()):
            await self.bus.publish(event)
