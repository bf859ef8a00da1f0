"""Postmart dialect (ocopsync's own design) as pure functions: tokens, bodies, parsing.

Kept apart from :mod:`ocopsync.connectors.postmart` so that every field we send and
read can be unit-tested without HTTP. NOT POSTMART'S REAL API: the dialect and the
choices made where the facts are silent are described in that module's docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ocopsync.connectors import dialect_content, dialect_discovery
from ocopsync.connectors.answers import Answer, as_answer
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
    StockUpdate,
    Tokens,
)
from ocopsync.connectors.dialect_content import attribute_entries
from ocopsync.connectors.dialect_discovery import (
    INPUT_TYPES,
    AttributeFields,
    CategoryFields,
    parse_brands,
)
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

PLATFORM = "postmart"
MAX_ITEMS = 50
"""Largest page, and most items a prices or stocks request may carry."""
STATUS_FROM_REMOTE = {
    "active": ListingStatus.LIVE,
    "hidden": ListingStatus.UNLISTED,
    "pending_review": ListingStatus.PENDING,
    "rejected": ListingStatus.REJECTED,
}
ITEM_LIMITS = ItemLimits(
    name_max=200,
    description_max=10_000,
    images_max=10,
    image_max_bytes=5 * 1024 * 1024,
    price_min=1,
)
"""Our choice (Postmart documents none); its sandbox enforces the lengths and count."""
LINE_STATUS = {
    "ordered": OrderLineStatus.ACTIVE,
    "cancelled": OrderLineStatus.CANCELLED,
    "returned": OrderLineStatus.RETURNED,
}

# The one error table: Postmart code -> what the caller should do.
ERRORS: dict[str, type[ConnectorError]] = {
    "invalid_client": FatalConfigError,
    "forbidden": FatalConfigError,
    "invalid_token": AuthExpiredError,
    "token_expired": AuthExpiredError,
    "rate_limited": RateLimitedError,
    "not_found": RejectedError,
    "sku_exists": RejectedError,
    "validation_failed": RejectedError,
    "attribute_required": RejectedError,
    "server_error": TransientError,
}


def error_for(code: str, message: str) -> ConnectorError:
    return ERRORS.get(code, RejectedError)(message, platform=PLATFORM, code=code)


def answer(response: httpx.Response) -> Answer:
    """The JSON object of a 2xx answer; our error for a 4xx, or for a 2xx that carries
    ``error`` (429 and 5xx never get here). Postmart always answers a JSON object, so
    anything else (a proxy's page) is an unexpected answer, whatever its status."""
    payload = Answer.of(response, PLATFORM)
    payload.mapping()
    error = payload.get("error")
    if response.is_success and error is None:
        return payload
    details = payload.child("error", error if isinstance(error, dict) else {})
    code = details.scalar_text("code") or str(response.status_code)
    raise error_for(code, details.scalar_text("message") or response.reason_phrase)


def tokens_from(payload: Any, now: float, client_id: str) -> Tokens:
    """Our record of a token answer; its lifetime counts from ``now`` (our clock)."""
    token = as_answer(payload, PLATFORM)
    expires_at = datetime.fromtimestamp(now + token.number("expires_in"), UTC)
    return Tokens(
        access_token=token.text("access_token"),
        access_expires_at=expires_at,
        extra={"client_id": client_id},
    )


def usable(tokens: Tokens | None, client_id: str, now: float) -> bool:
    """Whether a stored token can be sent instead of asking for a new one."""
    return (
        tokens is not None
        and tokens.extra.get("client_id") == client_id
        and tokens.access_expires_at is not None
        and now < tokens.access_expires_at.timestamp()
    )


def parse_product(item: Any) -> RemoteListing:
    """Postmart always sends every field of a product, so none is defaulted here."""
    product = as_answer(item, PLATFORM)
    return RemoteListing(
        product.ident("id"),
        product.text("sku"),
        product.text("name"),
        product.count("price"),
        product.whole("stock"),
        STATUS_FROM_REMOTE.get(product.text("status"), ListingStatus.UNLISTED),
    )


def product_page(data: Any) -> tuple[list[RemoteListing], int]:
    """The listings of one page, and the total number of products."""
    page = as_answer(data, PLATFORM, "data")
    total = page.obj("pagination").whole("total")
    return [parse_product(item) for item in page.items("items")], total


def batch_outcome(data: Any, chunk: Sequence[PriceUpdate | StockUpdate]) -> list[ItemResult]:
    """Each item's fate from the succeeded/failed lists (absent from both: transient)."""
    outcome_of = as_answer(data, PLATFORM, "data")
    done = {s.ident("id") for s in outcome_of.items("succeeded", optional=True)}
    failed = {f.ident("id"): f for f in outcome_of.items("failed", optional=True)}
    outcome = []
    for u in chunk:
        err: ConnectorError | None = None
        if u.remote_id in failed:
            reason = failed[u.remote_id]
            err = error_for(reason.scalar_text("code"), reason.scalar_text("message"))
        elif u.remote_id not in done:
            err = TransientError("Postmart's answer left this item out", platform=PLATFORM)
        outcome.append(ItemResult(u.sku, u.remote_id, err))
    return outcome


def iso(when: datetime) -> str:
    """An instant as a query value; a naive one is taken as UTC."""
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when).isoformat()


