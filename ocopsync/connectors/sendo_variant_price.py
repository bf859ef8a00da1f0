"""Sendo's price, stock and status writes: full items through variant-price.

Mixed into :class:`ocopsync.connectors.sendo.SendoConnector`, whose module docstring
gives the facts and choices (full items, at most 50 an array, unlisting as
``stock_availability=false``); what one product's changes come to is the pure
:func:`~.sendo_writes.plan_product`. Kept apart so the connector module holds the reads,
discovery and creates, and this one the batched writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import (
    ItemResult,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.connectors.sendo_payloads import BATCH_SIZE, PLATFORM, Availability, item_errors
from ocopsync.connectors.sendo_products import ProductState
from ocopsync.connectors.sendo_session import SendoSession
from ocopsync.connectors.sendo_writes import (
    Pending,
    WriteOp,
    by_product,
    not_found,
    plan_product,
    status_ops,
)
from ocopsync.errors import ConnectorError, RejectedError

VARIANT_PRICE = "/api/partner/product/config/variant-price"
SWEEP_OVER = 3
"""More unseen products than this are read by paging the search, not one by one."""


class VariantPriceWrites:
    """Needs the connector's :class:`SendoSession` (the bearer call), its reads (which
    record what they see in ``_state`` and ``_known``) and those two records."""

    _session: SendoSession
    _state: dict[int, ProductState]
    _known: dict[str, Availability]

    async def _detail(self, **params: str | int) -> Answer | None:
        raise NotImplementedError

    def _listings(self, detail: Answer) -> list[RemoteListing]:
        raise NotImplementedError

    def list_listings(self) -> AsyncIterator[RemoteListing]:
        raise NotImplementedError

    async def _read_states(self, pids: Sequence[int]) -> dict[int, ConnectorError]:
        """Read the products this connector has not seen; the errors of those it cannot.

        A few are read one by one; more than :data:`SWEEP_OVER` are read by paging the
        whole search (50 products a request) rather than one request each."""
        errors: dict[int, ConnectorError] = {}
        if sum(pid not in self._state for pid in pids) > SWEEP_OVER:
            async for _listing in self.list_listings():
                pass
        for pid in pids:
            if pid in self._state:
                continue
            try:
                detail = await self._detail(id=pid)
            except RejectedError as exc:
                errors[pid] = exc
                continue
            if detail is None or not self._listings(detail):
                errors[pid] = RejectedError(
                    f"no Sendo product {pid}", platform=PLATFORM, code="product_not_found"
                )
        return errors

    async def _apply(self, ops: Sequence[WriteOp]) -> list[ItemResult]:
        """Send ``ops`` through variant-price, one full item per product (ops on several
        variants of one product are merged), in batches; one result per op, in order."""
        results, grouped = by_product(ops)
        unread = await self._read_states(list(grouped))
        to_send: list[Pending] = []
        for pid, entries in grouped.items():
            if pid in unread:
                for i, op, _sku in entries:
                    results[i] = ItemResult(op.sku, op.remote_id, unread[pid])
                continue
            pending, refused = plan_product(self._state[pid], self._known.get(str(pid)), entries)
            for i, op in refused:
                results[i] = ItemResult(op.sku, op.remote_id, not_found(op.remote_id))
            if pending is None:
                continue
            if pending.item is None:
                self._commit(pending)
                results.update({i: ItemResult(op.sku, op.remote_id) for i, op in pending.ops})
            else:
                to_send.append(pending)
        for chunk in chunked(to_send, BATCH_SIZE):
            whole: ConnectorError | None = None
            errors: dict[str, ConnectorError] = {}
            try:
                body = [p.item for p in chunk]
                errors = await self._session.request("PUT", VARIANT_PRICE, item_errors, json=body)
            except RejectedError as exc:
                whole = exc
            for pending in chunk:
                error = whole or errors.get(str(pending.state.pid))
                if error is None:
                    self._commit(pending)
                for i, op in pending.ops:
                    results[i] = ItemResult(op.sku, op.remote_id, error)
        return [results[i] for i in range(len(ops))]

    def _commit(self, pending: Pending) -> None:
        self._state[pending.state.pid] = pending.state
        if pending.known is not None:
            self._known[str(pending.state.pid)] = pending.known
        else:
            self._known.pop(str(pending.state.pid), None)

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]:
        return await self._apply([WriteOp(u.sku, u.remote_id, "price", u.price) for u in updates])

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]:
        return await self._apply([WriteOp(u.sku, u.remote_id, "stock", u.stock) for u in updates])

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]:
        results, ops = status_ops(changes)
        applied = await self._apply([op for _index, op in ops])
        for (i, _op), result in zip(ops, applied, strict=True):
            results[i] = result
        return [results[i] for i in range(len(changes))]
