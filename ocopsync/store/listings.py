"""What we remember of each listing, and the connections the config declares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col, select

from ocopsync.config import ConnectionSettings
from ocopsync.models import (
    Connection,
    Listing,
    utcnow,
)


def load_listings(engine: Engine, connection: str) -> dict[str, Listing]:
    with Session(engine) as session:
        rows = session.exec(select(Listing).where(Listing.connection == connection)).all()
        session.expunge_all()
        return {row.sku: row for row in rows}


_LISTING_COLUMNS = tuple(c.name for c in Listing.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


def save_listings(engine: Engine, rows: Iterable[Listing]) -> None:
    """Insert new rows and update known ones in two bulk statements.

    New rows get their id back so the next save updates them. Bulk, because a national
    catalog touches about a hundred thousand rows per sync.
    """
    with Session(engine) as session:
        _save_listings(session, rows)
        session.commit()


def _save_listings(session: Session, rows: Iterable[Listing]) -> None:
    now = utcnow()
    fresh: list[Listing] = []
    known: list[dict[str, Any]] = []
    for row in rows:
        row.updated_at = now
        if row.id is None:
            fresh.append(row)
        else:
            known.append({"id": row.id, **{c: getattr(row, c) for c in _LISTING_COLUMNS}})
    if known:
        session.execute(update(Listing), known)
    if fresh:
        ids = session.scalars(
            insert(Listing).returning(col(Listing.id), sort_by_parameter_order=True),
            [{c: getattr(row, c) for c in _LISTING_COLUMNS} for row in fresh],
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
