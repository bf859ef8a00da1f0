"""Voso dialect (ocopsync's own design) as pure functions: signing, bodies, parsing.

Kept apart from :mod:`ocopsync.connectors.voso` so that every byte we send and every
field we read can be unit-tested without HTTP. NOT VOSO'S REAL API: the dialect and the
choices made where the facts are silent are described in that module's docstring.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from ocopsync.connectors import dialect_content, dialect_discovery
from ocopsync.connectors.answers import Answer, as_answer, decoded
from ocopsync.connectors.base import (
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
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
)
from ocopsync.connectors.dialect_content import attribute_entries
from ocopsync.connectors.dialect_discovery import AttributeFields, CategoryFields, parse_brands
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
CATEGORY_FIELDS = CategoryFields(items="data", id="category_id", leaf="is_leaf", id_of=Answer.ident)
"""Our dialect's names: ``{category_id, parent_id, name, level, is_leaf}`` under ``data``."""
ATTRIBUTE_FIELDS = AttributeFields(
    items="data",
    key="attribute_id",
    mandatory="is_required",
    input_type="input_type",
    input_types=INPUT_TYPES,
    options="values",
    option_id="value_id",
    option_name="name",
    key_of=Answer.ident,
)
"""Our dialect's names: ``{attribute_id, name, is_required, input_type, unit, values:
[{value_id, name}]}`` under ``data``."""


def parse_categories(envelope: Answer) -> list[Category]:
    return dialect_discovery.parse_categories(envelope, CATEGORY_FIELDS)


def parse_attributes(envelope: Answer) -> list[CategoryAttribute]:
    return dialect_discovery.parse_attributes(envelope, ATTRIBUTE_FIELDS)


def brand_page(envelope: Answer) -> tuple[list[Brand], str | None]:
    brands = parse_brands(envelope, "data", "brand_id")
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
    """``[{attribute_id, value, value_id?}]``, both ids as numbers where they are."""
    return attribute_entries(attributes, "attribute_id", "value_id", key_as=whole, option_as=whole)


def content_body(draft: ListingDraft, fields: Sequence[str]) -> dict[str, Any]:
    """The PATCH body for ``fields`` of ``draft`` (ValueError for a field we do not know)."""
    return dialect_content.content_body(draft, fields, attributes_body)


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


def batch_results(
    envelope: Answer, chunk: Sequence[PriceUpdate | StockUpdate | StatusChange]
) -> list[ItemResult]:
    """The per-item results of a batch answer's ``data``."""
    return item_results(envelope.child("data", envelope.field("data", list)), chunk)
