"""Catalog read models for the CLI: rows as ``catalog list`` prints them, one product's
detail with its listings. Kept apart from :mod:`ocopsync.catalog`, which owns writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ocopsync.catalog import get_product, list_products, product_as_row
from ocopsync.models import Entity, Listing, as_utc


def catalog_rows(engine: Engine, **filters: str | None) -> list[dict[str, Any]]:
    """Products in catalog-file columns (the ``catalog list --format json`` contract)."""
    with Session(engine) as session:
        products = list_products(session, **filters)
        entities = {e.code: e for e in session.exec(select(Entity))}
        return [product_as_row(p, entities.get(p.entity_code)) for p in products]


def product_detail(engine: Engine, sku: str) -> dict[str, Any]:
    """One product's columns plus every listing of it we know of."""
    with Session(engine) as session:
        product = get_product(session, sku)
        entity = session.get(Entity, product.entity_code)
        listings = session.exec(
            select(Listing).where(Listing.sku == product.sku).order_by(col(Listing.connection))
        ).all()
        seen = (as_utc(x.last_seen) for x in listings)
        return {
            **product_as_row(product, entity),
            "listings": [
                {
                    "connection": x.connection,
                    "platform": x.platform,
                    "remote_id": x.remote_id,
                    "last_price": x.last_price,
                    "last_stock": x.last_stock,
                    "remote_status": x.remote_status,
                    "last_seen": s.isoformat(timespec="seconds") if s else None,
                }
                for x, s in zip(listings, seen, strict=True)
            ],
        }
