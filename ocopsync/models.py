"""SQLModel tables and the engine factory: the one place that knows the schema.

SQLite (``./ocopsync.db``) is the default so a cooperative needs no server; any
SQLAlchemy URL works (PostgreSQL at provincial or national scale). Times are stored
as UTC; SQLite hands them back naive, so read them through :func:`as_utc`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Engine, UniqueConstraint, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Field, Session, SQLModel, create_engine

from ocopsync.errors import ConfigError


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime read back from SQLite."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Entity(SQLModel, table=True):
    """An OCOP producer: an enterprise, a cooperative or a household business."""

    code: str = Field(primary_key=True)
    name: str = ""
    kind: str = ""
    province: str = ""
    district: str = ""


class Product(SQLModel, table=True):
    """One certified product of the master catalog; the SKU is the seller SKU everywhere."""

    sku: str = Field(primary_key=True)
    name: str
    entity_code: str = Field(foreign_key="entity.code", index=True)
    province: str = Field(index=True)
    district: str = ""
    group: str
    stars: int
    certified_on: date | None = None
    expires_on: date
    price_vnd: int
    stock: int
    weight_g: int | None = None
    barcode: str = ""
    description: str = ""
    image_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = "active"
    updated_at: datetime = Field(default_factory=utcnow)


class Connection(SQLModel, table=True):
    """A connection as the config last declared it (secrets stay in the environment).

    The config is the source of truth; this copy lets the journal, listings and coverage
    history name a platform and scope even after a connection leaves the config.
    """

    name: str = Field(primary_key=True)
    platform: str
    base_url: str
    entity: str = "*"
    enabled: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class Credential(SQLModel, table=True):
    """Tokens a platform issued to one connection; refreshed tokens replace them here."""

    connection: str = Field(primary_key=True)
    platform: str
    access_token: str = ""
    refresh_token: str = ""
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Listing(SQLModel, table=True):
    """What we know of one product on one connection: ids and what we last pushed."""

    __table_args__ = (UniqueConstraint("connection", "sku", name="uq_listing_connection_sku"),)

    id: int | None = Field(default=None, primary_key=True)
    connection: str = Field(index=True)
    platform: str = Field(index=True)
    sku: str = Field(index=True)
    remote_id: str
    seller_sku: str
    last_price: int | None = None
    last_stock: int | None = None
    pending_stock: int | None = None
    """A stock write that was sent but whose outcome we never recorded (crash)."""
    remote_status: str = "live"
    last_seen: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SyncRun(SQLModel, table=True):
    """One plan or sync: when, what for, how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "sync"
    trigger: str = "cli"
    status: str = "running"
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Operation(SQLModel, table=True):
    """The journal: one row per planned operation, written before and after it runs."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="syncrun.id", index=True)
    connection: str
    platform: str
    sku: str
    action: str
    from_value: str = ""
    to_value: str = ""
    status: str = "planned"
    error: str = ""
    error_kind: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ConnectionLock(SQLModel, table=True):
    """One run per connection at a time, across processes and machines."""

    connection: str = Field(primary_key=True)
    run_id: int
    holder: str
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class CoverageSnapshot(SQLModel, table=True):
    """Eligible and listed counts at the finest grain, taken after each sync."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, index=True)
    taken_at: datetime = Field(default_factory=utcnow, index=True)
    platform: str
    province: str
    district: str
    stars: int
    group: str
    entity_code: str
    eligible: int
    listed: int


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the tables created; SQLite gets WAL and foreign keys."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"database URL is not a valid SQLAlchemy URL: {exc}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    where = parsed.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, ArgumentError) as exc:  # e.g. psycopg not installed
        raise ConfigError(f"cannot open database {where}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        SQLModel.metadata.create_all(engine)
    except OperationalError as exc:
        raise ConfigError(f"cannot open database {where}: {exc.orig}") from exc
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


__all__ = [
    "Connection",
    "ConnectionLock",
    "CoverageSnapshot",
    "Credential",
    "Entity",
    "Listing",
    "Operation",
    "Product",
    "Session",
    "SyncRun",
    "as_utc",
    "make_engine",
    "utcnow",
]
