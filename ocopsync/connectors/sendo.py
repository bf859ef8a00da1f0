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
- ``POST /api/partner/product`` with ``id: 0`` creates -> ``result`` = the new id;
- ``PUT /api/partner/product/config/variant-price`` with a JSON array of
  ``{product_id, is_config_variant, price | stock_quantity | stock_availability}`` ->
  ``result.error_list[]`` (empty: every item succeeded);
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

Options (``[connections.options]``):

- ``rate_limit_per_s``: overrides the default 10 requests/s;
- ``category_map``: OCOP group -> Sendo level-4 category id (``cat_4_id``);
- ``default_weight_g``: package weight for products with no ``weight_g``.

Our choices where the docs are silent (the sandbox emulates exactly these):

- errors: the HTTP status equals the envelope's ``status_code``; ``error_details[0].code``
  is one of ``invalid_credentials`` (401 at /login), ``token_expired`` (401, message
  "Token is expired") / ``token_invalid`` (401, missing or unknown bearer; both mean: log
  in again, once), ``validation`` (400), ``product_not_found`` (404),
  ``sku_duplicate`` (409), ``product_locked`` (400: status 1, 4 or 5), ``rate_limited``
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

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from ocopsync.connectors.answers import Answer, described
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
from ocopsync.connectors.sendo_payloads import (
    BATCH_SIZE,
    ORDER_WINDOW_DAYS,
    PAGE_SIZE,
    PLATFORM,
    Availability,
    available,
    create_body,
    item_errors,
    missing_for_create,
    order_page,
    order_search_body,
    order_windows,
    parse_expires,
    parse_product,
    product_id,
    search_body,
    search_page,
    status_change,
    stock_change,
    unwrap,
    variant_price_item,
)
from ocopsync.errors import ConnectorError, FatalConfigError, RejectedError
from ocopsync.i18n import _

LOGIN = "/login"
SEARCH = "/api/partner/product/search"
PRODUCT = "/api/partner/product"
VARIANT_PRICE = "/api/partner/product/config/variant-price"
SALES_ORDER_SEARCH = "/api/partner/salesorder/search"
RENEW_BEFORE = timedelta(minutes=5)
T = TypeVar("T")


def _product_detail(result: Answer) -> tuple[RemoteListing, bool] | None:
    """The product of a ``GET /product?sku=`` (None: no product, or a deleted one)."""
    if result.value is None or result.value == {}:
        return None
    listing = parse_product(result)
    return None if listing is None else (listing, available(result))


def _created_id(result: Answer) -> str:
    """The id a create answered: the ``result`` itself, or its ``id``; never empty or 0."""
    new_id = result.get("id") if isinstance(result.value, dict) else result.value
    if isinstance(new_id, bool) or not isinstance(new_id, str | int) or new_id in ("", 0):
        raise result.fail(_("should be a product id, got {got}").format(got=described(new_id)))
    return str(new_id)


@dataclass(frozen=True)
class _Op:
    """One item of a variant-price batch: ``fields`` None means no request is needed."""

    sku: str
    remote_id: str
    fields: dict[str, Any] | None
    after: Availability | None = None


