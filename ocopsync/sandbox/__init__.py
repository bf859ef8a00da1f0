"""Local emulators of every platform's API, on one ASGI app with a path prefix each.

``build_sandbox()`` returns a :class:`Sandbox` whose ``app`` mounts ``/portal``,
``/shopee``, ``/lazada``, ``/sendo``, ``/voso`` and ``/postmart``. Tests mount it
in-process with :meth:`Sandbox.transport`; ``ocopsync sandbox serve`` serves it with
uvicorn on loopback; the demo and the benchmarks do either.

Dropped connections look the same on both paths: :class:`SandboxApp` makes sure a
dropped request sends no byte of an answer and ends with :class:`ConnectionDropped`
(before the handler) or :class:`AnswerDropped` (after it); :class:`SandboxTransport`
turns either into the ``httpx.RemoteProtocolError`` of a real lost connection, and
``ocopsync.serve`` aborts the socket when served by uvicorn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send

from ocopsync.sandbox.base import SandboxPlatform
from ocopsync.sandbox.faults import (
    AnswerDropped,
    ConnectionDropped,
    DropKind,
    Faults,
    watch_drops,
)

PLATFORM_MODULES: dict[str, str] = {
    "portal": "ocopsync.sandbox.portal",
    "shopee": "ocopsync.sandbox.shopee",
    "lazada": "ocopsync.sandbox.lazada",
    "sendo": "ocopsync.sandbox.sendo",
    "voso": "ocopsync.sandbox.voso",
    "postmart": "ocopsync.sandbox.postmart",
}


def platform_class(name: str) -> type[SandboxPlatform]:
    module = importlib.import_module(PLATFORM_MODULES[name])
    cls: type[SandboxPlatform] = module.SANDBOX
    return cls


class Sandbox:
    """All emulated platforms, each under its own prefix of one app."""

    def __init__(self, platforms: dict[str, SandboxPlatform]) -> None:
        self.platforms = platforms
        self.app = SandboxApp(
            routes=[Mount(f"/{name}", app=p.app()) for name, p in platforms.items()]
        )

    def __getitem__(self, name: str) -> SandboxPlatform:
        return self.platforms[name]

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport: requests reach the app with no socket at all."""
        return SandboxTransport(self.app)

    def set_faults(self, faults: Faults, platforms: Iterable[str] | None = None) -> None:
        for name in platforms or self.platforms:
            self.platforms[name].faults.set(faults)

    def base_urls(self, root: str) -> dict[str, str]:
        return {name: p.base_url(root) for name, p in self.platforms.items()}

    def describe(self, root: str) -> list[dict[str, Any]]:
        """Base URL and credentials of every platform (printed by ``sandbox serve``)."""
        return [
            {
                "platform": name,
                "base_url": p.base_url(root),
                "credentials": p.credentials(),
                "options": p.connection_options(root),
                "authorization_code": p.authorization_code(),
            }
            for name, p in self.platforms.items()
        ]


def build_sandbox(
    platforms: Iterable[str] | None = None,
    *,
    clock: Callable[[], float] | None = None,
    faults: Faults | None = None,
) -> Sandbox:
    names = list(platforms) if platforms is not None else list(PLATFORM_MODULES)
    unknown = [n for n in names if n not in PLATFORM_MODULES]
    if unknown:
        raise ValueError(f"unknown sandbox platform(s): {', '.join(unknown)}")
    return Sandbox({n: platform_class(n)(clock=clock, faults=faults) for n in names})


class SandboxApp(Starlette):
    """The sandbox's Starlette app, where a dropped request answers nothing at all.

    Starlette's error middleware answers any exception with a 500 before re-raising
    it, which is what a client saw of ``drop_rate``. Here every HTTP request runs
    under :func:`watch_drops`: once the platform's fault injector has decided to drop
    it, whatever the app sends (that 500, or the handler's real answer when the drop
    comes after it) is swallowed, and the call ends with :class:`ConnectionDropped`
    for the server or transport to turn into a lost connection. The drop-after path
    lets the app run to completion first, so its change really is made.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        with watch_drops() as drop:

            async def send_unless_dropped(message: Message) -> None:
                if drop.kind is None:
                    await send(message)

            try:
                await super().__call__(scope, receive, send_unless_dropped)
            except ClientDisconnect:
                # The client went away before its body arrived (a benchmark worker
                # ending, a timeout): nobody is left to answer, and it is no error of
                # the emulated platform's, so it is not logged as one.
                return
            if drop.kind is DropKind.AFTER:
                raise AnswerDropped()


DISCONNECTED = "Server disconnected without sending a response."
"""What httpcore says when a server closes the socket before answering."""


class SandboxTransport(httpx.ASGITransport):
    """ASGITransport where a dropped connection looks like one to the client.

    Both kinds of drop give the error httpx raises for a real server that closed the
    socket before answering, so a client cannot tell in-process from loopback.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(DISCONNECTED, request=request) from exc
