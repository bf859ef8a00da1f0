"""Shopee orders: the connector's exact requests (respx), then connector and sandbox
together in-process, on the sandbox's injectable clock (no test sleeps or reads time).

Raw sandbox requests are signed by a few lines of hmac here, as a client written from
Shopee's documentation would sign them, not by the connector's signer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import shopee_payloads as sp
from ocopsync.connectors.base import (
    ConnectorContext,
    MemoryTokenStore,
    OrderLine,
    OrderLineStatus,
    Tokens,
)
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.errors import (
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.sandbox.shopee import ShopeeSandbox

pytestmark = pytest.mark.anyio

KEY = "sandbox-shopee-key"
CREDS = {"partner_id": "100001", "partner_key": KEY, "shop_id": "200001"}
DAY = 24 * 3600
ACTIVE, CANCELLED, RETURNED = (
    OrderLineStatus.ACTIVE,
    OrderLineStatus.CANCELLED,
    OrderLineStatus.RETURNED,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# == the connector's requests, with respx ================================================
BASE = "https://partner.test-stable.shopeemobile.com"
TS = 1700000000
LIST = "/api/v2/order/get_order_list"
DETAIL = "/api/v2/order/get_order_detail"


@pytest.fixture
async def conn() -> AsyncIterator[ShopeeConnector]:
    store = MemoryTokenStore()
    tokens = Tokens("tok-abc", "ref-1", _at(TS + 14400), _at(TS + 30 * DAY), {"shop_id": "200001"})
    store.save("s", "shopee", tokens)
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE),
        CREDS,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        yield connector


def ok(response: dict[str, Any]) -> httpx.Response:
    body = {"request_id": "r1", "error": "", "message": "", "warning": "", "response": response}
    return httpx.Response(200, json=body)


def err(code: str, message: str, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"request_id": "r1", "error": code, "message": message})


def page(order_sns: list[str], cursor: str = "") -> httpx.Response:
    listed = [{"order_sn": sn} for sn in order_sns]
    return ok({"more": bool(cursor), "next_cursor": cursor, "order_list": listed})


def order(order_sn: str, status: str = "READY_TO_SHIP", **changes: Any) -> dict[str, Any]:
    entry = {
        "item_id": 800001,
        "item_sku": f"SKU-{order_sn}",
        "model_id": 0,
        "model_sku": "",
        "model_quantity_purchased": 1,
    }
    return {
        "order_sn": order_sn,
        "order_status": status,
        "create_time": TS - 3600,
        "update_time": TS - 60,
        "item_list": [entry],
    } | changes


def details(request: httpx.Request) -> httpx.Response:
    order_sns = request.url.params["order_sn_list"].split(",")
    return ok({"order_list": [order(sn) for sn in order_sns]})


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def window(request: httpx.Request) -> tuple[int, int]:
    params = request.url.params
    return int(params["time_from"]), int(params["time_to"])


async def lines_of(conn: ShopeeConnector, since: float, until: float) -> list[OrderLine]:
    return [line async for line in conn.list_order_lines(_at(since), _at(until))]


def test_capabilities_declare_orders_and_shopees_15_day_window() -> None:
    assert ShopeeConnector.capabilities.orders is True
    assert ShopeeConnector.capabilities.orders_max_window == timedelta(days=15)


async def test_list_and_detail_requests_are_signed_shop_calls(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        listed = mock.get(LIST).mock(return_value=page(["240101AAAAAAAA", "240101BBBBBBBB"]))
        detailed = mock.get(DETAIL).mock(side_effect=details)
        lines = await lines_of(conn, TS - DAY, TS)

    def signed(path: str) -> list[tuple[str, str]]:
        base = f"100001{path}{TS}tok-abc200001"
        sign = hmac.new(KEY.encode(), base.encode(), hashlib.sha256).hexdigest()
        return [
            ("partner_id", "100001"),
            ("timestamp", str(TS)),
            ("access_token", "tok-abc"),
            ("shop_id", "200001"),
            ("sign", sign),
        ]

    assert query(listed.calls[0].request) == [
        *signed(LIST),
        ("time_range_field", "update_time"),
        ("time_from", str(TS - DAY)),
        ("time_to", str(TS)),
        ("page_size", "100"),
    ]
    assert query(detailed.calls[0].request) == [
        *signed(DETAIL),
        ("order_sn_list", "240101AAAAAAAA,240101BBBBBBBB"),
        ("response_optional_fields", "item_list"),
    ]
    assert lines == [
        OrderLine(sn, "800001-0", f"SKU-{sn}", 1, ACTIVE, _at(TS - 3600), _at(TS - 60))
        for sn in ("240101AAAAAAAA", "240101BBBBBBBB")
    ]
    assert lines[0].created_at.tzinfo is UTC


async def test_a_40_day_range_is_read_in_3_windows_of_at_most_15_days(
    conn: ShopeeConnector,
) -> None:
    since = TS - 40 * DAY
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        listed = mock.get(LIST).mock(return_value=page([]))
        detailed = mock.get(DETAIL).mock(side_effect=details)
        assert await lines_of(conn, since, TS) == []

    assert [window(c.request) for c in listed.calls] == [
        (since, since + 15 * DAY),
        (since + 15 * DAY, since + 30 * DAY),
        (since + 30 * DAY, TS),
    ]
    assert not detailed.called  # no order, no detail call


async def test_cursor_paging_follows_next_cursor_until_more_is_false(
    conn: ShopeeConnector,
) -> None:
    pages = [page(["A1", "A2"], cursor="2"), page(["A3"], cursor="c-3"), page(["A4"])]
    with respx.mock(base_url=BASE) as mock:
        listed = mock.get(LIST).mock(side_effect=pages)
        mock.get(DETAIL).mock(side_effect=details)
        lines = await lines_of(conn, TS - DAY, TS)

    cursors = [c.request.url.params.get("cursor") for c in listed.calls]
    assert cursors == [None, "2", "c-3"]
    assert {window(c.request) for c in listed.calls} == {(TS - DAY, TS)}
    assert [line.order_id for line in lines] == ["A1", "A2", "A3", "A4"]


async def test_details_are_read_50_at_a_time_and_each_order_once(conn: ShopeeConnector) -> None:
    def listing(request: httpx.Request) -> httpx.Response:
        time_from, _ = window(request)
        if time_from == TS - 20 * DAY:  # first window: 100 orders on two pages
            start = 0 if "cursor" not in request.url.params else 60
            count, cursor = (60, "60") if start == 0 else (40, "")
            return page([f"O{n:03d}" for n in range(start, start + count)], cursor)
        return page(["O099", *[f"O{n:03d}" for n in range(100, 120)]])  # O099 again

    with respx.mock(base_url=BASE) as mock:
        listed = mock.get(LIST).mock(side_effect=listing)
        detailed = mock.get(DETAIL).mock(side_effect=details)
        lines = await lines_of(conn, TS - 20 * DAY, TS)

    assert listed.call_count == 3
    batches = [c.request.url.params["order_sn_list"].split(",") for c in detailed.calls]
    assert [len(b) for b in batches] == [50, 50, 20]
    assert [line.order_id for line in lines] == [f"O{n:03d}" for n in range(120)]


@pytest.mark.parametrize(
    ("remote", "ours"),
    [
        ("UNPAID", ACTIVE),
        ("READY_TO_SHIP", ACTIVE),
        ("PROCESSED", ACTIVE),
        ("SHIPPED", ACTIVE),
        ("TO_CONFIRM_RECEIVE", ACTIVE),
        ("COMPLETED", ACTIVE),
        ("IN_CANCEL", ACTIVE),  # cancellation requested, may be refused: units not back
        ("CANCELLED", CANCELLED),
        ("TO_RETURN", RETURNED),
        ("SOMETHING_NEW", ACTIVE),
    ],
)
def test_status_mapping(remote: str, ours: OrderLineStatus) -> None:
    assert sp.line_status(remote) is ours


def test_lines_take_model_sku_first_and_a_stable_item_model_id() -> None:
    items = [
        {"item_id": 7, "model_id": 71, "item_sku": "", "model_sku": "M-71"},
        {"item_id": 7, "model_id": 72, "item_sku": "PARENT", "model_sku": "M-72"},
        {"item_id": 8, "model_id": 0, "item_sku": "PLAIN", "model_sku": ""},
        {"item_id": 8, "model_id": 0, "item_sku": "PLAIN", "model_sku": None},
    ]
    for n, item in enumerate(items, start=1):
        item["model_quantity_purchased"] = n
    lines = sp.parse_order(order("X", "CANCELLED", item_list=items))
    assert [(ln.line_id, ln.seller_sku, ln.quantity) for ln in lines] == [
        ("7-71", "M-71", 1),
        ("7-72", "M-72", 2),
        ("8-0", "PLAIN", 3),
        ("8-0#2", "PLAIN", 4),
    ]
    assert {ln.status for ln in lines} == {CANCELLED}


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (0, 15 * DAY, [(0, 15 * DAY)]),
        (0, 15 * DAY + 1, [(0, 15 * DAY), (15 * DAY, 15 * DAY + 1)]),
        (100, 100, [(100, 100)]),
        (100, 99, []),
    ],
)
def test_order_windows(since: int, until: int, expected: list[tuple[int, int]]) -> None:
    assert sp.order_windows(_at(since), _at(until)) == expected


def test_naive_datetimes_are_utc_and_fractions_widen_the_window() -> None:
    naive = datetime(2024, 1, 1, 0, 0, 0, 500000)  # noqa: DTZ001 - the point of the test
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    assert sp.order_windows(naive, naive) == [(start, start + 1)]


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("order.order_list_invalid_time", "Start time must be earlier ...", RejectedError),
        ("error_permission", "Sorry you don't have the permission", FatalConfigError),
        ("error_param", "Wrong parameters, detail: page_size.", RejectedError),
        ("error_server", "System error. Please try again later.", TransientError),
        ("error_rate_limit", "Too many requests.", RateLimitedError),
    ],
)
async def test_order_list_errors_map_to_our_tree(
    conn: ShopeeConnector, code: str, message: str, expected: type[ConnectorError]
) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get(LIST).mock(return_value=err(code, message))
        with pytest.raises(ConnectorError) as caught:
            await lines_of(conn, TS - DAY, TS)
    assert type(caught.value) is expected and caught.value.code == code
    retried = issubclass(expected, TransientError)
    assert route.call_count == (conn.ctx.max_attempts if retried else 1)


@pytest.mark.parametrize(
    "answer",
    [
        {},  # no response object at all
        {"more": "false", "order_list": []},
        {"more": False, "order_list": {"order_sn": "A"}},
        {"more": False, "order_list": [{"sn": "A"}]},
        {"more": False, "order_list": [{"order_sn": 12}]},
        {"more": True, "next_cursor": "", "order_list": [{"order_sn": "A"}]},
    ],
)
async def test_malformed_order_pages_are_connector_errors(
    conn: ShopeeConnector, answer: dict[str, Any]
) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get(LIST).mock(return_value=ok(answer))
        with pytest.raises(TransientError) as caught:
            await lines_of(conn, TS - DAY, TS)
    assert caught.value.platform == "shopee" and caught.value.code == "bad_answer"
    assert route.call_count == conn.ctx.max_attempts  # retried like a failed call


@pytest.mark.parametrize(
    "changes",
    [
        {"order_status": None},
        {"update_time": "1700000000"},
        {"create_time": True},
        {"item_list": None},
        {"item_list": ["800001"]},
        {"item_list": [{"item_id": 1, "model_id": 0, "item_sku": "A"}]},
        {"item_list": [{"item_id": 1, "model_id": 0, "model_quantity_purchased": "2"}]},
        {"item_list": [{"item_id": 1, "model_id": 0, "model_quantity_purchased": -1}]},
        {"item_list": [{"item_id": "1", "model_id": 0, "model_quantity_purchased": 1}]},
        {"item_list": [{"item_id": 1, "model_quantity_purchased": 1}]},
        {
            "item_list": [
                {"item_id": 1, "model_id": 0, "model_quantity_purchased": 1, "item_sku": 5}
            ]
        },
        {"order_sn": "OTHER"},  # the order asked for is left out
    ],
)
async def test_malformed_order_details_are_connector_errors(
    conn: ShopeeConnector, changes: dict[str, Any]
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get(LIST).mock(return_value=page(["A"]))
        route = mock.get(DETAIL).mock(return_value=ok({"order_list": [order("A") | changes]}))
        with pytest.raises(TransientError) as caught:
            await lines_of(conn, TS - DAY, TS)
    assert caught.value.platform == "shopee" and caught.value.code == "bad_answer"
    assert route.call_count == conn.ctx.max_attempts


async def test_not_found_details_are_a_refusal(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get(LIST).mock(return_value=page(["A"]))
        mock.get(DETAIL).mock(return_value=err("error_not_found", "the order is not found."))
        with pytest.raises(RejectedError):
            await lines_of(conn, TS - DAY, TS)


async def test_an_empty_range_sends_nothing(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        assert await lines_of(conn, TS, TS - 1) == []
    assert not mock.calls


# == connector and sandbox, in-process ================================================
ROOT = "http://sandbox"
SB_BASE = f"{ROOT}/shopee"
NOW = 1_750_000_000.0
"""2025-06-15 15:06:40 UTC: the clock the connector authorizes and reads at."""
FAST = {"rate_limit_per_s": 10_000}


class Clock:
    """The sandbox's and the connector's clock, set by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def sb(clock: Clock) -> Sandbox:
    return build_sandbox(["shopee"], clock=clock)


