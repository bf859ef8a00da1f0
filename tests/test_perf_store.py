"""The lean no-op path: listing rows as slotted records, writes only for what changed,
coverage counted from selects of the counted columns. Behaviour, never timings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync import coverage, coverage_store
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.models import Entity, Listing, Product
from ocopsync.observe_store import SeenConnection, record_observation, state_of
from ocopsync.stock import Observation
from ocopsync.store import ListingRow, load_listings, save_listings
from ocopsync.store.journal import journal_outcomes

WHEN = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def _rows(engine: Engine, count: int = 3) -> None:
    save_listings(
        engine,
        [
            Listing(
                connection="c",
                platform="portal",
                sku=f"S{i}",
                remote_id=str(100 + i),
                seller_sku=f"S{i}",
                last_price=1000,
                last_stock=5,
                last_seen=WHEN,
                content_sent={"name": "x"} if i == 0 else None,
            )
            for i in range(count)
        ],
    )


def _updated_at(engine: Engine) -> dict[str, datetime]:
    with Session(engine) as session:
        return {r.sku: r.updated_at for r in session.exec(select(Listing))}


def test_rows_load_as_slotted_records_with_every_column_a_run_uses(engine: Engine) -> None:
    _rows(engine)
    rows = load_listings(engine, "c")
    assert list(rows) == ["S0", "S1", "S2"]
    row = rows["S0"]
    assert isinstance(row, ListingRow) and not hasattr(row, "__dict__")
    assert (row.remote_id, row.last_price, row.last_stock, row.remote_status) == (
        "100",
        1000,
        5,
        "live",
    )
    assert row.content_sent == {"name": "x"} and rows["S1"].content_sent is None
    assert row.id is not None and row.last_seen is None  # not read: a run never needs it
    assert load_listings(engine, "other") == {}


def test_saving_a_record_writes_its_columns_and_keeps_what_it_does_not_carry(
    engine: Engine,
) -> None:
    _rows(engine)
    row = load_listings(engine, "c")["S1"]
    row.last_stock, row.pending_stock, row.pending_op_id = 7, 9, 42
    journal_outcomes(engine, [], [row])
    with Session(engine) as session:
        stored = session.exec(select(Listing).where(Listing.sku == "S1")).one()
    assert (stored.last_stock, stored.pending_stock, stored.pending_op_id) == (7, 9, 42)
    assert stored.last_seen is not None  # a record without last_seen never clears it
    assert stored.last_seen.replace(tzinfo=UTC) == WHEN


def test_a_new_record_is_inserted_once_and_gets_its_id(engine: Engine) -> None:
    row = ListingRow(connection="c", platform="portal", sku="N", remote_id="9", seller_sku="N")
    row.last_seen = WHEN
    save_listings(engine, [row])
    assert row.id is not None
    row.last_stock = 3
    save_listings(engine, [row])  # an update now, never a second insert
    rows = load_listings(engine, "c")
    assert list(rows) == ["N"] and rows["N"].last_stock == 3 and rows["N"].id == row.id


def test_a_no_op_observation_writes_no_listing_row_but_the_one_that_moved(
    engine: Engine,
) -> None:
    _rows(engine)
    before = _updated_at(engine)
    rows = load_listings(engine, "c")
    states = {("c", sku): state_of(r) for sku, r in rows.items()}
    moved = state_of(rows["S2"])
    states[("c", "S2")] = replace(moved, last_stock=4, booked_since_push=1)
    seen = SeenConnection("c", "portal", rows, missing=[], statuses={s: "live" for s in rows})
    record_observation(
        engine, Observation(listings=states), [seen], run_id=None, when=WHEN + timedelta(hours=1)
    )
    after = _updated_at(engine)
    assert after["S0"] == before["S0"] and after["S1"] == before["S1"]
    assert after["S2"] != before["S2"]
    again = load_listings(engine, "c")
    assert (again["S2"].last_stock, again["S2"].booked_since_push) == (4, 1)
    assert again["S0"].last_stock == 5
    with Session(engine) as session:  # every listing still on the platform was seen
        seen_at = {r.sku: r.last_seen for r in session.exec(select(Listing))}
    assert all(at is not None and at.replace(tzinfo=UTC) > WHEN for at in seen_at.values())


def _catalog(engine: Engine, today: date) -> None:
    with Session(engine) as session:
        session.add(Entity(code="E1", name="HTX Một", kind="cooperative", province="An Giang"))
        for i, (stars, group, expires) in enumerate(
            [
                (3, "food", today + timedelta(days=30)),
                (4, "food", today + timedelta(days=30)),
                (5, "beverage", today - timedelta(days=1)),  # expired: not eligible
                (4, "tourism", today + timedelta(days=30)),  # not shippable
            ]
        ):
            session.add(
                Product(
                    sku=f"P{i}",
                    name=f"Sản phẩm {i}",
                    entity_code="E1",
                    province="An Giang",
                    district="Châu Thành",
                    group=group,
                    stars=stars,
                    expires_on=expires,
                    price_vnd=10_000,
                    stock=3,
                )
            )
        session.commit()
    save_listings(
        engine,
        [
            Listing(connection="v", platform="voso", sku="P0", remote_id="1", seller_sku="P0"),
            Listing(
                connection="v",
                platform="voso",
                sku="P1",
                remote_id="2",
                seller_sku="P1",
                remote_status="unlisted",
            ),
        ],
    )


def test_cells_from_selected_columns_match_cells_from_orm_products(engine: Engine) -> None:
    today = date(2026, 12, 1)
    _catalog(engine, today)
    settings = Settings(
        database_url=str(engine.url),
        connections=(ConnectionSettings(name="v", platform="voso", base_url="http://x"),),
    )
    lean = coverage.cells(engine, settings, today=today)
    live = {"v": {"P0"}}
    full = coverage.compute_cells(coverage_store.products(engine), live, settings, today=today)
    assert lean == full
    # one cell per star rating: P0 (3 stars) live, P1 (4 stars) unlisted, P2 and P3 left out
    assert [(c.platform, c.stars, c.eligible, c.listed) for c in lean] == [
        ("voso", 3, 1, 1),
        ("voso", 4, 1, 0),
    ]
    assert coverage_store.live_skus(engine) == live
    states = coverage_store.listing_states(engine)
    assert {(s.connection, s.sku, s.remote_status) for s in states} == {
        ("v", "P0", "live"),
        ("v", "P1", "unlisted"),
    }
    assert coverage.take_snapshot(engine, settings, run_id=None, today=today) == len(lean)
    stamps = coverage_store.snapshot_stamps(engine)
    stored = coverage_store.snapshot_rows(engine, stamps)[stamps[0]]
    assert sorted((r.platform, r.stars, r.eligible, r.listed, r.entity_code) for r in stored) == [
        ("voso", 3, 1, 1, "E1"),
        ("voso", 4, 1, 0, "E1"),
    ]
