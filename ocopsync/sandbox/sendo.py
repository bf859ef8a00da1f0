"""Emulator of the Sendo Open API (open.sendo.vn), per shared/platforms/sendo.md.

It speaks the dialect documented in :mod:`ocopsync.connectors.sendo`, including the
choices made there where Sendo's docs are silent (error codes, HTTP statuses,
``error_list`` items, batch limit, unlisting through ``stock_availability``):

- ``POST /login`` issues an opaque bearer token for 8 hours (``Faults.token_ttl_s``
  overrides it), at most 5 logins a second per ``shop_key``; wrong keys are a 401
  ``invalid_credentials``; a missing, unknown or expired bearer is a 401 whose message
  is "Token is expired" (expired) or "Token is invalid";
- the product search pages with an opaque, expiring cursor (page_size clamped to 50,
  default 10); a cursor carries its page size and filters, as Sendo's does. A page costs
  O(page): the unfiltered list is the shop's cached one, a filtered one is cached until
  the shop changes. Rows carry ``is_config_variant`` (our choice: the Product list page
  we read does not show every row field) so a client knows which products to read in
  detail for their variants;
- ``POST /api/partner/product`` checks a full product (:mod:`.sendo_products`: whole
  numbers, ``null`` optional fields, level-4 ``cat_4_id``, HTML description, pictures,
  attributes against the category's, required attributes, brand, config variants);
  ``id: 0`` creates, approved at once (status 2), an id updates (not its SKU; the whole
  product is replaced, as "Create Or Update" takes the whole product);
- ``GET /api/partner/product?id=|sku=`` reads one product; ``sku`` also finds the
  product a ``variant_sku`` belongs to (our choice: Sendo documents ``sku`` only);
- ``GET /api/partner/category/{id}``, ``/category/attribute/{cat_4_id}`` and
  ``/category/brand/{cat_4_id}`` serve :mod:`.sendo_catalog`;
- ``PUT /api/partner/product/config/variant-price`` takes 1..50 items and answers
  per-item errors in ``error_list``. Sendo's docs do not say what an item that leaves out
  price, stock or availability does (public clients always send them together), so a
  partial item is refused (``validation``): a simple product's item carries ``price``,
  ``stock_quantity`` and ``stock_availability``; a config-variant product's carries
  ``stock_availability`` and, per variant it changes, ``variant_sku``, ``variant_price``
  and ``variant_quantity`` (variants left out keep their values; the product's price and
  stock are derived from its variants: the lowest price, the sum). ``is_config_variant``
  must be the product's (the docs: copy it from the detail). ``special_price`` and the
  promotion dates may be ``null`` (null leaves the promotion as it is; our choice); a
  special price above zero needs both dates (kept, and read back as
  ``promotion_from_date_timestamp``/``promotion_to_date_timestamp``); a new base
  price cancels the promotion;
- ``POST /api/partner/salesorder/search``: :mod:`.sendo_orders`;
- every request may draw a fault: a dropped connection, a 503 ``system_busy`` envelope,
  or a 429 ``rate_limited`` envelope with ``Retry-After`` (also the per-shop quota).

Neutral item status mirrors the seller's ``stock_availability`` flag: ``live`` (true) or
``unlisted`` (false); both render as status 2 (selling), and the flag renders false when
no stock is left (e.g. after :meth:`SandboxShop.sell`). Restocking does not turn the flag
back on: the client must (the connector does for listings it saw sold out). A product
with variants is one item (its SKU the product's, price the lowest variant price, stock
the sum); its variants live in ``item.data["variants"]``, are ordered by their own SKU
(:class:`~.sendo_orders.OrderShop`), show in :meth:`SendoSandbox.snapshot` under their SKU,
and :meth:`SendoSandbox.seed_with_variants` makes one as a seller would by hand.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.base import (
    SandboxItem,
    SandboxOrder,
    SandboxPlatform,
    SandboxShop,
    TokenIssuer,
    sandbox_credential,
)
from ocopsync.sandbox.faults import Fault, ShopRateLimiter
from ocopsync.sandbox.sendo_catalog import (
    GROUP_CATEGORIES,
    attributes_json,
    brands_json,
    children_json,
    leaf,
)
from ocopsync.sandbox.sendo_orders import (
    VN_TZ,
    OrderShop,
    make_cursor,
    page_size,
    read_cursor,
    search_orders,
)
from ocopsync.sandbox.sendo_prices import price_change
from ocopsync.sandbox.sendo_products import (
    Invalid,
    envelope,
    failure,
    render_attributes,
    render_variant,
    validate_product,
)

TOKEN_TTL_S = 8 * 3600.0
LOGIN_PER_S = 5
MAX_BATCH = 50
PICTURE = "https://media3.scdn.vn/img4/sandbox/ocop.jpg"
DEFAULT_DESCRIPTION = "<p>" + "Sản phẩm OCOP của hợp tác xã, đóng gói cẩn thận. " * 3 + "</p>"
Handler = Callable[[Request], Awaitable[Response]]


class SendoSandbox(SandboxPlatform):
    name = "sendo"
    rate_limit_per_s = 100.0
    rate_limit_burst = 200

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shop_key = sandbox_credential("sendo", "shop_key", "sandbox-sendo-shop-key")
        self.secret_key = sandbox_credential("sendo", "secret_key", "sandbox-sendo-secret-key")
        self.issuer = TokenIssuer(self.clock, TOKEN_TTL_S, TOKEN_TTL_S, "sendo")
        self.login_quota = ShopRateLimiter(LOGIN_PER_S, LOGIN_PER_S, self.clock)
        self.logins = 0
        self._variant_owner: dict[str, str] = {}
        self._writes = 0
        self._filtered: dict[str, tuple[list[SandboxItem], int, list[SandboxItem]]] = {}

    def credentials(self) -> dict[str, str]:
        return {"shop_key": self.shop_key, "secret_key": self.secret_key}

    def connection_options(self, root: str) -> dict[str, Any]:
        return {"category_map": dict(GROUP_CATEGORIES), "default_weight_g": 500}

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def seed_with_variants(
        self,
        sku: str,
        name: str,
        variants: list[tuple[str, str, int, int]],
        *,
        category: int = GROUP_CATEGORIES["beverage"],
    ) -> str:
        """A config-variant product as a seller makes it by hand: ``variants`` are
        ``(variant_sku, label, price, quantity)``, each label an option of the category's
        first checkout attribute (e.g. ``"100 g"`` of Khối lượng)."""
        found = leaf(category)
        axis = next(a for a in found.attributes if a.checkout) if found else None
        if axis is None:
            raise ValueError(f"category {category} takes no variants")
        options = {value: oid for oid, value in axis.values}
        kept = [
            {
                "variant_sku": vsku,
                "variant_price": price,
                "variant_quantity": quantity,
                "variant_special_price": 0,
                "variant_attributes": [
                    {"attribute_id": axis.id, "attribute_code": axis.code,
                     "option_id": options[label]}
                ],
            }
            for vsku, label, price, quantity in variants
        ]  # fmt: skip
        data = {"cat_4_id": category, "variants": kept}
        price, stock = min(v[2] for v in variants), sum(v[3] for v in variants)
        item = self.shop.add(sku, name, price, stock, data=data, now=self.clock())
        self._index(item, [])
        return item.remote_id

    # -- the buyer: variants are ordered by their own SKU ------------------------------
    def _order_shop(self) -> SandboxShop:
        return cast(SandboxShop, OrderShop(self.shop, self._owner_of))

    def place_order(self, lines: list[tuple[str, int]]) -> SandboxOrder:
        return self.orders.place(self._order_shop(), self.new_order_id(), lines, self.clock())

    def cancel_order(self, order_id: str, sku: str | None = None) -> SandboxOrder:
        return self.orders.give_back(self._order_shop(), order_id, "cancelled", self.clock(), sku)

    def return_order(self, order_id: str, sku: str | None = None) -> SandboxOrder:
        return self.orders.give_back(self._order_shop(), order_id, "returned", self.clock(), sku)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every visible item by SKU, and every variant by its own SKU (remote id
        ``"<product_id>:<variant_sku>"``, as the connector reports it)."""
        found = super().snapshot()
        for item in self.shop.visible():
            for v in item.data.get("variants", []):
                found[v["variant_sku"]] = {
                    "remote_id": f"{item.remote_id}:{v['variant_sku']}",
                    "name": item.name,
                    "price": v["variant_price"],
                    "stock": v["variant_quantity"],
                    "status": item.status,
                }
        return found

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self._variant_owner = {
            v["variant_sku"]: item.remote_id
            for item in self.shop.items.values()
            for v in item.data.get("variants", [])
        }
        self._writes += 1

    def routes(self) -> list[BaseRoute]:
        product, category = "/api/partner/product", "/api/partner/category"
        return [
            Route("/login", self._guard(self.login, login=True), methods=["POST"]),
            Route(f"{product}/search", self._guard(self.search), methods=["POST"]),
            Route(product, self._guard(self.get_product), methods=["GET"]),
            Route(product, self._guard(self.save_product), methods=["POST"]),
            Route(
                f"{product}/config/variant-price", self._guard(self.variant_price), methods=["PUT"]
            ),
            Route(f"{category}/{{id:int}}", self._guard(self.category), methods=["GET"]),
            Route(
                f"{category}/attribute/{{id:int}}", self._guard(self.attributes), methods=["GET"]
            ),
            Route(f"{category}/brand/{{id:int}}", self._guard(self.brands), methods=["GET"]),
            Route(
                "/api/partner/salesorder/search", self._guard(self.search_orders), methods=["POST"]
            ),
        ]

    def new_order_id(self) -> str:
        """Sendo order numbers are 12 digits (e.g. 142873645429 in the docs)."""
        self._order_seq += 1
        return str(142_873_645_000 + self._order_seq)

    # -- gateway -------------------------------------------------------------------------
    def _rate_limited(self, wait_s: float = 1.0) -> JSONResponse:
        retry_after = str(max(1, math.ceil(wait_s)))
        return failure(
            429, "rate_limited", "Too many requests", headers={"Retry-After": retry_after}
        )

    def _guard(self, handler: Handler, *, login: bool = False) -> Handler:
        """Faults, the bearer token and the shop's quota, as a gateway applies them."""

        async def guarded(request: Request) -> Response:
            fault = await self.arrive()
            if fault is Fault.ERROR:
                return failure(503, "system_busy", "Hệ thống đang bận, vui lòng thử lại sau")
            if fault is Fault.RATE_LIMIT:
                return self._rate_limited()
            if login:
                return await handler(request)
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            state = self.issuer.check(token.strip()) if scheme.lower() == "bearer" else "invalid"
            if state == "expired":
                return failure(401, "token_expired", "Token is expired", "Authorization")
            shop = self.issuer.subject_of(token.strip())
            if state != "ok" or shop is None:
                return failure(401, "token_invalid", "Token is invalid", "Authorization")
            if not self.quota.allow(shop):
                return self._rate_limited(self.quota.retry_after(shop))
            return await handler(request)

        return guarded

    @staticmethod
    async def _json(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    async def login(self, request: Request) -> Response:
        body = await self._json(request)
        keys = body if isinstance(body, dict) else {}
        shop_key, secret_key = keys.get("shop_key"), keys.get("secret_key")
        if not isinstance(shop_key, str) or not isinstance(secret_key, str):
            return failure(400, "validation", "shop_key and secret_key are required", "shop_key")
        if not self.login_quota.allow(shop_key):
            return self._rate_limited(self.login_quota.retry_after(shop_key))
        if not (
            hmac.compare_digest(shop_key.encode(), self.shop_key.encode())
            and hmac.compare_digest(secret_key.encode(), self.secret_key.encode())
        ):
            return failure(401, "invalid_credentials", "shop_key or secret_key is wrong")
        token = self.issuer.issue(shop_key, self.faults.faults.token_ttl_s)
        self.logins += 1
        expires = datetime.fromtimestamp(token.access_expires_at, VN_TZ)
        return envelope(
            {"token": token.access_token, "expires": expires.isoformat(timespec="seconds")}
        )

    # -- rendering -----------------------------------------------------------------------
    def _row(self, item: SandboxItem) -> dict[str, Any]:
        return {
            "id": int(item.remote_id),
            "sku": item.sku,
            "name": item.name,
            "price": item.price,
            "special_price": item.data.get("special_price") or None,
            "stock_quantity": item.stock,
            "stock_availability": item.status == "live" and item.stock > 0,
            "status": 1 if item.status == "pending" else 2,
            "is_config_variant": bool(item.data.get("variants")),
            "image": item.data.get("avatar", PICTURE),
            "link": f"https://www.sendo.vn/san-pham-{item.remote_id}.html",
            "updated_at_timestamp": int(item.updated_at),
        }

    def _detail(self, item: SandboxItem) -> dict[str, Any]:
        data = item.data
        cat = data.get("cat_4_id", GROUP_CATEGORIES["food"])
        return {
            **self._row(item),
            "cat_4_id": cat,
            "weight": data.get("weight", 500),
            "description": data.get("description", DEFAULT_DESCRIPTION),
            "avatar": {"picture_url": data.get("avatar", PICTURE)},
            "pictures": [{"picture_url": url} for url in data.get("pictures", [])],
            "brand_id": data.get("brand_id", 0),
            "brand_name": data.get("brand_name"),
            "promotion_from_date_timestamp": (data.get("promotion") or [None])[0],
            "promotion_to_date_timestamp": (data.get("promotion") or [None, None])[1],
            "attributes": render_attributes(leaf(cat), data.get("attributes", {})),
            "variants": [render_variant(v) for v in data.get("variants", [])],
        }

    # -- products ------------------------------------------------------------------------
    def _owner_of(self, sku: str) -> SandboxItem | None:
        """The product whose SKU or one of whose variant SKUs is ``sku`` (O(1))."""
        item = self.shop.by_sku(sku)
        if item is not None:
            return item
        owner = self.shop.get(self._variant_owner.get(sku, ""))
        if owner and any(v["variant_sku"] == sku for v in owner.data.get("variants", [])):
            return owner
        return None

    def _index(self, item: SandboxItem, old: list[dict[str, Any]]) -> None:
        for variant in old:
            self._variant_owner.pop(variant["variant_sku"], None)
        for variant in item.data.get("variants", []):
            self._variant_owner[variant["variant_sku"]] = item.remote_id
        self._writes += 1

    def _listing(self, filters: dict[str, Any]) -> list[SandboxItem]:
        """The visible items matching ``filters``: the shop's cached list when none, else a
        list cached until the shop changes (so paging a filtered search stays O(page))."""
        items = self.shop.visible()
        if not filters:
            return items
        key = json.dumps(filters, sort_keys=True)
        cached = self._filtered.get(key)
        if cached and cached[0] is items and cached[1] == self._writes:
            return cached[2]
        found = items
        if "status" in filters:
            found = [i for i in found if self._row(i)["status"] == filters["status"]]
        if "product_name" in filters:
            wanted = str(filters["product_name"]).lower()
            found = [i for i in found if wanted in i.name.lower()]
        self._filtered[key] = (items, self._writes, found)
        return found

    async def search(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return failure(400, "validation", "body must be a JSON object")
        try:
            if body.get("token"):
                offset, size, filters = read_cursor(self.clock(), str(body["token"]))
            else:
                size, offset = page_size(body), 0
                filters = {
                    k: body[k] for k in ("status", "product_name") if body.get(k) not in (None, "")
                }
        except Invalid as exc:
            return failure(exc.status, exc.code, exc.message, exc.prop)
        items = self._listing(filters)
        end = offset + size
        after = make_cursor(self.clock(), end, size, filters) if end < len(items) else ""
        before = make_cursor(self.clock(), max(0, offset - size), size, filters) if offset else ""
        page = [self._row(i) for i in items[offset:end]]  # render one page, not the shop
        return envelope({"data": page, "next_token": after, "previous_token": before})

    async def get_product(self, request: Request) -> Response:
        params = request.query_params
        if params.get("id"):
            item = self.shop.get(params["id"])
        elif params.get("sku"):
            item = self._owner_of(params["sku"])
        else:
            return failure(400, "validation", "id or sku is required", "id")
        if item is None:
            return failure(404, "product_not_found", "Sản phẩm không tồn tại")
        return envelope(self._detail(item))

    async def save_product(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return failure(400, "validation", "body must be a product object")
        pid = body.get("id", 0)
        try:
            if isinstance(pid, bool) or not isinstance(pid, int) or pid < 0:
                raise Invalid("id", "id must be 0 (create) or a product id (update)")
            found = self.shop.get(pid) if pid else None
            if pid and found is None:
                raise Invalid("id", "Sản phẩm không tồn tại", "product_not_found", 404)

            def taken(sku: str) -> bool:
                owner = self._owner_of(sku)
                return owner is not None and owner is not found

            checked = validate_product(body, taken)
            if found is None and taken(body["sku"]):
                raise Invalid("sku", f"sku {body['sku']} already exists", "sku_duplicate", 409)
        except Invalid as exc:
            return failure(exc.status, exc.code, exc.message, exc.prop)
        status = "live" if checked["available"] else "unlisted"
        price, stock, data = checked["price"], checked["stock"], checked["data"]
        if found is None:
            item = self.shop.add(
                body["sku"], body["name"], price, stock, status=status, data=data, now=self.clock()
            )
            self._index(item, [])
            return envelope(int(item.remote_id))
        if found.status == "pending":
            return failure(400, "product_locked", "product is waiting for review", "id")
        if body["sku"] != found.sku:
            return failure(400, "validation", "changing a sku is not emulated", "sku")
        old = found.data.get("variants", [])
        found.name, found.price, found.stock = body["name"], price, stock
        found.status, found.updated_at = status, self.clock()
        found.data.update(data)
        self._index(found, old)
        return envelope(int(found.remote_id))

    async def variant_price(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_BATCH:
            return failure(400, "validation", f"body must be an array of 1 to {MAX_BATCH} items")
        errors = []
        for entry in body:
            try:
                item, change = price_change(self.shop, entry)
            except Invalid as exc:
                pid = entry.get("product_id") if isinstance(entry, dict) else None
                errors.append({"product_id": pid, "code": exc.code, "error": exc.message})
                continue
            if change["price"] != item.price:
                # a new base price cancels the promotion (§3)
                item.data["special_price"], item.data["promotion"] = 0, None
            item.price = change["price"]
            if "special_price" in change:
                item.data["special_price"] = change["special_price"]
                item.data["promotion"] = change["promotion"] if change["special_price"] else None
            if "variants" in change:
                item.data["variants"] = change["variants"]
            item.stock = change["stock"]
            item.status = "live" if change["available"] else "unlisted"
            item.updated_at = self.clock()
            self._writes += 1
        return envelope({"error_list": errors})

    # -- categories ----------------------------------------------------------------------
    async def category(self, request: Request) -> Response:
        parent = int(request.path_params["id"])
        if parent and attributes_json(parent) is None:
            return failure(404, "category_not_found", "category does not exist", "id")
        return envelope(children_json(parent))

    async def attributes(self, request: Request) -> Response:
        found = attributes_json(int(request.path_params["id"]))
        if found is None:
            return failure(404, "category_not_found", "category does not exist", "id")
        return envelope(found)

    async def brands(self, request: Request) -> Response:
        found = brands_json(int(request.path_params["id"]))
        if found is None:
            return failure(404, "category_not_found", "category does not exist", "id")
        return envelope(found)

    # -- sales orders --------------------------------------------------------------------
    async def search_orders(self, request: Request) -> Response:
        return await search_orders(request, self.clock, self.orders, self.shop)


SANDBOX = SendoSandbox
