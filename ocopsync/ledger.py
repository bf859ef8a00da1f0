"""The master stock's ledger: every change of a product's stock is a row, applied relatively.

Why relative: an import, a sync of one platform and a sync of another may run at the
same time. A statement ``stock = stock + delta`` commits each one's movement without
overwriting the others' (an absolute ``stock = 42`` computed from an earlier read
would silently undo a sale booked in between). Why a ledger: "every sale counted
exactly once" is a claim someone must be able to check, unit by unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from ocopsync.models import Product, StockMove, utcnow
from ocopsync.records import Move

_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
_MOVES: Table = StockMove.__table__  # type: ignore[attr-defined]
_CHUNK = 500
"""SKUs per IN (...) query, under SQLite's bound-parameter limit."""


def apply_moves(conn: Connection, moves: Iterable[Move]) -> None:
    """Record ``moves`` and shift each product's stock by them, in the caller's transaction.

    Moves of SKUs the catalog does not hold are refused by the caller, not here: the
    ledger records what it is given.
    """
    moves = [m for m in moves if m.delta != 0]
    if not moves:
        return
    now = utcnow()
    conn.execute(
        insert(_MOVES),
        [
            {
                "sku": m.sku,
                "delta": m.delta,
                "kind": m.kind,
                "connection": m.connection,
                "reference": m.reference,
                "run_id": m.run_id,
                "at": now,
            }
            for m in moves
        ],
    )
    per_sku: dict[str, int] = {}
    for m in moves:
        per_sku[m.sku] = per_sku.get(m.sku, 0) + m.delta
    conn.execute(
        update(_PRODUCTS)
        .where(_PRODUCTS.c.sku == bindparam("_sku"))
        .values(stock=_PRODUCTS.c.stock + bindparam("_delta"), updated_at=now),
        [{"_sku": sku, "_delta": delta} for sku, delta in per_sku.items() if delta],
    )


def current_stock(conn: Connection, skus: Sequence[str]) -> dict[str, int]:
    """The master stock of ``skus`` as this transaction sees it."""
    found: dict[str, int] = {}
    for start in range(0, len(skus), _CHUNK):
        chunk = list(skus[start : start + _CHUNK])
        rows = conn.execute(
            select(_PRODUCTS.c.sku, _PRODUCTS.c.stock).where(_PRODUCTS.c.sku.in_(chunk))
        )
        found.update((sku, stock) for sku, stock in rows)
    return found


def balance(conn: Connection, sku: str) -> int:
    """The sum of every recorded move of ``sku`` (what an audit compares the stock with)."""
    rows = conn.execute(select(_MOVES.c.delta).where(_MOVES.c.sku == sku))
    return sum(delta for (delta,) in rows)


__all__ = ["Move", "apply_moves", "balance", "current_stock"]
