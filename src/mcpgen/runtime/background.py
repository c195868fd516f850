"""Serve an ASGI app on 127.0.0.1 in a background thread (the testing harness, record and replay).

:class:`BackgroundServer` runs uvicorn in a daemon thread on a socket bound
before the thread starts, so :attr:`BackgroundServer.url` is known at once and
a port that is taken fails in the caller's thread with the ``OSError``. The
app's lifespan runs (``lifespan="on"``): an mcpgen app's session managers and
connectors start and stop with it. The port is kept across :meth:`stop` and
:meth:`start`, so a restarted server answers on the same URL.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Literal

import uvicorn
from starlette.types import ASGIApp, Message, Receive


class BackgroundServer:
    """``app`` served by uvicorn on ``127.0.0.1:port`` (0: a free port) in a daemon thread."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        port: int = 0,
        lifespan: Literal["on", "off"] = "on",
        start_timeout: float = 30.0,
        name: str = "mcpgen-background",
    ) -> None:
        self.app = app
        self._port = port
        self._lifespan = lifespan
        self._start_timeout = start_timeout
        self._name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the server has not been started yet")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> str:
        """Start listening (on the same port as before, if it ran already); return :attr:`url`."""
        if self.running:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self._port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan=self._lifespan,
            interface="asgi3",
            timeout_graceful_shutdown=1,
            access_log=False,
            ws="none",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"{self._name}-{self._port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError(f"the server did not start on 127.0.0.1:{self._port}")
            time.sleep(0.01)  # waiting on another thread's flag: nothing to await on
        self._server, self._thread = server, thread
        return self.url

    def stop(self) -> None:
        """Stop listening and run the app's shutdown; the port is kept for :meth:`start`."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=15)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def replaying(body: bytes, receive: Receive) -> Receive:
    """An ASGI ``receive`` that hands out ``body`` (already read by a middleware) once, then defers."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
