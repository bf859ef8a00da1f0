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
  ``?seller_sku=`` filters on the seller SKU, and ``?product_ids=`` (comma separated, at
  most 100; 400 ``VALIDATION_ERROR`` beyond) on product ids, unknown ones left out: one
  such page is how accepted writes are read back (``read_batch`` 100). A product is
  ``{product_id (string), seller_sku, name, price, quantity, status: ACTIVE | INACTIVE |
  PENDING_REVIEW | REJECTED, category_id, weight_gram, images, description}``.
- ``POST /v1/shops/{shop_id}/products`` with ``seller_sku, name, price, quantity,
  category_id (integer), weight_gram, images (at least one http(s) URL; Voso fetches
  them itself)``, optional ``description`` and ``ocop_star`` -> ``data``: the product.
- ``POST /v1/shops/{shop_id}/products:batchUpdate`` ``{"items": [{product_id, price?,
  quantity?}]}`` and ``POST .../products:batchStatus`` ``{"items": [{product_id,
  status: ACTIVE | INACTIVE}]}``, at most 100 items each -> ``data``: one
  ``{product_id, success, code?, message?}`` per item, in order.
- ``GET  /v1/shops/{shop_id}/orders?updated_from=&updated_to=&limit=&cursor=`` (both ends
  Unix milliseconds, inclusive and required; limit <= 100) -> ``data``: the orders created
  or last updated in the range, oldest update first, and ``next_cursor`` beside ``data``
  (null on the last page; the cursor only holds within the same range). An order is
  ``{order_id (e.g. VS250615000001), status: WAITING_APPROVAL | APPROVED | SHIPPING |
  DELIVERED | CANCELLED | RETURNED, created_at, updated_at (Unix ms), items: [{item_id,
  product_id, seller_sku, quantity, price, status: ORDERED | CANCELLED | RETURNED}]}``;
  the order statuses follow the seller flow of mc.voso.vn (Chờ duyệt, Đã duyệt, then a
  shipment; facts [ORD]), and an item's own status is what counts for stock.
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
being retried; a new product goes live at once (no review step in the sandbox); an
answer with a missing or mistyped field (or one that is not JSON) is an
UnexpectedAnswerError ``bad_answer`` (read through :mod:`.answers`), retried like a failed
call and this connection's error after; an envelope with ``"error": true`` is that error
whatever the HTTP status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

import httpx

from ocopsync.connectors.answers import Answer, as_answer, decoded
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
    RateLimitedError,
    RejectedError,
    TransientError,
)

PLATFORM = "voso"
T = TypeVar("T")
MAX_BATCH = 100
"""Items per batchUpdate or batchStatus request (and products per page)."""
STATUS_FROM_REMOTE = {
    "ACTIVE": ListingStatus.LIVE,
    "INACTIVE": ListingStatus.UNLISTED,
    "PENDING_REVIEW": ListingStatus.PENDING,
    "REJECTED": ListingStatus.REJECTED,
}
STATUS_TO_REMOTE = {ListingStatus.LIVE: "ACTIVE", ListingStatus.UNLISTED: "INACTIVE"}
LINE_STATUS = {
    "ORDERED": OrderLineStatus.ACTIVE,
    "CANCELLED": OrderLineStatus.CANCELLED,
    "RETURNED": OrderLineStatus.RETURNED,
}

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


def unwrap(response: httpx.Response) -> Answer:
    """The envelope of a successful answer; our error for anything else.

    A failure carries ``"error": true`` (on any status: a 200 with an error inside is
    that error); an error answer without an envelope falls back on its HTTP status.
    """
    if not response.is_success:
        body = decoded(response)
        envelope = Answer(body if isinstance(body, dict) else {}, PLATFORM)
    else:
        envelope = Answer.of(response, PLATFORM)
        if envelope.field("error", bool) is False:
            return envelope
    raise envelope_error(envelope, response.status_code, response.reason_phrase)


def envelope_error(envelope: Answer, status: int, reason: str) -> ConnectorError:
    return error_from(
        envelope.scalar_text("code") or str(status),
        envelope.scalar_text("message") or reason or "error",
        envelope.count("status", status),
    )


def parse_product(item: Any) -> RemoteListing:
    product = as_answer(item, PLATFORM)
    return RemoteListing(
        remote_id=product.ident("product_id"),
        seller_sku=product.scalar_text("seller_sku"),
        name=product.scalar_text("name"),
        price=product.count("price"),
        stock=product.count("quantity"),
        status=STATUS_FROM_REMOTE.get(product.scalar_text("status"), ListingStatus.UNLISTED),
    )


def product_page(envelope: Any) -> tuple[list[RemoteListing], str | None]:
    """The listings of one page and the next cursor (None on the last page)."""
    answer = as_answer(envelope, PLATFORM)
    products = [parse_product(p) for p in answer.items("data")]
    return products, answer.maybe("next_cursor", str) or None


def item_results(
    data: Any, chunk: Sequence[PriceUpdate | StockUpdate | StatusChange]
) -> list[ItemResult]:
    """One result per item sent, matched on product_id; an item left out is transient."""
    by_id = {r.ident("product_id"): r for r in as_answer(data, PLATFORM, "data").each()}
    results = []
    for u in chunk:
        r = by_id.get(u.remote_id)
        err: ConnectorError | None = None
        if r is None:
            err = TransientError("batch answer left this item out", platform=PLATFORM)
        elif r.get("success") is not True:
            message = r.scalar_text("message") or "refused"
            err = error_from(r.scalar_text("code"), message, 400)
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


