"""Lazada Open Platform (LazOP) dialect as pure functions: signing, payloads, parsing, errors.

Nothing here does I/O, so every rule of the dialect is testable without HTTP; the
connector (:mod:`ocopsync.connectors.lazada`) only sequences requests. Section
numbers (§) refer to ``shared/platforms/lazada.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

from ocopsync.connectors.answers import Answer, as_answer, described
from ocopsync.connectors.base import (
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
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ocopsync.i18n import _

PLATFORM = "lazada"
DEFAULT_AUTH_URL = "https://auth.lazada.com/rest"
SIGN_METHOD = "sha256"
MAX_OFFSET = 10000
"""GetProducts refuses a larger ``offset`` (§3); past it we slide a ``create_after`` window."""
MAX_IMAGES = 8
LAZADA_IMAGE_HOST = ".slatic.net"
"""Lazada's image CDN (§3 examples): URLs there need no migration."""
DEFAULT_PACKAGE_CM = (20, 15, 10)

# fmt: off
_REJECTED_CODES = (
    "5", "14", "17", "19", "30", "36", "70", "201", "204", "E204", "207", "208",
    "301", "302", "303", "304", "500", "501", "503", "4104", "4105", "4118", "4126",
    "4134", "4135", "4171", "4193", "E0001", "E0002", "E0003", "E0004",
    "EDIT_ITEM_NOT_BELONG_SELLER",
    # GetOrders / GetMultipleOrderItems (§7): bad order id list, too many, none found,
    # bad sort direction, bad sort column
    "37", "38", "39", "56", "74", "75",
)
# fmt: on
# One table: the platform's code -> what the caller should do (§4). Codes not listed
# fall back on the envelope's ``type`` (ISV: our data, anything else: the platform).
ERROR_BY_CODE: dict[str, type[ConnectorError]] = {
    "IncompleteSignature": FatalConfigError,
    "MissingParameter": FatalConfigError,
    "InvalidAppKey": FatalConfigError,
    "InvalidApiPath": FatalConfigError,
    "IllegalTimestamp": FatalConfigError,
    "InvalidCode": FatalConfigError,
    "IllegalRefreshToken": FatalConfigError,
    "AUTH_TYPE_UNSUPPORTED": FatalConfigError,
    "SellerNotVerified": FatalConfigError,
    "IllegalAccessToken": AuthExpiredError,
    "ApiCallLimit": RateLimitedError,
    "901": RateLimitedError,
    "HOT_KEY_BLOCK_EXCEPTION": RateLimitedError,
    "ServiceTimeout": TransientError,
    "6": TransientError,
    "E0006": TransientError,
    "513": TransientError,
    "998": TransientError,
    "1000": TransientError,
    **dict.fromkeys(_REJECTED_CODES, RejectedError),
}
_BAN = re.compile(r"ban will last (\d+(?:\.\d+)?) second", re.IGNORECASE)


# -- signing (§2.3) ------------------------------------------------------------------


def sign(api_path: str, params: Mapping[str, str], app_secret: str) -> str:
    """HMAC-SHA256 over the API path then every ``name+value`` sorted by name, upper hex."""
    text = api_path + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    digest = hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return digest.upper()


def signed_params(
    api_path: str,
    business: Mapping[str, str],
    *,
    app_key: str,
    app_secret: str,
    timestamp_ms: int,
    access_token: str | None = None,
) -> dict[str, str]:
    """System plus business parameters with their ``sign``, ready for a query or a form."""
    params = {
        **business,
        "app_key": app_key,
        "timestamp": str(timestamp_ms),
        "sign_method": SIGN_METHOD,
    }
    if access_token is not None:
        params["access_token"] = access_token
    params["sign"] = sign(api_path, params, app_secret)
    return params


def authorization_url(auth_url: str, app_key: str, redirect_url: str) -> str:
    """The seller's consent page (§2.1) on the host that serves ``auth_url``."""
    base = auth_url.rstrip("/")
    base = base.removesuffix("/rest")
    query = urlencode(
        {
            "response_type": "code",
            "force_auth": "true",
            "redirect_uri": redirect_url,
            "client_id": app_key,
        }
    )
    return f"{base}/oauth/authorize?{query}"


# -- envelopes and errors (§4) --------------------------------------------------------


def ban_seconds(message: str) -> float | None:
    match = _BAN.search(message)
    return float(match.group(1)) if match else None


