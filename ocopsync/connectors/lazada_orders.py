"""GetOrders and GetMultipleOrderItems of the Lazada connector, as pure functions.

Orders (§7 of ``shared/platforms/lazada.md``) are read with GetOrders (``/orders/get``:
``update_after``/``update_before`` in ISO 8601 with offset, ``sort_by=updated_at``,
``offset``/``limit`` <= 100) and GetMultipleOrderItems (``/orders/items/get``:
``order_ids`` a JSON array of at most 50), per their API pages in
lazykern/ecommerce-api-docs (``data/raw/lazada/apis/order-api/getorders.json``,
``getmultipleorderitems.json``). Kept apart from the listing payloads in
:mod:`.lazada_payloads` so that each module holds one part of the dialect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ocopsync.connectors.answers import Answer, as_answer, described
from ocopsync.connectors.base import OrderLine, OrderLineStatus
from ocopsync.i18n import _

PLATFORM = "lazada"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- orders (§7 GetOrders, GetMultipleOrderItems) ----------------------------------------

ORDERS_API = "/orders/get"
ORDER_ITEMS_API = "/orders/items/get"
ORDERS_PAGE = 100
"""GetOrders' ``limit`` is at most 100 (its API page)."""
ORDER_ITEMS_BATCH = 50
"""GetMultipleOrderItems takes at most 50 ``order_ids`` (its API page)."""
MAX_RESCANS = 3
"""How often one window is paged again from offset 0 because it shrank (OrderScroll)."""
VN_TIME = timezone(timedelta(hours=7))
"""The venture's clock: order dates are sent, and shown by Lazada, in local time."""
CANCELLED_STATUSES = frozenset({"canceled", "cancelled"})
RETURNED_STATUSES = frozenset({"returned", "shipped_back", "shipped_back_success"})
"""Item statuses whose unit is back with the seller: returned by the buyer, or a failed
delivery shipped back (``shipped_back*`` are in GetOrders' status list; our reading)."""


def order_date(moment: datetime) -> str:
    """A GetOrders date filter: ISO 8601 with offset, to the second, in Vietnam time.

    The API page asks for ``YYYY-MM-DDTHH:mm:ss±HH:MM`` (error 17); a naive datetime is
    taken as UTC, the contract's zone.
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VN_TIME).replace(microsecond=0).isoformat()


def orders_query(since: datetime, until: datetime, offset: int, limit: int) -> dict[str, str]:
    """Orders updated in ``[since, until]``, oldest update first."""
    return {
        "update_after": order_date(since),
        "update_before": order_date(until),
        "sort_by": "updated_at",
        "sort_direction": "ASC",
        "offset": str(offset),
        "limit": str(limit),
    }


def order_items_query(order_ids: Sequence[str]) -> dict[str, str]:
    """``order_ids`` as the JSON array of numbers the API page shows (``[42922,32793]``)."""
    return {"order_ids": _json([int(i) for i in order_ids])}


@dataclass
class OrderScroll:
    """Offset paging over one GetOrders window, paged again when the window shrinks.

    An order updated while we page leaves the window (its ``updated_at`` passes
    ``update_before``) and every later order moves up one place, so plain offset paging
    would skip one. The total can only shrink then (new updates land after the window),
    so a smaller ``countTotal`` starts again at offset 0; the caller skips orders it has
    seen. ``countTotal`` is optional in the docs: without it, a short page ends the scan.
    """

    since: datetime
    until: datetime
    page_size: int = ORDERS_PAGE
    offset: int = 0
    total: int | None = None
    rescans: int = 0

    def params(self) -> dict[str, str]:
        return orders_query(self.since, self.until, self.offset, self.page_size)

    def advance(self, count: int, total: int | None) -> bool:
        """Move past a page of ``count`` orders; False when the window has no more."""
        shrank = total is not None and self.total is not None and total < self.total
        if total is not None:
            self.total = total
        if shrank and self.rescans < MAX_RESCANS:
            self.rescans += 1
            self.offset = 0
            return True
        following = self.offset + count
        if count < self.page_size or (total is not None and following >= total):
            return False
        self.offset = following
        return True


def _whole_id(value: Any) -> str | None:
    """A Lazada id: a number in answers, a string of digits in the docs' examples."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def order_time(value: Any) -> datetime | None:
    """A Lazada time as an aware UTC datetime, None when unreadable.

    Answers carry ``2021-03-25 10:13:29 +0700``; the API pages show ISO 8601 with an
    offset for orders and epoch milliseconds for order items: all three are read. A
    time without a zone is refused, as its moment is unknown.
    """
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
        try:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _count(answer: Answer, key: str) -> int | None:
    value = answer.get(key)
    if value is None:
        return None
    found = _whole_id(value)
    if found is None:
        raise answer.fail(_("should be a count, got {got}").format(got=described(value)), key)
    return int(found)


def orders_page(body: Any) -> tuple[list[str], int | None]:
    """The order ids of one GetOrders answer and its ``countTotal`` (None if absent)."""
    data = as_answer(body, PLATFORM).obj("data")
    total = _count(data, "countTotal")
    if data.get("orders") is None and _count(data, "count") == 0:
        return [], total
    ids = []
    for order in data.items("orders"):
        order_id = _whole_id(order.get("order_id"))
        if order_id is None:
            raise order.fail(_("should be a numeric id"), "order_id")
        ids.append(order_id)
    return ids, total


def order_line_status(status: str) -> OrderLineStatus:
    """What an item status does to stock: every status but a cancellation or a return
    (unpaid, pending, packed, shipped, delivered, lost, ...) has the unit out of the shop."""
    status = status.strip().lower()
    if status in CANCELLED_STATUSES:
        return OrderLineStatus.CANCELLED
    if status in RETURNED_STATUSES:
        return OrderLineStatus.RETURNED
    return OrderLineStatus.ACTIVE


def _time(answer: Answer, key: str) -> datetime:
    moment = order_time(answer.get(key))
    if moment is None:
        detail = _("should be a time with a zone, got {got}").format(got=described(answer.get(key)))
        raise answer.fail(detail, key)
    return moment


def _order_line(order_id: str, item: Answer) -> OrderLine:
    line_id = _whole_id(item.get("order_item_id"))
    if line_id is None:
        raise item.fail(_("should be a numeric id"), "order_item_id")
    created, updated = _time(item, "created_at"), _time(item, "updated_at")
    sku, status = item.text("sku"), item.text("status")
    # One order item is one unit on Lazada: an order of 3 units has 3 items (§7).
    return OrderLine(order_id, line_id, sku, 1, order_line_status(status), created, updated)


def order_lines(body: Any, order_ids: Sequence[str]) -> list[OrderLine]:
    """One line per order item of a GetMultipleOrderItems answer for ``order_ids``.

    An order we asked for and did not get back is an error, not zero sales: counting
    from orders must never undercount in silence.
    """
    answer = as_answer(body, PLATFORM)
    lines: list[OrderLine] = []
    found: set[str] = set()
    for entry in answer.items("data"):
        order_id = _whole_id(entry.get("order_id"))
        if order_id is None:
            raise entry.fail(_("should be a numeric id"), "order_id")
        found.add(order_id)
        lines.extend(_order_line(order_id, item) for item in entry.items("order_items"))
    missing = [i for i in order_ids if i not in found]
    if missing:
        detail = _("no items for order(s) {orders}").format(orders=", ".join(missing[:5]))
        raise answer.fail(detail, "data")
    return lines
