"""Connector for a provincial OCOP portal: a JSON REST API with a bearer API key.

Provincial portals publish no common API, so this dialect is ocopsync's own design,
described in this one module (and emulated by :mod:`ocopsync.sandbox.portal`); its
pure request bodies and answer parsing are in :mod:`.portal_payloads`:

- ``Authorization: Bearer <api_key>`` on every call;
- ``GET  /api/v1/products?page=&page_size=`` (<= 100) -> ``{items, page, page_size, total}``,
  with an optional ``sku=`` filter, and an optional ``ids=`` filter (comma separated
  product ids, at most 100; 422 beyond): only the products with these ids, ids the
  portal does not have (or has deleted) left out. One ``ids=`` page of ``page_size=100``
  is how accepted writes are read back (``read_batch`` 100);
- ``POST /api/v1/products`` ``{sku, name, price, stock, group, stars, description,
  images, status}``, optional ``category_id`` (a subgroup of ``group``) and
  ``attributes: [{key, value, option_id?}]`` -> 201 with the item; 409 ``duplicate_sku``
  when the SKU exists; 422 ``attribute_required`` when a mandatory attribute of the
  subgroup is left out ("attribute nong_do_con (Nồng độ cồn) is required for
  beverage-alcohol");
- ``PATCH /api/v1/products/{id}`` with ``price``, ``stock`` and/or ``status``
  (``published`` | ``hidden``), and the content: ``name``, ``description``, ``images``,
  ``attributes`` (replaced whole, checked as a create's);
- ``GET /api/v1/categories`` -> ``{items: [{id, parent_id, name, leaf}], total}``: the
  OCOP groups (``food``... the ids ``group`` takes) each followed by its subgroups (the
  leaves); ``GET /api/v1/categories/{id}/attributes`` -> ``{items: [{key, name, required,
  type: text | integer | decimal | date | select | multi_select, unit, options: [{id,
  name}]}]}``. The portal lists every certified product whatever it is, so a group alone
  is enough to create (no ``category_map`` needed); a draft's ``category_id`` (a
  subgroup) files it precisely. There are no brands (``category_brands`` is empty
  without a request, and a draft's brand is not sent) and no variants
  (``capabilities.variants`` is False). The item limits (:data:`ITEM_LIMITS`) are our
  choice, enforced by the sandbox;
- ``POST /api/v1/products/batch`` ``{"updates": [{id, price?, stock?}]}`` (<= 50) ->
  ``{"results": [{id, ok, error?}]}``;
- ``GET  /api/v1/orders?updated_from=&updated_to=&page=&page_size=`` (<= 100; both ends
  ISO 8601 with an offset, inclusive) -> ``{items: [{id, status, created_at, updated_at,
  lines: [{id, sku, quantity, price, status}]}], page, page_size, total}``: the orders
  created or last updated in the range, oldest update first; order and line statuses are
  ``placed`` | ``cancelled`` | ``returned`` (a line's own status is what counts: an order
  stays ``placed`` while any line is);
- errors ``{"error": {"code", "message"}}`` with 401, 404, 409, 422, 429 (+ Retry-After), 5xx.

A 2xx answer that carries ``{"error": ...}`` is that error (transient: a 2xx says nothing
of its kind). One that is not JSON, is empty, or has a field missing or mistyped is an
:class:`~ocopsync.errors.UnexpectedAnswerError` (code ``bad_answer``, read through
:mod:`.answers`): retried like a failed call, this connection's error after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

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
    OrderLine,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.connectors.http import HttpConnector
from ocopsync.connectors.paging import in_order
from ocopsync.connectors.portal_payloads import (
    ITEM_LIMITS,
    ORDER_PAGE_SIZE,
    PLATFORM,
    STATUS_TO_REMOTE,
    batch_results,
    carries_error,
    content_body,
    create_body,
    error_from_response,
    iso,
    order_page,
    parse_attributes,
    parse_categories,
    product_page,
)
from ocopsync.errors import FatalConfigError, RejectedError

PRODUCTS = "/api/v1/products"
ORDERS = "/api/v1/orders"
CATEGORIES = "/api/v1/categories"
T = TypeVar("T")


class PortalConnector(HttpConnector):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        pages_ahead=True,
        page_size=100,
        price_batch=50,
        stock_batch=50,
        status_batch=1,
        rate_limit_per_s=50.0,
        orders=True,
        read_batch=100,
        discovery=True,
        content_updates=True,
    )

    def __init__(self, ctx: ConnectorContext) -> None:
        api_key = ctx.credentials.get("api_key", "")
        if not api_key:
            raise FatalConfigError("credentials.api_key is required", platform=PLATFORM)
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._start_http(ctx)

    async def _request(
        self, method: str, url: str, read: Callable[[Answer], T], **kwargs: Any
    ) -> T:
        """``read(answer)`` of one call, read inside the attempt so that a malformed
        answer is retried like a failed call."""

        async def attempt() -> T:
            response = await self.http.send(method, url, headers=self._auth, **kwargs)
            if not response.is_success:
                raise error_from_response(response)
            answer = Answer.of(response, PLATFORM)
            if carries_error(answer):
                raise error_from_response(response)
            return read(answer)

        return await self.http.call(attempt)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        """Page 1, then the pages its ``total`` implies, ``fetch_in_flight`` at once."""
        size = self.capabilities.page_size

        async def page_of(page: int) -> tuple[list[RemoteListing], int]:
            params = {"page": page, "page_size": size}
            return await self._request("GET", PRODUCTS, product_page, params=params)

        items, total = await page_of(1)
        for listing in items:
            yield listing
        if len(items) < size or size >= total:
            return
        rest = (partial(page_of, page) for page in range(2, -(-total // size) + 1))
        async for items, _total in in_order(rest, self.fetch_in_flight):
            for listing in items:
                yield listing

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        window = {"updated_from": iso(since), "updated_to": iso(until)}
        page, size = 1, ORDER_PAGE_SIZE
        while True:
            params = {**window, "page": page, "page_size": size}
            lines, count, total = await self._request("GET", ORDERS, order_page, params=params)
            for line in lines:
                yield line
            if count < size or page * size >= total:
                return
            page += 1

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """One ``ids=`` page (at most ``read_batch`` ids): the listings the portal has."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        params = {"ids": ",".join(ids), "page": 1, "page_size": self.capabilities.read_batch}
        items, _ = await self._request("GET", PRODUCTS, product_page, params=params)
        wanted = set(ids)
        return [listing for listing in items if listing.remote_id in wanted]

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        params = {"sku": sku, "page": 1, "page_size": 1}
        items, _ = await self._request("GET", PRODUCTS, product_page, params=params)
        return items[0] if items else None

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        """Nothing but variants: the OCOP group is enough to list a certified product."""
        if draft.variants:
            return ["variants: the portal lists one product per SKU (no variants)"]
        return []

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """One PATCH with ``fields`` of ``draft``; nothing to send, no request."""
        body = content_body(draft, fields)
        if body:
            url = f"{PRODUCTS}/{remote_id}"
            await self._request("PATCH", url, Answer.mapping, json=body)

    async def list_categories(self) -> list[Category]:
        return await self._request("GET", CATEGORIES, parse_categories)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        url = f"{CATEGORIES}/{category_id}/attributes"
        return await self._request("GET", url, parse_attributes)

    async def category_brands(self, category_id: str) -> list[Brand]:
        """The portal has no brands: empty, and no request."""
        return []

    async def item_limits(self, category_id: str) -> ItemLimits:
        """Our documented constants: the same for every category."""
        return ITEM_LIMITS

    async def create_listing(self, draft: ListingDraft) -> str:
        if problems := self.missing_for_create(draft):
            raise RejectedError("; ".join(problems), platform=PLATFORM, code="missing_data")
        return await self._request(
            "POST", PRODUCTS, lambda item: item.ident("id"), json=create_body(draft)
        )

    async def _batch(
        self, updates: Sequence[PriceUpdate] | Sequence[StockUpdate], field: str
    ) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in chunked(updates, self.capabilities.price_batch):
            body = {"updates": [{"id": u.remote_id, field: getattr(u, field)} for u in chunk]}
            try:
                results += await self._request(
                    "POST", f"{PRODUCTS}/batch", partial(batch_results, chunk=chunk), json=body
                )
            except RejectedError as exc:
                results.extend(ItemResult(u.sku, u.remote_id, exc) for u in chunk)
        return results

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._batch(updates, "price")

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._batch(updates, "stock")

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results: list[ItemResult] = []
        for change in changes:
            try:
                await self._request(
                    "PATCH",
                    f"{PRODUCTS}/{change.remote_id}",
                    Answer.mapping,
                    json={"status": STATUS_TO_REMOTE[change.status]},
                )
            except RejectedError as exc:
                results.append(ItemResult(change.sku, change.remote_id, exc))
                continue
            results.append(ItemResult(change.sku, change.remote_id))
        return results

    async def check(self) -> CredentialStatus:
        """One products page, read as a sync reads it: an answer we cannot read fails."""
        try:
            await self._request("GET", PRODUCTS, product_page, params={"page": 1, "page_size": 1})
        except FatalConfigError as exc:
            return CredentialStatus(False, exc.message)
        return CredentialStatus(True, "API key accepted; API keys do not expire")
