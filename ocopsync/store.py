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
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from ocopsync import faultpoints
from ocopsync.config import ConnectionSettings
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
from ocopsync.records import OpStatus, RunStatus, Tokens
from ocopsync.secrets import TokenCipher, token_cipher

LOCK_TTL = timedelta(hours=6)
"""A lock older than this is taken to be left by a killed run and may be broken."""


class DbTokenStore:
    """Tokens in the ``credential`` table, so the next run and the next cron job reuse them.

    Access and refresh tokens are encrypted at rest (:mod:`ocopsync.secrets`: Fernet,
    the key from ``OCOPSYNC_SECRET_KEY`` or a key file), so a copy of the database
    alone reveals none. A token stored in plain text by release 0.1.0 is read as it is
    and written back encrypted at once. The key is loaded on first need, so a command
    that never touches tokens never needs it; a wrong key is a ConfigError saying so.
    """

    def __init__(self, engine: Engine, environ: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.environ = environ
        self._cipher: TokenCipher | None = None

    def _sealer(self) -> TokenCipher:
        if self._cipher is None:
            self._cipher = token_cipher(self.engine.url, self.environ)
        return self._cipher

    def load(self, connection: str) -> Tokens | None:
        with Session(self.engine) as session:
            row = session.get(Credential, connection)
            if row is None or not row.access_token:
                return None
            cipher = self._sealer()
            access, access_plain = cipher.open(row.access_token)
            refresh, refresh_plain = cipher.open(row.refresh_token)
            tokens = Tokens(
                access_token=access,
                refresh_token=refresh,
                access_expires_at=as_utc(row.access_expires_at),
                refresh_expires_at=as_utc(row.refresh_expires_at),
                extra=dict(row.extra),
            )
        if access_plain or refresh_plain:  # written by 0.1.0: encrypt it now
            self._reseal(connection, cipher, tokens)
        return tokens

    def _reseal(self, connection: str, cipher: TokenCipher, tokens: Tokens) -> None:
        """Write a plain-text token back encrypted, leaving no copy of its old bytes.

        SQLite keeps a rewritten row's old bytes in the page's free space and in the
        write-ahead log until a checkpoint: ``secure_delete`` zeroes the first, the
        checkpoint (best effort: a busy database keeps its log a while longer) the second.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.begin() as db:
            if sqlite:
                db.exec_driver_sql("PRAGMA secure_delete = ON")
            db.execute(
                update(Credential)
                .where(col(Credential.connection) == connection)
                .values(
                    access_token=cipher.seal(tokens.access_token),
                    refresh_token=cipher.seal(tokens.refresh_token),
                )
            )
            if sqlite:
                db.exec_driver_sql("PRAGMA secure_delete = OFF")
        if sqlite:
            with self.engine.connect() as db:
                db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def save(self, connection: str, platform: str, tokens: Tokens) -> None:
        cipher = self._sealer()
        with Session(self.engine) as session:
            row = session.get(Credential, connection) or Credential(
                connection=connection, platform=platform
            )
            row.platform = platform
            _seal_into(row, cipher, tokens)
            row.access_expires_at = tokens.access_expires_at
            row.refresh_expires_at = tokens.refresh_expires_at
            row.extra = dict(tokens.extra)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()


def _seal_into(row: Credential, cipher: TokenCipher, tokens: Tokens) -> None:
    row.access_token = cipher.seal(tokens.access_token)
    row.refresh_token = cipher.seal(tokens.refresh_token)


def _process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot (Linux), so a reused pid is
    never taken for the process that held a lock; empty where /proc does not exist."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def holder_name() -> str:
    """``host:pid:start``: who holds a lock or runs a run, checkable from this machine."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def _holder_is_gone(holder: str) -> bool:
    """True when the holder was a process on this machine that no longer runs.

    Only this machine can be checked; a holder elsewhere is alive until its lease ends.
    """
    parts = holder.split(":")
    if len(parts) == 2:  # written by release 0.1.0: host:pid
        parts.append("")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return bool(parts[2]) and _process_start(pid) != parts[2]


RUN_LEASE = timedelta(minutes=5)
"""A run renews its lease while it works; one elsewhere that stops renewing is dead."""


def close_dead_runs(engine: Engine) -> list[int]:
    """Mark ``interrupted`` every running run whose process is gone or whose lease ended;
    their planned operations become ``not_sent`` and their locks are released.

    Started operations stay ``started``: only the next observation of the platform can
    tell whether they landed. Each run is closed by a conditional statement, so two
    processes closing the same run cannot both act on it.
    """
    now = utcnow()
    closed: list[int] = []
    with Session(engine) as session:
        running = session.exec(select(SyncRun).where(SyncRun.status == RunStatus.RUNNING)).all()
        for run in running:
            lease = as_utc(run.lease_expires_at)
            if run.owner:
                dead = _holder_is_gone(run.owner) or (lease is not None and lease < now)
            else:  # 0.1.0 wrote no owner: trust its locks, or age
                started = as_utc(run.started_at)
                dead = started is not None and started + LOCK_TTL < now
            if not dead or run.id is None:
                continue
            done = session.execute(
                update(SyncRun)
                .where(col(SyncRun.id) == run.id, col(SyncRun.status) == RunStatus.RUNNING)
                .values(status=RunStatus.INTERRUPTED, finished_at=now)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                closed.append(run.id)
        if closed:
            session.execute(
                update(Operation)
                .where(
                    col(Operation.run_id).in_(closed),
                    col(Operation.status) == OpStatus.PLANNED,
                )
                .values(status=OpStatus.NOT_SENT, finished_at=now, error="the run died first")
            )
            session.execute(delete(ConnectionLock).where(col(ConnectionLock.run_id).in_(closed)))
        session.commit()
    return closed


def renew_lease(engine: Engine, run_id: int) -> None:
    """Keep a working run (and its locks) alive for another lease."""
    now = utcnow()
    with Session(engine) as session:
        session.execute(
            update(SyncRun)
            .where(col(SyncRun.id) == run_id, col(SyncRun.status) == RunStatus.RUNNING)
            .values(lease_expires_at=now + RUN_LEASE)
        )
        session.execute(
            update(ConnectionLock)
            .where(col(ConnectionLock.run_id) == run_id)
            .values(expires_at=now + LOCK_TTL)
        )
        session.commit()


def acquire_lock(engine: Engine, connection: str, run_id: int) -> None:
    """Take the connection's lock or raise LockedError naming the run that holds it.

    A lock whose holder is dead is taken over by one conditional UPDATE that names the
    dead holder: if two processes race for it, the database lets exactly one match.
    """
    now = utcnow()
    me = holder_name()
    with Session(engine) as session:
        session.add(
            ConnectionLock(
                connection=connection,
                run_id=run_id,
                holder=me,
                acquired_at=now,
                expires_at=now + LOCK_TTL,
            )
        )
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()
        current = session.get(ConnectionLock, connection)
        if current is None:  # released between our insert and our read: try once more
            raise LockedError(f"connection {connection!r} is busy; try again")
        expires = as_utc(current.expires_at)
        holder_run = session.get(SyncRun, current.run_id)
        alive = (
            expires is not None
            and expires > now
            and not _holder_is_gone(current.holder)
            and (holder_run is None or holder_run.status == RunStatus.RUNNING)
        )
        if alive:
            raise LockedError(
                f"connection {connection!r} is locked by run {current.run_id} "
                f"({current.holder.rsplit(':', 1)[0]}) until {expires:%Y-%m-%d %H:%M} UTC"
            )
        stale_run, stale_holder = current.run_id, current.holder
        faultpoints.reach("lock.stale_read")
        lost = LockedError(f"connection {connection!r} was just taken by another run")
        try:
            taken = session.execute(
                update(ConnectionLock)
                .where(
                    col(ConnectionLock.connection) == connection,
                    col(ConnectionLock.run_id) == stale_run,
                    col(ConnectionLock.holder) == stale_holder,
                )
                .values(run_id=run_id, holder=me, acquired_at=now, expires_at=now + LOCK_TTL)
            )
        except OperationalError as exc:
            # SQLite: another writer committed since our read (a stale snapshot cannot
            # write); that writer is the other breaker, and it won.
            session.rollback()
            raise lost from exc
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise lost
        # The dead holder's run, if still marked running, is closed with its lock.
        session.execute(
            update(SyncRun)
            .where(col(SyncRun.id) == stale_run, col(SyncRun.status) == RunStatus.RUNNING)
            .values(status=RunStatus.INTERRUPTED, finished_at=now)
        )
        session.commit()


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
        run = SyncRun(
            kind=kind,
            trigger=trigger,
            summary=dict(summary),
            owner=holder_name(),
            lease_expires_at=utcnow() + RUN_LEASE,
        )
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
    only_if_running: bool = False,
) -> None:
    with Session(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise LookupError(f"run {run_id} vanished")
        if only_if_running and run.status != RunStatus.RUNNING:
            return
        run.status = status
        run.applied, run.failed, run.skipped = applied, failed, skipped
        run.summary = dict(summary)
        run.finished_at = utcnow()
        session.add(run)
        session.commit()


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
