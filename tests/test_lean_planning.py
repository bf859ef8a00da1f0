"""The lean planning path keeps the rows a run holds equal to what it wrote.

Planning no longer reads every listing row a second time after settlement: it applies
what settlement wrote to the rows in memory (:func:`ocopsync.observe_store.apply_to_rows`).
The first test runs real syncs against sandboxes with every kind of change settlement
records (a sale from stock, a drop no order explains, a listing gone, one unlisted by hand, one
adopted) and compares the rows planning handed on with a fresh read of the database.
The table after it checks that shaping remembered per connection (:class:`Shaper`)
gives what shaping each product afresh gives.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

import ocopsync.sync as sync_module
from ocopsync.catalog import import_catalog
from ocopsync.content import ContentMemo, content_of
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.listing_facts import PlatformFacts, Shaper, for_connection
from ocopsync.planning import OpenConnection
from ocopsync.records import AttributeValue, Brand, CategoryAttribute, ListingDraft
from ocopsync.sandbox import build_sandbox
from ocopsync.store import DbTokenStore, ListingRow, load_listings
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog
from tests.test_sync_runs import TODAY, settings_for

COMPARED = [f.name for f in fields(ListingRow) if f.name not in ("last_seen", "content_sent")]
"""``content_sent`` baselines are written after planning (and read by no one until the
next run); ``last_seen`` is never read by a run."""


def _as_tuple(row: ListingRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in COMPARED)


@pytest.fixture
def shops(engine: Engine, tmp_path: Path) -> Any:
    image = "http://sandbox/shopee/_sandbox/image.png"
    rows = [product(f"BEV-{i}", group="beverage", stock=20, image_urls=image) for i in range(6)]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    sandbox = build_sandbox(["portal", "lazada", "voso"])
    settings = settings_for(
        sandbox, engine, "portal", "lazada", "voso", portal={"sales_from": "stock"}
    )
    asyncio.run(
        authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine), sandbox.transport())
    )
    return sandbox, settings


def _sync_capturing(
    engine: Engine, settings: Any, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, list[OpenConnection]]:
    captured: list[OpenConnection] = []
    real = sync_module.plan_all

    def spying(engine: Engine, opened: list[OpenConnection], *args: Any, **kwargs: Any) -> Any:
        planned = real(engine, opened, *args, **kwargs)
        captured.extend(opened)
        held = {o.settings.name: {s: _as_tuple(r) for s, r in o.listings.items()} for o in opened}
        stored = {
            o.settings.name: {
                s: _as_tuple(r) for s, r in load_listings(engine, o.settings.name).items()
            }
            for o in opened
        }
        assert held == stored  # before apply changes either
        return planned

    monkeypatch.setattr(sync_module, "plan_all", spying)
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0)
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    return result, captured


def test_rows_held_after_settlement_equal_the_database(
    engine: Engine, shops: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, settings = shops
    first, _ = _sync_capturing(engine, settings, sandbox, monkeypatch)
    assert (first.failed, first.applied) == (0, 18), first.blocked

    # Everything settlement records, at once:
    sandbox["portal"].shop.sell("BEV-0", 3)  # a sale seen from stock (portal: no orders)
    sandbox["voso"].shop.sell("BEV-2", 1)
    gone = sandbox["portal"].shop.by_sku("BEV-3")
    gone.status = "deleted"  # deleted on the platform by hand: our row turns missing
    sandbox["lazada"].shop.by_sku("BEV-4").status = "unlisted"  # unlisted by hand
    sandbox["portal"].shop.items.pop(sandbox["portal"].shop.by_sku("BEV-5").remote_id)
    sandbox["portal"].seed("BEV-5", "Rượu làm tay", 1000, 4)  # re-created by the seller

    second, opened = _sync_capturing(engine, settings, sandbox, monkeypatch)
    assert {o.settings.name for o in opened} == {"t-portal", "t-lazada", "t-voso"}
    assert second.status in ("succeeded", "partial"), second.connections
    sold = {s: dict(v.sold) for s, v in second.settlements.items() if v.sold}
    assert sold.get("BEV-0") == {"t-portal": 3}  # from stock: booked, baseline moved
    moved = {s: dict(v.unexplained) for s, v in second.settlements.items() if v.unexplained}
    assert moved.get("BEV-2") == {"t-voso": 1}  # a drop no order explains: capped
    assert second.connections[0]["adoptions"] == 1  # BEV-5, made again by the seller

    sandbox["lazada"].place_order([("BEV-1", 2)])  # order lines booked on the next run
    third, _ = _sync_capturing(engine, settings, sandbox, monkeypatch)
    assert third.failed == 0 and third.connections[1]["order_lines"] > 0


WEIGHT = CategoryAttribute("1", "Khối lượng", mandatory=True, input_type="int", unit="g")
STARS = CategoryAttribute("2", "Hạng OCOP", mandatory=False, input_type="text")


def _draft(sku: str, **changes: Any) -> ListingDraft:
    base = ListingDraft(
        sku=sku,
        name="Trà",
        description="Trà hoa vàng",
        price=1000,
        stock=1,
        group="beverage",
        stars=4,
        entity_code="E",
        province="Quảng Ninh",
        weight_g=250,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("specs", "first", "second", "same"),
    [
        ((WEIGHT,), {"weight_g": 250}, {"weight_g": 500}, False),
        ((WEIGHT,), {"stars": 4}, {"stars": 5}, True),  # no attribute reads the stars
        ((WEIGHT, STARS), {"stars": 4}, {"stars": 5}, False),
        ((STARS,), {"weight_g": 250}, {"weight_g": None}, True),
        ((WEIGHT,), {"weight_g": 250}, {"weight_g": None}, False),  # then missing
        ((WEIGHT,), {"brand": "Ba Chẽ"}, {"brand": ""}, False),
    ],
)
def test_a_remembered_resolution_is_the_one_a_fresh_shaping_gives(
    specs: tuple[CategoryAttribute, ...],
    first: dict[str, Any],
    second: dict[str, Any],
    same: bool,
) -> None:
    facts = PlatformFacts(
        "c",
        "shopee",
        discovery=True,
        category_map={"beverage": "77"},
        attributes={"77": specs},
        brands={"77": (Brand("9", "Ba Chẽ"),)},
    )
    shaper = Shaper(facts)  # one for the whole catalog, as planning uses it
    a, b = _draft("A", **first), _draft("B", **second)
    shaped = [shaper.shape(a), shaper.shape(b)]
    fresh = [for_connection(a, facts), for_connection(b, facts)]
    assert shaped == fresh
    (da, pa), (db, pb) = shaped
    assert ((da.attributes, da.brand_id, pa) == (db.attributes, db.brand_id, pb)) is same
    assert (da.sku, db.sku) == ("A", "B") and da.category_id == "77"


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({}, True),
        ({"name": "Trà hoa vàng Ba Chẽ 250 g"}, False),
        ({"description": "  Trà hoa vàng  "}, True),  # spaces around it are not content
        ({"description": "Trà hoa vàng Quảng Ninh"}, False),
        ({"image_urls": ("http://a/1.jpg", "http://a/2.jpg")}, False),
        ({"attributes": (AttributeValue("1", "250"),)}, False),
    ],
)
def test_a_run_s_remembered_fingerprints_are_the_fresh_ones(
    changes: dict[str, Any], same: bool
) -> None:
    memo = ContentMemo()
    base = _draft("A")
    changed = replace(base, **changes)
    for draft in (base, changed, base, changed):  # repeats come from the memo
        assert memo.of(draft) == content_of(draft)
    assert (memo.of(base) == memo.of(changed)) is same


class HeldBack(httpx.AsyncBaseTransport):
    """Holds every request of one platform until ``released`` is set (or a deadline)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix
        self.released = threading.Event()
        self.waited_out = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The wait is in a worker thread, for the release or 5 s at most: then it goes
        # on, and the test fails.
        held = request.url.path.startswith(self.prefix)
        if held and not await asyncio.to_thread(self.released.wait, 5):
            self.waited_out = True
        return await self.inner.handle_async_request(request)


def test_our_database_is_read_while_the_slowest_connection_still_fetches(
    engine: Engine, shops: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read of our own rows starts once the first connection is done, beside the
    others: here Voso answers nothing until that read has begun."""
    sandbox, settings = shops
    transport = HeldBack(sandbox.transport(), "/voso")
    real = sync_module.prepare

    def reading(*args: Any, **kwargs: Any) -> Any:
        transport.released.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(sync_module, "prepare", reading)
    harness = Harness(transport=transport, retry_wait_scale=0)
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert not transport.waited_out, "the read waited for every connection's fetch"
    assert (result.failed, result.applied) == (0, 18), result.connections
    assert set(result.phases) >= {"fetch", "read", "plan", "apply", "snapshot"}
