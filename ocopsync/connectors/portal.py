"""Connector for a provincial OCOP portal: a JSON REST API with a bearer API key.

Provincial portals publish no common API, so this dialect is ocopsync's own design,
kept in this one module (and emulated by :mod:`ocopsync.sandbox.portal`):

- ``Authorization: Bearer <api_key>`` on every call;
- ``GET  /api/v1/products?page=&page_size=`` (<= 100) -> ``{items, page, page_size, total}``,
  with an optional ``sku=`` filter;
- ``POST /api/v1/products`` -> 201 with the item; 409 ``duplicate_sku`` when the SKU exists;
- ``PATCH /api/v1/products/{id}`` with ``price``, ``stock`` and/or ``status``
  (``published`` | ``hidden``);
- ``POST /api/v1/products/batch`` ``{"updates": [{id, price?, stock?}]}`` (<= 50) ->
  ``{"results": [{id, ok, error?}]}``;
- ``GET  /api/v1/orders?updated_from=&updated_to=&page=&page_size=`` (<= 100; both ends
  ISO 8601 with an offset, inclusive) -> ``{items: [{id, status, created_at, updated_at,
  lines: [{id, sku, quantity, price, status}]}], page, page_size, total}``: the orders
  created or last updated in the range, oldest update first; order and line statuses are
  ``placed`` | ``cancelled`` | ``returned`` (a line's own status is what counts: an order
  stays ``placed`` while any line is);
- errors ``{"error": {"code", "message"}}`` with 401, 404, 409, 422, 429 (+ Retry-After), 5xx.

A 2xx answer that is not JSON, or an order with a missing or mistyped field, is a
TransientError ``bad_answer``: retried like a failed call, this connection's error after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from ocopsync.connectors.base import (
    Capabilities,
    ConnectorContext,
    CredentialStatus,
    ItemResult,
    ListingDraft,
    ListingStatus,
    OrderLine,
    OrderLineStatus,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.errors import (
    ConnectorError,
    FatalConfigError,
    RejectedError,
    TransientError,
)

PLATFORM = "portal"
ORDERS = "/api/v1/orders"
ORDER_PAGE_SIZE = 100
LINE_STATUS = {
    "placed": OrderLineStatus.ACTIVE,
    "cancelled": OrderLineStatus.CANCELLED,
    "returned": OrderLineStatus.RETURNED,
}
STATUS_FROM_REMOTE = {
    "published": ListingStatus.LIVE,
    "hidden": ListingStatus.UNLISTED,
    "pending": ListingStatus.PENDING,
}
STATUS_TO_REMOTE = {ListingStatus.LIVE: "published", ListingStatus.UNLISTED: "hidden"}

# HTTP status -> what the caller should do (401/403: the key is wrong, stop this connection).
ERROR_BY_STATUS: dict[int, type[ConnectorError]] = {
    400: RejectedError,
    401: FatalConfigError,
    403: FatalConfigError,
    404: RejectedError,
    409: RejectedError,
    422: RejectedError,
}


def error_from_response(response: httpx.Response) -> ConnectorError:
    """Map a non-2xx portal answer (429 and 5xx are handled by the HTTP layer) to our tree."""
    try:
        payload = response.json().get("error", {})
    except (ValueError, AttributeError):
        payload = {}
    code = str(payload.get("code") or response.status_code)
    message = str(payload.get("message") or response.reason_phrase or "error")
    cls = ERROR_BY_STATUS.get(response.status_code, TransientError)
    return cls(message, platform=PLATFORM, code=code)


def parse_item(item: dict[str, Any]) -> RemoteListing:
    return RemoteListing(
        remote_id=str(item["id"]),
        seller_sku=str(item.get("sku") or ""),
        name=str(item.get("name") or ""),
        price=int(item.get("price") or 0),
        stock=int(item.get("stock") or 0),
        status=STATUS_FROM_REMOTE.get(str(item.get("status")), ListingStatus.UNLISTED),
    )


def bad_answer(detail: str) -> TransientError:
    return TransientError(f"answered unexpectedly: {detail}", platform=PLATFORM, code="bad_answer")


def _field(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """``obj[key]`` when it has type ``kind`` (a bool is not a number), else bad_answer."""
    value = obj.get(key)
    if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
        return value
    raise bad_answer(f"{where}.{key} should be {kind.__name__}, got {type(value).__name__}")


def _instant(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    text = _field(obj, key, str, where)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise bad_answer(f"{where}.{key} should be ISO 8601 with an offset, got {text!r}")
    return when.astimezone(UTC)


def iso(when: datetime) -> str:
    """An aware instant as the portal writes it (UTC, ``Z``); a naive one is taken as UTC."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat().replace("+00:00", "Z")


