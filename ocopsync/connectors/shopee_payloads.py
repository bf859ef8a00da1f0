"""Shopee Open Platform v2 dialect as pure functions: signing, queries, bodies, parsing.

Kept apart from :mod:`ocopsync.connectors.shopee` so that every byte we send and every
field we read can be unit-tested without HTTP. Facts come from
``shared/platforms/shopee.md`` (cited as "facts §n").
"""

from __future__ import annotations

import hashlib
import hmac
import math
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ocopsync.connectors import shopee_discovery as sd
from ocopsync.connectors import shopee_variants as sv
from ocopsync.connectors.answers import Answer, as_answer, decoded
from ocopsync.connectors.base import (
    ItemResult,
    ListingDraft,
    ListingStatus,
    OrderLine,
    OrderLineStatus,
    RemoteListing,
    StatusChange,
    Tokens,
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

PLATFORM = "shopee"

AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner"
TOKEN_GET_PATH = "/api/v2/auth/token/get"
TOKEN_REFRESH_PATH = "/api/v2/auth/access_token/get"
ITEM_LIST_PATH = "/api/v2/product/get_item_list"
BASE_INFO_PATH = "/api/v2/product/get_item_base_info"
SEARCH_ITEM_PATH = "/api/v2/product/search_item"
ADD_ITEM_PATH = "/api/v2/product/add_item"
UPDATE_PRICE_PATH = "/api/v2/product/update_price"
UPDATE_STOCK_PATH = "/api/v2/product/update_stock"
UNLIST_ITEM_PATH = "/api/v2/product/unlist_item"
UPLOAD_IMAGE_PATH = "/api/v2/media_space/upload_image"
ORDER_LIST_PATH = "/api/v2/order/get_order_list"
ORDER_DETAIL_PATH = "/api/v2/order/get_order_detail"

PAGE_SIZE = 100
BASE_INFO_BATCH = 50
UNLIST_BATCH = 50
MAX_IMAGES = 9
"""Shopee's usual item image limit (get_item_limit.item_image_count_limit; value NF)."""
MAX_IMAGE_BYTES = 10 * 1024 * 1024
REFRESH_TTL_S = 30 * 24 * 3600
"""Refresh tokens live 30 days (facts §2.2); the token answers do not say so."""
LISTED_STATUSES = ("NORMAL", "UNLIST", "REVIEWING", "BANNED")
STATUS_FROM_REMOTE = {
    "NORMAL": ListingStatus.LIVE,
    "UNLIST": ListingStatus.UNLISTED,
    "REVIEWING": ListingStatus.PENDING,
    "BANNED": ListingStatus.REJECTED,
    "SHOPEE_DELETE": ListingStatus.REJECTED,
}

# Shopee's error code -> what the caller should do (facts §4, §5). Codes may carry a
# module prefix ("product.error_param"); the lookup uses the part after the last dot.
ERRORS: dict[str, type[ConnectorError]] = {
    "error_sign": FatalConfigError,
    "error_partner_key_expired": FatalConfigError,
    "invalid_partner_id": FatalConfigError,
    "error_api_permission": FatalConfigError,
    "error_auth": FatalConfigError,  # "Invalid access_token." is the exception, see BY_MESSAGE
    "shop_no_linked": FatalConfigError,
    "partner_shop_no_link": FatalConfigError,
    "shop_banned": FatalConfigError,
    "shop_access_expired": FatalConfigError,
    "source_ip_undeclared": FatalConfigError,
    "api_suspended": FatalConfigError,
    "error_shop": FatalConfigError,
    "invalid_code": FatalConfigError,
    "invalid_shop_id": FatalConfigError,
    "refresh_token_expired": FatalConfigError,
    "error_shop_refresh_token": FatalConfigError,
    # The daily call quota resets at 00:00 UTC+8: backing off for seconds cannot help
    # and only burns more of tomorrow's quota, so this connection stops for the run.
    "error_limit": FatalConfigError,
    "invalid_access_token": AuthExpiredError,
    "invalid_acceess_token": AuthExpiredError,  # sic, facts §4
    "error_rate_limit": RateLimitedError,
    "error_system_busy": TransientError,
    "error_server": TransientError,
    "error_inner": TransientError,
    "error_network": TransientError,
    "error_param": RejectedError,
    "error_data": RejectedError,
    "error_item_not_found": RejectedError,
    "error_item_not_belong_shop": RejectedError,
    "error_invalid_price": RejectedError,
    "error_update_price_fail": RejectedError,
    "error_busi_update_stock_failed": RejectedError,
    "error_unlist_item_all_failed": RejectedError,
    "error_busi_cannot_delist_reviewing_or_banned_item": RejectedError,
    "error_repeated_mtsku": RejectedError,
    "error_reach_shop_item_limit": RejectedError,
    "error_name_length_limit": RejectedError,
    "error_image_num_min": RejectedError,
    # add_item's attribute and brand refusals (v2.product.add_item error_list).
    "error_less_required_attribute": RejectedError,
    "error_less_required_brand": RejectedError,
    "error_invalid_brand": RejectedError,
    "error_invalid_attribute_value": RejectedError,
    "error_invalid_category_attribute": RejectedError,
    "error_invalid_category": RejectedError,
    # Order APIs (v2.order.get_order_list / get_order_detail error_list).
    "error_permission": FatalConfigError,  # the app lacks the order permission
    "error_not_found": RejectedError,
    "order_list_invalid_time": RejectedError,  # our windows are at most 15 days
}
# (code, fragment of the lowercased message) -> class, checked before ERRORS.
BY_MESSAGE: dict[tuple[str, str], type[ConnectorError]] = {
    ("error_auth", "access_token"): AuthExpiredError,
    # A stale timestamp means our clock is off: every call would fail the same way.
    ("error_param", "timestamp"): FatalConfigError,
}


def signature(partner_key: str, base_string: str) -> str:
    """HMAC-SHA256 of the base string with the partner key, lowercase hex (facts §2.3)."""
    return hmac.new(partner_key.encode(), base_string.encode(), hashlib.sha256).hexdigest()


def base_string(
    partner_id: str, path: str, timestamp: int, access_token: str = "", shop_id: str = ""
) -> str:
    """Public API: partner_id+path+timestamp; Shop API adds access_token+shop_id."""
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def signed_query(
    partner_id: str,
    partner_key: str,
    path: str,
    timestamp: int,
    access_token: str = "",
    shop_id: str = "",
) -> list[tuple[str, str]]:
    """The common query parameters, in the order of the doc's example (facts §2.3)."""
    params = [("partner_id", partner_id), ("timestamp", str(timestamp))]
    if access_token:
        params += [("access_token", access_token), ("shop_id", shop_id)]
    base = base_string(partner_id, path, timestamp, access_token, shop_id)
    return [*params, ("sign", signature(partner_key, base))]


def error_class(code: str, message: str) -> type[ConnectorError]:
    short = code.rsplit(".", 1)[-1]
    lowered = message.lower()
    for (known, fragment), cls in BY_MESSAGE.items():
        if short == known and fragment in lowered:
            return cls
    # Unknown codes are refusals, not retried: a retry loop on a code we do not know
    # would only repeat the refusal.
    return ERRORS.get(short, RejectedError)


def unwrap(response: httpx.Response) -> Answer:
    """The JSON payload of a Shopee answer, or the mapped error it carries.

    Like the SDKs, we branch on the JSON ``error`` field, not on the HTTP status
    (facts §4); 429 and 5xx never get here (PlatformHttp.send maps them). A 4xx that
    is not Shopee's JSON is a wrong ``base_url``; a 2xx that is not JSON (a proxy's
    page, an empty body) is an unexpected answer, retried.
    """
    if response.status_code >= 400 and not isinstance(decoded(response), dict):
        raise FatalConfigError(
            f"answer is not a JSON object (HTTP {response.status_code}); is base_url right?",
            platform=PLATFORM,
            code=str(response.status_code),
        )
    payload = Answer.of(response, PLATFORM)
    payload.mapping()
    code = payload.scalar_text("error")
    if code:
        message = payload.scalar_text("message") or code
        raise error_class(code, message)(message, platform=PLATFORM, code=code)
    if response.status_code >= 400:
        raise FatalConfigError(
            f"HTTP {response.status_code} without a Shopee error code",
            platform=PLATFORM,
            code=str(response.status_code),
        )
    return payload


def response_of(payload: Any) -> Answer:
    """The ``response`` object of a payload; an empty one when Shopee sends none (calls
    whose answer is only ``error: ""``), so that the fields read from it are reported."""
    answer = as_answer(payload, PLATFORM)
    if answer.get("response") is None:
        return answer.child("response", {})
    return answer.obj("response")


# -- listing ------------------------------------------------------------------------
def item_list_query(offset: int, page_size: int = PAGE_SIZE) -> list[tuple[str, str]]:
    query = [("offset", str(offset)), ("page_size", str(page_size))]
    return query + [("item_status", s) for s in LISTED_STATUSES]


def base_info_query(item_ids: Iterable[str]) -> list[tuple[str, str]]:
    # Arrays go as repeated keys (facts §2.3).
    return [("item_id_list", i) for i in item_ids]


def search_query(sku: str, offset: str = "") -> list[tuple[str, str]]:
    query = [("page_size", str(PAGE_SIZE)), ("item_sku", sku)]
    if offset:
        query.append(("offset", offset))
    return query + [("item_status", s) for s in LISTED_STATUSES]


@dataclass(frozen=True)
class ItemPage:
    """One get_item_list page: item ids, whether another follows and at which offset,
    and ``total_count`` (None when the answer leaves it out: then no page is read
    ahead)."""

    ids: list[str]
    has_next: bool
    next_offset: int
    total: int | None


def parse_item_page(resp: Any) -> ItemPage:
    page = as_answer(resp, PLATFORM, "response")
    ids = [i.ident("item_id") for i in page.items("item", optional=True)]
    total = page.maybe("total_count", int)
    return ItemPage(
        ids, page.maybe("has_next_page", bool) or False, page.count("next_offset"), total
    )


def _optional_object(answer: Answer, key: str) -> Answer:
    return answer.child(key, {}) if answer.get(key) is None else answer.obj(key)


def parse_listing(item: Any) -> RemoteListing | None:
    """One get_item_base_info item, or None for an item the seller deleted.

    Price is ``original_price`` and stock the sum of ``seller_stock``: the fields we
    write, so a promotion price or reserved stock is not mistaken for drift. An item
    with models has neither (its models do, see :func:`parse_items`).
    """
    parsed = parse_item(item)
    return parsed[0] if parsed else None


def parse_item(item: Any) -> tuple[RemoteListing, bool] | None:
    """:func:`parse_listing`'s listing and whether the item has models."""
    product = as_answer(item, PLATFORM, "item_list[]")
    raw_status = product.scalar_text("item_status")
    if raw_status == "SELLER_DELETE":
        return None
    prices = product.items("price_info", optional=True)
    price = round(prices[0].number("original_price")) if prices else 0
    stock_info = _optional_object(product, "stock_info_v2")
    seller = stock_info.items("seller_stock", optional=True)
    if seller:
        stock = sum(s.count("stock") for s in seller)
    else:
        stock = _optional_object(stock_info, "summary_info").count("total_available_stock")
    listing = RemoteListing(
        remote_id=product.ident("item_id"),
        seller_sku=product.scalar_text("item_sku"),
        name=product.scalar_text("item_name"),
        price=price,
        stock=stock,
        # An unknown status counts as listed-not-live, so we never list twice.
        status=STATUS_FROM_REMOTE.get(raw_status, ListingStatus.PENDING),
    )
    return listing, bool(product.maybe("has_model", bool))


def parse_items(resp: Any) -> list[tuple[RemoteListing, bool]]:
    """Every item of a get_item_base_info answer, and whether it has models."""
    page = as_answer(resp, PLATFORM, "response")
    parsed = (parse_item(item) for item in page.items("item_list", optional=True))
    return [entry for entry in parsed if entry is not None]


def parse_base_info(resp: Any) -> list[RemoteListing]:
    return [listing for listing, _has_model in parse_items(resp)]


def parse_search(resp: Any) -> tuple[list[str], str, int]:
    """Item ids of one search_item page, the next offset ("" if none), and the total."""
    page = as_answer(resp, PLATFORM, "response")
    ids = [str(i) for i in page.maybe("item_id_list", list) or []]
    return ids, page.scalar_text("next_offset"), page.count("total_count")


# -- creating -----------------------------------------------------------------------
def category_of(draft: ListingDraft, options: Mapping[str, Any]) -> str:
    """The draft's own leaf, else ``options.category_map[group]`` ("" when neither)."""
    if draft.category_id:
        return str(draft.category_id)
    mapped = (options.get("category_map") or {}).get(draft.group)
    return "" if mapped is None else str(mapped)


def missing_for_create(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    """What add_item needs (facts §3) that the draft and options do not give."""
    missing: list[str] = []
    category = category_of(draft, options)
    if not category:
        missing.append(f"no category for group {draft.group!r} in options.category_map")
    elif not category.isdigit():
        where = "category_id" if draft.category_id else f"options.category_map[{draft.group!r}]"
        missing.append(f"{where} must be a Shopee category id")
    if not options.get("logistic_ids"):
        missing.append("no logistics channel: set options.logistic_ids (get_channel_list ids)")
    if not images_to_upload(draft, options) and not options.get("placeholder_image_id"):
        missing.append(
            "no images: Shopee requires at least one image (image URLs on a host of "
            "options.image_hosts, or options.placeholder_image_id)"
        )
    for url in draft.image_urls[:MAX_IMAGES]:
        if not url.startswith(("http://", "https://")):
            missing.append(f"image {url!r} is not an http(s) URL")
    if not (draft.weight_g or options.get("default_weight_g")):
        missing.append("no weight: Shopee requires the package weight (options.default_weight_g)")
    if not draft.description.strip():
        missing.append("no description: Shopee requires one")
    if draft.brand_id and not draft.brand_id.isdigit():
        missing.append(f"brand id {draft.brand_id!r} is not a Shopee brand_id")
    missing += sd.attribute_problems(draft.attributes)
    if draft.variants:
        missing += sv.variant_problems(draft, sd.MAX_VARIANTS)
    return missing


def images_to_upload(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    """The image URLs we may download and upload: all, or those on ``options.image_hosts``."""
    hosts = options.get("image_hosts")
    urls = list(draft.image_urls)
    if hosts is not None:
        allowed = {str(h).lower() for h in hosts}
        urls = [u for u in urls if (urllib.parse.urlsplit(u).hostname or "") in allowed]
    return urls[:MAX_IMAGES]


def add_item_body(
    draft: ListingDraft, options: Mapping[str, Any], image_ids: Sequence[str]
) -> dict[str, Any]:
    """add_item's body. With variants the item-level price and stock are placeholders
    Shopee replaces by the models' (init_tier_variation): the lowest price, the sum."""
    weight_g = draft.weight_g or int(options["default_weight_g"])
    price, stock = draft.price, draft.stock
    if draft.variants:
        price = min(v.price for v in draft.variants)
        stock = sum(v.stock for v in draft.variants)
    body: dict[str, Any] = {
        "item_name": draft.name,
        "description": draft.description,
        "item_sku": draft.sku,
        "original_price": price,  # VND: whole numbers only (facts §3)
        "seller_stock": [{"stock": stock}],
        "weight": round(weight_g / 1000, 3),  # kg
        "category_id": int(category_of(draft, options)),
        "image": {"image_id_list": list(image_ids)},
        "logistic_info": [
            {"logistic_id": int(lid), "enabled": True} for lid in options["logistic_ids"]
        ],
        "condition": "NEW",
        "item_status": "NORMAL",
        "brand": sd.brand_of(draft),
    }
    if draft.attributes:
        body["attribute_list"] = sd.attribute_list(draft.attributes)
    return body


def image_id_of(resp: Any) -> str:
    """The image id of an upload_image answer."""
    return response_of(resp).obj("image_info").ident("image_id")


def item_id_of(resp: Any) -> str:
    """The item id of an add_item ``response``."""
    return as_answer(resp, PLATFORM, "response").ident("item_id")


# -- updates ------------------------------------------------------------------------
def price_body(item_id: int, price: int, model_id: int = 0) -> dict[str, Any]:
    # One item per call; model_id 0 is the item itself when it has no variants.
    return {"item_id": item_id, "price_list": [{"model_id": model_id, "original_price": price}]}


def stock_body(item_id: int, stock: int, model_id: int = 0) -> dict[str, Any]:
    entry = {"model_id": model_id, "seller_stock": [{"stock": stock}]}
    return {"item_id": item_id, "stock_list": [entry]}


def model_failure(resp: Any, endpoint: str, model_id: int = 0) -> ConnectorError | None:
    """The refusal of ``model_id`` from an update_price/update_stock failure_list, if any."""
    for failure in as_answer(resp, PLATFORM, "response").items("failure_list", optional=True):
        if failure.count("model_id") == model_id:
            reason = failure.scalar_text("failed_reason") or f"{endpoint} failed"
            return RejectedError(reason, platform=PLATFORM, code="failure_list")
    return None


def unlist_body(changes: Sequence[StatusChange]) -> dict[str, Any]:
    return {
        "item_list": [
            {"item_id": int(c.remote_id), "unlist": c.status is ListingStatus.UNLISTED}
            for c in changes
        ]
    }


def unlist_results(changes: Sequence[StatusChange], resp: Any) -> list[ItemResult]:
    answer = as_answer(resp, PLATFORM, "response")
    done = {s.ident("item_id") for s in answer.items("success_list", optional=True)}
    failed = {
        f.ident("item_id"): f.scalar_text("failed_reason") or "refused"
        for f in answer.items("failure_list", optional=True)
    }
    results = []
    for change in changes:
        error: ConnectorError | None = None
        if change.remote_id in failed:
            error = RejectedError(failed[change.remote_id], platform=PLATFORM, code="failure_list")
        elif change.remote_id not in done:
            error = TransientError("unlist_item answer left this item out", platform=PLATFORM)
        results.append(ItemResult(change.sku, change.remote_id, error))
    return results


# -- tokens -------------------------------------------------------------------------
def token_body(partner_id: str, shop_id: str, **fields: str) -> dict[str, Any]:
    return {**fields, "partner_id": int(partner_id), "shop_id": int(shop_id)}


def tokens_from(payload: Any, now: float, shop_id: str) -> Tokens:
    """Tokens from a token/get or access_token/get answer (fields at top level, facts §2.2)."""
    answer = as_answer(payload, PLATFORM)
    access = answer.text("access_token")
    if not access:
        raise answer.fail(_("should not be empty"), "access_token")
    expire_in = answer.number("expire_in")
    return Tokens(
        access_token=access,
        refresh_token=answer.scalar_text("refresh_token"),
        access_expires_at=datetime.fromtimestamp(now + expire_in, UTC),
        refresh_expires_at=datetime.fromtimestamp(now + REFRESH_TTL_S, UTC),
        extra={"shop_id": shop_id},
    )


# -- orders -------------------------------------------------------------------------
ORDER_PAGE_SIZE = 100
ORDER_DETAIL_BATCH = 50
ORDER_MAX_WINDOW = timedelta(days=15)
"""get_order_list refuses a longer time_from..time_to (spec: "maximum date range ... is
15 days"; error ``order.order_list_invalid_time``)."""
LINE_STATUS_FROM_REMOTE = {
    "CANCELLED": OrderLineStatus.CANCELLED,
    "TO_RETURN": OrderLineStatus.RETURNED,
}
"""Every other status is active. IN_CANCEL is a cancellation still being processed (it
may be refused, and the units are not back), so it stays active until CANCELLED."""


def order_windows(
    since: datetime, until: datetime, max_window: timedelta = ORDER_MAX_WINDOW
) -> list[tuple[int, int]]:
    """``[since, until]`` as epoch-second windows of at most ``max_window``, in order.

    Windows share their boundary second: inclusiveness is not documented, so both ends
    are asked for and orders seen twice are dropped by the caller. Naive datetimes are
    taken as UTC; an empty range (until before since) has no window.
    """
    start = math.floor(_utc(since).timestamp())
    end = math.ceil(_utc(until).timestamp())
    if end < start:
        return []
    step = int(max_window.total_seconds())
    windows = [(start, min(start + step, end))]
    while windows[-1][1] < end:
        start = windows[-1][1]
        windows.append((start, min(start + step, end)))
    return windows


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_list_query(time_from: int, time_to: int, cursor: str = "") -> list[tuple[str, str]]:
    # update_time, so a cancellation or return of an older order is seen again.
    query = [
        ("time_range_field", "update_time"),
        ("time_from", str(time_from)),
        ("time_to", str(time_to)),
        ("page_size", str(ORDER_PAGE_SIZE)),
    ]
    return [*query, ("cursor", cursor)] if cursor else query


def order_detail_query(order_sns: Sequence[str]) -> list[tuple[str, str]]:
    # order_sn_list is one comma-joined value (spec: "use English comma to connect them").
    return [("order_sn_list", ",".join(order_sns)), ("response_optional_fields", "item_list")]


def parse_order_page(resp: Any, cursor: str = "") -> tuple[list[str], str]:
    """The order_sn of one get_order_list page, and the cursor of the next ("" if last)."""
    page = as_answer(resp, PLATFORM, "response")
    more = page.field("more", bool)
    order_sns = [entry.text("order_sn") for entry in page.items("order_list", optional=True)]
    if not more:
        return order_sns, ""
    next_cursor = page.text("next_cursor")
    if not next_cursor or next_cursor == cursor:
        raise page.fail(_("more is true but next_cursor does not move on"))
    return order_sns, next_cursor


def line_status(remote: str) -> OrderLineStatus:
    return LINE_STATUS_FROM_REMOTE.get(remote, OrderLineStatus.ACTIVE)


def _quantity(item: Answer) -> int:
    quantity = item.whole("model_quantity_purchased")
    if quantity < 0:
        raise item.fail(_("should not be negative"), "model_quantity_purchased")
    return quantity


def _sku(item: Answer) -> str:
    return (item.maybe("model_sku", str) or "") or (item.maybe("item_sku", str) or "")


def parse_order(order: Any) -> list[OrderLine]:
    """One OrderLine per item_list entry of one get_order_detail order.

    line_id is ``<item_id>-<model_id>``: stable across reads, unlike a position, and
    unique where order_item_id is not (items of one bundle deal share it). An item and
    model listed twice in one order get ``#2``, ``#3`` in list order.
    """
    entry = as_answer(order, PLATFORM, "order_list[]")
    order_sn = entry.text("order_sn")
    if not order_sn:
        raise entry.fail(_("should not be empty"), "order_sn")
    status = line_status(entry.text("order_status"))
    created, updated = entry.epoch("create_time"), entry.epoch("update_time")
    lines: list[OrderLine] = []
    seen: dict[str, int] = {}
    for item in entry.items("item_list"):
        key = f"{item.whole('item_id')}-{item.whole('model_id')}"
        quantity, sku = _quantity(item), _sku(item)
        seen[key] = seen.get(key, 0) + 1
        line_id = key if seen[key] == 1 else f"{key}#{seen[key]}"
        lines.append(OrderLine(order_sn, line_id, sku, quantity, status, created, updated))
    return lines


def parse_order_details(resp: Any, asked: Sequence[str]) -> list[OrderLine]:
    """Every line of a get_order_detail answer; an order asked for but left out is an
    error (retried), since skipping it would lose its sale for good."""
    page = as_answer(resp, PLATFORM, "response")
    orders = page.items("order_list")
    lines = [line for order in orders for line in parse_order(order)]
    answered = {order.text("order_sn") for order in orders}
    missing = [order_sn for order_sn in asked if order_sn not in answered]
    if missing:
        raise page.fail(_("order(s) left out: {missing}").format(missing=", ".join(missing)))
    return lines
