"""Reconciliation: desired state + actual state -> a plan. Pure: no I/O, no clock.

Two steps, each a plain function over immutable records:

1. :func:`settle_stock` — platforms sell units between runs. For every listing we
   remember the stock we last pushed; ``sold = max(0, last_pushed - remote)`` per
   platform, the master stock drops by the sum (never below zero), and the new master
   stock is pushed everywhere. A remote stock above what we pushed is drift: it is
   overwritten and reported, never added to the master.
2. :func:`plan_connection` — per connection, compare every product in its scope with
   the remote listings (matched by seller SKU = master SKU) and emit operations
   ``create | update_price | update_stock | unlist | relist``, plus adoptions (a
   remote listing with our SKU and no row of ours is adopted, never created twice)
   and orphans (remote SKUs the catalog does not know: reported, never touched).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ocopsync.connectors.base import ListingDraft, ListingStatus, RemoteListing
from ocopsync.policy import Policy


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE_PRICE = "update_price"
    UPDATE_STOCK = "update_stock"
    UNLIST = "unlist"
    RELIST = "relist"


@dataclass(frozen=True)
class CatalogItem:
    """A master product as reconcile sees it: what to list, and whether it may be listed."""

    draft: ListingDraft
    """Name, price and the rest at master values (price before the channel's policy)."""
    ineligible_reason: str | None = None
    """None when the product should be live on this connection."""

    @property
    def sku(self) -> str:
        return self.draft.sku


@dataclass(frozen=True)
class KnownListing:
    """Our remembered row for one product on one connection."""

    sku: str
    remote_id: str
    last_price: int | None = None
    last_stock: int | None = None
    pending_stock: int | None = None
    """A stock write sent in a run that never recorded its outcome (crash)."""


@dataclass(frozen=True)
class StockObservation:
    """One listing's remembered and observed stock, input of :func:`settle_stock`."""

    connection: str
    sku: str
    last_pushed: int | None
    remote: int
    pending: int | None = None


@dataclass(frozen=True)
class StockSettlement:
    """How the master stock of one SKU moves because platforms sold units."""

    sku: str
    master_before: int
    master_after: int
    sold: Mapping[str, int] = field(default_factory=dict)
    """Units sold per connection since our last push."""
    drift: Mapping[str, int] = field(default_factory=dict)
    """Units a connection shows above what we pushed (changed outside ocopsync)."""
    uncertain: tuple[str, ...] = ()
    """Connections whose last stock write has no recorded outcome."""

    @property
    def changed(self) -> bool:
        return self.master_after != self.master_before


@dataclass(frozen=True)
class PlannedOperation:
    connection: str
    platform: str
    sku: str
    action: Action
    from_value: int | str | None
    to_value: int | str | None
    remote_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Adoption:
    connection: str
    platform: str
    sku: str
    remote_id: str


@dataclass(frozen=True)
class Orphan:
    connection: str
    platform: str
    seller_sku: str
    remote_id: str
    name: str


@dataclass(frozen=True)
class ConnectionPlan:
    connection: str
    platform: str
    operations: tuple[PlannedOperation, ...] = ()
    adoptions: tuple[Adoption, ...] = ()
    orphans: tuple[Orphan, ...] = ()
    unchanged: int = 0
    """Products considered that need nothing: the explicit no-op."""
    duplicates: tuple[str, ...] = ()
    """SKUs listed more than once on the platform (reported; the one we know is used)."""


def settle_stock(
    master: Mapping[str, int], observations: Iterable[StockObservation]
) -> dict[str, StockSettlement]:
    """Subtract what every platform sold since our last push from the master stock.

    A listing we never pushed stock to (``last_pushed`` None, e.g. just adopted) sold
    nothing we can know of. When a write's outcome is unknown (``pending``), the higher
    of the two possible baselines is used: it may count a few units as sold that were
    not, but it never leaves the master believing in units that are gone (oversell).
    """
    sold: dict[str, dict[str, int]] = {}
    drift: dict[str, dict[str, int]] = {}
    uncertain: dict[str, list[str]] = {}
    for obs in observations:
        baseline = obs.last_pushed
        if obs.pending is not None:
            baseline = obs.pending if baseline is None else max(baseline, obs.pending)
            uncertain.setdefault(obs.sku, []).append(obs.connection)
        if baseline is None:
            continue
        if obs.remote < baseline:
            sold.setdefault(obs.sku, {})[obs.connection] = baseline - obs.remote
        elif obs.remote > baseline:
            drift.setdefault(obs.sku, {})[obs.connection] = obs.remote - baseline
    result: dict[str, StockSettlement] = {}
    for sku in sorted(set(sold) | set(drift) | set(uncertain)):
        if sku not in master:
            continue
        before = master[sku]
        after = max(0, before - sum(sold.get(sku, {}).values()))
        result[sku] = StockSettlement(
            sku=sku,
            master_before=before,
            master_after=after,
            sold=dict(sold.get(sku, {})),
            drift=dict(drift.get(sku, {})),
            uncertain=tuple(uncertain.get(sku, ())),
        )
    return result


def settled_master(
    master: Mapping[str, int], settlements: Mapping[str, StockSettlement]
) -> dict[str, int]:
    return {
        sku: settlements[sku].master_after if sku in settlements else s for sku, s in master.items()
    }


def _index_remote(
    remote: Sequence[RemoteListing], known: Mapping[str, KnownListing]
) -> tuple[dict[str, RemoteListing], tuple[str, ...]]:
    """Remote listings by seller SKU; when a SKU appears twice, prefer the one we know."""
    by_sku: dict[str, RemoteListing] = {}
    dupes: set[str] = set()
    for listing in remote:
        sku = listing.seller_sku
        if not sku:
            continue
        if sku in by_sku:
            dupes.add(sku)
            mine = known.get(sku)
            if mine is not None and listing.remote_id == mine.remote_id:
                by_sku[sku] = listing
            continue
        by_sku[sku] = listing
    return by_sku, tuple(sorted(dupes))


def plan_connection(
    *,
    connection: str,
    platform: str,
    policy: Policy,
    items: Sequence[CatalogItem],
    known: Mapping[str, KnownListing],
    remote: Sequence[RemoteListing],
    master_stock: Mapping[str, int],
    catalog_skus: frozenset[str] | set[str],
    reasons: Mapping[str, str] | None = None,
) -> ConnectionPlan:
    """The operations that bring one connection to the desired state.

    ``items`` are the catalog products in this connection's scope; ``master_stock``
    is the settled master stock; ``reasons`` explains stock moves (sales, drift) so
    the plan can say why a stock update is there.
    """
    remote_by_sku, duplicates = _index_remote(remote, known)
    ops: list[PlannedOperation] = []
    adoptions: list[Adoption] = []
    unchanged = 0
    reasons = reasons or {}

    def op(
        sku: str,
        action: Action,
        frm: int | str | None,
        to: int | str | None,
        remote_id: str = "",
        reason: str = "",
    ) -> None:
        ops.append(PlannedOperation(connection, platform, sku, action, frm, to, remote_id, reason))

    for item in items:
        sku = item.sku
        listing = remote_by_sku.get(sku)
        mine = known.get(sku)
        if listing is not None and (mine is None or mine.remote_id != listing.remote_id):
            adoptions.append(Adoption(connection, platform, sku, listing.remote_id))
        if item.ineligible_reason is not None:
            if listing is not None and listing.status in (
                ListingStatus.LIVE,
                ListingStatus.PENDING,
            ):
                op(
                    sku,
                    Action.UNLIST,
                    listing.status.value,
                    ListingStatus.UNLISTED.value,
                    listing.remote_id,
                    item.ineligible_reason,
                )
            else:
                unchanged += 1
            continue
        price = policy.price(item.draft.price)
        stock = policy.stock(master_stock.get(sku, item.draft.stock))
        if listing is None:
            why = "listing vanished from the platform" if mine else "not listed yet"
            op(sku, Action.CREATE, None, f"{price} VND x {stock}", "", why)
            continue
        before = len(ops)
        if listing.status is ListingStatus.UNLISTED:
            op(
                sku,
                Action.RELIST,
                listing.status.value,
                ListingStatus.LIVE.value,
                listing.remote_id,
                "eligible again",
            )
        if listing.price != price:
            drifted = (
                mine is not None
                and mine.last_price is not None
                and (listing.price != mine.last_price)
            )
            op(
                sku,
                Action.UPDATE_PRICE,
                listing.price,
                price,
                listing.remote_id,
                "drift: price changed outside ocopsync" if drifted else "catalog price or policy",
            )
        if listing.stock != stock:
            op(
                sku,
                Action.UPDATE_STOCK,
                listing.stock,
                stock,
                listing.remote_id,
                reasons.get(sku, "catalog stock or policy"),
            )
        if len(ops) == before:
            unchanged += 1

    orphans = tuple(
        Orphan(connection, platform, r.seller_sku, r.remote_id, r.name)
        for r in remote
        if r.seller_sku not in catalog_skus
    )
    return ConnectionPlan(
        connection=connection,
        platform=platform,
        operations=tuple(ops),
        adoptions=tuple(adoptions),
        orphans=orphans,
        unchanged=unchanged,
        duplicates=duplicates,
    )


def stock_reason(settlement: StockSettlement, platforms: Mapping[str, str]) -> str:
    """A person's sentence for why a SKU's stock moves: "sold 3 on shopee, 5 on lazada"."""
    parts = [f"{n} on {platforms.get(c, c)}" for c, n in sorted(settlement.sold.items())]
    text = f"sold {', '.join(parts)}" if parts else ""
    if settlement.drift:
        drift = ", ".join(
            f"+{n} on {platforms.get(c, c)}" for c, n in sorted(settlement.drift.items())
        )
        text = f"{text}; drift {drift}" if text else f"drift {drift} overwritten"
    return text or "stock write outcome unknown"