def parse_order(order: Any) -> list[OrderLine]:
    if not isinstance(order, dict):
        raise bad_answer("items[] should hold objects")
    order_id = _field(order, "id", str, "order")
    created = _instant(order, "created_at", "order")
    updated = _instant(order, "updated_at", "order")
    lines = []
    for line in _field(order, "lines", list, "order"):
        if not isinstance(line, dict):
            raise bad_answer("order.lines[] should hold objects")
        status = LINE_STATUS.get(_field(line, "status", str, "line"))
        if status is None:
            raise bad_answer(f"line.status {line['status']!r} is not placed/cancelled/returned")
        line_id, sku = _field(line, "id", str, "line"), _field(line, "sku", str, "line")
        quantity = _field(line, "quantity", int, "line")
        lines.append(OrderLine(order_id, line_id, sku, quantity, status, created, updated))
    return lines


def order_page(data: Any) -> tuple[list[OrderLine], int, int]:
    """The lines of one page of orders, how many orders it held, and the total."""
    if not isinstance(data, dict):
        raise bad_answer("an orders page should be an object")
    orders = _field(data, "items", list, "page")
    total = _field(data, "total", int, "page")
    return [line for order in orders for line in parse_order(order)], len(orders), total


def create_body(draft: ListingDraft) -> dict[str, Any]:
    return {
        "sku": draft.sku,
        "name": draft.name,
        "price": draft.price,
        "stock": draft.stock,
        "group": draft.group,
        "stars": draft.stars,
        "description": draft.description,
        "images": list(draft.image_urls),
        "status": "published",
    }


class PortalConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        page_size=100,
        price_batch=50,
        stock_batch=50,
        status_batch=1,
        rate_limit_per_s=50.0,
        orders=True,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        api_key = ctx.credentials.get("api_key", "")
        if not api_key:
            raise FatalConfigError("credentials.api_key is required", platform=PLATFORM)
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._start_http(ctx)

    async def _request(
        self, method: str, url: str, read: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> Any:
        """The JSON of one call, or ``read(json)``: reading inside the attempt retries a
        malformed answer like a failed call."""

        async def attempt() -> Any:
            response = await self.http.send(method, url, headers=self._auth, **kwargs)
            if not response.is_success:
                raise error_from_response(response)
            try:
                data = response.json()
            except ValueError:
                raise bad_answer(f"HTTP {response.status_code} without JSON") from None
            return read(data) if read else data

        return await self.http.call(attempt)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        page = 1
        size = self.capabilities.page_size
        while True:
            data = await self._request(
                "GET", "/api/v1/products", params={"page": page, "page_size": size}
            )
            items = data.get("items", [])
            for item in items:
                yield parse_item(item)
            if len(items) < size or page * size >= int(data.get("total", 0)):
                return
            page += 1

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        window = {"updated_from": iso(since), "updated_to": iso(until)}
        page, size = 1, ORDER_PAGE_SIZE
        while True:
            params = {**window, "page": page, "page_size": size}
            lines, count, total = await self._request("GET", ORDERS, read=order_page, params=params)
            for line in lines:
                yield line
            if count < size or page * size >= total:
                return
            page += 1

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        data = await self._request(
            "GET", "/api/v1/products", params={"sku": sku, "page": 1, "page_size": 1}
        )
        items = data.get("items", [])
        return parse_item(items[0]) if items else None

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return []

    async def create_listing(self, draft: ListingDraft) -> str:
        data = await self._request("POST", "/api/v1/products", json=create_body(draft))
        return str(data["id"])

    async def _batch(
        self, updates: Sequence[PriceUpdate] | Sequence[StockUpdate], field: str
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in chunked(updates, self.capabilities.price_batch):
            body = {"updates": [{"id": u.remote_id, field: getattr(u, field)} for u in chunk]}
            try:
                data = await self._request("POST", "/api/v1/products/batch", json=body)
            except RejectedError as exc:
                results.extend(ItemResult(u.sku, u.remote_id, exc) for u in chunk)
                continue
            by_id = {str(r.get("id")): r for r in data.get("results", [])}
            for u in chunk:
                r = by_id.get(u.remote_id)
                if r is None:
                    err: ConnectorError | None = TransientError(
                        "batch answer left this item out", platform=PLATFORM
                    )
                elif r.get("ok"):
                    err = None
                else:
                    e = r.get("error") or {}
                    err = RejectedError(
                        str(e.get("message", "refused")),
                        platform=PLATFORM,
                        code=str(e.get("code", "")),
                    )
                results.append(ItemResult(u.sku, u.remote_id, err))
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._batch(updates, "price")

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._batch(updates, "stock")

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results: list[ItemResult] = []
        for change in changes:
            try:
                await self._request(
                    "PATCH",
                    f"/api/v1/products/{change.remote_id}",
                    json={"status": STATUS_TO_REMOTE[change.status]},
                )
            except RejectedError as exc:
                results.append(ItemResult(change.sku, change.remote_id, exc))
                continue
            results.append(ItemResult(change.sku, change.remote_id))
        return results

    async def check(self) -> CredentialStatus:
        try:
            await self._request("GET", "/api/v1/products", params={"page": 1, "page_size": 1})
        except FatalConfigError as exc:
            return CredentialStatus(False, exc.message)
        return CredentialStatus(True, "API key accepted; API keys do not expire")
