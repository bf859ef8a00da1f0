"""Settling the master stock from what platforms sold: pure, so every rule has a table test.

Two sources of sales, one per connection (:class:`~ocopsync.records.SalesSource`):

**Orders.** Each order line is booked once by its ``(order_id, line_id)``: the line
takes ``quantity`` units off the master while active and gives them back once when
cancelled or returned. The stored ``booked`` figure of a line makes seeing it again
(overlapping read windows) book only the difference. A line created before ocopsync
began reading the shop's orders is recorded and never booked: the catalog's figure
already counts it. The stock a platform shows is then checked against what we expect
(what we last set minus what was booked since): above it is drift and is overwritten;
below it, with no order to explain the drop, is drift too, reported, and the stock
pushed there is capped at what it shows until an order explains it.

**Stock** (a platform without an orders API). ``sold = what we last set - what it
shows``, booked in the same transaction that makes the observed figure the new
baseline, so a crash can never count a sale twice.

**A write whose answer was lost** (the run died after sending it) is resolved by what is
observed. With orders, the two readings only move the expected figure. Without orders,
each reading gives a number of units sold (``from - shown`` if it did not land,
``to - shown`` if it did); when only one is possible it is taken; when both are, the
smaller is booked (never an un-sent restock booked as sales, never a sale counted
twice) and the difference is *held*: kept in the master, pushed to no platform (so it
cannot oversell), and shown as uncertain with both readings until a person decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ocopsync.records import Move, OpStatus, OrderLine, OrderLineStatus, RemoteListing, SalesSource


@dataclass(frozen=True, slots=True)
class ListingState:
    """Our remembered row for one product on one connection, as settlement needs it."""

    sku: str
    remote_id: str
    last_stock: int | None = None
    """The stock we last set there (or observed, for adopted and inferred listings)."""
    booked_since_push: int = 0
    pending_stock: int | None = None
    pending_op_id: int | None = None
    pending_booked_base: int = 0
    uncertain_units: int = 0
    uncertain_detail: str = ""


@dataclass(frozen=True)
class BookedLine:
    """An order line already recorded: what it has taken off the master."""

    status: str
    quantity: int
    booked: int


@dataclass(frozen=True)
class LostCreate:
    """A create sent by a run that died before its answer: the stock it was sent with."""

    op_id: int
    stock: int


@dataclass(frozen=True)
class ConnectionObservation:
    """Everything one connection showed in this run, with what we remembered of it."""

    connection: str
    platform: str
    source: SalesSource
    listings: Mapping[str, ListingState]
    remote: Sequence[RemoteListing]
    lines: Sequence[OrderLine] = ()
    booked: Mapping[tuple[str, str], BookedLine] = field(default_factory=dict)
    tracking_since: datetime | None = None
    lost_creates: Mapping[str, LostCreate] = field(default_factory=dict)


@dataclass(frozen=True)
class LineWrite:
    """An order line to insert (``is_new``) or update, with what it now has booked."""

    connection: str
    platform: str
    line: OrderLine
    booked: int
    is_new: bool


@dataclass(frozen=True)
class Resolution:
    """How an operation of a dead run turned out."""

    op_id: int
    status: OpStatus
    detail: str = ""


@dataclass
class StockSettlement:
    """How and why one SKU's master stock moves in this run."""

    sku: str
    master_before: int
    master_after: int
    sold: dict[str, int] = field(default_factory=dict)
    """Units booked as sold per connection (orders or inferred)."""
    returned: dict[str, int] = field(default_factory=dict)
    """Units given back per connection (cancelled or returned lines)."""
    drift: dict[str, int] = field(default_factory=dict)
    """Units a connection shows above what we expect (overwritten)."""
    unexplained: dict[str, int] = field(default_factory=dict)
    """Units gone from a connection with no order to explain them (not pushed back up)."""
    uncertain: dict[str, str] = field(default_factory=dict)
    """Per connection: the two readings of a lost write the evidence cannot decide."""
    held: int = 0
    """Units kept back from every platform until a person resolves an uncertain write."""

    @property
    def changed(self) -> bool:
        return self.master_after != self.master_before

    @property
    def noteworthy(self) -> bool:
        return bool(self.changed or self.drift or self.unexplained or self.uncertain or self.held)


