"""What every sandbox platform shares: the shop's items, tokens, clock, faults, quota.

A platform module subclasses :class:`SandboxPlatform`, adds its routes in its own
dialect, and uses these pieces so that state, tokens and faults behave the same way
on every emulator. Everything is in memory; a sandbox forgets all when it stops.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.faults import (
    ConnectionDropped,
    Fault,
    FaultInjector,
    Faults,
    ShopRateLimiter,
)

ITEM_STATUSES = ("live", "unlisted", "pending", "deleted")
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class SandboxItem:
    """One listing in an emulated shop, in neutral terms; apps render their own shape."""

    remote_id: str
    sku: str
    name: str
    price: int
    stock: int
    status: str = "live"
    data: dict[str, Any] = field(default_factory=dict)
    """Platform-specific fields as the client sent them (category, images, ...)."""
    updated_at: float = 0.0


class SandboxShop:
    """The items of one shop, indexed by remote id and by seller SKU."""

    def __init__(self, first_id: int = 1000) -> None:
        self.items: dict[str, SandboxItem] = {}
        self._by_sku: dict[str, str] = {}
        self._next_id = first_id

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def add(
        self,
        sku: str,
        name: str,
        price: int,
        stock: int,
        *,
        status: str = "live",
        data: dict[str, Any] | None = None,
        now: float = 0.0,
    ) -> SandboxItem:
        item = SandboxItem(self.new_id(), sku, name, price, stock, status, dict(data or {}), now)
        self.items[item.remote_id] = item
        if sku:
            self._by_sku[sku] = item.remote_id
        return item

    def get(self, remote_id: str | int) -> SandboxItem | None:
        item = self.items.get(str(remote_id))
        return item if item and item.status != "deleted" else None

    def by_sku(self, sku: str) -> SandboxItem | None:
        remote_id = self._by_sku.get(sku)
        return self.get(remote_id) if remote_id else None

    def visible(self) -> list[SandboxItem]:
        """Items in creation order (ids only grow), deleted ones left out."""
        return [i for i in self.items.values() if i.status != "deleted"]

    def sell(self, sku: str, quantity: int) -> None:
        """A buyer takes ``quantity`` units (never below zero): what happens between runs."""
        item = self.by_sku(sku)
        if item is None:
            raise KeyError(sku)
        item.stock = max(0, item.stock - quantity)


@dataclass
class IssuedToken:
    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float
    subject: str
    """The shop or seller the token was issued for."""


class TokenIssuer:
    """Issues, checks, rotates and expires tokens the way OAuth-like platforms do."""

    def __init__(
        self, clock: Callable[[], float], access_ttl: float, refresh_ttl: float, prefix: str
    ) -> None:
        self.clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.prefix = prefix
        self._by_access: dict[str, IssuedToken] = {}
        self._by_refresh: dict[str, IssuedToken] = {}
        self.refreshes = 0

    def issue(self, subject: str, access_ttl: float | None = None) -> IssuedToken:
        now = self.clock()
        token = IssuedToken(
            access_token=f"{self.prefix}-at-{secrets.token_hex(12)}",
            refresh_token=f"{self.prefix}-rt-{secrets.token_hex(12)}",
            access_expires_at=now + (access_ttl if access_ttl is not None else self.access_ttl),
            refresh_expires_at=now + self.refresh_ttl,
            subject=subject,
        )
        self._by_access[token.access_token] = token
        self._by_refresh[token.refresh_token] = token
        return token

    def check(self, access_token: str) -> str:
        """'ok', 'expired' or 'invalid' for an access token."""
        token = self._by_access.get(access_token)
        if token is None:
            return "invalid"
        return "ok" if self.clock() < token.access_expires_at else "expired"

    def subject_of(self, access_token: str) -> str | None:
        token = self._by_access.get(access_token)
        return token.subject if token else None

    def refresh(
        self,
        refresh_token: str,
        access_ttl: float | None = None,
        rotate_refresh_expiry: bool = True,
    ) -> IssuedToken | None:
        """A new pair for a valid refresh token; the old refresh token is single use."""
        old = self._by_refresh.pop(refresh_token, None)
        if old is None or self.clock() >= old.refresh_expires_at:
            return None
        self._by_access.pop(old.access_token, None)
        new = self.issue(old.subject, access_ttl)
        if not rotate_refresh_expiry:
            new.refresh_expires_at = old.refresh_expires_at
        self.refreshes += 1
        return new

    def expire_all(self) -> None:
        """Every access token issued so far expires now (fault injection)."""
        now = self.clock()
        for token in self._by_access.values():
            token.access_expires_at = min(token.access_expires_at, now - 1)


def sandbox_credential(platform: str, key: str, default: str) -> str:
    """A documented default credential, overridable by ``OCOPSYNC_SANDBOX_<PLATFORM>_<KEY>``."""
    return os.environ.get(f"OCOPSYNC_SANDBOX_{platform.upper()}_{key.upper()}", default)


class SandboxPlatform:
    """Base of one emulated platform. Subclasses set ``name`` and implement :meth:`routes`."""

    name: ClassVar[str] = ""
    rate_limit_per_s: ClassVar[float] = 100.0
    rate_limit_burst: ClassVar[int] = 200

    def __init__(
        self, *, clock: Callable[[], float] | None = None, faults: Faults | None = None
    ) -> None:
        self.clock: Callable[[], float] = clock or time.time
        self.faults = FaultInjector(faults)
        self.shop = SandboxShop()
        self.quota = ShopRateLimiter(self.rate_limit_per_s, self.rate_limit_burst, self.clock)
        self.requests = 0

    # -- what subclasses provide -------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def credentials(self) -> dict[str, str]:
        """The sandbox's credentials, as a connection's [credentials] table would hold them."""
        raise NotImplementedError

    def authorization_code(self) -> str | None:
        """The code a seller would get by authorizing the shop (None: no OAuth step)."""
        return None

    def base_url(self, root: str) -> str:
        """A connection's base_url for this platform when the sandbox is served at ``root``."""
        return f"{root.rstrip('/')}/{self.name}"

    def connection_options(self, root: str) -> dict[str, Any]:
        """Options a connection to this sandbox needs (category map, logistics, auth URL...)."""
        return {}

    def expire_tokens(self) -> None:
        """Expire every access token now (platforms without tokens ignore this)."""

    # -- shared ------------------------------------------------------------------------
    async def arrive(self) -> Fault | None:
        """What every request meets first: counting, latency, and a drawn fault.

        A dropped connection is raised here; an error or rate-limit fault is returned
        for the platform to answer in its own dialect.
        """
        self.requests += 1
        await self.faults.delay()
        fault = self.faults.draw()
        if fault is Fault.DROP:
            raise ConnectionDropped()
        return fault

    def seed(self, sku: str, name: str, price: int, stock: int, *, live: bool = True) -> str:
        """Put a listing in the shop as if the seller had created it by hand."""
        item = self.shop.add(
            sku, name, price, stock, status="live" if live else "unlisted", now=self.clock()
        )
        return item.remote_id

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every visible item by SKU, for tests and the demo."""
        return {
            i.sku: {
                "remote_id": i.remote_id,
                "name": i.name,
                "price": i.price,
                "stock": i.stock,
                "status": i.status,
            }
            for i in self.shop.visible()
        }

    def app(self) -> Starlette:
        routes = [
            *self.routes(),
            Route("/_sandbox/faults", self._faults_endpoint, methods=["GET", "POST"]),
            Route("/_sandbox/expire-tokens", self._expire_endpoint, methods=["POST"]),
            Route("/_sandbox/items", self._items_endpoint, methods=["GET"]),
            Route("/_sandbox/image.png", self._image_endpoint, methods=["GET"]),
        ]
        return Starlette(routes=routes)

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.faults.set(Faults.from_mapping(await request.json()))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(self.faults.as_dict())

    async def _expire_endpoint(self, request: Request) -> Response:
        self.expire_tokens()
        return JSONResponse({"expired": True})

    async def _image_endpoint(self, request: Request) -> Response:
        """A product photo hosted on loopback, for platforms that want image bytes."""
        return Response(TINY_PNG, media_type="image/png")

    async def _items_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.snapshot())