def _utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive time is taken as UTC (what stores such as SQLite hand back)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class SendoConnector(HttpConnector):
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
        self._keys = {"shop_key": shop_key, "secret_key": secret_key}
        self._start_http(ctx)
        self._tokens: Tokens | None = None
        self._loaded = False
        self._login_lock = asyncio.Lock()
        self._known: dict[str, Availability] = {}

    # -- the bearer token ----------------------------------------------------------------
    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.http.now(), tz=UTC)

    def _usable(self, tokens: Tokens | None) -> bool:
        if tokens is None or not tokens.access_token:
            return False
        expires = tokens.access_expires_at
        if expires is None:
            return True
        if expires.tzinfo is None:  # stores such as SQLite hand back naive UTC
            expires = expires.replace(tzinfo=UTC)
        return expires - self._now() > RENEW_BEFORE

    def _current(self) -> str:
        return self._tokens.access_token if self._tokens else ""

    async def _token(self) -> str:
        if not self._loaded:
            self._tokens = self.ctx.token_store.load(self.ctx.settings.name)
            self._loaded = True
        if not self._usable(self._tokens):
            await self._relogin(stale=self._current())
        return self._current()

    async def _relogin(self, stale: str | None) -> None:
        """Log in again unless another task already replaced ``stale`` (None: always)."""
        async with self._login_lock:
            if stale is not None and self._current() != stale and self._usable(self._tokens):
                return
            self._tokens = await self._login()
            self.ctx.token_store.save(self.ctx.settings.name, PLATFORM, self._tokens)

    async def _login(self) -> Tokens:
        async def attempt() -> Tokens:
            response = await self.http.send("POST", LOGIN, json=self._keys)
            result = unwrap(response, login=True)
            token = result.text("token")
            if not token:
                raise result.fail(_("should not be empty"), "token")
            expires = parse_expires(result.get("expires"), self._now())
            return Tokens(access_token=token, access_expires_at=expires)

        return await self.http.call(attempt)

    async def _request(
        self,
        method: str,
        url: str,
        read: Callable[[Answer], T],
        on_attempt: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """``read(result)`` of one call, read inside the attempt so that a malformed
        answer is retried like a failed call."""
        used = await self._token()

        async def attempt() -> T:
            nonlocal used
            used = self._current()
            if on_attempt:
                on_attempt()
            headers = {"Authorization": f"bearer {used}"}
            response = await self.http.send(method, url, headers=headers, **kwargs)
            return read(unwrap(response))

        async def refresh() -> None:
            await self._relogin(stale=used)

        return await self.http.call_authed(attempt, refresh)

    # -- reading -------------------------------------------------------------------------
    def _observe(self, listing: RemoteListing, available: bool) -> None:
        self._known[listing.remote_id] = Availability.observed(listing.stock, available)

    async def list_listings(self) -> AsyncIterator[RemoteListing]:
        cursor = ""
        while True:
            found, cursor = await self._request(
                "POST", SEARCH, search_page, json=search_body(cursor)
            )
            for listing, shown in found:
                self._observe(listing, shown)
                yield listing
            if not cursor:
                return

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        """One search per window of at most 3 Vietnam days, paged by cursor; Sendo answers
        whole days, so lines of orders updated outside ``[since, until]`` are dropped here."""
        # Sendo's stamps are whole seconds: an order at since + 0.4 s reads as since.
        since, until = _utc(since).replace(microsecond=0), _utc(until)
        for window in order_windows(since, until) if since <= until else []:
            cursor = ""
            while True:
                body = order_search_body(window, cursor)
                lines, cursor = await self._request(
                    "POST", SALES_ORDER_SEARCH, order_page, json=body
                )
                for line in lines:
                    if since <= line.updated_at <= until:
                        yield line
                if not cursor:
                    break

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        try:
            found = await self._request("GET", PRODUCT, _product_detail, params={"sku": sku})
        except RejectedError as exc:
            if exc.code == "product_not_found":
                return None
            raise
        if found is not None:
            self._observe(*found)
            return found[0]
        return None

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """``GET /api/partner/product?id=``: Sendo reads one product by id a request (its
        search filters on name, status and dates only), so ``read_batch`` is 1. A
        product Sendo does not have (``product_not_found``) or has deleted is left out."""
        ids = list(dict.fromkeys(remote_ids))
        if not ids:
            return []
        if len(ids) > self.capabilities.read_batch:
            raise ValueError(f"at most {self.capabilities.read_batch} ids per read")
        try:
            found = await self._request("GET", PRODUCT, _product_detail, params={"id": ids[0]})
        except RejectedError as exc:
            if exc.code == "product_not_found":
                return []
            raise
        if found is None or found[0].remote_id != ids[0]:
            return []
        self._observe(*found)
        return [found[0]]

    # -- writing -------------------------------------------------------------------------
    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        return missing_for_create(draft, self.options)

    async def create_listing(self, draft: ListingDraft) -> str:
        missing = self.missing_for_create(draft)
        if missing:
            raise RejectedError("; ".join(missing), platform=PLATFORM, code="missing_data")
        attempts = 0

        def count() -> None:
            nonlocal attempts
            attempts += 1

        try:
            body = create_body(draft, self.options)
            new_id = await self._request("POST", PRODUCT, _created_id, on_attempt=count, json=body)
        except RejectedError as exc:
            # An earlier attempt may have created it before the answer was lost.
            if exc.code == "sku_duplicate" and attempts > 1:
                adopted = await self.find_by_sku(draft.sku)
                if adopted is not None:
                    return adopted.remote_id
            raise
        remote_id = new_id
        stock = max(0, draft.stock)
        self._known[remote_id] = Availability(stock, stock > 0, False)
        return remote_id

    async def _apply(self, ops: Sequence[_Op]) -> list[ItemResult]:
        """Send ``ops`` through variant-price in batches; one result per op, in order."""
        results: dict[int, ItemResult] = {}
        to_send: list[tuple[int, _Op, dict[str, Any]]] = []
        for i, op in enumerate(ops):
            pid = product_id(op.remote_id)
            if pid is None:
                error = RejectedError(
                    f"{op.remote_id!r} is not a Sendo product id",
                    platform=PLATFORM,
                    code="product_not_found",
                )
                results[i] = ItemResult(op.sku, op.remote_id, error)
            elif op.fields is None:
                self._remember(op)
                results[i] = ItemResult(op.sku, op.remote_id)
            else:
                to_send.append((i, op, variant_price_item(pid, **op.fields)))
        for chunk in chunked(to_send, BATCH_SIZE):
            whole: ConnectorError | None = None
            errors: dict[str, ConnectorError] = {}
            try:
                body = [b for _, _, b in chunk]
                errors = await self._request("PUT", VARIANT_PRICE, item_errors, json=body)
            except RejectedError as exc:
                whole = exc
            for i, op, body in chunk:
                refused = whole or errors.get(str(body["product_id"]))
                if refused is None:
                    self._remember(op)
                results[i] = ItemResult(op.sku, op.remote_id, refused)
        return [results[i] for i in range(len(ops))]

    def _remember(self, op: _Op) -> None:
        if op.after is not None:
            self._known[op.remote_id] = op.after
        else:
            self._known.pop(op.remote_id, None)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        ops = []
        for u in updates:
            known = self._known.get(u.remote_id)
            ops.append(_Op(u.sku, u.remote_id, {"price": u.price}, known))
        return await self._apply(ops)

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        ops = []
        for u in updates:
            fields, after = stock_change(self._known.get(u.remote_id), u.stock)
            ops.append(_Op(u.sku, u.remote_id, fields, after))
        return await self._apply(ops)

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results: dict[int, ItemResult] = {}
        ops: list[tuple[int, _Op]] = []
        for i, c in enumerate(changes):
            if c.status not in (ListingStatus.LIVE, ListingStatus.UNLISTED):
                error = RejectedError(
                    f"cannot set status {c.status.value!r}", platform=PLATFORM, code="validation"
                )
                results[i] = ItemResult(c.sku, c.remote_id, error)
                continue
            fields, after = status_change(self._known.get(c.remote_id), c.status)
            ops.append((i, _Op(c.sku, c.remote_id, fields, after)))
        applied = await self._apply([op for _index, op in ops])
        for (i, _op), result in zip(ops, applied, strict=True):
            results[i] = result
        return [results[i] for i in range(len(changes))]

    async def check(self) -> CredentialStatus:
        """Log in with the keys (the cheapest call that proves them) and keep the token."""
        try:
            await self._relogin(stale=None)
        except FatalConfigError as exc:
            return CredentialStatus(False, exc.message)
        expires = self._tokens.access_expires_at if self._tokens else None
        return CredentialStatus(
            True,
            "shop_key and secret_key accepted; the bearer token lasts 8 hours and is "
            "renewed by logging in again (Sendo has no refresh token)",
            access_expires_at=expires,
        )
