"""Serve an ASGI app with uvicorn on loopback, in a background thread or the foreground.

The demo and the end-to-end tests need the sandbox on a real port while the same
process runs the CLI against it (:func:`serve_in_thread`); ``sandbox serve`` runs it
in the foreground instead (:func:`serve_foreground`). Both build their server from
:func:`server_config`, so a fault injected in one behaves the same in the other.

uvicorn answers an exception from the app with a 500, but a dropped connection must
reach the client as a socket closed with no answer at all. :class:`DroppingH11Protocol`
is uvicorn's h11 protocol where an app raising
:class:`~ocopsync.sandbox.faults.ConnectionDropped` has its connection aborted instead.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ocopsync.sandbox.faults import ConnectionDropped

if TYPE_CHECKING:
    from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
    from uvicorn.server import ServerState

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class DroppingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, where ``ConnectionDropped`` from the app loses the connection.

    The app is wrapped per connection (uvicorn builds one protocol per connection), so
    the wrapper knows its own transport; nothing in uvicorn is patched. The app is
    expected to have sent nothing before raising (``SandboxApp`` makes sure of it),
    so the client sees the socket close before any byte of an answer, as when a real
    server dies or a proxy gives up. If an app did start answering, the abort still
    cuts the answer short, which is a lost connection too.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._wrapped_app = self.app
        self.app = self._run_or_drop

    async def _run_or_drop(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # h11 handles one request at a time on a connection and the next cycle only
        # starts once this one's answer is complete, so the cycle current when the app
        # starts is the one running it (and an aborted one never completes).
        cycle = self.cycle
        try:
            await self._wrapped_app(scope, receive, send)
        except ConnectionDropped:
            logger.debug("fault injection: dropping the connection of %s", scope.get("path"))
            # Marked disconnected first, the cycle writes nothing more: no 500 and no
            # "returned without starting response" error once this returns.
            cycle.disconnected = True
            self.transport.abort()


def server_config(
    app: Any, host: str = "127.0.0.1", port: int = 8700, **options: Any
) -> uvicorn.Config:
    """The uvicorn configuration every ocopsync server uses (h11 with dropped connections).

    ``options`` are passed to :class:`uvicorn.Config` over these defaults.
    """
    settings: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "off",
        "http": DroppingH11Protocol,
        **options,
    }
    return uvicorn.Config(app, host=host, port=port, **settings)


class _Server(uvicorn.Server):
    """uvicorn's server with a hook run once it has shut down, still inside ``serve``.

    uvicorn re-raises a captured SIGTERM or SIGINT after ``serve`` returns, so code after
    ``run()`` may never run; work that must happen on the way out (writing the sandbox's
    state file) goes here.
    """

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None] | None) -> None:
        super().__init__(config)
        self.on_stop = on_stop

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        if self.on_stop is not None:
            self.on_stop()


def serve_foreground(
    app: Any, host: str, port: int, *, on_stop: Callable[[], None] | None = None, **options: Any
) -> bool:
    """Serve ``app`` until interrupted (Ctrl-C, SIGTERM); False when it could not start.

    What ``uvicorn.run`` does for one worker, on :func:`server_config`; ``on_stop`` runs
    once the server has stopped serving, before uvicorn re-raises the signal.
    """
    server = _Server(server_config(app, host, port, **options), on_stop)
    server.run()
    return server.started


@contextmanager
def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int | None = None, startup_timeout_s: float = 10.0
) -> Iterator[str]:
    """Yield the root URL while ``app`` is served; stop the server on exit."""
    port = port or free_port(host)
    server = uvicorn.Server(server_config(app, host, port, access_log=False))
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the sandbox could not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
