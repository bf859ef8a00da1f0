"""Schema migrations: upgrading a 0.1.0 database, migrations equal to the models, races.

PostgreSQL cases each run in a private database (see ``tests/pg.py``); they are marked
``postgres`` and skip when no server listens on 127.0.0.1:5432.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import Session, SQLModel

from ocopsync import ledger
from ocopsync.errors import ConfigError
from ocopsync.models import Listing, Operation, Product, SyncRun, make_engine
from ocopsync.schema import alembic_config, current_revisions, head_revision
from tests.pg import private_database

ROOT = Path(__file__).resolve().parent.parent

RELEASE_0_1_0_SQLITE = """
CREATE TABLE entity (
    code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    province VARCHAR NOT NULL,
    district VARCHAR NOT NULL,
    PRIMARY KEY (code)
);
CREATE TABLE connection (
    name VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    base_url VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (name)
);
CREATE TABLE credential (
    connection VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    access_token VARCHAR NOT NULL,
    refresh_token VARCHAR NOT NULL,
    access_expires_at DATETIME,
    refresh_expires_at DATETIME,
    extra JSON NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (connection)
);
CREATE TABLE listing (
    id INTEGER NOT NULL,
    connection VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    sku VARCHAR NOT NULL,
    remote_id VARCHAR NOT NULL,
    seller_sku VARCHAR NOT NULL,
    last_price INTEGER,
    last_stock INTEGER,
    pending_stock INTEGER,
    remote_status VARCHAR NOT NULL,
    last_seen DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_listing_connection_sku UNIQUE (connection, sku)
);
CREATE INDEX ix_listing_sku ON listing (sku);
CREATE INDEX ix_listing_platform ON listing (platform);
CREATE INDEX ix_listing_connection ON listing (connection);
CREATE TABLE syncrun (
    id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    "trigger" VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    started_at DATETIME NOT NULL,
    finished_at DATETIME,
    applied INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    summary JSON NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE connectionlock (
    connection VARCHAR NOT NULL,
    run_id INTEGER NOT NULL,
    holder VARCHAR NOT NULL,
    acquired_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    PRIMARY KEY (connection)
);
CREATE TABLE coveragesnapshot (
    id INTEGER NOT NULL,
    run_id INTEGER,
    taken_at DATETIME NOT NULL,
    platform VARCHAR NOT NULL,
    province VARCHAR NOT NULL,
    district VARCHAR NOT NULL,
    stars INTEGER NOT NULL,
    "group" VARCHAR NOT NULL,
    entity_code VARCHAR NOT NULL,
    eligible INTEGER NOT NULL,
    listed INTEGER NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_coveragesnapshot_run_id ON coveragesnapshot (run_id);
CREATE INDEX ix_coveragesnapshot_taken_at ON coveragesnapshot (taken_at);
CREATE TABLE product (
    sku VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    entity_code VARCHAR NOT NULL,
    province VARCHAR NOT NULL,
    district VARCHAR NOT NULL,
    "group" VARCHAR NOT NULL,
    stars INTEGER NOT NULL,
    certified_on DATE,
    expires_on DATE NOT NULL,
    price_vnd INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    weight_g INTEGER,
    barcode VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    image_urls JSON NOT NULL,
    status VARCHAR NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (sku),
    FOREIGN KEY(entity_code) REFERENCES entity (code)
);
CREATE INDEX ix_product_province ON product (province);
CREATE INDEX ix_product_entity_code ON product (entity_code);
CREATE TABLE operation (
    id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    connection VARCHAR NOT NULL,
    platform VARCHAR NOT NULL,
    sku VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    from_value VARCHAR NOT NULL,
    to_value VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    error VARCHAR NOT NULL,
    error_kind VARCHAR NOT NULL,
    started_at DATETIME,
    finished_at DATETIME,
    PRIMARY KEY (id),
    FOREIGN KEY(run_id) REFERENCES syncrun (id)
);
CREATE INDEX ix_operation_run_id ON operation (run_id);
"""
"""What release 0.1.0's ``SQLModel.metadata.create_all`` ran on a new SQLite file (its
models are ``git show 87f9ff9:ocopsync/models.py``), kept literal so it never drifts."""

ROWS_0_1_0 = [
    "INSERT INTO entity VALUES ('QN-HTX', 'HTX Ba Chẽ', 'cooperative', 'Quảng Ninh', 'Ba Chẽ')",
    "INSERT INTO product VALUES ('TRA-1', 'Trà hoa vàng', 'QN-HTX', 'Quảng Ninh', 'Ba Chẽ',"
    " 'beverage', 4, '2025-01-15', '2099-01-14', 45000, 100, 250, '', '', '[]', 'active',"
    " '2025-05-01 08:00:00.000000')",
    "INSERT INTO listing (id, connection, platform, sku, remote_id, seller_sku, last_price,"
    " last_stock, pending_stock, remote_status, last_seen, created_at, updated_at) VALUES"
    " (1, 'qn-shopee', 'shopee', 'TRA-1', '900001', 'TRA-1', 45000, 100, NULL, 'live', NULL,"
    " '2025-05-01 08:00:00.000000', '2025-05-01 08:00:00.000000')",
    'INSERT INTO syncrun (id, kind, "trigger", status, started_at, finished_at, applied,'
    " failed, skipped, summary) VALUES (1, 'sync', 'cron', 'succeeded',"
    " '2025-05-01 08:00:00.000000', '2025-05-01 08:01:00.000000', 1, 0, 0, '{}')",
    "INSERT INTO operation (id, run_id, connection, platform, sku, action, from_value,"
    " to_value, status, error, error_kind, started_at, finished_at) VALUES (1, 1,"
    " 'qn-shopee', 'shopee', 'TRA-1', 'set_stock', '90', '100', 'applied', '', '', NULL, NULL)",
]
"""One row per table 0.1.0 wrote in a sync, in SQL both SQLite and PostgreSQL accept."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with private_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nobody has opened yet, on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "new.db")
    else:
        with private_database() as url:
            yield url


def _upgrade_plainly(url: str, revision: str) -> None:
    """Run the migrations up to ``revision`` with none of ensure_schema's logic."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def _release_0_1_0_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_0_1_0_SQLITE)
    db.close()


def test_head_revision_is_what_alembic_finds() -> None:
    # The fast path reads the head from file names; it must agree with Alembic's graph.
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    assert [rev.revision for rev in script.walk_revisions()] == [
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        "0001",
    ]


def test_revision_0001_is_release_0_1_0(tmp_path: Path) -> None:
    # Stamping a 0.1.0 database at 0001 is only right if 0001 built exactly that.
    _release_0_1_0_sqlite(tmp_path / "released.db")
    _upgrade_plainly(sqlite_url(tmp_path / "migrated.db"), "0001")

    def shape(path: Path) -> dict[str, Any]:
        engine = create_engine(sqlite_url(path))
        try:
            inspector = inspect(engine)
            return {
                table: {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)
                    ],
                    "pk": inspector.get_pk_constraint(table)["constrained_columns"],
                    "fks": [
                        (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                        for fk in inspector.get_foreign_keys(table)
                    ],
                    "indexes": sorted(
                        (i["name"], tuple(i["column_names"]), i["unique"])
                        for i in inspector.get_indexes(table)
                    ),
                    "uniques": sorted(
                        (u["name"], tuple(u["column_names"]))
                        for u in inspector.get_unique_constraints(table)
                    ),
                }
                for table in sorted(inspector.get_table_names())
                if table != "alembic_version"
            }
        finally:
            engine.dispose()

    assert shape(tmp_path / "migrated.db") == shape(tmp_path / "released.db")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_0_1_0_database_is_stamped_and_upgraded_keeping_its_rows(
    backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        _release_0_1_0_sqlite(tmp_path / "old.db")
        _check_0_1_0_upgrade(sqlite_url(tmp_path / "old.db"))
    else:
        with private_database() as url:
            _upgrade_plainly(url, "0001")
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE alembic_version"))  # as 0.1.0 left it
            engine.dispose()
            _check_0_1_0_upgrade(url)


def _check_0_1_0_upgrade(url: str) -> None:
    seed = create_engine(url)
    with seed.begin() as conn:
        for statement in ROWS_0_1_0:
            conn.execute(text(statement))
    seed.dispose()

    engine = make_engine(url)
    try:
        assert current_revisions(engine) == (head_revision(),)
        with Session(engine) as session:
            product = session.get(Product, "TRA-1")
            listing = session.get(Listing, 1)
            run = session.get(SyncRun, 1)
            operation = session.get(Operation, 1)
        assert product is not None and (product.stock, product.imported_stock) == (100, None)
        assert listing is not None
        assert (listing.last_stock, listing.pending_op_id) == (100, None)
        assert (listing.booked_since_push, listing.pending_booked_base) == (0, 0)
        assert (listing.uncertain_units, listing.uncertain_detail) == (0, "")
        assert run is not None and (run.status, run.owner, run.lease_expires_at) == (
            "succeeded",
            "",
            None,
        )
        assert operation is not None and operation.desired == {}
        with engine.connect() as conn:  # the ledger opens with the stock 0.1.0 left
            assert ledger.balance(conn, "TRA-1") == 100
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_pre_release_database_made_by_create_all_is_upgraded(tmp_path: Path) -> None:
    # Development builds between 0.1.0 and the migrations ran create_all on a 0.1.0
    # file: the new tables exist, the new columns of old tables do not.
    path = tmp_path / "dev.db"
    _release_0_1_0_sqlite(path)
    scratch = create_engine(sqlite_url(path))
    new_tables = [SQLModel.metadata.tables[name] for name in ("orderline", "stockmove")]
    SQLModel.metadata.create_all(scratch, tables=new_tables)
    scratch.dispose()

    engine = make_engine(sqlite_url(path))
    try:
        assert current_revisions(engine) == (head_revision(),)
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()


def test_migrations_equal_the_models(new_database: str) -> None:
    # A model changed without a revision fails here, on both backends.
    engine = make_engine(new_database)
    try:
        assert current_revisions(engine) == (head_revision(),)
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_database_from_a_newer_ocopsync_is_refused_untouched(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "future.db")
    make_engine(url).dispose()
    future = create_engine(url)
    with future.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        conn.execute(text("DROP INDEX ix_syncrun_status"))  # what 0099 might have done
    with future.connect() as conn:
        before = conn.execute(text("SELECT type, name, sql FROM sqlite_master")).all()
    with pytest.raises(ConfigError, match=r"0099, newer than this ocopsync.*Upgrade ocopsync"):
        make_engine(url)
    with future.connect() as conn:
        after = conn.execute(text("SELECT type, name, sql FROM sqlite_master")).all()
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    future.dispose()
    assert (after, version) == (before, "0099")


def test_a_database_with_only_some_of_the_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE product (sku VARCHAR PRIMARY KEY)")
    db.close()
    with pytest.raises(ConfigError, match="some of ocopsync's tables"):
        make_engine(sqlite_url(path))


def test_errors_name_the_database_without_its_password() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(ConfigError) as caught:
        make_engine("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nothing")
    assert "s3cret" not in str(caught.value)
    assert "postgres:***@127.0.0.1:1/nothing" in str(caught.value)


OPEN_AT_HEAD = """
import json, sys
from sqlalchemy import Engine, event
from ocopsync.models import make_engine

statements = []
event.listen(Engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
make_engine(sys.argv[1]).dispose()
print(json.dumps({"statements": statements, "alembic": "alembic" in sys.modules}))
"""


def test_opening_a_database_at_head_costs_one_query(tmp_path: Path) -> None:
    # Every CLI command opens the engine: at head it must not load Alembic at all.
    url = sqlite_url(tmp_path / "current.db")
    make_engine(url).dispose()
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AT_HEAD, url],
        capture_output=True,
        text=True,
        check=True,
        env=_child_env(),
    )
    report = json.loads(done.stdout)
    assert report == {"statements": ["SELECT version_num FROM alembic_version"], "alembic": False}


RACER = """
import sys, time
from pathlib import Path
from ocopsync.models import make_engine
from ocopsync.store import start_run

url, ready, go = sys.argv[1:4]
Path(ready).touch()
deadline = time.monotonic() + 300  # a loaded CI machine imports slowly
while not Path(go).exists():
    if time.monotonic() > deadline:
        sys.exit("never released")
    time.sleep(0.001)
engine = make_engine(url)
start_run(engine, kind="sync", trigger="cron", summary={})
engine.dispose()
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_processes_racing_on_a_new_database_all_succeed(new_database: str, tmp_path: Path) -> None:
    # Cron jobs and a person at the CLI may all open a database nobody created yet.
    racers = 4
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, new_database, str(tmp_path / f"ready-{n}"), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        for n in range(racers)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready-{n}").exists() for n in range(racers)):
            assert time.monotonic() < deadline, "racers never got ready"
            assert all(p.poll() is None for p in processes), "a racer died before the start"
            time.sleep(0.01)
        go.touch()  # all four are imported and polling: release them at once
        results = [p.communicate(timeout=120) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_out, err) in zip(processes, results, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err, err
    engine = make_engine(new_database)
    try:
        assert current_revisions(engine) == (head_revision(),)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM syncrun")).scalar() == racers
    finally:
        engine.dispose()
