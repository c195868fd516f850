"""Role-based authorization: who may call, read or get what (``server.auth.roles``).

A role allows permissions and inherits other roles' (cycles are harmless)::

    server:
      auth:
        roles:
          reader: {allow: ["tool:search_*", "tag:readonly", "resource:docs://*", "prompt:*"]}
          admin:  {inherits: [reader], allow: ["*"]}

Permissions: ``tool:<glob>`` (tool names), ``tag:<tag>`` (tools declaring that
tag, ``@tool(tags=[...])``), ``resource:<glob>`` (resource URIs, or a
template's URI template), ``prompt:<glob>``, ``*`` (everything). Globs are
:func:`fnmatch.fnmatchcase` patterns.

A caller's roles are those its credential carries (the API key's role, the
token's roles claim), ``server.auth.default_roles``, and any granted scope that
names a role. Listings show only what the caller may use; a call it may not
make is refused with a JSON-RPC error naming the target and the permission
(never the credential). A call without a client identity (stdio, or HTTP with
authentication off) is not restricted: the process boundary is its guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from mcpgen.runtime.auth.settings import Role
from mcpgen.runtime.pipeline import CallContext, CallError, ClientIdentity, Next, Result

FORBIDDEN = -32003
"""JSON-RPC error code of a call the caller's roles do not allow (in the implementation-defined range)."""
DECISION = "rbac.decision"
"""``CallContext.state`` key: ``"allow"`` or ``"deny"`` once this middleware has decided (the audit log reads it)."""
_CACHE_LIMIT = 10_000
_LISTS = {
    "tools/list": ("tools", "tool", "name"),
    "resources/list": ("resources", "resource", "uri"),
    "resources/templates/list": ("resourceTemplates", "resource", "uriTemplate"),
    "prompts/list": ("prompts", "prompt", "name"),
}


def expand(roles: Mapping[str, Role], names: Iterable[str]) -> frozenset[str]:
    """``names`` and every role they inherit from, transitively."""
    seen: set[str] = set()
    todo = [n for n in names if n in roles]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(p for p in roles[name].inherits if p not in seen)
    return frozenset(seen)


class Grant:
    """What one set of roles allows, compiled from their permission strings."""

    __slots__ = ("everything", "patterns", "tags")

    def __init__(self, permissions: Iterable[str]) -> None:
        self.everything = False
        self.tags: set[str] = set()
        self.patterns: dict[str, list[str]] = {"tool": [], "resource": [], "prompt": []}
        for permission in permissions:
            if permission == "*":
                self.everything = True
                continue
            kind, _, pattern = permission.partition(":")
            if kind == "tag":
                self.tags.add(pattern)
            elif kind in self.patterns:
                self.patterns[kind].append(pattern)

    def allows(self, kind: str, name: str, tags: Iterable[str] = ()) -> bool:
        if self.everything:
            return True
        if any(fnmatchcase(name, pattern) for pattern in self.patterns[kind]):
            return True
        return any(tag in self.tags for tag in tags)


def _tags(call: CallContext, kind: str, name: str) -> tuple[str, ...]:
    if kind != "tool":
        return ()
    tool = call.registry.tools.get(name)
    return tuple(tool.entry.tags) if tool is not None else ()


class Rbac:
    """Pipeline middleware: filter listings, refuse calls the caller's roles do not allow."""

    changes_listings = True
    """Listings are filtered per caller: never served from the shared listing cache."""

    def __init__(self, roles: Mapping[str, Role], default_roles: Iterable[str] = ()) -> None:
        self.roles = dict(roles)
        self.default_roles = frozenset(default_roles)
        self._grants: dict[frozenset[str], Grant] = {}
        self._roles: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}
        self._decisions: dict[tuple[frozenset[str], str, str, int], bool] = {}

    def roles_of(self, client: ClientIdentity) -> frozenset[str]:
        """The caller's roles: its own, the defaults, granted scopes naming a role; with inherited ones."""
        key = (client.roles, client.scopes)
        found = self._roles.get(key)
        if found is None:
            if len(self._roles) > _CACHE_LIMIT:
                self._roles.clear()
            own = client.roles | self.default_roles | (client.scopes & self.roles.keys())
            found = self._roles[key] = expand(self.roles, own)
        return found

    def grant(self, roles: frozenset[str]) -> Grant:
        found = self._grants.get(roles)
        if found is None:
            if len(self._grants) > _CACHE_LIMIT:
                self._grants.clear()
            found = self._grants[roles] = Grant(p for r in roles for p in self.roles[r].allow)
        return found

    def allowed(self, call: CallContext, roles: frozenset[str], kind: str, name: str) -> bool:
        key = (roles, kind, name, id(call.registry))
        decided = self._decisions.get(key)
        if decided is None:
            if len(self._decisions) > _CACHE_LIMIT:
                self._decisions.clear()
            decided = self._decisions[key] = self.grant(roles).allows(kind, name, _tags(call, kind, name))
        return decided

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        client = call.client
        if client is None:  # stdio, or HTTP with authentication off
            return await call_next(call)
        roles = self.roles_of(client)
        listing = _LISTS.get(call.method)
        if listing is not None:
            call.state[DECISION] = "allow"
            result = await call_next(call)
            return self._filtered(call, roles, result, *listing)
        kind = (
            "tool"
            if call.method == "tools/call"
            else "prompt"
            if call.method == "prompts/get"
            else "resource"
        )
        name = call.name
        if kind == "resource" and not self.allowed(call, roles, kind, name):
            found = call.registry.find_resource(name)
            template = found[0].entry.uri_template if found is not None else None
            if template is None or not self.allowed(call, roles, kind, template):
                raise self._refusal(call, roles, kind, name)
        elif kind != "resource" and not self.allowed(call, roles, kind, name):
            raise self._refusal(call, roles, kind, name)
        call.state[DECISION] = "allow"
        return await call_next(call)

    def _filtered(
        self, call: CallContext, roles: frozenset[str], result: Result, key: str, kind: str, field: str
    ) -> Result:
        items: list[Any] = result.get(key, [])
        kept = [item for item in items if self.allowed(call, roles, kind, str(item.get(field, "")))]
        return result if len(kept) == len(items) else {**result, key: kept}

    def _refusal(self, call: CallContext, roles: frozenset[str], kind: str, name: str) -> CallError:
        call.state[DECISION] = "deny"
        permission = f"{kind}:{name}"
        held = ", ".join(sorted(roles)) or "none"
        what = {"tool": "Tool", "resource": "Resource", "prompt": "Prompt"}[kind]
        return CallError(
            FORBIDDEN,
            f"Forbidden: {what} '{name}' needs the permission '{permission}', which the caller's roles "
            f"({held}) do not grant",
            {kind: name, "permission": permission, "roles": sorted(roles)},
        )
