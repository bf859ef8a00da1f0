"""Coverage history and targets: compaction, buckets, targets and gaps, as tables."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from ocopsync import coverage, coverage_history, coverage_store, coverage_targets
from ocopsync.catalog import import_catalog
from ocopsync.config import Settings, parse_settings
from ocopsync.coverage import Rollup
from ocopsync.coverage_store import Stamp
from ocopsync.models import CoverageSnapshot, Listing, Product, make_engine
from tests import province_seed
from tests.conftest import product, write_catalog
from tests.pg import private_database


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- which snapshots compaction keeps ------------------------------------------------
# Vietnam is UTC+7: 2026-11-23T17:00Z is already 24 November there.
@pytest.mark.parametrize(
    ("stamps", "dropped"),
    [
        ([], []),
        ([(1, "2026-11-24T01:00")], []),
        ([(1, "2026-11-24T01:00"), (2, "2026-11-24T09:00")], [1]),
        ([(1, "2026-11-24T01:00"), (2, "2026-11-24T09:00"), (3, "2026-11-24T10:00")], [1, 2]),
        ([(1, "2026-11-23T16:59"), (2, "2026-11-23T17:00")], []),  # two Vietnamese days
        ([(1, "2026-11-23T17:00"), (2, "2026-11-24T16:59")], [1]),  # one Vietnamese day
        ([(2, "2026-11-24T09:00"), (1, "2026-11-24T01:00")], [1]),  # order given is irrelevant
        ([(None, "2026-11-24T01:00"), (5, "2026-11-24T02:00")], [None]),
        ([(1, "2026-11-20T01:00"), (2, "2026-11-21T01:00"), (3, "2026-11-21T02:00")], [2]),
    ],
)
def test_compaction_keeps_the_last_snapshot_of_each_day(stamps, dropped) -> None:
    given = [Stamp(run, utc(at)) for run, at in stamps]
    assert [s.run_id for s in coverage_history.superseded(given)] == dropped


@pytest.mark.parametrize(
    ("day", "every", "start"),
    [
        ("2026-11-25", "day", "2026-11-25"),
        ("2026-11-25", "week", "2026-11-23"),  # a Wednesday: its week starts on Monday
        ("2026-11-23", "week", "2026-11-23"),
        ("2026-11-29", "week", "2026-11-23"),  # Sunday ends the week
        ("2026-11-25", "month", "2026-11-01"),
        ("2026-12-01", "month", "2026-12-01"),
    ],
)
def test_buckets(day, every, start) -> None:
    assert coverage_history.bucket(date.fromisoformat(day), every) == date.fromisoformat(start)


def test_an_unknown_every_is_refused() -> None:
    with pytest.raises(ValueError, match="--every"):
        coverage_history.bucket(date(2026, 11, 25), "hour")


def test_pick_takes_the_last_snapshot_of_each_week_since_a_date() -> None:
    stamps = [Stamp(i, utc(f"2026-11-{d:02d}T03:00")) for i, d in enumerate(range(16, 30), 1)]
    weekly = coverage_history.pick(stamps, "week")
    assert [coverage_history.day_of(s.taken_at).isoformat() for s in weekly] == [
        "2026-11-22",  # Sunday, last day of the week of the 16th
        "2026-11-29",
    ]
    since = coverage_history.pick(stamps, "day", since=date(2026, 11, 28))
    assert [s.run_id for s in since] == [13, 14]


# --- targets and gaps ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("eligible", "listed", "target", "gap"),
    [
        (393, 160, 0.6, 76),  # ceil(235.8) = 236 to reach 60%
        (393, 393, 1.0, 0),
        (393, 108, None, None),
        (10, 3, 0.3, 0),  # 0.3 x 10 is 3 exactly, not 3.0000000000000004
        (10, 2, 0.3, 1),
        (10, 9, 0.5, 0),  # above target: 0, never negative
        (0, 0, 0.6, 0),
        (7, 0, 0.01, 1),  # any target above 0 needs at least one product
    ],
)
def test_gap_count(eligible, listed, target, gap) -> None:
    assert coverage_targets.gap_count(eligible, listed, target) == gap


TARGETS = {"voso": 0.6, "portal": 1.0}
BY_PROVINCE = {"Quảng Ninh": {"voso": 0.5}}


@pytest.mark.parametrize(
    ("platform", "province", "target"),
    [
        ("voso", None, 0.6),
        ("voso", "Bến Tre", 0.6),
        ("voso", "Quảng Ninh", 0.5),
        ("voso", "quang ninh", 0.5),  # as a person types it
        ("portal", "Quảng Ninh", 1.0),  # the province sets no portal target of its own
        ("shopee", "Quảng Ninh", None),
    ],
)
def test_target_for(platform, province, target) -> None:
    assert coverage_targets.target_for(platform, province, TARGETS, BY_PROVINCE) == target


def test_rows_take_their_own_provinces_target() -> None:
    rolled = [
        Rollup(
            {"platform": "voso", "eligible": 393, "listed": 160, "share": 0.4071},
            frozenset({"Quảng Ninh"}),
        ),
        Rollup(
            {"platform": "voso", "eligible": 10, "listed": 6, "share": 0.6}, frozenset({"Bến Tre"})
        ),
        Rollup(
            {"platform": "voso", "eligible": 20, "listed": 6, "share": 0.3}, frozenset({"A", "B"})
        ),
        Rollup({"platform": "sendo", "eligible": 5, "listed": 0, "share": 0.0}, frozenset({"A"})),
    ]
    rows = coverage_targets.with_targets(rolled, TARGETS, BY_PROVINCE)
    assert [(r["target"], r["gap"]) for r in rows] == [(0.5, 37), (0.6, 0), (0.6, 6), (None, None)]
    assert [coverage_targets.below(r) for r in rows] == [True, False, True, False]


def test_rows_gain_target_and_gap_only_once_targets_are_configured() -> None:
    rolled = [Rollup({"platform": "voso", "eligible": 4, "listed": 1, "share": 0.25}, frozenset())]
    plain = Settings()
    assert coverage_targets.rows_for(rolled, plain) == [
        {"platform": "voso", "eligible": 4, "listed": 1, "share": 0.25}
    ]
    aimed = province_seed.with_targets(Settings(), {"voso": 0.5})
    assert coverage_targets.rows_for(rolled, aimed)[0] == {
        "platform": "voso",
        "eligible": 4,
        "listed": 1,
        "share": 0.25,
        "target": 0.5,
        "gap": 1,
    }


# --- snapshots in the database -------------------------------------------------------
@pytest.fixture
def catalog(engine: Engine, tmp_path: Path) -> Engine:
    rows = [product(f"BC-{i}") for i in range(4)]
    rows.append(
        product(
            "BL-1", entity_code="QN-HTX-BINHLIEU", entity_name="HTX Bình Liêu", district="Bình Liêu"
        )
    )
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    return engine


def portal() -> Settings:
    return parse_settings(
        {"connections": [{"name": "p", "platform": "portal", "base_url": "http://x"}]}
    )


def go_live(engine: Engine, *skus: str) -> None:
    with Session(engine) as session:
        for sku in skus:
            session.add(
                Listing(connection="p", platform="portal", sku=sku, remote_id=sku, seller_sku=sku)
            )
        session.commit()


def test_history_reads_one_snapshot_a_day_and_compacts_the_rest(catalog: Engine) -> None:
    s, today = portal(), date(2026, 11, 24)
    day1 = datetime(2026, 11, 20, 2, tzinfo=UTC)
    coverage.take_snapshot(catalog, s, run_id=1, today=today, taken_at=day1)
    go_live(catalog, "BC-0")
    coverage.take_snapshot(catalog, s, run_id=2, today=today, taken_at=day1 + timedelta(hours=3))
    go_live(catalog, "BC-1", "BL-1")
    coverage.take_snapshot(catalog, s, run_id=3, today=today, taken_at=day1 + timedelta(days=2))
    with Session(catalog) as session:
        runs = session.exec(select(CoverageSnapshot.run_id).distinct()).all()
        count = session.exec(select(func.count()).select_from(CoverageSnapshot)).one()
    assert sorted(runs) == [2, 3]  # run 1 was the earlier snapshot of 20 November
    assert count == 4  # two grains (Ba Chẽ, Bình Liêu) x two snapshots
    assert coverage_history.history(catalog) == [
        {"date": "2026-11-20", "platform": "portal", "eligible": 5, "listed": 1, "share": 0.2},
        {"date": "2026-11-22", "platform": "portal", "eligible": 5, "listed": 3, "share": 0.6},
    ]
    by_district = coverage_history.history(catalog, by="district", since=date(2026, 11, 21))
    assert by_district == [
        {
            "date": "2026-11-22",
            "platform": "portal",
            "province": "Quảng Ninh",
            "district": "Ba Chẽ",
            "eligible": 4,
            "listed": 2,
            "share": 0.5,
        },
        {
            "date": "2026-11-22",
            "platform": "portal",
            "province": "Quảng Ninh",
            "district": "Bình Liêu",
            "eligible": 1,
            "listed": 1,
            "share": 1.0,
        },
    ]
    monthly = coverage_history.history(catalog, every="month", entity="QN-HTX-BINHLIEU")
    assert [(r["date"], r["listed"]) for r in monthly] == [("2026-11-22", 1)]


def test_a_later_snapshot_of_the_day_replaces_grains_it_no_longer_has(catalog: Engine) -> None:
    # Bình Liêu's only product expires between two syncs of one day: the day's figure
    # must not keep the morning's Bình Liêu row beside the evening's snapshot.
    s = portal()
    morning = datetime(2026, 11, 20, 1, tzinfo=UTC)
    coverage.take_snapshot(catalog, s, run_id=1, today=date(2026, 11, 20), taken_at=morning)
    with Session(catalog) as session:
        bl = session.get(Product, "BL-1")
        assert bl is not None
        bl.expires_on = date(2026, 11, 19)
        session.add(bl)
        session.commit()
    coverage.take_snapshot(
        catalog, s, run_id=2, today=date(2026, 11, 20), taken_at=morning + timedelta(hours=8)
    )
    assert [r["eligible"] for r in coverage_history.history(catalog)] == [4]


def test_cells_name_every_producer(catalog: Engine) -> None:
    rows = coverage.aggregate(coverage.cells(catalog, portal(), today=date(2026, 11, 24)), "entity")
    named = coverage.with_names(rows, coverage_store.entity_names(catalog))
    assert [list(r)[:3] for r in named] == [["platform", "entity", "entity_name"]] * 2
    assert [r["entity_name"] for r in named] == ["HTX Trà hoa vàng Ba Chẽ", "HTX Bình Liêu"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_snapshots_outside_a_run_compact_by_time_on_both_backends(tmp_path: Path, backend) -> None:
    where = (
        nullcontext(f"sqlite:///{tmp_path / 'h.db'}") if backend == "sqlite" else private_database()
    )
    with where as url:
        engine = make_engine(url)
        try:
            rows = [product(f"BC-{i}") for i in range(3)]
            import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
            s, today = portal(), date(2026, 11, 24)
            at = datetime(2026, 11, 20, 2, tzinfo=UTC)
            coverage.take_snapshot(engine, s, run_id=None, today=today, taken_at=at)
            go_live(engine, "BC-0")
            later = at + timedelta(hours=1)
            coverage.take_snapshot(engine, s, run_id=None, today=today, taken_at=later)
            coverage.take_snapshot(
                engine, s, run_id=9, today=today, taken_at=at + timedelta(days=1)
            )
            assert [(r["date"], r["listed"]) for r in coverage_history.history(engine)] == [
                ("2026-11-20", 1),
                ("2026-11-21", 1),
            ]
            with Session(engine) as session:
                left = session.exec(select(func.count()).select_from(CoverageSnapshot)).one()
            assert left == 2
        finally:
            engine.dispose()
