"""Reading what settlement needs and writing what it decided, in one transaction.

Why one transaction: the sales booked into the master stock, the order lines that
explain them, the listings' new baselines and the journal's resolutions are one fact.
Committed apart, a crash between them recounts every sale (or loses one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlmodel import Session

from ocopsync import faultpoints
from ocopsync.ledger import apply_moves, current_stock
from ocopsync.models import (
    Listing,
    Operation,
    OrderCursor,
    OrderLineRecord,
    SyncRun,
    utcnow,
)
from ocopsync.records import OpStatus, RunStatus
from ocopsync.stock import BookedLine, ListingState, LostCreate, Observation
from ocopsync.store.listings import ListingRow, load_listings

_LISTINGS: Table = Listing.__table__  # type: ignore[attr-defined]
_LINES: Table = OrderLineRecord.__table__  # type: ignore[attr-defined]
_OPS: Table = Operation.__table__  # type: ignore[attr-defined]
_RUNS: Table = SyncRun.__table__  # type: ignore[attr-defined]
_CURSORS: Table = OrderCursor.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def state_of(row: ListingRow) -> ListingState:
    return ListingState(
        sku=row.sku,
        remote_id=row.remote_id,
        last_stock=row.last_stock,
        booked_since_push=row.booked_since_push,
        pending_stock=row.pending_stock,
        pending_op_id=row.pending_op_id,
        pending_booked_base=row.pending_booked_base,
        uncertain_units=row.uncertain_units,
        uncertain_detail=row.uncertain_detail,
    )


def booked_lines(
    engine: Engine, connection: str, order_ids: Iterable[str]
) -> dict[tuple[str, str], BookedLine]:
    """What the lines of ``order_ids`` on ``connection`` have booked so far."""
    ids = sorted(set(order_ids))
    found: dict[tuple[str, str], BookedLine] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(
                select(
                    _LINES.c.order_id,
                    _LINES.c.line_id,
                    _LINES.c.status,
                    _LINES.c.quantity,
                    _LINES.c.booked,
                ).where(
                    _LINES.c.connection == connection,
                    _LINES.c.order_id.in_(ids[start : start + _CHUNK]),
                )
            )
            for order_id, line_id, status, quantity, booked in rows:
                found[(order_id, line_id)] = BookedLine(status, quantity, booked)
    return found


def order_cursor(engine: Engine, connection: str) -> OrderCursor | None:
    with Session(engine) as session:
        row = session.get(OrderCursor, connection)
        if row is not None:
            session.expunge(row)
        return row


def lost_creates(engine: Engine, connection: str) -> dict[str, LostCreate]:
    """Creates a dead run sent without recording their answer, by SKU."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_OPS.c.id, _OPS.c.sku, _OPS.c.desired)
            .join(_RUNS, _RUNS.c.id == _OPS.c.run_id)
            .where(
                _OPS.c.connection == connection,
                _OPS.c.action == "create",
                _OPS.c.status == OpStatus.STARTED.value,
                _RUNS.c.status != RunStatus.RUNNING.value,
            )
        )
        return {
            sku: LostCreate(op_id, int(((desired or {}).get("listing") or {}).get("stock", 0)))
            for op_id, sku, desired in rows
        }


