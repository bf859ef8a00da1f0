"""Runs, their owners and leases, and the one-run-per-connection locks.

Every function opens its own short session and commits before returning, never across
an ``await``: with SQLite a transaction left open while a coroutine waits on the network
would block every other connection's writes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from ocopsync import faultpoints
from ocopsync.errors import LockedError
from ocopsync.models import (
    ConnectionLock,
    Operation,
    SyncRun,
    as_utc,
    utcnow,
)
from ocopsync.records import OpStatus, RunStatus

LOCK_TTL = timedelta(hours=6)
"""A lock older than this is taken to be left by a killed run and may be broken."""


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
