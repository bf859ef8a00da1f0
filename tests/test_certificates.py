"""Certificates about to expire: which, whose, and where each is live now."""

from __future__ import annotations

from datetime import date

import pytest

from ocopsync.certificates import expiring, live_platforms
from ocopsync.coverage_store import ListingState
from ocopsync.models import Product

TODAY = date(2026, 11, 24)


def item(sku: str, expires: str, **overrides) -> Product:
    values = {
        "sku": sku,
        "name": f"Sản phẩm {sku}",
        "entity_code": "QN-HTX-BACHE",
        "province": "Quảng Ninh",
        "district": "Ba Chẽ",
        "group": "beverage",
        "stars": 4,
        "expires_on": date.fromisoformat(expires),
        "price_vnd": 45_000,
        "stock": 10,
        **overrides,
    }
    return Product(**values)


@pytest.mark.parametrize(
    ("expires", "within", "listed", "days_left"),
    [
        ("2026-11-24", 90, True, 0),  # expires today: still valid today, listed
        ("2026-11-23", 90, False, None),  # already expired: not "about to"
        ("2027-02-22", 90, True, 90),  # the 90th day is included
        ("2027-02-23", 90, False, None),
        ("2026-12-24", 30, True, 30),
        ("2026-12-25", 30, False, None),
        ("2026-11-24", 0, True, 0),
    ],
)
def test_window(expires, within, listed, days_left) -> None:
    rows = expiring([item("P", expires)], {}, {}, today=TODAY, within=within)
    assert [r.days_left for r in rows] == ([days_left] if listed else [])


def test_only_active_products_of_the_province_sorted_by_expiry_with_names() -> None:
    products = [
        item("LATE", "2027-01-10"),
        item("SOON", "2026-12-01"),
        item("GONE", "2026-12-01", status="discontinued"),
        item("BT", "2026-12-02", province="Bến Tre", entity_code="BT-KEODUA"),
    ]
    names = {"QN-HTX-BACHE": "HTX Trà hoa vàng Ba Chẽ", "BT-KEODUA": "HTX Kẹo dừa"}
    rows = expiring(products, {}, names, today=TODAY)
    assert [r.sku for r in rows] == ["SOON", "BT", "LATE"]
    assert rows[0].entity_name == "HTX Trà hoa vàng Ba Chẽ"
    only = expiring(products, {}, names, today=TODAY, province="quang ninh")
    assert [r.sku for r in only] == ["SOON", "LATE"]
    with pytest.raises(ValueError, match="--within"):
        expiring(products, {}, names, today=TODAY, within=-1)


def test_live_on_names_platforms_not_shops() -> None:
    states = [
        ListingState("qn-voso-1", "voso", "P", "live", 3),
        ListingState("qn-voso-2", "voso", "P", "live", 3),
        ListingState("qn-portal", "portal", "P", "live", 3),
        ListingState("qn-shopee", "shopee", "P", "unlisted", 3),
        ListingState("old-shop", "sendo", "Q", "live", 3),  # a shop no longer configured
    ]
    live = live_platforms(states, {"qn-voso-1": "voso", "qn-voso-2": "voso", "qn-portal": "portal"})
    assert live == {"P": {"voso", "portal"}, "Q": {"sendo"}}
    [row] = expiring([item("P", "2026-12-01")], live, {}, today=TODAY)
    assert row.live_on == ("portal", "voso")
    assert row.as_dict()["live_on"] == ["portal", "voso"]
    assert row.as_dict()["expires_on"] == "2026-12-01"