def parse_order(order: Any) -> list[OrderLine]:
    entry = as_answer(order, PLATFORM, "data.items[]")
    entry.mapping()
    order_id = entry.text("id")
    created, updated = entry.instant("created_at"), entry.instant("updated_at")
    return [
        OrderLine(
            order_id,
            str(line.whole("id")),
            line.text("sku"),
            line.whole("quantity"),
            line.one_of("status", LINE_STATUS),
            created,
            updated,
        )
        for line in entry.items("lines")
    ]


def order_page(data: Any) -> tuple[list[OrderLine], int]:
    """The lines of one page of orders, and the total number of orders."""
    page = as_answer(data, PLATFORM, "data")
    orders = page.items("items")
    total = page.obj("pagination").whole("total")
    return [line for order in orders for line in parse_order(order)], total


CATEGORY_FIELDS = CategoryFields(items="items", id="id", leaf="is_leaf")
"""Our dialect's names: ``{id (a code), parent_id, name, level, is_leaf}`` under
``data.items``."""
ATTRIBUTE_FIELDS = AttributeFields(
    items="items",
    key="code",
    mandatory="required",
    input_type="type",
    input_types=INPUT_TYPES,
    options="options",
    option_id="id",
    option_name="label",
)
"""Our dialect's names: ``{code, name, required, type, unit, options: [{id, label}]}``
under ``data.items``."""


def parse_categories(data: Answer) -> list[Category]:
    return dialect_discovery.parse_categories(data, CATEGORY_FIELDS)


def parse_attributes(data: Answer) -> list[CategoryAttribute]:
    return dialect_discovery.parse_attributes(data, ATTRIBUTE_FIELDS)


def brand_page(data: Answer) -> tuple[list[Brand], int]:
    brands = parse_brands(data, "items", "id")
    return brands, data.obj("pagination").whole("total")


def category_code(options: Mapping[str, Any], group: str) -> str | None:
    code = str((options.get("category_map") or {}).get(group) or "").strip()
    return code or None


def category_for(draft: ListingDraft, options: Mapping[str, Any]) -> str | None:
    """The draft's own category when it has one, else the group's in ``category_map``."""
    return draft.category_id.strip() or category_code(options, draft.group)


def option_id(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text


def attributes_body(attributes: Sequence[AttributeValue]) -> list[dict[str, Any]]:
    """``[{code, value, option_id?}]``, the option id as a number where it is one."""
    return attribute_entries(attributes, "code", "option_id", option_as=option_id)


def content_body(draft: ListingDraft, fields: Sequence[str]) -> dict[str, Any]:
    """The PATCH body for ``fields`` of ``draft`` (ValueError for a field we do not know)."""
    return dialect_content.content_body(draft, fields, attributes_body)


def missing(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    checks = (
        (
            category_for(draft, options) is None,
            f"no category for group {draft.group!r} in options.category_map "
            "(a Postmart category code)",
        ),
        (
            not draft.weight_g or draft.weight_g <= 0,
            "no weight: Postmart needs the weight in grams to quote VNPost shipping",
        ),
        (not draft.image_urls, "no images: Postmart requires at least one product image"),
        (bool(draft.variants), "variants: Postmart takes one product per SKU (no variants)"),
    )
    return [reason for failed, reason in checks if failed]


def create_body(draft: ListingDraft, category: str) -> dict[str, Any]:
    return {
        "sku": draft.sku,
        "name": draft.name,
        "description": draft.description,
        "price": draft.price,
        "stock": draft.stock,
        "category_id": category,
        "weight": draft.weight_g,
        "images": list(draft.image_urls),
        "ocop": {"stars": draft.stars, "province": draft.province},
        **({"brand_id": option_id(draft.brand_id)} if draft.brand_id else {}),
        **({"attributes": attributes_body(draft.attributes)} if draft.attributes else {}),
    }
