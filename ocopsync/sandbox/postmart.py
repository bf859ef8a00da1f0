"""Emulator of ocopsync's Postmart dialect. NOT POSTMART'S REAL API: Postmart publishes none.

The dialect is ocopsync's own design and is described once, in
:mod:`ocopsync.connectors.postmart`; this module imports nothing from it. The app issues
client-credentials tokens at ``/oauth/token`` (valid one hour, or
``Faults.token_ttl_s``), answers an expired token with 401 ``token_expired`` and an
unknown one with 401 ``invalid_token``, pages at most 50 products, takes at most 50
price or stock items a request, validates creates (422 ``validation_failed``, 409
``sku_exists``), answers its per-client quota (100 requests/s, bursts of 200) with 429
``rate_limited`` and ``Retry-After``, and injects faults as 503 ``server_error`` or a
dropped connection. Orders come from the shared order book (the buyer routes under
``/_sandbox/orders``), numbered ``PM0000000001``...; the orders listing requires both ends
of its range with an offset (422 ``validation_failed`` otherwise) and writes times in
Vietnam time (+07:00), as a VNPost service would.

Discovery (our design): ``GET /api/seller/v2/categories`` (the tree of
:mod:`ocopsync.sandbox.postmart_categories`), ``.../categories/{code}/attributes`` and
``.../categories/{code}/brands?page=&limit=``; an unknown code is 404 ``not_found``, a
non-leaf 422 ``validation_failed``. A create, and ``PATCH /api/seller/v2/products/{id}``
(the content update: ``name``, ``description``, ``images``, ``attributes``, validated
like a create), missing a mandatory attribute is 422 ``attribute_required``; a
``brand_id`` must be one of the category's brands. Names are at most 200 characters,
descriptions 10000, images 1 to 10: the item limits the connector declares (our choice).

Sandbox credentials (each overridable by ``OCOPSYNC_SANDBOX_POSTMART_<KEY>``):
``client_id = sandbox-postmart-client``, ``client_secret = sandbox-postmart-secret``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

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
from ocopsync.sandbox.faults import Fault
from ocopsync.sandbox.postmart_categories import (
    KNOWN,
    LEAVES,
    attribute_problem,
    attributes_of,
    brands_of,
    category_list,
)

ACCESS_TTL_S = 3600.0
MAX_LIMIT = 50
MAX_ITEMS = 50
NAME_MAX = 200
DESCRIPTION_MAX = 10_000
IMAGES_MAX = 10
OPTIONAL = ("brand_id", "attributes")
CONTENT_FIELDS = frozenset({"name", "description", "images", "attributes"})
CATEGORIES = {
    "food": "dac-san-vung-mien",
    "beverage": "do-uong",
    "herbal": "duoc-lieu",
    "textile": "thoi-trang-det-may",
    "handicraft": "thu-cong-my-nghe",
}
STATUS_OUT = {"live": "active", "unlisted": "hidden", "pending": "pending_review"}
LINE_OUT = {"active": "ordered", "cancelled": "cancelled", "returned": "returned"}
VN_TZ = timezone(timedelta(hours=7))

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Any], Awaitable[Response]]


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": _reason(code, message)}, status_code=status, headers=headers or None
    )


def _reason(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _slug(name: str) -> str:
    """The storefront slug of a Vietnamese name: no accents, đ as d, words joined by '-'."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-") or "san-pham"


def _render(item: SandboxItem) -> dict[str, Any]:
    """A product as Postmart shows it; seeded items get a hand-made product's defaults."""
    return {
        "id": int(item.remote_id),
        "url": f"https://postmart.vn/p/{_slug(item.name)}-{item.remote_id}.html",
        "status": STATUS_OUT.get(item.status, "hidden"),
        "sku": item.sku,
        "name": item.name,
        "price": item.price,
        "stock": item.stock,
        "category_id": item.data.get("category_id", CATEGORIES["food"]),
        "weight": item.data.get("weight", 500),
        "images": item.data.get("images", []),
        "description": item.data.get("description", ""),
        "attributes": item.data.get("attributes", []),
        "brand_id": item.data.get("brand_id"),
    }


def _vn_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, VN_TZ).isoformat()


