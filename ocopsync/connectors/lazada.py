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
- ``category_map``: OCOP group -> Lazada leaf category id, for drafts without their own
  ``category_id`` (CreateProduct needs one);
- ``default_weight_g``: package weight when a product has none (Lazada requires one);
- ``package_cm``: ``[length, width, height]`` of the package, default ``[20, 15, 10]``;
- ``rate_limit_per_s``: our request rate (default 20/s; inventory APIs allow 50/s, §5);
- ``image_upload``: download each external image ourselves (only from ``image_hosts``
  when set, JPG/PNG of at most 1 MB, :mod:`.images`) and send it to ``/image/upload``,
  instead of letting Lazada fetch it through ``/image/migrate`` (the default).

``remote_id`` is ``"<item_id>:<sku_id>"``: Lazada edits SKUs by SkuId, not SellerSku (§6),
and keeping both ids in the id saves a lookup before every update. A product of several
SKUs is read as one listing per SKU with that same id and ``group_id`` = its item id (a
one-SKU product has no group, as before).

Discovery (:mod:`.lazada_discovery`, sources there): GetCategoryTree,
GetCategoryAttributes and GetBrandByPages need no access token; the item limits are
documented constants. Creates (:mod:`.lazada_product`) take ``draft.category_id`` (else
``category_map``), put each attribute where its ``attribute_type`` says (read from the
category once when the draft has attributes), name the brand by ``brand_id`` (else its
name, else "No Brand"), and make a draft's variants one SKU each under a custom
variation; ``draft.group_remote_id`` adds them to that product with UpdateProduct and
``AssociatedSku``. Content (name, description, images, normal attributes) goes through
UpdateProduct on the product's item id.

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

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from ocopsync.connectors import lazada_orders as lo
from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import (
    Capabilities,
    CredentialStatus,
    ItemResult,
    ListingStatus,
    OrderLine,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.connectors.lazada_client import PLATFORM, read_body
from ocopsync.connectors.lazada_listing import LazadaProducts
from ocopsync.errors import AuthExpiredError, FatalConfigError, RejectedError

__all__ = ["PLATFORM", "LazadaConnector", "read_body"]

PRODUCTS = "/products/get"
PRICE_QUANTITY = "/product/price_quantity/update"


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


class LazadaConnector(LazadaProducts):
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
        discovery=True,
        variants=True,
        content_updates=True,
    )
    # -- the contract ----------------------------------------------------------------

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
        scroll = lo.OrderScroll(since, until)
        seen: set[str] = set()
        waiting: list[str] = []
        more = True
        while more:
            ids, total = await self._call("GET", lo.ORDERS_API, scroll.params(), lo.orders_page)
            for order_id in ids:
                if order_id not in seen:
                    seen.add(order_id)
                    waiting.append(order_id)
            more = scroll.advance(len(ids), total)
            # items in full batches of 50 as pages come in, the rest after the last page
            while len(waiting) >= lo.ORDER_ITEMS_BATCH or (waiting and not more):
                batch, waiting = waiting[: lo.ORDER_ITEMS_BATCH], waiting[lo.ORDER_ITEMS_BATCH :]
                query = lo.order_items_query(batch)
                parse = partial(lo.order_lines, order_ids=batch)
                for line in await self._call("GET", lo.ORDER_ITEMS_API, query, parse):
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