# -- orders -------------------------------------------------------------------------------
def epoch_ms(when: datetime) -> int:
    """Unix milliseconds of ``when`` (a naive time is taken as UTC)."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return int(when.timestamp() * 1000)


def parse_order(order: Any) -> list[OrderLine]:
    entry = as_answer(order, PLATFORM, "data[]")
    entry.mapping()
    order_id = entry.text("order_id")
    created = entry.epoch("created_at", per_second=1000)
    updated = entry.epoch("updated_at", per_second=1000)
    return [
        OrderLine(
            order_id,
            item.text("item_id"),
            item.text("seller_sku"),
            item.whole("quantity"),
            item.one_of("status", LINE_STATUS),
            created,
            updated,
        )
        for item in entry.items("items")
    ]


def order_page(envelope: Any) -> tuple[list[OrderLine], str | None]:
    """The lines of one page of orders and the next cursor (None on the last page)."""
    answer = as_answer(envelope, PLATFORM)
    orders = answer.items("data")
    cursor = answer.maybe("next_cursor", str)
    return [line for order in orders for line in parse_order(order)], cursor or None


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


def _batch_results(
    envelope: Answer, chunk: Sequence[PriceUpdate | StockUpdate | StatusChange]
) -> list[ItemResult]:
    return item_results(envelope.child("data", envelope.field("data", list)), chunk)


class VosoConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        page_size=MAX_BATCH,
        price_batch=MAX_BATCH,
        stock_batch=MAX_BATCH,
        status_batch=MAX_BATCH,
        rate_limit_per_s=20.0,
        orders=True,
        read_batch=MAX_BATCH,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        creds = ctx.credentials
        absent = [k for k in ("partner_code", "secret_key", "shop_id") if not creds.get(k)]
        if absent:
            raise FatalConfigError(f"credentials {', '.join(absent)} required", platform=PLATFORM)
        self._partner = creds["partner_code"]
        self._secret = creds["secret_key"]
        self._products = f"/v1/shops/{creds['shop_id']}/products"
        self._orders = f"/v1/shops/{creds['shop_id']}/orders"
        self._options = ctx.settings.options
        self._start_http(ctx)

    async def _signed(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
        read: Callable[[Answer], T],
    ) -> T:
        """``read(envelope)`` of one signed call, read inside the attempt so that a
        malformed answer is retried like a failed call."""
        target = request_target(path, params)
        body = encode_body(payload)

        async def attempt() -> T:
            timestamp = int(self.http.now() * 1000)
            headers = {
                "X-Voso-Partner": self._partner,
                "X-Voso-Timestamp": str(timestamp),
                "X-Voso-Signature": sign(self._secret, method, target, timestamp, body),
            }
            if body:
                headers["Content-Type"] = "application/json"
            response = await self.http.send(method, target, headers=headers, content=body)
            return read(unwrap(response))

        return await self.http.call(attempt)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        cursor: str | None = None
        while True:
            params = {"limit": self.capabilities.page_size, "cursor": cursor}
            listings, cursor = await self._signed(
                "GET", self._products, params=params, read=product_page
            )
            for listing in listings:
                yield listing
            if not cursor:
                return

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        window = {"updated_from": epoch_ms(since), "updated_to": epoch_ms(until)}
        cursor: str | None = None
        while True:
            params = {**window, "limit": MAX_BATCH, "cursor": cursor}
            lines, cursor = await self._signed("GET", self._orders, params=params, read=order_page)
            for line in lines:
                yield line
            if not cursor:
                return

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """One ``product_ids=`` page (at most ``read_batch`` ids)."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        params = {"product_ids": ",".join(ids), "limit": self.capabilities.read_batch}
        listings, _ = await self._signed("GET", self._products, params=params, read=product_page)
        wanted = set(ids)
        return [listing for listing in listings if listing.remote_id in wanted]

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        params = {"seller_sku": sku}
        listings, _ = await self._signed("GET", self._products, params=params, read=product_page)
        return listings[0] if listings else None

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return missing(draft, self._options)

    async def create_listing(self, draft: ListingDraft) -> str:
        problems = self.missing_for_create(draft)
        category = category_id(self._options, draft.group)
        if problems or category is None:
            raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        return await self._signed(
            "POST",
            self._products,
            payload=create_payload(draft, category),
            read=lambda envelope: envelope.obj("data").ident("product_id"),
        )

    async def _batch(
        self, action: str, changes: Sequence[PriceUpdate | StockUpdate | StatusChange]
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in chunked(changes, MAX_BATCH):
            body = {"items": [batch_item(c) for c in chunk]}
            read = partial(_batch_results, chunk=chunk)
            try:
                path = f"{self._products}:{action}"
                results += await self._signed("POST", path, payload=body, read=read)
            except RejectedError as exc:
                results.extend(ItemResult(c.sku, c.remote_id, exc) for c in chunk)
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._batch("batchUpdate", updates)

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._batch("batchUpdate", updates)

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        return await self._batch("batchStatus", changes)

    async def check(self) -> CredentialStatus:
        try:
            await self._signed("GET", self._products, params={"limit": 1}, read=product_page)
        except FatalConfigError as exc:
            return CredentialStatus(False, str(exc))
        return CredentialStatus(True, "signature accepted; Voso signs each request, no token")
