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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

from ocopsync.connectors.answers import Answer, as_answer
from ocopsync.connectors.base import (
    ItemResult,
    ListingStatus,
    PriceUpdate,
    RemoteListing,
    StockUpdate,
    Tokens,
)

# CreateProduct's payload lives with the other product writes; importable here as before.
from ocopsync.connectors.lazada_product import DEFAULT_PACKAGE_CM as DEFAULT_PACKAGE_CM
from ocopsync.connectors.lazada_product import create_payload as create_payload
from ocopsync.connectors.lazada_product import weight_kg as weight_kg
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

# fmt: off
_REJECTED_CODES = (
    "5", "14", "17", "19", "30", "36", "70", "201", "204", "E204", "207", "208",
    "301", "302", "303", "304", "500", "501", "503", "4104", "4105", "4118", "4126",
    "4134", "4135", "4171", "4193", "E0001", "E0002", "E0003", "E0004",
    "EDIT_ITEM_NOT_BELONG_SELLER",
    # CreateProduct / UpdateProduct content checks (their error table): mandatory basic
    # or category attribute, bad value, sale props, brand, images, variations, AssociatedSku
    "57", "209", "4106", "4107", "4108", "4109", "4110", "4112", "4113", "4115", "4120",
    "4133", "4136", "4137", "4140", "4142", "4143", "4144", "4145", "4156", "4161",
    "4167", "4169", "4227", "4228", "CHK_BASIC_REQUIRED", "BIZ_CHECK_CAT_PROP_MANDATORY",
    "VARIATION_EMPTY", "VARIATION_SIZE_LIMIT", "VARIATION_CONTENT_EMPTY",
    "VARIATION_NAME_EMPTY", "VARIATION_NAME_DUPLICATE", "VARIATION_NAME_LENGTH_LIMIT",
    "VARIATION_OPTIONS_EMPTY", "OPTIONS_SIZE_LIMIT", "VARIATION_OPTION_EMPTY",
    "VARIATION_OPTION_LENGTH_LIMIT", "VARIATION_OPTION_DUPLICATE",
    "SKU_VARIATION_OPTION_NOT_EXIST", "SKU_VARIATION_NAME_MISSING",
    "VARIATION_CATEGORY_ATTRIBUTE_INVALID", "VARIATION_CATEGORY_PROHIBITION",
    "VARIATION_SELLER_PROHIBITION",
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
    skus = item.items("skus", optional=True)
    # A product of several SKUs is one listing per SKU, grouped under its item id; a
    # one-SKU product keeps no group, as before variants were read.
    group_id = item_id if len(skus) > 1 else ""
    listings = []
    for sku in skus:
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
                group_id=group_id,
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
