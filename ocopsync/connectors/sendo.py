"""Connector for Sendo (Sendo Open API, ``https://open.sendo.vn``), per shared/platforms/sendo.md.

The dialect (facts §2-§4):

- no OAuth and no signing: ``POST /login {"shop_key", "secret_key"}`` (keys from the
  Seller Center, "Kết nối API") answers ``result.token`` and ``result.expires`` (8 h);
  every other call sends ``Authorization: bearer <token>``. There is no refresh token:
  the token is saved in the token store and reused (by the next run or cron job too)
  until 5 minutes before it expires, and on expiry we log in again;
- ``POST /api/partner/product/search {page_size <= 50, status, token}`` -> ``result.data[]``
  and a cursor ``result.next_token`` (empty at the end);
- ``GET /api/partner/product?sku=`` -> one product; ``?id=`` reads one by id, which is
  how accepted writes are read back (``read_batch`` 1: no Sendo API reads several
  products by id, and search filters on name, status and update dates only);
- ``POST /api/partner/product`` with ``id: 0`` creates -> ``result`` = the new id; with
  the product's id it updates, taking the whole product (help-seller 17992165478425,
  "Create Or Update"): content updates (:meth:`SendoConnector.update_content`) and added
  variants (``draft.group_remote_id``) read the detail and send it back whole, changed;
- ``PUT /api/partner/product/config/variant-price`` with a JSON array of full items
  ``{product_id, is_config_variant, price, stock_quantity, stock_availability}`` (and for a
  config-variant product ``variants[]`` of ``{variant_attributes, variant_sku,
  variant_price, variant_quantity}``) -> ``result.error_list[]`` (empty: every item
  succeeded). Items are always full: public clients send price, stock and availability
  together (facts §8) and the docs do not say a partial item is safe, so the connector
  keeps what it last saw of each product (from the search, the detail or its own create)
  and reads the products it has not seen first (by paging the search when more than a few);
- discovery (:mod:`.sendo_catalog`): ``GET /api/partner/category/{id}`` (tree, level-4
  leaves), ``/category/attribute/{cat_4_id}`` (attributes: ``is_required``,
  ``control_type``, ``attribute_values``; ``is_checkout`` ones are what variants differ
  by) and ``/category/brand/{cat_4_id}``; a create sends ``draft.attributes`` as Sendo's
  ``attributes[]`` (an option by its ``id``, any other value as a custom one) and
  ``brand_id``; the category is ``draft.category_id``, else ``options.category_map``;
- config variants (:mod:`.sendo_products`): a product with variants is reported as one
  listing per variant, ``remote_id`` ``"<product_id>:<variant_sku>"`` (Sendo has no variant
  id) and ``group_id`` the product id; a product without variants keeps its plain id.
  Unlisting one variant unlists its product (availability is the product's);
- ``POST /api/partner/salesorder/search {page_size, order_status, order_date_from,
  order_date_to, order_status_date_from, order_status_date_to, token}`` (dates
  ``yyyy/MM/dd``; a status-date range spans at most 3 days; with ``token`` the other
  fields are ignored; help-seller article 17991120413337 "Get List Order") ->
  ``result.data[]`` of ``{sales_order: {order_number, order_status, order_date_time_stamp,
  order_status_date_time_stamp, ...}, sku_details: [{sku, product_variant_id, quantity,
  price, ...}]}`` and ``result.next_token`` (field names as public clients read them:
  Odoo and Node.js Sendo integrations found by code search, not the docs);
- every answer is the envelope ``{result, success, error: {message, details,
  error_details: [{property_name, message, value, code}]}, status_code}``.

The bearer token is kept by :mod:`.sendo_session`, and the variant-price writes are
:mod:`.sendo_variant_price`'s; the pure pieces are in :mod:`.sendo_payloads`,
:mod:`.sendo_catalog`, :mod:`.sendo_products` and :mod:`.sendo_writes`.

Options (``[connections.options]``):

- ``rate_limit_per_s``: overrides the default 10 requests/s;
- ``category_map``: OCOP group -> Sendo level-4 category id (``cat_4_id``);
- ``default_weight_g``: package weight for products with no ``weight_g``.

Our choices where the docs are silent (the sandbox emulates exactly these):

- errors: the HTTP status equals the envelope's ``status_code``; ``error_details[0].code``
  is one of ``invalid_credentials`` (401 at /login), ``token_expired`` (401, message
  "Token is expired") / ``token_invalid`` (401, missing or unknown bearer; both mean: log
  in again, once), ``validation`` (400), ``product_not_found`` (404),
  ``sku_duplicate`` (409), ``product_locked`` (400: status 1, 4 or 5),
  ``attribute_required`` (400, "Thuộc tính bắt buộc chưa có giá trị: <name>": a required
  category attribute without a value), ``category_not_found`` (404), ``rate_limited``
  (HTTP 429 with ``Retry-After``), ``system_busy`` (503); mapped in one table,
  :data:`~ocopsync.connectors.sendo_payloads.ERRORS`;
- ``error_list`` items are ``{"product_id": int, "code": str, "error": message}``;
- a variant-price array holds at most 50 items (price, stock and status batches: 50);
- unlist and relist: no endpoint is documented, so unlisting sets
  ``stock_availability=false`` through variant-price (stock kept, so sales still
  reconcile) and relisting sets it true; relisting a listing known to have no stock
  sends nothing (Sendo cannot make it available), its next stock above zero re-opens it;
- status enum 0 draft, 1 pending, 2 selling, 3 rejected, 4 cancelled, 5/6 deleted
  (skipped). A selling product that is unavailable with stock left reads as unlisted;
  unavailable with no stock is sold out and reads as live (Sendo forces availability off
  at zero stock, so the two cannot be told apart);
- the availability rule: a stock update sends ``stock_availability=false`` at zero stock,
  ``true`` only to re-open a listing this connector saw merely sold out, and nothing
  otherwise, so a stock update never re-enables an unlisted listing
  (:func:`~ocopsync.connectors.sendo_payloads.stock_change`);
- ``weight`` is in grams; the plain-text description is escaped into HTML paragraphs
  and padded with the OCOP certification line to Sendo's 100-character minimum;
  picture URLs are sent as they are (Sendo has no upload endpoint);
- ``result.expires`` is ISO 8601; without an offset it is Vietnam time (UTC+7);
- the login limit (5/s, documented per IP) is enforced per ``shop_key``; the search cursor
  expires after an hour (a listing that outlives it fails and is simply run again);
- a create retried after an ambiguous failure that then meets ``sku_duplicate`` adopts
  the product our first attempt made;
- orders (shapes not found in the docs, chosen here and emulated by the sandbox): we search
  by ``order_status_date`` (the date the status last changed, which covers creation) in
  Vietnam-time days of at most 3, paging with ``token`` as the product search does, and keep
  the orders whose ``order_status_date_time_stamp`` (Unix seconds, UTC) falls in the asked
  range; a status-date search is taken not to apply the 7-day ``order_date`` default;
  ``order_status`` 13 (Hủy) cancels every line and 22 (trả hàng thành công) returns it
  (enum from public clients), every other value (2 new ... 21 returning) counts as sold;
  ``sku_details`` have no line id, so the SKU is the line id; a line whose state differs
  from its order's carries ``item_status`` with the same enum (Sendo documents no
  per-line state); a search page holds at most 50 orders; a malformed answer (not JSON, no
  envelope, a missing or mistyped field) is an UnexpectedAnswerError ``bad_answer`` (read
  through :mod:`.answers`), retried like a failed call; ``"success": false`` is the error
  inside, whatever the HTTP status.
  Unverified: a few public clients shift Sendo's stamps by 7 hours, as if they were Vietnam
  wall-clock time; we read them as true Unix time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ocopsync.connectors.answers import Answer, as_answer
from ocopsync.connectors.base import (
    Brand,
    Capabilities,
    Category,
    CategoryAttribute,
    ConnectorContext,
    CredentialStatus,
    ItemLimits,
    ListingDraft,
    OrderLine,
    RemoteListing,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.connectors.sendo_catalog import (
    ITEM_LIMITS,
    CategorySpec,
    category_attributes,
    parse_brands,
    parse_children,
    parse_spec,
)
from ocopsync.connectors.sendo_payloads import (
    BATCH_SIZE,
    ORDER_WINDOW_DAYS,
    PAGE_SIZE,
    PLATFORM,
    Availability,
    order_page,
    order_search_body,
    order_windows,
    parse_product,
    search_body,
    utc,
)
from ocopsync.connectors.sendo_products import (
    ProductState,
    category_for,
    create_body,
    created_id,
    detail_answer,
    listings_of,
    missing_for_create,
    picture_problems,
    search_rows,
    split_id,
    state_of,
    update_body,
)
from ocopsync.connectors.sendo_session import SendoSession
from ocopsync.connectors.sendo_variant_price import VariantPriceWrites
from ocopsync.errors import FatalConfigError, RejectedError

SEARCH = "/api/partner/product/search"
PRODUCT = "/api/partner/product"
SALES_ORDER_SEARCH = "/api/partner/salesorder/search"
CATEGORY = "/api/partner/category"


class SendoConnector(VariantPriceWrites, HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        page_size=PAGE_SIZE,
        price_batch=BATCH_SIZE,
        stock_batch=BATCH_SIZE,
        status_batch=BATCH_SIZE,
        rate_limit_per_s=10.0,
        orders=True,
        orders_max_window=timedelta(days=ORDER_WINDOW_DAYS),
        read_batch=1,
        discovery=True,
        variants=True,
        content_updates=True,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        shop_key = ctx.credentials.get("shop_key", "")
        secret_key = ctx.credentials.get("secret_key", "")
        if not shop_key or not secret_key:
            raise FatalConfigError(
                "credentials.shop_key and credentials.secret_key are required "
                "(Sendo Seller Center, Kết nối API)",
                platform=PLATFORM,
            )
        self.ctx = ctx
        self.options = ctx.settings.options
        self._start_http(ctx)
        keys = {"shop_key": shop_key, "secret_key": secret_key}
        self._session = SendoSession(ctx, self.http, keys)
        """The bearer token: loaded from the store, renewed by logging in again."""
        self._known: dict[str, Availability] = {}
        """Availability by product id (a variant's is its product's)."""
        self._state: dict[int, ProductState] = {}
        """Price, stock and variants by product id, as last seen: what full items carry."""
        self._specs: dict[str, CategorySpec] = {}

    # -- reading -------------------------------------------------------------------------
    def _observe(self, state: ProductState) -> None:
        self._state[state.pid] = state
        self._known[str(state.pid)] = Availability.observed(state.total(), state.available)

    async def _detail(self, **params: str | int) -> Answer | None:
        """``GET /api/partner/product?id=|sku=``; None when Sendo has no such product."""
        try:
            return await self._session.request("GET", PRODUCT, detail_answer, params=params)
        except RejectedError as exc:
            if exc.code == "product_not_found":
                return None
            raise

    def _listings(self, detail: Answer) -> list[RemoteListing]:
        listings = listings_of(detail)
        if listings:
            self._observe(state_of(detail))
        return listings

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        """Every product of every search page; a config-variant product is read in detail
        (one request each) and reported as one listing per variant.

        Rows are taken to carry ``is_config_variant`` (the sandbox's do; the Product list
        page we read does not show every row field): a row without it is read in detail
        too, so a product's variants are never missed, at one request per product."""
        cursor = ""
        while True:
            rows, cursor = await self._session.request(
                "POST", SEARCH, search_rows, json=search_body(cursor)
            )
            for row, state in rows:
                # A row that does not say whether it has variants is read in detail.
                if state.config or not row.has("is_config_variant"):
                    detail = await self._detail(id=state.pid)
                    for listing in self._listings(detail) if detail is not None else []:
                        yield listing
                    continue
                simple = parse_product(row)
                if simple is not None:
                    self._observe(state)
                    yield simple
            if not cursor:
                return

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        """One search per window of at most 3 Vietnam days, paged by cursor; Sendo answers
        whole days, so lines of orders updated outside ``[since, until]`` are dropped here."""
        # Sendo's stamps are whole seconds: an order at since + 0.4 s reads as since.
        since, until = utc(since).replace(microsecond=0), utc(until)
        for window in order_windows(since, until) if since <= until else []:
            cursor = ""
            while True:
                body = order_search_body(window, cursor)
                lines, cursor = await self._session.request(
                    "POST", SALES_ORDER_SEARCH, order_page, json=body
                )
                for line in lines:
                    if since <= line.updated_at <= until:
                        yield line
                if not cursor:
                    break

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """The product with this SKU, or the variant with this ``variant_sku``."""
        detail = await self._detail(sku=sku)
        listings = self._listings(detail) if detail is not None else []
        simple = listings[0] if len(listings) == 1 and not listings[0].group_id else None
        return next((x for x in listings if x.seller_sku == sku), simple)

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """``GET /api/partner/product?id=``: Sendo reads one product by id a request (its
        search filters on name, status and dates only), so ``read_batch`` is 1. A
        product Sendo does not have (``product_not_found``) or has deleted is left out; a
        variant's id (``"<product_id>:<variant_sku>"``) reads its product's detail."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        pid, _sku = split_id(ids[0])
        detail = await self._detail(id=pid) if pid is not None else None
        listings = self._listings(detail) if detail is not None else []
        return [x for x in listings if ids[0] in (x.remote_id, x.group_id)]

    # -- discovery -----------------------------------------------------------------------
    async def list_categories(self) -> list[Category]:
        """The tree, level by level from ``/category/0`` (parents before children)."""
        found: list[Category] = []
        frontier = ["0"]
        while frontier:
            parent = frontier.pop(0)
            children = await self._session.request("GET", f"{CATEGORY}/{parent}", parse_children)
            for category, _level in children:
                found.append(category)
                if not category.leaf:
                    frontier.append(category.category_id)
        return found

    async def _spec(self, category_id: str) -> CategorySpec:
        """``/category/attribute/{id}``, kept for the life of this connector."""
        if category_id not in self._specs:
            self._specs[category_id] = await self._session.request(
                "GET", f"{CATEGORY}/attribute/{category_id}", parse_spec
            )
        return self._specs[category_id]

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        return category_attributes(await self._spec(category_id))

    async def category_brands(self, category_id: str) -> list[Brand]:
        return await self._session.request("GET", f"{CATEGORY}/brand/{category_id}", parse_brands)

    async def item_limits(self, category_id: str) -> ItemLimits:
        """Documented or chosen (see :mod:`.sendo_catalog`); the same for every category."""
        return ITEM_LIMITS

    # -- writing -------------------------------------------------------------------------
    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return missing_for_create(draft, self.options)

    async def _post_product(self, body: dict[str, Any], on_attempt: Callable[[], None]) -> str:
        return await self._session.request(
            "POST", PRODUCT, created_id, on_attempt=on_attempt, json=body
        )

    async def create_listing(self, draft: ListingDraft) -> str:
        """Create a product (with its config variants); with ``draft.group_remote_id``, add
        ``draft.variants`` to that product instead. Returns the product id."""
        missing = self.missing_for_create(draft)
        if missing:
            raise RejectedError("; ".join(missing), platform=PLATFORM, code="missing_data")
        if draft.group_remote_id:
            return await self._add_variants(draft)
        category = str(category_for(draft, self.options))
        spec = await self._spec(category) if draft.attributes or draft.variants else None
        try:
            body = create_body(draft, self.options, spec)
        except ValueError as exc:
            raise RejectedError(str(exc), platform=PLATFORM, code="validation") from exc
        attempts = 0

        def count() -> None:
            nonlocal attempts
            attempts += 1

        try:
            remote_id = await self._post_product(body, count)
        except RejectedError as exc:
            # An earlier attempt may have created it before the answer was lost.
            if exc.code == "sku_duplicate" and attempts > 1:
                adopted = await self._detail(sku=draft.sku)
                if adopted is not None:
                    self._listings(adopted)
                    return adopted.ident("id")
            raise
        self._observe(state_of(as_answer({**body, "id": remote_id}, PLATFORM)))
        return remote_id

    async def _add_variants(self, draft: ListingDraft) -> str:
        """Sendo has no call adding a variant: the product is updated whole, its variants
        and the new ones together (Create Or Update with the product's id)."""
        pid, _sku = split_id(draft.group_remote_id)
        detail = await self._detail(id=pid) if pid is not None else None
        if detail is None:
            raise RejectedError(
                f"no Sendo product {draft.group_remote_id}",
                platform=PLATFORM,
                code="product_not_found",
            )
        spec = await self._spec(str(detail.count("cat_4_id")))
        try:
            body = update_body(detail, draft, (), spec, add_variants=True)
        except ValueError as exc:
            raise RejectedError(str(exc), platform=PLATFORM, code="validation") from exc
        remote_id = await self._post_product(body, lambda: None)
        self._state.pop(int(remote_id), None)  # the next write reads it again
        return remote_id

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """Create Or Update with the product's id: the whole product as Sendo has it, with
        ``fields`` of ``draft`` (name, description, image_urls, attributes) in place."""
        pid, _sku = split_id(remote_id)
        problems = picture_problems(draft.image_urls) if "image_urls" in fields else []
        if pid is None or problems:
            reason = "; ".join(problems) or f"{remote_id!r} is not a Sendo product id"
            raise RejectedError(reason, platform=PLATFORM, code="validation")
        detail = await self._detail(id=pid)
        if detail is None:
            raise RejectedError(
                f"no Sendo product {pid}", platform=PLATFORM, code="product_not_found"
            )
        spec = await self._spec(str(detail.count("cat_4_id"))) if "attributes" in fields else None
        await self._post_product(update_body(detail, draft, fields, spec), lambda: None)

    async def check(self) -> CredentialStatus:
        """Log in with the keys (the cheapest call that proves them) and keep the token."""
        try:
            await self._session.relogin(stale=None)
        except FatalConfigError as exc:
            return CredentialStatus(False, exc.message)
        expires = self._session.tokens.access_expires_at if self._session.tokens else None
        return CredentialStatus(
            True,
            "shop_key and secret_key accepted; the bearer token lasts 8 hours and is "
            "renewed by logging in again (Sendo has no refresh token)",
            access_expires_at=expires,
        )