def held_units(engine: Engine) -> dict[str, int]:
    """Units held back per SKU by uncertain writes, over every connection."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_LISTINGS.c.sku, func.sum(_LISTINGS.c.uncertain_units))
            .where(_LISTINGS.c.uncertain_units != 0)
            .group_by(_LISTINGS.c.sku)
        )
        return {sku: int(total) for sku, total in rows}


@dataclass(frozen=True)
class SeenConnection:
    """What to record for one connection besides settlement: who is gone, the cursor."""

    connection: str
    platform: str
    listings: Mapping[str, ListingRow]
    missing: Sequence[str]
    """SKUs of our rows whose listing is no longer on the platform."""
    statuses: Mapping[str, str]
    """Remote status per SKU of every listing seen."""
    cursor_watermark: datetime | None = None
    """Set when orders were read: the end of the window read."""
    tracking_since: datetime | None = None


def record_observation(
    engine: Engine,
    observation: Observation,
    seen: Sequence[SeenConnection],
    *,
    run_id: int | None,
    when: datetime,
    changes: ListingChanges | None = None,
) -> dict[str, int]:
    """Write everything settlement decided in one transaction; return the master stock
    of the SKUs that moved, as the database holds it after the commit."""
    if changes is None:
        changes = listing_changes(observation, seen)
    with Session(engine) as session:
        conn = session.connection()
        apply_moves(conn, observation.moves)
        _write_lines(conn, observation, run_id, when)
        _write_listings(conn, changes, seen, when)
        _write_resolutions(conn, observation)
        _write_cursors(conn, seen, when)
        moved = sorted({m.sku for m in observation.moves})
        after = current_stock(conn, moved)
        faultpoints.reach("observe.before_commit")
        session.commit()
    faultpoints.reach("observe.after_commit")
    return after


def _write_lines(conn: Connection, obs: Observation, run_id: int | None, when: datetime) -> None:
    new = [w for w in obs.lines if w.is_new]
    old = [w for w in obs.lines if not w.is_new]
    if new:
        conn.execute(
            insert(_LINES),
            [
                {
                    "connection": w.connection,
                    "platform": w.platform,
                    "order_id": w.line.order_id,
                    "line_id": w.line.line_id,
                    "sku": w.line.seller_sku,
                    "quantity": w.line.quantity,
                    "status": w.line.status.value,
                    "booked": w.booked,
                    "ordered_at": w.line.created_at,
                    "platform_updated_at": w.line.updated_at,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                    "recorded_at": when,
                }
                for w in new
            ],
        )
    if old:
        conn.execute(
            update(_LINES)
            .where(
                _LINES.c.connection == bindparam("_c"),
                _LINES.c.order_id == bindparam("_o"),
                _LINES.c.line_id == bindparam("_l"),
            )
            .values(
                status=bindparam("_s"),
                quantity=bindparam("_q"),
                booked=bindparam("_b"),
                platform_updated_at=bindparam("_u"),
                last_run_id=bindparam("_r"),
            ),
            [
                {
                    "_c": w.connection,
                    "_o": w.line.order_id,
                    "_l": w.line.line_id,
                    "_s": w.line.status.value,
                    "_q": w.line.quantity,
                    "_b": w.booked,
                    "_u": w.line.updated_at,
                    "_r": run_id,
                }
                for w in old
            ],
        )


@dataclass
class ListingChanges:
    """What an observation changes in the listing rows: computed once, written by
    :func:`record_observation` and applied to the rows the run holds by
    :func:`apply_to_rows`, so the two can never disagree and nothing is read twice."""

    updates: list[tuple[ListingRow, ListingState]] = field(default_factory=list)
    """Known rows whose settled values moved (a no-op run has none)."""
    inserts: list[tuple[str, str, ListingState]] = field(default_factory=list)
    """``(connection, sku, state)`` of rows settlement adds (adopted listings)."""
    statuses: list[tuple[ListingRow, str]] = field(default_factory=list)
    """Known rows whose remote status changed (``missing`` once gone)."""


def listing_changes(obs: Observation, seen: Sequence[SeenConnection]) -> ListingChanges:
    rows_by_conn = {s.connection: s.listings for s in seen}
    changes = ListingChanges()
    for (connection, sku), state in obs.listings.items():
        row = rows_by_conn.get(connection, {}).get(sku)
        if row is not None and row.id is not None:
            if not _unchanged(row, state):
                changes.updates.append((row, state))
        else:
            changes.inserts.append((connection, sku, state))
    for s in seen:
        for sku in s.missing:
            row = s.listings.get(sku)
            if row is not None and row.remote_status != "missing":
                changes.statuses.append((row, "missing"))
        for sku, status in s.statuses.items():
            row = s.listings.get(sku)
            if row is not None and row.remote_status != status:
                changes.statuses.append((row, status))
    return changes


def apply_to_rows(
    engine: Engine, changes: ListingChanges, seen: Sequence[SeenConnection]
) -> list[ListingRow]:
    """Make the rows the run holds what :func:`record_observation` wrote (after its
    commit), instead of reading every row again; rows it inserted are read (their ids).
    Returns copies of the rows as they were before, for the plan's "what we knew"."""
    before = [copy(row) for row, _ in changes.updates]
    for row, state in changes.updates:
        for name in _STATE_FIELDS:
            setattr(row, name, getattr(state, name))
    for row, status in changes.statuses:
        row.remote_status = status
    inserted: dict[str, set[str]] = {}
    for connection, sku, _state in changes.inserts:
        inserted.setdefault(connection, set()).add(sku)
    held = {s.connection: s.listings for s in seen}
    for connection, skus in inserted.items():
        rows = held.get(connection)
        if isinstance(rows, dict):
            rows.update(load_listings(engine, connection, skus=skus))
    return before


