"""Emulator of the Sendo Open API (open.sendo.vn), per shared/platforms/sendo.md.

It speaks the dialect documented in :mod:`ocopsync.connectors.sendo`, including the
choices made there where Sendo's docs are silent (error codes, HTTP statuses,
``error_list`` items, batch limit, unlisting through ``stock_availability``):

- ``POST /login`` issues an opaque bearer token for 8 hours (``Faults.token_ttl_s``
  overrides it), at most 5 logins a second per ``shop_key``; wrong keys are a 401
  ``invalid_credentials``; a missing, unknown or expired bearer is a 401 whose message
  is "Token is expired" (expired) or "Token is invalid";
- the product search pages with an opaque, expiring cursor (page_size clamped to 50,
  default 10); a cursor carries its page size and filters, as Sendo's does;
- ``POST /api/partner/product`` checks every required field (level-4 ``cat_4_id``,
  100..100,000-char HTML description with at most 20 ``<img>``, ``avatar.picture_url``,
  weight...); ``id: 0`` creates, approved at once (status 2), an id updates (not its SKU);
  ``stock_availability`` must be false at zero stock; ``GET /api/partner/category/{id}``
  serves a small tree whose level-4 ids are :data:`GROUP_CATEGORIES`;
- variant-price takes 1..50 items and answers per-item errors in ``error_list``;
- ``POST /api/partner/salesorder/search`` (shapes chosen in the connector's docstring,
  Sendo's own not found) filters the order book by status date (``order_status_date_from``
  and ``_to``, at most 3 Vietnam days, else a 400 ``validation``) or by order date (the last
  7 days when no date is given), optionally by ``order_status``, and pages with the same
  expiring cursor as the product search; order numbers are 12 digits, as Sendo's are;
  an order is 2 (new) while it is whole, 7 (delivered) once a line came back, 13 when
  every line is cancelled, 22 when every line is given back and one was returned; a line
  whose state differs from its order's carries ``item_status`` (13 or 22);
- every request may draw a fault: a dropped connection, a 503 ``system_busy`` envelope,
  or a 429 ``rate_limited`` envelope with ``Retry-After`` (also the per-shop quota).

Neutral item status mirrors the seller's ``stock_availability`` flag: ``live`` (true) or
``unlisted`` (false); both render as status 2 (selling), and the flag renders false when
no stock is left (e.g. after :meth:`SandboxShop.sell`). Restocking does not turn the flag
back on: the client must (the connector does for listings it saw sold out).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.base import (
    SandboxItem,
    SandboxOrder,
    SandboxPlatform,
    TokenIssuer,
    sandbox_credential,
)
from ocopsync.sandbox.faults import Fault, ShopRateLimiter

TOKEN_TTL_S = 8 * 3600.0
LOGIN_PER_S = 5
CURSOR_TTL_S = 3600.0
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_BATCH = 50
VN_TZ = timezone(timedelta(hours=7))
PICTURE = "https://media3.scdn.vn/img4/sandbox/ocop.jpg"
DEFAULT_DESCRIPTION = "<p>" + "Sản phẩm OCOP của hợp tác xã, đóng gói cẩn thận. " * 3 + "</p>"
# A small category tree (products need a level-4 id): group -> its chain, level 1 to 4.
CATEGORY_CHAINS = {
    "food": ((1, "Bách hóa Online"), (11, "Thực phẩm khô"), (111, "Đặc sản"), (1111, "Đồ khô")),
    "beverage": ((1, "Bách hóa Online"), (12, "Đồ uống"), (121, "Trà - Cà phê"), (1211, "Trà")),
    "herbal": ((2, "Sức khỏe"), (21, "Chăm sóc sức khỏe"), (211, "Thảo dược"), (2111, "Dược liệu")),
    "textile": ((3, "Thời trang"), (31, "Vải - Lụa"), (311, "Lụa tơ tằm"), (3111, "Khăn lụa")),
    "handicraft": ((4, "Nhà cửa"), (41, "Trang trí"), (411, "Thủ công mỹ nghệ"), (4111, "Mây tre")),
}
CATEGORIES: dict[int, tuple[str, int, int]] = {
    cid: (name, chain[level - 2][0] if level > 1 else 0, level)
    for chain in CATEGORY_CHAINS.values()
    for level, (cid, name) in enumerate(chain, 1)
}
GROUP_CATEGORIES = {group: chain[-1][0] for group, chain in CATEGORY_CHAINS.items()}
ORDER_STATUS_DAYS = 3
DEFAULT_ORDER_DAYS = 7
SALES_NEW, SALES_DELIVERED, SALES_CANCELLED, SALES_RETURNED = 2, 7, 13, 22
LINE_CODES = {"cancelled": SALES_CANCELLED, "returned": SALES_RETURNED}
PROMOTION_FIELDS = {"special_price", "promotion_start_date", "promotion_end_date"}
PRICE_FIELDS = {"product_id", "is_config_variant", "price", "stock_quantity", "stock_availability"}
PRICE_FIELDS |= PROMOTION_FIELDS | {"variants"}

Handler = Callable[[Request], Awaitable[Response]]


class Invalid(Exception):
    """A request field Sendo would refuse: (property, message)."""

    def __init__(self, prop: str, message: str, code: str = "validation") -> None:
        super().__init__(message)
        self.prop, self.message, self.code = prop, message, code


def envelope(result: Any) -> JSONResponse:
    return JSONResponse({"result": result, "success": True, "error": None, "status_code": 200})


def failure(
    status: int, code: str, message: str, prop: str = "", headers: dict[str, str] | None = None
) -> JSONResponse:
    detail = {"property_name": prop, "message": message, "value": None, "code": code}
    error = {"message": message, "details": message, "error_details": [detail]}
    body = {"result": None, "success": False, "error": error, "status_code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _whole(body: dict[str, Any], prop: str, minimum: int) -> int:
    value = body.get(prop)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(prop, f"{prop} must be a whole number")
    if value < minimum:
        raise Invalid(prop, f"{prop} must be at least {minimum}")
    return value


def _text(body: dict[str, Any], prop: str) -> str:
    value = body.get(prop)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(prop, f"{prop} is required")
    return value


def _flag(body: dict[str, Any], prop: str) -> bool:
    value = body.get(prop)
    if not isinstance(value, bool):
        raise Invalid(prop, f"{prop} must be true or false")
    return value


def validate_product(body: dict[str, Any]) -> dict[str, Any]:
    """The platform fields of a full product (create or update), or Invalid."""
    _text(body, "name")
    _text(body, "sku")
    _whole(body, "price", 1)
    stock = _whole(body, "stock_quantity", 0)
    if _flag(body, "stock_availability") and stock <= 0:
        raise Invalid("stock_availability", "stock_availability must be false when stock <= 0")
    cat = body.get("cat_4_id")
    if isinstance(cat, bool) or not isinstance(cat, int) or CATEGORIES.get(cat, ("", 0, 0))[2] != 4:
        raise Invalid("cat_4_id", "cat_4_id must be a level-4 category id")
    weight = _whole(body, "weight", 1)
    description = _text(body, "description")
    if not 100 <= len(description) <= 100_000:
        raise Invalid("description", "description must be 100 to 100000 characters of HTML")
    if description.lower().count("<img") > 20:
        raise Invalid("description", "description may hold at most 20 images")
    urls = []
    for picture in [body.get("avatar"), *(body.get("pictures") or [])]:
        url = picture.get("picture_url") if isinstance(picture, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Invalid("avatar.picture_url", "pictures need an http(s) picture_url")
        urls.append(url)
    if body.get("is_config_variant", False) is not False or body.get("variants"):
        raise Invalid("is_config_variant", "products with variants are not emulated")
    return {
        "cat_4_id": cat,
        "weight": weight,
        "description": description,
        "avatar": urls[0],
        "pictures": urls[1:],
    }


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

    def credentials(self) -> dict[str, str]:
        return {"shop_key": self.shop_key, "secret_key": self.secret_key}

    def connection_options(self, root: str) -> dict[str, Any]:
        return {"category_map": dict(GROUP_CATEGORIES), "default_weight_g": 500}

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def routes(self) -> list[BaseRoute]:
        product = "/api/partner/product"
        return [
            Route("/login", self._guard(self.login, login=True), methods=["POST"]),
            Route(f"{product}/search", self._guard(self.search), methods=["POST"]),
            Route(product, self._guard(self.get_product), methods=["GET"]),
            Route(product, self._guard(self.save_product), methods=["POST"]),
            Route(
                f"{product}/config/variant-price", self._guard(self.variant_price), methods=["PUT"]
            ),
            Route("/api/partner/category/{id:int}", self._guard(self.category), methods=["GET"]),
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
            "special_price": item.data.get("special_price", 0),
            "stock_quantity": item.stock,
            "stock_availability": item.status == "live" and item.stock > 0,
            "status": 1 if item.status == "pending" else 2,
            "image": item.data.get("avatar", PICTURE),
            "link": f"https://www.sendo.vn/san-pham-{item.remote_id}.html",
            "updated_at_timestamp": int(item.updated_at),
        }

    def _detail(self, item: SandboxItem) -> dict[str, Any]:
        data = item.data
        return {
            **self._row(item),
            "cat_4_id": data.get("cat_4_id", GROUP_CATEGORIES["food"]),
            "weight": data.get("weight", 500),
            "description": data.get("description", DEFAULT_DESCRIPTION),
            "avatar": {"picture_url": data.get("avatar", PICTURE)},
            "pictures": [{"picture_url": url} for url in data.get("pictures", [])],
            "is_config_variant": False,
            "attributes": [],
            "variants": [],
        }

    # -- products ------------------------------------------------------------------------
    def _cursor(self, offset: int, size: int, filters: dict[str, Any]) -> str:
        state = {"o": offset, "s": size, "f": filters, "e": self.clock() + CURSOR_TTL_S}
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()

    def _read_cursor(self, cursor: str) -> tuple[int, int, dict[str, Any]]:
        try:
            state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            offset, size, filters, expires = state["o"], state["s"], state["f"], state["e"]
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise Invalid("token", "token is invalid") from exc
        if self.clock() >= expires:
            raise Invalid("token", "token has expired, start again without it")
        return int(offset), int(size), dict(filters)

    async def search(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return failure(400, "validation", "body must be a JSON object")
        try:
            if body.get("token"):
                offset, size, filters = self._read_cursor(str(body["token"]))
            else:
                raw = body.get("page_size")
                size = DEFAULT_PAGE_SIZE if raw is None else _whole(body, "page_size", 1)
                size, offset = min(size, MAX_PAGE_SIZE), 0
                filters = {
                    k: body[k] for k in ("status", "product_name") if body.get(k) not in (None, "")
                }
        except Invalid as exc:
            return failure(400, exc.code, exc.message, exc.prop)
        items = self.shop.visible()
        if "status" in filters:
            items = [i for i in items if self._row(i)["status"] == filters["status"]]
        if "product_name" in filters:
            wanted = str(filters["product_name"]).lower()
            items = [i for i in items if wanted in i.name.lower()]
        end = offset + size
        after = self._cursor(end, size, filters) if end < len(items) else ""
        before = self._cursor(max(0, offset - size), size, filters) if offset > 0 else ""
        page = [self._row(i) for i in items[offset:end]]  # render one page, not the shop
        return envelope({"data": page, "next_token": after, "previous_token": before})

    async def get_product(self, request: Request) -> Response:
        params = request.query_params
        if params.get("id"):
            item = self.shop.get(params["id"])
        elif params.get("sku"):
            item = self.shop.by_sku(params["sku"])
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
            data = validate_product(body)
        except Invalid as exc:
            return failure(400, exc.code, exc.message, exc.prop)
        same_sku = self.shop.by_sku(body["sku"])
        status = "live" if body["stock_availability"] else "unlisted"
        if pid == 0:
            if same_sku is not None:
                return failure(409, "sku_duplicate", f"sku {body['sku']} already exists", "sku")
            item = self.shop.add(
                body["sku"],
                body["name"],
                body["price"],
                body["stock_quantity"],
                status=status,
                data=data,
                now=self.clock(),
            )
            return envelope(int(item.remote_id))
        found = self.shop.get(pid)
        if found is None:
            return failure(404, "product_not_found", "Sản phẩm không tồn tại", "id")
        if found.status == "pending":
            return failure(400, "product_locked", "product is waiting for review", "id")
        if body["sku"] != found.sku:
            return failure(400, "validation", "changing a sku is not emulated", "sku")
        found.name, found.price, found.stock = body["name"], body["price"], body["stock_quantity"]
        found.status, found.updated_at = status, self.clock()
        found.data.update(data)
        return envelope(int(found.remote_id))

    def _price_change(self, entry: Any) -> tuple[SandboxItem, dict[str, Any]]:
        """The item and the validated changes of one variant-price element, or Invalid."""
        if not isinstance(entry, dict):
            raise Invalid("product_id", "each element must be an object")
        _whole(entry, "product_id", 1)
        unknown = set(entry) - PRICE_FIELDS
        if unknown:
            raise Invalid(sorted(unknown)[0], f"unknown field(s): {', '.join(sorted(unknown))}")
        item = self.shop.get(entry["product_id"])
        if item is None:
            raise Invalid("product_id", "Sản phẩm không tồn tại", "product_not_found")
        if item.status == "pending":
            raise Invalid("product_id", "product is waiting for review", "product_locked")
        if _flag(entry, "is_config_variant") or entry.get("variants"):
            raise Invalid("is_config_variant", "the product has no variants")
        change: dict[str, Any] = {}
        if "price" in entry:
            change["price"] = _whole(entry, "price", 1)
        if "special_price" in entry:
            change["special_price"] = _whole(entry, "special_price", 0)
        if "stock_quantity" in entry:
            change["stock"] = _whole(entry, "stock_quantity", 0)
        if "stock_availability" in entry:
            change["available"] = _flag(entry, "stock_availability")
        elif "stock" in change:  # the flag as buyers saw it stays, whatever the new stock
            change["available"] = item.status == "live" and item.stock > 0
        if change.get("available") and change.get("stock", item.stock) <= 0:
            raise Invalid("stock_availability", "stock_availability must be false when stock <= 0")
        return item, change

    async def variant_price(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_BATCH:
            return failure(400, "validation", f"body must be an array of 1 to {MAX_BATCH} items")
        errors = []
        for entry in body:
            try:
                item, change = self._price_change(entry)
            except Invalid as exc:
                pid = entry.get("product_id") if isinstance(entry, dict) else None
                errors.append({"product_id": pid, "code": exc.code, "error": exc.message})
                continue
            if "price" in change:
                item.price = change["price"]
                item.data["special_price"] = 0  # a new base price cancels the promotion (§3)
            if "special_price" in change:
                item.data["special_price"] = change["special_price"]
            item.stock = change.get("stock", item.stock)
            if "available" in change:
                item.status = "live" if change["available"] else "unlisted"
            item.updated_at = self.clock()
        return envelope({"error_list": errors})

    async def category(self, request: Request) -> Response:
        parent = int(request.path_params["id"])
        if parent and parent not in CATEGORIES:
            return failure(404, "category_not_found", "category does not exist", "id")
        children = [
            {"id": cid, "name": name, "parent_id": pid, "level": level}
            for cid, (name, pid, level) in CATEGORIES.items()
            if pid == parent
        ]
        return envelope(children)

    # -- sales orders --------------------------------------------------------------------
    @staticmethod
    def _day(body: dict[str, Any], prop: str) -> date | None:
        value = body.get(prop)
        if value is None or value == "":
            return None
        try:  # the docs write yyyy/MM/dd; public clients also send yyyy-MM-dd
            return date.fromisoformat(str(value).replace("/", "-"))
        except ValueError as exc:
            raise Invalid(prop, f"{prop} must be a date yyyy/MM/dd") from exc

    def _order_filters(self, body: dict[str, Any]) -> dict[str, Any]:
        """A search as epoch bounds on the status date or the order date (cursors carry it)."""
        since, until = (
            self._day(body, "order_status_date_from"),
            self._day(body, "order_status_date_to"),
        )
        if since or until:
            if since is None or until is None:
                raise Invalid("order_status_date_from", "give order_status_date_from and _to")
            if not 0 <= (until - since).days < ORDER_STATUS_DAYS:
                raise Invalid("order_status_date_to", "order_status_date spans at most 3 days")
            by = "status"
        else:
            today = datetime.fromtimestamp(self.clock(), VN_TZ).date()
            until = self._day(body, "order_date_to") or today
            since = self._day(body, "order_date_from") or until - timedelta(DEFAULT_ORDER_DAYS - 1)
            by = "order"
        status = body.get("order_status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise Invalid("order_status", "order_status must be a whole number")
        start = datetime.combine(since, time.min, VN_TZ).timestamp()
        end = datetime.combine(until + timedelta(days=1), time.min, VN_TZ).timestamp() - 1e-6
        return {"kind": "orders", "by": by, "from": start, "to": end, "status": status}

    @staticmethod
    def _codes(order: SandboxOrder) -> tuple[int, list[int]]:
        """The order's ``order_status`` and each line's, in Sendo's enum."""
        returned = any(line.status == "returned" for line in order.lines)
        active = SALES_DELIVERED if returned else SALES_NEW
        lines = [LINE_CODES.get(line.status, active) for line in order.lines]
        if len(set(lines)) == 1:
            return lines[0], lines
        given_back = all(line.status != "active" for line in order.lines)
        return (SALES_RETURNED if given_back else active), lines

    def _sales_order(self, order: SandboxOrder) -> dict[str, Any]:
        code, line_codes = self._codes(order)
        details = []
        for line, line_code in zip(order.lines, line_codes, strict=True):
            item = self.shop.items.get(line.remote_id)
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

    async def search_orders(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return failure(400, "validation", "body must be a JSON object")
        try:
            if body.get("token"):
                offset, size, filters = self._read_cursor(str(body["token"]))
                if filters.get("kind") != "orders":
                    raise Invalid("token", "token is invalid")
            else:
                raw = body.get("page_size")
                size = DEFAULT_PAGE_SIZE if raw is None else _whole(body, "page_size", 1)
                size, offset = min(size, MAX_PAGE_SIZE), 0
                filters = self._order_filters(body)
        except Invalid as exc:
            return failure(400, exc.code, exc.message, exc.prop)
        pick = (
            self.orders.updated_between
            if filters["by"] == "status"
            else self.orders.created_between
        )
        orders = pick(filters["from"], filters["to"])
        if filters["status"] is not None:
            orders = [o for o in orders if self._codes(o)[0] == filters["status"]]
        end = offset + size
        after = self._cursor(end, size, filters) if end < len(orders) else ""
        page = [self._sales_order(o) for o in orders[offset:end]]
        return envelope({"data": page, "next_token": after})


SANDBOX = SendoSandbox
