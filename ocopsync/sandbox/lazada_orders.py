"""The Lazada emulator's orders: GetOrders and GetMultipleOrderItems over the shop's book.

Orders follow §7 of ``shared/platforms/lazada.md`` and the API pages copied in
lazykern/ecommerce-api-docs (``data/raw/lazada/apis/order-api/getorders.json`` and
``getmultipleorderitems.json``): GetOrders takes ``created_after``/``created_before``/
``update_after``/``update_before`` ("after or on", "before or on", ISO 8601 with offset,
error 17), one of the two ``*_after`` being mandatory, ``offset``, ``limit`` <= 100 (19),
``sort_by`` created_at|updated_at (75), ``sort_direction`` ASC|DESC (74) and ``status``
(36); it answers ``{count, countTotal, orders[]}`` with ``statuses``, the unique item
statuses. GetMultipleOrderItems takes ``order_ids``, a JSON array like ``[42922, 32793]``
(56), at most 50 (38), and answers ``[{order_id, order_number, order_items[]}]``, one
order item per unit. Numeric ids and times like ``2021-03-25 10:13:29 +0700`` are what a
third-party test fixture of real answers shows (found by string search); the docs'
examples show ISO 8601 and, for items, epoch milliseconds.

Our guesses: a missing ``*_after`` is ``MissingParameter``; defaults are ``limit`` 100,
``sort_by`` created_at, ``sort_direction`` DESC; dates compare to the second; ids in
``order_ids`` that match no order are left out and only none found is error 39; an
active unit is ``pending``, a cancelled one ``canceled``, a returned one ``returned``
(the sandbox's buyer never ships); item ``updated_at`` is its order's, as lines carry
no time of their own; an order's items are numbered ``order_id + 1, + 2, ...``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from ocopsync.sandbox.base import OrderBook, SandboxOrder, SandboxShop
from ocopsync.sandbox.lazada_payload import LazadaError, parse_date, whole
from ocopsync.sandbox.lazada_state import SKU_ID_BASE

# -- GetOrders, GetMultipleOrderItems --------------------------------------------------

ORDER_ID_BASE = 400_000_000_000_000
ORDER_ID_STEP = 1_000_000
"""Order ids grow by this; an order's items take the ids just above it, one per unit."""
MAX_ORDERS = 100
MAX_ORDER_IDS = 50
ORDER_DATE_FILTERS = ("created_after", "created_before", "update_after", "update_before")
ITEM_STATUS = {"active": "pending", "cancelled": "canceled", "returned": "returned"}
ORDER_STATUS_FILTERS = frozenset(
    {
        "unpaid", "pending", "packed", "canceled", "ready_to_ship", "delivered", "returned",
        "shipped", "failed", "topack", "toship", "shipping", "lost",
    }
)  # fmt: skip
VN_TIME = timezone(timedelta(hours=7))


def order_id_for(seq: int) -> str:
    return str(ORDER_ID_BASE + seq * ORDER_ID_STEP)


def lazada_time(epoch_s: float) -> str:
    """A time as order answers show it: ``2021-03-25 10:13:29 +0700`` (Vietnam time)."""
    return datetime.fromtimestamp(epoch_s, VN_TIME).strftime("%Y-%m-%d %H:%M:%S %z")


