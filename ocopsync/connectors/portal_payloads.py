"""The provincial portal's dialect (ocopsync's own design) as pure functions: bodies,
errors, parsing.

Kept apart from :mod:`ocopsync.connectors.portal` so that every field we send and read
can be unit-tested without HTTP. Provincial portals publish no common API: the dialect
and our choices are described in that module's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ocopsync.connectors import dialect_content, dialect_discovery
from ocopsync.connectors.answers import Answer, as_answer, decoded
from ocopsync.connectors.base import (
    AttributeValue,
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
    StockUpdate,
)
from ocopsync.connectors.dialect_content import attribute_entries
from ocopsync.connectors.dialect_discovery import INPUT_TYPES, AttributeFields, CategoryFields
from ocopsync.errors import (
    ConnectorError,
    FatalConfigError,
    RejectedError,
    TransientError,
)

PLATFORM = "portal"
ORDER_PAGE_SIZE = 100
ITEM_LIMITS = ItemLimits(
    name_max=300,
    description_max=5000,
    images_max=8,
    image_max_bytes=5 * 1024 * 1024,
    price_min=1,
)
"""Our choice (portals document none); the sandbox enforces the lengths and the count."""
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
    """Map a portal error (a non-2xx, or a 2xx carrying ``error``) onto our tree; 429 and
    5xx are handled by the HTTP layer, and an unknown status is transient."""
    body = decoded(response)
    payload = body.get("error") if isinstance(body, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    code = str(payload.get("code") or response.status_code)
    message = str(payload.get("message") or response.reason_phrase or "error")
    cls = ERROR_BY_STATUS.get(response.status_code, TransientError)
    return cls(message, platform=PLATFORM, code=code)


def carries_error(answer: Answer) -> bool:
    """A success answer whose body is ``{"error": {...}}``: the portal's error, not data."""
    return isinstance(answer.value, dict) and isinstance(answer.value.get("error"), dict)


def parse_item(item: Any) -> RemoteListing:
    product = as_answer(item, PLATFORM)
    return RemoteListing(
        remote_id=product.ident("id"),
        seller_sku=product.scalar_text("sku"),
        name=product.scalar_text("name"),
        price=product.count("price"),
        stock=product.count("stock"),
        status=STATUS_FROM_REMOTE.get(product.scalar_text("status"), ListingStatus.UNLISTED),
    )


def product_page(data: Any) -> tuple[list[RemoteListing], int]:
    """The listings of one products page, and the total the portal reports."""
    page = as_answer(data, PLATFORM)
    return [parse_item(item) for item in page.items("items")], page.whole("total")


def iso(when: datetime) -> str:
    """An aware instant as the portal writes it (UTC, ``Z``); a naive one is taken as UTC."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat().replace("+00:00", "Z")


def parse_order(order: Any) -> list[OrderLine]:
    entry = as_answer(order, PLATFORM, "items[]")
    entry.mapping()
    order_id = entry.text("id")
    created, updated = entry.instant("created_at"), entry.instant("updated_at")
    return [
        OrderLine(
            order_id,
            line.text("id"),
            line.text("sku"),
            line.whole("quantity"),
            line.one_of("status", LINE_STATUS),
            created,
            updated,
        )
        for line in entry.items("lines")
    ]


def order_page(data: Any) -> tuple[list[OrderLine], int, int]:
    """The lines of one page of orders, how many orders it held, and the total."""
    page = as_answer(data, PLATFORM)
    orders = page.items("items")
    total = page.whole("total")
    return [line for order in orders for line in parse_order(order)], len(orders), total


def batch_results(
    data: Any, chunk: Sequence[PriceUpdate] | Sequence[StockUpdate]
) -> list[ItemResult]:
    """One result per update sent, matched on ``id``; an item left out is transient."""
    by_id = {r.ident("id"): r for r in as_answer(data, PLATFORM).items("results")}
    results = []
    for u in chunk:
        r = by_id.get(u.remote_id)
        err: ConnectorError | None = None
        if r is None:
            err = TransientError("batch answer left this item out", platform=PLATFORM)
        elif r.get("ok") is not True:
            e = r.obj("error") if isinstance(r.get("error"), dict) else r.child("error", {})
            err = RejectedError(
                e.scalar_text("message", "refused"), platform=PLATFORM, code=e.scalar_text("code")
            )
        results.append(ItemResult(u.sku, u.remote_id, err))
    return results


CATEGORY_FIELDS = CategoryFields(items="items", id="id", leaf="leaf")
"""Our dialect's names: ``{id, parent_id, name, leaf}`` under ``items``."""
ATTRIBUTE_FIELDS = AttributeFields(
    items="items",
    key="key",
    mandatory="required",
    input_type="type",
    input_types=INPUT_TYPES,
    options="options",
    option_id="id",
    option_name="name",
)
"""Our dialect's names: ``{key, name, required, type, unit, options: [{id, name}]}``
under ``items``."""


def parse_categories(data: Answer) -> list[Category]:
    return dialect_discovery.parse_categories(data, CATEGORY_FIELDS)


def parse_attributes(data: Answer) -> list[CategoryAttribute]:
    return dialect_discovery.parse_attributes(data, ATTRIBUTE_FIELDS)


def attributes_body(attributes: Sequence[AttributeValue]) -> list[dict[str, Any]]:
    """``[{key, value, option_id?}]``, the ids as text."""
    return attribute_entries(attributes, "key", "option_id")


def content_body(draft: ListingDraft, fields: Sequence[str]) -> dict[str, Any]:
    """The PATCH body for ``fields`` of ``draft`` (ValueError for a field we do not know)."""
    return dialect_content.content_body(draft, fields, attributes_body)


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
        **({"category_id": draft.category_id} if draft.category_id else {}),
        **({"attributes": attributes_body(draft.attributes)} if draft.attributes else {}),
    }
