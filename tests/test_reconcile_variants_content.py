"""Variants and content in the plan: tables of catalog rows, listings and what is planned."""

from __future__ import annotations

from dataclasses import replace

from ocopsync.content import content_of
from ocopsync.policy import Policy
from ocopsync.reconcile import Action, CatalogItem, KnownListing, plan_connection
from ocopsync.records import ListingDraft, ListingStatus, RemoteListing, Variant

LIVE = ListingStatus.LIVE


def variant(sku: str, label: str, price: int = 45_000, stock: int = 10) -> CatalogItem:
    draft = ListingDraft(
        sku=sku,
        name="Trà Shan tuyết",
        description="Trà cổ thụ",
        price=price,
        stock=stock,
        group="beverage",
        stars=4,
        entity_code="E1",
        province="Hà Giang",
        weight_g=100,
    )
    return CatalogItem(draft, parent_sku="SHAN", variant=label)


def plain(sku: str) -> CatalogItem:
    return CatalogItem(replace(variant(sku, "").draft, name=f"Sản phẩm {sku}"))


def plan(items, remotes=(), knowns=(), *, variants=True, content=False):
    items = list(items)
    return plan_connection(
        connection="c1",
        platform="shopee",
        policy=Policy(price_rounding=1),
        items=items,
        known={k.sku: k for k in knowns},
        remote=list(remotes),
        master_stock={i.sku: i.draft.stock for i in items},
        catalog_skus={i.sku for i in items},
        variants=variants,
        content_updates=content,
    )


def test_unlisted_variants_are_one_create_of_the_group() -> None:
    p = plan([variant("SHAN-100", "100 g", 45_000, 5), variant("SHAN-250", "250 g", 99_000, 3)])
    (op,) = p.operations
    assert (op.sku, op.action, op.to_value) == ("SHAN", Action.CREATE, "2 variants (100 g, 250 g)")
    listing = op.desired["listing"]
    assert listing["sku"] == "SHAN" and listing["group_remote_id"] == ""
    assert [v["sku"] for v in listing["variants"]] == ["SHAN-100", "SHAN-250"]
    assert [(v["price"], v["stock"]) for v in listing["variants"]] == [(45_000, 5), (99_000, 3)]
    assert op.desired["variant_skus"] == ["SHAN-100", "SHAN-250"]
    assert op.precondition == {"absent": True, "masters": {"SHAN-100": 5, "SHAN-250": 3}}


def test_a_new_variant_is_added_to_the_listing_its_siblings_are_on() -> None:
    listed = RemoteListing("111:1", "SHAN-100", "Trà", 45_000, 10, LIVE, group_id="111")
    p = plan(
        [variant("SHAN-100", "100 g"), variant("SHAN-500", "500 g", 180_000, 2)],
        [listed],
        [KnownListing("SHAN-100", "111:1", 45_000, 10)],
    )
    (op,) = p.operations
    assert op.action is Action.CREATE and op.remote_id == "111"
    assert op.desired["listing"]["group_remote_id"] == "111"
    assert [v["sku"] for v in op.desired["listing"]["variants"]] == ["SHAN-500"]


def test_each_variant_is_priced_and_stocked_by_its_own_sku() -> None:
    remotes = [
        RemoteListing("111:1", "SHAN-100", "Trà", 40_000, 10, LIVE, group_id="111"),
        RemoteListing("111:2", "SHAN-250", "Trà", 99_000, 1, LIVE, group_id="111"),
    ]
    p = plan([variant("SHAN-100", "100 g"), variant("SHAN-250", "250 g", 99_000, 3)], remotes)
    assert [(o.sku, o.action, o.remote_id, o.to_value) for o in p.operations] == [
        ("SHAN-100", Action.UPDATE_PRICE, "111:1", 45_000),
        ("SHAN-250", Action.UPDATE_STOCK, "111:2", 3),
    ]


def test_without_variants_each_row_is_its_own_listing() -> None:
    p = plan([variant("SHAN-100", "100 g"), variant("SHAN-250", "250 g")], variants=False)
    assert [(o.sku, o.action) for o in p.operations] == [
        ("SHAN-100", Action.CREATE),
        ("SHAN-250", Action.CREATE),
    ]


def test_a_content_change_is_one_update_with_the_fields_named() -> None:
    item = plain("A")
    sent = content_of(item.draft)
    edited = CatalogItem(replace(item.draft, name="Tên mới", description="Mô tả mới"))
    p = plan(
        [edited],
        [RemoteListing("r-A", "A", "Sản phẩm A", 45_000, 10, LIVE)],
        [KnownListing("A", "r-A", 45_000, 10, content_sent=sent)],
        content=True,
    )
    (op,) = p.operations
    assert (op.action, op.to_value, op.remote_id) == (
        Action.UPDATE_CONTENT,
        "name, description",
        "r-A",
    )
    assert op.desired["fields"] == ["name", "description"]
    assert op.desired["content"] == content_of(edited.draft)
    assert op.precondition == {"content_sent": sent}


def test_no_content_update_without_a_baseline_or_the_capability() -> None:
    item = plain("A")
    remote = RemoteListing("r-A", "A", "Another name on the platform", 45_000, 10, LIVE)
    assert (
        plan([item], [remote], [KnownListing("A", "r-A", 45_000, 10)], content=True).operations
        == ()
    )
    sent = content_of(replace(item.draft, name="old"))
    known = KnownListing("A", "r-A", 45_000, 10, content_sent=sent)
    assert plan([item], [remote], [known], content=False).operations == ()
    assert (
        plan([item], [remote], [known], content=True).operations[0].action is Action.UPDATE_CONTENT
    )


def test_a_multi_variant_listing_gets_one_content_update_for_all_its_variants() -> None:
    items = [variant("SHAN-100", "100 g"), variant("SHAN-250", "250 g")]
    old = content_of(replace(items[0].draft, description="cũ"))
    remotes = [
        RemoteListing("111:1", "SHAN-100", "Trà Shan tuyết", 45_000, 10, LIVE, group_id="111"),
        RemoteListing("111:2", "SHAN-250", "Trà Shan tuyết", 45_000, 10, LIVE, group_id="111"),
    ]
    knowns = [
        KnownListing("SHAN-100", "111:1", 45_000, 10, content_sent=old),
        KnownListing("SHAN-250", "111:2", 45_000, 10, content_sent=old),
    ]
    (op,) = plan(items, remotes, knowns, content=True).operations
    assert (op.sku, op.action, op.desired["fields"]) == (
        "SHAN-100",
        Action.UPDATE_CONTENT,
        ["description"],
    )
    assert op.desired["siblings"] == ["SHAN-250"]


def test_variant_round_trips_through_the_plan() -> None:
    from ocopsync.records import draft_from_dict

    (op,) = plan([variant("SHAN-100", "100 g"), variant("SHAN-250", "250 g")]).operations
    draft = draft_from_dict(dict(op.desired["listing"]))
    assert draft.variants == (
        Variant("SHAN-100", "100 g", 45_000, 10, 100),
        Variant("SHAN-250", "250 g", 45_000, 10, 100),
    )
