"""Connector for Shopee Open Platform v2 (the API Vietnamese sellers use).

Follows ``shared/platforms/shopee.md``: every call carries partner_id, timestamp and an
HMAC-SHA256 ``sign`` in the query (Shop APIs add access_token and shop_id); POST
business fields go in a JSON body; the envelope is ``{request_id, error, message,
warning, response}``. A shop is onboarded once: :meth:`ShopeeConnector.authorization_url`
gives the link a seller opens, and :meth:`ShopeeConnector.exchange_code` turns the
``code`` of the redirect into tokens (4 h access, 30-day single-use refresh), saved in
the token store and refreshed when Shopee says the access token expired.

Credentials: ``partner_id``, ``partner_key``, and ``shop_id`` (optional once tokens
exist: the shop the tokens were issued for wins).

Options (``[connections.options]``):

- ``rate_limit_per_s``: our request rate (default 10/s; Shopee publishes no figure);
- ``category_map``: OCOP group -> Shopee leaf ``category_id``;
- ``logistic_ids``: logistics channel ids enabled on new items (get_channel_list);
- ``placeholder_image_id``: a Shopee image id (uploaded once by the seller) used for a
  product with no image to upload;
- ``image_hosts``: host names product images may be downloaded from (absent: any);
  images elsewhere are skipped, e.g. a demo catalog's made-up image host;
- ``default_weight_g``: package weight for products whose catalog row has none.

Images: add_item accepts only Shopee image ids (facts §3). For each product image URL
(at most 9, only on ``image_hosts`` when set: others are skipped) the connector
downloads the bytes with :func:`ocopsync.connectors.images.download_image` (allowed
hosts, at most 10 MB, JPG/PNG told from the bytes, a timeout; retried like any call)
and uploads them with ``media_space/upload_image`` (a Public API); ids are cached per
URL for the life of the connector, so a shared image costs two requests once. With no
image left, ``placeholder_image_id`` is used. A download that fails, or an image too
big or of another format, is a RejectedError naming the URL (``image_download``,
``image_size``, ``image_format``). Nothing else is fetched from outside Shopee. The
sandbox sets ``image_hosts`` to its own host, so sandbox runs never reach the internet.

Discovery and logistics (:mod:`.shopee_discovery`): ``category_attributes`` is
``v2.product.get_attribute_tree``, ``category_brands`` every page of
``get_brand_list``, ``item_limits`` ``get_item_limit``, ``logistics_channels``
``v2.logistics.get_channel_list``. A create uses ``draft.category_id`` (else
``category_map[group]``), sends ``draft.attributes`` as ``attribute_list`` and the
brand as ``brand{brand_id, original_brand_name}`` (0 "No Brand" without one).

Variants (:mod:`.shopee_variants`): an item with models is reported as one listing per
model, ``remote_id`` ``"<item_id>:<model_id>"`` and ``group_id`` the item id, read with
``get_model_list`` only for the items whose ``has_model`` is true (their base info has
no price: never read as 0, never "corrected" with model_id 0); prices and stocks are
written per model_id. A draft with variants is add_item then init_tier_variation; with
``group_remote_id`` its new variants are added to that item (update_tier_variation for
new labels, then add_model). Listing and unlisting apply to whole items: a variant's
status change moves its item and every variant of it. ``search_item?item_sku=`` is
trusted to find an item by a model's SKU (the sandbox does; real Shopee's matching is
not documented), so adoption by a model SKU relies on it.

Content (``update_content``): ``v2.product.update_item`` with the fields asked for
(name, description, images uploaded as at create, attributes), on the item of a
variant's id.

Orders (facts §8; the per-API specs ``v2.order.get_order_list`` and
``v2.order.get_order_detail`` stored in congminh1254/shopee-sdk ``schemas/``):
:meth:`ShopeeConnector.list_order_lines` splits the range into windows of at most 15
days (the spec's maximum), pages each with ``time_range_field=update_time``,
``page_size=100`` and ``cursor``/``next_cursor`` while ``more``, then reads
get_order_detail with ``response_optional_fields=item_list`` for 50 order_sn at a time
(comma-joined, the spec's limit). One OrderLine per ``item_list`` entry: ``order_sn``,
line id ``<item_id>-<model_id>``, SKU ``model_sku`` or else ``item_sku``, quantity
``model_quantity_purchased``. Statuses: CANCELLED is cancelled; TO_RETURN ("the buyer
requested to return the order and order's return is processing", SDK typedoc) is
returned, our choice although the units may not be back yet; IN_CANCEL (a cancellation
still being processed, which may be refused) and every other status are active. A
malformed answer (not JSON, a missing or mistyped field, an order left out of the
details) is an UnexpectedAnswerError ``bad_answer`` (read through :mod:`.answers`), retried
like a failed call; every answer is parsed inside its attempt. Unverified: whether the
window ends are inclusive (orders on a shared boundary are read once), and partial
cancellations and returns per item (the order has one status; per-item returns are in
``v2.returns.*``, not read here).

Read-back (``read_batch`` 50): :meth:`ShopeeConnector.get_listings` is one
``v2.product.get_item_base_info`` with ``item_id_list`` (0..50 ids, facts §4), the call
:meth:`ShopeeConnector.list_listings` reads details with, parsed the same way; an item
the seller deleted, or one Shopee leaves out, is left out.

Our choices where the docs are silent (facts NF), shared with the sandbox by this list:

- HTTP status of errors: sandbox answers 403 for sign/auth/partner errors, 400 for
  parameter and product errors, 429 for ``error_rate_limit``, 500 ``error_server`` for
  injected faults; the connector reads only the JSON ``error`` field, like the SDKs.
- An expired access token is ``invalid_acceess_token`` "Invalid access_token."; an
  unknown one ``error_auth`` "Invalid access_token."; both refresh once.
- ``error_limit`` (daily quota) stops the connection (FatalConfigError), and an
  ``error_param`` about the timestamp too (our clock is off); unknown codes are refusals.
- ``search_item?item_sku=`` may match loosely; we keep the exact ``item_sku`` match.
- A duplicate ``item_sku`` on add_item is ``error_repeated_mtsku`` in the sandbox.
- Item ids in array query params are sent as repeated keys.
- No idempotency key exists (facts §6): after an add_item failure that may have created
  the item (timeout, 5xx, busy), the retry looks the SKU up first and adopts a match.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import Any, ClassVar, TypeVar

from ocopsync.connectors import shopee_discovery as sd
from ocopsync.connectors import shopee_payloads as sp
from ocopsync.connectors import shopee_variants as sv
from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import (
    Capabilities,
    ConnectorContext,
    CredentialStatus,
    ItemResult,
    ListingDraft,
    ListingStatus,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    Tokens,
    chunked,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.connectors.images import download_image
from ocopsync.connectors.paging import in_order
from ocopsync.connectors.shopee_orders import OrderReading
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ocopsync.records import (
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
    LogisticsChannel,
)

PLATFORM = sp.PLATFORM
REFRESH_MARGIN_S = 60.0
"""Refresh this long before the known expiry instead of spending a call to learn it."""
MAX_SEARCH_PAGES = 10
WRITES_IN_FLIGHT = 4
"""Single-item price/stock requests kept in flight at once (Shopee has no batch write):
enough to hide a round trip, within the limiter's pace; apply hands over this many."""

