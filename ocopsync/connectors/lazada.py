"""Connector for Lazada Open Platform (LazOP), Vietnam venture.

Follows ``shared/platforms/lazada.md`` (§ below): every call carries ``app_key``,
``timestamp`` (epoch ms), ``sign_method=sha256`` and, for seller APIs, ``access_token``,
signed with HMAC-SHA256 over the API path and the sorted parameters (§2.3). GET sends
them in the query, POST as form fields with a JSON ``payload`` (§1). Sellers authorize
the app on ``auth.lazada.com`` (OAuth code, §2.1); tokens come from
``/auth/token/create`` and are renewed with ``/auth/token/refresh`` (§2.2). Errors are a
200 body ``{type, code, message}`` mapped by one table in :mod:`.lazada_payloads`.

Credentials: ``app_key``, ``app_secret``. Options (``[connections.options]``):

- ``auth_url``: the authorization server's REST root (default ``https://auth.lazada.com/rest``);
  the consent page is the same host with ``/oauth/authorize``;
- ``category_map``: OCOP group -> Lazada leaf category id (CreateProduct needs one);
- ``default_weight_g``: package weight when a product has none (Lazada requires one);
- ``package_cm``: ``[length, width, height]`` of the package, default ``[20, 15, 10]``;
- ``rate_limit_per_s``: our request rate (default 20/s; inventory APIs allow 50/s, §5).

``remote_id`` is ``"<item_id>:<sku_id>"``: Lazada edits SKUs by SkuId, not SellerSku (§6),
and keeping both ids in the id saves a lookup before every update.

Read-back (``read_batch`` 50): GetProducts has no filter by id (§3: ``sku_seller_list``
is a JSON array of at most 100 SellerSkus; ``limit`` at most 50 products), and
GetProduct (``/product/item/get``) reads one ``item_id`` a request. So
:meth:`LazadaConnector.get_listings` is one GetProducts page with ``filter=all``,
``limit=50`` and ``sku_seller_list`` the SellerSkus of the ids asked, mapped through
what this connector has seen (listings read, creates, writes sent: a sync reads and
writes before it verifies); 50 SKUs, one per product, fit one page. Listings whose id is
not among those asked (whole-word matches) are dropped, and an id with no known SKU is
left out unread.

Our choices where the docs are silent (NF), mirrored by :mod:`ocopsync.sandbox.lazada`:

- errors are answered with HTTP 200 and the error body; we branch on ``code`` (§4);
- a stale ``timestamp`` (more than 7200 s off) is ``IllegalTimestamp`` (the code of
  the IOP gateway LazOP runs on): a clock problem, so :class:`FatalConfigError`;
- a wrong ``app_key`` is ``InvalidAppKey``, checked before the signature;
- a 501 from ``/product/price_quantity/update`` lists failed SKUs in ``detail`` as
  ``{"field", "seller_sku", "message"}``; SKUs not listed were applied;
- relisting uses ``/product/update`` with the SKU ``Status: "active"`` (there is no
  activate API); unlisting uses ``/product/deactivate``, and its ``E0004`` ("already
  inactive") counts as done;
- GetProducts returns products in creation order, so paging past offset 10000
  continues with ``create_after`` (see :class:`~.lazada_payloads.ProductScroll`);
- external images are moved with ``/image/migrate`` (XML payload, as MigrateImage is
  not listed among the JSON-payload APIs); URLs on ``*.slatic.net`` are kept, at most 8.

Orders (§7) are read with GetOrders (``/orders/get``: ``update_after``/``update_before``
in ISO 8601 with offset, ``sort_by=updated_at``, ``offset``/``limit`` <= 100) and
GetMultipleOrderItems (``/orders/items/get``: ``order_ids`` a JSON array of at most 50),
per their API pages in lazykern/ecommerce-api-docs
(``data/raw/lazada/apis/order-api/getorders.json``, ``getmultipleorderitems.json``).
Lazada has one order item per unit, so every line has quantity 1. Item statuses
``canceled`` and ``returned`` (and ``shipped_back*``) give the unit back. Answers seen
in a third-party test fixture of real calls carry numeric ids and times like
``2021-03-25 10:13:29 +0700``; the docs' examples show ISO 8601 and epoch ms: all are
read (:func:`~.lazada_payloads.order_time`). Our choices: dates are sent in Vietnam
time; the window is paged again from offset 0 when ``countTotal`` shrinks mid-scan
(:class:`~.lazada_payloads.OrderScroll`); no window limit is documented, so none is set.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import httpx

from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.answers import Answer, decoded
from ocopsync.connectors.base import (
    Capabilities,
    ConnectorContext,
    CredentialStatus,
    ItemResult,
    ListingDraft,
    ListingStatus,
    OrderLine,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    Tokens,
    chunked,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.errors import (
    AuthExpiredError,
    FatalConfigError,
    RejectedError,
)
from ocopsync.records import Category

PLATFORM = lp.PLATFORM
PRODUCTS = "/products/get"
PRICE_QUANTITY = "/product/price_quantity/update"
CATEGORY_TREE = "/category/tree/get"


T = TypeVar("T")
Parse = Callable[[Answer], T]


def read_body(response: httpx.Response) -> Answer:
    """The JSON envelope of an answer. A 4xx that is not one means a wrong base_url or
    auth_url; a 2xx that is not one (HTML, empty, not an object) is an unexpected answer."""
    if response.status_code >= 400 and not isinstance(decoded(response), dict):
        raise FatalConfigError(
            f"unexpected HTTP {response.status_code}: check base_url and auth_url",
            platform=PLATFORM,
            code=str(response.status_code),
        )
    body = Answer.of(response, PLATFORM)
    body.mapping()
    return body


def _categories(body: Answer) -> list[Category]:
    """``data``, a nested tree, flat and parents first."""
    found: list[Category] = []

    def walk(nodes: list[Answer], parent: str | None) -> None:
        for node in nodes:
            category_id = node.ident("category_id")
            found.append(Category(category_id, parent, node.text("name"), node.field("leaf", bool)))
            walk(node.items("children", optional=True), category_id)

    walk(body.items("data"), None)
    return found


@dataclass(frozen=True)
class _ProductsPage:
    """One GetProducts page read inside its attempt: the raw products (for paging), each
    product's id and listings, and the total."""

    products: list[Answer]
    listings: list[tuple[str, list[RemoteListing]]]
    total: int