def _render_order(order: SandboxOrder) -> dict[str, Any]:
    """An order as Postmart shows it: pending until lines come back (no seller flow here)."""
    states = {line.status for line in order.lines}
    if "active" not in states:
        status = "returned" if "returned" in states else "cancelled"
    else:
        status = "delivered" if "returned" in states else "pending"
    return {
        "id": order.order_id,
        "status": status,
        "created_at": _vn_time(order.created_at),
        "updated_at": _vn_time(order.updated_at),
        "lines": [
            {
                "id": n,
                "product_id": int(line.remote_id),
                "sku": line.sku,
                "quantity": line.quantity,
                "price": line.price,
                "status": LINE_OUT[line.status],
            }
            for n, line in enumerate(order.lines, start=1)
        ],
    }


def _instant(query: Mapping[str, str], key: str) -> float:
    """Epoch seconds of a required ISO 8601 query value with an offset (ValueError if not)."""
    when = datetime.fromisoformat(query.get(key) or "missing")
    if when.tzinfo is None:
        raise ValueError(f"{key} needs an offset")
    return when.timestamp()


def _bad_amount(value: Any, field: str, least: int) -> str | None:
    ok = type(value) is int and value >= least
    return None if ok else f"{field}: expected an integer >= {least}"


def _content_problem(body: dict[str, Any]) -> str | None:
    """Name, description and images where given: what a create and an update share."""
    name = body.get("name", "x")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        return f"name: required, at most {NAME_MAX} characters"
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        return f"description: text of at most {DESCRIPTION_MAX} characters"
    images = body.get("images", ["x"])
    if not isinstance(images, list) or not images or not all(isinstance(u, str) for u in images):
        return "images: at least one image URL is required"
    if len(images) > IMAGES_MAX:
        return f"images: at most {IMAGES_MAX}"
    return None


