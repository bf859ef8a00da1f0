"""Every stock-settlement rule as a table: what platforms show and sold -> master moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocopsync.connectors.base import ListingStatus, OrderLine, OrderLineStatus, RemoteListing
from ocopsync.records import OpStatus, SalesSource
from ocopsync.stock import (
    BookedLine,
    ConnectionObservation,
    ListingState,
    LostCreate,
    latest_lines,
    settle,
    stock_reason,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ACTIVE, CANCELLED, RETURNED = (
    OrderLineStatus.ACTIVE,
    OrderLineStatus.CANCELLED,
    OrderLineStatus.RETURNED,
)


def shown(sku: str, stock: int, rid: str | None = None) -> RemoteListing:
    return RemoteListing(rid or f"r-{sku}", sku, sku, 1000, stock, ListingStatus.LIVE)


def state(sku: str, last: int | None, **kw: int | None) -> ListingState:
    return ListingState(sku, f"r-{sku}", last, **kw)  # type: ignore[arg-type]


def line(
    order: str, qty: int, status: OrderLineStatus = ACTIVE, sku: str = "A", minutes: int = 10
) -> OrderLine:
    at = T0 + timedelta(minutes=minutes)
    return OrderLine(order, f"{order}-1", sku, qty, status, at, at)


def by_orders(listings, remote, lines=(), booked=None, conn="shopee", tracking=T0, **kw):
    return ConnectionObservation(
        conn,
        conn,
        SalesSource.ORDERS,
        listings,
        remote,
        lines,
        booked or {},
        tracking,
        **kw,
    )


def by_stock(listings, remote, conn="voso", **kw):
    return ConnectionObservation(conn, conn, SalesSource.STOCK, listings, remote, **kw)


# --- inferred from stock ------------------------------------------------------------


def test_design_card_example_sales_on_two_platforms():
    # master 100 pushed to Shopee and Lazada; Shopee sells 3, Lazada 5 -> master 92.
    out = settle(
        {"A": 100},
        [
            by_stock({"A": state("A", 100)}, [shown("A", 97)], conn="shopee"),
            by_stock({"A": state("A", 100)}, [shown("A", 95)], conn="lazada"),
        ],
    )
    assert out.master_after == {"A": 92}
    assert out.settlements["A"].sold == {"shopee": 3, "lazada": 5}
    # the observed figures become the new baselines, in the same write as the sales
    assert out.listings[("shopee", "A")].last_stock == 97
    assert out.listings[("lazada", "A")].last_stock == 95


@pytest.mark.parametrize(
    ("last", "remote", "master_after", "sold", "drift"),
    [
        (10, 10, 10, {}, {}),  # nothing sold
        (10, 7, 7, {"voso": 3}, {}),  # 3 sold
        (10, 15, 10, {}, {"voso": 5}),  # drift above: overwritten, never added
        (None, 3, 10, {}, {}),  # never pushed (e.g. an old row): baseline only
    ],
)
def test_inferred_sales_table(last, remote, master_after, sold, drift):
    out = settle({"A": 10}, [by_stock({"A": state("A", last)}, [shown("A", remote)])])
    assert out.master_after["A"] == master_after
    s = out.settlements.get("A")
    assert (s.sold if s else {}) == sold
    assert (s.drift if s else {}) == drift


def test_oversold_stays_in_the_ledger_so_no_unit_is_lost():
    out = settle(
        {"A": 4},
        [
            by_stock({"A": state("A", 4)}, [shown("A", 0)], conn="c1"),
            by_stock({"A": state("A", 4)}, [shown("A", 0)], conn="c2"),
        ],
    )
    assert out.master_after["A"] == -4  # 8 sold of 4: the shortfall is kept, not hidden


def test_adopted_listing_takes_what_it_shows_as_its_baseline():
    out = settle({"A": 10}, [by_stock({}, [shown("A", 6)])])
    assert out.listings[("voso", "A")].last_stock == 6
    assert ("voso", "A") in out.adopted
    assert out.master_after["A"] == 10


def test_adopted_after_a_lost_create_counts_what_sold_since():
    out = settle({"A": 10}, [by_stock({}, [shown("A", 6)], lost_creates={"A": LostCreate(7, 8)})])
    assert out.master_after["A"] == 8  # created with 8, shows 6: 2 sold
    assert [(r.op_id, r.status) for r in out.resolutions] == [(7, OpStatus.LANDED)]


# A write from -> to was sent and its answer lost; the platform now shows `remote`.
@pytest.mark.parametrize(
    ("sent_from", "sent_to", "remote", "sold", "held", "status"),
    [
        (10, 7, 7, 0, 3, OpStatus.UNCERTAIN),  # landed and none sold, or 3 sold: hold 3
        (10, 7, 9, 1, 0, OpStatus.NOT_LANDED),  # only "not landed" fits: 1 sold
        (10, 7, 5, 2, 3, OpStatus.UNCERTAIN),  # 2 or 5 sold: book 2, hold 3
        (0, 50, 0, 0, 50, OpStatus.UNCERTAIN),  # restock: never booked as 50 sold
        (0, 50, 30, 20, 0, OpStatus.LANDED),  # only landing explains 30
        (10, 10, 8, 2, 0, OpStatus.LANDED),  # same figure: no doubt
        (4, 12, 9, 3, 0, OpStatus.LANDED),  # the audit's case: 3 sold, not 16
    ],
)
def test_a_lost_stock_write_without_orders(sent_from, sent_to, remote, sold, held, status):
    st = state("A", sent_from, pending_stock=sent_to, pending_op_id=5)
    out = settle({"A": 40}, [by_stock({"A": st}, [shown("A", remote)])])
    assert out.master_after["A"] == 40 - sold
    assert out.held.get("A", 0) == held
    assert [(r.op_id, r.status) for r in out.resolutions] == [(5, status)]
    row = out.listings[("voso", "A")]
    assert row.pending_stock is None and row.last_stock == remote
    assert row.uncertain_units == held


def test_held_units_add_up_over_connections():
    st = state("A", 10, pending_stock=7, pending_op_id=1)
    out = settle({"A": 10}, [by_stock({"A": st}, [shown("A", 7)])], held={"A": 2})
    assert out.held["A"] == 5
    assert "held" in stock_reason(out.settlements["A"], {})


# --- from orders --------------------------------------------------------------------


def test_an_order_is_booked_once_and_explains_the_drop():
    out = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 7)], [line("o1", 3)])])
    assert out.master_after["A"] == 7
    assert out.listings[("shopee", "A")].booked_since_push == 3
    assert out.settlements["A"].unexplained == {} and out.caps == {}


def test_an_order_seen_again_in_an_overlapping_window_books_nothing():
    booked = {("o1", "o1-1"): BookedLine("active", 3, 3)}
    st = state("A", 10, booked_since_push=3)
    out = settle({"A": 7}, [by_orders({"A": st}, [shown("A", 7)], [line("o1", 3)], booked)])
    assert out.master_after["A"] == 7 and out.moves == [] and out.lines == []


def test_a_line_seen_twice_in_one_read_counts_once():
    lines = [line("o1", 3, minutes=5), line("o1", 3, CANCELLED, minutes=9), line("o1", 3)]
    assert [ln.status for ln in latest_lines(lines)] == [ACTIVE]  # the latest update wins
    out = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 7)], lines)])
    assert out.master_after["A"] == 7


@pytest.mark.parametrize("status", [CANCELLED, RETURNED])
def test_a_cancelled_or_returned_line_gives_its_units_back_once(status):
    booked = {("o1", "o1-1"): BookedLine("active", 3, 3)}
    st = state("A", 10, booked_since_push=3)
    first = settle(
        {"A": 7}, [by_orders({"A": st}, [shown("A", 10)], [line("o1", 3, status)], booked)]
    )
    assert first.master_after["A"] == 10
    assert first.settlements["A"].returned == {"shopee": 3}
    booked = {("o1", "o1-1"): BookedLine(status.value, 3, 0)}
    st = first.listings[("shopee", "A")]
    again = settle(
        {"A": 10}, [by_orders({"A": st}, [shown("A", 10)], [line("o1", 3, status)], booked)]
    )
    assert again.master_after["A"] == 10 and again.moves == []


def test_an_order_placed_and_cancelled_between_runs_books_nothing():
    out = settle(
        {"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 10)], [line("o1", 3, CANCELLED)])]
    )
    assert out.master_after["A"] == 10 and len(out.lines) == 1 and out.lines[0].booked == 0


def test_an_order_before_tracking_began_is_recorded_never_booked():
    old = line("o0", 2, minutes=-60)
    out = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 10)], [old])])
    assert out.master_after["A"] == 10 and out.lines[0].booked == 0


def test_a_drop_no_order_explains_is_drift_and_never_pushed_back_up():
    out = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 6)])])
    assert out.master_after["A"] == 10  # not booked as sales
    assert out.settlements["A"].unexplained == {"shopee": 4}
    assert out.caps == {("shopee", "A"): 6}
    # the order shows up in the next read: explained, booked, cap gone
    later = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 6)], [line("o9", 4)])])
    assert later.master_after["A"] == 6 and later.caps == {}


def test_a_stock_above_what_we_expect_is_overwritten():
    out = settle({"A": 10}, [by_orders({"A": state("A", 10)}, [shown("A", 12)])])
    assert out.settlements["A"].drift == {"shopee": 2} and out.caps == {}


def test_an_order_for_a_sku_outside_the_catalog_is_recorded_not_booked():
    out = settle({"A": 10}, [by_orders({}, [], [line("o1", 2, sku="ZZ")])])
    assert out.moves == [] and out.lines[0].booked == 0


@pytest.mark.parametrize(
    ("remote", "status", "last_stock"),
    [
        (6, OpStatus.LANDED, 7),  # the write of 7 landed, 1 sold after it (booked)
        (9, OpStatus.NOT_LANDED, 10),  # still 10 less the 1 booked
    ],
)
def test_a_lost_write_with_orders_is_resolved_by_what_is_shown(remote, status, last_stock):
    st = state(
        "A", 10, booked_since_push=0, pending_stock=7, pending_op_id=3, pending_booked_base=0
    )
    out = settle({"A": 8}, [by_orders({"A": st}, [shown("A", remote)], [line("o1", 1)])])
    assert out.master_after["A"] == 7  # the order is the sale, whatever the write did
    assert [(r.op_id, r.status) for r in out.resolutions] == [(3, status)]
    assert out.listings[("shopee", "A")].last_stock == last_stock