@pytest.fixture
def shopee(sb: Sandbox) -> ShopeeSandbox:
    return cast(ShopeeSandbox, sb["shopee"])


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
async def sb_conn(
    sb: Sandbox, shopee: ShopeeSandbox, store: MemoryTokenStore, clock: Clock
) -> AsyncIterator[ShopeeConnector]:
    options = shopee.connection_options(ROOT) | FAST
    settings = ConnectionSettings("coop", "shopee", shopee.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings,
        shopee.credentials(),
        token_store=store,
        transport=sb.transport(),
        clock=clock,
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        await connector.exchange_code(shopee.authorization_code())
        yield connector


async def buyer(sb: Sandbox, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Play the buyer through the sandbox's own routes."""
    async with httpx.AsyncClient(transport=sb.transport(), base_url=SB_BASE) as client:
        response = await client.post(f"/_sandbox/orders{path}", json=body)
    assert response.is_success, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def place(sb: Sandbox, clock: Clock, at: float, body: dict[str, Any]) -> str:
    clock.now = at
    placed = await buyer(sb, "", body)
    clock.now = NOW
    return str(placed["order_id"])


async def give_back(
    sb: Sandbox, clock: Clock, at: float, order_id: str, how: str, sku: str | None = None
) -> None:
    clock.now = at
    await buyer(sb, f"/{order_id}/{how}", {"sku": sku} if sku else None)
    clock.now = NOW


async def raw_get(sb: Sandbox, path: str, token: str, params: list[tuple[str, str]]) -> Any:
    """A signed Shop API GET written from the docs, at the sandbox's current time."""
    ts = int(cast(ShopeeSandbox, sb["shopee"]).clock())
    base = f"100001{path}{ts}{token}200001"
    sign = hmac.new(KEY.encode(), base.encode(), hashlib.sha256).hexdigest()
    common = [
        ("partner_id", "100001"),
        ("timestamp", str(ts)),
        ("access_token", token),
        ("shop_id", "200001"),
        ("sign", sign),
    ]
    async with httpx.AsyncClient(transport=sb.transport(), base_url=SB_BASE) as client:
        response = await client.get(path, params=common + params)
    return response.status_code, response.json()


def token_of(store: MemoryTokenStore) -> str:
    tokens = store.load("coop")
    assert tokens is not None
    return tokens.access_token


async def test_placed_cancelled_and_returned_orders_come_back_as_lines(
    sb: Sandbox, shopee: ShopeeSandbox, sb_conn: ShopeeConnector, clock: Clock
) -> None:
    tea = shopee.seed("TRA-1", "Trà hoa vàng", 45000, 10)
    honey = shopee.seed("MAT-1", "Mật ong bạc hà", 120000, 10)
    old = await place(sb, clock, NOW - 10 * DAY, {"sku": "TRA-1", "quantity": 1})
    old_cancelled = await place(sb, clock, NOW - 10 * DAY + 5, {"sku": "MAT-1", "quantity": 1})
    two_lines = {"lines": [{"sku": "TRA-1", "quantity": 2}, {"sku": "MAT-1", "quantity": 1}]}
    x = await place(sb, clock, NOW - 7200, two_lines)
    y = await place(sb, clock, NOW - 7190, {"sku": "TRA-1", "quantity": 1})
    w = await place(sb, clock, NOW - 7180, {"sku": "MAT-1", "quantity": 3})
    await give_back(sb, clock, NOW - 3600, x, "cancel")
    await give_back(sb, clock, NOW - 3590, y, "return", sku="TRA-1")
    await give_back(sb, clock, NOW - 1800, old_cancelled, "cancel")

    lines = await lines_of(sb_conn, NOW - 3 * 3600, NOW)

    def line(order_id: str, remote_id: str, sku: str, quantity: int, status: Any) -> OrderLine:
        placed = shopee.orders.orders[order_id]
        created, updated = _at(placed.created_at), _at(placed.updated_at)
        return OrderLine(order_id, f"{remote_id}-0", sku, quantity, status, created, updated)

    assert sorted(lines, key=lambda ln: (ln.updated_at, ln.order_id, ln.line_id)) == sorted(
        [
            line(x, tea, "TRA-1", 2, CANCELLED),
            line(x, honey, "MAT-1", 1, CANCELLED),
            line(y, tea, "TRA-1", 1, RETURNED),
            line(w, honey, "MAT-1", 3, ACTIVE),
            # placed long ago but cancelled in the window: read by update_time
            line(old_cancelled, honey, "MAT-1", 1, CANCELLED),
        ],
        key=lambda ln: (ln.updated_at, ln.order_id, ln.line_id),
    )
    assert old not in {ln.order_id for ln in lines}  # neither placed nor updated in the window
    assert lines[0].updated_at.tzinfo is UTC
    snapshot = shopee.snapshot()
    assert (snapshot["TRA-1"]["stock"], snapshot["MAT-1"]["stock"]) == (9, 7)


async def test_a_40_day_range_finds_orders_in_every_window(
    sb: Sandbox, shopee: ShopeeSandbox, sb_conn: ShopeeConnector, clock: Clock
) -> None:
    shopee.seed("TRA-1", "Trà hoa vàng", 45000, 100)
    since = NOW - 40 * DAY
    # Day 0, the shared boundary of windows 1 and 2 (read once), day 29, and today.
    times = [since, since + 15 * DAY, since + 29 * DAY, NOW - 60]
    placed = [await place(sb, clock, t, {"sku": "TRA-1", "quantity": 1}) for t in times]
    await place(sb, clock, since - 1, {"sku": "TRA-1", "quantity": 1})  # just before

    before = shopee.requests
    lines = await lines_of(sb_conn, since, NOW)

    assert [ln.order_id for ln in lines] == placed
    assert shopee.requests - before == 3 + 1  # three windows, one detail batch


async def test_order_ids_look_like_shopee_order_sn(
    sb: Sandbox, shopee: ShopeeSandbox, clock: Clock
) -> None:
    shopee.seed("TRA-1", "Trà hoa vàng", 45000, 10)
    order_id = await place(sb, clock, NOW, {"sku": "TRA-1", "quantity": 1})
    assert re.fullmatch(r"250615[0-9A-Z]{8}", order_id)  # Vietnam's date, 22:06 there


async def test_a_partial_return_puts_the_whole_order_in_to_return(
    sb: Sandbox, shopee: ShopeeSandbox, sb_conn: ShopeeConnector, store: MemoryTokenStore
) -> None:
    """Documented limit: get_order_detail has one status per order, not per item."""
    shopee.seed("TRA-1", "Trà", 45000, 10)
    shopee.seed("MAT-1", "Mật ong", 120000, 10)
    two_lines = {"lines": [{"sku": "TRA-1", "quantity": 1}, {"sku": "MAT-1", "quantity": 1}]}
    order_id = str((await buyer(sb, "", two_lines))["order_id"])
    await buyer(sb, f"/{order_id}/cancel", {"sku": "MAT-1"})
    params = [("order_sn_list", order_id), ("response_optional_fields", "item_list")]

    _, partly_cancelled = await raw_get(sb, DETAIL, token_of(store), params)
    await buyer(sb, f"/{order_id}/return", {"sku": "TRA-1"})
    _, returned = await raw_get(sb, DETAIL, token_of(store), params)

    assert partly_cancelled["response"]["order_list"][0]["order_status"] == "READY_TO_SHIP"
    assert returned["response"]["order_list"][0]["order_status"] == "TO_RETURN"
    assert len(returned["response"]["order_list"][0]["item_list"]) == 2


async def test_sandbox_order_list_pages_with_a_cursor_and_filters_by_status(
    sb: Sandbox,
    shopee: ShopeeSandbox,
    sb_conn: ShopeeConnector,
    store: MemoryTokenStore,
    clock: Clock,
) -> None:
    shopee.seed("TRA-1", "Trà", 45000, 10)
    ids = [await place(sb, clock, NOW - 30 + 10 * n, {"sku": "TRA-1"}) for n in range(3)]
    await buyer(sb, f"/{ids[1]}/cancel")
    common = [
        ("time_range_field", "create_time"),
        ("time_from", str(int(NOW) - 60)),
        ("time_to", str(int(NOW))),
        ("page_size", "2"),
    ]

    status, first = await raw_get(sb, LIST, token_of(store), common)
    cursor = first["response"]["next_cursor"]
    _, second = await raw_get(sb, LIST, token_of(store), [*common, ("cursor", cursor)])
    _, cancelled = await raw_get(
        sb,
        LIST,
        token_of(store),
        [*common, ("order_status", "CANCELLED"), ("response_optional_fields", "order_status")],
    )

    assert status == 200 and first["error"] == "" and first["request_id"]
    assert first["response"]["more"] is True and cursor
    assert [o["order_sn"] for o in first["response"]["order_list"]] == ids[:2]
    assert second["response"] == {
        "more": False,
        "next_cursor": "",
        "order_list": [{"order_sn": ids[2]}],
    }
    assert cancelled["response"]["order_list"] == [
        {"order_sn": ids[1], "order_status": "CANCELLED"}
    ]


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (
            LIST,
            [
                ("time_range_field", "update_time"),
                ("time_from", "0"),
                ("time_to", str(15 * DAY + 1)),
            ],
            "order.order_list_invalid_time",
        ),
        (
            LIST,
            [("time_range_field", "update_time"), ("time_from", "10"), ("time_to", "9")],
            "order.order_list_invalid_time",
        ),
        (
            LIST,
            [("time_range_field", "pay_time"), ("time_from", "0"), ("time_to", "9")],
            "error_param",
        ),
        (LIST, [("time_range_field", "update_time"), ("time_from", "0")], "error_param"),
        (DETAIL, [("order_sn_list", ",".join(f"O{n}" for n in range(51)))], "error_param"),
        (DETAIL, [("order_sn_list", "")], "error_param"),
        (DETAIL, [("order_sn_list", "250615NOSUCHSN")], "error_not_found"),
    ],
)
async def test_sandbox_refuses_bad_order_queries_in_shopees_error_shape(
    sb: Sandbox,
    sb_conn: ShopeeConnector,
    store: MemoryTokenStore,
    path: str,
    params: list[tuple[str, str]],
    code: str,
) -> None:
    size = [("page_size", "100")] if path == LIST else []
    status, body = await raw_get(sb, path, token_of(store), params + size)
    assert status == 400
    assert body["error"] == code and body["message"] and body["request_id"]
    assert "response" not in body


