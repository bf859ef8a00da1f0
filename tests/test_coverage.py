"""Coverage figures: exact counts for a catalog and listings built in the test."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync import coverage
from ocopsync.catalog import import_catalog
from ocopsync.config import parse_settings
from ocopsync.models import CoverageSnapshot, Listing
from tests.conftest import product, write_catalog

TODAY = date(2026, 11, 24)


@pytest.fixture
def catalog(engine: Engine, tmp_path: Path) -> Engine:
    rows = [
        product("BC-1", stars=5),
        product("BC-2", stars=4),
        product("BC-3", stars=3),
        product("BL-1", entity_code="QN-HTX-BINHLIEU", district="Bình Liêu", group="food"),
        product("BL-2", entity_code="QN-HTX-BINHLIEU", district="Bình Liêu", group="food"),
        product("BL-TOUR", entity_code="QN-HTX-BINHLIEU", group="tourism"),
        product(
            "BT-1", entity_code="BT-KEODUA", province="Bến Tre", district="Châu Thành", group="food"
        ),
        product(
            "BT-OLD",
            entity_code="BT-KEODUA",
            province="Bến Tre",
            district="Châu Thành",
            expires_on="2026-11-23",
            certified_on="2023-11-23",
        ),
    ]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    return engine


def settings(*connections: dict):
    return parse_settings(
        {"connections": [{"base_url": "http://x", "platform": "portal", **c} for c in connections]}
    )


def live(engine: Engine, connection: str, *skus: str, status: str = "live") -> None:
    with Session(engine) as session:
        for sku in skus:
            session.add(
                Listing(
                    connection=connection,
                    platform="?",
                    sku=sku,
                    remote_id=sku,
                    seller_sku=sku,
                    remote_status=status,
                )
            )
        session.commit()


def test_share_by_platform_counts_expired_tourism_and_unlisted_correctly(catalog) -> None:
    s = settings({"name": "p", "platform": "portal"}, {"name": "v", "platform": "voso"})
    live(catalog, "p", "BC-1", "BC-2", "BC-3", "BL-1", "BL-2", "BT-1")
    live(catalog, "v", "BC-1", "BT-1")
    live(catalog, "v", "BL-1", status="unlisted")
    rows = coverage.aggregate(coverage.cells(catalog, s, today=TODAY), "platform")
    assert rows == [
        {"platform": "portal", "eligible": 6, "listed": 6, "share": 1.0},
        {"platform": "voso", "eligible": 6, "listed": 2, "share": 0.3333},
    ]


def test_min_stars_of_the_covering_connection(catalog) -> None:
    s = settings({"name": "l", "platform": "lazada", "policy": {"min_stars": 4}})
    live(catalog, "l", "BC-1")
    rows = coverage.aggregate(coverage.cells(catalog, s, today=TODAY), "stars")
    assert [(r["stars"], r["eligible"], r["listed"]) for r in rows] == [(4, 4, 0), (5, 1, 1)]


def test_products_no_shop_covers_are_the_gap(catalog) -> None:
    # Shopee has a shop for the Ba Chẽ cooperative only: the province's other eligible
    # products still count against Shopee, at the 3-star baseline.
    s = settings(
        {"name": "s", "platform": "shopee", "entity": "QN-HTX-BACHE", "policy": {"min_stars": 4}}
    )
    live(catalog, "s", "BC-1", "BC-2")
    rows = coverage.aggregate(coverage.cells(catalog, s, today=TODAY), "entity")
    assert [(r["entity"], r["eligible"], r["listed"]) for r in rows] == [
        ("BT-KEODUA", 1, 0),
        ("QN-HTX-BACHE", 2, 2),
        ("QN-HTX-BINHLIEU", 2, 0),
    ]


def test_by_district_keeps_provinces_apart_and_filters(catalog) -> None:
    s = settings({"name": "p", "platform": "portal"})
    live(catalog, "p", "BT-1")
    cells = coverage.cells(catalog, s, today=TODAY)
    rows = coverage.aggregate(cells, "district", province="ben tre")
    assert rows == [
        {
            "platform": "portal",
            "province": "Bến Tre",
            "district": "Châu Thành",
            "eligible": 1,
            "listed": 1,
            "share": 1.0,
        }
    ]
    rows = coverage.aggregate(cells, "group", entity="QN-HTX-BINHLIEU")
    assert rows == [
        {"platform": "portal", "group": "food", "eligible": 2, "listed": 0, "share": 0.0}
    ]
    with pytest.raises(ValueError, match="--by"):
        coverage.aggregate(cells, "colour")


def test_expiry_is_by_date_inclusive(catalog) -> None:
    s = settings({"name": "p", "platform": "portal"})
    on_expiry_day = coverage.aggregate(
        coverage.cells(catalog, s, today=date(2026, 11, 23)), "platform"
    )
    after = coverage.aggregate(coverage.cells(catalog, s, today=TODAY), "platform")
    assert on_expiry_day[0]["eligible"] == after[0]["eligible"] + 1


def test_snapshot_stores_the_finest_grain(catalog) -> None:
    s = settings({"name": "p", "platform": "portal"})
    live(catalog, "p", "BC-1")
    stored = coverage.take_snapshot(catalog, s, run_id=None, today=TODAY)
    with Session(catalog) as session:
        rows = session.exec(select(CoverageSnapshot)).all()
    assert len(rows) == stored
    assert sum(r.eligible for r in rows) == 6 and sum(r.listed for r in rows) == 1
