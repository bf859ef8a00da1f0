"""Emulator of the provincial OCOP portal's JSON REST API (ocopsync's own dialect).

The portal dialect is defined in :mod:`ocopsync.connectors.portal`; this app checks
the bearer API key (401), validates payloads (422 with a reason), pages at most 100
a page (``ids=`` filters on at most 100 comma separated ids), accepts batches of at
most 50 updates, answers its quota with HTTP 429 and ``Retry-After``, and injects
faults as HTTP 503 or a dropped connection. Orders come from the shared order book (the
buyer routes under ``/_sandbox/orders``), numbered ``DH00000001``, ``DH00000002``...
(đơn hàng); ``GET /api/v1/orders`` needs both ``updated_from`` and ``updated_to`` with
an offset (422 otherwise).

Categories: ``GET /api/v1/categories`` answers the OCOP groups and their subgroups
(:mod:`ocopsync.sandbox.portal_categories`), ``GET /api/v1/categories/{id}/attributes``
the attributes of one (404 ``not_found`` for an unknown id). A create may name a
subgroup (``category_id``, which must belong to its ``group``); its ``attributes`` are
checked against it (or against the group when none is named): a mandatory one left out
is 422 ``attribute_required``. ``PATCH /api/v1/products/{id}`` also takes the content
(``name``, ``description``, ``images``, ``attributes``), validated the same way. Names
are at most 300 characters, descriptions 5000, images 8: the item limits the connector
declares (our choice). The portal has no brands and no variants.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.base import SandboxItem, SandboxOrder, SandboxPlatform, sandbox_credential
from ocopsync.sandbox.faults import Fault
from ocopsync.sandbox.portal_categories import (
    GROUP_OF,
    LEAVES,
    attribute_problem,
    attributes_of,
    category_list,
)

MAX_PAGE_SIZE = 100
MAX_BATCH = 50
MAX_IDS = 100
STATUS_OUT = {"live": "published", "unlisted": "hidden", "pending": "pending"}
STATUS_IN = {"published": "live", "hidden": "unlisted"}
GROUPS = set(GROUP_OF.values())
NAME_MAX = 300
DESCRIPTION_MAX = 5000
IMAGES_MAX = 8
CONTENT = ("name", "description", "images", "attributes")
LINE_OUT = {"active": "placed", "cancelled": "cancelled", "returned": "returned"}

SHOWN = ("group", "category_id", "stars", "images", "description", "attributes")
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )


def _render(item: SandboxItem) -> dict[str, Any]:
    return {
        "id": item.remote_id,
        "sku": item.sku,
        "name": item.name,
        "price": item.price,
        "stock": item.stock,
        "status": STATUS_OUT.get(item.status, item.status),
        **{k: v for k, v in item.data.items() if k in SHOWN},
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _render_order(order: SandboxOrder) -> dict[str, Any]:
    states = {line.status for line in order.lines}
    status = "placed" if "active" in states else "returned" if "returned" in states else "cancelled"
    return {
        "id": order.order_id,
        "status": status,
        "created_at": _iso(order.created_at),
        "updated_at": _iso(order.updated_at),
        "lines": [
            {
                "id": line.line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "price": line.price,
                "status": LINE_OUT[line.status],
            }
            for line in order.lines
        ],
    }


def _instant(query: Mapping[str, str], key: str) -> float:
    """Epoch seconds of a required ISO 8601 query value with an offset (ValueError if not)."""
    when = datetime.fromisoformat(query.get(key) or "missing")
    if when.tzinfo is None:
        raise ValueError(f"{key} needs an offset (Z or +07:00)")
    return when.timestamp()


def _content_problem(body: dict[str, Any]) -> str | None:
    """Name, description and images, where given (a create and an update share them)."""
    name = body.get("name", "x")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        return f"name is required (at most {NAME_MAX} characters)"
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        return f"description must be text of at most {DESCRIPTION_MAX} characters"
    images = body.get("images", [])
    if not isinstance(images, list) or not all(isinstance(u, str) and u for u in images):
        return "images must be a list of URLs"
    if len(images) > IMAGES_MAX:
        return f"at most {IMAGES_MAX} images"
    return None


def _whole(value: Any, field: str, *, minimum: int) -> str | None:
    """Reason ``value`` is not a whole number >= minimum, or None when it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{field} must be a whole number"
    if value < minimum:
        return f"{field} must be at least {minimum}"
    return None


