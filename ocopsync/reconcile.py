"""Reconciliation: desired state + actual state -> a plan. Pure: no I/O, no clock.

Two steps, each a plain function over immutable records:

1. :func:`ocopsync.stock.settle` — platforms sell units between runs; each sale is
   booked into the master stock exactly once (from orders, or inferred from stock),
   and the new master stock is pushed everywhere.
2. :func:`plan_connection` — per connection, compare every product in its scope with
   the remote listings (matched by seller SKU = master SKU) and emit operations
   ``create | update_price | update_stock | unlist | relist | update_content``, plus
   adoptions (a remote listing with our SKU and no row of ours is adopted, never created
   twice) and orphans (remote SKUs the catalog does not know: reported, never touched).

Variants: catalog rows sharing a ``parent_sku`` are one listing on a platform that has
variants (``variants=True``). Each variant is matched, priced and stocked by its own
SKU like any product; only creating differs: the unlisted variants of a group become
one ``create`` of the group (``sku`` = the parent SKU), added to the group's existing
listing when a sibling is already listed. On a platform without variants each row is
its own listing, as before.

Content: what we last sent (``KnownListing.content_sent``, a fingerprint per field) is
compared with the catalog's; a field that differs becomes part of one
``update_content`` operation with the fields named (one per multi-variant listing, from
the group's first catalog row). A listing we never sent content to (adopted, or listed
before this was tracked) has no fingerprint: planning records the catalog's as its
baseline, and from then on a catalog change is sent. Reading every listing's
description and images back from each platform to compare would cost a request per
listing per run, for what the catalog already tells.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from ocopsync.content import CONTENT_FIELDS, content_of
from ocopsync.oversell import StockRules, listed_stock
from ocopsync.policy import Policy
from ocopsync.records import ListingDraft, ListingStatus, RemoteListing, Variant


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE_PRICE = "update_price"
    UPDATE_STOCK = "update_stock"
    UNLIST = "unlist"
    RELIST = "relist"
    UPDATE_CONTENT = "update_content"


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """A master product as reconcile sees it: what to list, and whether it may be listed."""

    draft: ListingDraft
    """Name, price and the rest at master values (price before the channel's policy)."""
    ineligible_reason: str | None = None
    """None when the product should be live on this connection."""
    stock_rules: StockRules | None = None
    """The product's own oversell rules (catalog columns), over the connection's."""
    parent_sku: str = ""
    """Set on a variant: the SKU its group is listed under."""
    variant: str = ""
    """The variant's label (``500 g``)."""

    @property
    def sku(self) -> str:
        return self.draft.sku


class KnownRow(Protocol):
    """What planning reads of a remembered row: a :class:`KnownListing`, or the run's
    own listing row as it stands (no copy per row: a national run holds 93,000)."""

    @property
    def sku(self) -> str: ...
    @property
    def remote_id(self) -> str: ...
    @property
    def last_price(self) -> int | None: ...
    @property
    def last_stock(self) -> int | None: ...
    @property
    def pending_stock(self) -> int | None: ...
    @property
    def content_sent(self) -> Mapping[str, str] | None: ...


@dataclass(frozen=True)
class KnownListing:
    """Our remembered row for one product on one connection."""

    sku: str
    remote_id: str
    last_price: int | None = None
    last_stock: int | None = None
    pending_stock: int | None = None
    """A stock write sent in a run that never recorded its outcome (crash)."""
    content_sent: Mapping[str, str] | None = None
    """Fingerprints of the content last sent (:func:`ocopsync.content.content_of`);
    None when we never sent any (an adopted listing)."""


@dataclass(frozen=True)
class PlannedOperation:
    """One write, complete: apply reads only this, and a saved plan is a list of these.

    ``from_value``/``to_value`` are for people; ``desired`` holds the typed values to
    set (``{"price": 49000}``, ``{"stock": 8}``, ``{"status": "unlisted"}``, or for a
    create ``{"listing": {...every field of the priced listing...}}``), and
    ``precondition`` what they were computed from (the remote value, the master stock),
    so a saved plan applied later can tell that the world moved under it.
    """

    connection: str
    platform: str
    sku: str
    action: Action
    from_value: int | str | None
    to_value: int | str | None
    remote_id: str = ""
    reason: str = ""
    desired: Mapping[str, Any] = field(default_factory=dict)
    precondition: Mapping[str, Any] = field(default_factory=dict)
    blocked: tuple[str, ...] = ()
    """What the platform needs to create it that the catalog or config lacks: never sent."""


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


def _index_remote(
    remote: Sequence[RemoteListing], known: Mapping[str, KnownRow]
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
    known: Mapping[str, KnownRow],
    remote: Sequence[RemoteListing],
    master_stock: Mapping[str, int],
    catalog_skus: frozenset[str] | set[str],
    reasons: Mapping[str, str] | None = None,
    caps: Mapping[str, int] | None = None,
    stock_rules: StockRules | None = None,
    variants: bool = False,
    content_updates: bool = False,
    fingerprint: Callable[[ListingDraft], dict[str, str]] = content_of,
) -> ConnectionPlan:
    """The operations that bring one connection to the desired state.

    ``items`` are the catalog products in this connection's scope; ``master_stock``
    is the settled master stock, less units held back by uncertain writes; ``reasons``
    explains stock moves (sales, drift) so the plan can say why a stock update is
    there; ``caps`` is the most this connection may be given per SKU (its stock fell
    with no order to explain it: never pushed back up until explained). ``variants``
    and ``content_updates`` are the connector's capabilities of those names;
    ``fingerprint`` fingerprints a draft's content (a run passes one
    :class:`~ocopsync.content.ContentMemo` to every connection's plan).
    """
    caps = caps or {}
    rules = stock_rules or policy.stock_rules()
    remote_by_sku, duplicates = _index_remote(remote, known)
    ops: list[PlannedOperation] = []
    adoptions: list[Adoption] = []
    unchanged = 0
    reasons = reasons or {}
    grouped: dict[str, list[tuple[CatalogItem, int, int, str, int]]] = {}
    """Unlisted variants per parent SKU: (item, price, stock, stock rule, master)."""
    content_groups: set[str] = set()
    """Listing groups already given an update_content (one per multi-variant listing)."""
    group_members: dict[str, list[CatalogItem]] = {}
    """The catalog rows of each variant group, in catalog order (the first gives content)."""
    for item in items:
        if item.parent_sku:
            group_members.setdefault(item.parent_sku, []).append(item)

    def op(
        sku: str,
        action: Action,
        frm: int | str | None,
        to: int | str | None,
        remote_id: str,
        reason: str,
        desired: Mapping[str, Any],
        precondition: Mapping[str, Any],
    ) -> None:
        ops.append(
            PlannedOperation(
                connection, platform, sku, action, frm, to, remote_id, reason, desired, precondition
            )
        )

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
                    {"status": ListingStatus.UNLISTED.value},
                    {"status": listing.status.value},
                )
            else:
                unchanged += 1
            continue
        price = policy.price(item.draft.price)
        master = master_stock.get(sku, item.draft.stock)
        stock, rule = listed_stock(master, rules.overridden_by(item.stock_rules), connection)
        if sku in caps and caps[sku] < stock:
            stock, rule = caps[sku], f"capped at {caps[sku]}: a drop no order explains"
        if listing is None and variants and item.parent_sku:
            grouped.setdefault(item.parent_sku, []).append((item, price, stock, rule, master))
            continue
        if listing is None:
            why = "listing vanished from the platform" if mine else "not listed yet"
            priced = {**asdict(item.draft), "price": price, "stock": stock}
            op(
                sku,
                Action.CREATE,
                None,
                f"{price} VND x {stock}",
                "",
                why,
                {"listing": priced, "stock_rule": rule},
                {"absent": True, "master": master},
            )
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
                {"status": ListingStatus.LIVE.value},
                {"status": listing.status.value},
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
                {"price": price},
                {"price": listing.price},
            )
        if listing.stock != stock:
            op(
                sku,
                Action.UPDATE_STOCK,
                listing.stock,
                stock,
                listing.remote_id,
                reasons.get(sku, "catalog stock or policy"),
                {"stock": stock, "stock_rule": rule},
                {"stock": listing.stock, "master": master},
            )
        if content_updates:
            family = group_members.get(item.parent_sku, [item])
            source = family[0]
            change = _content_change(source, listing, mine, content_groups, fingerprint)
            if change is not None:
                fields, wanted = change
                op(
                    sku,
                    Action.UPDATE_CONTENT,
                    None,
                    ", ".join(fields),
                    listing.remote_id,
                    "catalog content changed",
                    {
                        "fields": list(fields),
                        "listing": asdict(source.draft),
                        "content": wanted,
                        "siblings": [
                            i.sku for i in family if i.sku != sku and i.sku in remote_by_sku
                        ],
                    },
                    {"content_sent": dict(mine.content_sent or {}) if mine else {}},
                )
        if len(ops) == before:
            unchanged += 1

    for parent, members in grouped.items():
        siblings = [remote_by_sku[i.sku] for i in group_members[parent] if i.sku in remote_by_sku]
        group_remote_id = next((r.group_id for r in siblings if r.group_id), "")
        first = members[0][0].draft
        group = replace(
            first,
            sku=parent,
            price=min(p for _, p, _, _, _ in members),
            stock=sum(s for _, _, s, _, _ in members),
            variants=tuple(
                Variant(m.sku, m.variant, p, s, m.draft.weight_g, m.draft.barcode)
                for m, p, s, _, _ in members
            ),
            group_remote_id=group_remote_id,
        )
        labels = ", ".join(m.variant for m, _, _, _, _ in members)
        op(
            parent,
            Action.CREATE,
            None,
            f"{len(members)} variants ({labels})",
            group_remote_id,
            "variants not listed yet" if not group_remote_id else "new variants of a listing",
            {
                "listing": asdict(group),
                "stock_rule": "; ".join(sorted({r for _, _, _, r, _ in members})),
                "variant_skus": [m.sku for m, _, _, _, _ in members],
            },
            {"absent": True, "masters": {m.sku: ms for m, _, _, _, ms in members}},
        )

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


def _content_change(
    item: CatalogItem,
    listing: RemoteListing,
    mine: KnownRow | None,
    groups_done: set[str],
    fingerprint: Callable[[ListingDraft], dict[str, str]],
) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """The content fields to send to ``listing`` and the fingerprints they will have."""
    sent = mine.content_sent if mine is not None else None
    if not sent:
        return None
    wanted = fingerprint(item.draft)
    fields = tuple(f for f in CONTENT_FIELDS if sent.get(f) != wanted[f])
    if not fields:
        return None
    key = listing.group_id or listing.remote_id
    if key in groups_done:  # one content update per multi-variant listing
        return None
    groups_done.add(key)
    return fields, wanted
