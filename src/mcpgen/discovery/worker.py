"""The discovery worker: imports user modules in a subprocess and describes them as JSON.

Run as ``python -P -m mcpgen.discovery.worker ROOT`` by :mod:`.python_loader`,
never imported by the generator itself. Protocol: newline-delimited JSON.

- worker → parent, once: ``{"ready": true}``
- parent → worker: ``{"path": "tools/x.py"}`` (workspace-relative)
- worker → parent: ``{"path", "ok": true, "tools", "resources", "prompts", "connectors", "seedVersions"}``
  (``tools``: specs ``{"attribute", "kind", "line", "metadata"}`` that the parent turns into entries
  with :func:`mcpgen.discovery.entries.tool_entry`, like the TS/JS loader; the others: manifest entries;
  ``seedVersions``: tool name → ``{"version", "line"}`` for seed-format modules)
  or ``{"path", "ok": false, "code", "message", "line"}``
- worker → parent, just before a module calls ``os._exit``: ``{"path", "event": "exit", "status", "line"}``

The protocol channel is a private duplicate of the original stdin/stdout; fd 0
then reads ``/dev/null`` and fd 1 writes to stderr, so a module that prints or
reads stdin cannot corrupt it. ``faulthandler`` dumps Python tracebacks to
stderr on a fatal signal and on ``SIGUSR1`` (the parent's "where are you
stuck?" before it kills a hung worker).
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import re
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, NoReturn, TextIO

from mcpgen.authoring import DefinitionError, collect, import_file
from mcpgen.discovery.describe import describe_json

Message = dict[str, Any]

_channel: TextIO | None = None
_current: tuple[str, Path] | None = None
"""(workspace-relative, absolute) path of the module being imported."""
_real_exit = os._exit
_pid = os.getpid()


def _send(message: Message) -> None:
    assert _channel is not None
    _channel.write(json.dumps(message, separators=(",", ":")) + "\n")
    _channel.flush()


def _protect_stdio() -> tuple[TextIO, TextIO]:
    """Move the protocol to private fds; point fd 0 at /dev/null and fd 1 at stderr."""
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _same_file(filename: str, path: Path) -> bool:
    try:
        return os.path.samefile(filename, path)
    except OSError:
        return False


def _line_in(tb: TracebackType | None, path: Path) -> int | None:
    """Line of the deepest traceback frame that runs code of ``path``."""
    line = None
    while tb is not None:
        if _same_file(tb.tb_frame.f_code.co_filename, path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _frame_line(frame: FrameType | None, path: Path) -> int | None:
    while frame is not None:
        if _same_file(frame.f_code.co_filename, path):
            return frame.f_lineno
        frame = frame.f_back
    return None


def _elsewhere(exc: BaseException, root: Path, path: Path) -> str:
    """`` (raised in connectors/x.py:3)`` when the innermost workspace frame is another file than ``path``.

    Library frames (mcpgen's own decorators, installed packages) are skipped, so a bad
    ``@connector`` in ``connectors/x.py`` imported by a tool names ``connectors/x.py``.
    """
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        try:
            shown = Path(frame.filename).resolve().relative_to(root.resolve())
        except ValueError:  # a library frame
            continue
        if {".mcpgen", "site-packages", ".venv"} & set(shown.parts):
            continue
        if _same_file(frame.filename, path):
            return ""
        return f" (raised in {shown.as_posix()}:{frame.lineno})"
    return ""


def _failure(rel: str, code: str, message: str, line: int | None) -> Message:
    return {"path": rel, "ok": False, "code": code, "message": message, "line": line}


def _import_failure(root: Path, rel: str, path: Path, exc: BaseException) -> Message:
    line = _line_in(exc.__traceback__, path)
    if isinstance(exc, SyntaxError):
        if exc.filename and _same_file(exc.filename, path):
            return _failure(rel, "syntax-error", f"{exc.msg}", exc.lineno)
        return _failure(rel, "syntax-error", f"imported module has a syntax error: {exc}", line)
    if isinstance(exc, ModuleNotFoundError):
        top = (exc.name or "").split(".")[0] or "?"
        message = (
            f"cannot import {exc.name!r}: package {top!r} is not installed; declare the distribution "
            f'that provides it in this file\'s PEP 723 block (# /// script / dependencies = ["{top}"]) '
            "and install it"
        )
        return _failure(rel, "missing-package", message, line)
    if isinstance(exc, DefinitionError):
        return _failure(rel, "definition-error", f"{exc}{_elsewhere(exc, root, path)}", line)
    if isinstance(exc, SystemExit):
        return _failure(rel, "system-exit", f"sys.exit({exc.code!r}) called while importing", line)
    message = f"{type(exc).__name__} while importing: {exc}{_elsewhere(exc, root, path)}"
    return _failure(rel, "import-error", message, line)


def _line_matching(path: Path, pattern: str) -> int | None:
    """First line of ``path`` matching ``pattern`` (seed ``metadata`` has no code lines of its own)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    regex = re.compile(pattern)
    return next((n for n, line in enumerate(lines, start=1) if regex.search(line)), None)


def _put_first_on_path(folder: str) -> None:
    """The file's own folder wins, so ``import _helpers`` finds *its* helper module."""
    while folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)


