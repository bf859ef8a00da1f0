"""A private PostgreSQL database per test, so no test depends on what another left behind.

The server's ``test`` database is only the door in: each test gets a fresh
``ocopsync_t_<hex>`` created through it, and drops it (``WITH (FORCE)``, in case an
engine still holds connections) when done.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


@contextmanager
def private_database() -> Iterator[str]:
    """Yield the SQLAlchemy URL of a brand-new empty database; skip without a server."""
    psycopg = pytest.importorskip("psycopg")
    from psycopg import sql

    name = f"ocopsync_t_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=2, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, connect_timeout=5, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