def error_from_body(body: Any) -> ConnectorError:
    """Map an error envelope to our tree, keeping Lazada's code and message."""
    envelope = as_answer(body, PLATFORM)
    code = envelope.scalar_text("code")
    message = envelope.scalar_text("message") or code or "error"
    detail = envelope.get("detail")
    entries = detail if isinstance(detail, list) else []
    details = [str(d.get("message")) for d in entries if isinstance(d, dict)]
    if details:
        message = f"{message}: {'; '.join(details[:5])}"
    cls = ERROR_BY_CODE.get(code)
    if cls is None:
        cls = RejectedError if envelope.get("type") == "ISV" else TransientError
    if cls is RateLimitedError:
        # 901's docs say "retry in the next second"; ApiCallLimit names its ban (§5).
        wait = ban_seconds(message) or 1.0
        return RateLimitedError(message, platform=PLATFORM, code=code, retry_after=wait)
    return cls(message, platform=PLATFORM, code=code)


def tokens_from_body(body: Any, now: float) -> Tokens:
    """Tokens from /auth/token/create or /refresh (fields at the top level, §2.2)."""
    answer = as_answer(body, PLATFORM)
    access = answer.scalar_text("access_token")
    if not access:
        raise FatalConfigError("token answer carried no access_token", platform=PLATFORM)
    expires_in = answer.number("expires_in")
    refresh_in = answer.number("refresh_expires_in")
    info = answer.get("country_user_info") or answer.get("country_user_info_list") or [{}]
    first = info[0] if isinstance(info, list) and info and isinstance(info[0], dict) else {}
    extra = {
        "country": answer.scalar_text("country"),
        "account": answer.scalar_text("account"),
        "seller_id": str(first.get("seller_id") or ""),
    }
    return Tokens(
        access_token=access,
        refresh_token=answer.scalar_text("refresh_token"),
        access_expires_at=_at(now + expires_in) if expires_in > 0 else None,
        # refresh_expires_in == 0 means the token cannot be refreshed (§2.2)
        refresh_expires_at=_at(now + refresh_in) if refresh_in > 0 else None,
        extra={k: v for k, v in extra.items() if v},
    )


