"""Planning a run: the catalog's drafts, stock settled from what platforms sold, a plan
per connection, and what a platform would refuse to create.

Separate from :mod:`ocopsync.sync`, which opens connections, applies plans and reports;
this module turns what was read into plans and, for a real sync, records the sales it
found (and the baselines that go with them) in one transaction before anything is
pushed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Engine

from ocopsync import catalog
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    Connector,
    ListingDraft,
    ListingStatus,
    OrderLine,
    RemoteListing,
)
from ocopsync.content import ContentMemo
from ocopsync.listing_facts import PlatformFacts, Shaper, create_problems
from ocopsync.models import utcnow
from ocopsync.observe_store import (
    SeenConnection,
    apply_to_rows,
    booked_lines,
    held_units,
    listing_changes,
    lost_creates,
    record_observation,
    resolve_started,
    started_writes,
    state_of,
)
from ocopsync.oversell import StockRules
from ocopsync.reconcile import Action, CatalogItem, ConnectionPlan, KnownRow, plan_connection
from ocopsync.records import AttributeValue, OpStatus, SalesSource, draft_from_dict
from ocopsync.stock import (
    ConnectionObservation,
    Observation,
    StockSettlement,
    index_remote,
    settle,
    stock_reason,
)
from ocopsync.store import CatalogProduct, ListingRow, all_stock, load_listings, load_products
from ocopsync.store.content import set_content_baselines


@dataclass
class OpenConnection:
    """One selected connection through a run: its connector, what it read, its plan."""

    settings: ConnectionSettings
    connector: Connector | None = None
    error: str = ""
    remote: list[RemoteListing] | None = None
    listings: dict[str, ListingRow] = field(default_factory=dict)
    plan: ConnectionPlan | None = None
    blocked: dict[str, list[str]] = field(default_factory=dict)
    locked: bool = False
    source: SalesSource = SalesSource.STOCK
    order_lines: list[OrderLine] | None = None
    orders_until: datetime | None = None
    """End of the orders window read (the new watermark); None when none was read."""
    tracking_since: datetime | None = None
    """Set on the first read of this shop's orders: older orders are never booked."""
    order_requests: int = 0
    """HTTP requests the orders read took (the benchmark reports their cost)."""
    facts: PlatformFacts | None = None
    """What the discovery cache holds for this connection's creates (set by the sync
    before planning); None plans creates with the catalog's values as they are."""


def draft_of(product: CatalogProduct) -> ListingDraft:
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
        attributes=tuple(AttributeValue(name, value) for name, value in product.attributes or ()),
        brand=product.brand,
    )


@dataclass
class Planned:
    """What planning found: how stock moved, and the master stock the plans used."""

    settlements: dict[str, StockSettlement]
    master: dict[str, int]
    offered: dict[str, int]
    """The master stock less held units: what the plans shared out."""
    observation: Observation


@dataclass
class CatalogView:
    """What planning needs of our own database and catalog, none of it from a platform,
    each built once for every connection (the drafts, eligibility, oversell rules).
    The sync reads it in a thread while the slowest connections' pages still come in."""

    products: list[CatalogProduct]
    drafts: dict[str, ListingDraft]
    """The catalog's draft per SKU, before any connection's shaping."""
    rules: dict[str, StockRules | None]
    ineligible: dict[int, dict[str, str | None]]
    """Why a SKU may not be listed, per ``min_stars`` the connections use."""
    listings: dict[str, dict[str, ListingRow]]
    """Our rows per connection. Safe to read before every fetch is done: only a run
    holding the connection's lock (this one) changes them."""


def prepare(
    engine: Engine, opened: Sequence[OpenConnection], entity: str | None, today: date
) -> CatalogView:
    products = load_products(engine, entity)
    ineligible = {
        stars: {
            p.sku: catalog.ineligibility_reason(p, min_stars=stars, today=today) for p in products
        }
        for stars in sorted({o.settings.policy.min_stars for o in opened})
    }
    return CatalogView(
        products=products,
        drafts={p.sku: draft_of(p) for p in products},
        rules={p.sku: product_rules(p) for p in products},
        ineligible=ineligible,
        listings={
            o.settings.name: load_listings(engine, o.settings.name)
            for o in opened
            if o.connector is not None and not o.error
        },
    )


