"""Sendo Open API dialect as pure functions: envelopes, errors, product JSON, batches, orders.

Kept apart from :mod:`ocopsync.connectors.sendo` so request building and response
parsing are tested without HTTP. The dialect and the choices made where Sendo's
documentation is silent are described in that module's docstring.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx

from ocopsync.connectors.answers import Answer, as_answer, decoded
from ocopsync.connectors.base import (
    ListingDraft,
    ListingStatus,
    OrderLine,
    OrderLineStatus,
    RemoteListing,
)
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ocopsync.i18n import _

PLATFORM = "sendo"
PAGE_SIZE = 50
BATCH_SIZE = 50
TOKEN_LIFETIME = timedelta(hours=8)
VN_TZ = timezone(timedelta(hours=7))
DESCRIPTION_MIN = 100
DESCRIPTION_MAX = 100_000

# error_details[].code (our choice: Sendo documents no codes) -> what the caller should do.
ERRORS: dict[str, type[ConnectorError]] = {
    "invalid_credentials": FatalConfigError,
    "permission_denied": FatalConfigError,
    "token_expired": AuthExpiredError,
    "token_invalid": AuthExpiredError,
    "validation": RejectedError,
    "sku_duplicate": RejectedError,
    "product_not_found": RejectedError,
    "product_locked": RejectedError,
    "category_not_found": RejectedError,
    "attribute_required": RejectedError,
    "rate_limited": RateLimitedError,
    "system_busy": TransientError,
}
# When an answer carries no code we know, its status_code decides.
ERRORS_BY_STATUS: dict[int, type[ConnectorError]] = {
    400: RejectedError,
    401: AuthExpiredError,
    403: FatalConfigError,
    404: RejectedError,
    409: RejectedError,
    422: RejectedError,
    429: RateLimitedError,
}

# Product status enum (facts §3: 1 pending, 4 cancelled, 5 deleted; 0/2/3/6 from a
# third-party config). Selling (2) is further split by stock_availability.
STATUS_DRAFT, STATUS_PENDING, STATUS_SELLING, STATUS_REJECTED, STATUS_CANCELLED = 0, 1, 2, 3, 4
DELETED_STATUSES = frozenset({5, 6})
STATUS_FROM_REMOTE = {
    STATUS_DRAFT: ListingStatus.UNLISTED,
    STATUS_PENDING: ListingStatus.PENDING,
    STATUS_REJECTED: ListingStatus.REJECTED,
    STATUS_CANCELLED: ListingStatus.UNLISTED,
}

OCOP_LINE = "Sản phẩm đạt chứng nhận OCOP (Chương trình Mỗi xã một sản phẩm) {stars} sao{where}."


def error_from(status_code: int, body: Any, *, login: bool = False) -> ConnectorError:
    """The error a failed Sendo answer means; a 401 at /login means the keys are wrong."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    details = error.get("error_details")
    first = details[0] if isinstance(details, list) and details else {}
    code = str(first.get("code") or "") if isinstance(first, dict) else ""
    message = str(error.get("message") or error.get("details") or f"HTTP {status_code}")
    envelope_status = body.get("status_code") if isinstance(body, dict) else None
    status = envelope_status if isinstance(envelope_status, int) else status_code
    if login and status in (401, 403):
        cls: type[ConnectorError] = FatalConfigError
    elif status == 404 and not isinstance(body, dict):
        # No envelope at all: the path does not exist, so base_url is wrong.
        return FatalConfigError(
            "HTTP 404 without a Sendo envelope: check the connection's base_url",
            platform=PLATFORM,
            code="404",
        )
    else:
        cls = ERRORS.get(code) or ERRORS_BY_STATUS.get(status, TransientError)
    return cls(message, platform=PLATFORM, code=code or str(status))


def unwrap(response: httpx.Response, *, login: bool = False) -> Answer:
    """The ``result`` of a successful envelope; raise the mapped error otherwise.

    A 2xx answer must be an envelope: one that is not JSON, or has no ``success``, is an
    unexpected answer; ``"success": false`` is the error inside, whatever the status.
    """
    if not response.is_success:
        raise error_from(response.status_code, decoded(response), login=login)
    envelope = Answer.of(response, PLATFORM)
    if envelope.field("success", bool):
        return envelope.child("result", envelope.get("result"))
    raise error_from(response.status_code, envelope.value, login=login)


def parse_expires(value: Any, now: datetime) -> datetime:
    """When a login token expires, in UTC; a naive time is Vietnam time (UTC+7)."""
    if isinstance(value, str) and value.strip():
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return now + TOKEN_LIFETIME
        if when.tzinfo is None:
            when = when.replace(tzinfo=VN_TZ)
        return when.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    return now + TOKEN_LIFETIME


