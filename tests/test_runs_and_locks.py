"""Dead runs are closed and their locks broken by exactly one process, never two."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync import faultpoints
from ocopsync.errors import LockedError
from ocopsync.models import ConnectionLock, Operation, SyncRun, make_engine, utcnow
from ocopsync.store import acquire_lock, close_dead_runs, holder_name, start_run
from tests.pg import private_database


def dead_holder() -> str:
    """The owner string of a process of this machine that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}:1"


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
        yield engine
        engine.dispose()
        return
    request.applymarker(pytest.mark.postgres)
    with private_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def dead_run(engine: Engine, owner: str, *, lease: timedelta = timedelta(minutes=5)) -> int:
    with Session(engine) as session:
        run = SyncRun(owner=owner, lease_expires_at=utcnow() + lease)
        session.add(run)
        session.commit()
        assert run.id is not None
        session.add(Operation(run_id=run.id, connection="c", platform="p", sku="A", action="x"))
        session.add(
            Operation(
                run_id=run.id,
                connection="c",
                platform="p",
                sku="B",
                action="update_price",
                status="started",
            )
        )
        session.add(
            ConnectionLock(
                connection="shop",
                run_id=run.id,
                holder=owner,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        session.commit()
        return run.id


def test_forced_interleaving_never_gives_two_holders(any_engine: Engine) -> None:
    """Both breakers read the dead lock before either writes: exactly one wins."""
    stale = dead_run(any_engine, dead_holder())
    mine = [start_run(any_engine, kind="sync", trigger="t", summary={}) for _ in range(2)]
    both_read = threading.Barrier(2, timeout=10)
    faultpoints.set_hook("lock.stale_read", both_read.wait)
    outcomes: dict[int, str] = {}

    def take(run_id: int) -> None:
        try:
            acquire_lock(any_engine, "shop", run_id)
            outcomes[run_id] = "took"
        except LockedError:
            outcomes[run_id] = "locked"

    try:
        threads = [threading.Thread(target=take, args=(r,)) for r in mine]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        faultpoints.set_hook("lock.stale_read", None)
    assert sorted(outcomes.values()) == ["locked", "took"]
    winner = next(r for r, o in outcomes.items() if o == "took")
    with Session(any_engine) as session:
        locks = session.exec(select(ConnectionLock)).all()
        assert [(lk.connection, lk.run_id) for lk in locks] == [("shop", winner)]
        assert session.get(SyncRun, stale).status == "interrupted"  # type: ignore[union-attr]


def test_a_live_holder_keeps_its_lock(any_engine: Engine) -> None:
    first = start_run(any_engine, kind="sync", trigger="t", summary={})
    acquire_lock(any_engine, "shop", first)
    second = start_run(any_engine, kind="sync", trigger="t", summary={})
    with pytest.raises(LockedError, match=f"run {first}"):
        acquire_lock(any_engine, "shop", second)


def test_a_run_whose_process_died_is_closed_locks_or_not(any_engine: Engine) -> None:
    gone = dead_run(any_engine, dead_holder())
    alive = start_run(any_engine, kind="sync", trigger="t", summary={})
    assert close_dead_runs(any_engine) == [gone]
    with Session(any_engine) as session:
        assert session.get(SyncRun, gone).status == "interrupted"  # type: ignore[union-attr]
        assert session.get(SyncRun, alive).status == "running"  # type: ignore[union-attr]
        ops = {o.sku: o.status for o in session.exec(select(Operation))}
        # planned: never sent; started: left for the next observation of the platform
        assert ops == {"A": "not_sent", "B": "started"}
        assert session.exec(select(ConnectionLock)).all() == []
    assert close_dead_runs(any_engine) == []  # once only


def test_a_run_on_another_machine_is_dead_once_its_lease_ends(any_engine: Engine) -> None:
    elsewhere = dead_run(any_engine, "other-host:4242:99", lease=timedelta(minutes=-1))
    assert close_dead_runs(any_engine) == [elsewhere]


def test_a_run_on_another_machine_within_its_lease_is_alive(any_engine: Engine) -> None:
    dead_run(any_engine, "other-host:4242:99")
    assert close_dead_runs(any_engine) == []


def test_a_reused_pid_is_not_taken_for_the_holder() -> None:
    from ocopsync.store import _holder_is_gone

    host, pid, _start = holder_name().split(":")
    assert not _holder_is_gone(holder_name())
    assert _holder_is_gone(f"{host}:{pid}:1")  # same pid, another start time: not us
