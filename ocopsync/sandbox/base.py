"""What every sandbox platform shares: the shop's items, tokens, clock, faults, quota.

A platform module subclasses :class:`SandboxPlatform`, adds its routes in its own
dialect, and uses these pieces so that state, tokens and faults behave the same way
on every emulator. Everything is in memory; :meth:`SandboxPlatform.dump_state` and
:meth:`SandboxPlatform.load_state` turn it into JSON and back, so ``sandbox serve
--state FILE`` (:mod:`ocopsync.sandbox.state`) can bring the same shops back after a
restart.
"""

from __future__ import annotations

import base64
import bisect
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
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
    writes_ignored,
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

    def __setattr__(self, name: str, value: Any) -> None:
        # ``ignore_write_rate``: the platform answers success and changes nothing.
        if name in _IGNORABLE and writes_ignored() and name in self.__dict__:
            return
        if name == "status":
            _statuses.changed += 1  # the shops' cached visible lists are stale now
        super().__setattr__(name, value)


_IGNORABLE = frozenset({"price", "stock", "status"})


class _StatusClock:
    """Counts item status changes, so a shop rebuilds its visible list only after one."""

    changed = 0


_statuses = _StatusClock()


def _id_order(item: SandboxItem) -> tuple[int, str]:
    """Creation order by id: numeric ids as numbers (``"1010"`` after ``"999"``)."""
    return (int(item.remote_id), "") if item.remote_id.isdigit() else (0, item.remote_id)


class SandboxShop:
    """The items of one shop, indexed by remote id and by seller SKU."""

    def __init__(self, first_id: int = 1000) -> None:
        self.items: dict[str, SandboxItem] = {}
        self._by_sku: dict[str, str] = {}
        self._next_id = first_id
        self._visible: list[SandboxItem] | None = None
        self._visible_stamp: tuple[int, int, int] = (0, 0, 0)

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
        """Items in creation order (ids only grow), deleted ones left out.

        Cached until an item is added or any item's status changes: every page of a
        listing call asks for it, and rebuilding it each time made paging O(n^2). The
        list is shared: callers slice or filter it, never change it.
        """
        stamp = (id(self.items), len(self.items), _statuses.changed)
        if self._visible is None or self._visible_stamp != stamp:
            self._visible = [i for i in self.items.values() if i.status != "deleted"]
            self._visible_stamp = stamp
        return self._visible

    def page_after(self, after: int | None, limit: int) -> tuple[list[SandboxItem], bool]:
        """The visible items with an id above ``after`` (all when None), at most
        ``limit``, and whether more follow: a cursor page in O(log n + page).

        The visible list is in creation order and ids only grow, so it is sorted by id
        and a binary search finds where the page starts; filtering the whole list for
        every page made a full read O(n^2). Ids that are not numbers (no emulator issues
        them today) fall back to that scan rather than fail.
        """
        items = self.visible()
        if after is None:
            start = 0
        else:
            try:
                start = bisect.bisect_right(items, after, key=lambda i: int(i.remote_id))
            except ValueError:
                rest = [i for i in items if i.remote_id.isdigit() and int(i.remote_id) > after]
                return rest[:limit], len(rest) > limit
        return items[start : start + limit], len(items) > start + limit

    def visible_by_ids(self, remote_ids: Iterable[str]) -> list[SandboxItem]:
        """The visible items among ``remote_ids``, in id order: one lookup per id."""
        found = (self.get(i) for i in dict.fromkeys(remote_ids))
        return sorted((i for i in found if i is not None), key=_id_order)

    def dump(self) -> dict[str, Any]:
        """The shop as JSON: items in creation order, the SKU index, the next id."""
        return {
            "next_id": self._next_id,
            "items": [asdict(item) for item in self.items.values()],
            "by_sku": dict(self._by_sku),
        }

    def load(self, state: dict[str, Any]) -> None:
        """Replace the contents (not the object: platform helpers hold a reference)."""
        self.items = {}
        for raw in state["items"]:
            item = SandboxItem(**raw)
            self.items[item.remote_id] = item
        self._by_sku = {str(k): str(v) for k, v in state["by_sku"].items()}
        self._next_id = int(state["next_id"])

    def sell(self, sku: str, quantity: int) -> None:
        """A buyer takes ``quantity`` units (never below zero): what happens between runs."""
        item = self.by_sku(sku)
        if item is None:
            raise KeyError(sku)
        item.stock = max(0, item.stock - quantity)


