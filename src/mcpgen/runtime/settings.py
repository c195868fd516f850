"""Typed runtime settings: what the generated server needs, passed in, never read from the environment.

Only ``python -m mcpgen.runtime`` (``runtime/__main__.py``) turns command-line
flags and environment variables into a :class:`Settings`; every other runtime
object takes one as an argument.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mcpgen.errors import ConfigError

LogLevelName = Literal["debug", "info", "warning", "error", "critical"]
MIB = 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Settings:
    """How the runtime serves one manifest.

    ``root`` is the workspace directory that manifest entrypoint paths are
    relative to. ``allowed_hosts``/``allowed_origins`` feed Host/Origin
    (DNS-rebinding) validation; see :func:`mcpgen.runtime.app.transport_security`
    for how they combine with ``host``.
    """

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    stateless: bool = True
    json_response: bool = False
    default_timeout: float = 30.0
    max_request_size: int = 4 * MIB
    thread_pool_size: int = 32
    graceful_shutdown_timeout: float = 10.0
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    log_level: LogLevelName = "info"
    access_log: bool = False
    module_namespace: str = "mcpgen_workspace"

    def __post_init__(self) -> None:
        # Lists are accepted for convenience and frozen into tuples.
        object.__setattr__(self, "root", Path(self.root))
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "allowed_origins", tuple(self.allowed_origins))
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, got {self.port}", key="port")
        if not self.default_timeout > 0:
            raise ConfigError("default_timeout must be a positive number of seconds", key="default_timeout")
        if self.max_request_size <= 0:
            raise ConfigError("max_request_size must be a positive number of bytes", key="max_request_size")
        if self.thread_pool_size < 1:
            raise ConfigError("thread_pool_size must be at least 1", key="thread_pool_size")
        if self.graceful_shutdown_timeout < 0:
            raise ConfigError("graceful_shutdown_timeout must be >= 0", key="graceful_shutdown_timeout")
        if self.log_level not in ("debug", "info", "warning", "error", "critical"):
            raise ConfigError(f"unknown log level {self.log_level!r}", key="log_level")
        if not self.module_namespace.isidentifier():
            raise ConfigError("module_namespace must be a Python identifier", key="module_namespace")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)