def listing_status(status: int, available: bool, stock: int) -> ListingStatus | None:
    """Our status for a product; None for a deleted one.

    A selling product that is unavailable with units in stock was unlisted by us; one
    with no stock is sold out (Sendo forces availability off at zero stock) and stays live.
    """
    if status in DELETED_STATUSES:
        return None
    if status == STATUS_SELLING:
        return ListingStatus.UNLISTED if not available and stock > 0 else ListingStatus.LIVE
    return STATUS_FROM_REMOTE.get(status, ListingStatus.UNLISTED)


def _int(value: Any, default: int = 0) -> int:
    """A whole number from our own settings (options), ``default`` when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_product(item: Any) -> RemoteListing | None:
    """A RemoteListing from a search row or a product detail; None when deleted."""
    product = as_answer(item, PLATFORM)
    stock = product.count("stock_quantity")
    status = listing_status(
        product.count("status" if product.has("status") else "product_status", STATUS_SELLING),
        available(product),
        stock,
    )
    if status is None:
        return None
    return RemoteListing(
        remote_id=product.ident("id"),
        seller_sku=product.scalar_text("sku") or product.scalar_text("store_sku"),
        name=product.scalar_text("name"),
        price=product.count("price"),
        stock=stock,
        status=status,
    )


def available(product: Answer) -> bool:
    """``stock_availability``, which Sendo may leave out (then: not available)."""
    return bool(product.get("stock_availability"))


def search_page(result: Any) -> tuple[list[tuple[RemoteListing, bool]], str]:
    """Each listing of one product search page with its availability, and the cursor."""
    page = as_answer(result, PLATFORM, "result")
    rows = [(parse_product(row), available(row)) for row in page.items("data", optional=True)]
    found = [(listing, availability) for listing, availability in rows if listing is not None]
    return found, page.scalar_text("next_token") if rows else ""


def search_body(cursor: str) -> dict[str, Any]:
    # With a cursor Sendo ignores page_size and filters (facts §3), but sending them is harmless.
    return {"page_size": PAGE_SIZE, "status": None, "token": cursor}


def _escaped_within(text: str, room: int) -> str:
    """``text`` HTML-escaped, cut (before escaping, so no entity is split) to ``room`` chars."""
    escaped = html.escape(text)
    while len(escaped) > room:
        text = text[: min(len(text) - 1, len(text) * room // len(escaped))]
        escaped = html.escape(text)
    return escaped


def description_html(draft: ListingDraft) -> str:
    """Sendo's raw-HTML description (100..100,000 chars) from our plain-text one.

    The text is escaped into paragraphs (so it never carries tags or ``<img>``); a
    short one gets the OCOP certification line, then blank paragraphs, up to 100 chars.
    """
    head = f"<h2>{_escaped_within(draft.name, 1000)}</h2>"
    where = f", {draft.province}" if draft.province else ""
    tail = f"<p>{html.escape(OCOP_LINE.format(stars=draft.stars, where=where))}</p>"
    parts = [head]
    room = DESCRIPTION_MAX - len(head) - len(tail)
    for line in (s.strip() for s in draft.description.splitlines()):
        if not line or room <= len("<p></p>"):
            continue
        text = _escaped_within(line, room - len("<p></p>"))
        if not text:
            break
        parts.append(f"<p>{text}</p>")
        room -= len(text) + len("<p></p>")
    result = "".join(parts)
    if len(result) < DESCRIPTION_MIN:
        result += tail
    while len(result) < DESCRIPTION_MIN:
        result += "<p>&nbsp;</p>"
    return result


def item_errors(result: Any) -> dict[str, ConnectorError]:
    """Per-product errors from a variant-price ``result.error_list``, by product id (a
    null result, or no list, means every item succeeded)."""
    answer = as_answer(result, PLATFORM, "result")
    if answer.value is None:
        return {}
    errors: dict[str, ConnectorError] = {}
    for entry in answer.items("error_list", optional=True):
        code = entry.scalar_text("code") or "validation"
        cls = ERRORS.get(code, RejectedError)
        message = entry.scalar_text("error") or entry.scalar_text("message") or "refused"
        errors[entry.scalar_text("product_id")] = cls(message, platform=PLATFORM, code=code)
    return errors


@dataclass(frozen=True)
class Availability:
    """What this connector knows of one product's stock and ``stock_availability``."""

    stock: int | None
    available: bool
    held: bool
    """We (or the seller) unlisted it: a stock update must not make it available again."""

    @classmethod
    def observed(cls, stock: int, available: bool) -> Availability:
        # Unavailable with units left can only be a deliberate unlist (see listing_status).
        return cls(stock, available, held=not available and stock > 0)


