"""SQLModel tables and the engine factory: the one place that knows the schema.

SQLite (``./ocopsync.db``) is the default so a cooperative needs no server; any
SQLAlchemy URL works (PostgreSQL at provincial or national scale). Times are stored
as UTC; SQLite hands them back naive, so read them through :func:`as_utc`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Engine, Index, UniqueConstraint, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Field, Session, SQLModel, create_engine

from ocopsync.errors import ConfigError
from ocopsync.schema import ensure_schema


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
    """The master stock: every movement of it is a :class:`StockMove` row."""
    imported_stock: int | None = None
    """The stock this product had in the last catalog file imported: a file's figure is a
    count as of that file, so a re-import moves the master only by what the file changed."""
    weight_g: int | None = None
    barcode: str = ""
    description: str = ""
    image_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = "active"
    stock_zero_at: int | None = None
    """This product's own oversell rules (catalog columns), over its connections'."""
    stock_last_units_to: str = ""
    stock_max: int | None = None
    stock_share_pct: int | None = None
    attributes: list[list[str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    """The catalog's ``name=value`` attributes, as ``[name, value]`` pairs in file order."""
    brand: str = ""
    parent_sku: str = ""
    """Rows sharing a ``parent_sku`` are the variants of one listing."""
    variant: str = ""
    """This variant's label (``500 g``); "" for a product without variants."""
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
    pending_op_id: int | None = None
    """The journal operation of that write, resolved by the next observation."""
    booked_since_push: int = 0
    """Units booked from this connection's order lines since ``last_stock`` was set (a
    cancellation counts negative): the platform should show ``last_stock`` minus this."""
    pending_booked_base: int = 0
    """``booked_since_push`` when the pending write was sent."""
    uncertain_units: int = 0
    """Units that may or may not have been sold here (a lost write the evidence cannot
    decide): kept in the master, held back from every platform until resolved."""
    uncertain_detail: str = ""
    remote_status: str = "live"
    last_seen: datetime | None = None
    content_sent: dict[str, str] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    """Fingerprint per content field (name, description, images, attributes) of what was
    last sent; None when we never sent it (an adopted listing)."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SyncRun(SQLModel, table=True):
    """One plan or sync: when, what for, how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "sync"
    trigger: str = "cli"
    status: str = Field(default="running", index=True)
    owner: str = ""
    """``host:pid`` of the process running it, so a run whose process died is closed."""
    lease_expires_at: datetime | None = None
    """Renewed while the run works; a run elsewhere past its lease is taken as dead."""
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Operation(SQLModel, table=True):
    """The journal: one row per planned operation, written before and after it runs."""

    __table_args__ = (
        # every run asks for one connection's operations a dead run left open
        # (lost creates, started writes): without it, a scan of the whole journal
        Index("ix_operation_connection_status", "connection", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="syncrun.id", index=True)
    connection: str
    platform: str
    sku: str
    action: str
    from_value: str = ""
    to_value: str = ""
    desired: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Typed values the operation sets (``{"price": ..}``, ``{"stock": ..}``; a create: both)."""
    status: str = "planned"
    error: str = ""
    error_kind: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None


class OrderLineRecord(SQLModel, table=True):
    """One platform order line, folded into the master stock exactly once.

    ``booked`` is what the line has taken off the master: its quantity while active, 0
    once cancelled or returned (or when it predates tracking). Seeing the line again
    books only the difference, in the same transaction that stores the new status.
    """

    __tablename__ = "orderline"
    __table_args__ = (
        UniqueConstraint("connection", "order_id", "line_id", name="uq_orderline_line"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection: str = Field(index=True)
    platform: str
    order_id: str
    line_id: str
    sku: str = Field(index=True)
    quantity: int
    status: str
    booked: int = 0
    ordered_at: datetime
    platform_updated_at: datetime
    first_run_id: int | None = None
    last_run_id: int | None = None
    recorded_at: datetime = Field(default_factory=utcnow)


class OrderCursor(SQLModel, table=True):
    """Where reading a connection's orders stands.

    ``tracking_since`` is when ocopsync first read this shop's orders: older orders are
    already in the catalog's stock figure and are never booked.
    """

    connection: str = Field(primary_key=True)
    tracking_since: datetime
    watermark: datetime
    """Orders updated before this were read; the next read starts an overlap before it."""
    updated_at: datetime = Field(default_factory=utcnow)


class StockMove(SQLModel, table=True):
    """The master stock's ledger: one row per change, so every unit can be accounted for.

    ``kind``: ``import`` (a file's change), ``stocktake`` (an absolute count),
    ``order`` (an order line booked or given back), ``inferred`` (units gone from a
    platform without an orders API), ``resolved`` (a person decided an uncertain write).
    """

    __tablename__ = "stockmove"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(index=True)
    delta: int
    kind: str
    connection: str = ""
    reference: str = ""
    run_id: int | None = None
    at: datetime = Field(default_factory=utcnow)


class OcopsyncMeta(SQLModel, table=True):
    """Facts about the database itself (``database_id``: what a saved plan is bound to)."""

    key: str = Field(primary_key=True)
    value: str


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
    """An engine for ``url`` with the schema at head; SQLite gets WAL and foreign keys.

    The schema comes from the Alembic revisions (:func:`ocopsync.schema.ensure_schema`),
    not ``create_all``: that never adds a column to an existing table and races when
    several processes create the same new database.
    """
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
        ensure_schema(engine)
    except ConfigError:
        engine.dispose()
        raise
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
    "OcopsyncMeta",
    "Operation",
    "OrderCursor",
    "OrderLineRecord",
    "Product",
    "Session",
    "StockMove",
    "SyncRun",
    "as_utc",
    "make_engine",
    "utcnow",
]


class DiscoveryEntry(SQLModel, table=True):
    """One discovery answer of one connection, kept so a sync never fetches the tree.

    ``kind`` is ``tree``, ``attributes``, ``brands``, ``limits`` or ``logistics``;
    ``key`` the category id it is about ("" for the tree and the logistics channels).
    ``payload`` holds the records as JSON (``{"records": [...]}``), read back exactly by
    :mod:`ocopsync.store.discovery`; ``fetched_at`` decides when it is stale.
    """

    __tablename__ = "discoverycache"

    connection: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fetched_at: datetime = Field(default_factory=utcnow)


class CategoryMapping(SQLModel, table=True):
    """The leaf a person chose for one OCOP group on one connection (``categories map``).

    It overrides ``options.category_map`` of the config for that connection and group.
    """

    __tablename__ = "categorymapping"

    connection: str = Field(primary_key=True)
    group: str = Field(primary_key=True)
    category_id: str
    updated_at: datetime = Field(default_factory=utcnow)