def plan_all(
    engine: Engine,
    opened: list[OpenConnection],
    view: CatalogView,
    *,
    persist: bool,
    run_id: int | None = None,
) -> Planned:
    ready = [o for o in opened if o.remote is not None and not o.error]
    master = all_stock(engine)
    observations = []
    known_before: dict[str, dict[str, KnownRow]] = {}
    for o in ready:
        assert o.remote is not None
        rows = view.listings.get(o.settings.name)
        o.listings = rows if rows is not None else load_listings(engine, o.settings.name)
        known_before[o.settings.name] = dict(o.listings)  # copied below if settled anew
        lines = o.order_lines or []
        observations.append(
            ConnectionObservation(
                connection=o.settings.name,
                platform=o.settings.platform,
                source=o.source,
                listings={sku: state_of(row) for sku, row in o.listings.items()},
                remote=o.remote,
                lines=lines,
                booked=booked_lines(engine, o.settings.name, {ln.order_id for ln in lines}),
                tracking_since=o.tracking_since,
                lost_creates=lost_creates(engine, o.settings.name),
            )
        )
    observation = settle(master, observations, held=held_units(engine), run_id=run_id)
    master = dict(observation.master_after)
    if persist:
        seen = [_seen(o) for o in ready]
        changes = listing_changes(observation, seen)
        master.update(
            record_observation(
                engine, observation, seen, run_id=run_id, when=utcnow(), changes=changes
            )
        )
        for row in apply_to_rows(engine, changes, seen):  # the rows as they were before
            known_before[row.connection][row.sku] = row
        for o in ready:
            _resolve_other_writes(engine, o)
    offered = {sku: stock - observation.held.get(sku, 0) for sku, stock in master.items()}
    settlements = {s.sku: s for s in observation.settlements.values() if s.noteworthy}
    platforms = {o.settings.name: o.settings.platform for o in opened}
    reasons = {sku: stock_reason(s, platforms) for sku, s in settlements.items()}
    catalog_skus = frozenset(master)  # orphans: unknown to the whole catalog
    products, drafts, rules = view.products, view.drafts, view.rules
    fingerprints = ContentMemo()
    for o in ready:
        assert o.remote is not None and o.connector is not None
        why_not = view.ineligible[o.settings.policy.min_stars]  # prepare read every one
        here = [p for p in products if o.settings.covers(p.entity_code)]
        facts = o.facts or PlatformFacts(o.settings.name, o.settings.platform, discovery=False)
        shaper = Shaper(facts)
        shaped = {p.sku: shaper.shape(drafts[p.sku]) for p in here}
        items = [
            CatalogItem(
                shaped[p.sku][0],
                why_not[p.sku],
                rules[p.sku],
                parent_sku=p.parent_sku,
                variant=p.variant,
            )
            for p in here
        ]
        name = o.settings.name
        o.plan = plan_connection(
            connection=name,
            platform=o.settings.platform,
            policy=o.settings.policy,
            items=items,
            known=known_before[name],
            remote=o.remote,
            master_stock=offered,
            catalog_skus=catalog_skus,
            reasons=reasons,
            caps={sku: cap for (c, sku), cap in observation.caps.items() if c == name},
            variants=o.connector.capabilities.variants,
            content_updates=o.connector.capabilities.content_updates,
            fingerprint=fingerprints.of,
        )
        problems = {sku: found for sku, (_, found) in shaped.items() if found}
        o.plan = with_blocked_creates(o.plan, o.connector, problems, facts)
        if persist and o.connector.capabilities.content_updates:
            baselines = {
                sku: fingerprints.of(shaped[sku][0])
                for sku, row in o.listings.items()
                if row.content_sent is None and sku in shaped
            }
            set_content_baselines(engine, name, baselines)
        o.blocked = {op.sku: list(op.blocked) for op in o.plan.operations if op.blocked}
    return Planned(settlements, master, offered, observation)


