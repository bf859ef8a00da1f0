"""The Lazada emulator's state: the catalog (GetProducts, CreateProduct, price/stock,
status, images) and the orders (GetOrders, GetMultipleOrderItems).

Kept apart from the gateway (:mod:`ocopsync.sandbox.lazada`, which checks keys,
signatures, tokens and quotas) so each stays readable. Payloads are read as the
platform reads them, XML or JSON (§1 of ``shared/platforms/lazada.md``); state lives
in the shared :class:`SandboxShop`, one SKU per product, and :class:`OrderBook`.

Orders follow §7 and the API pages copied in lazykern/ecommerce-api-docs
(``data/raw/lazada/apis/order-api/getorders.json`` and ``getmultipleorderitems.json``):
GetOrders takes ``created_after``/``created_before``/``update_after``/``update_before``
("after or on", "before or on", ISO 8601 with offset, error 17), one of the two
``*_after`` being mandatory, ``offset``, ``limit`` <= 100 (19), ``sort_by``
created_at|updated_at (75), ``sort_direction`` ASC|DESC (74) and ``status`` (36); it
answers ``{count, countTotal, orders[]}`` with ``statuses``, the unique item statuses.
GetMultipleOrderItems takes ``order_ids``, a JSON array like ``[42922, 32793]`` (56),
at most 50 (38), and answers ``[{order_id, order_number, order_items[]}]``, one order
item per unit. Numeric ids and times like ``2021-03-25 10:13:29 +0700`` are what a
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

import hashlib
import json
import math
from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from ocopsync.sandbox.base import OrderBook, SandboxItem, SandboxOrder, SandboxShop

SKU_ID_BASE = 20_000_000_000
"""A SKU id is its item id plus this: stable, and seeded items need no extra state."""
MAX_LIMIT = 50
MAX_SKUS = 50
MAX_SKU_LIST = 100
IMAGE_HOST = "vn-live.slatic.net"
LEAF_CATEGORIES = {10000339, 10000342, 10000366, 10000467, 10000544}
PARENT_CATEGORIES = {10000300, 10000460, 10000540}
FILTERS = {"all", "live", "inactive", "deleted", "image-missing", "pending", "rejected", "sold-out"}
DATE_FILTERS = ("create_after", "create_before", "update_after", "update_before")
PRODUCT_STATUS = {"live": "Active", "unlisted": "InActive", "pending": "Pending QC"}
PACKAGE_FIELDS = ("package_weight", "package_length", "package_width", "package_height")
SKU_STATUS = {"live": "active", "unlisted": "inactive", "pending": "active"}


class LazadaError(Exception):
    """An error envelope to answer (``{type, code, message, detail?}``, §4)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: str = "ISV",
        detail: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.detail = detail

    def body(self, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.kind, "code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        body["request_id"] = request_id
        return body


# -- payloads ------------------------------------------------------------------------


def parse_payload(text: str) -> dict[str, Any]:
    """An XML or JSON ``payload`` as nested dicts; repeated XML tags become lists."""
    text = text.strip()
    if not text:
        raise LazadaError("30", "Empty Request")
    if text.startswith("<"):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError as exc:
            raise LazadaError("5", f"Invalid Request Format: {exc}") from exc
        return {root.tag: _element(root)}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise LazadaError("5", "Invalid Request Format: payload is neither XML nor JSON") from exc
    if not isinstance(value, dict):
        raise LazadaError("5", "Invalid Request Format: payload must be an object")
    return value


def _element(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = _element(child)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(out[child.tag], list):  # _element never returns a list itself
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
    return out


def dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def whole(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None and math.isfinite(n) and n == int(n) else None


def parse_date(value: str) -> float:
    """Epoch seconds of an ISO 8601 filter date (``2018-01-01T00:00:00+0800``)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise LazadaError("17", f'"{value}" Invalid Date Format') from exc
    if moment.tzinfo is None:
        raise LazadaError("17", f'"{value}" Invalid Date Format: no time zone')
    return moment.timestamp()


def hosted_by_lazada(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(".slatic.net")


# -- the catalog ---------------------------------------------------------------------


class LazadaCatalog:
    """Product operations over the shop, answering ``data`` or raising :class:`LazadaError`."""

    max_offset = 10000

    def __init__(self, shop: SandboxShop, clock: Callable[[], float]) -> None:
        self.shop = shop
        self.clock = clock
        self._created_ms: dict[str, int] = {}
        self._last_created = 0

    def dump(self) -> dict[str, int]:
        """Creation stamps by remote id, for a sandbox kept across restarts."""
        return dict(self._created_ms)

    def load(self, stamps: dict[str, int]) -> None:
        self._created_ms = {str(k): int(v) for k, v in stamps.items()}
        self._last_created = max(self._created_ms.values(), default=0)

    def created_ms(self, item: SandboxItem) -> int:
        """When the platform recorded ``item``: distinct milliseconds in creation order.

        Seeded items are stamped lazily, in id order, from the time they were added; no
        two share a millisecond, as no seller creates products that fast on Lazada.
        """
        if len(self._created_ms) != len(self.shop.items):
            for other in self.shop.items.values():
                if other.remote_id not in self._created_ms:
                    stamp = max(int(other.updated_at * 1000), self._last_created + 1)
                    self._created_ms[other.remote_id] = self._last_created = stamp
        return self._created_ms[item.remote_id]

    @staticmethod
    def sku_id(item: SandboxItem) -> int:
        return SKU_ID_BASE + int(item.remote_id)

    def by_sku_id(self, value: Any) -> SandboxItem | None:
        sku_id = whole(value)
        if sku_id is None or sku_id <= SKU_ID_BASE:
            return None
        return self.shop.get(sku_id - SKU_ID_BASE)

    def _touch(self, item: SandboxItem) -> None:
        self.created_ms(item)
        item.updated_at = self.clock()

    def render(self, item: SandboxItem) -> dict[str, Any]:
        item_id, sku_id = int(item.remote_id), self.sku_id(item)
        data = item.data
        sku = {
            "SkuId": sku_id,
            "SellerSku": item.sku,
            "ShopSku": f"{item_id}_VNAMZ-{sku_id}",
            "Status": SKU_STATUS.get(item.status, item.status),
            "price": float(item.price),
            "special_price": 0.0,
            "quantity": item.stock,
            "Available": item.stock,
            "package_weight": data.get("package_weight", "0.5"),
            "package_length": data.get("package_length", "20"),
            "package_width": data.get("package_width", "15"),
            "package_height": data.get("package_height", "10"),
            "Images": [],
            "Url": f"https://www.lazada.vn/-i{item_id}-s{sku_id}.html",
        }
        return {
            "item_id": item_id,
            "primary_category": int(data.get("category", min(LEAF_CATEGORIES))),
            "attributes": {
                "name": item.name,
                "description": data.get("description", item.name),
                "brand": data.get("brand", "No Brand"),
            },
            "images": list(data.get("images", [])),
            "skus": [sku],
            "status": PRODUCT_STATUS.get(item.status, "Deleted"),
            "subStatus": "",
            "created_time": str(self.created_ms(item)),
            "updated_time": str(int(item.updated_at * 1000)),
        }

    # -- GetProducts -------------------------------------------------------------------
    def list_products(self, params: dict[str, str]) -> dict[str, Any]:
        status_filter = params.get("filter")
        if status_filter is None:
            raise LazadaError("MissingParameter", "The input parameter filter is mandatory")
        if status_filter not in FILTERS:
            raise LazadaError("36", "Invalid status filter")
        limit = whole(params.get("limit", "10"))
        if limit is None or not 1 <= limit <= MAX_LIMIT:
            raise LazadaError("19", f'"{params.get("limit")}" Invalid Limit (at most {MAX_LIMIT})')
        offset = whole(params.get("offset", "0"))
        if offset is None or not 0 <= offset <= self.max_offset:
            raise LazadaError("14", f'"{params.get("offset")}" Invalid Offset')
        items = self._filtered(status_filter)
        if any(name in params for name in DATE_FILTERS):
            items = self._in_window(items, params)
        if "sku_seller_list" in params:
            wanted = self._sku_list(params["sku_seller_list"])
            items = [i for i in items if i.sku in wanted]
        page = items[offset : offset + limit]
        return {"total_products": len(items), "products": [self.render(i) for i in page]}

    def _filtered(self, status_filter: str) -> list[SandboxItem]:
        """Items passing ``filter``, in creation order (insertion order, see created_ms)."""
        chosen: Callable[[SandboxItem], bool] = {
            "all": lambda i: i.status != "deleted",
            "live": lambda i: i.status == "live",
            "inactive": lambda i: i.status == "unlisted",
            "pending": lambda i: i.status == "pending",
            "deleted": lambda i: i.status == "deleted",
            "rejected": lambda i: False,
            "sold-out": lambda i: i.stock == 0 and i.status != "deleted",
            "image-missing": lambda i: not i.data.get("images") and i.status != "deleted",
        }[status_filter]
        return [i for i in self.shop.items.values() if chosen(i)]

    def _in_window(self, items: list[SandboxItem], params: dict[str, str]) -> list[SandboxItem]:
        """The date filters: "after or on" / "before or on" a date, to the second."""
        bounds = {name: parse_date(params[name]) for name in DATE_FILTERS if name in params}
        if "create_after" in bounds:  # items are in creation order: scrolling stays cheap
            since = bounds["create_after"]
            items = items[bisect_left(items, since, key=lambda i: self.created_ms(i) // 1000) :]

        def inside(item: SandboxItem) -> bool:
            created, updated = self.created_ms(item) // 1000, int(item.updated_at)
            return (
                created <= bounds.get("create_before", created)
                and updated >= bounds.get("update_after", updated)
                and updated <= bounds.get("update_before", updated)
            )

        return [i for i in items if inside(i)] if bounds.keys() - {"create_after"} else items

    @staticmethod
    def _sku_list(text: str) -> set[str]:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LazadaError("70", "You have corrupt data in your sku seller list.")
        if len(value) > MAX_SKU_LIST:
            raise LazadaError("70", f"at most {MAX_SKU_LIST} SKUs in sku_seller_list")
        return {v.strip() for v in value}

    # -- CreateProduct -----------------------------------------------------------------
    def create(self, payload: str) -> dict[str, Any]:
        product = dig(parse_payload(payload), "Request", "Product")
        if not isinstance(product, dict):
            raise LazadaError("5", "Invalid Request Format: Request.Product is required")
        category = whole(product.get("PrimaryCategory"))
        if category in PARENT_CATEGORIES:
            raise LazadaError("4134", "Please use the last level category")
        if category not in LEAF_CATEGORIES:
            raise LazadaError("201", f"Invalid CategoryId {product.get('PrimaryCategory')}")
        attributes: dict[str, Any] = dig(product, "Attributes") or {}
        if not isinstance(attributes, dict):
            raise LazadaError("5", "Invalid Request Format: Attributes must be an object")
        images = [str(u) for u in as_list(dig(product, "Images", "Image"))]
        skus = as_list(dig(product, "Skus", "Sku"))
        problems = self._create_problems(attributes, images, skus)
        if problems:
            raise LazadaError("500", "Create product failed", detail=problems)
        sku = skus[0]
        seller_sku = str(sku["SellerSku"]).strip()
        if self.shop.by_sku(seller_sku):
            raise LazadaError("4135", f"seller sku {seller_sku} (outer id) already exists")
        data = {
            "category": category,
            "images": images,
            "description": str(attributes.get("description") or ""),
            "brand": str(attributes.get("brand") or "No Brand"),
            **{k: str(sku[k]) for k in PACKAGE_FIELDS},
        }
        price = number(sku["price"]) or 0.0
        item = self.shop.add(
            seller_sku,
            str(attributes["name"]).strip(),
            round(price),
            whole(sku["quantity"]) or 0,
            data=data,
            now=self.clock(),
        )
        self.created_ms(item)
        sku_id = self.sku_id(item)
        shop_sku = f"{item.remote_id}_VNAMZ-{sku_id}"
        return {
            "item_id": int(item.remote_id),
            "sku_list": [{"seller_sku": seller_sku, "shop_sku": shop_sku, "sku_id": sku_id}],
            "item_status": "Active",
        }

    @staticmethod
    def _create_problems(
        attributes: dict[str, Any], images: list[str], skus: list[Any]
    ) -> list[dict[str, str]]:
        sku = skus[0] if len(skus) == 1 and isinstance(skus[0], dict) else {}
        seller_sku = str(sku.get("SellerSku") or "").strip()
        quantity = whole(sku.get("quantity"))
        checks = [
            ("name", bool(str(attributes.get("name") or "").strip()), "name is mandatory"),
            ("Images", bool(images), "at least one image is required"),
            *(
                ("Images", hosted_by_lazada(url), f"{url} is not a Lazada image: migrate it first")
                for url in images
            ),
            ("Skus", bool(sku), "the sandbox takes exactly one Sku"),
            ("SellerSku", bool(seller_sku), "SellerSku is mandatory"),
            ("price", (number(sku.get("price")) or 0) > 0, "price must be greater than 0"),
            ("quantity", quantity is not None and quantity >= 0, "quantity must be whole, >= 0"),
            *((n, (number(sku.get(n)) or 0) > 0, f"{n} is mandatory") for n in PACKAGE_FIELDS),
        ]
        return [
            {"field": field, "seller_sku": seller_sku, "message": message}
            for field, ok, message in checks
            if not ok
        ]

    # -- UpdatePriceQuantity -------------------------------------------------------------
    def update_price_quantity(self, payload: str) -> dict[str, Any]:
        skus = as_list(dig(parse_payload(payload), "Request", "Product", "Skus", "Sku"))
        if not skus:
            raise LazadaError("5", "Invalid Request Format: Request.Product.Skus.Sku is required")
        if len(skus) > MAX_SKUS:
            raise LazadaError("204", "Too many SKU in one request")
        failures = []
        for sku in skus:
            problem = self._apply_sku(sku) if isinstance(sku, dict) else ("Sku", "not an object")
            if problem:
                seller_sku = str(sku.get("SellerSku") or "") if isinstance(sku, dict) else ""
                field, message = problem
                failures.append({"field": field, "seller_sku": seller_sku, "message": message})
        if failures:
            raise LazadaError("501", "Update product failed", detail=failures)
        return {}

    def _apply_sku(self, sku: dict[str, Any]) -> tuple[str, str] | None:
        if sku.get("SkuId") in (None, ""):
            return (
                "SkuId",
                "The SellerSku parameter is no longer supported. "
                "Please update your parameter to use SkuId and try again",
            )
        item = self.by_sku_id(sku["SkuId"])
        if item is None:
            return "SkuId", "SKU not exist"
        if sku.get("ItemId") not in (None, "") and str(sku["ItemId"]) != item.remote_id:
            return "ItemId", "ItemId does not match SkuId"
        price = number(sku["Price"]) if "Price" in sku else None
        quantity = whole(sku["Quantity"]) if "Quantity" in sku else None
        if "Price" in sku and (price is None or price <= 0):
            return "Price", "price must be greater than 0"
        if "Quantity" in sku and (quantity is None or quantity < 0):
            return "Quantity", "quantity must be a whole number >= 0"
        if price is None and quantity is None:
            return "Price", "nothing to update: give Price or Quantity"
        self._touch(item)
        if price is not None:
            item.price = round(price)
        if quantity is not None:
            item.stock = quantity
        return None

    # -- DeactivateProduct, UpdateProduct ------------------------------------------------
    def deactivate(self, body: str) -> dict[str, Any]:
        product = dig(parse_payload(body), "Request", "Product")
        if dig(product, "ItemId") in (None, ""):
            raise LazadaError("E0001", "Parameter ItemId is mandatory")
        item = self.shop.get(str(product["ItemId"]))
        if item is None:
            raise LazadaError("E0002", "Product:item id not exist")
        for sku_id in as_list(dig(product, "Skus", "SkuId")):
            if self.by_sku_id(sku_id) is not item:
                raise LazadaError("E0003", "Seller Sku not exists")
        if item.status != "live":
            raise LazadaError("E0004", "Product Status not online")
        self._touch(item)
        item.status = "unlisted"
        return {}

    def update(self, payload: str) -> dict[str, Any]:
        product = dig(parse_payload(payload), "Request", "Product")
        if dig(product, "ItemId") in (None, ""):
            raise LazadaError("5", "Invalid Request Format: ItemId is required")
        item = self.shop.get(str(product["ItemId"]))
        if item is None:
            raise LazadaError("208", "Item not exist")
        problems = []
        status = None
        for sku in as_list(dig(product, "Skus", "Sku")):
            if not isinstance(sku, dict) or self.by_sku_id(sku.get("SkuId")) is not item:
                raise LazadaError("207", "SKU not exist")
            if {"price", "quantity", "Price", "Quantity"} & sku.keys():
                problems.append("price and stock go through /product/price_quantity/update")
            if sku.get("Status") == "inactive":
                problems.append("take a product offline with /product/deactivate")
            elif sku.get("Status") == "active":
                status = "live"
        if problems:
            detail = [{"field": "Skus", "seller_sku": item.sku, "message": p} for p in problems]
            raise LazadaError("501", "Update product failed", detail=detail)
        self._touch(item)
        if status and item.status == "unlisted":
            item.status = status
        return {"item_status": PRODUCT_STATUS.get(item.status, "Deleted")}

    # -- MigrateImage ------------------------------------------------------------------
    @staticmethod
    def migrate_image(payload: str) -> dict[str, Any]:
        url = str(dig(parse_payload(payload), "Request", "Image", "Url") or "").strip()
        if not url:
            raise LazadaError("5", "Invalid Request Format: Request.Image.Url is required")
        if urlsplit(url).scheme not in ("http", "https"):
            raise LazadaError("302", "Not supported URL")
        code = hashlib.sha256(url.encode()).hexdigest()[:32]
        return {"image": {"url": f"https://{IMAGE_HOST}/p/{code}.jpg", "hash_code": code}}


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
            for _ in range(line.quantity):
                items.append(
                    {
                        "order_item_id": int(order.order_id) + len(items) + 1,
                        "order_id": int(order.order_id),
                        "name": item.name if item else "",
                        "sku": line.sku,
                        "shop_sku": f"{line.remote_id}_VNAMZ-{sku_id}",
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
                        "product_detail_url": f"https://www.lazada.vn/-i{line.remote_id}-s{sku_id}.html",
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