@dataclass
class SandboxOrderLine:
    """One line of an emulated order, in neutral terms (apps render their own shape)."""

    line_id: str
    sku: str
    remote_id: str
    quantity: int
    price: int
    status: str = "active"
    """``active`` (units left the shop), ``cancelled`` or ``returned`` (units back)."""


@dataclass
class SandboxOrder:
    order_id: str
    lines: list[SandboxOrderLine]
    created_at: float
    updated_at: float

    @property
    def status(self) -> str:
        """The order's neutral status: cancelled or returned only when every line is."""
        states = {line.status for line in self.lines}
        return states.pop() if len(states) == 1 else "active"


class OrderRefused(Exception):
    """A buyer's order the shop cannot take (stock short, item not on sale, unknown SKU)."""


class OrderBook:
    """The orders of one shop: placing one takes its units from the shop's stock, and a
    cancellation or return puts them back, as marketplaces do for their sellers."""

    def __init__(self) -> None:
        self.orders: dict[str, SandboxOrder] = {}

    def place(
        self,
        shop: SandboxShop,
        order_id: str,
        lines: list[tuple[str, int]],
        now: float,
    ) -> SandboxOrder:
        wanted: dict[str, int] = {}
        for sku, quantity in lines:
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise OrderRefused(f"quantity for {sku} must be a whole number >= 1")
            wanted[sku] = wanted.get(sku, 0) + quantity
        items = {}
        for sku, quantity in wanted.items():
            item = shop.by_sku(sku)
            if item is None:
                raise OrderRefused(f"no listing with SKU {sku} in this shop")
            if item.status != "live":
                raise OrderRefused(f"{sku} is not on sale (status {item.status})")
            if item.stock < quantity:
                raise OrderRefused(f"{sku}: only {item.stock} in stock, {quantity} ordered")
            items[sku] = item
        order_lines = []
        for n, (sku, quantity) in enumerate(wanted.items(), start=1):
            item = items[sku]
            item.stock -= quantity
            item.updated_at = now
            order_lines.append(
                SandboxOrderLine(f"{order_id}-{n}", sku, item.remote_id, quantity, item.price)
            )
        order = SandboxOrder(order_id, order_lines, now, now)
        self.orders[order_id] = order
        return order

    def give_back(
        self, shop: SandboxShop, order_id: str, status: str, now: float, sku: str | None = None
    ) -> SandboxOrder:
        """Cancel (``status='cancelled'``) or return (``'returned'``) the order's active
        lines, or only the line of ``sku``; their units go back to the shop once."""
        order = self.orders.get(order_id)
        if order is None:
            raise KeyError(order_id)
        lines = [ln for ln in order.lines if ln.status == "active" and sku in (None, ln.sku)]
        if not lines:
            raise OrderRefused(f"order {order_id} has no active line to give back")
        for line in lines:
            line.status = status
            item = shop.by_sku(line.sku)
            if item is not None:
                item.stock += line.quantity
                item.updated_at = now
        order.updated_at = now
        return order

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(order) for order in self.orders.values()]

    def load(self, state: list[dict[str, Any]]) -> None:
        self.orders = {}
        for raw in state:
            lines = [SandboxOrderLine(**line) for line in raw["lines"]]
            order = SandboxOrder(**{**raw, "lines": lines})
            self.orders[order.order_id] = order

    def updated_between(self, start: float, end: float) -> list[SandboxOrder]:
        """Orders created or updated in ``[start, end]``, oldest update first."""
        found = [o for o in self.orders.values() if start <= o.updated_at <= end]
        return sorted(found, key=lambda o: (o.updated_at, o.order_id))

    def created_between(self, start: float, end: float) -> list[SandboxOrder]:
        found = [o for o in self.orders.values() if start <= o.created_at <= end]
        return sorted(found, key=lambda o: (o.created_at, o.order_id))


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

    def dump(self) -> dict[str, Any]:
        """Every live token, and which of its two halves still works (a refresh spends
        the old refresh token and the old access token, one or both may be gone)."""
        tokens = {id(t): t for t in [*self._by_access.values(), *self._by_refresh.values()]}
        return {
            "refreshes": self.refreshes,
            "tokens": [
                {
                    **asdict(token),
                    "access_valid": self._by_access.get(token.access_token) is token,
                    "refresh_valid": self._by_refresh.get(token.refresh_token) is token,
                }
                for token in tokens.values()
            ],
        }

    def load(self, state: dict[str, Any]) -> None:
        self._by_access, self._by_refresh = {}, {}
        for raw in state["tokens"]:
            fields = {k: v for k, v in raw.items() if k not in ("access_valid", "refresh_valid")}
            token = IssuedToken(**fields)
            if raw["access_valid"]:
                self._by_access[token.access_token] = token
            if raw["refresh_valid"]:
                self._by_refresh[token.refresh_token] = token
        self.refreshes = int(state["refreshes"])


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
        self.orders = OrderBook()
        self._order_seq = 0

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

    def new_order_id(self) -> str:
        """The next order id, in the platform's own style (subclasses override)."""
        self._order_seq += 1
        return f"{self.name.upper()}-{self._order_seq:08d}"

    # -- state kept across restarts (sandbox serve --state) ----------------------------
    def dump_state(self) -> dict[str, Any]:
        """What a restart must keep, as JSON: the shop, the order book and its numbering,
        and every token issued (which is what an authorized shop is). Subclasses with
        more state (uploaded images, creation times) extend it and :meth:`load_state`."""
        return {
            "shop": self.shop.dump(),
            "orders": self.orders.dump(),
            "order_seq": self._order_seq,
            "issuers": {name: issuer.dump() for name, issuer in self._issuers().items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`dump_state` gave (KeyError/TypeError when it is not)."""
        self.shop.load(state["shop"])
        self.orders.load(state["orders"])
        self._order_seq = int(state["order_seq"])
        issuers = self._issuers()
        for name, saved in state["issuers"].items():
            if name in issuers:
                issuers[name].load(saved)

    def _issuers(self) -> dict[str, TokenIssuer]:
        """Every token issuer of this platform, by attribute name, found generically so a
        new platform's tokens are kept without a hook of its own."""
        return {k: v for k, v in vars(self).items() if isinstance(v, TokenIssuer)}

    # -- the buyer -------------------------------------------------------------------
    def place_order(self, lines: list[tuple[str, int]]) -> SandboxOrder:
        """A buyer orders ``[(sku, quantity), ...]``; raises OrderRefused when it cannot."""
        return self.orders.place(self.shop, self.new_order_id(), lines, self.clock())

    def cancel_order(self, order_id: str, sku: str | None = None) -> SandboxOrder:
        return self.orders.give_back(self.shop, order_id, "cancelled", self.clock(), sku)

    def return_order(self, order_id: str, sku: str | None = None) -> SandboxOrder:
        return self.orders.give_back(self.shop, order_id, "returned", self.clock(), sku)

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
            Route("/_sandbox/orders", self._orders_endpoint, methods=["GET", "POST"]),
            Route("/_sandbox/orders/{order_id}/cancel", self._give_back_endpoint, methods=["POST"]),
            Route("/_sandbox/orders/{order_id}/return", self._give_back_endpoint, methods=["POST"]),
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

    async def _orders_endpoint(self, request: Request) -> Response:
        """Play the buyer: ``{"sku", "quantity"}`` or ``{"lines": [{"sku", "quantity"}]}``."""
        if request.method == "GET":
            return JSONResponse([_order_json(o) for o in self.orders.orders.values()])
        try:
            body = await request.json()
        except ValueError:
            body = None
        raw = body.get("lines", [body]) if isinstance(body, dict) else None
        if not isinstance(raw, list) or not raw or not all(isinstance(x, dict) for x in raw):
            return JSONResponse(
                {"error": 'body must be {"sku": ..., "quantity": n} or {"lines": [...]}'},
                status_code=422,
            )
        lines = [(str(x.get("sku", "")), x.get("quantity", 1)) for x in raw]
        try:
            order = self.place_order(lines)
        except OrderRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(_order_json(order), status_code=201)

    async def _give_back_endpoint(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        sku = None
        if await request.body():
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return JSONResponse({"error": 'body must be {"sku": ...}'}, status_code=422)
            sku = body.get("sku")
        give_back = self.return_order if request.url.path.endswith("/return") else self.cancel_order
        try:
            order = give_back(order_id, sku)
        except KeyError:
            return JSONResponse({"error": f"no order {order_id}"}, status_code=404)
        except OrderRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(_order_json(order))


def _order_json(order: SandboxOrder) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": order.status,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "lines": [
            {"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "status": ln.status}
            for ln in order.lines
        ],
    }
