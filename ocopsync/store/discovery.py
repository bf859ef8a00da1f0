"""What marketplaces told us about categories, kept in the database; the category mappings.

Discovery answers change rarely (a category tree, the attributes and brands of a leaf,
item limits, logistics channels) and a sync needs them for every create, so each answer
is stored with when it was fetched (``discoverycache``) and read from there until it is
older than the connection's ``options.discovery_max_age_days`` (7 days unless set). Only
a missing or expired answer costs a request. Records go to JSON and come back equal
(tuples stay tuples), so what planning reads from the cache is what the connector said.

The leaf a person chose for an OCOP group (``ocopsync categories map``) is stored per
connection in ``categorymapping`` and wins over ``options.category_map`` from the config:
:func:`category_map` gives planning the merged mapping.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ocopsync.models import CategoryMapping, DiscoveryEntry, Product, as_utc, utcnow
from ocopsync.records import (
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
    LogisticsChannel,
)

DEFAULT_MAX_AGE = timedelta(days=7)
"""Marketplaces change trees and attribute lists a few times a year; a week old answer
is fresh enough to plan with, and ``categories refresh`` fetches at once when not."""

T = TypeVar("T")


class Kind(enum.StrEnum):
    """What one cached answer is."""

    TREE = "tree"
    ATTRIBUTES = "attributes"
    BRANDS = "brands"
    LIMITS = "limits"
    LOGISTICS = "logistics"


@dataclass(frozen=True)
class CacheEntry:
    """One cached answer, as ``categories refresh`` reports it."""

    connection: str
    kind: str
    key: str
    records: int
    fetched_at: datetime


def max_age_of(options: Mapping[str, Any]) -> timedelta:
    """How long a connection's cached answers stay fresh (``discovery_max_age_days``)."""
    days = options.get("discovery_max_age_days")
    if isinstance(days, int) and not isinstance(days, bool) and days >= 0:
        return timedelta(days=days)
    return DEFAULT_MAX_AGE


def is_fresh(fetched_at: datetime, *, max_age: timedelta, now: datetime) -> bool:
    """Younger than ``max_age``; a zero age means "always ask the platform"."""
    return max_age > timedelta(0) and now - fetched_at < max_age


# --- records <-> JSON ------------------------------------------------------------------


def _category(d: Mapping[str, Any]) -> Category:
    return Category(str(d["category_id"]), d["parent_id"], str(d["name"]), bool(d["leaf"]))


def _attribute(d: Mapping[str, Any]) -> CategoryAttribute:
    return CategoryAttribute(
        key=d["key"],
        name=d["name"],
        mandatory=bool(d["mandatory"]),
        input_type=d["input_type"],
        options=tuple(AttributeOption(o["value_id"], o["name"]) for o in d["options"]),
        unit=d["unit"],
        custom_values=bool(d.get("custom_values", False)),
    )


def _brand(d: Mapping[str, Any]) -> Brand:
    return Brand(d["brand_id"], d["name"])


def _limits(d: Mapping[str, Any]) -> ItemLimits:
    return ItemLimits(**{**d, "image_formats": tuple(d["image_formats"])})


def _channel(d: Mapping[str, Any]) -> LogisticsChannel:
    return LogisticsChannel(**d)


def _encode(records: Sequence[Any]) -> dict[str, Any]:
    return {"records": [asdict(r) for r in records]}


# --- the cache table -------------------------------------------------------------------


def read_entry(
    engine: Engine, connection: str, kind: Kind, key: str = ""
) -> tuple[list[dict[str, Any]], datetime] | None:
    """The stored records and when they were fetched; None when never fetched."""
    with Session(engine) as session:
        row = session.get(DiscoveryEntry, (connection, kind.value, key))
        if row is None:
            return None
        fetched = as_utc(row.fetched_at) or row.fetched_at
        return list(row.payload.get("records", [])), fetched


def write_entry(
    engine: Engine,
    connection: str,
    kind: Kind,
    key: str,
    records: Sequence[Any],
    *,
    fetched_at: datetime,
) -> None:
    """Store (or replace) one answer; a concurrent writer of the same answer is harmless."""
    payload = _encode(records)
    for attempt in range(2):
        with Session(engine) as session:
            row = session.get(DiscoveryEntry, (connection, kind.value, key))
            if row is None:
                row = DiscoveryEntry(connection=connection, kind=kind.value, key=key)
            row.payload = payload
            row.fetched_at = fetched_at
            session.add(row)
            try:
                session.commit()
                return
            except IntegrityError:  # another process inserted it first: update theirs
                if attempt:
                    raise


