"""Connector for Postmart (postmart.vn, Vietnam Post's farm-produce marketplace): OAuth2.

NOT POSTMART'S REAL API. Postmart publishes no seller or partner API
(shared/platforms/postmart.md: every API fact is NF). This dialect is ocopsync's own
design, pending Vietnam Post's documentation, kept behind the common connector
contract so that a real client can replace this module without touching anything
else. This docstring is the one description of the dialect;
:mod:`ocopsync.sandbox.postmart` emulates it and refers here. Tokens, request bodies and
answer parsing are pure functions in :mod:`.postmart_payloads`; this module sequences
the calls.

The dialect, in the style of VNPost's partner web services:

- Credentials: ``client_id`` and ``client_secret``, issued per shop.
- ``POST /oauth/token`` (form-encoded ``grant_type=client_credentials``; the client
  authenticates with HTTP Basic, or with ``client_id``/``client_secret`` form fields)
  -> ``{"access_token", "token_type": "Bearer", "expires_in": 3600}``, at the top level
  as OAuth2 answers are. There is no refresh token: a new token is asked for the same way.
- Every other call sends ``Authorization: Bearer <access_token>``; an expired token gets
  HTTP 401 ``token_expired``, an unknown or revoked one ``invalid_token``.
- ``GET /api/seller/v2/products?page=&limit=`` (limit <= 50) ->
  ``{"data": {"items": [...], "pagination": {"page", "limit", "total"}}}``; ``?sku=``
  filters on the seller SKU, and ``?ids=`` (comma separated product ids, at most 50; 422
  ``validation_failed`` beyond) on ids, unknown ones left out: one such page is how
  accepted writes are read back (``read_batch`` 50). A product is ``{id (integer: the number in
  postmart.vn/p/<slug>-<id>.html), sku, name, price, stock, status: active | hidden |
  pending_review | rejected, category_id, weight, images, url}``.
- ``POST /api/seller/v2/products`` with ``sku, name, price, stock, category_id (a
  category code such as "dac-san-vung-mien"), weight (grams), images (at least one
  URL)``, optional ``description``, ``ocop: {stars, province}``, ``brand_id`` (one of the
  category's brands) and ``attributes: [{code, value, option_id?}]`` (``option_id`` for
  a select; one entry per option of a multi-select) -> 201 ``{"data": product}``, the
  product showing ``description``, ``attributes`` and ``brand_id`` back. A mandatory
  attribute left out is 422 ``attribute_required`` ("attributes.nong-do-con (Nồng độ
  cồn) is required in category ruou-dac-san"); one that does not fit, 422
  ``validation_failed``.
- ``PATCH /api/seller/v2/products/{id}`` with any of ``name, description, images,
  attributes`` (attributes replace the set, checked against the product's category like
  a create's) -> ``{"data": product}``.
- ``GET /api/seller/v2/categories`` -> ``{"data": {"items": [{id (a code), parent_id (null
  at the top), name, level, is_leaf}]}}``, the whole tree, parents before children;
  ``GET .../categories/{code}/attributes`` -> ``{"data": {"items": [{code, name,
  required, type: text | integer | decimal | date | select | multi_select, unit,
  options: [{id, label}]}]}}``; ``GET .../categories/{code}/brands?page=&limit=`` (limit
  <= 50) -> ``{"data": {"items": [{id, name}], "pagination"}}`` (most farm produce has
  none). Only a leaf has attributes and brands (422 otherwise); an unknown code is 404.
- ``PUT /api/seller/v2/products/prices`` ``{"items": [{id, price}]}`` and
  ``PUT /api/seller/v2/products/stocks`` ``{"items": [{id, stock}]}``, at most 50 items
  -> ``{"data": {"succeeded": [{id}], "failed": [{id, code, message}]}}``.
- ``POST /api/seller/v2/products/{id}/hide`` and ``.../show``: one product per call ->
  ``{"data": product}``.
- ``GET /api/seller/v2/orders?updated_from=&updated_to=&page=&limit=`` (limit <= 50; both
  ends ISO 8601 with an offset, inclusive and required) -> ``{"data": {"items": [...],
  "pagination": {"page", "limit", "total"}}}``: the orders created or last updated in the
  range, oldest update first. An order is ``{id (e.g. "PM0000000001"), status: pending |
  confirmed | shipping | delivered | cancelled | returned, created_at, updated_at (ISO 8601
  in Vietnam time, +07:00), lines: [{id (integer, unique within the order), product_id,
  sku, quantity, price, status: ordered | cancelled | returned}]}``; a line's own status
  is what counts for stock.
- Errors are ``{"error": {"code", "message"}}``: ``invalid_client``, ``invalid_token``,
  ``token_expired`` (401), ``forbidden`` (403), ``not_found`` (404), ``sku_exists`` (409),
  ``validation_failed`` and ``attribute_required`` (422), ``rate_limited`` (429 with
  ``Retry-After``; quota 100 requests/s per client), ``server_error`` (5xx).

Options (``[connections.options]``):

- ``category_map``: OCOP group -> Postmart category code (text), for a draft that
  carries no ``category_id`` of its own;
- ``token_url``: where tokens are issued, absolute or relative to ``base_url``
  (default ``/oauth/token``);
- ``rate_limit_per_s``: our own request rate, default 10 (under the quota).

Our choices where the facts are silent (all of the above is NF): a token is saved in
the token store with its expiry and reused by later runs until then, bound to the
``client_id`` that obtained it (in ``Tokens.extra``) so new credentials never use an
old client's token; ``invalid_token`` is handled like ``token_expired`` (new token,
one retry), since with client credentials a fresh token is always one call away;
image URLs are taken as they are, with no upload step; the item limits
(:data:`ITEM_LIMITS`) are ours, enforced by the sandbox; no variants
(``capabilities.variants`` is False: a draft with variants is refused before any
request); an answer that is not a JSON
object, has no ``data``, or has a field missing or mistyped is an UnexpectedAnswerError
``bad_answer`` (read through :mod:`.answers`), retried like a failed call and this
connection's error after; a 2xx answer carrying ``error`` is that error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import httpx

from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import (
    Brand,
    Capabilities,
    Category,
    CategoryAttribute,
    ConnectorContext,
    CredentialStatus,
    ItemLimits,
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
from ocopsync.connectors.paging import in_order
from ocopsync.connectors.postmart_payloads import (
    ITEM_LIMITS,
    MAX_ITEMS,
    PLATFORM,
    answer,
    batch_outcome,
    brand_page,
    category_for,
    content_body,
    create_body,
    iso,
    missing,
    order_page,
    parse_attributes,
    parse_categories,
    product_page,
    tokens_from,
    usable,
)
from ocopsync.errors import ConnectorError, FatalConfigError, RejectedError
from ocopsync.i18n import _

T = TypeVar("T")
PRODUCTS = "/api/seller/v2/products"
ORDERS = "/api/seller/v2/orders"
CATEGORIES = "/api/seller/v2/categories"


class PostmartConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        pages_ahead=True,
        page_size=MAX_ITEMS,
        price_batch=MAX_ITEMS,
        stock_batch=MAX_ITEMS,
        status_batch=1,
        rate_limit_per_s=10.0,
        orders=True,
        read_batch=MAX_ITEMS,
        discovery=True,
        content_updates=True,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        self._client_id = ctx.credentials.get("client_id", "")
        secret = ctx.credentials.get("client_secret", "")
        if not self._client_id or not secret:
            raise FatalConfigError(
                "credentials client_id and client_secret are required", platform=PLATFORM
            )
        self._basic = httpx.BasicAuth(self._client_id, secret)
        self._options = ctx.settings.options
        self._token_url = str(self._options.get("token_url") or "/oauth/token")
        self._connection = ctx.settings.name
        self._tokens: Tokens | None = None
        self._loaded = False
        self._token_lock = asyncio.Lock()
        self._start_http(ctx)
        self._store = ctx.token_store  # after _start_http, which wraps it

    async def _new_token(self) -> None:
        """Client credentials again (there is no refresh token), saved for later runs."""

        async def attempt() -> Tokens:
            response = await self.http.send(
                "POST",
                self._token_url,
                data={"grant_type": "client_credentials"},
                auth=self._basic,
            )
            return tokens_from(answer(response), self.http.now(), self._client_id)

        self._tokens = await self.http.call(attempt)
        self._store.save(self._connection, PLATFORM, self._tokens)

    async def _ensure_token(self) -> None:
        async with self._token_lock:
            if not self._loaded:
                self._tokens = self._store.load(self._connection)
                self._loaded = True
            if not usable(self._tokens, self._client_id, self.http.now()):
                await self._new_token()

    async def _data(self, method: str, url: str, read: Callable[[Answer], T], **kwargs: Any) -> T:
        """``read(data)`` of a bearer call; a refused token is replaced once, and reading
        inside the attempt retries a malformed answer."""
        await self._ensure_token()
        sent = ""

        async def attempt() -> T:
            nonlocal sent
            sent = self._tokens.access_token if self._tokens else ""
            bearer = {"Authorization": f"Bearer {sent}"}
            payload = answer(await self.http.send(method, url, headers=bearer, **kwargs))
            if not payload.has("data"):
                raise payload.fail(_("missing"), "data")
            return read(payload.child("data", payload.get("data")))

        async def replace() -> None:
            # Creates run concurrently: when several calls see the same token refused,
            # the first replaces it and the others just retry with the new one.
            async with self._token_lock:
                if self._tokens is None or self._tokens.access_token == sent:
                    await self._new_token()

        return await self.http.call_authed(attempt, replace)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        """Page 1, then the pages its ``total`` implies, ``fetch_in_flight`` at once."""

        async def page_of(page: int) -> tuple[list[RemoteListing], int]:
            params = {"page": page, "limit": MAX_ITEMS}
            return await self._data("GET", PRODUCTS, product_page, params=params)

        listings, total = await page_of(1)
        for listing in listings:
            yield listing
        pages = -(-total // MAX_ITEMS)
        rest = (partial(page_of, page) for page in range(2, pages + 1))
        async for listings, _total in in_order(rest, self.fetch_in_flight):
            for listing in listings:
                yield listing

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        window = {"updated_from": iso(since), "updated_to": iso(until)}
        page, pages = 1, 1
        while page <= pages:
            params = {**window, "page": page, "limit": MAX_ITEMS}
            lines, total = await self._data("GET", ORDERS, order_page, params=params)
            pages = -(-total // MAX_ITEMS)
            for line in lines:
                yield line
            page += 1

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """One ``ids=`` page (at most ``read_batch`` ids)."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        params = {"ids": ",".join(ids), "page": 1, "limit": self.capabilities.read_batch}
        found, _ = await self._data("GET", PRODUCTS, product_page, params=params)
        wanted = set(ids)
        return [listing for listing in found if listing.remote_id in wanted]

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        params = {"sku": sku, "page": 1, "limit": 1}
        found, _ = await self._data("GET", PRODUCTS, product_page, params=params)
        return found[0] if found else None

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return missing(draft, self._options)

    async def create_listing(self, draft: ListingDraft) -> str:
        category = category_for(draft, self._options)
        problems = self.missing_for_create(draft)
        if problems or category is None:
            raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        body = create_body(draft, category)
        return await self._data("POST", PRODUCTS, lambda product: product.ident("id"), json=body)

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """One PATCH with ``fields`` of ``draft``; nothing to send, no request."""
        body = content_body(draft, fields)
        if body:
            await self._data("PATCH", f"{PRODUCTS}/{int(remote_id)}", Answer.mapping, json=body)

    async def list_categories(self) -> list[Category]:
        return await self._data("GET", CATEGORIES, parse_categories)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        return await self._data("GET", f"{CATEGORIES}/{category_id}/attributes", parse_attributes)

    async def category_brands(self, category_id: str) -> list[Brand]:
        brands: list[Brand] = []
        page, pages = 1, 1
        while page <= pages:
            params = {"page": page, "limit": MAX_ITEMS}
            url = f"{CATEGORIES}/{category_id}/brands"
            found, total = await self._data("GET", url, brand_page, params=params)
            brands += found
            pages = -(-total // MAX_ITEMS)
            page += 1
        return brands

    async def item_limits(self, category_id: str) -> ItemLimits:
        """Our documented constants: the same for every category."""
        return ITEM_LIMITS

    async def _put_items(
        self, what: str, updates: Sequence[PriceUpdate] | Sequence[StockUpdate]
    ) -> list[ItemResult]:
        """PUT ``/products/{what}s`` in runs of 50; ``what`` is both path and field name."""
        results: list[ItemResult] = []
        for chunk in chunked(updates, MAX_ITEMS):
            items = [{"id": int(u.remote_id), what: getattr(u, what)} for u in chunk]
            read = partial(batch_outcome, chunk=chunk)
            try:
                results += await self._data(
                    "PUT", f"{PRODUCTS}/{what}s", read, json={"items": items}
                )
            except RejectedError as exc:
                results += [ItemResult(u.sku, u.remote_id, exc) for u in chunk]
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._put_items("price", updates)

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._put_items("stock", updates)

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results = []
        for change in changes:
            action = "show" if change.status is ListingStatus.LIVE else "hide"
            err: ConnectorError | None = None
            try:
                path = f"{PRODUCTS}/{int(change.remote_id)}/{action}"
                await self._data("POST", path, Answer.mapping)
            except RejectedError as exc:
                err = exc
            results.append(ItemResult(change.sku, change.remote_id, err))
        return results

    async def check(self) -> CredentialStatus:
        try:
            await self._data("GET", PRODUCTS, product_page, params={"page": 1, "limit": 1})
        except FatalConfigError as exc:
            return CredentialStatus(False, str(exc))
        expires = self._tokens.access_expires_at if self._tokens else None
        return CredentialStatus(
            True,
            "client credentials accepted; a new token is fetched whenever one expires",
            access_expires_at=expires,
        )
