"""Locks, tokens and listing rows in a real database (SQLite; PostgreSQL when present)."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.config import parse_settings
from ocopsync.connectors.base import Tokens
from ocopsync.errors import ConfigError, LockedError
from ocopsync.models import Connection, ConnectionLock, Listing, SyncRun, make_engine
from ocopsync.store import (
    DbTokenStore,
    acquire_lock,
    load_listings,
    record_connections,
    release_lock,
    save_listings,
    start_run,
)
from tests.pg import private_database


def test_one_run_per_connection(engine: Engine) -> None:
    run_a = start_run(engine, kind="sync", trigger="cron", summary={})
    run_b = start_run(engine, kind="sync", trigger="cli", summary={})
    acquire_lock(engine, "qn-shopee", run_a)
    with pytest.raises(LockedError, match=f"locked by run {run_a}"):
        acquire_lock(engine, "qn-shopee", run_b)
    acquire_lock(engine, "qn-lazada", run_b)  # other connections are free
    release_lock(engine, "qn-shopee", run_a)
    acquire_lock(engine, "qn-shopee", run_b)


def test_a_killed_runs_lock_expires(engine: Engine) -> None:
    run_a = start_run(engine, kind="sync", trigger="cron", summary={})
    with Session(engine) as session:
        session.add(
            ConnectionLock(
                connection="c",
                run_id=run_a,
                holder="dead:1",
                expires_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )
        session.commit()
    acquire_lock(engine, "c", start_run(engine, kind="sync", trigger="cli", summary={}))


def test_a_lock_left_by_a_dead_process_here_is_broken_at_once(engine: Engine) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    killed_run = start_run(engine, kind="sync", trigger="cron", summary={})
    with Session(engine) as session:
        session.add(
            ConnectionLock(
                connection="c",
                run_id=killed_run,
                holder=f"{socket.gethostname()}:{dead.stdout.strip()}",
                expires_at=datetime.now(UTC) + timedelta(hours=5),
            )
        )
        session.commit()
    acquire_lock(engine, "c", start_run(engine, kind="sync", trigger="cli", summary={}))
    with Session(engine) as session:
        assert session.get(SyncRun, killed_run).status == "interrupted"


def test_a_live_holder_elsewhere_keeps_its_lock(engine: Engine) -> None:
    run_a = start_run(engine, kind="sync", trigger="cron", summary={})
    with Session(engine) as session:
        session.add(
            ConnectionLock(
                connection="c",
                run_id=run_a,
                holder="other-host:1",
                expires_at=datetime.now(UTC) + timedelta(hours=5),
            )
        )
        session.commit()
    with pytest.raises(LockedError, match="other-host"):
        acquire_lock(engine, "c", start_run(engine, kind="sync", trigger="cli", summary={}))


def test_tokens_round_trip_and_replace(engine: Engine) -> None:
    store = DbTokenStore(engine)
    assert store.load("c") is None
    expires = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    store.save("c", "shopee", Tokens("at-1", "rt-1", expires, None, {"shop_id": 200001}))
    store.save("c", "shopee", Tokens("at-2", "rt-2", expires, None, {"shop_id": 200001}))
    got = store.load("c")
    assert got is not None
    assert (got.access_token, got.refresh_token, got.access_expires_at, got.extra) == (
        "at-2",
        "rt-2",
        expires,
        {"shop_id": 200001},
    )
    assert "at-2" not in repr(got) and "rt-2" not in repr(got)


def test_saved_listing_rows_update_in_place(engine: Engine) -> None:
    row = Listing(connection="c", platform="portal", sku="A", remote_id="1", seller_sku="A")
    save_listings(engine, [row])
    row.last_stock = 5
    save_listings(engine, [row])  # the second save updates, never inserts again
    rows = load_listings(engine, "c")
    assert list(rows) == ["A"] and rows["A"].last_stock == 5


def test_connections_are_recorded_without_credentials(engine: Engine) -> None:
    settings = parse_settings(
        {
            "connections": [
                {
                    "name": "qn-voso",
                    "platform": "voso",
                    "base_url": "http://v",
                    "entity": "E1",
                    "credentials": {"secret_key": "${VOSO_SECRET}"},
                }
            ]
        }
    )
    record_connections(engine, settings.connections)
    record_connections(engine, settings.connections)  # idempotent
    with Session(engine) as session:
        rows = session.exec(select(Connection)).all()
    assert [(r.name, r.platform, r.base_url, r.entity) for r in rows] == [
        ("qn-voso", "voso", "http://v", "E1")
    ]


def test_bad_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        make_engine("notadb://x")


@pytest.mark.postgres
def test_postgres_works_too() -> None:
    with private_database() as url:
        engine = make_engine(url)
        try:
            run_id = start_run(engine, kind="sync", trigger="cli", summary={})
            acquire_lock(engine, f"pg-{run_id}", run_id)
            with pytest.raises(LockedError):
                acquire_lock(engine, f"pg-{run_id}", run_id + 1)
            release_lock(engine, f"pg-{run_id}", run_id)
            DbTokenStore(engine).save(f"pg-{run_id}", "lazada", Tokens("a", "r"))
            assert DbTokenStore(engine).load(f"pg-{run_id}") is not None
        finally:
            engine.dispose()
