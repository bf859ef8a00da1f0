"""The Sendo sandbox's sales-order search and the opaque cursor both searches page with.

Shapes are the ones chosen in :mod:`ocopsync.connectors.sendo` (Sendo's own not found):
``POST /api/partner/salesorder/search`` filters the order book by status date
(``order_status_date_from`` and ``_to``, at most 3 Vietnam days, else a 400
``validation``) or by order date (the last 7 days when no date is given), optionally by
``order_status``, and pages with the same expiring cursor as the product search; an
order is 2 (new) while it is whole, 7 (delivered) once a line came back, 13 when every
line is cancelled, 22 when every line is given back and one was returned; a line whose
state differs from its order's carries ``item_status`` (13 or 22). A line of a variant
carries the ``variant_sku`` as its ``sku`` (and the product's id), and takes its units
from that variant (:class:`OrderShop`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ocopsync.sandbox.base import OrderBook, SandboxItem, SandboxOrder, SandboxShop
from ocopsync.sandbox.sendo_products import Invalid, envelope, failure, whole

CURSOR_TTL_S = 3600.0
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
VN_TZ = timezone(timedelta(hours=7))
ORDER_STATUS_DAYS = 3
DEFAULT_ORDER_DAYS = 7
SALES_NEW, SALES_DELIVERED, SALES_CANCELLED, SALES_RETURNED = 2, 7, 13, 22
LINE_CODES = {"cancelled": SALES_CANCELLED, "returned": SALES_RETURNED}


def make_cursor(now: float, offset: int, size: int, filters: dict[str, Any]) -> str:
    """An opaque cursor carrying its page size and filters, expiring in an hour (as Sendo's)."""
    state = {"o": offset, "s": size, "f": filters, "e": now + CURSOR_TTL_S}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def read_cursor(now: float, cursor: str) -> tuple[int, int, dict[str, Any]]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        offset, size, filters, expires = state["o"], state["s"], state["f"], state["e"]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise Invalid("token", "token is invalid") from exc
    if now >= expires:
        raise Invalid("token", "token has expired, start again without it")
    return int(offset), int(size), dict(filters)


def page_size(body: dict[str, Any]) -> int:
    """``page_size`` clamped to 50 (default 10)."""
    size = whole(body, "page_size", 1, optional=True)
    return DEFAULT_PAGE_SIZE if size is None else min(size, MAX_PAGE_SIZE)


def _day(body: dict[str, Any], prop: str) -> date | None:
    value = body.get(prop)
    if value is None or value == "":
        return None
    try:  # the docs write yyyy/MM/dd; public clients also send yyyy-MM-dd
        return date.fromisoformat(str(value).replace("/", "-"))
    except ValueError as exc:
        raise Invalid(prop, f"{prop} must be a date yyyy/MM/dd") from exc


def order_filters(body: dict[str, Any], now: float) -> dict[str, Any]:
    """A search as epoch bounds on the status date or the order date (cursors carry it)."""
    since, until = _day(body, "order_status_date_from"), _day(body, "order_status_date_to")
    if since or until:
        if since is None or until is None:
            raise Invalid("order_status_date_from", "give order_status_date_from and _to")
        if not 0 <= (until - since).days < ORDER_STATUS_DAYS:
            raise Invalid("order_status_date_to", "order_status_date spans at most 3 days")
        by = "status"
    else:
        today = datetime.fromtimestamp(now, VN_TZ).date()
        until = _day(body, "order_date_to") or today
        since = _day(body, "order_date_from") or until - timedelta(DEFAULT_ORDER_DAYS - 1)
        by = "order"
    status = body.get("order_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise Invalid("order_status", "order_status must be a whole number")
    start = datetime.combine(since, time.min, VN_TZ).timestamp()
    end = datetime.combine(until + timedelta(days=1), time.min, VN_TZ).timestamp() - 1e-6
    return {"kind": "orders", "by": by, "from": start, "to": end, "status": status}


def codes(order: SandboxOrder) -> tuple[int, list[int]]:
    """The order's ``order_status`` and each line's, in Sendo's enum."""
    returned = any(line.status == "returned" for line in order.lines)
    active = SALES_DELIVERED if returned else SALES_NEW
    lines = [LINE_CODES.get(line.status, active) for line in order.lines]
    if len(set(lines)) == 1:
        return lines[0], lines
    given_back = all(line.status != "active" for line in order.lines)
    return (SALES_RETURNED if given_back else active), lines


def sales_order(shop: SandboxShop, order: SandboxOrder) -> dict[str, Any]:
    code, line_codes = codes(order)
    details = []
    for line, line_code in zip(order.lines, line_codes, strict=True):
        item = shop.items.get(line.remote_id)
        detail: dict[str, Any] = {
            "sku": line.sku,
            "product_variant_id": int(line.remote_id),
            "product_name": item.name if item else line.sku,
            "quantity": line.quantity,
            "price": line.price,
            "sub_total": line.price * line.quantity,
        }
        if line_code != code:
            detail["item_status"] = line_code
        details.append(detail)
    total = sum(d["sub_total"] for d in details)
    return {
        "sales_order": {
            "order_number": order.order_id,
            "order_status": code,
            "order_date_time_stamp": int(order.created_at),
            "created_date_time_stamp": int(order.created_at),
            "order_status_date_time_stamp": int(order.updated_at),
            "updated_date_time_stamp": int(order.updated_at),
            "sub_total": total,
            "total_amount": total,
        },
        "sku_details": details,
    }


async def search_orders(
    request: Request, clock: Callable[[], float], book: OrderBook, shop: SandboxShop
) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return failure(400, "validation", "body must be a JSON object")
    try:
        if body.get("token"):
            offset, size, filters = read_cursor(clock(), str(body["token"]))
            if filters.get("kind") != "orders":
                raise Invalid("token", "token is invalid")
        else:
            size, offset = page_size(body), 0
            filters = order_filters(body, clock())
    except Invalid as exc:
        return failure(exc.status, exc.code, exc.message, exc.prop)
    pick = book.updated_between if filters["by"] == "status" else book.created_between
    orders = pick(filters["from"], filters["to"])
    if filters["status"] is not None:
        orders = [o for o in orders if codes(o)[0] == filters["status"]]
    end = offset + size
    after = make_cursor(clock(), end, size, filters) if end < len(orders) else ""
    page = [sales_order(shop, o) for o in orders[offset:end]]
    return envelope({"data": page, "next_token": after})


class VariantView:
    """One variant of a config-variant product, seen by the order book as an item: its
    price and quantity, its product's id and status; a change of stock changes the
    variant's quantity and the product's total."""

    def __init__(self, item: SandboxItem, sku: str) -> None:
        self._item, self.sku = item, sku

    def _variant(self) -> dict[str, Any]:
        return next(v for v in self._item.data["variants"] if v["variant_sku"] == self.sku)

    @property
    def remote_id(self) -> str:
        return self._item.remote_id

    @property
    def status(self) -> str:
        return self._item.status

    @property
    def price(self) -> int:
        return int(self._variant()["variant_price"])

    @property
    def stock(self) -> int:
        return int(self._variant()["variant_quantity"])

    @stock.setter
    def stock(self, value: int) -> None:
        self._variant()["variant_quantity"] = value
        self._item.stock = sum(v["variant_quantity"] for v in self._item.data["variants"])

    @property
    def updated_at(self) -> float:
        return self._item.updated_at

    @updated_at.setter
    def updated_at(self, value: float) -> None:
        self._item.updated_at = value


class OrderShop:
    """The shop as the order book sees it: a variant SKU finds its :class:`VariantView`,
    so a buyer can order one size of a product sold in several."""

    def __init__(self, shop: SandboxShop, owner_of: Callable[[str], SandboxItem | None]) -> None:
        self.shop, self._owner_of = shop, owner_of
        self.items = shop.items

    def by_sku(self, sku: str) -> SandboxItem | VariantView | None:
        item = self.shop.by_sku(sku)
        if item is not None:
            return item
        owner = self._owner_of(sku)
        return VariantView(owner, sku) if owner is not None else None