class LazadaOrderDesk:
    """GetOrders and GetMultipleOrderItems over the shop's :class:`OrderBook`."""

    def __init__(self, orders: OrderBook, shop: SandboxShop) -> None:
        self.orders = orders
        self.shop = shop

    def list_orders(self, params: dict[str, str]) -> dict[str, Any]:
        bounds = {name: parse_date(params[name]) for name in ORDER_DATE_FILTERS if name in params}
        if "created_after" not in bounds and "update_after" not in bounds:
            raise LazadaError(
                "MissingParameter",
                'The input parameter "created_after" or "update_after" is mandatory',
            )
        limit = whole(params.get("limit", str(MAX_ORDERS)))
        if limit is None or not 1 <= limit <= MAX_ORDERS:
            raise LazadaError("19", f'"{params.get("limit")}" Invalid Limit (at most {MAX_ORDERS})')
        offset = whole(params.get("offset", "0"))
        if offset is None or offset < 0:
            raise LazadaError("14", f'"{params.get("offset")}" Invalid Offset')
        sort_by = params.get("sort_by", "created_at")
        if sort_by not in ("created_at", "updated_at"):
            raise LazadaError("75", "Invalid sort filter.")
        direction = params.get("sort_direction", "DESC").upper()
        if direction not in ("ASC", "DESC"):
            raise LazadaError("74", "Invalid sort direction.")
        status = params.get("status")
        if status is not None and status not in ORDER_STATUS_FILTERS:
            raise LazadaError("36", "Invalid status filter")
        found = [
            o
            for o in self.orders.orders.values()
            if _inside(o, bounds) and (status is None or status in self._statuses(o))
        ]
        found.sort(
            key=lambda o: (o.updated_at if sort_by == "updated_at" else o.created_at, o.order_id),
            reverse=direction == "DESC",
        )
        page = found[offset : offset + limit]
        return {
            "count": len(page),
            "countTotal": len(found),
            "orders": [self.render_order(o) for o in page],
        }

    def order_items(self, params: dict[str, str]) -> list[dict[str, Any]]:
        text = params.get("order_ids")
        if not text:
            raise LazadaError("MissingParameter", 'The input parameter "order_ids" is mandatory')
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not (
            isinstance(value, list)
            and value
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise LazadaError("56", "Invalid OrdersIdList format. Must use array format [1,2]")
        if len(value) > MAX_ORDER_IDS:
            raise LazadaError("38", "Too many orders were requested")
        found = [self.orders.orders.get(str(v)) for v in dict.fromkeys(value)]
        orders = [o for o in found if o is not None]
        if not orders:
            raise LazadaError("39", "No orders were found")
        return [
            {
                "order_id": int(o.order_id),
                "order_number": int(o.order_id),
                "order_items": self.render_items(o),
            }
            for o in orders
        ]

    def render_items(self, order: SandboxOrder) -> list[dict[str, Any]]:
        """One item per unit, numbered from the order id up, in line order."""
        items: list[dict[str, Any]] = []
        for line in order.lines:
            item = self.shop.items.get(line.remote_id)
            sku_id = SKU_ID_BASE + int(line.remote_id)
            item_id = str(item.data.get("item_id") or line.remote_id) if item else line.remote_id
            for _ in range(line.quantity):
                items.append(
                    {
                        "order_item_id": int(order.order_id) + len(items) + 1,
                        "order_id": int(order.order_id),
                        "name": item.name if item else "",
                        "sku": line.sku,
                        "shop_sku": f"{item_id}_VNAMZ-{sku_id}",
                        "sku_id": sku_id,
                        "status": ITEM_STATUS.get(line.status, line.status),
                        "item_price": float(line.price),
                        "paid_price": float(line.price),
                        "currency": "VND",
                        "shipping_type": "Dropshipping",
                        "warehouse_code": "dropshipping",
                        "order_type": "Normal",
                        "reason": "",
                        "return_status": "",
                        "product_detail_url": f"https://www.lazada.vn/-i{item_id}-s{sku_id}.html",
                        "created_at": lazada_time(order.created_at),
                        "updated_at": lazada_time(order.updated_at),
                    }
                )
        return items

    def _statuses(self, order: SandboxOrder) -> list[str]:
        return list(dict.fromkeys(ITEM_STATUS.get(ln.status, ln.status) for ln in order.lines))

    def render_order(self, order: SandboxOrder) -> dict[str, Any]:
        total = sum(line.price * line.quantity for line in order.lines)
        return {
            "order_id": int(order.order_id),
            "order_number": int(order.order_id),
            "created_at": lazada_time(order.created_at),
            "updated_at": lazada_time(order.updated_at),
            "statuses": self._statuses(order),
            "items_count": sum(line.quantity for line in order.lines),
            "price": f"{total:,.2f}",
            "payment_method": "COD",
            "shipping_fee": 0.0,
            "voucher": 0.0,
            "warehouse_code": "dropshipping",
            "customer_first_name": "N***",
            "customer_last_name": "",
            "gift_option": False,
            "remarks": "",
        }


def _inside(order: SandboxOrder, bounds: dict[str, float]) -> bool:
    """The date filters, "after or on" / "before or on", to the second."""
    created, updated = int(order.created_at), int(order.updated_at)
    return bounds.get("created_after", created) <= created <= bounds.get(
        "created_before", created
    ) and bounds.get("update_after", updated) <= updated <= bounds.get("update_before", updated)
