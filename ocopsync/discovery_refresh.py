"""Before planning: make sure the categories a run may create in are known.

A create needs its category's attributes (which are mandatory, what they allow), its
brands and its limits. They are cached (:mod:`ocopsync.store.discovery`); this step
fetches only what is missing or expired, and only for categories some product still
to be listed on the connection maps to, so a run with nothing to create sends no
discovery request at all. A platform that cannot answer leaves the cache as it is:
the plan then blocks those creates with a reason, and every other operation goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from ocopsync.connectors.base import Discovery
from ocopsync.errors import OcopsyncError
from ocopsync.listing_facts import PlatformFacts, defaults_of
from ocopsync.models import utcnow
from ocopsync.planning import OpenConnection
from ocopsync.store import CatalogProduct
from ocopsync.store.discovery import (
    cached_attributes,
    cached_brands,
    cached_limits,
    category_map,
    max_age_of,
    read_cached_attributes,
    read_cached_brands,
    read_cached_limits,
)

log = logging.getLogger(__name__)


def _mapping(engine: Engine, o: OpenConnection) -> dict[str, str]:
    options: dict[str, Any] = dict(o.settings.options)
    return category_map(engine, o.settings.name, options.get("category_map"))


def needed_categories(
    engine: Engine, o: OpenConnection, products: Sequence[CatalogProduct]
) -> set[str]:
    """Leaves mapped for products of this connection that it does not list yet."""
    listed = {r.seller_sku for r in o.remote or ()}
    mapping = _mapping(engine, o)
    return {
        mapping[p.group]
        for p in products
        if o.settings.covers(p.entity_code) and p.sku not in listed and p.group in mapping
    }


async def refresh_for_creates(
    engine: Engine, opened: Sequence[OpenConnection], products: Sequence[CatalogProduct]
) -> None:
    """Fetch (into the cache) what the creates this run may plan need; never raises for
    a platform's sake."""
    now = utcnow()
    for o in opened:
        connector = o.connector
        if (
            connector is None
            or o.remote is None
            or o.error
            or not connector.capabilities.discovery
            or not isinstance(connector, Discovery)
        ):
            continue
        max_age = max_age_of(dict(o.settings.options))
        for category in sorted(needed_categories(engine, o, products)):
            try:
                await cached_attributes(
                    engine, connector, o.settings.name, category, max_age=max_age, now=now
                )
                await cached_brands(
                    engine, connector, o.settings.name, category, max_age=max_age, now=now
                )
                await cached_limits(
                    engine, connector, o.settings.name, category, max_age=max_age, now=now
                )
            except OcopsyncError as exc:
                log.warning("%s: could not read category %s: %s", o.settings.name, category, exc)


def facts_for(engine: Engine, o: OpenConnection) -> PlatformFacts:
    """What the cache holds for this connection's mapped categories."""
    options: dict[str, Any] = dict(o.settings.options)
    mapping = _mapping(engine, o)
    connector = o.connector
    discovery = bool(
        connector is not None
        and connector.capabilities.discovery
        and isinstance(connector, Discovery)
    )
    attributes = {}
    brands = {}
    limits = {}
    if discovery:
        for category in set(mapping.values()):
            found = read_cached_attributes(engine, o.settings.name, category)
            if found is not None:
                attributes[category] = found
            brands[category] = read_cached_brands(engine, o.settings.name, category) or []
            limit = read_cached_limits(engine, o.settings.name, category)
            if limit is not None:
                limits[category] = limit
    return PlatformFacts(
        connection=o.settings.name,
        platform=o.settings.platform,
        discovery=discovery,
        category_map=mapping,
        attributes=attributes,
        brands=brands,
        limits=limits,
        defaults=defaults_of(options),
    )