@dataclass
class Observation:
    """What settlement decided: the moves, rows to write, and the caps for the plan."""

    moves: list[Move] = field(default_factory=list)
    lines: list[LineWrite] = field(default_factory=list)
    listings: dict[tuple[str, str], ListingState] = field(default_factory=dict)
    """Rows to write, by (connection, sku); ``adopted`` ones are new or re-pointed."""
    adopted: set[tuple[str, str]] = field(default_factory=set)
    resolutions: list[Resolution] = field(default_factory=list)
    caps: dict[tuple[str, str], int] = field(default_factory=dict)
    """Most stock a connection may be given for a SKU (an unexplained drop there)."""
    settlements: dict[str, StockSettlement] = field(default_factory=dict)
    master_after: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    """Units held back per SKU, over every connection (uncertain writes)."""


def latest_lines(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """One line per ``(order_id, line_id)``: the most recently updated, when seen twice."""
    best: dict[tuple[str, str], OrderLine] = {}
    for line in lines:
        key = (line.order_id, line.line_id)
        seen = best.get(key)
        if seen is None or line.updated_at >= seen.updated_at:
            best[key] = line
    return list(best.values())


def index_remote(
    remote: Sequence[RemoteListing], known: Mapping[str, ListingState]
) -> dict[str, RemoteListing]:
    """Remote listings by seller SKU; when a SKU appears twice, the one we know wins."""
    by_sku: dict[str, RemoteListing] = {}
    for listing in remote:
        sku = listing.seller_sku
        if not sku:
            continue
        if sku in by_sku:
            mine = known.get(sku)
            if mine is not None and listing.remote_id == mine.remote_id:
                by_sku[sku] = listing
            continue
        by_sku[sku] = listing
    return by_sku


class _Settler:
    def __init__(self, master: Mapping[str, int], held: Mapping[str, int], run_id: int | None):
        self.master = master
        self.run_id = run_id
        self.out = Observation(held={k: v for k, v in held.items() if v})
        self.delta: dict[str, int] = {}

    def settlement(self, sku: str) -> StockSettlement:
        found = self.out.settlements.get(sku)
        if found is None:
            found = StockSettlement(sku, self.master[sku], self.master[sku])
            self.out.settlements[sku] = found
        return found

    def move(self, obs: ConnectionObservation, sku: str, delta: int, kind: str, ref: str) -> None:
        if delta == 0:
            return
        self.out.moves.append(Move(sku, delta, kind, obs.connection, ref, self.run_id))
        self.delta[sku] = self.delta.get(sku, 0) + delta
        s = self.settlement(sku)
        s.master_after += delta
        if delta < 0:
            s.sold[obs.connection] = s.sold.get(obs.connection, 0) - delta
        else:
            s.returned[obs.connection] = s.returned.get(obs.connection, 0) + delta

    def hold(self, obs: ConnectionObservation, state: ListingState, units: int, why: str) -> None:
        self.out.held[state.sku] = self.out.held.get(state.sku, 0) + units
        s = self.settlement(state.sku)
        s.uncertain[obs.connection] = why


def settle(
    master: Mapping[str, int],
    observations: Sequence[ConnectionObservation],
    *,
    held: Mapping[str, int] | None = None,
    run_id: int | None = None,
) -> Observation:
    """Book every sale the connections show, exactly once, and say what to write.

    ``master`` is the master stock of every catalog SKU; ``held`` the units already held
    back per SKU by earlier uncertain writes.
    """
    settler = _Settler(master, held or {}, run_id)
    for obs in observations:
        booked_here = _book_orders(settler, obs) if obs.source is SalesSource.ORDERS else {}
        by_sku = index_remote(obs.remote, obs.listings)
        for sku, remote in by_sku.items():
            if sku not in master:
                continue
            state = obs.listings.get(sku)
            if state is None or state.remote_id != remote.remote_id:
                _adopt(settler, obs, sku, remote)
            elif obs.source is SalesSource.ORDERS:
                _observe_with_orders(settler, obs, state, remote, booked_here.get(sku, 0))
            else:
                _observe_inferred(settler, obs, state, remote)
    for s in settler.out.settlements.values():
        s.held = settler.out.held.get(s.sku, 0)
    settler.out.master_after = {
        sku: stock + settler.delta.get(sku, 0) for sku, stock in master.items()
    }
    return settler.out


def _book_orders(settler: _Settler, obs: ConnectionObservation) -> dict[str, int]:
    """Fold this connection's order lines into the master; units booked per SKU."""
    booked_here: dict[str, int] = {}
    for line in latest_lines(obs.lines):
        key = (line.order_id, line.line_id)
        before = obs.booked.get(key)
        predates = obs.tracking_since is not None and line.created_at < obs.tracking_since
        known_sku = line.seller_sku in settler.master
        active = line.status is OrderLineStatus.ACTIVE
        target = line.quantity if active and known_sku and not predates else 0
        already = before.booked if before else 0
        unchanged = (
            before is not None
            and before.status == line.status.value
            and before.quantity == line.quantity
            and already == target
        )
        if unchanged:
            continue
        settler.out.lines.append(
            LineWrite(obs.connection, obs.platform, line, target, is_new=before is None)
        )
        change = target - already
        if change and known_sku:
            ref = f"{line.order_id}/{line.line_id}"
            settler.move(obs, line.seller_sku, -change, "order", ref)
            booked_here[line.seller_sku] = booked_here.get(line.seller_sku, 0) + change
    return booked_here


def _adopt(settler: _Settler, obs: ConnectionObservation, sku: str, remote: RemoteListing) -> None:
    """A listing with our SKU and no row of ours (or a row pointing elsewhere): adopt it.

    Its baseline is what it shows, unless a dead run's create explains it: then, without
    orders, what it was created with minus what it shows was sold there.
    """
    lost = obs.lost_creates.get(sku)
    baseline = remote.stock
    if lost is not None:
        settler.out.resolutions.append(
            Resolution(lost.op_id, OpStatus.LANDED, f"found on the platform as {remote.remote_id}")
        )
        if obs.source is SalesSource.STOCK and remote.stock <= lost.stock:
            settler.move(obs, sku, remote.stock - lost.stock, "inferred", f"create {lost.op_id}")
    previous = obs.listings.get(sku)
    state = ListingState(
        sku=sku,
        remote_id=remote.remote_id,
        last_stock=baseline,
        uncertain_units=previous.uncertain_units if previous else 0,
        uncertain_detail=previous.uncertain_detail if previous else "",
    )
    settler.out.listings[(obs.connection, sku)] = state
    settler.out.adopted.add((obs.connection, sku))


def _observe_with_orders(
    settler: _Settler,
    obs: ConnectionObservation,
    state: ListingState,
    remote: RemoteListing,
    booked_now: int,
) -> None:
    shown = remote.stock
    booked = state.booked_since_push + booked_now
    last = state.last_stock if state.last_stock is not None else shown
    same = booked == state.booked_since_push and last == state.last_stock
    new = state if same else replace(state, booked_since_push=booked, last_stock=last)
    expected = last - booked
    if state.pending_stock is not None:
        landed = state.pending_stock - (booked - state.pending_booked_base)
        if shown == landed or landed == expected:
            status, detail = OpStatus.LANDED, f"platform shows {shown}"
            new = replace(new, last_stock=state.pending_stock, booked_since_push=landed_booked(new))
            expected = landed
        elif shown == expected:
            status, detail = OpStatus.NOT_LANDED, f"platform shows {shown}"
        else:
            # Neither reading fits: go on from the higher one, so a drop below it is never
            # pushed back up.
            status = OpStatus.UNCERTAIN
            detail = f"platform shows {shown}; expected {landed} if it landed, {expected} if not"
            if landed > expected:
                new = replace(
                    new, last_stock=state.pending_stock, booked_since_push=landed_booked(new)
                )
                expected = landed
        if state.pending_op_id is not None:
            settler.out.resolutions.append(Resolution(state.pending_op_id, status, detail))
        new = replace(new, pending_stock=None, pending_op_id=None, pending_booked_base=0)
    if shown > expected:
        settler.settlement(state.sku).drift[obs.connection] = shown - expected
    elif shown < expected:
        settler.settlement(state.sku).unexplained[obs.connection] = expected - shown
        settler.out.caps[(obs.connection, state.sku)] = shown
    if new != state:
        settler.out.listings[(obs.connection, state.sku)] = new


def landed_booked(state: ListingState) -> int:
    """Units booked since a write that landed: those booked after it was sent."""
    return state.booked_since_push - state.pending_booked_base


def _observe_inferred(
    settler: _Settler, obs: ConnectionObservation, state: ListingState, remote: RemoteListing
) -> None:
    shown = remote.stock
    sku = state.sku
    new = replace(state, last_stock=shown, booked_since_push=0)
    ref = f"observed {shown}"
    if state.pending_stock is None:
        if state.last_stock is not None and shown < state.last_stock:
            settler.move(obs, sku, shown - state.last_stock, "inferred", ref)
        elif state.last_stock is not None and shown > state.last_stock:
            settler.settlement(sku).drift[obs.connection] = shown - state.last_stock
    else:
        sent_to = state.pending_stock
        sent_from = state.last_stock if state.last_stock is not None else sent_to
        if_not = sent_from - shown
        if_landed = sent_to - shown
        status, detail = OpStatus.LANDED, f"platform shows {shown}"
        sold = 0
        if sent_from == sent_to:
            sold = max(0, if_landed)
        elif if_not >= 0 and if_landed >= 0:
            status = OpStatus.UNCERTAIN
            sold = min(if_not, if_landed)
            units = abs(sent_to - sent_from)
            detail = (
                f"stock write {sent_from} -> {sent_to} lost; platform shows {shown}: "
                f"{if_landed} sold if it landed, {if_not} if not; {units} held"
            )
            new = replace(
                new,
                uncertain_units=state.uncertain_units + units,
                uncertain_detail=detail,
            )
            settler.hold(obs, state, units, detail)
        elif if_landed >= 0:
            sold = if_landed  # only landing explains it without someone adding stock
        elif if_not >= 0:
            status, sold = OpStatus.NOT_LANDED, if_not
        else:
            status = OpStatus.UNCERTAIN
            detail = f"platform shows {shown}, above both {sent_from} and {sent_to}"
            settler.settlement(sku).drift[obs.connection] = shown - max(sent_from, sent_to)
        settler.move(obs, sku, -sold, "inferred", ref)
        if state.pending_op_id is not None:
            settler.out.resolutions.append(Resolution(state.pending_op_id, status, detail))
        new = replace(new, pending_stock=None, pending_op_id=None, pending_booked_base=0)
    if new != state:
        settler.out.listings[(obs.connection, sku)] = new


def stock_reason(settlement: StockSettlement, platforms: Mapping[str, str]) -> str:
    """A person's sentence for why a SKU's stock moves: "sold 3 on shopee, 5 on lazada"."""

    def per(counts: Mapping[str, int], sign: str = "") -> str:
        return ", ".join(f"{sign}{n} on {platforms.get(c, c)}" for c, n in sorted(counts.items()))

    parts = []
    if settlement.sold:
        parts.append(f"sold {per(settlement.sold)}")
    if settlement.returned:
        parts.append(f"given back {per(settlement.returned)}")
    if settlement.drift:
        parts.append(f"drift {per(settlement.drift, '+')} overwritten")
    if settlement.unexplained:
        parts.append(f"unexplained drop {per(settlement.unexplained, '-')} (not pushed back up)")
    if settlement.uncertain:
        parts.append(f"uncertain on {', '.join(sorted(settlement.uncertain))}")
    if settlement.held:
        parts.append(f"{settlement.held} held until resolved")
    return "; ".join(parts) or "catalog stock or policy"
