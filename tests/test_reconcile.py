"""Every reconcile rule as a plain table of inputs and the plan they must give."""

from __future__ import annotations

import pytest

from ocopsync.connectors.base import ListingDraft, ListingStatus, RemoteListing
from ocopsync.policy import Policy
from ocopsync.reconcile import (
    Action,
    CatalogItem,
    KnownListing,
    plan_connection,
)

LIVE = ListingStatus.LIVE
UNLISTED = ListingStatus.UNLISTED


def item(sku: str, price: int = 45_000, stock: int = 10, reason: str | None = None) -> CatalogItem:
    draft = ListingDraft(
        sku=sku,
        name=f"Sản phẩm {sku}",
        description="",
        price=price,
        stock=stock,
        group="food",
        stars=4,
        entity_code="E1",
        province="Quảng Ninh",
    )
    return CatalogItem(draft, reason)


def remote(
    sku: str,
    price: int = 45_000,
    stock: int = 10,
    status: ListingStatus = LIVE,
    rid: str | None = None,
) -> RemoteListing:
    return RemoteListing(rid or f"r-{sku}", sku, sku, price, stock, status)


def known(
    sku: str, price: int | None = 45_000, stock: int | None = 10, rid: str | None = None
) -> KnownListing:
    return KnownListing(sku, rid or f"r-{sku}", price, stock)


def plan(items, remotes=(), knowns=(), policy=Policy(price_rounding=1), master=None, catalog=None):
    items = list(items)
    return plan_connection(
        connection="c1",
        platform="portal",
        policy=policy,
        items=items,
        known={k.sku: k for k in knowns},
        remote=list(remotes),
        master_stock=master or {i.sku: i.draft.stock for i in items},
        catalog_skus=set(catalog or [i.sku for i in items]),
    )


def actions(p):
    return [(o.sku, o.action, o.from_value, o.to_value) for o in p.operations]


def test_new_eligible_product_is_created_with_policy_price_and_buffered_stock():
    p = plan(
        [item("A", price=45_200, stock=10)],
        policy=Policy(price_markup_pct=10, price_rounding=1000, stock_buffer=2),
    )
    assert actions(p) == [("A", Action.CREATE, None, "50000 VND x 8")]


def test_listing_in_sync_is_an_explicit_noop():
    p = plan([item("A")], [remote("A")], [known("A")])
    assert p.operations == () and p.unchanged == 1 and p.adoptions == ()


def test_remote_listing_with_our_sku_and_no_row_is_adopted_not_created():
    p = plan([item("A", price=50_000)], [remote("A", price=45_000)])
    assert [(a.sku, a.remote_id) for a in p.adoptions] == [("A", "r-A")]
    assert actions(p) == [("A", Action.UPDATE_PRICE, 45_000, 50_000)]


def test_price_drift_is_corrected_and_reported_as_drift():
    p = plan([item("A", price=45_000)], [remote("A", price=39_000)], [known("A", price=45_000)])
    (op,) = p.operations
    assert (op.action, op.from_value, op.to_value) == (Action.UPDATE_PRICE, 39_000, 45_000)
    assert op.reason.startswith("drift")


def test_catalog_price_change_is_not_called_drift():
    p = plan([item("A", price=50_000)], [remote("A", price=45_000)], [known("A", price=45_000)])
    assert p.operations[0].reason == "catalog price or policy"


def test_stock_change_is_pushed():
    p = plan([item("A", stock=7)], [remote("A", stock=10)], [known("A")])
    assert actions(p) == [("A", Action.UPDATE_STOCK, 10, 7)]


@pytest.mark.parametrize(
    "reason",
    [
        "certificate expired on 2026-01-01",
        "discontinued",
        "3 stars, connection needs 4",
        "tourism services are not shippable goods",
    ],
)
def test_ineligible_live_listing_is_unlisted_never_deleted(reason):
    p = plan([item("A", reason=reason)], [remote("A")], [known("A")])
    assert actions(p) == [("A", Action.UNLIST, "live", "unlisted")]
    assert p.operations[0].reason == reason


def test_ineligible_and_already_unlisted_needs_nothing():
    p = plan([item("A", reason="discontinued")], [remote("A", status=UNLISTED)], [known("A")])
    assert p.operations == () and p.unchanged == 1


def test_ineligible_and_never_listed_is_not_created():
    p = plan([item("A", reason="discontinued")])
    assert p.operations == ()


def test_hand_listed_ineligible_product_is_adopted_and_unlisted():
    p = plan([item("A", reason="certificate expired on 2026-01-01")], [remote("A")])
    assert [a.sku for a in p.adoptions] == ["A"]
    assert actions(p) == [("A", Action.UNLIST, "live", "unlisted")]


