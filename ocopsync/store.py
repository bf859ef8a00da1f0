"""Database operations the sync needs: tokens, locks, listing rows, runs and the journal.

Every function opens its own short session and commits before returning, never
across an ``await``: with SQLite a transaction left open while a coroutine waits on
the network would block every other connection's writes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import Tokens
from ocopsync.errors import LockedError
from ocopsync.models import (
    Connection,
    ConnectionLock,
    Credential,
    Listing,
    Operation,
    SyncRun,
    as_utc,
    utcnow,
)

LOCK_TTL = timedelta(hours=6)
"""A lock older than this is taken to be left by a killed run and may be broken."""


class DbTokenStore:
    """Tokens in the ``credential`` table, so the next run and the next cron job reuse them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, connection: str) -> Tokens | None:
        with Session(self.engine) as session:
            row = session.get(Credential, connection)
            if row is None or not row.access_token:
                return None
            return Tokens(
                access_token=row.access_token,
                refresh_token=row.refresh_token,
                access_expires_at=as_utc(row.access_expires_at),
                refresh_expires_at=as_utc(row.refresh_expires_at),
                extra=dict(row.extra),
            )

    def save(self, connection: str, platform: str, tokens: Tokens) -> None:
        with Session(self.engine) as session:
            row = session.get(Credential, connection) or Credential(
                connection=connection, platform=platform
            )
            row.platform = platform
            row.access_token = tokens.access_token
            row.refresh_token = tokens.refresh_token
            row.access_expires_at = tokens.access_expires_at
            row.refresh_expires_at = tokens.refresh_expires_at
            row.extra = dict(tokens.extra)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lock(engine: Engine, connection: str, run_id: int) -> None:
    """Take the connection's lock or raise LockedError naming the run that holds it."""
    now = utcnow()
    with Session(engine) as session:
        current = session.get(ConnectionLock, connection)
        if current is not None:
            expires = as_utc(current.expires_at)
            alive = expires is not None and expires > now and not _holder_is_gone(current.holder)
            if alive:
                raise LockedError(
                    f"connection {connection!r} is locked by run {current.run_id} "
                    f"({current.holder}) until {expires:%Y-%m-%d %H:%M} UTC"
                )
            # A killed run's lock: break it, and say so in that run's record.
            session.execute(
                update(SyncRun)
                .where(col(SyncRun.id) == current.run_id, col(SyncRun.status) == "running")
                .values(status="interrupted", finished_at=now)
            )
            session.delete(current)
            session.commit()
        session.add(
            ConnectionLock(
                connection=connection,
                run_id=run_id,
                holder=holder_name(),
                acquired_at=now,
                expires_at=now + LOCK_TTL,
            )
        )
        try:
            session.commit()
        except IntegrityError as exc:  # another process won the race
            raise LockedError(f"connection {connection!r} is locked by another run") from exc


def _holder_is_gone(holder: str) -> bool:
    """True when the lock's holder was a process on this machine that no longer runs.

    Only this machine can be checked; a holder elsewhere keeps its lock until it expires.
    """
    host, _, pid_text = holder.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def release_lock(engine: Engine, connection: str, run_id: int) -> None:
    with Session(engine) as session:
        session.execute(
            delete(ConnectionLock).where(
                col(ConnectionLock.connection) == connection, col(ConnectionLock.run_id) == run_id
            )
        )
        session.commit()


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
    now = utcnow()
    fresh: list[Listing] = []
    known: list[dict[str, Any]] = []
    for row in rows:
        row.updated_at = now
        if row.id is None:
            fresh.append(row)
        else:
            known.append({"id": row.id, **{c: getattr(row, c) for c in _LISTING_COLUMNS}})
    with Session(engine) as session:
        if known:
            session.execute(update(Listing), known)
        if fresh:
            ids = session.scalars(
                insert(Listing).returning(col(Listing.id), sort_by_parameter_order=True),
                [{c: getattr(row, c) for c in _LISTING_COLUMNS} for row in fresh],
            ).all()
            for row, new_id in zip(fresh, ids, strict=True):
                row.id = new_id
        session.commit()


def mark_seen(engine: Engine, connection: str, when: datetime) -> None:
    """Every listing of ``connection`` still on the platform was seen at ``when``."""
    with Session(engine) as session:
        session.execute(
            update(Listing)
            .where(col(Listing.connection) == connection, col(Listing.remote_status) != "missing")
            .values(last_seen=when)
        )
        session.commit()


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


def start_run(engine: Engine, *, kind: str, trigger: str, summary: Mapping[str, Any]) -> int:
    with Session(engine) as session:
        run = SyncRun(kind=kind, trigger=trigger, summary=dict(summary))
        session.add(run)
        session.commit()
        assert run.id is not None
        return run.id


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    applied: int,
    failed: int,
    skipped: int,
    summary: Mapping[str, Any],
) -> None:
    with Session(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise LookupError(f"run {run_id} vanished")
        run.status = status
        run.applied, run.failed, run.skipped = applied, failed, skipped
        run.summary = dict(summary)
        run.finished_at = utcnow()
        session.add(run)
        session.commit()


def journal_planned(engine: Engine, run_id: int, ops: Iterable[Mapping[str, Any]]) -> list[int]:
    """Write planned operations before any runs; return their ids in order."""
    values = [{"run_id": run_id, "status": "planned", **op} for op in ops]
    if not values:
        return []
    with Session(engine) as session:
        ids = session.scalars(
            insert(Operation).returning(col(Operation.id), sort_by_parameter_order=True), values
        ).all()
        session.commit()
        return [i for i in ids if i is not None]


def journal_outcomes(engine: Engine, outcomes: Iterable[tuple[int, str, str, str]]) -> None:
    """Record ``(op_id, status, error, error_kind)`` for operations that ran, in one batch."""
    now = utcnow()
    values = [
        {"id": op_id, "status": status, "error": error, "error_kind": kind, "finished_at": now}
        for op_id, status, error, kind in outcomes
    ]
    if not values:
        return
    with Session(engine) as session:
        session.execute(update(Operation), values)
        session.commit()


def journal_started(engine: Engine, op_ids: Iterable[int]) -> None:
    ids = list(op_ids)
    if not ids:
        return
    with Session(engine) as session:
        session.execute(
            update(Operation)
            .where(col(Operation.id).in_(ids))
            .values(status="started", started_at=utcnow())
        )
        session.commit()
