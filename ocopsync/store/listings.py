"""What we remember of each listing, and the connections the config declares."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from sys import intern
from typing import Any

from sqlalchemy import Engine, Table, Text, bindparam, cast, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from ocopsync.config import ConnectionSettings
from ocopsync.models import (
    Connection,
    Listing,
    utcnow,
)

_LISTINGS: Table = Listing.__table__  # type: ignore[attr-defined]


@dataclass(slots=True, eq=False)
class ListingRow:
    """One listing row as a run holds it: the columns planning and apply use.

    Why not the ORM class: a run reads every row of every connection (93,000 at national
    scale) twice, and an ORM object per row (instance state, pydantic private attributes,
    instrumented reads) cost more than planning itself. Read from a select of these
    columns, changed in place by apply, written back by :func:`save_listings` and the
    journal, which take this or :class:`~ocopsync.models.Listing` alike.

    ``last_seen`` is not read (nothing in a run needs it); set, it is written.
    """

    connection: str
    platform: str
    sku: str
    remote_id: str
    seller_sku: str
    id: int | None = None
    """None until saved (a create's new row); the save sets it."""
    last_price: int | None = None
    last_stock: int | None = None
    pending_stock: int | None = None
    pending_op_id: int | None = None
    booked_since_push: int = 0
    pending_booked_base: int = 0
    uncertain_units: int = 0
    uncertain_detail: str = ""
    remote_status: str = "live"
    content_sent: dict[str, str] | None = None
    last_seen: datetime | None = None


_ROW_READ = tuple(f.name for f in fields(ListingRow) if f.name != "last_seen")
"""The columns :func:`load_listings` selects, in :class:`ListingRow` order."""
_READ_COLUMNS = tuple(
    cast(_LISTINGS.c[n], Text) if n == "content_sent" else _LISTINGS.c[n] for n in _ROW_READ
)
"""``content_sent`` as its text (a SQL cast, so no driver decodes it), decoded by
:func:`load_listings` itself: SQLAlchemy's JSON result processing cost three times a
plain ``json.loads`` on 93,000 rows."""
_ROW_WRITE = tuple(n for n in _ROW_READ if n != "id")
"""The columns every save writes (``last_seen`` too when set, timestamps by the save)."""


def load_listings(
    engine: Engine, connection: str, *, skus: Collection[str] | None = None
) -> dict[str, ListingRow]:
    """The rows of ``connection`` by SKU (only ``skus`` when given), from one select of
    the columns a run uses."""
    query = core_select(*_READ_COLUMNS).where(_LISTINGS.c.connection == connection)
    with engine.connect() as conn:
        if skus is None:
            rows = [ListingRow(*values) for values in conn.execute(query)]
        else:
            wanted, rows = sorted(skus), []
            for start in range(0, len(wanted), 500):  # under SQLite's variable limit
                chunk = wanted[start : start + 500]
                found = conn.execute(query.where(_LISTINGS.c.sku.in_(chunk)))
                rows += [ListingRow(*values) for values in found]
    for row in rows:  # one string object for what repeats, instead of one per row:
        row.connection = connection  # ~0.7 KB a row less at 93,000 rows
        row.platform, row.remote_status = intern(row.platform), intern(row.remote_status)
        if row.seller_sku == row.sku:
            row.seller_sku = row.sku
        if row.content_sent:  # the same four keys, mostly the same fingerprints
            sent: dict[str, str] = json.loads(row.content_sent)  # type: ignore[arg-type]
            row.content_sent = {intern(k): intern(v) for k, v in sent.items()}
    return {row.sku: row for row in rows}


def save_listings(engine: Engine, rows: Iterable[ListingRow | Listing]) -> None:
    """Insert new rows and update known ones in bulk statements.

    New rows get their id back so the next save updates them. Bulk, because a national
    catalog touches about a hundred thousand rows per sync.
    """
    with Session(engine) as session:
        _save_listings(session, rows)
        session.commit()


def _save_listings(session: Session, rows: Iterable[ListingRow | Listing]) -> None:
    """Write ``rows``: the run's columns (and ``last_seen`` when set), ``updated_at`` now;
    ``created_at`` on inserts only. Grouped by key set, as one executemany needs."""
    now = utcnow()
    fresh: list[ListingRow | Listing] = []
    known: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for row in rows:
        if isinstance(row, Listing):
            row.updated_at = now
        if row.id is None:
            fresh.append(row)
            continue
        values = {"_id": row.id, "updated_at": now, **{c: getattr(row, c) for c in _ROW_WRITE}}
        if row.last_seen is not None:
            values["last_seen"] = row.last_seen
        known[row.last_seen is not None].append(values)
    for group in known.values():
        if group:  # Core executemany by id: the ORM's bulk path cost more per row
            session.execute(
                update(_LISTINGS)
                .where(_LISTINGS.c.id == bindparam("_id"))
                .values({k: bindparam(k) for k in group[0] if k != "_id"}),
                group,
            )
    if fresh:
        ids = session.scalars(
            insert(Listing).returning(col(Listing.id), sort_by_parameter_order=True),
            [
                {
                    **{c: getattr(row, c) for c in _ROW_WRITE},
                    "last_seen": row.last_seen,
                    "created_at": getattr(row, "created_at", now),
                    "updated_at": now,
                }
                for row in fresh
            ],
        ).all()
        for row, new_id in zip(fresh, ids, strict=True):
            row.id = new_id


def record_connections(engine: Engine, connections: Iterable[ConnectionSettings]) -> None:
    """Keep the ``connection`` table in step with the config (no credentials)."""
    with Session(engine) as session:
        for conn in connections:
            row = session.get(Connection, conn.name) or Connection(
                name=conn.name, platform=conn.platform, base_url=conn.base_url
            )
            row.platform, row.base_url = conn.platform, conn.base_url
            row.entity, row.enabled, row.updated_at = conn.entity, conn.enabled, utcnow()
            session.add(row)
        session.commit()