@pytest.mark.parametrize("size", ["0", "101", "ten"])
async def test_sandbox_order_page_size_is_1_to_100(
    sb: Sandbox, sb_conn: ShopeeConnector, store: MemoryTokenStore, size: str
) -> None:
    params = [("time_range_field", "update_time"), ("time_from", "0"), ("time_to", "9")]
    _, body = await raw_get(sb, LIST, token_of(store), [*params, ("page_size", size)])
    assert body["error"] == "error_param"


async def test_order_routes_check_the_signature_like_every_shop_route(
    sb: Sandbox, sb_conn: ShopeeConnector
) -> None:
    status, body = await raw_get(sb, LIST, "not-a-token", [])
    assert status == 403 and body["error"] == "error_auth"


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (Faults(error_rate=1.0), TransientError),
        (Faults(rate_limit_rate=1.0), RateLimitedError),
        (Faults(drop_rate=1.0), TransientError),
    ],
)
async def test_faults_apply_to_the_order_routes(
    shopee: ShopeeSandbox, sb_conn: ShopeeConnector, faults: Faults, expected: type[Exception]
) -> None:
    shopee.faults.set(faults)
    before = shopee.requests
    with pytest.raises(expected):
        await lines_of(sb_conn, NOW - DAY, NOW)
    assert shopee.requests - before == sb_conn.ctx.max_attempts


async def test_intermittent_faults_still_read_every_line(
    sb: Sandbox, shopee: ShopeeSandbox, sb_conn: ShopeeConnector, clock: Clock
) -> None:
    shopee.seed("TRA-1", "Trà", 45000, 1000)
    placed = [
        await place(sb, clock, NOW - 120 * n, {"sku": "TRA-1", "quantity": 1}) for n in range(120)
    ]
    shopee.faults.set(Faults(error_rate=0.2, drop_rate=0.05, rate_limit_rate=0.05, seed=3))
    lines = await lines_of(sb_conn, NOW - DAY, NOW)
    assert sorted(ln.order_id for ln in lines) == sorted(placed)
    assert sum(shopee.faults.injected.values()) > 0
