"""Emulator of ocopsync's Voso dialect. NOT VOSO'S REAL API: Voso publishes none.

The dialect is ocopsync's own design and is described once, in
:mod:`ocopsync.connectors.voso`; this module imports nothing from it. The app checks
the partner code, the 5-minute timestamp window and the HMAC signature (recomputed
here from the raw path, query and body), keeps one shop, pages with opaque cursors,
filters products on ``product_ids`` (at most 100), enforces ``limit <= 100`` and
batches of at most 100 items, validates creates, answers its per-shop quota (100
requests/s, bursts of 200) with 429 ``RATE_LIMITED`` and ``Retry-After``, and injects
faults as 503 ``INTERNAL_ERROR`` or a dropped connection. Voso signs every request and
has no tokens, so :meth:`expire_tokens` does nothing.
Orders come from the shared order book (the buyer routes under ``/_sandbox/orders``),
numbered ``VS`` + the Vietnam date (yymmdd) + a 6-digit sequence; the orders listing
requires both ends of its range (400 ``VALIDATION_ERROR`` otherwise) and pages with a
cursor on (update time, order id), so an order is never skipped between pages.

Discovery (our design, like the rest): ``GET /v1/categories`` answers the whole tree
(:mod:`ocopsync.sandbox.voso_categories`) as ``data``; ``GET /v1/categories/{id}/attributes``
a leaf's attributes; ``GET /v1/categories/{id}/brands?limit=&cursor=`` its brands, paged
like products. An unknown category is 404 ``CATEGORY_NOT_FOUND``, a non-leaf 400
``VALIDATION_ERROR``. A create (and ``PATCH .../products/{product_id}``, the content
update: ``name``, ``description``, ``images``, ``attributes``, validated like a create)
missing a mandatory attribute is 400 ``ATTRIBUTE_REQUIRED``, a value that does not fit
400 ``INVALID_ATTRIBUTE``; a ``brand_id`` must be one of the category's brands. Names
are at most 255 characters, descriptions 5000, images 1 to 9: the item limits the
connector declares (our choice, as all of this).

Sandbox credentials (each overridable by ``OCOPSYNC_SANDBOX_VOSO_<KEY>``):
``partner_code = sandbox-voso-partner``, ``secret_key = sandbox-voso-secret``,
``shop_id = 300001``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.base import SandboxItem, SandboxOrder, SandboxPlatform, sandbox_credential
from ocopsync.sandbox.faults import Fault
from ocopsync.sandbox.voso_categories import (
    KNOWN,
    LEAVES,
    attribute_problem,
    attributes_of,
    brands_of,
    category_list,
)

MAX_LIMIT = 100
MAX_ITEMS = 100
TIMESTAMP_WINDOW_MS = 5 * 60 * 1000
NAME_MAX = 255
DESCRIPTION_MAX = 5000
IMAGES_MAX = 9
OPTIONAL = ("brand_id", "attributes")
CONTENT_FIELDS = frozenset({"name", "description", "images", "attributes"})
CATEGORIES = {
    "food": 10452,
    "beverage": 10461,
    "herbal": 10477,
    "textile": 10503,
    "handicraft": 10528,
}
DEFAULT_WEIGHT_GRAM = 500
STATUS_OUT = {"live": "ACTIVE", "unlisted": "INACTIVE", "pending": "PENDING_REVIEW"}
STATUS_IN = {"ACTIVE": "live", "INACTIVE": "unlisted"}
ITEM_OUT = {"active": "ORDERED", "cancelled": "CANCELLED", "returned": "RETURNED"}
VN_TZ = timezone(timedelta(hours=7))

Handler = Callable[[Request, Any], Awaitable[Response]]


def _ok(data: Any, **beside: Any) -> JSONResponse:
    return JSONResponse({"status": 200, "error": False, "message": "OK", "data": data, **beside})


def _fail(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"status": status, "error": True, "code": code, "message": message, "data": None},
        status_code=status,
        headers=headers or None,
    )


def _render(item: SandboxItem) -> dict[str, Any]:
    """A product as Voso shows it; seeded items get the defaults a hand-made one has."""
    return {
        "product_id": item.remote_id,
        "seller_sku": item.sku,
        "name": item.name,
        "price": item.price,
        "quantity": item.stock,
        "status": STATUS_OUT.get(item.status, "INACTIVE"),
        "category_id": item.data.get("category_id", CATEGORIES["food"]),
        "weight_gram": item.data.get("weight_gram", DEFAULT_WEIGHT_GRAM),
        "images": item.data.get("images", []),
        "description": item.data.get("description", ""),
        "attributes": item.data.get("attributes", []),
        "brand_id": item.data.get("brand_id"),
    }


def _count(value: Any, field: str, low: int) -> str | None:
    """Why ``value`` is no whole number of at least ``low`` (None if it is one)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= low:
        return None
    return f"{field} must be a whole number of at least {low}"


