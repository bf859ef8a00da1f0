"""Pure pieces of the Shopee emulator: envelopes, item and order rendering, validation.

Kept apart from :mod:`ocopsync.sandbox.shopee` (routes and gateway checks) so the app
module stays readable. Nothing here imports the connector: the sandbox re-derives the
dialect from ``shared/platforms/shopee.md`` on its own, so a bug in one cannot hide
behind the same bug in the other.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from ocopsync.sandbox.base import SandboxItem, SandboxOrder, SandboxOrderLine, SandboxShop
from ocopsync.sandbox.shopee_attributes import (
    ATTRIBUTES,
    CHANNELS,
    NO_BRAND_NAME,
    attribute_problem,
    brand_problem,
    content_problem,
    rendered_attributes,
)
from ocopsync.sandbox.shopee_models import label_of

MAX_PAGE_SIZE = 100
MAX_IDS = 50
MAX_MODELS = 50
MAX_IMAGE_BYTES = 10 * 1024 * 1024
TIMESTAMP_WINDOW_S = 300
ITEM_STATUSES = ("NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE")
STATUS_OUT = {
    "live": "NORMAL",
    "unlisted": "UNLIST",
    "pending": "REVIEWING",
    "deleted": "SELLER_DELETE",
}
CATEGORY_MAP = {
    "food": 100629,
    "beverage": 100860,
    "herbal": 101011,
    "textile": 100348,
    "handicraft": 101186,
}
LOGISTIC_IDS = (50011, 50021)
PLACEHOLDER_IMAGE_ID = "vn-11134207-sandbox-placeholder"
RATE_LIMIT_MESSAGE = "Too many requests. You have reached the rate limit. Please try again later."
# Our choice (facts §4: HTTP status NF): 403 for sign/auth/partner errors, 429 for the
# rate limit, 500 for server faults, 400 for every other error.
HTTP_STATUS = {
    "error_sign": 403,
    "error_auth": 403,
    "invalid_acceess_token": 403,
    "invalid_partner_id": 403,
    "invalid_code": 403,
    "error_rate_limit": 429,
    "error_server": 500,
}
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

Problem = tuple[str, str]
"""(error code, message) as Shopee writes them."""


def request_id() -> str:
    return secrets.token_hex(16)


def envelope(response: Mapping[str, Any], warning: str | list[str] = "") -> JSONResponse:
    """A success in the common envelope (facts §4)."""
    return JSONResponse(
        {
            "request_id": request_id(),
            "error": "",
            "message": "",
            "warning": warning,
            "response": dict(response),
        }
    )


def top_level(fields: Mapping[str, Any]) -> JSONResponse:
    """A success of the auth endpoints, whose fields are not wrapped (facts §2.2)."""
    return JSONResponse({"request_id": request_id(), "error": "", "message": "", **fields})


def error(code: str, message: str, **response: Any) -> JSONResponse:
    body: dict[str, Any] = {"request_id": request_id(), "error": code, "message": message}
    if response:
        body["response"] = response
    return JSONResponse(body, status_code=HTTP_STATUS.get(code, 400))


def param_error(detail: str) -> Problem:
    return ("error_param", f"Wrong parameters, detail: {detail}.")


def list_param(query: QueryParams, key: str) -> list[str]:
    """An array query param sent as repeated keys, a comma list or ``[a,b]`` (facts §2.3)."""
    values: list[str] = []
    for raw in query.getlist(key):
        values += [v.strip().strip("\"'") for v in raw.strip().strip("[]").split(",")]
    return [v for v in values if v]


def whole(value: Any) -> int | None:
    """A JSON number as an int when it is whole, else None (text is not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def query_int(value: str | None) -> int | None:
    """A query parameter as an int, or None when absent or not a whole number."""
    text = (value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def model_value(entry: Mapping[str, Any], key: str) -> tuple[int | None, str]:
    """The new price or stock one model entry carries, or None and Shopee's reason
    (which listing it writes is :func:`.shopee_models.price_or_stock_target`'s call)."""
    if key == "price_list":
        price = whole(entry.get("original_price"))
        if price is None or price <= 0:
            return None, "Price of VN region must be a positive integer."
        return price, ""
    stock = total_stock(entry.get("seller_stock"))
    if stock is None:
        return None, "seller_stock must be a list of {stock >= 0}."
    return stock, ""


def status_of(item: SandboxItem) -> str:
    """Shopee's status of an item; ``data["item_status"]`` lets tests ban an item."""
    return str(item.data.get("item_status") or STATUS_OUT.get(item.status, "NORMAL"))


def image_url(image_id: str) -> str:
    return f"https://cf.shopee.vn/file/{image_id}"


def render_item(item: SandboxItem) -> dict[str, Any]:
    """get_item_base_info's shape, with defaults for items seeded without details.

    An item with models has no ``price_info`` and no ``stock_info_v2`` of its own
    (facts §3: "price_info absent from get_item_base_info when has_model")."""
    data = item.data
    image_ids = list(data.get("image_ids") or [PLACEHOLDER_IMAGE_ID])
    category = int(data.get("category_id", CATEGORY_MAP["food"]))
    rendered = {
        "item_id": int(item.remote_id),
        "category_id": category,
        "item_name": item.name,
        "description": data.get("description", ""),
        "item_sku": item.sku,
        "create_time": int(data.get("create_time", item.updated_at)),
        "update_time": int(item.updated_at),
        "price_info": [
            {"currency": "VND", "original_price": item.price, "current_price": item.price}
        ],
        "stock_info_v2": {
            "summary_info": {"total_reserved_stock": 0, "total_available_stock": item.stock},
            "seller_stock": [{"stock": item.stock}],
        },
        "image": {"image_id_list": image_ids, "image_url_list": [image_url(i) for i in image_ids]},
        "weight": str(data.get("weight", "0.5")),
        "logistic_info": data.get(
            "logistic_info", [{"logistic_id": LOGISTIC_IDS[0], "enabled": True}]
        ),
        "item_status": status_of(item),
        "has_model": bool(data.get("model_ids")),
        "condition": "NEW",
        "attribute_list": rendered_attributes(category, data.get("attribute_list")),
        "brand": data.get("brand") or {"brand_id": 0, "original_brand_name": NO_BRAND_NAME},
    }
    if data.get("dimension"):
        rendered["dimension"] = data["dimension"]
    if rendered["has_model"]:
        del rendered["price_info"], rendered["stock_info_v2"]
    return rendered


def item_list_page(items: list[SandboxItem], offset: int, size: int) -> dict[str, Any]:
    page = items[offset : offset + size]
    return {
        "item": [
            {
                "item_id": int(i.remote_id),
                "item_status": status_of(i),
                "update_time": int(i.updated_at),
            }
            for i in page
        ],
        "total_count": len(items),
        "has_next_page": offset + size < len(items),
        "next_offset": offset + len(page),
    }


def search_page(matches: list[SandboxItem], offset: int, size: int) -> dict[str, Any]:
    """search_item's answer; ``next_offset`` is an opaque string, empty after the last page."""
    more = offset + size < len(matches)
    return {
        "item_id_list": [int(i.remote_id) for i in matches[offset : offset + size]],
        "total_count": len(matches),
        "next_offset": str(offset + size) if more else "",
    }


def unlist_problem(item: SandboxItem | None, unlist: Any) -> str:
    """Why one unlist_item entry fails ("" when it can be applied)."""
    if item is None:
        return "item not found"
    if not isinstance(unlist, bool):
        return "unlist must be true or false"
    if status_of(item) not in ("NORMAL", "UNLIST"):
        return "Can not delist reviewing or banned item."
    return ""


def add_item_problem(body: Mapping[str, Any], images: set[str]) -> Problem | None:
    """Why add_item refuses ``body`` (required fields per facts §3; the category's
    attributes and brand per :mod:`.shopee_attributes`), or None."""
    for field in ("item_name", "description"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            return param_error(f"{field} is required")
    price = body.get("original_price")
    if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
        return ("error_invalid_price", "original_price must be a positive number.")
    if whole(price) is None:
        return ("error_invalid_price", "Price of VN region must be an integer.")
    weight = body.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        return ("error_param", "Invalid Weight.")
    leaf = whole(body.get("category_id"))
    if leaf is None or leaf not in ATTRIBUTES:
        return ("error_invalid_category", f"Invalid category ID {body.get('category_id')}")
    image_ids = (body.get("image") or {}).get("image_id_list")
    if not isinstance(image_ids, list) or not image_ids:
        return ("error_image_num_min", "At least one image is required.")
    if any(i not in images for i in image_ids):
        return ("error_param", "Image not exist.")
    return (
        content_problem(body)
        or attribute_problem(leaf, body.get("attribute_list"), creating=True)
        or brand_problem(leaf, body.get("brand"))
        or logistics_problem(body.get("logistic_info"))
        or stock_problem(body)
    )


ENABLED_CHANNELS = {c[0] for c in CHANNELS if c[2]}
ALL_CHANNELS = {c[0] for c in CHANNELS}


def logistics_problem(logistics: Any) -> Problem | None:
    if not isinstance(logistics, list) or not logistics:
        return param_error("logistic_info is required")
    enabled = False
    for channel in logistics:
        channel_id = whole(channel.get("logistic_id")) if isinstance(channel, dict) else None
        if channel_id not in ALL_CHANNELS:
            return ("error_param", f"Invalid logistic info, logistic_id {channel_id} not found")
        if channel_id not in ENABLED_CHANNELS and channel.get("enabled") is True:
            message = f"Invalid logistic info, channel {channel_id} is not enabled in the shop"
            return ("error_param", message)
        enabled = enabled or channel.get("enabled") is True
    return None if enabled else param_error("at least one logistics channel must be enabled")


def stock_problem(body: Mapping[str, Any]) -> Problem | None:
    if body.get("item_status", "NORMAL") not in ("NORMAL", "UNLIST"):
        return param_error("item_status must be NORMAL or UNLIST")
    if not isinstance(body.get("item_sku", ""), str):
        return param_error("item_sku must be a string")
    stocks = body.get("seller_stock")
    if stocks not in (None, []) and total_stock(stocks) is None:
        return param_error("seller_stock must be a list of {stock >= 0}")
    return None


def total_stock(entries: Any) -> int | None:
    """The sum of ``[{stock}]`` entries, or None when one is not a whole number >= 0."""
    if not isinstance(entries, list) or not entries:
        return None
    total = 0
    for entry in entries:
        stock = whole(entry.get("stock")) if isinstance(entry, dict) else None
        if stock is None or stock < 0:
            return None
        total += stock
    return total


def image_problem(fields: Mapping[str, bytes]) -> Problem | None:
    image = fields.get("image")
    if not image:
        return param_error("image is required")
    if len(image) > MAX_IMAGE_BYTES:
        return param_error("image is larger than 10.0 MB")
    if not image.startswith(IMAGE_MAGIC):
        return param_error("image format must be JPG, JPEG or PNG")
    if fields.get("scene", b"normal") not in (b"normal", b"desc"):
        return param_error("scene must be normal or desc")
    return None


# -- orders (v2.order.get_order_list / get_order_detail) -------------------------------
MAX_ORDER_PAGE = 100
MAX_ORDER_SNS = 50
MAX_ORDER_RANGE_S = 15 * 24 * 3600
DAYS_TO_SHIP = 2
TIME_RANGE_FIELDS = ("create_time", "update_time")
ORDER_STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
    "INVOICE_PENDING",
)
INVALID_TIME: Problem = (
    "order.order_list_invalid_time",
    "Start time must be earlier than end time and diff in 15days.",
)
ORDER_NOT_FOUND: Problem = ("error_not_found", "Wrong parameters, detail: the order is not found.")
ORDER_SN_CHARS = string.ascii_uppercase + string.digits
SELLER_TZ = timezone(timedelta(hours=7))
"""The date in an order_sn is read in Vietnam's time (our guess; the docs do not say)."""


def new_order_sn(now: float, taken: Collection[str]) -> str:
    """``YYMMDD`` + 8 uppercase letters/digits, the shape of the spec's samples."""
    day = datetime.fromtimestamp(now, SELLER_TZ).strftime("%y%m%d")
    while True:
        order_sn = day + "".join(secrets.choice(ORDER_SN_CHARS) for _ in range(8))
        if order_sn not in taken:
            return order_sn


def order_status(order: SandboxOrder) -> str:
    """Shopee's one status per order, from the neutral status of its lines.

    get_order_detail has no status per item, so a partial outcome cannot be told per
    line: any returned line puts the whole order in TO_RETURN (the buyer's return is
    processed per order); a cancellation shows only once every line is cancelled.
    """
    states = {line.status for line in order.lines}
    if states == {"cancelled"}:
        return "CANCELLED"
    if "returned" in states:
        return "TO_RETURN"
    return "READY_TO_SHIP"


@dataclass(frozen=True)
class OrderQuery:
    """get_order_list's parameters, checked."""

    field: str
    time_from: int
    time_to: int
    page_size: int
    offset: int
    status: str
    with_status: bool


def order_list_query(query: QueryParams) -> OrderQuery | Problem:
    """The checked parameters of a get_order_list call, or Shopee's refusal."""
    field = query.get("time_range_field", "")
    time_from, time_to = query_int(query.get("time_from")), query_int(query.get("time_to"))
    size = query_int(query.get("page_size"))
    cursor = query.get("cursor", "").strip().strip("\"'")
    status = query.get("order_status", "")
    if field not in TIME_RANGE_FIELDS:
        return param_error("time_range_field must be create_time or update_time")
    if time_from is None or time_to is None:
        return param_error("time_from and time_to are required")
    if size is None or not 1 <= size <= MAX_ORDER_PAGE:
        return param_error("page_size must be between 1 and 100")
    if cursor and not cursor.isdigit():
        return param_error("cursor is invalid")
    if status and status not in ORDER_STATUSES:
        return param_error("order_status is invalid")
    if time_from > time_to or time_to - time_from > MAX_ORDER_RANGE_S:
        return INVALID_TIME
    optional = list_param(query, "response_optional_fields")
    offset = int(cursor or 0)
    return OrderQuery(field, time_from, time_to, size, offset, status, "order_status" in optional)


def order_list_page(orders: list[SandboxOrder], q: OrderQuery) -> dict[str, Any]:
    """One page; the cursor is an offset written as a string, empty after the last page."""
    page = orders[q.offset : q.offset + q.page_size]
    more = q.offset + q.page_size < len(orders)
    entries: list[dict[str, Any]] = [{"order_sn": o.order_id} for o in page]
    if q.with_status:
        for entry, order in zip(entries, page, strict=True):
            entry["order_status"] = order_status(order)
    return {
        "more": more,
        "next_cursor": str(q.offset + q.page_size) if more else "",
        "order_list": entries,
    }


def render_order_line(line: SandboxOrderLine, shop: SandboxShop) -> dict[str, Any]:
    """One item_list entry: a model's line names its item and model (the SKU in
    ``model_sku``), an item without models is model 0 with the SKU in ``item_sku``."""
    listing = shop.items.get(line.remote_id)
    parent = (
        shop.items.get(str(listing.data["parent"]))
        if listing and "parent" in listing.data
        else None
    )
    model_name = label_of(parent, listing) if parent is not None and listing is not None else ""
    return {
        "item_id": int(parent.remote_id if parent else line.remote_id),
        "item_name": listing.name if listing else line.sku,
        "item_sku": parent.sku if parent else line.sku,
        "model_id": int(line.remote_id) if parent else 0,
        "model_name": model_name,
        "model_sku": line.sku if parent else "",
        "model_quantity_purchased": line.quantity,
        "model_original_price": line.price,
        "model_discounted_price": line.price,
        "wholesale": False,
        "add_on_deal": False,
        "main_item": False,
        "add_on_deal_id": 0,
        "promotion_type": "",
        "promotion_id": 0,
        "order_item_id": int(line.remote_id),
        "promotion_group_id": 0,
    }


def render_order(order: SandboxOrder, shop: SandboxShop, optional: set[str]) -> dict[str, Any]:
    """get_order_detail's order: the default fields, plus the optional ones asked for."""
    created = int(order.created_at)
    rendered: dict[str, Any] = {
        "order_sn": order.order_id,
        "region": "VN",
        "currency": "VND",
        "cod": False,
        "order_status": order_status(order),
        "message_to_seller": "",
        "create_time": created,
        "update_time": int(order.updated_at),
        "days_to_ship": DAYS_TO_SHIP,
        "ship_by_date": created + DAYS_TO_SHIP * 24 * 3600,
    }
    if "item_list" in optional:
        rendered["item_list"] = [render_order_line(line, shop) for line in order.lines]
    if "total_amount" in optional:
        rendered["total_amount"] = sum(line.price * line.quantity for line in order.lines)
    return rendered
