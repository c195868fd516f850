"""Inbound authentication: the ASGI gate in front of ``/mcp`` and the token and key checks behind it.

- :mod:`.settings`: ``server.auth.*`` / ``server.audit.*`` as frozen dataclasses;
- :mod:`.tokens`: JWT (static key or JWKS) and RFC 7662 introspection;
- :mod:`.gate`: :class:`~.gate.AuthGate` (401 + ``WWW-Authenticate``), API keys,
  the Protected Resource Metadata routes, the safe-bind check.

Authorization (roles) and the audit log are pipeline middleware:
:mod:`mcpgen.runtime.middleware.rbac`, :mod:`mcpgen.runtime.middleware.audit`.
"""
