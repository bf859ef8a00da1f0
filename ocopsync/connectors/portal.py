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
- errors ``{"error": {"code", "message"}}`` with 401, 404, 409, 422, 429 (+ Retry-After), 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import httpx

from ocopsync.connectors.base import (
    Capabilities,
    ConnectorContext,
    CredentialStatus,
    ItemResult,
    ListingDraft,
    ListingStatus,
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
        page_size=100, price_batch=50, stock_batch=50, status_batch=1, rate_limit_per_s=50.0
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        api_key = ctx.credentials.get("api_key", "")
        if not api_key:
            raise FatalConfigError("credentials.api_key is required", platform=PLATFORM)
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._start_http(ctx)

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        async def attempt() -> Any:
            response = await self.http.send(method, url, headers=self._auth, **kwargs)
            if response.is_success:
                return response.json()
            raise error_from_response(response)

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
