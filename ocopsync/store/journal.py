"""The journal: every operation written before it is sent and with its outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, Table, bindparam, insert, update
from sqlmodel import Session, col

from ocopsync.models import (
    Listing,
    Operation,
    utcnow,
)
from ocopsync.records import OpStatus
from ocopsync.store.listings import ListingRow, _save_listings

_OPS: Table = Operation.__table__  # type: ignore[attr-defined]


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
    rows: Iterable[ListingRow | Listing] = (),
) -> None:
    """Record ``(op_id, status, error, error_kind)`` for operations that ran, and the
    listing rows they changed, in one transaction: the journal and what we believe of
    the platform never disagree after a crash."""
    with Session(engine) as session:
        _write_outcomes(session, outcomes)
        _save_listings(session, rows)
        session.commit()


def _write_outcomes(session: Session, outcomes: Iterable[tuple[int, str, str, str]]) -> None:
    now = utcnow()
    values = [
        {"_id": op_id, "status": status, "error": error, "error_kind": kind, "finished_at": now}
        for op_id, status, error, kind in outcomes
    ]
    if values:
        session.execute(
            update(_OPS)
            .where(_OPS.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in values[0] if k != "_id"}),
            values,
        )


def journal_started(
    engine: Engine,
    op_ids: Iterable[int],
    rows: Iterable[ListingRow | Listing] = (),
    *,
    finished: Iterable[tuple[int, str, str, str]] = (),
    finished_rows: Iterable[ListingRow | Listing] = (),
) -> None:
    """Mark operations ``started`` just before they are sent, with the listing rows that
    remember a write in flight (pending stock), in one transaction.

    ``finished`` and ``finished_rows`` are the outcomes of the batch before (as
    :func:`journal_outcomes` takes them), committed in the same transaction: one commit
    per batch instead of two. Nothing is lost by the wait: until it is committed, that
    batch is journaled started with its stock pending, which is what the next
    observation resolves after a crash anyway.
    """
    ids = list(op_ids)
    with Session(engine) as session:
        _write_outcomes(session, finished)
        _save_listings(session, [*finished_rows, *rows])
        if ids:
            session.execute(
                update(_OPS)
                .where(_OPS.c.id.in_(ids))
                .values(status=OpStatus.STARTED, started_at=utcnow())
            )
        session.commit()