def _write_listings(
    conn: Connection,
    changes: ListingChanges,
    seen: Sequence[SeenConnection],
    when: datetime,
) -> None:
    platforms = {s.connection: s.platform for s in seen}

    def values(state: ListingState) -> dict[str, Any]:
        return {**{f: getattr(state, f) for f in _STATE_FIELDS}, "updated_at": when}

    updates = [{"_id": row.id, **values(state)} for row, state in changes.updates]
    inserts = [
        {
            "connection": connection,
            "platform": platforms.get(connection, ""),
            "sku": sku,
            "seller_sku": sku,
            "remote_status": "live",
            "created_at": when,
            "last_seen": when,
            **values(state),
        }
        for connection, sku, state in changes.inserts
    ]
    if updates:  # a no-op run rewrote every row here; only what moved is written
        conn.execute(
            update(_LISTINGS)
            .where(_LISTINGS.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in updates[0] if k != "_id"}),
            updates,
        )
    if inserts:
        conn.execute(insert(_LISTINGS), inserts)
    for s in seen:
        conn.execute(
            update(_LISTINGS)
            .where(_LISTINGS.c.connection == s.connection, _LISTINGS.c.remote_status != "missing")
            .values(last_seen=when)
        )
    if changes.statuses:
        conn.execute(
            update(_LISTINGS)
            .where(_LISTINGS.c.id == bindparam("_id"))
            .values(remote_status=bindparam("remote_status")),
            [{"_id": row.id, "remote_status": status} for row, status in changes.statuses],
        )


_STATE_FIELDS = (
    "remote_id",
    "last_stock",
    "booked_since_push",
    "pending_stock",
    "pending_op_id",
    "pending_booked_base",
    "uncertain_units",
    "uncertain_detail",
)
"""The columns settlement decides; a row whose values all stay is not written."""


def _unchanged(row: ListingRow, state: ListingState) -> bool:
    return all(getattr(row, f) == getattr(state, f) for f in _STATE_FIELDS)


def _write_resolutions(conn: Connection, obs: Observation) -> None:
    if not obs.resolutions:
        return
    now = utcnow()
    conn.execute(
        update(_OPS)
        .where(_OPS.c.id == bindparam("_id"))
        .values(status=bindparam("_s"), error=bindparam("_d"), finished_at=now),
        [{"_id": r.op_id, "_s": r.status.value, "_d": r.detail} for r in obs.resolutions],
    )


def _write_cursors(conn: Connection, seen: Sequence[SeenConnection], when: datetime) -> None:
    for s in seen:
        if s.cursor_watermark is None:
            continue
        done = conn.execute(
            update(_CURSORS)
            .where(_CURSORS.c.connection == s.connection)
            .values(watermark=s.cursor_watermark, updated_at=when)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(_CURSORS).values(
                    connection=s.connection,
                    tracking_since=s.tracking_since or s.cursor_watermark,
                    watermark=s.cursor_watermark,
                    updated_at=when,
                )
            )


def resolve_started(
    engine: Engine, connection: str, decide: Mapping[int, tuple[OpStatus, str]]
) -> None:
    """Record how started operations of dead runs turned out (price and status writes)."""
    if not decide:
        return
    with engine.begin() as conn:
        conn.execute(
            update(_OPS)
            .where(_OPS.c.id == bindparam("_id"), _OPS.c.status == OpStatus.STARTED.value)
            .values(status=bindparam("_s"), error=bindparam("_d"), finished_at=utcnow()),
            [{"_id": i, "_s": s.value, "_d": d} for i, (s, d) in decide.items()],
        )


def started_writes(engine: Engine, connection: str) -> list[tuple[int, str, str, str]]:
    """``(op_id, sku, action, to_value)`` of price, status and content writes a dead run
    left started."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_OPS.c.id, _OPS.c.sku, _OPS.c.action, _OPS.c.to_value)
            .join(_RUNS, _RUNS.c.id == _OPS.c.run_id)
            .where(
                _OPS.c.connection == connection,
                _OPS.c.action.in_(("update_price", "unlist", "relist", "update_content")),
                _OPS.c.status == OpStatus.STARTED.value,
                _RUNS.c.status != RunStatus.RUNNING.value,
            )
        )
        return [(i, sku, action, to) for i, sku, action, to in rows]
