"""The SQL behind coverage, its history, gap lists and certificate expiry.

One owner for these queries (the review of 2026-12-01: "a store module per concern"),
so :mod:`ocopsync.coverage`, :mod:`ocopsync.coverage_history`, :mod:`ocopsync.gaps`
and :mod:`ocopsync.certificates` stay pure functions over what this module reads.
Each function opens its own short session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Engine, Table, delete, func, insert, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from ocopsync.models import CoverageSnapshot, Entity, Listing, Operation, Product, as_utc


@dataclass(frozen=True)
class ListingState:
    """What the last sync left of one product on one connection."""

    connection: str
    platform: str
    sku: str
    remote_status: str
    last_stock: int | None


@dataclass(frozen=True)
class LastAttempt:
    """The newest journaled create or relist of one product on one connection."""

    connection: str
    sku: str
    action: str
    status: str
    error: str
    error_kind: str
    run_id: int


@dataclass(frozen=True)
class Stamp:
    """One stored snapshot: the rows one ``take_snapshot`` wrote.

    A snapshot is named by its run; one taken outside a run (``run_id`` None) by its
    time. ``taken_at`` is the newest row's time, in UTC.
    """

    run_id: int | None
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class CellProduct:
    """What a coverage cell needs of one product (eligibility and where it belongs).

    Read as tuples from a select of these columns only: a snapshot after every sync
    used to materialise every product as an ORM object just to count it.
    """

    sku: str
    status: str
    expires_on: date
    stars: int
    group: str
    province: str
    district: str
    entity_code: str


_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
_LISTINGS: Table = Listing.__table__  # type: ignore[attr-defined]
_SNAPSHOTS: Table = CoverageSnapshot.__table__  # type: ignore[attr-defined]


def cell_products(engine: Engine) -> list[CellProduct]:
    """Every product, by SKU, as :class:`CellProduct` (the columns coverage counts by)."""
    c = _PRODUCTS.c
    query = core_select(
        c.sku, c.status, c.expires_on, c.stars, c.group, c.province, c.district, c.entity_code
    ).order_by(c.sku)
    with engine.connect() as conn:
        return [CellProduct(*row) for row in conn.execute(query)]


def live_skus(engine: Engine) -> dict[str, set[str]]:
    """Connection -> the SKUs live there as the last sync left them (one select)."""
    live: dict[str, set[str]] = defaultdict(set)
    query = core_select(_LISTINGS.c.connection, _LISTINGS.c.sku).where(
        _LISTINGS.c.remote_status == "live"
    )
    with engine.connect() as conn:
        for connection, sku in conn.execute(query):
            live[connection].add(sku)
    return dict(live)


def products(engine: Engine) -> list[Product]:
    with Session(engine) as session:
        rows = list(session.exec(select(Product).order_by(col(Product.sku))).all())
        session.expunge_all()
        return rows


def listing_states(engine: Engine) -> list[ListingState]:
    """Every listing row's state: five columns as tuples, no ORM object per row."""
    c = _LISTINGS.c
    query = core_select(c.connection, c.platform, c.sku, c.remote_status, c.last_stock)
    with engine.connect() as conn:
        return [ListingState(*row) for row in conn.execute(query)]


def entity_names(engine: Engine) -> dict[str, str]:
    """Producer code -> name, so no output shows a bare code."""
    with Session(engine) as session:
        return dict(session.exec(select(Entity.code, Entity.name)).all())


_ATTEMPTS = ("create", "relist")
"""The actions that would make a product live: the last of them says why it is not."""


def last_attempts(engine: Engine, connections: Iterable[str]) -> dict[tuple[str, str], LastAttempt]:
    """(connection, sku) -> the newest create or relist journaled for it."""
    names = sorted(set(connections))
    if not names:
        return {}
    with Session(engine) as session:
        newest = (
            select(func.max(Operation.id).label("id"))
            .where(col(Operation.connection).in_(names), col(Operation.action).in_(_ATTEMPTS))
            .group_by(col(Operation.connection), col(Operation.sku))
            .subquery()
        )
        rows = session.exec(
            select(Operation).where(col(Operation.id).in_(select(newest.c.id)))
        ).all()
        return {
            (r.connection, r.sku): LastAttempt(
                r.connection, r.sku, r.action, r.status, r.error, r.error_kind, r.run_id
            )
            for r in rows
        }