class PortalSandbox(SandboxPlatform):
    name = "portal"
    rate_limit_per_s = 200.0
    rate_limit_burst = 400

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = sandbox_credential("portal", "api_key", "sandbox-portal-key")

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/products", self._guard(self.list_products), methods=["GET"]),
            Route("/api/v1/products", self._guard(self.create_product), methods=["POST"]),
            Route("/api/v1/products/batch", self._guard(self.batch_update), methods=["POST"]),
            Route("/api/v1/products/{id}", self._guard(self.get_product), methods=["GET"]),
            Route("/api/v1/products/{id}", self._guard(self.patch_product), methods=["PATCH"]),
            Route("/api/v1/orders", self._guard(self.list_orders), methods=["GET"]),
            Route("/api/v1/categories", self._guard(self.list_categories), methods=["GET"]),
            Route(
                "/api/v1/categories/{id}/attributes",
                self._guard(self.category_attributes),
                methods=["GET"],
            ),
        ]

    def new_order_id(self) -> str:
        self._order_seq += 1
        return f"DH{self._order_seq:08d}"

    def _guard(self, handler: Handler) -> Handler:
        """Faults, the API key and the quota, in the order a real gateway applies them."""

        async def guarded(request: Request) -> Response:
            fault = await self.arrive()
            if fault is Fault.ERROR:
                return _error(503, "unavailable", "service temporarily unavailable")
            auth = request.headers.get("authorization", "")
            scheme, _, key = auth.partition(" ")
            if scheme.lower() != "bearer" or key != self.api_key:
                return _error(401, "unauthorized", "missing or invalid API key")
            if fault is Fault.RATE_LIMIT or not self.quota.allow(key):
                return _error(429, "rate_limited", "too many requests", **{"Retry-After": "1"})
            return await handler(request)

        return guarded

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    async def list_products(self, request: Request) -> Response:
        try:
            page = int(request.query_params.get("page", "1"))
            page_size = int(request.query_params.get("page_size", "50"))
        except ValueError:
            return _error(422, "invalid", "page and page_size must be whole numbers")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            return _error(422, "invalid", f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}")
        items = self.shop.visible()
        sku = request.query_params.get("sku")
        if sku is not None:
            items = [i for i in items if i.sku == sku]
        ids = request.query_params.get("ids")
        if ids is not None:
            wanted = [i for i in ids.split(",") if i]
            if not wanted or len(wanted) > MAX_IDS:
                return _error(422, "invalid", f"ids takes 1 to {MAX_IDS} comma separated ids")
            chosen = set(wanted)
            items = [i for i in items if i.remote_id in chosen]
        start = (page - 1) * page_size
        return JSONResponse(
            {
                "items": [_render(i) for i in items[start : start + page_size]],
                "page": page,
                "page_size": page_size,
                "total": len(items),
            }
        )

    async def list_orders(self, request: Request) -> Response:
        query = request.query_params
        try:
            start, end = _instant(query, "updated_from"), _instant(query, "updated_to")
            page, page_size = int(query.get("page", "1")), int(query.get("page_size", "50"))
        except ValueError as exc:
            reason = f"updated_from and updated_to (ISO 8601), page, page_size: {exc}"
            return _error(422, "invalid", reason)
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            return _error(422, "invalid", f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}")
        orders = self.orders.updated_between(start, end)
        first = (page - 1) * page_size
        return JSONResponse(
            {
                "items": [_render_order(o) for o in orders[first : first + page_size]],
                "page": page,
                "page_size": page_size,
                "total": len(orders),
            }
        )

    async def get_product(self, request: Request) -> Response:
        item = self.shop.get(request.path_params["id"])
        if item is None:
            return _error(404, "not_found", "no product with this id")
        return JSONResponse(_render(item))

    async def create_product(self, request: Request) -> Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return _error(422, "invalid", "body must be a JSON object")
        reason = self._create_problem(body)
        if reason:
            return _error(422, "invalid", reason)
        if self.shop.by_sku(body["sku"]):
            return _error(409, "duplicate_sku", f"sku {body['sku']} already exists")
        category = body.get("category_id") or body["group"]
        if refused := attribute_problem(category, body.get("attributes")):
            return _error(422, *refused)
        status = STATUS_IN.get(body.get("status", "published"), "live")
        kept = ("group", "category_id", "stars", "images", "description", "attributes")
        data = {k: body[k] for k in kept if k in body}
        item = self.shop.add(
            body["sku"],
            body["name"],
            body["price"],
            body["stock"],
            status=status,
            data=data,
            now=self.clock(),
        )
        return JSONResponse(_render(item), status_code=201)

    @staticmethod
    def _create_problem(body: dict[str, Any]) -> str | None:
        for field in ("sku", "name"):
            if not isinstance(body.get(field), str) or not body[field].strip():
                return f"{field} is required"
        problem = _whole(body.get("price"), "price", minimum=1) or _whole(
            body.get("stock"), "stock", minimum=0
        )
        if problem:
            return problem
        if body.get("group") not in GROUPS:
            return f"group must be one of {', '.join(sorted(GROUPS))}"
        category = body.get("category_id")
        if category is not None and (
            not isinstance(category, str)
            or GROUP_OF.get(category) != body["group"]
            or category not in LEAVES
        ):
            return f"category_id must be a subgroup of group {body['group']}"
        if problem := _content_problem(body):
            return problem
        if body.get("status", "published") not in STATUS_IN:
            return "status must be published or hidden"
        return None

    def _apply(self, item: SandboxItem, change: dict[str, Any]) -> str | None:
        """Apply price/stock/status from ``change``; a reason if any field is invalid."""
        allowed = {"price", "stock", "status", "id", *CONTENT}
        unknown = set(change) - allowed
        if unknown:
            return f"cannot change {', '.join(sorted(unknown))}"
        if problem := _content_problem(change):
            return problem
        if "price" in change and (p := _whole(change["price"], "price", minimum=1)):
            return p
        if "stock" in change and (p := _whole(change["stock"], "stock", minimum=0)):
            return p
        if "status" in change and change["status"] not in STATUS_IN:
            return "status must be published or hidden"
        if "price" in change:
            item.price = change["price"]
        if "stock" in change:
            item.stock = change["stock"]
        if "status" in change:
            item.status = STATUS_IN[change["status"]]
        if "name" in change:
            item.name = change["name"]
        item.data.update({k: change[k] for k in CONTENT if k in change and k != "name"})
        item.updated_at = self.clock()
        return None

    async def patch_product(self, request: Request) -> Response:
        item = self.shop.get(request.path_params["id"])
        if item is None:
            return _error(404, "not_found", "no product with this id")
        body = await self._json(request)
        if not isinstance(body, dict) or not body:
            return _error(422, "invalid", "body must be a non-empty JSON object")
        category = item.data.get("category_id") or item.data.get("group", "food")
        if "attributes" in body and (refused := attribute_problem(category, body["attributes"])):
            return _error(422, *refused)
        reason = self._apply(item, body)
        if reason:
            return _error(422, "invalid", reason)
        return JSONResponse(_render(item))

    async def list_categories(self, request: Request) -> Response:
        every = category_list()
        return JSONResponse({"items": every, "total": len(every)})

    async def category_attributes(self, request: Request) -> Response:
        category = request.path_params["id"]
        if category not in GROUP_OF:
            return _error(404, "not_found", "no category with this id")
        return JSONResponse({"items": attributes_of(category)})

    async def batch_update(self, request: Request) -> Response:
        body = await self._json(request)
        updates = body.get("updates") if isinstance(body, dict) else None
        if not isinstance(updates, list) or not updates:
            return _error(422, "invalid", "updates must be a non-empty list")
        if len(updates) > MAX_BATCH:
            return _error(422, "invalid", f"at most {MAX_BATCH} updates per batch")
        results = []
        for update in updates:
            item = self.shop.get(update.get("id", "")) if isinstance(update, dict) else None
            if item is None:
                results.append(
                    {
                        "id": str(update.get("id", "")) if isinstance(update, dict) else "",
                        "ok": False,
                        "error": {"code": "not_found", "message": "no such product"},
                    }
                )
                continue
            change = {k: v for k, v in update.items() if k != "id"}
            if set(change) - {"price", "stock"}:
                reason: str | None = "batch updates carry price and stock only"
            else:
                reason = self._apply(item, change)
            results.append(
                {
                    "id": item.remote_id,
                    "ok": reason is None,
                    **({"error": {"code": "invalid", "message": reason}} if reason else {}),
                }
            )
        return JSONResponse({"results": results})


SANDBOX = PortalSandbox