def entries(engine: Engine, connection: str) -> list[CacheEntry]:
    """Every cached answer of a connection, tree first, then by kind and key."""
    with Session(engine) as session:
        rows = session.exec(
            select(DiscoveryEntry)
            .where(DiscoveryEntry.connection == connection)
            .order_by(col(DiscoveryEntry.kind), col(DiscoveryEntry.key))
        ).all()
        found = [
            CacheEntry(
                r.connection,
                r.kind,
                r.key,
                len(r.payload.get("records", [])),
                as_utc(r.fetched_at) or r.fetched_at,
            )
            for r in rows
        ]
    return sorted(found, key=lambda e: (e.kind != Kind.TREE, e.kind, e.key))


def _read(
    engine: Engine,
    connection: str,
    kind: Kind,
    key: str,
    decode: Callable[[Mapping[str, Any]], T],
) -> list[T] | None:
    found = read_entry(engine, connection, kind, key)
    return None if found is None else _decoded(found[0], decode)


def _decoded(
    records: Sequence[Mapping[str, Any]], decode: Callable[[Mapping[str, Any]], T]
) -> list[T] | None:
    """The records, or None when they no longer fit the record types (written by another
    ocopsync version): such an answer counts as never fetched, and is fetched again."""
    try:
        return [decode(d) for d in records]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def read_cached_tree(engine: Engine, connection: str) -> list[Category] | None:
    """The cached tree, however old; None when never fetched."""
    return _read(engine, connection, Kind.TREE, "", _category)


def read_cached_attributes(
    engine: Engine, connection: str, category_id: str
) -> list[CategoryAttribute] | None:
    """The cached attributes of a category, however old; None when never fetched."""
    return _read(engine, connection, Kind.ATTRIBUTES, str(category_id), _attribute)


def read_cached_brands(engine: Engine, connection: str, category_id: str) -> list[Brand] | None:
    return _read(engine, connection, Kind.BRANDS, str(category_id), _brand)


def read_cached_limits(engine: Engine, connection: str, category_id: str) -> ItemLimits | None:
    found = _read(engine, connection, Kind.LIMITS, str(category_id), _limits)
    return found[0] if found else None


def read_cached_logistics(engine: Engine, connection: str) -> list[LogisticsChannel] | None:
    return _read(engine, connection, Kind.LOGISTICS, "", _channel)


# --- read through: the cache when fresh, else the platform ------------------------------


class TreeSource(Protocol):
    async def list_categories(self) -> list[Category]: ...


class AttributeSource(Protocol):
    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]: ...


class BrandSource(Protocol):
    async def category_brands(self, category_id: str) -> list[Brand]: ...


class LimitSource(Protocol):
    async def item_limits(self, category_id: str) -> ItemLimits: ...


class LogisticsSource(Protocol):
    async def logistics_channels(self) -> list[LogisticsChannel]: ...


async def _through(
    engine: Engine,
    connection: str,
    kind: Kind,
    key: str,
    fetch: Callable[[], Awaitable[list[T]]],
    decode: Callable[[Mapping[str, Any]], T],
    *,
    max_age: timedelta,
    now: datetime | None,
    refresh: bool,
) -> list[T]:
    moment = now or utcnow()
    if not refresh:
        found = read_entry(engine, connection, kind, key)
        if found is not None and is_fresh(found[1], max_age=max_age, now=moment):
            records = _decoded(found[0], decode)
            if records is not None:
                return records
    fetched = await fetch()
    write_entry(engine, connection, kind, key, fetched, fetched_at=moment)
    return list(fetched)


async def cached_tree(
    engine: Engine,
    connector: TreeSource,
    connection: str,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    refresh: bool = False,
) -> list[Category]:
    """The category tree: cached when fresh, else fetched and stored (``refresh``: fetched)."""
    return await _through(
        engine,
        connection,
        Kind.TREE,
        "",
        connector.list_categories,
        _category,
        max_age=max_age,
        now=now,
        refresh=refresh,
    )