def _create_problem(body: dict[str, Any]) -> str | None:
    for field in ("sku", "name"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            return f"{field}: required"
    amounts = {"price": 1, "stock": 0, "weight": 1}
    problems = (_bad_amount(body.get(f), f, least) for f, least in amounts.items())
    if problem := next((p for p in problems if p), None):
        return problem
    category = body.get("category_id")
    if not isinstance(category, str) or category not in LEAVES:
        return "category_id: unknown category"
    if "images" not in body:
        return "images: at least one image URL is required"
    if problem := _content_problem(body):
        return problem
    brand = body.get("brand_id")
    if brand is not None and brand not in [b["id"] for b in brands_of(category)]:
        return "brand_id: not a brand of this category"
    return None


class PostmartSandbox(SandboxPlatform):
    name = "postmart"
    rate_limit_per_s = 100.0
    rate_limit_burst = 200

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Postmart product ids are the numbers of its storefront URLs (around 43000 in 2022).
        self.shop = SandboxShop(first_id=43000)
        self.issuer = TokenIssuer(self.clock, ACCESS_TTL_S, ACCESS_TTL_S, prefix="pm")
        self.client_id = sandbox_credential("postmart", "client_id", "sandbox-postmart-client")
        self.client_secret = sandbox_credential(
            "postmart", "client_secret", "sandbox-postmart-secret"
        )

    def credentials(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def connection_options(self, root: str) -> dict[str, Any]:
        return {"category_map": dict(CATEGORIES)}

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def routes(self) -> list[BaseRoute]:
        products = "/api/seller/v2/products"
        one = products + "/{id:int}"
        categories = "/api/seller/v2/categories"
        category = categories + "/{code}"
        return [
            Route("/oauth/token", self.token, methods=["POST"]),
            Route(products, self._guard(self.list_products), methods=["GET"]),
            Route(products, self._guard(self.create_product), methods=["POST"]),
            Route(f"{products}/prices", self._guard(self._put("price", 1)), methods=["PUT"]),
            Route(f"{products}/stocks", self._guard(self._put("stock", 0)), methods=["PUT"]),
            Route(one, self._guard(self.get_product), methods=["GET"]),
            Route(one + "/hide", self._guard(self._status("unlisted")), methods=["POST"]),
            Route(one + "/show", self._guard(self._status("live")), methods=["POST"]),
            Route(one, self._guard(self.update_content), methods=["PATCH"]),
            Route("/api/seller/v2/orders", self._guard(self.list_orders), methods=["GET"]),
            Route(categories, self._guard(self.list_categories), methods=["GET"]),
            Route(f"{category}/attributes", self._guard(self.attributes), methods=["GET"]),
            Route(f"{category}/brands", self._guard(self.brands), methods=["GET"]),
        ]

    def new_order_id(self) -> str:
        self._order_seq += 1
        return f"PM{self._order_seq:010d}"

    def _throttle(self, fault: Fault | None, client: str) -> Response | None:
        if fault is Fault.RATE_LIMIT or not self.quota.allow(client):
            wait = str(max(1, math.ceil(self.quota.retry_after(client))))
            return _error(429, "rate_limited", "quota exceeded", **{"Retry-After": wait})
        return None

    def _client_of(self, request: Request, form: dict[str, str]) -> tuple[str, str]:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return "", ""
            return user, password
        return form.get("client_id", ""), form.get("client_secret", "")

    async def token(self, request: Request) -> Response:
        fault = await self.arrive()
        if fault is Fault.ERROR:
            return _error(503, "server_error", "token service unavailable")
        form = dict(parse_qsl((await request.body()).decode(errors="replace")))
        client = self._client_of(request, form)
        if client != (self.client_id, self.client_secret):
            return _error(401, "invalid_client", "client authentication failed")
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "only client_credentials is supported")
        if refused := self._throttle(fault, self.client_id):
            return refused
        ttl = self.faults.faults.token_ttl_s
        issued = self.issuer.issue(self.client_id, access_ttl=ttl)
        lifetime = ACCESS_TTL_S if ttl is None else ttl
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": math.ceil(lifetime),
            }
        )

    def _guard(self, handler: Handler) -> Endpoint:
        """Faults, the bearer token and the quota, then the handler with the parsed body."""

        async def guarded(request: Request) -> Response:
            fault = await self.arrive()
            if fault is Fault.ERROR:
                return _error(503, "server_error", "please try again later")
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            state = self.issuer.check(token) if scheme.lower() == "bearer" else "invalid"
            if state != "ok":
                code = "token_expired" if state == "expired" else "invalid_token"
                challenge = f'Bearer error="{code}"'
                return _error(401, code, f"access token {state}", **{"WWW-Authenticate": challenge})
            if refused := self._throttle(fault, self.issuer.subject_of(token) or ""):
                return refused
            raw = await request.body()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                return _error(422, "validation_failed", "body is not valid JSON")
            return await handler(request, payload)

        return guarded

    async def list_products(self, request: Request, payload: Any) -> Response:
        try:
            page = int(request.query_params.get("page", "1"))
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            return _error(422, "validation_failed", "page and limit must be integers")
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return _error(422, "validation_failed", f"page >= 1 and limit from 1 to {MAX_LIMIT}")
        items = self.shop.visible()
        sku = request.query_params.get("sku")
        if sku is not None:
            items = [i for i in items if i.sku == sku]
        ids = request.query_params.get("ids")
        if ids is not None:
            wanted = [i for i in ids.split(",") if i]
            if not 1 <= len(wanted) <= MAX_LIMIT:
                return _error(422, "validation_failed", f"ids: 1 to {MAX_LIMIT} product ids")
            chosen = set(wanted)
            items = [i for i in items if i.remote_id in chosen]
        window = items[(page - 1) * limit : page * limit]
        pagination = {"page": page, "limit": limit, "total": len(items)}
        return JSONResponse(
            {"data": {"items": [_render(i) for i in window], "pagination": pagination}}
        )

    async def list_orders(self, request: Request, payload: Any) -> Response:
        query = request.query_params
        try:
            start, end = _instant(query, "updated_from"), _instant(query, "updated_to")
            page, limit = int(query.get("page", "1")), int(query.get("limit", "20"))
        except ValueError as exc:
            reason = f"updated_from and updated_to (ISO 8601), page, limit: {exc}"
            return _error(422, "validation_failed", reason)
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return _error(422, "validation_failed", f"page >= 1 and limit from 1 to {MAX_LIMIT}")
        orders = self.orders.updated_between(start, end)
        window = orders[(page - 1) * limit : page * limit]
        pagination = {"page": page, "limit": limit, "total": len(orders)}
        return JSONResponse(
            {"data": {"items": [_render_order(o) for o in window], "pagination": pagination}}
        )

    async def get_product(self, request: Request, payload: Any) -> Response:
        item = self.shop.get(request.path_params["id"])
        if item is None:
            return _error(404, "not_found", "product not found")
        return JSONResponse({"data": _render(item)})

    async def create_product(self, request: Request, payload: Any) -> Response:
        if not isinstance(payload, dict):
            return _error(422, "validation_failed", "expected a JSON object")
        if problem := _create_problem(payload):
            return _error(422, "validation_failed", problem)
        if self.shop.by_sku(payload["sku"]) is not None:
            return _error(409, "sku_exists", "a product with this sku exists")
        if refused := attribute_problem(payload["category_id"], payload.get("attributes")):
            return _error(422, *refused)
        extra = ("category_id", "weight", "images", "description", "ocop", *OPTIONAL)
        item = self.shop.add(
            payload["sku"],
            payload["name"],
            payload["price"],
            payload["stock"],
            data={key: payload[key] for key in extra if key in payload},
            now=self.clock(),
        )
        return JSONResponse({"data": _render(item)}, status_code=201)

    async def update_content(self, request: Request, payload: Any) -> Response:
        """Only the fields sent change; attributes are replaced whole, checked against
        the product's category as a create's are."""
        item = self.shop.get(request.path_params["id"])
        if item is None:
            return _error(404, "not_found", "product not found")
        if not isinstance(payload, dict) or not payload:
            return _error(422, "validation_failed", "expected a non-empty JSON object")
        if unknown := sorted(set(payload) - CONTENT_FIELDS):
            return _error(422, "validation_failed", f"cannot change {', '.join(unknown)} here")
        if problem := _content_problem(payload):
            return _error(422, "validation_failed", problem)
        category = item.data.get("category_id", CATEGORIES["food"])
        if "attributes" in payload and (
            refused := attribute_problem(category, payload["attributes"])
        ):
            return _error(422, *refused)
        if "name" in payload:
            item.name = payload["name"]
        item.data.update({k: v for k, v in payload.items() if k != "name"})
        item.updated_at = self.clock()
        return JSONResponse({"data": _render(item)})

    async def list_categories(self, request: Request, payload: Any) -> Response:
        return JSONResponse({"data": {"items": category_list()}})

    def _leaf(self, request: Request) -> Response | None:
        code = request.path_params["code"]
        if code not in KNOWN:
            return _error(404, "not_found", "category not found")
        if code not in LEAVES:
            return _error(422, "validation_failed", "category: not a leaf")
        return None

    async def attributes(self, request: Request, payload: Any) -> Response:
        code = request.path_params["code"]
        return self._leaf(request) or JSONResponse({"data": {"items": attributes_of(code)}})

    async def brands(self, request: Request, payload: Any) -> Response:
        if refused := self._leaf(request):
            return refused
        try:
            page = int(request.query_params.get("page", "1"))
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            return _error(422, "validation_failed", "page and limit must be integers")
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return _error(422, "validation_failed", f"page >= 1 and limit from 1 to {MAX_LIMIT}")
        every = brands_of(request.path_params["code"])
        window = every[(page - 1) * limit : page * limit]
        pagination = {"page": page, "limit": limit, "total": len(every)}
        return JSONResponse({"data": {"items": window, "pagination": pagination}})

    def _put(self, field: str, least: int) -> Handler:
        """PUT of prices or stocks: each item succeeds or fails on its own."""

        async def handler(request: Request, payload: Any) -> Response:
            entries = payload.get("items") if isinstance(payload, dict) else None
            if not isinstance(entries, list) or not 0 < len(entries) <= MAX_ITEMS:
                return _error(422, "validation_failed", f"items: 1 to {MAX_ITEMS} entries")
            succeeded: list[dict[str, Any]] = []
            failed: list[dict[str, Any]] = []
            for entry in entries:
                fields = entry if isinstance(entry, dict) else {}
                item = self.shop.get(fields.get("id", ""))
                problem = _bad_amount(fields.get(field), field, least)
                if item is None:
                    failed.append({"id": fields.get("id"), **_reason("not_found", "no product")})
                elif problem:
                    failed.append(
                        {"id": int(item.remote_id), **_reason("validation_failed", problem)}
                    )
                else:
                    setattr(item, field, fields[field])  # SandboxItem.price / SandboxItem.stock
                    item.updated_at = self.clock()
                    succeeded.append({"id": int(item.remote_id)})
            return JSONResponse({"data": {"succeeded": succeeded, "failed": failed}})

        return handler

    def _status(self, status: str) -> Handler:
        async def handler(request: Request, payload: Any) -> Response:
            item = self.shop.get(request.path_params["id"])
            if item is None:
                return _error(404, "not_found", "product not found")
            item.status = status
            item.updated_at = self.clock()
            return JSONResponse({"data": _render(item)})

        return handler


SANDBOX = PostmartSandbox