def _products(body: Answer) -> _ProductsPage:
    products, total = lp.products_page(body)
    listings = [(p.ident("item_id"), lp.listings_of(p)) for p in products]
    return _ProductsPage(products, listings, total)


class LazadaConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        page_size=50,
        price_batch=50,
        stock_batch=50,
        status_batch=1,
        rate_limit_per_s=20.0,
        needs_authorization=True,
        orders=True,
        read_batch=50,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.app_key = ctx.credentials.get("app_key", "")
        self._secret = ctx.credentials.get("app_secret", "")
        if not self.app_key or not self._secret:
            raise FatalConfigError(
                "credentials.app_key and credentials.app_secret are required", platform=PLATFORM
            )
        options = ctx.settings.options
        self.auth_url = str(options.get("auth_url") or lp.DEFAULT_AUTH_URL).rstrip("/")
        categories = options.get("category_map", {})
        package = options.get("package_cm", lp.DEFAULT_PACKAGE_CM)
        if not isinstance(categories, Mapping) or not (
            isinstance(package, list | tuple) and len(package) == 3
        ):
            raise FatalConfigError(
                "options.category_map must be a table and options.package_cm a list of "
                "three numbers (length, width, height in cm)",
                platform=PLATFORM,
            )
        self.category_map = {str(k): str(v) for k, v in categories.items()}
        self.package_cm = tuple(int(v) for v in package)
        weight = options.get("default_weight_g")
        self.default_weight_g = int(weight) if weight else None
        self._start_http(ctx)
        self._tokens: Tokens | None = None
        self._refresh_lock = asyncio.Lock()
        self._migrated: dict[str, str] = {}
        self._skus: dict[str, str] = {}
        """remote_id -> SellerSku of every listing seen or written: how read-back finds
        a listing, as GetProducts filters on SellerSku and not on ids."""

    # -- tokens ----------------------------------------------------------------------
    def authorization_url(self, redirect_url: str) -> str:
        return lp.authorization_url(self.auth_url, self.app_key, redirect_url)

    async def exchange_code(self, code: str, **extra: str) -> Tokens:
        tokens = await self._auth_call("/auth/token/create", {"code": code}, self._tokens_of)
        return self._save(tokens)

    def _tokens_of(self, body: Answer) -> Tokens:
        return lp.tokens_from_body(body, self.http.now())

    def _stored(self) -> Tokens | None:
        if self._tokens is None:
            self._tokens = self.ctx.token_store.load(self.ctx.settings.name)
        return self._tokens

    def _require_tokens(self) -> Tokens:
        tokens = self._stored()
        if tokens is None:
            raise FatalConfigError(
                f"connection {self.ctx.settings.name!r} is not authorized yet: "
                "send the seller to the authorization URL and exchange the code",
                platform=PLATFORM,
            )
        return tokens

    def _save(self, tokens: Tokens) -> Tokens:
        self._tokens = tokens
        self.ctx.token_store.save(self.ctx.settings.name, PLATFORM, tokens)
        return tokens

    def _expired(self, when: datetime | None) -> bool:
        return when is not None and when.timestamp() <= self.http.now()

    async def _refresh(self, stale: str | None) -> None:
        async with self._refresh_lock:
            tokens = self._require_tokens()
            if stale is not None and tokens.access_token != stale:
                return  # another call refreshed while this one waited
            if not tokens.refresh_token or self._expired(tokens.refresh_expires_at):
                raise FatalConfigError(
                    "the refresh token has expired: the seller must authorize the app again",
                    platform=PLATFORM,
                    code="IllegalRefreshToken",
                )
            renewed = await self._auth_call(
                "/auth/token/refresh", {"refresh_token": tokens.refresh_token}, self._tokens_of
            )
            self._save(
                Tokens(
                    renewed.access_token,
                    renewed.refresh_token,
                    renewed.access_expires_at,
                    renewed.refresh_expires_at,
                    {**tokens.extra, **renewed.extra},
                )
            )

    # -- requests --------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self.http.now() * 1000)

    async def _send(
        self, method: str, url: str, params: dict[str, str], accept: Collection[str]
    ) -> Answer:
        if method == "GET":
            response = await self.http.send("GET", url, params=params)
        else:
            response = await self.http.send("POST", url, data=params)
        body = read_body(response)
        code = body.scalar_text("code")
        if code == "0" or code in accept:
            return body
        raise lp.error_from_body(body)

    async def _auth_call(self, api: str, business: Mapping[str, str], parse: Parse[T]) -> T:
        async def attempt() -> T:
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
            )
            return parse(await self._send("POST", f"{self.auth_url}{api}", params, ()))

        return await self.http.call(attempt)

    async def _call(
        self,
        method: str,
        api: str,
        business: Mapping[str, str],
        parse: Parse[T],
        accept: Collection[str] = (),
    ) -> T:
        """A seller API call: signed per attempt, token refreshed once when it expired, and
        its answer parsed inside the attempt, so a malformed answer is retried too."""
        tokens = self._require_tokens()
        if self._expired(tokens.access_expires_at):
            # known to be stale: refresh now rather than spend a request to learn it
            await self._refresh(tokens.access_token)
        used: list[str] = []

        async def attempt() -> T:
            token = self._require_tokens().access_token
            used.append(token)
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
                access_token=token,
            )
            return parse(await self._send(method, api, params, accept))

        async def refresh() -> None:
            await self._refresh(used[-1] if used else None)

        return await self.http.call_authed(attempt, refresh)

    async def _public_call(self, api: str, business: Mapping[str, str], parse: Parse[T]) -> T:
        """A seller-gateway GET that needs no access token (GetCategoryTree), retried."""

        async def attempt() -> T:
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
            )
            return parse(await self._send("GET", api, params, ()))

        return await self.http.call(attempt)

    # -- the contract ----------------------------------------------------------------
    async def list_categories(self) -> list[Category]:
        """The category tree, flat, in Vietnamese (GetCategoryTree, no token needed)."""
        return await self._public_call(CATEGORY_TREE, {"language_code": "vi_VN"}, _categories)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        scroll = lp.ProductScroll(self.capabilities.page_size)
        seen: set[str] = set()
        while True:
            page = await self._call("GET", PRODUCTS, scroll.params(), _products)
            for item_id, listings in page.listings:
                if item_id in seen:
                    continue
                seen.add(item_id)
                for listing in listings:
                    self._skus[listing.remote_id] = listing.seller_sku
                    yield listing
            if not scroll.advance(page.products, page.total):
                return

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        scroll = lp.OrderScroll(since, until)
        seen: set[str] = set()
        waiting: list[str] = []
        more = True
        while more:
            ids, total = await self._call("GET", lp.ORDERS_API, scroll.params(), lp.orders_page)
            for order_id in ids:
                if order_id not in seen:
                    seen.add(order_id)
                    waiting.append(order_id)
            more = scroll.advance(len(ids), total)
            # items in full batches of 50 as pages come in, the rest after the last page
            while len(waiting) >= lp.ORDER_ITEMS_BATCH or (waiting and not more):
                batch, waiting = waiting[: lp.ORDER_ITEMS_BATCH], waiting[lp.ORDER_ITEMS_BATCH :]
                query = lp.order_items_query(batch)
                parse = partial(lp.order_lines, order_ids=batch)
                for line in await self._call("GET", lp.ORDER_ITEMS_API, query, parse):
                    yield line

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        query = {
            "filter": "all",
            "limit": str(self.capabilities.page_size),
            "offset": "0",
            "sku_seller_list": json.dumps([sku], ensure_ascii=False),
        }
        page = await self._call("GET", PRODUCTS, query, _products)
        for _item_id, listings in page.listings:
            for listing in listings:
                if listing.seller_sku == sku:
                    self._skus[listing.remote_id] = sku
                    return listing
        return None

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """One GetProducts page filtered by ``sku_seller_list``: the SellerSku of each id
        (known from the listings read and the writes sent by this connector). An id
        whose SKU is unknown, or that Lazada no longer has under it, is left out."""
        ids = list(dict.fromkeys(remote_ids))
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        skus = sorted({self._skus[i] for i in ids if i in self._skus})
        if not skus:
            return []
        query = {
            "filter": "all",
            "limit": str(self.capabilities.read_batch),
            "offset": "0",
            "sku_seller_list": json.dumps(skus, ensure_ascii=False),
        }
        page = await self._call("GET", PRODUCTS, query, _products)
        wanted = set(ids)
        return [
            listing
            for _item_id, listings in page.listings
            for listing in listings
            if listing.remote_id in wanted
        ]

    def _weight_g(self, draft: ListingDraft) -> int | None:
        return draft.weight_g or self.default_weight_g

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        missing = []
        if draft.group not in self.category_map:
            missing.append(f"no category for group {draft.group!r} in options.category_map")
        if not draft.image_urls:
            missing.append("no images: Lazada requires at least one product image")
        if not self._weight_g(draft):
            missing.append(
                "no package weight: set the product's weight or options.default_weight_g"
            )
        return missing

    async def _lazada_image(self, url: str) -> str:
        """The Lazada-hosted copy of ``url``, migrating each external image once."""
        if not lp.needs_migration(url):
            return url
        if url not in self._migrated:
            payload = {"payload": lp.migrate_payload(url)}
            self._migrated[url] = await self._call(
                "POST", "/image/migrate", payload, lp.migrated_url
            )
        return self._migrated[url]

    async def create_listing(self, draft: ListingDraft) -> str:
        missing = self.missing_for_create(draft)
        weight = self._weight_g(draft)
        if missing or weight is None:
            raise RejectedError("; ".join(missing), platform=PLATFORM, code="missing_data")
        # CreateProduct takes only images Lazada hosts, so external ones move first (§3).
        images = [await self._lazada_image(url) for url in draft.image_urls[: lp.MAX_IMAGES]]
        payload = lp.create_payload(
            draft,
            category_id=self.category_map[draft.group],
            images=images,
            weight_g=weight,
            package_cm=self.package_cm,
        )
        parse = partial(lp.created_remote_id, sku=draft.sku)
        remote_id = await self._call("POST", "/product/create", {"payload": payload}, parse)
        self._skus[remote_id] = draft.sku
        return remote_id

    async def _update(
        self,
        updates: Sequence[PriceUpdate] | Sequence[StockUpdate],
        batch: int,
        payload: Callable[[Any], str],
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        self._skus.update((u.remote_id, u.sku) for u in updates)
        for chunk in chunked(updates, batch):
            parse = partial(lp.batch_results, chunk)
            try:
                business = {"payload": payload(chunk)}
                results += await self._call("POST", PRICE_QUANTITY, business, parse, {"501"})
            except RejectedError as exc:
                results.extend(ItemResult(u.sku, u.remote_id, exc) for u in chunk)
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._update(updates, self.capabilities.price_batch, lp.price_payload)

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._update(updates, self.capabilities.stock_batch, lp.stock_payload)

    def _status_call(self, change: StatusChange) -> Awaitable[dict[str, Any]]:
        if change.status is ListingStatus.UNLISTED:
            body = {"apiRequestBody": lp.deactivate_body(change.remote_id)}
            return self._call("POST", "/product/deactivate", body, Answer.mapping, {"E0004"})
        if change.status is ListingStatus.LIVE:
            payload = lp.relist_payload(change.remote_id, change.sku)
            return self._call("POST", "/product/update", {"payload": payload}, Answer.mapping)
        raise RejectedError(
            f"cannot set a listing to {change.status.value!r}", platform=PLATFORM, code="status"
        )

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results: list[ItemResult] = []
        self._skus.update((c.remote_id, c.sku) for c in changes)
        for change in changes:
            try:
                await self._status_call(change)
            except RejectedError as exc:
                results.append(ItemResult(change.sku, change.remote_id, exc))
                continue
            results.append(ItemResult(change.sku, change.remote_id))
        return results

    async def check(self) -> CredentialStatus:
        if self._stored() is None:
            return CredentialStatus(
                False, "not authorized yet: the seller must authorize the app (OAuth code)"
            )
        try:
            query = {"filter": "all", "limit": "1", "offset": "0"}
            await self._call("GET", PRODUCTS, query, _products)
        except (FatalConfigError, AuthExpiredError) as exc:
            tokens = self._stored()
            return CredentialStatus(
                False,
                exc.message,
                tokens.access_expires_at if tokens else None,
                tokens.refresh_expires_at if tokens else None,
            )
        tokens = self._require_tokens()
        until = tokens.access_expires_at
        detail = "app key and access token accepted"
        if until is not None:
            detail += f" (access token valid until {until:%Y-%m-%d %H:%M} UTC)"
        return CredentialStatus(True, detail, tokens.access_expires_at, tokens.refresh_expires_at)