T = TypeVar("T")
Query = Sequence[tuple[str, str]]
Parse = Callable[[Answer], T]


CATEGORY_PATH = "/api/v2/product/get_category"


def _categories(response: Answer) -> list[Category]:
    """``response.category_list``: a parent id of 0 is the top of the tree."""
    found = []
    for entry in response.items("category_list"):
        parent = entry.scalar_text("parent_category_id", "0")
        name = entry.scalar_text("display_category_name") or entry.text("original_category_name")
        found.append(
            Category(
                category_id=entry.ident("category_id"),
                parent_id=None if parent in ("", "0") else parent,
                name=name,
                leaf=not entry.field("has_children", bool),
            )
        )
    return found


def _tokens(payload: Answer, now: Callable[[], float], shop_id: str) -> Tokens:
    """Tokens from a token answer, their lifetime counted from when it arrived."""
    return sp.tokens_from(payload, now(), shop_id)


class ShopeeConnector(OrderReading, HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        pages_ahead=True,
        page_size=sp.PAGE_SIZE,
        price_batch=1,
        stock_batch=1,
        single_writes_in_flight=WRITES_IN_FLIGHT,
        status_batch=sp.UNLIST_BATCH,
        rate_limit_per_s=10.0,
        needs_authorization=True,
        orders=True,
        orders_max_window=sp.ORDER_MAX_WINDOW,
        read_batch=sp.BASE_INFO_BATCH,
        discovery=True,
        variants=True,
        content_updates=True,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self._partner_id = str(ctx.credentials.get("partner_id", "")).strip()
        self._partner_key = str(ctx.credentials.get("partner_key", ""))
        self._shop_id = str(ctx.credentials.get("shop_id", "")).strip()
        if not self._partner_id.isdigit() or not self._partner_key:
            raise FatalConfigError(
                "credentials.partner_id (a number) and credentials.partner_key are required",
                platform=PLATFORM,
            )
        self.options = dict(ctx.settings.options)
        self._start_http(ctx)
        self._tokens: Tokens | None = None
        self._image_ids: dict[str, str] = {}

    # -- signing and sending -----------------------------------------------------------
    def _now(self) -> int:
        return int(self.http.now())

    async def _public(self, method: str, path: str, parse: Parse[T], **kwargs: Any) -> T:
        """A Public API call (partner signature only), under the retry policy; its
        payload is parsed inside the attempt, so a malformed answer is retried too."""

        async def attempt() -> T:
            query = sp.signed_query(self._partner_id, self._partner_key, path, self._now())
            return parse(sp.unwrap(await self.http.send(method, path, params=query, **kwargs)))

        return await self.http.call(attempt)

    async def _shop_once(
        self, method: str, path: str, query: Query = (), body: dict[str, Any] | None = None
    ) -> Answer:
        """One signed Shop API attempt; its ``response`` object or the mapped error."""
        tokens = self._current_tokens()
        common = sp.signed_query(
            self._partner_id,
            self._partner_key,
            path,
            self._now(),
            tokens.access_token,
            self._shop_of(tokens),
        )
        response = await self.http.send(method, path, params=[*common, *query], json=body)
        return sp.response_of(sp.unwrap(response))

    async def _shop(
        self,
        method: str,
        path: str,
        parse: Parse[T],
        query: Query = (),
        body: dict[str, Any] | None = None,
    ) -> T:
        """A Shop API call: retried, token refreshed once if Shopee says it expired, and
        its ``response`` parsed inside the attempt, so a malformed answer is retried too."""

        async def attempt() -> T:
            return parse(await self._shop_once(method, path, query, body))

        await self._refresh_if_due()
        return await self.http.call_authed(attempt, self._refresh)

    async def _shop_read(self, path: str, query: Query, parse: Parse[T]) -> T:
        """A Shop API GET, as :meth:`_shop`."""
        return await self._shop("GET", path, parse, query)

    async def _read_once(self, path: str, query: Query, parse: Parse[T]) -> T:
        """A Shop API GET inside an attempt that is already running (create-then-adopt)."""
        return parse(await self._shop_once("GET", path, query))

    # -- tokens ------------------------------------------------------------------------
    def _current_tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = self.ctx.token_store.load(self.ctx.settings.name)
        if self._tokens is None:
            raise FatalConfigError(
                "shop not authorized yet: open authorization_url(), then exchange_code()",
                platform=PLATFORM,
            )
        return self._tokens

    def _shop_of(self, tokens: Tokens | None) -> str:
        shop_id = str((tokens.extra.get("shop_id") if tokens else None) or self._shop_id)
        if not shop_id.isdigit():
            raise FatalConfigError("credentials.shop_id (a number) is required", platform=PLATFORM)
        return shop_id

    def _save(self, tokens: Tokens) -> None:
        self._tokens = tokens
        self.ctx.token_store.save(self.ctx.settings.name, PLATFORM, tokens)

    async def _refresh_if_due(self) -> None:
        expires = self._current_tokens().access_expires_at
        if expires is not None and expires.timestamp() - REFRESH_MARGIN_S <= self.http.now():
            await self._refresh()

    async def _refresh(self) -> None:
        """Trade the single-use refresh token for a new pair and save both at once."""
        used = self._current_tokens()
        stored = self.ctx.token_store.load(self.ctx.settings.name)
        if stored is not None and stored.access_token != used.access_token:
            self._tokens = stored  # another run refreshed already; its pair is the live one
            return
        if not used.refresh_token:
            raise FatalConfigError("no refresh token: authorize the shop again", platform=PLATFORM)
        shop_id = self._shop_of(used)
        body = sp.token_body(self._partner_id, shop_id, refresh_token=used.refresh_token)
        now = self.http.now
        parse = partial(_tokens, now=now, shop_id=shop_id)
        try:
            tokens = await self._public("POST", sp.TOKEN_REFRESH_PATH, parse, json=body)
        except (AuthExpiredError, RejectedError, FatalConfigError) as exc:
            raise FatalConfigError(
                f"token refresh refused ({exc.message}): the seller must authorize again",
                platform=PLATFORM,
                code=exc.code,
            ) from exc
        self._save(tokens)

    def authorization_url(self, redirect_url: str) -> str:
        """The link a seller opens to authorize the shop (valid 5 minutes, facts §2.1)."""
        query = sp.signed_query(
            self._partner_id, self._partner_key, sp.AUTH_PARTNER_PATH, self._now()
        )
        query.append(("redirect", redirect_url))
        base = self.ctx.settings.base_url.rstrip("/")
        return f"{base}{sp.AUTH_PARTNER_PATH}?{urllib.parse.urlencode(query)}"

    async def exchange_code(self, code: str, **extra: str) -> Tokens:
        """Turn the redirect's ``code`` (and ``shop_id``) into tokens, and save them."""
        shop_id = str(extra.get("shop_id") or self._shop_id)
        if not shop_id.isdigit():
            raise FatalConfigError("exchange_code needs the redirect's shop_id", platform=PLATFORM)
        body = sp.token_body(self._partner_id, shop_id, code=code)
        parse = partial(_tokens, now=self.http.now, shop_id=shop_id)
        tokens = await self._public("POST", sp.TOKEN_GET_PATH, parse, json=body)
        self._save(tokens)
        return tokens

    # -- reading -----------------------------------------------------------------------
    async def _expanded(
        self, items: list[tuple[RemoteListing, bool]], read: Any
    ) -> list[RemoteListing]:
        """Items as listings: a plain item as it is, an item with models as one listing
        per model (get_model_list, read only for the items that have them)."""
        listings: list[RemoteListing] = []
        for item, has_model in items:
            if not has_model:
                listings.append(item)
                continue
            query = [("item_id", item.remote_id)]
            try:
                parse = partial(sv.parse_models, item=item)
                listings += await read(sv.MODEL_LIST_PATH, query, parse)
            except RejectedError as exc:
                if exc.code != "error_item_not_found":
                    raise
                # Deleted between the two reads: left out, as get_item_base_info would.
        return listings

    async def _details(self, item_ids: Sequence[str], *, once: bool = False) -> list[RemoteListing]:
        read = self._read_once if once else self._shop_read
        items = await read(sp.BASE_INFO_PATH, sp.base_info_query(item_ids), sp.parse_items)
        return await self._expanded(items, read)

    async def _item_page(self, offset: int) -> tuple[sp.ItemPage, list[RemoteListing]]:
        """One get_item_list page and the listings of its items (base info, models)."""
        page = await self._shop_read(
            sp.ITEM_LIST_PATH, sp.item_list_query(offset), sp.parse_item_page
        )
        listings: list[RemoteListing] = []
        for chunk in chunked(page.ids, sp.BASE_INFO_BATCH):
            listings += await self._details(chunk)
        return page, listings

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        """Every get_item_list page with its items' details. The first page's
        ``total_count`` tells every offset, so the pages after it are read
        ``fetch_in_flight`` at once (each with its own base-info calls); pages that
        appear beyond that count meanwhile are read one after the other."""
        offset = 0
        page, listings = await self._item_page(offset)
        for listing in listings:
            yield listing
        if page.total is not None and page.has_next and page.next_offset > offset:
            ahead = range(page.next_offset, page.total, sp.PAGE_SIZE)
            reads = (partial(self._item_page, o) for o in ahead)
            async for last, listings in in_order(reads, self.fetch_in_flight):
                page = last  # the last page read says whether more appeared meanwhile
                for listing in listings:
                    yield listing
            offset = ahead[-1] if ahead else offset
        while page.has_next and page.ids and page.next_offset > offset:
            offset = page.next_offset
            page, listings = await self._item_page(offset)
            for listing in listings:
                yield listing

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """One get_item_base_info with ``item_id_list`` (at most 50, facts §4), plus one
        get_model_list per item with models, parsed as :meth:`list_listings` parses
        them; a composite ``item:model`` id is read through its item. Deleted and
        unknown items (and models) are left out."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        item_ids = list(dict.fromkeys(r.partition(":")[0] for r in ids if sv.split_id(r)))
        if not item_ids:
            return []
        wanted = set(ids)
        return [listing for listing in await self._details(item_ids) if listing.remote_id in wanted]

    async def list_categories(self) -> list[Category]:
        """The category tree, flat, in Vietnamese (``v2.product.get_category``)."""
        query = [("language", "vi")]
        return await self._shop_read(CATEGORY_PATH, query, _categories)

    # -- discovery -----------------------------------------------------------------------
    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        """``v2.product.get_attribute_tree`` for one leaf (see :mod:`.shopee_discovery`)."""
        parse = partial(sd.parse_attribute_tree, category_id=str(category_id))
        query = sd.attribute_tree_query(str(category_id))
        return await self._shop_read(sd.ATTRIBUTE_TREE_PATH, query, parse)

    async def category_brands(self, category_id: str) -> list[Brand]:
        """Every page of ``v2.product.get_brand_list`` (normal brands) for one leaf."""
        brands: list[Brand] = []
        offset = 0
        for _page in range(sd.MAX_BRAND_PAGES):
            query = sd.brand_query(str(category_id), offset)
            page, more, next_offset = await self._shop_read(
                sd.BRAND_LIST_PATH, query, sd.parse_brand_page
            )
            brands += page
            if not more or not page or next_offset <= offset:
                break
            offset = next_offset
        return brands

    async def item_limits(self, category_id: str) -> ItemLimits:
        query = sd.item_limit_query(str(category_id))
        return await self._shop_read(sd.ITEM_LIMIT_PATH, query, sd.parse_item_limits)

    async def logistics_channels(self) -> list[LogisticsChannel]:
        return await self._shop_read(sd.CHANNEL_LIST_PATH, (), sd.parse_channels)

    async def _find(self, sku: str, *, once: bool = False) -> RemoteListing | None:
        """search_item may match loosely, so details are read and the SKU compared exactly
        (a model's SKU included: an item's models are read with it).

        ``once``: inside an attempt already running (a create deciding whether to adopt),
        so each read is a single attempt of that one."""
        read = self._read_once if once else self._shop_read
        offset = ""
        seen = 0
        for _page in range(MAX_SEARCH_PAGES):
            query = sp.search_query(sku, offset)
            ids, offset, total = await read(sp.SEARCH_ITEM_PATH, query, sp.parse_search)
            for chunk in chunked(ids, sp.BASE_INFO_BATCH):
                for listing in await self._details(chunk, once=once):
                    if listing.seller_sku == sku:
                        return listing
            seen += len(ids)
            if not ids or not offset or seen >= total:
                return None
        return None

    async def _find_item(self, sku: str, *, once: bool = False) -> tuple[str, bool] | None:
        """The item whose own ``item_sku`` is ``sku`` (a listing with variants is found
        by its parent SKU here), and whether it has models."""
        read = self._read_once if once else self._shop_read
        ids, _offset, _total = await read(
            sp.SEARCH_ITEM_PATH, sp.search_query(sku), sp.parse_search
        )
        for chunk in chunked(ids, sp.BASE_INFO_BATCH):
            items = await read(sp.BASE_INFO_PATH, sp.base_info_query(chunk), sp.parse_items)
            for item, has_model in items:
                if item.seller_sku == sku:
                    return item.remote_id, has_model
        return None

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        return await self._find(sku)

    # -- creating ----------------------------------------------------------------------
    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return sp.missing_for_create(draft, self.options)

    async def _download(self, url: str) -> bytes:
        """The image's bytes through :func:`download_image` (hosts, 10 MB, JPG/PNG from
        the bytes, timeout), retried as any call; still failing, a refusal naming it."""

        async def attempt() -> bytes:
            return await download_image(
                self.http.client,
                url,
                platform=PLATFORM,
                hosts=self.options.get("image_hosts"),
                max_bytes=sd.IMAGE_MAX_BYTES,
                timeout_s=min(self.ctx.timeout_s, 20.0),
            )

        try:
            return await self.http.call(attempt)
        except TransientError as exc:
            raise RejectedError(
                f"could not download image {url}: {exc.message}",
                platform=PLATFORM,
                code="image_download",
            ) from exc

    async def _image_id(self, url: str) -> str:
        if url not in self._image_ids:
            content = await self._download(url)
            name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or "image"
            self._image_ids[url] = await self._public(
                "POST",
                sp.UPLOAD_IMAGE_PATH,
                sp.image_id_of,
                files={"image": (name, content)},
                data={"scene": "normal"},
            )
        return self._image_ids[url]

    async def _image_ids_for(self, draft: ListingDraft) -> list[str]:
        ids = [await self._image_id(u) for u in sp.images_to_upload(draft, self.options)]
        return ids or [str(self.options["placeholder_image_id"])]

    async def create_listing(self, draft: ListingDraft) -> str:
        """add_item, then with ``variants`` init_tier_variation (one tier, one model per
        variant); with ``group_remote_id`` the variants are added to that item instead.
        Returns the item id (the group's id for a listing with variants)."""
        missing = self.missing_for_create(draft)
        if missing:
            raise RejectedError("; ".join(missing), platform=PLATFORM, code="missing_data")
        if draft.variants and draft.group_remote_id:
            await self._add_variants(draft.group_remote_id, draft)
            return draft.group_remote_id
        body = sp.add_item_body(draft, self.options, await self._image_ids_for(draft))
        ambiguous = False

        async def attempt() -> tuple[str, bool]:
            # After a failure that may have created the item, look before adding again.
            nonlocal ambiguous
            if ambiguous:
                existing = await self._find_item(draft.sku, once=True)
                if existing is not None:
                    return existing
            try:
                answer = await self._shop_once("POST", sp.ADD_ITEM_PATH, (), body)
                return sp.item_id_of(answer), False
            except RateLimitedError:
                raise
            except TransientError:
                ambiguous = True
                raise
            except RejectedError as exc:
                # A create with variants whose tier step failed left its item behind
                # (or one that finished before a crash): find it by the parent SKU, and
                # finish the job or adopt it.
                if exc.code != "error_repeated_mtsku" or not draft.variants:
                    raise
                existing = await self._find_item(draft.sku, once=True)
                if existing is None:
                    raise
                return existing  # with models already: adopted as it is

        await self._refresh_if_due()
        item_id, has_models = await self.http.call_authed(attempt, self._refresh)
        if draft.variants and not has_models:
            await self._init_tiers(item_id, draft)
        return item_id

    async def _init_tiers(self, item_id: str, draft: ListingDraft) -> None:
        body = sv.tier_body(int(item_id), draft)
        ambiguous = False

        async def attempt() -> None:
            nonlocal ambiguous
            if ambiguous:
                query = [("item_id", item_id)]
                _tiers, models = await self._read_once(sv.MODEL_LIST_PATH, query, sv.parse_tiers)
                if models:
                    return
            try:
                await self._shop_once("POST", sv.INIT_TIER_PATH, (), body)
            except RateLimitedError:
                raise
            except TransientError:
                ambiguous = True
                raise

        await self._refresh_if_due()
        await self.http.call_authed(attempt, self._refresh)

    async def _add_variants(self, item_id: str, draft: ListingDraft) -> None:
        """add_model for the variants the item does not have yet, growing its tier's
        options first (update_tier_variation) when a label is new."""
        if not item_id.isdigit():
            raise RejectedError(f"not a Shopee item id: {item_id!r}", platform=PLATFORM)
        query = [("item_id", item_id)]
        tiers, models = await self._shop_read(sv.MODEL_LIST_PATH, query, sv.parse_tiers)
        if not tiers:
            raise RejectedError(
                f"item {item_id} has no variations; Shopee adds models only to an item "
                "that has them (init_tier_variation)",
                platform=PLATFORM,
                code="no_tier_variation",
            )
        grown, entries = sv.added_models(tiers, models, draft.variants)
        if grown is not None:
            body = {"item_id": int(item_id), "tier_variation": grown}
            await self._shop("POST", sv.UPDATE_TIER_PATH, sp.response_of, (), body)
        for chunk in chunked(entries, sv.ADD_MODEL_BATCH):
            body = {"item_id": int(item_id), "model_list": list(chunk)}
            await self._shop("POST", sv.ADD_MODEL_PATH, sv.models_created, (), body)

    # -- content -----------------------------------------------------------------------
    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """``v2.product.update_item`` with the ``fields`` asked for (name, description,
        images uploaded as at create, attributes); a variant's id updates its item."""
        unknown = [f for f in fields if f not in sd.CONTENT_FIELDS]
        if unknown:
            raise RejectedError(
                f"cannot update {', '.join(unknown)} on Shopee",
                platform=PLATFORM,
                code="unsupported",
            )
        parts = sv.split_id(remote_id)
        if parts is None:
            raise RejectedError(f"not a Shopee item id: {remote_id!r}", platform=PLATFORM)
        if not fields:
            return
        if "attributes" in fields:
            problems = sd.attribute_problems(draft.attributes)
            if problems:
                raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        image_ids = await self._image_ids_for(draft) if "image_urls" in fields else []
        body = sd.content_body(int(parts[0]), draft, fields, image_ids)
        await self._shop("POST", sd.UPDATE_ITEM_PATH, sp.response_of, (), body)

    # -- writing -----------------------------------------------------------------------
    async def _one_item(
        self, sku: str, remote_id: str, path: str, body_for: Callable[..., dict[str, Any]]
    ) -> ItemResult:
        parts = sv.split_id(remote_id)
        if parts is None:
            error = RejectedError(f"not a Shopee item id: {remote_id!r}", platform=PLATFORM)
            return ItemResult(sku, remote_id, error)
        item_id, model_id = parts
        parse = partial(sp.model_failure, endpoint=path.rsplit("/", 1)[-1], model_id=model_id)
        try:
            body = body_for(int(item_id), model_id=model_id)
            failure = await self._shop("POST", path, parse, (), body)
        except RejectedError as exc:
            return ItemResult(sku, remote_id, exc)
        return ItemResult(sku, remote_id, failure)

    async def _in_flight(
        self, jobs: Sequence[tuple[str, str, str, Callable[..., dict[str, Any]]]]
    ) -> list[ItemResult]:
        """One request per item, up to :data:`WRITES_IN_FLIGHT` at once under the rate
        limiter; each item's failure is its own result (one timing out says nothing of
        the others, which may have landed)."""

        gate = asyncio.Semaphore(WRITES_IN_FLIGHT)

        async def one(sku: str, remote_id: str, path: str, body: Callable[..., Any]) -> ItemResult:
            async with gate:
                try:
                    return await self._one_item(sku, remote_id, path, body)
                except ConnectorError as exc:
                    return ItemResult(sku, remote_id, exc)

        return list(await asyncio.gather(*(one(*job) for job in jobs)))

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._in_flight(
            [
                (u.sku, u.remote_id, sp.UPDATE_PRICE_PATH, partial(sp.price_body, price=u.price))
                for u in updates
            ]
        )

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._in_flight(
            [
                (u.sku, u.remote_id, sp.UPDATE_STOCK_PATH, partial(sp.stock_body, stock=u.stock))
                for u in updates
            ]
        )

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        """unlist_item, 50 items a call. Shopee lists and unlists whole items: a variant's
        change applies to its item, so every variant of it follows; two changes of one
        item asking for different statuses in one call are refused."""
        results: dict[int, ItemResult] = {}
        sendable: list[tuple[int, StatusChange]] = []
        wanted: dict[str, ListingStatus] = {}
        for index, change in enumerate(changes):
            parts = sv.split_id(change.remote_id)
            if change.status not in (ListingStatus.LIVE, ListingStatus.UNLISTED):
                reason = f"cannot set status {change.status.value!r} on Shopee"
            elif parts is None:
                reason = f"not a Shopee item id: {change.remote_id!r}"
            elif wanted.setdefault(parts[0], change.status) is not change.status:
                reason = "another variant of this Shopee item asks for the other status"
            else:
                sendable.append((index, change))
                continue
            error = RejectedError(reason, platform=PLATFORM, code="unsupported")
            results[index] = ItemResult(change.sku, change.remote_id, error)
        items: dict[str, StatusChange] = {}
        for _index, change in sendable:
            item_id = change.remote_id.partition(":")[0]
            items.setdefault(item_id, StatusChange(item_id, change.sku, change.status))
        outcome: dict[str, ItemResult] = {}
        for chunk in chunked(list(items.values()), sp.UNLIST_BATCH):
            parse = partial(sp.unlist_results, chunk)
            try:
                done = await self._shop(
                    "POST", sp.UNLIST_ITEM_PATH, parse, (), sp.unlist_body(chunk)
                )
            except RejectedError as exc:
                done = [ItemResult(c.sku, c.remote_id, exc) for c in chunk]
            outcome |= {result.remote_id: result for result in done}
        for index, change in sendable:
            result = outcome[change.remote_id.partition(":")[0]]
            results[index] = ItemResult(change.sku, change.remote_id, result.error)
        return [results[i] for i in range(len(changes))]

    # -- health ------------------------------------------------------------------------
    async def check(self) -> CredentialStatus:
        if self.ctx.token_store.load(self.ctx.settings.name) is None:
            return CredentialStatus(False, "shop not authorized yet: run the authorization step")
        try:
            query = sp.item_list_query(0, 1)
            await self._shop_read(sp.ITEM_LIST_PATH, query, sp.parse_item_page)
            detail, ok = "partner key and shop token accepted", True
        except (FatalConfigError, AuthExpiredError) as exc:
            detail, ok = exc.message, False
        tokens = self._tokens or self.ctx.token_store.load(self.ctx.settings.name)
        return CredentialStatus(
            ok,
            detail,
            tokens.access_expires_at if tokens else None,
            tokens.refresh_expires_at if tokens else None,
        )
