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
    AttributeOption,
    AttributeValue,
    Brand,
    Capabilities,
    Category,
    CategoryAttribute,
    ConnectorContext,
    CredentialStatus,
    ItemLimits,
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
INPUT_TYPES = {
    "TEXT": "text",
    "INTEGER": "int",
    "DECIMAL": "float",
    "DATE": "date",
    "SINGLE_SELECT": "single_select",
    "MULTI_SELECT": "multi_select",
}
ITEM_LIMITS = ItemLimits(
    name_max=255,
    description_max=5000,
    images_max=9,
    image_max_bytes=2 * 1024 * 1024,
    price_min=1,
)
"""Our choice (Voso documents none); its sandbox enforces the lengths and the count."""
CONTENT_FIELDS = {"name": "name", "description": "description", "image_urls": "images"}
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
    "ATTRIBUTE_REQUIRED": RejectedError,
    "INVALID_ATTRIBUTE": RejectedError,
    "CATEGORY_NOT_FOUND": RejectedError,
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


# -- discovery ----------------------------------------------------------------------------
def parse_categories(envelope: Answer) -> list[Category]:
    return [
        Category(
            category_id=c.ident("category_id"),
            parent_id=c.scalar_text("parent_id") or None,
            name=c.text("name"),
            leaf=c.field("is_leaf", bool),
        )
        for c in envelope.items("data")
    ]


def parse_attributes(envelope: Answer) -> list[CategoryAttribute]:
    return [
        CategoryAttribute(
            key=a.ident("attribute_id"),
            name=a.text("name"),
            mandatory=a.field("is_required", bool),
            input_type=INPUT_TYPES.get(a.text("input_type"), "text"),
            options=tuple(
                AttributeOption(v.ident("value_id"), v.text("name"))
                for v in a.items("values", optional=True)
            ),
            unit=a.scalar_text("unit"),
        )
        for a in envelope.items("data")
    ]


def brand_page(envelope: Answer) -> tuple[list[Brand], str | None]:
    brands = [Brand(b.ident("brand_id"), b.text("name")) for b in envelope.items("data")]
    return brands, envelope.maybe("next_cursor", str) or None


# -- creating -----------------------------------------------------------------------------
def whole(text: str) -> int | str:
    """An id as Voso wants it (a number); text that is not one is sent for Voso to refuse."""
    text = text.strip()
    return int(text) if text.isdigit() else text


def category_id(options: Mapping[str, Any], group: str) -> int | None:
    value = (options.get("category_map") or {}).get(group)
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def category_for(draft: ListingDraft, options: Mapping[str, Any]) -> int | None:
    """The draft's own category when it has one, else the group's in ``category_map``."""
    if draft.category_id:
        text = draft.category_id.strip()
        return int(text) if text.isdigit() else None
    return category_id(options, draft.group)


def attributes_body(attributes: Sequence[AttributeValue]) -> list[dict[str, Any]]:
    body = []
    for a in attributes:
        entry: dict[str, Any] = {"attribute_id": whole(a.key), "value": a.value}
        if a.value_id:
            entry["value_id"] = whole(a.value_id)
        body.append(entry)
    return body


def content_body(draft: ListingDraft, fields: Sequence[str]) -> dict[str, Any]:
    """The PATCH body for ``fields`` of ``draft`` (ValueError for a field we do not know)."""
    body: dict[str, Any] = {}
    for name in fields:
        if name == "attributes":
            body["attributes"] = attributes_body(draft.attributes)
        elif name in CONTENT_FIELDS:
            value = getattr(draft, name)
            body[CONTENT_FIELDS[name]] = list(value) if name == "image_urls" else value
        else:
            raise ValueError(f"no such content field: {name!r}")
    return body


def missing(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    problems = []
    if draft.category_id and category_for(draft, options) is None:
        problems.append(
            f"category_id {draft.category_id!r} is not a Voso category id (a whole number)"
        )
    elif category_for(draft, options) is None:
        problems.append(
            f"no category for group {draft.group!r} in options.category_map "
            "(a Voso category id, a whole number)"
        )
    if draft.variants:
        problems.append("variants: Voso takes one product per seller SKU (no variants)")
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
        **({"brand_id": whole(draft.brand_id)} if draft.brand_id else {}),
        **({"attributes": attributes_body(draft.attributes)} if draft.attributes else {}),
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