def _at(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


# -- listings (§3 GetProducts) ---------------------------------------------------------


def make_remote_id(item_id: object, sku_id: object) -> str:
    """``<item_id>:<sku_id>``: updates need both ids (SellerSku is no edit key, §6)."""
    return f"{item_id}:{sku_id}" if sku_id not in (None, "") else str(item_id)


def split_remote_id(remote_id: str) -> tuple[str, str]:
    item_id, _, sku_id = remote_id.partition(":")
    return item_id, sku_id


def listing_status(product_status: str, sku_status: str) -> ListingStatus | None:
    """None for deleted products, which are not listings any more."""
    product = product_status.strip().lower()
    if product == "deleted" or sku_status.lower() == "deleted":
        return None
    if product.startswith("pending"):
        return ListingStatus.PENDING
    if product in ("suspended", "rejected"):
        return ListingStatus.REJECTED
    if product == "active" and sku_status.lower() != "inactive":
        return ListingStatus.LIVE
    return ListingStatus.UNLISTED


def listings_of(product: Any) -> list[RemoteListing]:
    """One listing per SKU of a GetProducts product."""
    item = as_answer(product, PLATFORM, "data.products[]")
    attributes = item.obj("attributes") if item.get("attributes") is not None else None
    name = attributes.scalar_text("name") if attributes is not None else ""
    item_id = item.ident("item_id")
    listings = []
    for sku in item.items("skus", optional=True):
        status = listing_status(item.scalar_text("status"), sku.scalar_text("Status"))
        if status is None:
            continue
        listings.append(
            RemoteListing(
                remote_id=make_remote_id(item_id, sku.get("SkuId")),
                seller_sku=sku.scalar_text("SellerSku"),
                name=name,
                price=round(sku.number("price")),
                stock=sku.count("quantity"),
                status=status,
            )
        )
    return listings


def products_page(body: Any) -> tuple[list[Answer], int]:
    """The products of one GetProducts answer (each read by :func:`listings_of`) and
    ``total_products``; ``data`` may be left out of an empty page."""
    envelope = as_answer(body, PLATFORM)
    data = envelope.obj("data") if envelope.get("data") is not None else envelope.child("data", {})
    return data.items("products", optional=True), data.count("total_products")


def iso_second(epoch_s: int) -> str:
    """ISO 8601 as GetProducts' date filters show it (``2018-01-01T00:00:00+0800``)."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class ProductScroll:
    """Offset paging that slides a ``create_after`` window past the offset cap (§3).

    GetProducts answers at most offset 10000. Products come in creation order (our
    reading; the order is NF), so when the cap is near we restart at ``create_after``
    = the creation second of the last product seen, skipping the products of that
    second we already have: no page is fetched twice.
    """

    page_size: int
    create_after: int | None = None
    offset: int = 0
    tail_second: int | None = field(default=None, repr=False)
    tail_count: int = field(default=0, repr=False)

    def params(self) -> dict[str, str]:
        params = {"filter": "all", "limit": str(self.page_size), "offset": str(self.offset)}
        if self.create_after is not None:
            params["create_after"] = iso_second(self.create_after)
        return params

    def advance(self, products: Sequence[Answer], total: int) -> bool:
        """Move past ``products``; False when the shop has no more."""
        for product in products:
            second = product.count("created_time") // 1000
            if second == self.tail_second:
                self.tail_count += 1
            else:
                self.tail_second, self.tail_count = second, 1
        following = self.offset + len(products)
        if len(products) < self.page_size or following >= total:
            return False
        if following <= MAX_OFFSET:
            self.offset = following
            return True
        if self.tail_second is None or self.tail_count > MAX_OFFSET:
            raise RejectedError(
                f"more than {MAX_OFFSET} products share one creation second: "
                "GetProducts cannot page past them",
                platform=PLATFORM,
                code="14",
            )
        self.create_after, self.offset = self.tail_second, self.tail_count
        return True


# -- create (§3 CreateProduct, MigrateImage) ------------------------------------------


def needs_migration(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return not host.endswith(LAZADA_IMAGE_HOST)


def migrate_payload(url: str) -> str:
    # MigrateImage is not among the APIs that take JSON payloads (§1), so XML.
    return f"<Request><Image><Url>{escape(url)}</Url></Image></Request>"


def migrated_url(body: Any) -> str:
    """The Lazada-hosted URL of a MigrateImage answer (``data.image.url``)."""
    image = as_answer(body, PLATFORM).obj("data").obj("image")
    url = image.text("url")
    if not url:
        raise image.fail(_("should not be empty"), "url")
    return url


def weight_kg(grams: int) -> str:
    return f"{grams / 1000:.3f}".rstrip("0").rstrip(".") or "0"


def create_payload(
    draft: ListingDraft,
    *,
    category_id: str,
    images: Iterable[str],
    weight_g: int,
    package_cm: Sequence[int] = DEFAULT_PACKAGE_CM,
) -> str:
    length, width, height = (str(v) for v in package_cm)
    product = {
        "PrimaryCategory": category_id,
        "Images": {"Image": list(images)},
        "Attributes": {
            "name": draft.name,
            "description": draft.description or draft.name,
            "brand": "No Brand",
        },
        "Skus": {
            "Sku": [
                {
                    "SellerSku": draft.sku,
                    "quantity": str(draft.stock),
                    "price": str(draft.price),
                    "package_weight": weight_kg(weight_g),
                    "package_length": length,
                    "package_width": width,
                    "package_height": height,
                    "package_content": f"1 x {draft.name}",
                }
            ]
        },
    }
    return _json({"Request": {"Product": product}})


def created_remote_id(body: Any, sku: str) -> str:
    """Our id of what CreateProduct made: ``data.item_id``, with the SKU's ``sku_id``."""
    data = as_answer(body, PLATFORM).obj("data")
    item_id = data.ident("item_id")
    for entry in data.items("sku_list", optional=True):
        if entry.scalar_text("seller_sku") == sku:
            return make_remote_id(item_id, entry.get("sku_id"))
    return item_id


# -- price, stock, status (§3 UpdatePriceQuantity, DeactivateProduct, UpdateProduct) ---


def _sku_key(remote_id: str, sku: str) -> dict[str, str]:
    item_id, sku_id = split_remote_id(remote_id)
    key = {"ItemId": item_id, "SellerSku": sku}
    if sku_id:
        key["SkuId"] = sku_id
    return key


def price_payload(updates: Sequence[PriceUpdate]) -> str:
    skus = [{**_sku_key(u.remote_id, u.sku), "Price": str(u.price)} for u in updates]
    return _json({"Request": {"Product": {"Skus": {"Sku": skus}}}})


def stock_payload(updates: Sequence[StockUpdate]) -> str:
    skus = [{**_sku_key(u.remote_id, u.sku), "Quantity": str(u.stock)} for u in updates]
    return _json({"Request": {"Product": {"Skus": {"Sku": skus}}}})


def batch_results(
    updates: Sequence[PriceUpdate] | Sequence[StockUpdate], body: Any
) -> list[ItemResult]:
    """One result per update from a ``code "0"`` or ``"501"`` answer.

    A 501 lists the failed SKUs in ``detail`` as ``{field, seller_sku, message}`` (our
    reading; the item shape is NF, §4); the SKUs it does not list were applied.
    """
    envelope = as_answer(body, PLATFORM)
    code = envelope.scalar_text("code")
    if code == "0":
        return [ItemResult(u.sku, u.remote_id) for u in updates]
    detail = envelope.get("detail")
    entries = detail if isinstance(detail, list) else []
    failed = {str(d.get("seller_sku")): d for d in entries if isinstance(d, dict)}
    if not failed.keys() & {u.sku for u in updates}:
        whole = error_from_body(envelope)
        return [ItemResult(u.sku, u.remote_id, whole) for u in updates]
    results = []
    for u in updates:
        entry = failed.get(u.sku)
        error = None
        if entry is not None:
            message = f"{entry.get('field', '')}: {entry.get('message', 'refused')}".lstrip(": ")
            error = RejectedError(message, platform=PLATFORM, code=code)
        results.append(ItemResult(u.sku, u.remote_id, error))
    return results


def deactivate_body(remote_id: str) -> str:
    item_id, sku_id = split_remote_id(remote_id)
    skus = f"<Skus><SkuId>{escape(sku_id)}</SkuId></Skus>" if sku_id else ""
    return f"<Request><Product><ItemId>{escape(item_id)}</ItemId>{skus}</Product></Request>"


def relist_payload(remote_id: str, sku: str) -> str:
    """UpdateProduct setting the SKU ``Status`` to active (our choice; no activate API, §3)."""
    item_id, sku_id = split_remote_id(remote_id)
    entry = {"SellerSku": sku, "Status": "active", **({"SkuId": sku_id} if sku_id else {})}
    product = {"ItemId": item_id, "Attributes": {}, "Skus": {"Sku": [entry]}}
    return _json({"Request": {"Product": product}})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- orders (§7 GetOrders, GetMultipleOrderItems) ----------------------------------------

ORDERS_API = "/orders/get"
ORDER_ITEMS_API = "/orders/items/get"
ORDERS_PAGE = 100
"""GetOrders' ``limit`` is at most 100 (its API page)."""
ORDER_ITEMS_BATCH = 50
"""GetMultipleOrderItems takes at most 50 ``order_ids`` (its API page)."""
MAX_RESCANS = 3
"""How often one window is paged again from offset 0 because it shrank (OrderScroll)."""
VN_TIME = timezone(timedelta(hours=7))
"""The venture's clock: order dates are sent, and shown by Lazada, in local time."""
CANCELLED_STATUSES = frozenset({"canceled", "cancelled"})
RETURNED_STATUSES = frozenset({"returned", "shipped_back", "shipped_back_success"})
"""Item statuses whose unit is back with the seller: returned by the buyer, or a failed
delivery shipped back (``shipped_back*`` are in GetOrders' status list; our reading)."""


def order_date(moment: datetime) -> str:
    """A GetOrders date filter: ISO 8601 with offset, to the second, in Vietnam time.

    The API page asks for ``YYYY-MM-DDTHH:mm:ss±HH:MM`` (error 17); a naive datetime is
    taken as UTC, the contract's zone.
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VN_TIME).replace(microsecond=0).isoformat()


def orders_query(since: datetime, until: datetime, offset: int, limit: int) -> dict[str, str]:
    """Orders updated in ``[since, until]``, oldest update first."""
    return {
        "update_after": order_date(since),
        "update_before": order_date(until),
        "sort_by": "updated_at",
        "sort_direction": "ASC",
        "offset": str(offset),
        "limit": str(limit),
    }


def order_items_query(order_ids: Sequence[str]) -> dict[str, str]:
    """``order_ids`` as the JSON array of numbers the API page shows (``[42922,32793]``)."""
    return {"order_ids": _json([int(i) for i in order_ids])}


@dataclass
class OrderScroll:
    """Offset paging over one GetOrders window, paged again when the window shrinks.

    An order updated while we page leaves the window (its ``updated_at`` passes
    ``update_before``) and every later order moves up one place, so plain offset paging
    would skip one. The total can only shrink then (new updates land after the window),
    so a smaller ``countTotal`` starts again at offset 0; the caller skips orders it has
    seen. ``countTotal`` is optional in the docs: without it, a short page ends the scan.
    """

    since: datetime
    until: datetime
    page_size: int = ORDERS_PAGE
    offset: int = 0
    total: int | None = None
    rescans: int = 0

    def params(self) -> dict[str, str]:
        return orders_query(self.since, self.until, self.offset, self.page_size)

    def advance(self, count: int, total: int | None) -> bool:
        """Move past a page of ``count`` orders; False when the window has no more."""
        shrank = total is not None and self.total is not None and total < self.total
        if total is not None:
            self.total = total
        if shrank and self.rescans < MAX_RESCANS:
            self.rescans += 1
            self.offset = 0
            return True
        following = self.offset + count
        if count < self.page_size or (total is not None and following >= total):
            return False
        self.offset = following
        return True


def _whole_id(value: Any) -> str | None:
    """A Lazada id: a number in answers, a string of digits in the docs' examples."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def order_time(value: Any) -> datetime | None:
    """A Lazada time as an aware UTC datetime, None when unreadable.

    Answers carry ``2021-03-25 10:13:29 +0700``; the API pages show ISO 8601 with an
    offset for orders and epoch milliseconds for order items: all three are read. A
    time without a zone is refused, as its moment is unknown.
    """
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        if not isinstance(value, str):
            return None
        text = value.strip()
        try:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _count(answer: Answer, key: str) -> int | None:
    value = answer.get(key)
    if value is None:
        return None
    found = _whole_id(value)
    if found is None:
        raise answer.fail(_("should be a count, got {got}").format(got=described(value)), key)
    return int(found)


def orders_page(body: Any) -> tuple[list[str], int | None]:
    """The order ids of one GetOrders answer and its ``countTotal`` (None if absent)."""
    data = as_answer(body, PLATFORM).obj("data")
    total = _count(data, "countTotal")
    if data.get("orders") is None and _count(data, "count") == 0:
        return [], total
    ids = []
    for order in data.items("orders"):
        order_id = _whole_id(order.get("order_id"))
        if order_id is None:
            raise order.fail(_("should be a numeric id"), "order_id")
        ids.append(order_id)
    return ids, total


def order_line_status(status: str) -> OrderLineStatus:
    """What an item status does to stock: every status but a cancellation or a return
    (unpaid, pending, packed, shipped, delivered, lost, ...) has the unit out of the shop."""
    status = status.strip().lower()
    if status in CANCELLED_STATUSES:
        return OrderLineStatus.CANCELLED
    if status in RETURNED_STATUSES:
        return OrderLineStatus.RETURNED
    return OrderLineStatus.ACTIVE


def _time(answer: Answer, key: str) -> datetime:
    moment = order_time(answer.get(key))
    if moment is None:
        detail = _("should be a time with a zone, got {got}").format(got=described(answer.get(key)))
        raise answer.fail(detail, key)
    return moment


def _order_line(order_id: str, item: Answer) -> OrderLine:
    line_id = _whole_id(item.get("order_item_id"))
    if line_id is None:
        raise item.fail(_("should be a numeric id"), "order_item_id")
    created, updated = _time(item, "created_at"), _time(item, "updated_at")
    sku, status = item.text("sku"), item.text("status")
    # One order item is one unit on Lazada: an order of 3 units has 3 items (§7).
    return OrderLine(order_id, line_id, sku, 1, order_line_status(status), created, updated)


def order_lines(body: Any, order_ids: Sequence[str]) -> list[OrderLine]:
    """One line per order item of a GetMultipleOrderItems answer for ``order_ids``.

    An order we asked for and did not get back is an error, not zero sales: counting
    from orders must never undercount in silence.
    """
    answer = as_answer(body, PLATFORM)
    lines: list[OrderLine] = []
    found: set[str] = set()
    for entry in answer.items("data"):
        order_id = _whole_id(entry.get("order_id"))
        if order_id is None:
            raise entry.fail(_("should be a numeric id"), "order_id")
        found.add(order_id)
        lines.extend(_order_line(order_id, item) for item in entry.items("order_items"))
    missing = [i for i in order_ids if i not in found]
    if missing:
        detail = _("no items for order(s) {orders}").format(orders=", ".join(missing[:5]))
        raise answer.fail(detail, "data")
    return lines
