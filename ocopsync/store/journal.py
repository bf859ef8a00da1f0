"""The journal: every operation written before it is sent and with its outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col

from ocopsync.models import (
    Listing,
    Operation,
    utcnow,
)
from ocopsync.records import OpStatus
from ocopsync.store.listings import _save_listings


def abandon_planned(engine: Engine, run_id: int, reason: str) -> None:
    """The planned operations of a run that stopped before sending them: ``not_sent``.

    Started ones stay started: only the next observation can tell whether they landed.
    """
    with Session(engine) as session:
        session.execute(
            update(Operation)
            .where(col(Operation.run_id) == run_id, col(Operation.status) == OpStatus.PLANNED)
            .values(status=OpStatus.NOT_SENT, finished_at=utcnow(), error=reason)
        )
        session.commit()


def journal_planned(engine: Engine, run_id: int, ops: Iterable[Mapping[str, Any]]) -> list[int]:
    """Write planned operations before any runs; return their ids in order."""
    values = [{"run_id": run_id, "status": "planned", "error": "", **op} for op in ops]
    if not values:
        return []
    with Session(engine) as session:
        ids = session.scalars(
            insert(Operation).returning(col(Operation.id), sort_by_parameter_order=True), values
        ).all()
        session.commit()
        return [i for i in ids if i is not None]


def journal_outcomes(
    engine: Engine,
    outcomes: Iterable[tuple[int, str, str, str]],
    rows: Iterable[Listing] = (),
) -> None:
    """Record ``(op_id, status, error, error_kind)`` for operations that ran, and the
    listing rows they changed, in one transaction: the journal and what we believe of
    the platform never disagree after a crash."""
    now = utcnow()
    values = [
        {"id": op_id, "status": status, "error": error, "error_kind": kind, "finished_at": now}
        for op_id, status, error, kind in outcomes
    ]
    with Session(engine) as session:
        if values:
            session.execute(update(Operation), values)
        _save_listings(session, rows)
        session.commit()


def journal_started(engine: Engine, op_ids: Iterable[int], rows: Iterable[Listing] = ()) -> None:
    """Mark operations ``started`` just before they are sent, with the listing rows that
    remember a write in flight (pending stock), in one transaction."""
    ids = list(op_ids)
    with Session(engine) as session:
        if ids:
            session.execute(
                update(Operation)
                .where(col(Operation.id).in_(ids))
                .values(status=OpStatus.STARTED, started_at=utcnow())
            )
        _save_listings(session, rows)
        session.commit()
