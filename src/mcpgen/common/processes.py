"""Describing child processes in messages: shared by the Python loader's workers and the Node pool."""

from __future__ import annotations

import signal


def describe_exit(status: int | None) -> str:
    """``exit code 3``, ``signal SIGKILL`` or ``an unknown status``, from a ``returncode``
    (negative: killed by that signal)."""
    if status is None:
        return "an unknown status"
    if status < 0:
        try:
            return f"signal {signal.Signals(-status).name}"
        except ValueError:
            return f"signal {-status}"
    return f"exit code {status}"