# --- snapshots -----------------------------------------------------------------------


def snapshot_stamps(engine: Engine) -> list[Stamp]:
    """Every stored snapshot, oldest first."""
    with Session(engine) as session:
        in_runs = session.exec(
            select(CoverageSnapshot.run_id, func.max(CoverageSnapshot.taken_at))
            .where(col(CoverageSnapshot.run_id).is_not(None))
            .group_by(col(CoverageSnapshot.run_id))
        ).all()
        outside = session.exec(
            select(CoverageSnapshot.taken_at)
            .where(col(CoverageSnapshot.run_id).is_(None))
            .distinct()
        ).all()
    stamps = [Stamp(run_id, _utc(at)) for run_id, at in in_runs]
    stamps += [Stamp(None, _utc(at)) for at in outside]
    return sorted(stamps, key=lambda s: (s.taken_at, s.run_id or 0))


def _utc(value: datetime | None) -> datetime:
    at = as_utc(value)
    assert at is not None
    return at


def _matching(stamps: Sequence[Stamp]) -> ColumnElement[bool]:
    """A WHERE clause for the rows of ``stamps``."""
    runs = [s.run_id for s in stamps if s.run_id is not None]
    times = [s.taken_at for s in stamps if s.run_id is None]
    clauses: list[ColumnElement[bool]] = []
    if runs:
        clauses.append(col(CoverageSnapshot.run_id).in_(runs))
    if times:
        clauses.append(
            col(CoverageSnapshot.run_id).is_(None) & col(CoverageSnapshot.taken_at).in_(times)
        )
    return or_(*clauses)


def snapshot_rows(engine: Engine, stamps: Sequence[Stamp]) -> dict[Stamp, list[CoverageSnapshot]]:
    """The rows of each of ``stamps``."""
    if not stamps:
        return {}
    by_run = {s.run_id: s for s in stamps if s.run_id is not None}
    by_time = {s.taken_at: s for s in stamps if s.run_id is None}
    out: dict[Stamp, list[CoverageSnapshot]] = defaultdict(list)
    with Session(engine) as session:
        rows = session.exec(select(CoverageSnapshot).where(_matching(stamps))).all()
        session.expunge_all()
    for row in rows:
        stamp = (
            by_run.get(row.run_id) if row.run_id is not None else by_time.get(_utc(row.taken_at))
        )
        if stamp is not None:
            out[stamp].append(row)
    return dict(out)


def add_snapshot(engine: Engine, rows: Iterable[CoverageSnapshot]) -> None:
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()


SNAPSHOT_COLUMNS = (
    "run_id",
    "taken_at",
    "platform",
    "province",
    "district",
    "stars",
    "group",
    "entity_code",
    "eligible",
    "listed",
)
"""The columns of one snapshot row, in the order :func:`insert_snapshot` takes them."""


def insert_snapshot(engine: Engine, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert snapshot rows (tuples in :data:`SNAPSHOT_COLUMNS` order) in one statement.

    Core and executemany: a national snapshot is tens of thousands of cells, and an ORM
    object per cell cost more than counting them.
    """
    if not rows:
        return
    with engine.begin() as conn:
        values = [dict(zip(SNAPSHOT_COLUMNS, r, strict=True)) for r in rows]
        conn.execute(insert(_SNAPSHOTS), values)


def delete_snapshots(engine: Engine, stamps: Sequence[Stamp]) -> int:
    """Remove the rows of ``stamps``; how many rows went."""
    if not stamps:
        return 0
    with Session(engine) as session:
        result = session.execute(delete(CoverageSnapshot).where(_matching(stamps)))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
