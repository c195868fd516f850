"""Errors raised by mcpgen.

Every failure mcpgen reports is an :class:`McpgenError`; each kind of failure
has its own subclass, keeps its context as attributes and chains the foreign
cause (``raise ... from exc``)::

    McpgenError
    ├── UsageError              bad command-line or API input (exit code 2)
    ├── WorkspaceError          a workspace folder or file is missing or unreadable
    ├── ManifestError           a manifest cannot be read, parsed or is the wrong version
    ├── ValidationFailed        discovery/validation found errors (exit code 1); carries the report
    ├── LoadError               a user module cannot be imported at serve time
    ├── ConfigError             runtime settings or a config file are invalid
    ├── SecretStoreError        the encrypted secret store cannot be read or written
    │   └── SecretKeyError      no key, or the wrong key, for the secret store
    ├── CredentialError         a required credential is missing or invalid
    ├── ConnectorStartError     a required connector could not connect at start-up
    ├── StartupError            the server cannot start (its address is in use, start-up failed)
    ├── ConformanceError        the conformance suite cannot be installed or run
    ├── DockerError             the Docker engine refused or failed an operation
    │   ├── EngineUnavailable   no Docker engine answers (daemon not running, no socket access)
    │   ├── ImageBuildError     ``docker build`` failed; carries the step, the output and a hint
    │   └── RegistryError       a push or pull failed (auth, unreachable registry)
    ├── ImageReferenceError     an image name or tag breaks Docker's reference grammar (exit 2)
    ├── ClientConfigError       an MCP client's config file cannot be read, merged or written
    ├── BundleError             a desktop bundle (.mcpb) cannot be built
    └── ToolExecutionError      base of runtime failures inside a tool call
        ├── ToolTimeoutError    a call ran past its timeout
        └── ArgumentError       arguments do not match a tool's input schema

``ToolError`` (what tool authors raise to return ``isError: true``) lives in
``mcpgen.authoring`` and is deliberately *not* an McpgenError: it is a message
for the client, not a failure of mcpgen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class McpgenError(Exception):
    """Root of every error mcpgen raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(McpgenError):
    """The caller asked for something that cannot be done as asked; ``hint`` says what to do instead."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class WorkspaceError(McpgenError):
    """A workspace path is missing, not a directory, or unreadable."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class ManifestError(McpgenError):
    """A manifest file cannot be read, parsed, or has an unsupported version."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class ValidationFailed(McpgenError):
    """Discovery or validation reported at least one error.

    ``report`` is the full report (every problem, not just the first).
    """

    def __init__(self, message: str, *, report: Any) -> None:
        super().__init__(message)
        self.report = report


class LoadError(McpgenError):
    """A user module listed in the manifest cannot be imported by the runtime."""

    def __init__(self, message: str, *, path: str | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.name = name


class ConfigError(McpgenError):
    """Runtime settings are invalid."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class SecretStoreError(McpgenError):
    """The secret store is unreadable, tampered with, or cannot be written. Never carries a value."""

    def __init__(self, message: str, *, path: Path | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.name = name


class SecretKeyError(SecretStoreError):
    """No key is available for the secret store, or the key does not open it."""


class CredentialError(McpgenError):
    """Required credentials are missing or a value fails its validation.

    ``missing`` maps each missing credential name to the modules that declare it.
    """

    def __init__(self, message: str, *, missing: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or {}


class ConnectorStartError(McpgenError):
    """A required connector could not connect at server start; ``connectors`` names them."""

    def __init__(self, message: str, *, connectors: list[str]) -> None:
        super().__init__(message)
        self.connectors = connectors


class StartupError(McpgenError):
    """The server cannot start serving: its address is in use or its start-up failed."""


class ConformanceError(McpgenError):
    """The conformance suite (or the Node it needs, or the server under test) cannot be set up or run.

    ``log`` is the file holding the failing step's output, when there is one.
    """

    def __init__(self, message: str, *, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


class LoadTestError(McpgenError):
    """A load test cannot start: the server under test did not come up, or refused the handshake,
    or lacks the tool. (Errors *during* the load are counted in the report, not raised.)

    ``log`` is the served workspace's server log, when there is one; ``hint`` what usually fixes it.
    """

    def __init__(self, message: str, *, log: Path | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.log = log
        self.hint = hint


class DockerError(McpgenError):
    """The Docker engine refused or failed an operation. ``hint`` says what usually fixes it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class EngineUnavailable(DockerError):
    """No Docker engine answers at the configured address."""


class ImageBuildError(DockerError):
    """An image build failed.

    ``step`` names the mcpgen step (e.g. ``Building image``), ``instruction`` the
    Dockerfile instruction that failed when known, ``output`` the last lines of
    the build output.
    """

    def __init__(
        self,
        message: str,
        *,
        step: str,
        instruction: str | None = None,
        output: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.step = step
        self.instruction = instruction
        self.output = output


class RegistryError(DockerError):
    """A push or pull failed; ``reference`` is the image reference involved."""

    def __init__(self, message: str, *, reference: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reference = reference


class ImageReferenceError(McpgenError):
    """An image reference breaks Docker's grammar; ``part`` is the offending component."""

    exit_code = 2

    def __init__(self, message: str, *, reference: str, part: str) -> None:
        super().__init__(message)
        self.reference = reference
        self.part = part


class ClientConfigError(McpgenError):
    """An MCP client's config file is malformed (``path``, ``line``) or cannot be written; it is left as it was."""

    def __init__(self, message: str, *, path: Path, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.hint = hint


class BundleError(McpgenError):
    """A ``.mcpb`` bundle cannot be built (its dependencies do not install, its manifest is invalid)."""

    def __init__(self, message: str, *, output: str = "", hint: str | None = None) -> None:
        super().__init__(message)
        self.output = output
        self.hint = hint


class ToolExecutionError(McpgenError):
    """A tool call failed inside the runtime (not a ToolError raised by the tool)."""

    def __init__(self, message: str, *, tool: str) -> None:
        super().__init__(message)
        self.tool = tool


class ToolTimeoutError(ToolExecutionError):
    """A tool call ran past its timeout and was cancelled."""

    def __init__(self, message: str, *, tool: str, timeout: float) -> None:
        super().__init__(message, tool=tool)
        self.timeout = timeout


class ArgumentError(ToolExecutionError):
    """Arguments do not match a tool's input schema; ``field`` names the offending path."""

    def __init__(self, message: str, *, tool: str, field: str | None = None) -> None:
        super().__init__(message, tool=tool)
        self.field = field
