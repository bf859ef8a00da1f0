"""Planning a run: the catalog's drafts, stock settled from what platforms sold, a plan
per connection, and what a platform would refuse to create.

Separate from :mod:`ocopsync.sync`, which opens connections, applies plans and reports;
this module turns what was read into plans (and, for a real sync, records the sales it
found before anything is pushed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync import catalog
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import Connector, ListingDraft, RemoteListing
from ocopsync.models import Listing, Product, utcnow
from ocopsync.reconcile import (
    CatalogItem,
    ConnectionPlan,
    KnownListing,
    StockObservation,
    StockSettlement,
    plan_connection,
    settle_stock,
    settled_master,
    stock_reason,
)
from ocopsync.store import load_listings, mark_seen, save_listings


@dataclass
class OpenConnection:
    """One selected connection through a run: its connector, what it read, its plan."""

    settings: ConnectionSettings
    connector: Connector | None = None
    error: str = ""
    remote: list[RemoteListing] | None = None
    listings: dict[str, Listing] = field(default_factory=dict)
    plan: ConnectionPlan | None = None
    blocked: dict[str, list[str]] = field(default_factory=dict)
    locked: bool = False


def all_skus(engine: Engine) -> frozenset[str]:
    with Session(engine) as session:
        return frozenset(session.exec(select(Product.sku)).all())


def load_products(engine: Engine, entity: str | None) -> list[Product]:
    with Session(engine) as session:
        query = select(Product)
        if entity:
            query = query.where(Product.entity_code == entity)
        products = list(session.exec(query.order_by(Product.sku)).all())
        session.expunge_all()
        return products


def draft_of(product: Product) -> ListingDraft:
    return ListingDraft(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=product.price_vnd,
        stock=product.stock,
        group=product.group,
        stars=product.stars,
        entity_code=product.entity_code,
        province=product.province,
        weight_g=product.weight_g,
        barcode=product.barcode,
        image_urls=tuple(product.image_urls),
    )


def settled_drafts(
    products: list[Product], settlements: Mapping[str, StockSettlement]
) -> dict[str, ListingDraft]:
    drafts = {}
    for p in products:
        d = draft_of(p)
        if p.sku in settlements:
            d = ListingDraft(**{**d.__dict__, "stock": settlements[p.sku].master_after})
        drafts[p.sku] = d
    return drafts


def plan_all(
    engine: Engine,
    opened: list[OpenConnection],
    products: list[Product],
    today: date,
    *,
    persist: bool,
) -> dict[str, StockSettlement]:
    ready = [o for o in opened if o.remote is not None and not o.error]
    master = {p.sku: p.stock for p in products}
    observations = []
    for o in ready:
        o.listings = load_listings(engine, o.settings.name)
        assert o.remote is not None
        remote_by_sku = {r.seller_sku: r for r in o.remote}
        for sku, row in o.listings.items():
            r = remote_by_sku.get(sku)
            if r is not None and r.remote_id == row.remote_id and sku in master:
                observations.append(
                    StockObservation(
                        o.settings.name, sku, row.last_stock, r.stock, row.pending_stock
                    )
                )
    settlements = settle_stock(master, observations)
    if persist:
        persist_observations(engine, ready, settlements)
    stock_after = settled_master(master, settlements)
    platforms = {o.settings.name: o.settings.platform for o in opened}
    reasons = {sku: stock_reason(s, platforms) for sku, s in settlements.items()}
    catalog_skus = all_skus(engine)  # orphans: unknown to the whole catalog, --entity or not
    drafts = {p.sku: draft_of(p) for p in products}
    for o in ready:
        assert o.remote is not None and o.connector is not None
        min_stars = o.settings.policy.min_stars
        items = [
            CatalogItem(
                drafts[p.sku],
                catalog.ineligibility_reason(p, min_stars=min_stars, today=today),
            )
            for p in products
            if o.settings.covers(p.entity_code)
        ]
        known = {
            sku: KnownListing(sku, r.remote_id, r.last_price, r.last_stock, r.pending_stock)
            for sku, r in o.listings.items()
        }
        o.plan = plan_connection(
            connection=o.settings.name,
            platform=o.settings.platform,
            policy=o.settings.policy,
            items=items,
            known=known,
            remote=o.remote,
            master_stock=stock_after,
            catalog_skus=catalog_skus,
            reasons=reasons,
        )
        for op in o.plan.operations:
            if op.action.value == "create":
                missing = o.connector.missing_for_create(drafts[op.sku])
                if missing:
                    o.blocked[op.sku] = missing
    return settlements


def persist_observations(
    engine: Engine, ready: list[OpenConnection], settlements: Mapping[str, StockSettlement]
) -> None:
    """Record sales before any push: the master drops, and each listing's baseline becomes
    what the platform showed, so a failed push can never count the same sale twice."""
    changes = {sku: s.master_after for sku, s in settlements.items() if s.changed}
    if changes:
        with Session(engine) as session:
            catalog.adjust_master_stock(session, changes)
            session.commit()
    now = utcnow()
    for o in ready:
        assert o.remote is not None
        remote_by_sku = {r.seller_sku: r for r in o.remote}
        touched = []
        for sku, row in o.listings.items():
            r = remote_by_sku.get(sku)
            if r is None or r.remote_id != row.remote_id:
                if row.remote_status != "missing":
                    row.remote_status = "missing"
                    touched.append(row)
                continue
            stock = r.stock if row.last_stock is not None or row.pending_stock is not None else None
            if (row.remote_status, row.last_stock, row.pending_stock) != (
                r.status.value,
                stock,
                None,
            ):
                row.remote_status = r.status.value
                row.last_stock = stock
                row.pending_stock = None
                touched.append(row)
            row.last_seen = now  # in memory too, so a later save does not write it back
        save_listings(engine, touched)  # only rows that changed: a no-op run writes little
        mark_seen(engine, o.settings.name, now)
