"""Connector for Voso (voso.vn, Viettel Post's marketplace): HMAC-signed JSON over REST.

NOT VOSO'S REAL API. Voso publishes no seller or partner API (shared/platforms/voso.md:
every API fact is NF; sellers work by hand in mc.voso.vn). This dialect is ocopsync's
own design, pending Viettel Post's partner documentation, kept behind the common
connector contract so that a real client can replace this module without touching
anything else. This docstring is the one description of the dialect;
:mod:`ocopsync.sandbox.voso` emulates it and refers here. Signing, request bodies and
answer parsing are pure functions in :mod:`.voso_payloads`; this module sequences the
calls.

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
  them itself)``, optional ``description``, ``ocop_star``, ``brand_id`` (one of the
  category's brands) and ``attributes: [{attribute_id, value, value_id?}]`` (``value_id``
  for a select, one entry per value of a multi-select) -> ``data``: the product, which
  shows ``attributes`` and ``brand_id`` back. A mandatory attribute left out is 400
  ``ATTRIBUTE_REQUIRED`` ("attribute 20011 (Nồng độ cồn) is required in category
  10462"); an unknown attribute or a value that does not fit, 400 ``INVALID_ATTRIBUTE``.
- ``PATCH /v1/shops/{shop_id}/products/{product_id}`` with any of ``name, description,
  images, attributes`` (attributes replace the whole set, checked against the product's
  category like a create's) -> ``data``: the product. Price and quantity stay with
  ``:batchUpdate``.
- ``GET /v1/categories`` -> ``data``: the whole tree, flat, parents before children,
  ``[{category_id, parent_id (null at the top), name, level, is_leaf}]``;
  ``GET /v1/categories/{id}/attributes`` -> ``data``: ``[{attribute_id, name,
  is_required, input_type: TEXT | INTEGER | DECIMAL | DATE | SINGLE_SELECT |
  MULTI_SELECT, unit, values: [{value_id, name}]}]``; ``GET /v1/categories/{id}/brands?
  limit=&cursor=`` -> ``data``: ``[{brand_id, name}]`` paged like products. Only a leaf
  has attributes and brands (400 ``VALIDATION_ERROR`` otherwise); an unknown id is 404
  ``CATEGORY_NOT_FOUND``. These calls are signed like the rest; they name no shop.
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
  ``SHOP_FORBIDDEN`` (403), ``PRODUCT_NOT_FOUND`` and ``CATEGORY_NOT_FOUND`` (404),
  ``DUPLICATE_SKU`` (409), ``ATTRIBUTE_REQUIRED`` and ``INVALID_ATTRIBUTE`` (400),
  ``VALIDATION_ERROR`` (400), ``RATE_LIMITED`` (429 with ``Retry-After``, quota 100
  requests/s per shop), ``INTERNAL_ERROR`` (503).

Options (``[connections.options]``):

- ``category_map``: OCOP group -> Voso leaf category id (a whole number), used when a
  draft carries no ``category_id`` of its own;
- ``rate_limit_per_s``: our own request rate, default 20 (under the quota).

Our choices where the facts are silent (all of the above is NF; these are the
decisions a reader might otherwise guess at): signed target includes the query; a
stale timestamp means the local clock is wrong, so it stops the connection rather than
being retried; a new product goes live at once (no review step in the sandbox); the
item limits (:data:`ITEM_LIMITS`) are ours, and the sandbox enforces them; no variants
(``capabilities.variants`` is False: one product per seller SKU, and a draft with
variants is refused before any request); an
answer with a missing or mistyped field (or one that is not JSON) is an
UnexpectedAnswerError ``bad_answer`` (read through :mod:`.answers`), retried like a failed
call and this connection's error after; an envelope with ``"error": true`` is that error
whatever the HTTP status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import (
    Brand,
    Capabilities,
    Category,
    CategoryAttribute,
    ConnectorContext,
    CredentialStatus,
    ItemLimits,
    ItemResult,
    ListingDraft,
    OrderLine,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.connectors.voso_payloads import (
    ITEM_LIMITS,
    MAX_BATCH,
    PLATFORM,
    batch_item,
    batch_results,
    brand_page,
    category_for,
    content_body,
    create_payload,
    encode_body,
    epoch_ms,
    missing,
    order_page,
    parse_attributes,
    parse_categories,
    product_page,
    request_target,
    sign,
    unwrap,
)
from ocopsync.errors import FatalConfigError, RejectedError

T = TypeVar("T")


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
        discovery=True,
        content_updates=True,
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
        category = category_for(draft, self._options)
        if problems or category is None:
            raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        return await self._signed(
            "POST",
            self._products,
            payload=create_payload(draft, category),
            read=lambda envelope: envelope.obj("data").ident("product_id"),
        )

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """One PATCH with ``fields`` of ``draft``; nothing to send, no request."""
        body = content_body(draft, fields)
        if body:
            path = f"{self._products}/{remote_id}"
            await self._signed("PATCH", path, payload=body, read=lambda e: e.obj("data"))

    async def list_categories(self) -> list[Category]:
        return await self._signed("GET", "/v1/categories", read=parse_categories)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        path = f"/v1/categories/{category_id}/attributes"
        return await self._signed("GET", path, read=parse_attributes)

    async def category_brands(self, category_id: str) -> list[Brand]:
        brands: list[Brand] = []
        cursor: str | None = None
        while True:
            params = {"limit": MAX_BATCH, "cursor": cursor}
            path = f"/v1/categories/{category_id}/brands"
            page, cursor = await self._signed("GET", path, params=params, read=brand_page)
            brands += page
            if not cursor:
                return brands

    async def item_limits(self, category_id: str) -> ItemLimits:
        """Our documented constants: the same for every category."""
        return ITEM_LIMITS

    async def _batch(
        self, action: str, changes: Sequence[PriceUpdate | StockUpdate | StatusChange]
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in chunked(changes, MAX_BATCH):
            body = {"items": [batch_item(c) for c in chunk]}
            read = partial(batch_results, chunk=chunk)
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
