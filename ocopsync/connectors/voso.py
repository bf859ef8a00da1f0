"""Connector for Voso (voso.vn, Viettel Post's marketplace): HMAC-signed JSON over REST.

NOT VOSO'S REAL API. Voso publishes no seller or partner API (shared/platforms/voso.md:
every API fact is NF; sellers work by hand in mc.voso.vn). This dialect is ocopsync's
own design, pending Viettel Post's partner documentation, kept behind the common
connector contract so that a real client can replace this module without touching
anything else. This docstring is the one description of the dialect;
:mod:`ocopsync.sandbox.voso` emulates it and refers here.

The dialect, in the style of Viettel Post's logistics partner API:

- Credentials: ``partner_code``, ``secret_key``, ``shop_id``. No tokens: every request
  is signed, so there is nothing to authorize, refresh or expire.
- Every request carries ``X-Voso-Partner: <partner_code>``, ``X-Voso-Timestamp: <unix ms>``
  (accepted within +-5 minutes of the server clock) and ``X-Voso-Signature``: lowercase
  hex HMAC-SHA256 with ``secret_key`` of
  ``METHOD + "\\n" + target + "\\n" + timestamp + "\\n" + sha256_hex(body)``, where
  ``target`` is the path relative to the base URL plus ``"?" + query`` exactly as sent
  (the query is signed so a filter cannot be altered) and ``body`` the raw bytes sent
  (empty for GET).
- Answers use one envelope, ``{"status": 200, "error": false, "message": "OK", "data": ...}``;
  a failure has ``"error": true``, ``"code"`` and the same ``status`` as the HTTP status.
- ``GET  /v1/shops/{shop_id}/products?limit=&cursor=`` (limit <= 100) -> ``data``: a list
  of products, and ``next_cursor`` beside ``data`` (null on the last page);
  ``?seller_sku=`` filters on the seller SKU. A product is ``{product_id (string),
  seller_sku, name, price, quantity, status: ACTIVE | INACTIVE | PENDING_REVIEW |
  REJECTED, category_id, weight_gram, images, description}``.
- ``POST /v1/shops/{shop_id}/products`` with ``seller_sku, name, price, quantity,
  category_id (integer), weight_gram, images (at least one http(s) URL; Voso fetches
  them itself)``, optional ``description`` and ``ocop_star`` -> ``data``: the product.
- ``POST /v1/shops/{shop_id}/products:batchUpdate`` ``{"items": [{product_id, price?,
  quantity?}]}`` and ``POST .../products:batchStatus`` ``{"items": [{product_id,
  status: ACTIVE | INACTIVE}]}``, at most 100 items each -> ``data``: one
  ``{product_id, success, code?, message?}`` per item, in order.
- Error codes: ``INVALID_PARTNER``, ``INVALID_SIGNATURE``, ``TIMESTAMP_EXPIRED`` (401),
  ``SHOP_FORBIDDEN`` (403), ``PRODUCT_NOT_FOUND`` (404), ``DUPLICATE_SKU`` (409),
  ``VALIDATION_ERROR`` (400), ``RATE_LIMITED`` (429 with ``Retry-After``, quota 100
  requests/s per shop), ``INTERNAL_ERROR`` (503).

Options (``[connections.options]``):

- ``category_map``: OCOP group -> Voso leaf category id (a whole number);
- ``rate_limit_per_s``: our own request rate, default 20 (under the quota).

Our choices where the facts are silent (all of the above is NF; these are the
decisions a reader might otherwise guess at): signed target includes the query; a
stale timestamp means the local clock is wrong, so it stops the connection rather than
being retried; a new product goes live at once (no review step in the sandbox).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlencode

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
    RateLimitedError,
    RejectedError,
    TransientError,
)

PLATFORM = "voso"
MAX_BATCH = 100
"""Items per batchUpdate or batchStatus request (and products per page)."""
STATUS_FROM_REMOTE = {
    "ACTIVE": ListingStatus.LIVE,
    "INACTIVE": ListingStatus.UNLISTED,
    "PENDING_REVIEW": ListingStatus.PENDING,
    "REJECTED": ListingStatus.REJECTED,
}
STATUS_TO_REMOTE = {ListingStatus.LIVE: "ACTIVE", ListingStatus.UNLISTED: "INACTIVE"}

# The one error table: Voso code -> what the caller should do.
ERRORS: dict[str, type[ConnectorError]] = {
    "INVALID_PARTNER": FatalConfigError,
    "INVALID_SIGNATURE": FatalConfigError,
    "TIMESTAMP_EXPIRED": FatalConfigError,
    "SHOP_FORBIDDEN": FatalConfigError,
    "RATE_LIMITED": RateLimitedError,
    "PRODUCT_NOT_FOUND": RejectedError,
    "DUPLICATE_SKU": RejectedError,
    "VALIDATION_ERROR": RejectedError,
    "INTERNAL_ERROR": TransientError,
}


# -- signing ------------------------------------------------------------------------------
def request_target(path: str, params: Mapping[str, Any] | None = None) -> str:
    """The path and query exactly as they go on the wire (and into the signature)."""
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    return f"{path}?{query}" if query else path


def string_to_sign(method: str, target: str, timestamp_ms: int, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{target}\n{timestamp_ms}\n{digest}"


def sign(secret_key: str, method: str, target: str, timestamp_ms: int, body: bytes) -> str:
    message = string_to_sign(method, target, timestamp_ms, body)
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def encode_body(payload: Any) -> bytes:
    """Serialise once, so the bytes signed are the bytes sent."""
    if payload is None:
        return b""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


# -- answers ------------------------------------------------------------------------------
def error_from(code: str, message: str, status: int) -> ConnectorError:
    """Our error for a Voso code; an unknown code falls back on the HTTP status class."""
    default: type[ConnectorError] = RejectedError if 400 <= status < 500 else TransientError
    return ERRORS.get(code, default)(message, platform=PLATFORM, code=code)


def unwrap(response: httpx.Response) -> dict[str, Any]:
    """The envelope of a successful answer; our error for anything else."""
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise TransientError(f"unreadable answer (HTTP {response.status_code})", platform=PLATFORM)
    if response.is_success and envelope.get("error") is False:
        return envelope
    raise error_from(
        str(envelope.get("code") or response.status_code),
        str(envelope.get("message") or "error"),
        int(envelope.get("status") or response.status_code),
    )


def parse_product(item: Mapping[str, Any]) -> RemoteListing:
    return RemoteListing(
        remote_id=str(item["product_id"]),
        seller_sku=str(item.get("seller_sku") or ""),
        name=str(item.get("name") or ""),
        price=int(item.get("price") or 0),
        stock=int(item.get("quantity") or 0),
        status=STATUS_FROM_REMOTE.get(str(item.get("status")), ListingStatus.UNLISTED),
    )


def item_results(
    data: Any, chunk: Sequence[PriceUpdate | StockUpdate | StatusChange]
) -> list[ItemResult]:
    """One result per item sent, matched on product_id; an item left out is transient."""
    by_id = {str(r.get("product_id")): r for r in data or [] if isinstance(r, dict)}
    results = []
    for u in chunk:
        r = by_id.get(u.remote_id)
        err: ConnectorError | None = None
        if r is None:
            err = TransientError("batch answer left this item out", platform=PLATFORM)
        elif not r.get("success"):
            err = error_from(str(r.get("code") or ""), str(r.get("message") or "refused"), 400)
        results.append(ItemResult(u.sku, u.remote_id, err))
    return results


def batch_item(change: PriceUpdate | StockUpdate | StatusChange) -> dict[str, Any]:
    """One entry of a batchUpdate (price or quantity) or batchStatus body."""
    if isinstance(change, PriceUpdate):
        return {"product_id": change.remote_id, "price": change.price}
    if isinstance(change, StockUpdate):
        return {"product_id": change.remote_id, "quantity": change.stock}
    # Only LIVE and UNLISTED are asked for; anything else goes as-is for Voso to refuse.
    status = STATUS_TO_REMOTE.get(change.status, change.status.value.upper())
    return {"product_id": change.remote_id, "status": status}


# -- creating -----------------------------------------------------------------------------
def category_id(options: Mapping[str, Any], group: str) -> int | None:
    value = (options.get("category_map") or {}).get(group)
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def missing(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    problems = []
    if category_id(options, draft.group) is None:
        problems.append(
            f"no category for group {draft.group!r} in options.category_map "
            "(a Voso category id, a whole number)"
        )
    if not draft.weight_g or draft.weight_g <= 0:
        problems.append("no weight: Voso requires weight_gram for shipping")
    if not draft.image_urls:
        problems.append("no images: Voso requires at least one image URL")
    return problems


def create_payload(draft: ListingDraft, category: int) -> dict[str, Any]:
    return {
        "seller_sku": draft.sku,
        "name": draft.name,
        "description": draft.description,
        "price": draft.price,
        "quantity": draft.stock,
        "category_id": category,
        "weight_gram": draft.weight_g,
        "images": list(draft.image_urls),
        "ocop_star": draft.stars,
    }


class VosoConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        page_size=MAX_BATCH,
        price_batch=MAX_BATCH,
        stock_batch=MAX_BATCH,
        status_batch=MAX_BATCH,
        rate_limit_per_s=20.0,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        creds = ctx.credentials
        absent = [k for k in ("partner_code", "secret_key", "shop_id") if not creds.get(k)]
        if absent:
            raise FatalConfigError(f"credentials {', '.join(absent)} required", platform=PLATFORM)
        self._partner = creds["partner_code"]
        self._secret = creds["secret_key"]
        self._products = f"/v1/shops/{creds['shop_id']}/products"
        self._options = ctx.settings.options
        self._start_http(ctx)

    async def _signed(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
    ) -> dict[str, Any]:
        target = request_target(path, params)
        body = encode_body(payload)

        async def attempt() -> dict[str, Any]:
            timestamp = int(self.http.now() * 1000)
            headers = {
                "X-Voso-Partner": self._partner,
                "X-Voso-Timestamp": str(timestamp),
                "X-Voso-Signature": sign(self._secret, method, target, timestamp, body),
            }
            if body:
                headers["Content-Type"] = "application/json"
            response = await self.http.send(method, target, headers=headers, content=body)
            return unwrap(response)

        return await self.http.call(attempt)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        cursor: str | None = None
        while True:
            params = {"limit": self.capabilities.page_size, "cursor": cursor}
            envelope = await self._signed("GET", self._products, params=params)
            for item in envelope.get("data") or []:
                yield parse_product(item)
            cursor = envelope.get("next_cursor")
            if not cursor:
                return

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        envelope = await self._signed("GET", self._products, params={"seller_sku": sku})
        items = envelope.get("data") or []
        return parse_product(items[0]) if items else None

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return missing(draft, self._options)

    async def create_listing(self, draft: ListingDraft) -> str:
        problems = self.missing_for_create(draft)
        category = category_id(self._options, draft.group)
        if problems or category is None:
            raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        envelope = await self._signed(
            "POST", self._products, payload=create_payload(draft, category)
        )
        return str(envelope["data"]["product_id"])

    async def _batch(
        self, action: str, changes: Sequence[PriceUpdate | StockUpdate | StatusChange]
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in chunked(changes, MAX_BATCH):
            body = {"items": [batch_item(c) for c in chunk]}
            try:
                envelope = await self._signed("POST", f"{self._products}:{action}", payload=body)
            except RejectedError as exc:
                results.extend(ItemResult(c.sku, c.remote_id, exc) for c in chunk)
                continue
            results.extend(item_results(envelope.get("data"), chunk))
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._batch("batchUpdate", updates)

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._batch("batchUpdate", updates)

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        return await self._batch("batchStatus", changes)

    async def check(self) -> CredentialStatus:
        try:
            await self._signed("GET", self._products, params={"limit": 1})
        except FatalConfigError as exc:
            return CredentialStatus(False, str(exc))
        return CredentialStatus(True, "signature accepted; Voso signs each request, no token")
