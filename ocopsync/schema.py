"""Bring a database to the schema this ocopsync expects, with the Alembic revisions it ships.

:func:`ensure_schema` runs every time an engine is made, so it must be cheap when there
is nothing to do and safe when several processes find a brand-new or an old database at
once (cron jobs, a scheduler and a person at the CLI all open the same file):

* fast path: one ``SELECT`` of ``alembic_version``; at head, that is all;
* otherwise the upgrade runs under a lock held across processes: a PostgreSQL advisory
  lock, or on SQLite the database's own write lock (``BEGIN EXCLUSIVE``). Whoever waited
  reads the version again once it holds the lock, and usually finds nothing left to do;
* a database from release 0.1.0 (its tables, no ``alembic_version``: it used
  ``create_all``) is stamped at revision 0001, then upgraded;
* a database at a revision this code does not know was upgraded by a newer ocopsync:
  it is refused, untouched, rather than written with a schema it does not have.

To add a revision after changing ``ocopsync/models.py``::

    python -m ocopsync.schema revision -m "what changed"

then read the generated file in ``ocopsync/migrations/versions/`` (autogenerate misses
renames and server defaults) and run ``tests/test_schema.py``.
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ocopsync.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script location: a folder of the installed package, no alembic.ini."""

ADVISORY_LOCK_KEY = 0x6F636F7073796E63
"""``pg_advisory_lock`` key that serializes upgrades: "ocopsync" in ASCII, one per database."""

RELEASE_0_1_0_TABLES = frozenset(
    {
        "connection",
        "connectionlock",
        "coveragesnapshot",
        "credential",
        "entity",
        "listing",
        "operation",
        "product",
        "syncrun",
    }
)
"""What ``create_all`` made in release 0.1.0, which had no ``alembic_version``."""

_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


@functools.cache
def head_revision() -> str:
    """The newest revision, read from the file names (``0002_...py``), not by Alembic.

    Revisions are numbered in sequence and named after their id, so a directory listing
    answers "is the database current?" without importing Alembic or any revision; a test
    checks that this agrees with Alembic's own idea of the head.
    """
    ids = [
        match.group(1)
        for path in (MIGRATIONS / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    ]
    return max(ids)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config built in code: the package's migrations, this connection or URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def ensure_schema(engine: Engine) -> None:
    """Upgrade ``engine``'s database to the head revision, or raise :class:`ConfigError`."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        if current_revisions(engine) == (head_revision(),):
            return
        _upgrade_under_lock(engine, where)
    except DBAPIError as exc:
        raise ConfigError(f"cannot open database {where}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot open database {where}: {exc}") from exc


def current_revisions(engine: Engine) -> tuple[str, ...] | None:
    """The revisions in ``alembic_version``, or None when that table cannot be read.

    A failure to connect propagates (it is the user's to fix); a missing table only
    means "not migrated yet" and sends the caller down the locked path.
    """
    with engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:
            conn.rollback()
            return None
    return tuple(sorted(rows))


def _upgrade_under_lock(engine: Engine, where: str) -> None:
    """Take the cross-process schema lock on one connection, upgrade on it, let go.

    The connection is thrown away if anything fails, so a lock or a pragma set here can
    never stay behind in the pool.
    """
    conn = engine.connect()
    try:
        _lock(conn)
        _upgrade(conn, where)
        conn.commit()
        _unlock(conn)
    except BaseException:
        conn.invalidate()
        raise
    finally:
        conn.close()


def _lock(conn: Connection) -> None:
    """Block until no other process is upgrading this database, and stop them starting.

    PostgreSQL: a session advisory lock; the upgrade then runs in one transaction (DDL
    is transactional there) so a waiter sees either nothing or the whole upgrade.

    SQLite: ``BEGIN EXCLUSIVE`` takes the database's write lock, waiting up to the busy
    timeout; the upgrade runs inside that transaction (SQLite's DDL is transactional
    too). In WAL mode readers are not blocked, so another process's fast path may read
    an old version meanwhile; it then comes here and waits. Foreign keys are switched off
    first (the pragma is ignored inside a transaction) because batch mode rebuilds
    tables by copy-and-rename, which must not trip or cascade over referencing rows.
    """
    backend = conn.dialect.name
    if backend == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        conn.commit()
    elif backend == "sqlite":
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        conn.exec_driver_sql("BEGIN EXCLUSIVE")
    # Other backends: no cross-process lock; the upgrade still runs in one transaction.


def _unlock(conn: Connection) -> None:
    backend = conn.dialect.name
    if backend == "postgresql":
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        conn.commit()
    elif backend == "sqlite":
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _upgrade(conn: Connection, where: str) -> None:
    """Stamp a 0.1.0 database, refuse one from the future, upgrade the rest to head.

    Runs with the lock held, so what it reads is what it acts on.
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = alembic_config(conn)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    tables = set(inspect(conn).get_table_names())
    current: Sequence[str] = ()
    if "alembic_version" in tables:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    unknown = []
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    if unknown:
        raise ConfigError(
            f"database {where} is at schema revision {', '.join(unknown)}, newer than this "
            f"ocopsync knows (its latest is {head}): it was upgraded by a newer ocopsync. "
            "Upgrade ocopsync (pip install -U ocopsync); the database was not changed."
        )
    if list(current) == [head]:
        return  # another process upgraded it while this one waited for the lock
    stamp = False
    if not current:
        ours = tables & RELEASE_0_1_0_TABLES
        if ours and ours != RELEASE_0_1_0_TABLES:
            missing = ", ".join(sorted(RELEASE_0_1_0_TABLES - ours))
            raise ConfigError(
                f"database {where} has some of ocopsync's tables but not {missing}, and no "
                "alembic_version: it was not made by an ocopsync release, so it is not "
                "upgraded. Point database_url at a new database, or restore this one."
            )
        stamp = bool(ours)
    try:
        if stamp:
            command.stamp(config, "0001")
        command.upgrade(config, "head")
    except CommandError as exc:
        raise ConfigError(f"cannot upgrade the schema of {where}: {exc}") from exc


def _new_revision(message: str) -> None:
    """Autogenerate the next revision against a scratch SQLite database at head."""
    from alembic import command

    from ocopsync.models import make_engine

    next_id = f"{int(head_revision()) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            with engine.begin() as conn:
                config = alembic_config(conn)
                ruff = shutil.which("ruff")
                if ruff:  # generated code in the project's style, so ruff format stays green
                    config.set_section_option("post_write_hooks", "hooks", "ruff")
                    config.set_section_option("post_write_hooks", "ruff.type", "exec")
                    config.set_section_option("post_write_hooks", "ruff.executable", ruff)
                    config.set_section_option(
                        "post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME"
                    )
                command.revision(config, message=message, autogenerate=True, rev_id=next_id)
        finally:
            engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m ocopsync.schema revision -m MESSAGE``: a developer's tool, not the CLI's."""
    parser = argparse.ArgumentParser(prog="python -m ocopsync.schema")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="autogenerate the next revision")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "revision":
        _new_revision(args.message)


if __name__ == "__main__":
    main()