def test_unlisted_eligible_listing_is_relisted():
    p = plan([item("A")], [remote("A", status=UNLISTED)], [known("A")])
    assert actions(p) == [("A", Action.RELIST, "unlisted", "live")]


def test_pending_review_listing_is_left_alone():
    p = plan([item("A")], [remote("A", status=ListingStatus.PENDING)], [known("A")])
    assert p.operations == ()


def test_listing_that_vanished_remotely_is_created_again():
    p = plan([item("A")], [], [known("A")])
    assert actions(p)[0][1] is Action.CREATE
    assert p.operations[0].reason == "listing vanished from the platform"


def test_orphans_are_reported_never_touched():
    p = plan([item("A")], [remote("A"), remote("STRANGER")], [known("A")])
    assert [(o.seller_sku, o.remote_id) for o in p.orphans] == [("STRANGER", "r-STRANGER")]
    assert all(o.sku != "STRANGER" for o in p.operations)


def test_sku_of_another_entity_is_neither_orphan_nor_touched():
    p = plan([item("A")], [remote("A"), remote("B")], [known("A")], catalog=["A", "B"])
    assert p.orphans == () and p.operations == ()


def test_duplicate_remote_skus_are_reported_and_the_known_one_used():
    p = plan(
        [item("A", price=50_000)],
        [remote("A", price=1, rid="x1"), remote("A", price=45_000, rid="x2")],
        [known("A", rid="x2")],
    )
    assert p.duplicates == ("A",)
    assert [(o.remote_id, o.from_value) for o in p.operations] == [("x2", 45_000)]


def test_remote_id_changed_counts_as_adoption_of_the_new_one():
    p = plan([item("A")], [remote("A", rid="new")], [known("A", rid="old")])
    assert [a.remote_id for a in p.adoptions] == ["new"]


def test_settlement_reason_reaches_the_stock_operation():
    p = plan_connection(
        connection="c1",
        platform="shopee",
        policy=Policy(),
        items=[item("A")],
        known={"A": known("A")},
        remote=[remote("A", stock=7)],
        master_stock={"A": 7},
        catalog_skus={"A"},
        reasons={"A": "sold 3 on shopee"},
    )
    assert actions(p) == [] and p.unchanged == 1
    p = plan_connection(
        connection="c2",
        platform="lazada",
        policy=Policy(),
        items=[item("A")],
        known={"A": known("A")},
        remote=[remote("A", stock=10)],
        master_stock={"A": 7},
        catalog_skus={"A"},
        reasons={"A": "sold 3 on shopee"},
    )
    assert p.operations[0].reason == "sold 3 on shopee"


@pytest.mark.parametrize(
    ("markup", "rounding", "floor", "master", "expected"),
    [
        (0, 1000, 0, 45_000, 45_000),
        (10, 1000, 0, 45_000, 50_000),
        (10, 1, 0, 45_000, 49_500),
        (0, 1000, 0, 45_001, 46_000),
        (0, 500, 0, 45_100, 45_500),
        (-10, 1000, 0, 45_000, 41_000),
        (0, 1000, 60_000, 45_000, 60_000),
        (7.5, 100, 0, 120_000, 129_000),
    ],
)
def test_policy_price(markup, rounding, floor, master, expected):
    policy = Policy(price_markup_pct=markup, price_rounding=rounding, price_floor=floor)
    assert policy.price(master) == expected


@pytest.mark.parametrize(("buffer", "master", "expected"), [(0, 5, 5), (2, 5, 3), (9, 5, 0)])
def test_policy_stock_buffer(buffer, master, expected):
    assert Policy(stock_buffer=buffer).stock(master) == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"price_rounding": 0}, {"stock_buffer": -1}, {"min_stars": 6}, {"price_markup_pct": -101}],
)
def test_policy_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


def test_a_cap_keeps_an_unexplained_drop_from_being_pushed_back_up():
    p = plan_connection(
        connection="c1",
        platform="shopee",
        policy=Policy(),
        items=[item("A")],
        known={"A": known("A")},
        remote=[remote("A", stock=7)],
        master_stock={"A": 10},
        catalog_skus={"A"},
        caps={"A": 7},
    )
    assert actions(p) == [] and p.unchanged == 1


def test_a_create_carries_its_typed_price_and_stock():
    p = plan_connection(
        connection="c1",
        platform="shopee",
        policy=Policy(stock_buffer=2, price_markup_pct=10),
        items=[item("A", price=45_000, stock=10)],
        known={},
        remote=[],
        master_stock={"A": 10},
        catalog_skus={"A"},
    )
    op = p.operations[0]
    assert (op.desired["listing"]["price"], op.desired["listing"]["stock"]) == (50_000, 8)
    assert op.desired["listing"]["name"] == "Sản phẩm A"  # the complete listing, priced
    assert op.desired["stock_rule"] == "buffer 2"
    assert op.precondition == {"absent": True, "master": 10}