async def cached_attributes(
    engine: Engine,
    connector: AttributeSource,
    connection: str,
    category_id: str,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    refresh: bool = False,
) -> list[CategoryAttribute]:
    """A category's attributes: cached when fresh, else fetched and stored."""
    key = str(category_id)

    async def fetch() -> list[CategoryAttribute]:
        return await connector.category_attributes(key)

    return await _through(
        engine,
        connection,
        Kind.ATTRIBUTES,
        key,
        fetch,
        _attribute,
        max_age=max_age,
        now=now,
        refresh=refresh,
    )


async def cached_brands(
    engine: Engine,
    connector: BrandSource,
    connection: str,
    category_id: str,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    refresh: bool = False,
) -> list[Brand]:
    """A category's brands (every page): cached when fresh, else fetched and stored."""
    key = str(category_id)

    async def fetch() -> list[Brand]:
        return await connector.category_brands(key)

    return await _through(
        engine,
        connection,
        Kind.BRANDS,
        key,
        fetch,
        _brand,
        max_age=max_age,
        now=now,
        refresh=refresh,
    )


async def cached_limits(
    engine: Engine,
    connector: LimitSource,
    connection: str,
    category_id: str,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    refresh: bool = False,
) -> ItemLimits:
    """A category's item limits: cached when fresh, else fetched and stored."""
    key = str(category_id)

    async def fetch() -> list[ItemLimits]:
        return [await connector.item_limits(key)]

    found = await _through(
        engine,
        connection,
        Kind.LIMITS,
        key,
        fetch,
        _limits,
        max_age=max_age,
        now=now,
        refresh=refresh,
    )
    return found[0]


async def cached_logistics(
    engine: Engine,
    connector: LogisticsSource,
    connection: str,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    refresh: bool = False,
) -> list[LogisticsChannel]:
    """The shop's logistics channels: cached when fresh, else fetched and stored."""
    return await _through(
        engine,
        connection,
        Kind.LOGISTICS,
        "",
        connector.logistics_channels,
        _channel,
        max_age=max_age,
        now=now,
        refresh=refresh,
    )


# --- category mappings -----------------------------------------------------------------


def mappings(engine: Engine, connection: str) -> dict[str, str]:
    """The groups mapped in the database for a connection (not the config's)."""
    with Session(engine) as session:
        rows = session.exec(
            select(CategoryMapping)
            .where(CategoryMapping.connection == connection)
            .order_by(col(CategoryMapping.group))
        ).all()
        return {r.group: r.category_id for r in rows}


def category_map(
    engine: Engine, connection: str, config_map: Mapping[str, int | str] | None
) -> dict[str, str]:
    """OCOP group -> leaf id for a connection: ``options.category_map`` of the config,
    each group mapped in the database (``categories map``) overriding it."""
    merged = {str(group): str(value) for group, value in (config_map or {}).items()}
    merged.update(mappings(engine, connection))
    return merged


def save_mapping(
    engine: Engine, connection: str, group: str, category_id: str, *, now: datetime | None = None
) -> str | None:
    """Map ``group`` to ``category_id`` for a connection; the id it replaces, if any."""
    with Session(engine) as session:
        row = session.get(CategoryMapping, (connection, group))
        previous = row.category_id if row is not None else None
        if row is None:
            row = CategoryMapping(connection=connection, group=group, category_id=category_id)
        row.category_id = str(category_id)
        row.updated_at = now or utcnow()
        session.add(row)
        session.commit()
        return previous


def remove_mapping(engine: Engine, connection: str, group: str) -> str | None:
    """Forget the database mapping of ``group`` (the config's applies again)."""
    with Session(engine) as session:
        row = session.get(CategoryMapping, (connection, group))
        if row is None:
            return None
        previous = row.category_id
        session.delete(row)
        session.commit()
        return previous


def groups_in_catalog(engine: Engine) -> dict[str, int]:
    """How many catalog products each group holds: the groups worth a mapping."""
    with Session(engine) as session:
        rows = session.exec(
            select(Product.group, func.count()).group_by(Product.group).order_by(Product.group)
        ).all()
        return {str(group): int(count) for group, count in rows}
