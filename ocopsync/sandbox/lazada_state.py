"""The Lazada emulator's catalog: products of one or several SKUs, read with GetProducts
and GetProduct, priced and stocked per SKU, deactivated, and their images.

Kept apart from the gateway (:mod:`ocopsync.sandbox.lazada`, which checks keys,
signatures, tokens and quotas) so each stays readable; creates and updates are in
:mod:`.lazada_writes`, orders in :mod:`.lazada_orders`. Payloads are read as the platform
reads them, XML or JSON (§1 of ``shared/platforms/lazada.md``).

State lives in the shared :class:`SandboxShop`, one :class:`SandboxItem` per SKU, so that
orders, snapshots and the buyer work by seller SKU on every platform alike. A product
is its first SKU (the "head", whose remote id is the product's ``item_id``) and the SKUs
whose ``data["item_id"]`` names it; a SKU's ``SkuId`` is its own remote id plus
:data:`SKU_ID_BASE`, so a one-SKU product keeps the ids it always had. Product fields
(category, images, description, brand, attributes, variation) are on the head.

GetProducts answers in creation order and costs O(page) (our benchmarks page through
national catalogs): the products are a list cached until an item is added or a status
changes (:meth:`SandboxShop.visible`), status filters are cached the same way, and
``sku_seller_list`` goes through the shop's SellerSku index. Only ``sold-out``,
``image-missing`` and ``deleted`` (rare, and read from stock or data that change without
notice) walk the shop.

Images (§3, MigrateImage and UploadImage pages in lazykern/ecommerce-api-docs): migrate
answers ``302`` "Not supported URL" for a non-http(s) URL or one whose file name says it
is not a JPG/PNG (the sandbox fetches nothing, so a migrated image's size is not
checked); upload takes a multipart ``image``, JPG or PNG by its bytes (otherwise ``5``,
our choice) of at most 1 MB (otherwise ``303`` "The image is too large").
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ocopsync.sandbox.base import SandboxItem, SandboxShop
from ocopsync.sandbox.lazada_payload import (
    LazadaError,
    as_list,
    dig,
    image_kind,
    number,
    parse_date,
    parse_payload,
    whole,
)

SKU_ID_BASE = 20_000_000_000
"""A SKU id is its item's remote id plus this: stable, and seeded items need no state."""
MAX_LIMIT = 50
MAX_SKUS = 50
MAX_SKU_LIST = 100
MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_HOST = "vn-live.slatic.net"
FILTERS = {"all", "live", "inactive", "deleted", "image-missing", "pending", "rejected", "sold-out"}
DATE_FILTERS = ("create_after", "create_before", "update_after", "update_before")
PRODUCT_STATUS = {"live": "Active", "unlisted": "InActive", "pending": "Pending QC"}
PACKAGE_FIELDS = ("package_weight", "package_length", "package_width", "package_height")
SKU_STATUS = {"live": "active", "unlisted": "inactive", "pending": "active"}
STATUS_FILTERS = {"live": "live", "inactive": "unlisted", "pending": "pending"}


def _newest(items: dict[str, SandboxItem], known: dict[str, int]) -> list[SandboxItem]:
    """The items not in ``known``, oldest first, found from the newest end: items are
    only ever added (ids grow), so this costs what was added, not the shop's size."""
    fresh = []
    for item in reversed(items.values()):
        if item.remote_id in known:
            break
        fresh.append(item)
    if len(known) + len(fresh) < len(items):  # out of step (a state load): walk it all
        fresh = [i for i in reversed(items.values()) if i.remote_id not in known]
    return fresh[::-1]


# -- the catalog ---------------------------------------------------------------------