def stock_change(
    known: Availability | None, stock: int
) -> tuple[dict[str, Any], Availability | None]:
    """Fields for a stock update, and what we know after it (the availability rule).

    Sendo requires ``stock_availability`` false at zero stock (facts §3); above zero
    we send it only to re-open a listing that was merely sold out, never one that
    was unlisted, and leave it out when we do not know the listing.
    """
    stock = max(0, stock)
    if stock == 0:
        held = known.held if known else False
        return {"stock_quantity": 0, "stock_availability": False}, Availability(0, False, held)
    if known is None:
        return {"stock_quantity": stock}, None
    if not known.available and not known.held:
        return {"stock_quantity": stock, "stock_availability": True}, Availability(
            stock, True, False
        )
    return {"stock_quantity": stock}, Availability(stock, known.available, known.held)


def status_change(
    known: Availability | None, status: ListingStatus
) -> tuple[dict[str, Any] | None, Availability]:
    """Fields to unlist or relist (None: no request needed), and what we know after it.

    Relisting a product known to have no stock sends nothing: Sendo cannot make it
    available at zero stock, and the next stock update above zero re-opens it.
    """
    stock = known.stock if known else None
    if status is ListingStatus.UNLISTED:
        return {"stock_availability": False}, Availability(stock, False, True)
    if stock == 0:
        return None, Availability(0, False, False)
    return {"stock_availability": True}, Availability(stock, True, False)


# -- sales orders ---------------------------------------------------------------------------
ORDER_PAGE_SIZE = 50
ORDER_WINDOW_DAYS = 3
"""Days one search by ``order_status_date`` may span (Get List Order: "phạm vi 3 ngày")."""
ORDER_DATE_FORMAT = "%Y/%m/%d"
# order_status values that give units back (enum from third-party clients: 13 Hủy, 22 trả
# thành công); every other value (2 new ... 21 returning) keeps the units sold.
ORDER_CANCELLED, ORDER_RETURNED = 13, 22
LINE_STATUS = {ORDER_CANCELLED: OrderLineStatus.CANCELLED, ORDER_RETURNED: OrderLineStatus.RETURNED}


def utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive time is taken as UTC (what stores such as SQLite hand back)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def order_windows(since: datetime, until: datetime) -> list[tuple[date, date]]:
    """Vietnam-time day ranges of at most three days that together cover ``[since, until]``.

    Sendo filters whole days (``yyyy/MM/dd``, facts §8) and refuses longer status-date
    ranges, so a longer window becomes several searches.
    """
    first, last = since.astimezone(VN_TZ).date(), until.astimezone(VN_TZ).date()
    windows = []
    while first <= last:
        end = min(last, first + timedelta(days=ORDER_WINDOW_DAYS - 1))
        windows.append((first, end))
        first = end + timedelta(days=1)
    return windows


def order_search_body(window: tuple[date, date], cursor: str) -> dict[str, Any]:
    """POST /api/partner/salesorder/search by status date; page 1 sends ``token: null``
    as public clients do (with a token, Sendo ignores the other fields)."""
    start, end = window
    return {
        "page_size": ORDER_PAGE_SIZE,
        "order_status": None,
        "order_date_from": None,
        "order_date_to": None,
        "order_status_date_from": start.strftime(ORDER_DATE_FORMAT),
        "order_status_date_to": end.strftime(ORDER_DATE_FORMAT),
        "token": cursor or None,
    }


def order_page(result: Any) -> tuple[list[OrderLine], str]:
    """Every line of one search page, and the next cursor ("" at the end).

    ``data: null`` reads as an empty page, and an empty page ends the search whatever
    its cursor (as the product search does); a missing ``data``, a cursor that is not
    text, or any malformed entry is an unexpected answer.
    """
    page = as_answer(result, PLATFORM, "result")
    if not page.has("data"):
        raise page.fail(_("missing"), "data")
    entries = page.items("data", optional=True)
    cursor = page.maybe("next_token", str) or ""
    return [line for entry in entries for line in parse_order(entry)], cursor if entries else ""


def parse_order(entry: Any) -> list[OrderLine]:
    """Our lines of one ``{sales_order, sku_details[]}`` entry.

    ``sku_details`` carry no line id, so the SKU is the line id. A line's own
    ``item_status`` (our choice, absent on Sendo) overrides the order's status.
    """
    answer = as_answer(entry, PLATFORM, "data[]")
    order = answer.obj("sales_order")
    items = answer.items("sku_details")
    number = order.ident("order_number")
    status = order.whole("order_status")
    created = order.epoch("order_date_time_stamp", fractional=True)
    updated = order.epoch("order_status_date_time_stamp", fractional=True)
    lines = []
    for item in items:
        sku = item.text("sku" if item.has("sku") else "store_sku")
        if not sku:
            raise item.fail(_("should not be empty"), "sku")
        quantity = item.whole("quantity")
        own = item.whole("item_status") if item.has("item_status") else status
        line_status = LINE_STATUS.get(own, OrderLineStatus.ACTIVE)
        lines.append(OrderLine(number, sku, sku, quantity, line_status, created, updated))
    return lines
