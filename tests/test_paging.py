"""Listing pages read several at once where paging allows it (``fetch_in_flight``).

The helper (:func:`ocopsync.connectors.paging.in_order`) is tested on its own: order
kept, never more in flight than asked, an error raised in its turn with nothing left
running. Then each connector that pages by number or offset reads a shop of several
pages against its sandbox with pages really in flight together, and gets exactly
what one page at a time gets, in the same order.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest

from ocopsync.connectors.base import Connector, ConnectorContext
from ocopsync.connectors.paging import DEFAULT_IN_FLIGHT, in_flight_of, in_order
from ocopsync.connectors.registry import connector_class
from tests.test_contract import Rig


def _collect(calls: list[Any], in_flight: int) -> list[Any]:
    async def scenario() -> list[Any]:
        return [x async for x in in_order(calls, in_flight)]

    return asyncio.run(scenario())


async def _turns(count: int) -> None:
    """Give the event loop ``count`` turns: a call that takes longer than another,
    without any wall-clock wait."""
    for _ in range(count):
        await asyncio.sleep(0)


class Gauge:
    """Counts calls running at once; call ``i`` lasts ``turns`` turns of the loop."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.started: list[int] = []
        self.cancelled: list[int] = []

    def call(self, index: int, turns: int, fail: bool = False) -> Any:
        async def run() -> int:
            self.started.append(index)
            self.now += 1
            self.most = max(self.most, self.now)
            try:
                await _turns(turns)
                if fail:
                    raise ValueError(f"page {index}")
                return index
            except asyncio.CancelledError:
                self.cancelled.append(index)
                raise
            finally:
                self.now -= 1

        return run


@pytest.mark.parametrize(
    ("in_flight", "most"),
    [(1, 1), (2, 2), (4, 4), (10, 6), (0, 1)],
)
def test_results_come_in_order_with_at_most_so_many_in_flight(in_flight: int, most: int) -> None:
    gauge = Gauge()
    turns = [6, 1, 4, 1, 3, 2]  # later pages answer first
    calls = [gauge.call(i, t) for i, t in enumerate(turns)]
    assert _collect(calls, in_flight) == list(range(6))
    assert gauge.most == most


def test_a_failed_page_raises_in_its_turn_and_nothing_is_left_running() -> None:
    gauge = Gauge()
    calls = [gauge.call(0, 1), gauge.call(1, 1, fail=True)]
    calls += [gauge.call(i, 50) for i in range(2, 8)]
    seen: list[int] = []

    async def scenario() -> None:
        async for x in in_order(calls, 4):
            seen.append(x)

    with pytest.raises(ValueError, match="page 1"):
        asyncio.run(scenario())
    assert seen == [0]
    assert gauge.now == 0, "every call still running was cancelled and awaited"
    assert gauge.cancelled and max(gauge.started) < 8


def test_a_reader_that_stops_early_leaves_nothing_running() -> None:
    gauge = Gauge()
    calls = [gauge.call(i, 10) for i in range(8)]

    async def scenario() -> int:
        stream = in_order(calls, 3)
        first = await stream.__anext__()
        await stream.aclose()
        return first

    assert asyncio.run(scenario()) == 0
    assert gauge.now == 0 and len(gauge.started) == 3


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, DEFAULT_IN_FLIGHT),
        ({"fetch_in_flight": 1}, 1),
        ({"fetch_in_flight": 8}, 8),
        ({"fetch_in_flight": 99}, 16),
        ({"fetch_in_flight": 0}, 1),
        ({"fetch_in_flight": True}, DEFAULT_IN_FLIGHT),
        ({"fetch_in_flight": "4"}, DEFAULT_IN_FLIGHT),
    ],
)
def test_the_option_is_read_within_bounds(options: dict[str, Any], expected: int) -> None:
    assert in_flight_of(options) == expected


class Concurrency(httpx.AsyncBaseTransport):
    """The sandbox's transport, counting listing-page requests in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport, paths: tuple[str, ...]) -> None:
        self.inner, self.paths = inner, paths
        self.now = self.most = self.pages = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        counted = request.url.path.endswith(self.paths)
        if counted:
            self.pages += 1
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            await _turns(3)  # a round trip: lets the others start
            return await self.inner.handle_async_request(request)
        finally:
            if counted:
                self.now -= 1


PAGED = {
    "shopee": ("/get_item_list",),
    "postmart": ("/products",),
    "portal": ("/products",),
}


@pytest.mark.parametrize("platform", sorted(PAGED))
def test_a_shop_of_many_pages_reads_the_same_with_pages_in_flight(platform: str) -> None:
    rig = Rig(platform)
    asyncio.run(_authorize(rig))
    size = connector_class(platform).capabilities.page_size
    count = size * 4 + 7  # five pages, the last one short
    for i in range(count):
        rig.emulator.seed(f"MANY-{i:05d}", f"Hàng {i}", 20_000 + i, 3)

    one_by_one, most_alone, _ = asyncio.run(_read(rig, in_flight=1))
    together, most, pages = asyncio.run(_read(rig, in_flight=3))
    assert len(one_by_one) == count
    assert together == one_by_one, "the same listings in the same order"
    assert most_alone == 1
    assert most == 3, "pages after the first were really in flight together"
    assert pages == 5, "no page read twice"


async def _authorize(rig: Rig) -> None:
    connector = await rig.connect()
    await connector.aclose()


async def _read(rig: Rig, in_flight: int) -> tuple[list[tuple[str, str, int, int]], int, int]:
    transport = Concurrency(rig.sandbox.transport(), PAGED[rig.platform])
    settings = replace(rig.settings, options={**rig.settings.options, "fetch_in_flight": in_flight})
    ctx = ConnectorContext(
        settings=settings,
        credentials=rig.emulator.credentials(),
        token_store=rig.store,
        transport=transport,
        retry_wait_scale=0,
    )
    connector: Connector = connector_class(rig.platform)(ctx)
    try:
        got = [
            (x.seller_sku, x.remote_id, x.price, x.stock) async for x in connector.list_listings()
        ]
    finally:
        await connector.aclose()
    return got, transport.most, transport.pages
