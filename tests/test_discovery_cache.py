"""The discovery cache and the category mappings in the database (ocopsync.store.discovery).

Records must come back from JSON exactly as the connector gave them; a fresh answer costs
no call, an expired or missing one is fetched and stored; a database mapping wins over
the config's ``category_map``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ocopsync.models import make_engine
from ocopsync.records import (
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
    LogisticsChannel,
)
from ocopsync.store import discovery as cache

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)

TREE = [
    Category("1", None, "Đồ uống", False),
    Category("2", "1", "Trà", True),
    Category("3", "1", "Cà phê", True),
]
ATTRIBUTES = [
    CategoryAttribute(
        "100037",
        "Xuất xứ",
        True,
        "single_select",
        (AttributeOption("1", "Việt Nam"), AttributeOption("2", "Khác")),
    ),
    CategoryAttribute("100095", "Khối lượng", False, "float", (), unit="g"),
    CategoryAttribute("note", "Ghi chú", False, "text"),
]
BRANDS = [Brand("0", "No brand"), Brand("1123", "HTX Trà Shan Tuyết")]
LIMITS = ItemLimits(
    name_max=120,
    description_max=3000,
    images_max=9,
    image_max_bytes=10 * 1024 * 1024,
    image_formats=("jpg", "png"),
    price_min=1000,
    price_max=120_000_000,
    variants_max=50,
)
CHANNELS = [
    LogisticsChannel("50011", "Giao Hàng Nhanh", True, cod=True, max_weight_g=30000),
    LogisticsChannel("50021", "Viettel Post", False),
]


class FakeDiscovery:
    """Answers as a connector would, counting each call by method."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.tree = list(TREE)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    async def list_categories(self) -> list[Category]:
        self._count("list_categories")
        return list(self.tree)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        self._count(f"category_attributes:{category_id}")
        return list(ATTRIBUTES)

    async def category_brands(self, category_id: str) -> list[Brand]:
        self._count(f"category_brands:{category_id}")
        return list(BRANDS)

    async def item_limits(self, category_id: str) -> ItemLimits:
        self._count(f"item_limits:{category_id}")
        return LIMITS

    async def logistics_channels(self) -> list[LogisticsChannel]:
        self._count("logistics_channels")
        return list(CHANNELS)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'd.db'}")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_never_fetched_reads_none(engine: Engine) -> None:
    assert cache.read_cached_tree(engine, "qn-shopee") is None
    assert cache.read_cached_attributes(engine, "qn-shopee", "2") is None
    assert cache.read_cached_brands(engine, "qn-shopee", "2") is None
    assert cache.read_cached_limits(engine, "qn-shopee", "2") is None
    assert cache.read_cached_logistics(engine, "qn-shopee") is None


def test_every_record_round_trips_exactly(engine: Engine) -> None:
    fake = FakeDiscovery()
    conn = "qn-shopee"
    assert run(cache.cached_tree(engine, fake, conn, now=T0)) == TREE
    assert run(cache.cached_attributes(engine, fake, conn, "2", now=T0)) == ATTRIBUTES
    assert run(cache.cached_brands(engine, fake, conn, "2", now=T0)) == BRANDS
    assert run(cache.cached_limits(engine, fake, conn, "2", now=T0)) == LIMITS
    assert run(cache.cached_logistics(engine, fake, conn, now=T0)) == CHANNELS
    # read back from the database alone, equal field by field (tuples stay tuples)
    assert cache.read_cached_tree(engine, conn) == TREE
    attributes = cache.read_cached_attributes(engine, conn, "2")
    assert attributes == ATTRIBUTES
    assert attributes is not None and isinstance(attributes[0].options, tuple)
    assert cache.read_cached_brands(engine, conn, "2") == BRANDS
    limits = cache.read_cached_limits(engine, conn, "2")
    assert limits == LIMITS and limits is not None and isinstance(limits.image_formats, tuple)
    assert cache.read_cached_logistics(engine, conn) == CHANNELS
    # a second connection and another category share nothing with the first
    assert cache.read_cached_tree(engine, "other") is None
    assert cache.read_cached_attributes(engine, conn, "3") is None


def test_fresh_answers_cost_no_call_and_expired_ones_are_fetched(engine: Engine) -> None:
    fake = FakeDiscovery()
    conn = "qn-shopee"
    for when in (T0, T0 + timedelta(days=6, hours=23)):
        run(cache.cached_tree(engine, fake, conn, max_age=WEEK, now=when))
        run(cache.cached_attributes(engine, fake, conn, "2", max_age=WEEK, now=when))
    assert fake.calls == {"list_categories": 1, "category_attributes:2": 1}

    fake.tree = [*TREE, Category("4", "1", "Rượu", True)]
    later = T0 + WEEK
    tree = run(cache.cached_tree(engine, fake, conn, max_age=WEEK, now=later))
    assert fake.calls["list_categories"] == 2
    assert [c.category_id for c in tree] == ["1", "2", "3", "4"]
    # the new answer is stored with its own time: fresh again for a week from then
    run(cache.cached_tree(engine, fake, conn, max_age=WEEK, now=later + timedelta(days=6)))
    assert fake.calls["list_categories"] == 2
    found = cache.read_entry(engine, conn, cache.Kind.TREE)
    assert found is not None and found[1] == later


