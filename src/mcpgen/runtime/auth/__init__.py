"""Inbound authentication: the ASGI gate in front of ``/mcp`` and the token and key checks behind it.

- :mod:`.settings`: ``server.auth.*`` / ``server.audit.*`` as frozen dataclasses;
- :mod:`.tokens`: JWT (static key or JWKS) and RFC 7662 introspection;
- :mod:`.gate`: :class:`~.gate.AuthGate` (401 + ``WWW-Authenticate``), API keys,
  the safe-bind check. The Protected Resource Metadata routes come from the SDK,
  so they live with the other SDK-facing code in
  :mod:`mcpgen.runtime.transport.resource_metadata`.

Authorization (roles) and the audit log are pipeline middleware:
:mod:`mcpgen.runtime.middleware.rbac`, :mod:`mcpgen.runtime.middleware.audit`.
"""