def product_rules(product: CatalogProduct) -> StockRules | None:
    """A product's own oversell rules from its catalog columns (None: it has none)."""
    if (
        product.stock_zero_at is None
        and product.stock_max is None
        and product.stock_share_pct is None
        and not product.stock_last_units_to
    ):
        return None
    return StockRules(
        stock_zero_at=product.stock_zero_at,
        stock_last_units_to=product.stock_last_units_to or None,
        stock_max=product.stock_max,
        stock_share_pct=product.stock_share_pct,
    )


def with_blocked_creates(
    plan: ConnectionPlan,
    connector: Connector,
    problems: Mapping[str, list[str]],
    facts: PlatformFacts | None = None,
) -> ConnectionPlan:
    """The plan with every create the platform would refuse marked blocked (never sent).

    The connector says what it lacks (a category, a logistics channel); ``problems``
    holds the mandatory attributes missing, per SKU (for a create of variants, those of
    each variant); ``facts`` the category's limits (images, lengths, variants).
    """
    ops = []
    for op in plan.operations:
        if op.action is Action.CREATE:
            draft = draft_from_dict(dict(op.desired["listing"]))
            skus = [str(s) for s in op.desired.get("variant_skus", ())] or [op.sku]
            found = list(connector.missing_for_create(draft))
            if facts is not None:
                found.extend(p for p in create_problems(draft, facts) if p not in found)
            for sku in skus:
                found.extend(p for p in problems.get(sku, ()) if p not in found)
            if found:
                op = replace(op, blocked=tuple(found))
        ops.append(op)
    return replace(plan, operations=tuple(ops))


def _seen(o: OpenConnection) -> SeenConnection:
    assert o.remote is not None
    by_sku = index_remote(o.remote, {})
    remote_ids = {r.remote_id for r in o.remote}
    missing = [sku for sku, row in o.listings.items() if row.remote_id not in remote_ids]
    statuses = {
        sku: by_sku[sku].status.value
        for sku, row in o.listings.items()
        if sku in by_sku and by_sku[sku].remote_id == row.remote_id
    }
    return SeenConnection(
        connection=o.settings.name,
        platform=o.settings.platform,
        listings=o.listings,
        missing=missing,
        statuses=statuses,
        cursor_watermark=o.orders_until,
        tracking_since=o.tracking_since,
    )


def _resolve_other_writes(engine: Engine, o: OpenConnection) -> None:
    """Price and status writes a dead run sent: did they land? The platform says."""
    left = started_writes(engine, o.settings.name)
    if not left or o.remote is None:
        return
    by_id = {r.remote_id: r for r in o.remote}
    decided: dict[int, tuple[OpStatus, str]] = {}
    for op_id, sku, action, to_value in left:
        row = o.listings.get(sku)
        remote = by_id.get(row.remote_id) if row is not None else None
        if remote is None:
            decided[op_id] = (OpStatus.NOT_LANDED, "listing not on the platform")
            continue
        if action == "update_content":  # a listing read does not show descriptions
            decided[op_id] = (
                OpStatus.UNCERTAIN,
                "content cannot be read back; it is sent again while the catalog differs",
            )
            continue
        if action == "update_price":
            landed = str(remote.price) == to_value
        elif action == "unlist":
            landed = remote.status is ListingStatus.UNLISTED
        else:
            landed = remote.status is ListingStatus.LIVE
        shown = remote.price if action == "update_price" else remote.status.value
        status = OpStatus.LANDED if landed else OpStatus.NOT_LANDED
        decided[op_id] = (status, f"platform shows {shown}")
    resolve_started(engine, o.settings.name, decided)