def test_refresh_and_zero_age_always_fetch(engine: Engine) -> None:
    fake = FakeDiscovery()
    run(cache.cached_brands(engine, fake, "c", "2", now=T0))
    run(cache.cached_brands(engine, fake, "c", "2", now=T0, refresh=True))
    run(cache.cached_brands(engine, fake, "c", "2", max_age=timedelta(0), now=T0))
    assert fake.calls == {"category_brands:2": 3}


def test_a_failed_fetch_keeps_the_old_answer(engine: Engine) -> None:
    fake = FakeDiscovery()
    run(cache.cached_tree(engine, fake, "c", now=T0))

    async def broken() -> list[Category]:
        raise RuntimeError("platform down")

    fake.list_categories = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        run(cache.cached_tree(engine, fake, "c", now=T0 + timedelta(days=30)))
    assert cache.read_cached_tree(engine, "c") == TREE


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, timedelta(days=7)),
        ({"discovery_max_age_days": 1}, timedelta(days=1)),
        ({"discovery_max_age_days": 0}, timedelta(0)),
        ({"discovery_max_age_days": None}, timedelta(days=7)),
    ],
)
def test_max_age_from_options(options: dict[str, Any], expected: timedelta) -> None:
    assert cache.max_age_of(options) == expected


def test_config_field_is_typed(tmp_path: Path) -> None:
    from ocopsync.config import OptionsTable

    assert OptionsTable(discovery_max_age_days=3).discovery_max_age_days == 3
    with pytest.raises(ValueError):
        OptionsTable(discovery_max_age_days=-1)


def test_database_mapping_overrides_the_config(engine: Engine) -> None:
    config = {"food": 100629, "beverage": "100860"}
    assert cache.category_map(engine, "qn-shopee", config) == {
        "food": "100629",
        "beverage": "100860",
    }
    assert cache.save_mapping(engine, "qn-shopee", "beverage", "100861") is None
    assert cache.save_mapping(engine, "qn-shopee", "textile", "100349") is None
    assert cache.save_mapping(engine, "other", "food", "1") is None
    assert cache.category_map(engine, "qn-shopee", config) == {
        "food": "100629",
        "beverage": "100861",
        "textile": "100349",
    }
    assert cache.save_mapping(engine, "qn-shopee", "beverage", "100860") == "100861"
    assert cache.category_map(engine, "qn-shopee", None) == {
        "beverage": "100860",
        "textile": "100349",
    }
    assert cache.remove_mapping(engine, "qn-shopee", "beverage") == "100860"
    assert cache.category_map(engine, "qn-shopee", config)["beverage"] == "100860"
    assert cache.mappings(engine, "other") == {"food": "1"}


def test_entries_list_what_is_cached(engine: Engine) -> None:
    fake = FakeDiscovery()
    run(cache.cached_attributes(engine, fake, "c", "2", now=T0))
    run(cache.cached_tree(engine, fake, "c", now=T0))
    listed = [(e.kind, e.key, e.records, e.fetched_at) for e in cache.entries(engine, "c")]
    assert listed == [("tree", "", 3, T0), ("attributes", "2", 3, T0)]


def test_groups_in_catalog_counts_products(engine: Engine) -> None:
    from datetime import date

    from sqlmodel import Session

    from ocopsync.models import Entity, Product

    with Session(engine) as session:
        session.add(Entity(code="HTX1", name="HTX Trà"))
        session.commit()
        for sku, group in (("T1", "beverage"), ("T2", "beverage"), ("M1", "food")):
            session.add(
                Product(
                    sku=sku,
                    name=sku,
                    entity_code="HTX1",
                    province="Quảng Ninh",
                    group=group,
                    stars=4,
                    expires_on=date(2099, 1, 1),
                    price_vnd=45000,
                    stock=10,
                )
            )
        session.commit()
    assert cache.groups_in_catalog(engine) == {"beverage": 2, "food": 1}


def test_an_answer_that_no_longer_fits_the_records_is_fetched_again(engine: Engine) -> None:
    from sqlmodel import Session

    from ocopsync.models import DiscoveryEntry

    with Session(engine) as session:  # as another ocopsync version might have written it
        payload = {"records": [{"name_max": 120, "retired_field": 1}]}
        session.add(DiscoveryEntry(connection="c", kind="limits", key="2", payload=payload))
        session.commit()
    fake = FakeDiscovery()
    assert cache.read_cached_limits(engine, "c", "2") is None
    assert run(cache.cached_limits(engine, fake, "c", "2", now=T0)) == LIMITS
    assert fake.calls == {"item_limits:2": 1}
    assert cache.read_cached_limits(engine, "c", "2") == LIMITS