def _text_problem(body: dict[str, Any], field: str, longest: int) -> str | None:
    text = body.get(field)
    if not isinstance(text, str) or not text.strip() or len(text) > longest:
        return f"{field} is required (text of at most {longest} characters)"
    return None


def _content_problem(body: dict[str, Any]) -> str | None:
    """Name, description and images, where given: the rules a create and an update share."""
    if "name" in body and (problem := _text_problem(body, "name", NAME_MAX)):
        return problem
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        return f"description must be text of at most {DESCRIPTION_MAX} characters"
    if "images" not in body:
        return None
    images = body["images"]
    if not isinstance(images, list) or not 1 <= len(images) <= IMAGES_MAX:
        return f"images must list 1 to {IMAGES_MAX} image URLs"
    if not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in images):
        return "every image must be an http(s) URL"
    return None


def _create_problem(body: dict[str, Any]) -> str | None:
    for field, longest in (("seller_sku", 64), ("name", NAME_MAX)):
        if problem := _text_problem(body, field, longest):
            return problem
    for field, low in (("price", 1), ("quantity", 0), ("weight_gram", 1)):
        if problem := _count(body.get(field), field, low):
            return problem
    category = body.get("category_id")
    if not isinstance(category, int) or category not in LEAVES:
        return "category_id is not a Voso leaf category"
    if "images" not in body:
        return "images must list 1 to 9 image URLs"
    if problem := _content_problem(body):
        return problem
    brand = body.get("brand_id")
    if brand is not None and brand not in [b["brand_id"] for b in brands_of(category)]:
        return "brand_id is not a brand of this category"
    return None


def _ms(epoch: float) -> int:
    return int(epoch * 1000)


def _render_order(order: SandboxOrder) -> dict[str, Any]:
    """An order as Voso shows it: waiting for the seller's approval until lines come back."""
    states = {line.status for line in order.lines}
    if "active" not in states:
        status = "RETURNED" if "returned" in states else "CANCELLED"
    else:
        status = "DELIVERED" if "returned" in states else "WAITING_APPROVAL"
    return {
        "order_id": order.order_id,
        "status": status,
        "created_at": _ms(order.created_at),
        "updated_at": _ms(order.updated_at),
        "items": [
            {
                "item_id": line.line_id,
                "product_id": line.remote_id,
                "seller_sku": line.sku,
                "quantity": line.quantity,
                "price": line.price,
                "status": ITEM_OUT[line.status],
            }
            for line in order.lines
        ],
    }


def _encode_order_cursor(order: SandboxOrder) -> str:
    return base64.urlsafe_b64encode(
        f"order:{_ms(order.updated_at)}:{order.order_id}".encode()
    ).decode()


def _decode_order_cursor(cursor: str) -> tuple[int, str] | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, rest = text.partition(":")
    stamp, _, order_id = rest.partition(":")
    return (int(stamp), order_id) if prefix == "order" and stamp.isdigit() and order_id else None


