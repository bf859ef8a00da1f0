"""What one product's price, stock and status changes come to on Sendo: pure.

Sendo writes all three through variant-price, one full item per product (see
:mod:`.sendo_products`), so the changes asked for one product in one call (several of
its variants, say) are folded into the state they leave it in, and that state becomes
the item. Availability follows the rule of :func:`~.sendo_payloads.stock_change` and
:func:`~.sendo_payloads.status_change`, on the product's total stock (a variant has no
flag of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ocopsync.connectors.base import ItemResult, StatusChange
from ocopsync.connectors.sendo_payloads import (
    PLATFORM,
    Availability,
    status_change,
    stock_change,
)
from ocopsync.connectors.sendo_products import ProductState, price_item, split_id, with_variant
from ocopsync.errors import RejectedError
from ocopsync.records import ListingStatus


@dataclass(frozen=True)
class WriteOp:
    """One price, stock or status change asked for one listing."""

    sku: str
    remote_id: str
    kind: str
    """``price``, ``stock`` or ``status``."""
    value: int | ListingStatus


@dataclass(frozen=True)
class Pending:
    """A product's state after its ops, and the item that makes it so (None: no request)."""

    state: ProductState
    known: Availability | None
    ops: list[tuple[int, WriteOp]]
    item: dict[str, Any] | None


def not_found(remote_id: str) -> RejectedError:
    return RejectedError(
        f"{remote_id!r} is not a Sendo product (or variant) id",
        platform=PLATFORM,
        code="product_not_found",
    )


def _apply(
    state: ProductState, known: Availability | None, op: WriteOp, sku: str
) -> tuple[ProductState, Availability | None, bool]:
    """``state`` and ``known`` after ``op``, and whether a request is needed for it."""
    if op.kind == "status":
        assert isinstance(op.value, ListingStatus)
        fields, known = status_change(known, op.value)
        if fields is None:
            return state, known, False
        return replace(state, available=fields["stock_availability"]), known, True
    value = int(op.value)
    if op.kind == "price":
        state = with_variant(state, sku, price=value) if sku else replace(state, price=value)
        return state, known, True
    value = max(0, value)
    state = with_variant(state, sku, quantity=value) if sku else replace(state, stock=value)
    fields, after = stock_change(known, state.total())
    shown = fields.get("stock_availability", known.available if known else True)
    return replace(state, available=bool(shown)), after, True


def plan_product(
    state: ProductState,
    known: Availability | None,
    entries: Sequence[tuple[int, WriteOp, str]],
) -> tuple[Pending | None, list[tuple[int, WriteOp]]]:
    """The product's pending write for ``entries`` (``(index, op, variant SKU)``), and the
    ops refused for naming no listing of it: a variant it lacks, or the plain id of a
    product with variants (its listings are its variants)."""
    refused: list[tuple[int, WriteOp]] = []
    ops: list[tuple[int, WriteOp]] = []
    changed: list[str] = []
    send = False
    for i, op, sku in entries:
        if bool(sku) is not state.config or (sku and sku not in state.variants):
            refused.append((i, op))
            continue
        ops.append((i, op))
        if sku:
            changed.append(sku)
        state, known, needed = _apply(state, known, op, sku)
        send = send or needed
    if not ops:
        return None, refused
    return Pending(state, known, ops, price_item(state, changed) if send else None), refused


Entry = tuple[int, WriteOp, str]
"""``(index of the op in the call, op, variant SKU or "")``."""


def by_product(ops: Sequence[WriteOp]) -> tuple[dict[int, ItemResult], dict[int, list[Entry]]]:
    """``ops`` grouped by product id, in order; an op whose id names no product already
    has its result (``product_not_found``)."""
    results: dict[int, ItemResult] = {}
    grouped: dict[int, list[Entry]] = {}
    for i, op in enumerate(ops):
        pid, sku = split_id(op.remote_id)
        if pid is None:
            results[i] = ItemResult(op.sku, op.remote_id, not_found(op.remote_id))
        else:
            grouped.setdefault(pid, []).append((i, op, sku))
    return results, grouped


def status_ops(
    changes: Sequence[StatusChange],
) -> tuple[dict[int, ItemResult], list[tuple[int, WriteOp]]]:
    """The ops for ``changes`` (by index); a status Sendo cannot be set to (neither live
    nor unlisted) already has its result (``validation``)."""
    results: dict[int, ItemResult] = {}
    ops: list[tuple[int, WriteOp]] = []
    for i, c in enumerate(changes):
        if c.status not in (ListingStatus.LIVE, ListingStatus.UNLISTED):
            error = RejectedError(
                f"cannot set status {c.status.value!r}", platform=PLATFORM, code="validation"
            )
            results[i] = ItemResult(c.sku, c.remote_id, error)
            continue
        ops.append((i, WriteOp(c.sku, c.remote_id, "status", c.status)))
    return results, ops