class LazadaCatalog:
    """Product reads and per-SKU writes over the shop, answering ``data`` or raising
    :class:`LazadaError`."""

    max_offset = 10000

    def __init__(self, shop: SandboxShop, clock: Callable[[], float]) -> None:
        self.shop = shop
        self.clock = clock
        self._created_ms: dict[str, int] = {}
        self._last_created = 0
        self._members: dict[str, list[str]] = {}
        self._indexed: tuple[int, int] = (0, 0)
        self._seen: dict[str, int] = {}
        self._source: list[SandboxItem] | None = None
        self._lists: dict[str, list[SandboxItem]] = {}

    def dump(self) -> dict[str, int]:
        """Creation stamps by remote id, for a sandbox kept across restarts."""
        return dict(self._created_ms)

    def load(self, stamps: dict[str, int]) -> None:
        self._created_ms = {str(k): int(v) for k, v in stamps.items()}
        self._last_created = max(self._created_ms.values(), default=0)
        self._indexed = (0, 0)

    def created_ms(self, item: SandboxItem) -> int:
        """When the platform recorded ``item``: distinct milliseconds in creation order.

        Seeded items are stamped lazily, in id order, from the time they were added; no
        two share a millisecond, as no seller creates products that fast on Lazada. Only
        the items added since the last stamp are visited.
        """
        stamp = self._created_ms.get(item.remote_id)
        if stamp is not None:
            return stamp
        for other in _newest(self.shop.items, self._created_ms):
            stamp = max(int(other.updated_at * 1000), self._last_created + 1)
            self._created_ms[other.remote_id] = self._last_created = stamp
        return self._created_ms[item.remote_id]

    # -- products and their SKUs ---------------------------------------------------------
    @staticmethod
    def sku_id(item: SandboxItem) -> int:
        return SKU_ID_BASE + int(item.remote_id)

    @staticmethod
    def item_id_of(item: SandboxItem) -> str:
        return str(item.data.get("item_id") or item.remote_id)

    @classmethod
    def is_head(cls, item: SandboxItem) -> bool:
        return cls.item_id_of(item) == item.remote_id

    def by_sku_id(self, value: Any) -> SandboxItem | None:
        sku_id = whole(value)
        if sku_id is None or sku_id <= SKU_ID_BASE:
            return None
        return self.shop.get(sku_id - SKU_ID_BASE)

    def product(self, item_id: Any) -> SandboxItem | None:
        """The head of product ``item_id`` (None when there is none, or it is deleted)."""
        head = self.shop.get(str(item_id))
        return head if head is not None and self.is_head(head) else None

    def skus_of(self, head: SandboxItem) -> list[SandboxItem]:
        """The SKUs of a product, head first, deleted ones left out."""
        self._index()
        ids = self._members.get(head.remote_id, [head.remote_id])
        found = [self.shop.items.get(i) for i in ids]
        return [s for s in found if s is not None and s.status != "deleted"]

    def _all_skus(self, head: SandboxItem) -> list[SandboxItem]:
        """Every SKU of a product, deleted ones too."""
        self._index()
        ids = self._members.get(head.remote_id, [head.remote_id])
        return [s for s in (self.shop.items.get(i) for i in ids) if s is not None]

    def _index(self) -> None:
        """Bring the product -> SKUs index up to date with the items added since."""
        items = self.shop.items
        if self._indexed[0] != id(items) or self._indexed[1] > len(items):
            self._members, self._indexed, self._seen = {}, (id(items), 0), {}
        if self._indexed[1] == len(items):
            return
        for item in _newest(items, self._seen):
            self._seen[item.remote_id] = 0
            self._members.setdefault(self.item_id_of(item), []).append(item.remote_id)
        self._indexed = (id(items), len(items))

    def add_sku(
        self, seller_sku: str, name: str, price: int, stock: int, data: dict[str, Any]
    ) -> SandboxItem:
        item = self.shop.add(seller_sku, name, price, stock, data=data, now=self.clock())
        self.created_ms(item)
        return item

    def state(self, head: SandboxItem) -> str:
        """The product's status from its SKUs': live if any is, then pending, inactive."""
        statuses = {s.status for s in self.skus_of(head)} or {"deleted"}
        for status in ("live", "pending", "unlisted"):
            if status in statuses:
                return status
        return "deleted"

    def touch(self, item: SandboxItem) -> None:
        self.created_ms(item)
        item.updated_at = self.clock()

    # -- rendering ---------------------------------------------------------------------
    def render_sku(self, item: SandboxItem, item_id: str) -> dict[str, Any]:
        sku_id, data = self.sku_id(item), item.data
        sku: dict[str, Any] = {
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
            "Images": list(data.get("sku_images", [])),
            "Url": f"https://www.lazada.vn/-i{item_id}-s{sku_id}.html",
            **data.get("sku_attributes", {}),
        }
        if data.get("sale_prop"):
            sku["saleProp"] = dict(data["sale_prop"])
        return sku

    def render(self, head: SandboxItem) -> dict[str, Any]:
        data = head.data
        attributes = {
            "name": head.name,
            "description": data.get("description", head.name),
            "brand": data.get("brand", "No Brand"),
            **data.get("attributes", {}),
        }
        if data.get("brand_id"):
            attributes["brand_id"] = str(data["brand_id"])
        product: dict[str, Any] = {
            "item_id": int(head.remote_id),
            "primary_category": int(data.get("category", 10000339)),
            "attributes": attributes,
            "images": list(data.get("images", [])),
            "skus": [self.render_sku(s, head.remote_id) for s in self.skus_of(head)],
            "status": PRODUCT_STATUS.get(self.state(head), "Deleted"),
            "subStatus": "",
            "created_time": str(self.created_ms(head)),
            "updated_time": str(
                int(max(s.updated_at for s in self.skus_of(head) or [head]) * 1000)
            ),
        }
        if data.get("variation"):
            product["variation"] = {
                f"Variation{n}": {
                    "name": name,
                    "label": name,
                    "hasImage": False,
                    "customize": custom,
                    "options": list(options),
                }
                for n, (name, custom, options) in enumerate(data["variation"], start=1)
            }
        return product

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
        if "sku_seller_list" in params and status_filter != "deleted":
            items = self._by_skus(self._sku_list(params["sku_seller_list"]), status_filter)
        elif "sku_seller_list" in params:  # the SKU index holds no deleted SKU: walk them
            wanted = self._sku_list(params["sku_seller_list"])
            items = [
                p
                for p in self._filtered(status_filter)
                if any(s.sku in wanted for s in self._all_skus(p))
            ]
        else:
            items = self._filtered(status_filter)
        if any(name in params for name in DATE_FILTERS):
            items = self._in_window(items, params)
        page = items[offset : offset + limit]
        return {"total_products": len(items), "products": [self.render(i) for i in page]}

    def _matches(self, status_filter: str) -> Callable[[SandboxItem], bool]:
        return {
            "all": lambda p: self.state(p) != "deleted",
            "live": lambda p: self.state(p) == "live",
            "inactive": lambda p: self.state(p) == "unlisted",
            "pending": lambda p: self.state(p) == "pending",
            "deleted": lambda p: self.state(p) == "deleted",
            "rejected": lambda p: False,
            "sold-out": lambda p: (
                self.state(p) != "deleted" and all(s.stock == 0 for s in self.skus_of(p))
            ),
            "image-missing": lambda p: self.state(p) != "deleted" and not p.data.get("images"),
        }[status_filter]

    def products(self) -> list[SandboxItem]:
        """Every product not deleted, in creation order; cached like the shop's visible
        list (rebuilt after an item is added or a status changes)."""
        visible = self.shop.visible()
        if visible is not self._source:
            self._source, self._lists = visible, {}
        if "all" not in self._lists:
            self._lists["all"] = [i for i in visible if self.is_head(i)]
        return self._lists["all"]

    def _filtered(self, status_filter: str) -> list[SandboxItem]:
        """Products passing ``filter``, in creation order."""
        products = self.products()
        if status_filter == "all":
            return products
        if status_filter in STATUS_FILTERS:
            if status_filter not in self._lists:
                wanted = STATUS_FILTERS[status_filter]
                self._lists[status_filter] = [p for p in products if self.state(p) == wanted]
            return self._lists[status_filter]
        chosen = self._matches(status_filter)
        if status_filter == "deleted":
            heads = (i for i in self.shop.items.values() if self.is_head(i))
            return [i for i in heads if chosen(i)]
        return [p for p in products if chosen(p)]

    def _by_skus(self, wanted: set[str], status_filter: str) -> list[SandboxItem]:
        """The products of these SellerSkus (whole-word), through the SKU index."""
        chosen = self._matches(status_filter)
        heads: dict[str, SandboxItem] = {}
        for seller_sku in wanted:
            item = self.shop.by_sku(seller_sku)
            head = self.product(self.item_id_of(item)) if item is not None else None
            if head is not None and chosen(head):
                heads[head.remote_id] = head
        return sorted(heads.values(), key=self.created_ms)

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
        if sku.get("ItemId") not in (None, "") and str(sku["ItemId"]) != self.item_id_of(item):
            return "ItemId", "ItemId does not match SkuId"
        price = number(sku["Price"]) if "Price" in sku else None
        quantity = whole(sku["Quantity"]) if "Quantity" in sku else None
        if "Price" in sku and (price is None or price <= 0):
            return "Price", "price must be greater than 0"
        if "Quantity" in sku and (quantity is None or quantity < 0):
            return "Quantity", "quantity must be a whole number >= 0"
        if price is None and quantity is None:
            return "Price", "nothing to update: give Price or Quantity"
        self.touch(item)
        if price is not None:
            item.price = round(price)
        if quantity is not None:
            item.stock = quantity
        return None

    # -- DeactivateProduct -------------------------------------------------------------
    def deactivate(self, body: str) -> dict[str, Any]:
        """Every SKU of the product, or only the ``SkuId`` listed, goes inactive."""
        product = dig(parse_payload(body), "Request", "Product")
        if dig(product, "ItemId") in (None, ""):
            raise LazadaError("E0001", "Parameter ItemId is mandatory")
        head = self.product(product["ItemId"])
        if head is None:
            raise LazadaError("E0002", "Product:item id not exist")
        skus = self.skus_of(head)
        chosen = [self.by_sku_id(s) for s in as_list(dig(product, "Skus", "SkuId"))]
        if any(s is None or s not in skus for s in chosen):
            raise LazadaError("E0003", "Seller Sku not exists")
        targets = [s for s in chosen if s is not None] or skus
        if all(s.status != "live" for s in targets):
            raise LazadaError("E0004", "Product Status not online")
        for sku in targets:
            self.touch(sku)
            sku.status = "unlisted"
        return {}

    # -- MigrateImage, UploadImage -------------------------------------------------------
    @staticmethod
    def _hosted(seed: bytes) -> dict[str, Any]:
        code = hashlib.sha256(seed).hexdigest()[:32]
        return {"image": {"url": f"https://{IMAGE_HOST}/p/{code}.jpg", "hash_code": code}}

    def migrate_image(self, payload: str) -> dict[str, Any]:
        url = str(dig(parse_payload(payload), "Request", "Image", "Url") or "").strip()
        if not url:
            raise LazadaError("5", "Invalid Request Format: Request.Image.Url is required")
        path = urlsplit(url).path.lower()
        known = path.endswith((".webp", ".gif", ".bmp", ".tif", ".tiff", ".svg", ".heic"))
        if urlsplit(url).scheme not in ("http", "https") or known:
            raise LazadaError("302", "Not supported URL")
        return self._hosted(url.encode())

    def upload_image(self, files: dict[str, bytes]) -> dict[str, Any]:
        data = files.get("image")
        if data is None:
            raise LazadaError("MissingParameter", 'The input parameter "image" is mandatory')
        if image_kind(data) is None:
            raise LazadaError("5", "Invalid Request Format: the image must be a JPG or PNG")
        if len(data) > MAX_IMAGE_BYTES:
            raise LazadaError("303", "The image is too large")
        return self._hosted(data)
