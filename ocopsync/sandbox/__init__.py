"""Local emulators of every platform's API, on one ASGI app with a path prefix each.

``build_sandbox()`` returns a :class:`Sandbox` whose ``app`` mounts ``/portal``,
``/shopee``, ``/lazada``, ``/sendo``, ``/voso`` and ``/postmart``. Tests mount it
in-process with :meth:`Sandbox.transport`; ``ocopsync sandbox serve`` serves it with
uvicorn on loopback; the demo and the benchmarks do either.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from ocopsync.sandbox.base import SandboxPlatform
from ocopsync.sandbox.faults import ConnectionDropped, Faults

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
        self.app = Starlette(
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


class SandboxTransport(httpx.ASGITransport):
    """ASGITransport where a dropped connection looks like one to the client."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "server closed the connection", request=request
            ) from exc