def _encode_cursor(remote_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{remote_id}".encode()).decode()


def _decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, after = text.partition(":")
    return int(after) if prefix == "after" and after.isdigit() else None


class VosoSandbox(SandboxPlatform):
    name = "voso"
    rate_limit_per_s = 100.0
    rate_limit_burst = 200

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.partner_code = sandbox_credential("voso", "partner_code", "sandbox-voso-partner")
        self.secret_key = sandbox_credential("voso", "secret_key", "sandbox-voso-secret")
        self.shop_id = sandbox_credential("voso", "shop_id", "300001")

    def credentials(self) -> dict[str, str]:
        return {
            "partner_code": self.partner_code,
            "secret_key": self.secret_key,
            "shop_id": self.shop_id,
        }

    def connection_options(self, root: str) -> dict[str, Any]:
        return {"category_map": dict(CATEGORIES)}

    def routes(self) -> list[BaseRoute]:
        base = "/v1/shops/{shop_id}/products"
        cat = "/v1/categories/{category_id}"
        return [
            Route(base, self._guard(self.list_products), methods=["GET"]),
            Route(base, self._guard(self.create_product), methods=["POST"]),
            Route(f"{base}:batchUpdate", self._guard(self.batch_update), methods=["POST"]),
            Route(f"{base}:batchStatus", self._guard(self.batch_status), methods=["POST"]),
            Route(base + "/{product_id}", self._guard(self.get_product), methods=["GET"]),
            Route(base + "/{product_id}", self._guard(self.update_content), methods=["PATCH"]),
            Route("/v1/shops/{shop_id}/orders", self._guard(self.list_orders), methods=["GET"]),
            Route("/v1/categories", self._guard(self.list_categories), methods=["GET"]),
            Route(cat + "/attributes", self._guard(self.category_attributes), methods=["GET"]),
            Route(cat + "/brands", self._guard(self.category_brands), methods=["GET"]),
        ]

    def new_order_id(self) -> str:
        self._order_seq += 1
        day = datetime.fromtimestamp(self.clock(), VN_TZ).strftime("%y%m%d")
        return f"VS{day}{self._order_seq:06d}"

    def _guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Faults, signature, shop and quota, before the handler sees the parsed body."""

        async def guarded(request: Request) -> Response:
            fault = await self.arrive()
            if fault is Fault.ERROR:
                return _fail(503, "INTERNAL_ERROR", "system busy, please retry")
            body = await request.body()
            refused = self._refuse_signature(request, body)
            if refused is not None:
                return refused
            # Shop calls count against the shop's quota; catalog-wide ones (categories)
            # against the partner's.
            shop = request.path_params.get("shop_id")
            if shop is not None and shop != self.shop_id:
                return _fail(403, "SHOP_FORBIDDEN", "this partner may not manage that shop")
            shop = shop or self.partner_code
            if fault is Fault.RATE_LIMIT or not self.quota.allow(shop):
                wait = max(1, math.ceil(self.quota.retry_after(shop)))
                return _fail(429, "RATE_LIMITED", "too many requests", **{"Retry-After": str(wait)})
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                return _fail(400, "VALIDATION_ERROR", "body is not JSON")
            return await handler(request, payload)

        return guarded

    def _refuse_signature(self, request: Request, body: bytes) -> Response | None:
        headers = request.headers
        if headers.get("x-voso-partner") != self.partner_code:
            return _fail(401, "INVALID_PARTNER", "unknown partner code")
        stamp = headers.get("x-voso-timestamp", "")
        if not stamp.isdigit() or abs(self.clock() * 1000 - int(stamp)) > TIMESTAMP_WINDOW_MS:
            return _fail(401, "TIMESTAMP_EXPIRED", "timestamp missing or outside +-5 minutes")
        # The signed target is the path below the base URL, so strip the mount prefix.
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode()  # raw_path is optional in ASGI
        path = raw_path.decode()[len(scope.get("root_path", "")) :]
        query = scope["query_string"].decode()
        target = f"{path}?{query}" if query else path
        canonical = "\n".join(
            (request.method, target, stamp, hashlib.sha256(body).hexdigest())
        ).encode()
        expected = hmac.new(self.secret_key.encode(), canonical, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-voso-signature", "")):
            return _fail(401, "INVALID_SIGNATURE", "signature does not match the request")
        return None

    async def list_products(self, request: Request, payload: Any) -> Response:
        query = request.query_params
        limit_text = query.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            return _fail(400, "VALIDATION_ERROR", f"limit must be 1 to {MAX_LIMIT}")
        limit = int(limit_text)
        after: int | None = None
        if "cursor" in query:
            after = _decode_cursor(query["cursor"])
            if after is None:
                return _fail(400, "VALIDATION_ERROR", "cursor is not one this API issued")
        wanted: list[str] = []
        if "product_ids" in query:
            wanted = [i for i in query["product_ids"].split(",") if i]
            if not 1 <= len(wanted) <= MAX_LIMIT:
                return _fail(400, "VALIDATION_ERROR", f"product_ids: 1 to {MAX_LIMIT} ids")
        # Each filter is an index lookup, so a page costs O(page), not O(shop).
        if "seller_sku" not in query and "product_ids" not in query:
            page, more = self.shop.page_after(after, limit)
        else:
            if "seller_sku" in query:
                found = self.shop.by_sku(query["seller_sku"])
                items = [found] if found is not None else []
                if "product_ids" in query:
                    items = [i for i in items if i.remote_id in set(wanted)]
            else:
                items = self.shop.visible_by_ids(wanted)
            if after is not None:
                items = [i for i in items if int(i.remote_id) > after]
            page, more = items[:limit], len(items) > limit
        return _ok(
            [_render(i) for i in page],
            next_cursor=_encode_cursor(page[-1].remote_id) if more else None,
        )

    async def list_orders(self, request: Request, payload: Any) -> Response:
        query = request.query_params
        bounds = (query.get("updated_from", ""), query.get("updated_to", ""))
        if not all(b.isdigit() for b in bounds):
            return _fail(400, "VALIDATION_ERROR", "updated_from and updated_to: Unix ms")
        limit_text = query.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            return _fail(400, "VALIDATION_ERROR", f"limit must be 1 to {MAX_LIMIT}")
        start, end = int(bounds[0]), int(bounds[1])
        near = self.orders.updated_between(start / 1000 - 1, end / 1000 + 1)
        orders = sorted(
            (o for o in near if start <= _ms(o.updated_at) <= end),
            key=lambda o: (_ms(o.updated_at), o.order_id),
        )
        if "cursor" in query:
            after = _decode_order_cursor(query["cursor"])
            if after is None:
                return _fail(400, "VALIDATION_ERROR", "cursor is not one this API issued")
            orders = [o for o in orders if (_ms(o.updated_at), o.order_id) > after]
        page = orders[: int(limit_text)]
        more = len(orders) > len(page)
        return _ok(
            [_render_order(o) for o in page],
            next_cursor=_encode_order_cursor(page[-1]) if more else None,
        )

    async def get_product(self, request: Request, payload: Any) -> Response:
        item = self.shop.get(request.path_params["product_id"])
        if item is None:
            return _fail(404, "PRODUCT_NOT_FOUND", "no product with this product_id")
        return _ok(_render(item))

    async def create_product(self, request: Request, payload: Any) -> Response:
        if not isinstance(payload, dict):
            return _fail(400, "VALIDATION_ERROR", "body must be a JSON object")
        problem = _create_problem(payload)
        if problem:
            return _fail(400, "VALIDATION_ERROR", problem)
        if self.shop.by_sku(payload["seller_sku"]):
            return _fail(409, "DUPLICATE_SKU", "seller_sku already used in this shop")
        attributes = payload.get("attributes")
        if refused := attribute_problem(payload["category_id"], attributes):
            return _fail(400, *refused)
        keep = ("category_id", "weight_gram", "images", "description", "ocop_star", *OPTIONAL)
        item = self.shop.add(
            payload["seller_sku"],
            payload["name"],
            payload["price"],
            payload["quantity"],
            data={k: payload[k] for k in keep if k in payload},
            now=self.clock(),
        )
        return _ok(_render(item))

    async def update_content(self, request: Request, payload: Any) -> Response:
        """The content update: only the fields sent change; attributes are replaced whole
        and checked against the product's category, as a create's are."""
        item = self.shop.get(request.path_params["product_id"])
        if item is None:
            return _fail(404, "PRODUCT_NOT_FOUND", "no product with this product_id")
        if not isinstance(payload, dict) or not payload:
            return _fail(400, "VALIDATION_ERROR", "body must be a non-empty JSON object")
        if unknown := sorted(set(payload) - CONTENT_FIELDS):
            reason = f"cannot change {', '.join(unknown)} here (price, quantity: :batchUpdate)"
            return _fail(400, "VALIDATION_ERROR", reason)
        if problem := _content_problem(payload):
            return _fail(400, "VALIDATION_ERROR", problem)
        category = item.data.get("category_id", CATEGORIES["food"])
        if "attributes" in payload and (
            refused := attribute_problem(category, payload["attributes"])
        ):
            return _fail(400, *refused)
        if "name" in payload:
            item.name = payload["name"]
        item.data.update({k: v for k, v in payload.items() if k != "name"})
        item.updated_at = self.clock()
        return _ok(_render(item))

    async def list_categories(self, request: Request, payload: Any) -> Response:
        return _ok(category_list())

    def _leaf(self, request: Request) -> tuple[int, Response | None]:
        text = request.path_params["category_id"]
        category = int(text) if text.isdigit() else -1
        if category not in KNOWN:
            return category, _fail(404, "CATEGORY_NOT_FOUND", "no category with this id")
        if category not in LEAVES:
            return category, _fail(400, "VALIDATION_ERROR", "category_id is not a leaf")
        return category, None

    async def category_attributes(self, request: Request, payload: Any) -> Response:
        category, refused = self._leaf(request)
        return refused or _ok(attributes_of(category))

    async def category_brands(self, request: Request, payload: Any) -> Response:
        category, refused = self._leaf(request)
        if refused:
            return refused
        limit_text = request.query_params.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            return _fail(400, "VALIDATION_ERROR", f"limit must be 1 to {MAX_LIMIT}")
        brands = brands_of(category)
        if "cursor" in request.query_params:
            after = _decode_cursor(request.query_params["cursor"])
            if after is None:
                return _fail(400, "VALIDATION_ERROR", "cursor is not one this API issued")
            brands = [b for b in brands if b["brand_id"] > after]
        page = brands[: int(limit_text)]
        more = len(brands) > len(page)
        return _ok(page, next_cursor=_encode_cursor(str(page[-1]["brand_id"])) if more else None)

    async def _each_item(
        self, payload: Any, change: Callable[[SandboxItem, dict[str, Any]], str | None]
    ) -> Response:
        """Run ``change`` on every item of a batch: one result per item, in order."""
        items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
            return _fail(400, "VALIDATION_ERROR", f"items must list 1 to {MAX_ITEMS} entries")
        results = []
        for entry in items:
            fields = entry if isinstance(entry, dict) else {}
            product_id = str(fields.get("product_id", ""))
            item = self.shop.get(product_id)
            outcome: dict[str, Any] = {"product_id": product_id, "success": True}
            if item is None:
                outcome.update(success=False, code="PRODUCT_NOT_FOUND", message="no such product")
            elif (problem := change(item, fields)) is not None:
                outcome.update(success=False, code="VALIDATION_ERROR", message=problem)
            else:
                item.updated_at = self.clock()
            results.append(outcome)
        return _ok(results)

    async def batch_update(self, request: Request, payload: Any) -> Response:
        def change(item: SandboxItem, entry: dict[str, Any]) -> str | None:
            if "price" not in entry and "quantity" not in entry:
                return "give price or quantity"
            problem = ("price" in entry and _count(entry["price"], "price", 1)) or (
                "quantity" in entry and _count(entry["quantity"], "quantity", 0)
            )
            if problem:
                return problem
            item.price = entry.get("price", item.price)
            item.stock = entry.get("quantity", item.stock)
            return None

        return await self._each_item(payload, change)

    async def batch_status(self, request: Request, payload: Any) -> Response:
        def change(item: SandboxItem, entry: dict[str, Any]) -> str | None:
            status = STATUS_IN.get(str(entry.get("status")))
            if status is None:
                return "status must be ACTIVE or INACTIVE"
            item.status = status
            return None

        return await self._each_item(payload, change)


SANDBOX = VosoSandbox
