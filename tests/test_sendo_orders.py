"""Sendo sales orders: exact salesorder/search requests (respx), and the connector against
its sandbox in process, with the sandbox's buyer placing, cancelling and returning orders."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    ConnectorContext,
    MemoryTokenStore,
    OrderLine,
    OrderLineStatus,
    Tokens,
)
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.connectors.sendo_payloads import order_windows, parse_order
from ocopsync.errors import ConnectorError, RateLimitedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults

pytestmark = pytest.mark.anyio

BASE = "https://open.sendo.vn"
ROOT = "http://sandbox"
NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC, 22:06:40 in Vietnam
SEARCH = "/api/partner/salesorder/search"
ACTIVE, CANCELLED, RETURNED = (
    OrderLineStatus.ACTIVE,
    OrderLineStatus.CANCELLED,
    OrderLineStatus.RETURNED,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- pure: windows and one entry ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("since", "until", "windows"),
    [
        # Vietnam days: 16:59Z is 23:59 on the 15th, 17:00Z is already the 16th.
        ("2025-06-15T16:59:00Z", "2025-06-15T17:00:00Z", [("06-15", "06-16")]),
        ("2025-06-15T01:00:00Z", "2025-06-15T02:00:00Z", [("06-15", "06-15")]),
        ("2025-06-15T01:00:00Z", "2025-06-17T16:00:00Z", [("06-15", "06-17")]),
        ("2025-06-15T01:00:00Z", "2025-06-17T17:00:00Z", [("06-15", "06-17"), ("06-18", "06-18")]),
        (
            "2025-06-15T20:00:00Z",
            "2025-06-22T01:00:00Z",
            [("06-16", "06-18"), ("06-19", "06-21"), ("06-22", "06-22")],
        ),
    ],
)
def test_windows_are_vietnam_days_three_at_most(
    since: str, until: str, windows: list[tuple[str, str]]
) -> None:
    def day(md: str) -> date:
        return date.fromisoformat(f"2025-{md}")

    assert order_windows(at(since), at(until)) == [(day(a), day(b)) for a, b in windows]


def entry(
    number: Any = "142873645001",
    status: int = 2,
    details: list[dict[str, Any]] | None = None,
    created: int = 1_750_000_000,
    updated: int = 1_750_000_100,
    **order: Any,
) -> dict[str, Any]:
    return {
        "sales_order": {
            "order_number": number,
            "order_status": status,
            "order_date_time_stamp": created,
            "order_status_date_time_stamp": updated,
            **order,
        },
        "sku_details": details
        if details is not None
        else [{"sku": "TRA-1", "product_variant_id": 1001, "quantity": 2, "price": 45000}],
    }


@pytest.mark.parametrize(
    ("order_status", "item", "expected"),
    [
        (2, {}, ACTIVE),
        (3, {}, ACTIVE),
        (7, {}, ACTIVE),
        (8, {}, ACTIVE),
        (21, {}, ACTIVE),  # returning: the units are not back yet
        (13, {}, CANCELLED),
        (22, {}, RETURNED),
        (7, {"item_status": 22}, RETURNED),
        (2, {"item_status": 13}, CANCELLED),
        (13, {"item_status": 7}, ACTIVE),
        (99, {}, ACTIVE),  # an unknown status keeps the units sold
    ],
)
def test_statuses_map_to_what_they_do_to_stock(
    order_status: int, item: dict[str, Any], expected: OrderLineStatus
) -> None:
    detail = {"sku": "TRA-1", "quantity": 1, **item}
    (line,) = parse_order(entry(status=order_status, details=[detail]))
    assert line.status is expected


def test_one_entry_gives_one_line_per_sku_in_utc() -> None:
    details = [
        {"sku": "TRA-1", "product_variant_id": 1001, "quantity": 2},
        {"store_sku": "MAM-2", "product_variant_id": 1002, "quantity": 1},
    ]
    lines = parse_order(entry(number=142873645001, details=details))
    created, updated = datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC), at("2025-06-15T15:08:20Z")
    assert lines == [
        OrderLine("142873645001", "TRA-1", "TRA-1", 2, ACTIVE, created, updated),
        OrderLine("142873645001", "MAM-2", "MAM-2", 1, ACTIVE, created, updated),
    ]
    assert all(line.updated_at.tzinfo is UTC for line in lines)


@pytest.mark.parametrize(
    "broken",
    [
        {"sku_details": []},
        {"sales_order": "142873645001", "sku_details": []},
        entry(details=None) | {"sku_details": None},
        entry(number=None),
        entry(number=True),
        entry(status="2"),  # type: ignore[arg-type]
        entry(updated=None),  # type: ignore[arg-type]
        entry(created="1750000000"),  # type: ignore[arg-type]
        entry(details=[{"quantity": 1}]),
        entry(details=[{"sku": "TRA-1", "quantity": "2"}]),
        entry(details=[{"sku": "TRA-1", "quantity": 2, "item_status": None}]),
        entry(details=["TRA-1"]),  # type: ignore[list-item]
        "not an order",
    ],
)
def test_a_missing_or_mistyped_field_is_this_connections_error(broken: Any) -> None:
    with pytest.raises(ConnectorError) as caught:
        parse_order(broken)
    assert caught.value.platform == "sendo" and caught.value.code == "bad_answer"


# -- respx: the exact requests -------------------------------------------------------------------
@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


def respx_connector(max_attempts: int = 3) -> SendoConnector:
    settings = ConnectionSettings("sendo-shop", "sendo", BASE, options={"rate_limit_per_s": 0})
    store = MemoryTokenStore()
    expires = datetime.fromtimestamp(NOW, tz=UTC) + timedelta(hours=8)
    store.save("sendo-shop", "sendo", Tokens(access_token="tok-1", access_expires_at=expires))
    ctx = ConnectorContext(
        settings,
        {"shop_key": "k", "secret_key": "s"},
        token_store=store,
        clock=lambda: NOW,
        retry_wait_scale=0,
        max_attempts=max_attempts,
    )
    return SendoConnector(ctx)


def ok(data: Any, next_token: str = "") -> httpx.Response:
    result = {"data": data, "next_token": next_token, "previous_token": ""}
    return httpx.Response(200, json={"result": result, "success": True, "error": None})


async def collect(connector: SendoConnector, since: datetime, until: datetime) -> list[OrderLine]:
    async with connector:
        return [line async for line in connector.list_order_lines(since, until)]


async def test_searches_by_status_date_three_days_at_a_time_and_pages_by_token(
    api: respx.MockRouter,
) -> None:
    since, until = at("2025-06-15T20:00:00Z"), at("2025-06-20T01:00:00Z")
    inside, later = int(since.timestamp()) + 60, int(until.timestamp()) - 60
    route = api.post(SEARCH).mock(
        side_effect=[
            ok([entry(number="A1", updated=inside)], next_token="cursor-2"),
            ok([entry(number="A2", updated=inside + 1)]),
            ok([entry(number="B1", updated=later)]),
        ]
    )
    lines = await collect(respx_connector(), since, until)
    assert [line.order_id for line in lines] == ["A1", "A2", "B1"]
    bodies = [json.loads(call.request.content) for call in route.calls]
    first = {
        "page_size": 50,
        "order_status": None,
        "order_date_from": None,
        "order_date_to": None,
        "order_status_date_from": "2025/06/16",
        "order_status_date_to": "2025/06/18",
        "token": None,
    }
    assert bodies[0] == first
    assert bodies[1] == {**first, "token": "cursor-2"}
    assert bodies[2] == {
        **first,
        "order_status_date_from": "2025/06/19",
        "order_status_date_to": "2025/06/20",
    }
    assert {call.request.headers["Authorization"] for call in route.calls} == {"bearer tok-1"}


async def test_orders_of_the_same_days_outside_the_range_are_dropped(
    api: respx.MockRouter,
) -> None:
    since, until = at("2025-06-15T02:00:00.400Z"), at("2025-06-15T03:00:00Z")
    start, end = int(since.timestamp()), int(until.timestamp())
    api.post(SEARCH).mock(
        return_value=ok(
            [
                entry(number="EARLY", updated=start - 1),
                entry(number="EDGE-START", updated=start),  # whole seconds: kept
                entry(number="EDGE-END", updated=end),
                entry(number="LATE", updated=end + 1),
            ]
        )
    )
    lines = await collect(respx_connector(), since, until)
    assert [line.order_id for line in lines] == ["EDGE-START", "EDGE-END"]


async def test_an_empty_range_sends_nothing(api: respx.MockRouter) -> None:
    route = api.post(SEARCH).mock(return_value=ok([]))
    assert await collect(respx_connector(), at("2025-06-16T00:00Z"), at("2025-06-15T00:00Z")) == []
    assert route.call_count == 0


async def test_a_busy_answer_is_retried(api: respx.MockRouter) -> None:
    busy = {
        "result": None,
        "success": False,
        "error": {"message": "busy", "error_details": [{"code": "system_busy"}]},
        "status_code": 503,
    }
    day = at("2025-06-15T02:00:00Z")
    route = api.post(SEARCH).mock(
        side_effect=[httpx.Response(503, json=busy), ok([entry(updated=int(day.timestamp()))])]
    )
    lines = await collect(respx_connector(), day, day + timedelta(hours=1))
    assert [line.order_id for line in lines] == ["142873645001"]
    assert route.call_count == 2


@pytest.mark.parametrize(
    "result",
    [
        {"next_token": ""},
        {"data": {"sales_order": {}}, "next_token": ""},
        {"data": [], "next_token": 5},
        {"data": [{"sales_order": {"order_number": "X"}, "sku_details": []}]},
        None,
    ],
)
async def test_a_malformed_answer_is_retried_then_raised_as_a_connector_error(
    api: respx.MockRouter, result: Any
) -> None:
    body = {"result": result, "success": True, "error": None}
    route = api.post(SEARCH).mock(return_value=httpx.Response(200, json=body))
    day = at("2025-06-15T02:00:00Z")
    with pytest.raises(TransientError) as caught:
        await collect(respx_connector(max_attempts=2), day, day)
    assert caught.value.platform == "sendo" and caught.value.code == "bad_answer"
    assert route.call_count == 2


# -- the connector against its sandbox ----------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock: FakeClock) -> Sandbox:
    return build_sandbox(["sendo"], clock=clock)


@pytest.fixture
async def buyer(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=f"{ROOT}/sendo") as client:
        yield client


def sandbox_connector(sb: Sandbox, clock: FakeClock) -> SendoConnector:
    platform = sb["sendo"]
    options = {**platform.connection_options(ROOT), "rate_limit_per_s": 0}
    settings = ConnectionSettings("sendo-shop", "sendo", platform.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings, platform.credentials(), transport=sb.transport(), clock=clock, retry_wait_scale=0
    )
    return SendoConnector(ctx)


def when(clock: FakeClock) -> datetime:
    return datetime.fromtimestamp(clock.now, tz=UTC)


async def order(buyer: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await buyer.post("/_sandbox/orders", json=body)
    assert answer.status_code == 201, answer.text
    number: str = answer.json()["order_id"]
    return number


async def test_placed_cancelled_and_returned_orders_read_back_as_lines(
    sb: Sandbox, clock: FakeClock, buyer: httpx.AsyncClient
) -> None:
    sendo = sb["sendo"]
    for sku in ("TRA-1", "MAM-2", "KEO-3"):
        sendo.seed(sku, f"Sản phẩm {sku}", 50_000, 10)
    old = await order(buyer, {"sku": "KEO-3", "quantity": 1})  # before the window
    clock.advance(3600)
    since = when(clock)
    two = await order(buyer, {"lines": [{"sku": "TRA-1", "quantity": 2}, {"sku": "MAM-2"}]})
    placed_two = when(clock)
    clock.advance(60)
    gone = await order(buyer, {"sku": "KEO-3", "quantity": 3})
    placed_gone = when(clock)
    clock.advance(60)
    assert (await buyer.post(f"/_sandbox/orders/{gone}/cancel")).status_code == 200
    cancelled_at = when(clock)
    clock.advance(3 * 86400)  # the return comes days later: another search window
    back = await buyer.post(f"/_sandbox/orders/{two}/return", json={"sku": "MAM-2"})
    assert back.status_code == 200
    returned_at = when(clock)
    assert sendo.snapshot()["MAM-2"]["stock"] == 10

    async with sandbox_connector(sb, clock) as connector:
        lines = [line async for line in connector.list_order_lines(since, when(clock))]
    assert sorted(lines, key=lambda x: (x.order_id, x.seller_sku)) == [
        OrderLine(two, "MAM-2", "MAM-2", 1, RETURNED, placed_two, returned_at),
        OrderLine(two, "TRA-1", "TRA-1", 2, ACTIVE, placed_two, returned_at),
        OrderLine(gone, "KEO-3", "KEO-3", 3, CANCELLED, placed_gone, cancelled_at),
    ]
    assert old not in {line.order_id for line in lines}
    assert len(two) == 12 and two.isdigit()


async def test_only_orders_updated_in_the_range_come_back(
    sb: Sandbox, clock: FakeClock, buyer: httpx.AsyncClient
) -> None:
    sb["sendo"].seed("TRA-1", "Trà", 45_000, 50)
    before = await order(buyer, {"sku": "TRA-1"})
    clock.advance(10)
    since = when(clock)
    clock.advance(10)
    inside = await order(buyer, {"sku": "TRA-1"})
    clock.advance(10)
    until = when(clock)
    clock.advance(10)
    after = await order(buyer, {"sku": "TRA-1"})
    clock.advance(3600)
    cancelled_later = await order(buyer, {"sku": "TRA-1"})
    async with sandbox_connector(sb, clock) as connector:
        got = [line.order_id async for line in connector.list_order_lines(since, until)]
        assert got == [inside]
        clock.advance(10)
        await buyer.post(f"/_sandbox/orders/{before}/cancel")
        now = when(clock)
        later = [line async for line in connector.list_order_lines(now, now)]
    assert [(x.order_id, x.status) for x in later] == [(before, CANCELLED)]
    assert {after, cancelled_later}.isdisjoint(got)


async def test_many_orders_page_through_the_cursor(
    sb: Sandbox, clock: FakeClock, buyer: httpx.AsyncClient
) -> None:
    sb["sendo"].seed("TRA-1", "Trà", 45_000, 500)
    since = when(clock)
    placed = []
    for _ in range(120):
        placed.append(await order(buyer, {"sku": "TRA-1"}))
        clock.advance(1)
    before = sb["sendo"].requests
    async with sandbox_connector(sb, clock) as connector:
        got = [line.order_id async for line in connector.list_order_lines(since, when(clock))]
    assert got == placed
    assert sb["sendo"].requests - before == 1 + 3  # a login, then pages of 50, 50 and 20


async def test_the_sandbox_refuses_a_status_range_over_three_days(
    sb: Sandbox, buyer: httpx.AsyncClient
) -> None:
    token = (await buyer.post("/login", json=sb["sendo"].credentials())).json()["result"]["token"]
    headers = {"Authorization": f"bearer {token}"}
    body = {"order_status_date_from": "2025/06/01", "order_status_date_to": "2025/06/04"}
    refused = await buyer.post(SEARCH, json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["error_details"][0]["code"] == "validation"
    body["order_status_date_to"] = "2025-06-03"
    assert (await buyer.post(SEARCH, json=body, headers=headers)).status_code == 200
    unauthenticated = await buyer.post(SEARCH, json=body)
    assert unauthenticated.status_code == 401


@pytest.mark.parametrize(
    ("faults", "error", "message"),
    [
        (Faults(error_rate=1.0), TransientError, "server error HTTP 503"),
        (Faults(rate_limit_rate=1.0), RateLimitedError, "rate limited"),
        (Faults(drop_rate=1.0), TransientError, "connection failed"),
    ],
)
async def test_the_orders_route_draws_faults_like_every_other(
    sb: Sandbox, clock: FakeClock, faults: Faults, error: type[Exception], message: str
) -> None:
    async with sandbox_connector(sb, clock) as connector:
        assert (await connector.check()).ok  # log in before the faults start
        sb.set_faults(faults)
        before = sb["sendo"].requests
        with pytest.raises(error, match=message):
            await anext(connector.list_order_lines(when(clock), when(clock)))
    assert sb["sendo"].requests - before == 5, "every attempt reached the orders route"