def _forget_workspace_modules(before: set[str], root: Path) -> None:
    """Drop modules the last file imported from the workspace (helpers of one folder must not
    shadow same-named helpers of another); libraries stay cached for speed."""
    prefix = str(root) + os.sep
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if file and os.path.abspath(file).startswith(prefix):
            del sys.modules[name]


def describe_file(root: Path, rel: str) -> Message:
    """Import ``rel`` and describe it; every failure becomes a failure message."""
    global _current
    path = root / rel
    _current = (rel, path)
    _put_first_on_path(str(path.parent.resolve()))
    try:
        module = import_file(root, path)
    except BaseException as exc:
        return _import_failure(root, rel, path, exc)
    finally:
        _current = None
    try:
        defs = collect(module, connectors=rel.startswith("connectors/"))
        message: Message = {
            "path": rel,
            "ok": True,
            **describe_json(defs, rel),
            "seedVersions": {
                t.name: {"version": t.schema_version, "line": _line_matching(path, r"schemaVersion")}
                for t in defs.tools
                if t.schema_version is not None
            },
        }
        json.dumps(message)
    except Exception as exc:
        line = _line_in(exc.__traceback__, path) or _line_matching(path, r"^metadata\b")
        return _failure(rel, "definition-error", str(exc) or type(exc).__name__, line)
    return message


def _reporting_exit(status: int) -> NoReturn:
    """``os._exit`` replacement: tell the parent which line ended the worker, then exit."""
    if os.getpid() == _pid and _current is not None and _channel is not None:
        rel, path = _current
        line = _frame_line(sys._getframe(1), path)
        with contextlib.suppress(OSError, ValueError):
            _send({"path": rel, "event": "exit", "status": status, "line": line})
    _real_exit(status)


def _flush_user_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _no_core_dumps() -> None:
    """A module that segfaults must not leave a core file in the workspace."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass


def main(argv: list[str] | None = None) -> int:
    global _channel
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]).resolve()
    sys.dont_write_bytecode = True  # leave no __pycache__ in the user's workspace
    _no_core_dumps()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proto_in, _channel = _protect_stdio()
    faulthandler.enable(file=sys.__stderr__ or sys.stderr, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=sys.__stderr__ or sys.stderr, all_threads=True)
    os._exit = _reporting_exit
    stdout, stderr = sys.stdout, sys.stderr
    _send({"ready": True})
    for raw in proto_in:
        rel = str(json.loads(raw)["path"])
        before = set(sys.modules)
        message = describe_file(root, rel)
        _forget_workspace_modules(before, root)
        _flush_user_streams()
        sys.stdout, sys.stderr = stdout, stderr
        _send(message)
    _flush_user_streams()
    _real_exit(0)


if __name__ == "__main__":
    main()
