"""Orders on ocopsync's own dialects (portal, Voso, Postmart): exact requests with respx,
and each connector against its sandbox in process, the sandbox's buyer placing,
cancelling and returning orders on an injected clock."""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import (
    portal,
    portal_payloads,
    postmart,
    postmart_payloads,
    voso,
    voso_payloads,
)
from ocopsync.connectors.base import (
    Connector,
    ConnectorContext,
    OrderLine,
    OrderLineStatus,
)
from ocopsync.connectors.registry import connector_class
from ocopsync.errors import ConnectorError, RateLimitedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
ACTIVE, CANCELLED, RETURNED = (
    OrderLineStatus.ACTIVE,
    OrderLineStatus.CANCELLED,
    OrderLineStatus.RETURNED,
)
SINCE = datetime(2025, 6, 15, 8, 0, tzinfo=UTC)
UNTIL = datetime(2025, 6, 15, 9, 30, 15, 250_000, tzinfo=UTC)
PLACED = datetime(2025, 6, 15, 8, 10, tzinfo=UTC)
CHANGED = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ctx(platform: str, base: str, credentials: dict[str, str], **kw: Any) -> ConnectorContext:
    settings = ConnectionSettings("shop", platform, base, options={"rate_limit_per_s": 0})
    kw = {"clock": lambda: NOW, "retry_wait_scale": 0, "max_attempts": 2, **kw}
    return ConnectorContext(settings, credentials, **kw)


async def collect(connector: Any) -> list[OrderLine]:
    async with connector:
        return [line async for line in connector.list_order_lines(SINCE, UNTIL)]


# -- portal: the exact requests -------------------------------------------------------------
PORTAL = "http://portal.test/portal"


def portal_order(n: int, **changes: Any) -> dict[str, Any]:
    order = {
        "id": f"DH{n:08d}",
        "status": "placed",
        "created_at": "2025-06-15T08:10:00Z",
        "updated_at": "2025-06-15T16:00:00+07:00",
        "lines": [{"id": f"DH{n:08d}-1", "sku": "TRA-1", "quantity": 2, "status": "placed"}],
    }
    return {**order, **changes}


async def test_portal_pages_orders_of_the_window_with_its_key() -> None:
    with respx.mock(base_url=PORTAL, assert_all_called=True) as api:
        full = {"items": [portal_order(i) for i in range(100)], "total": 101}
        route = api.get("/api/v1/orders").mock(
            side_effect=[
                httpx.Response(200, json=full),
                httpx.Response(200, json={"items": [portal_order(100)], "total": 101}),
            ]
        )
        lines = await collect(portal.PortalConnector(ctx("portal", PORTAL, {"api_key": "k-1"})))
    assert len(lines) == 101
    assert lines[0] == OrderLine("DH00000000", "DH00000000-1", "TRA-1", 2, ACTIVE, PLACED, CHANGED)
    queries = [dict(call.request.url.params) for call in route.calls]
    window = {"updated_from": "2025-06-15T08:00:00Z", "updated_to": "2025-06-15T09:30:15.250000Z"}
    assert queries == [
        {**window, "page": "1", "page_size": "100"},
        {**window, "page": "2", "page_size": "100"},
    ]
    assert {call.request.headers["Authorization"] for call in route.calls} == {"Bearer k-1"}


def test_portal_statuses_are_the_lines_own() -> None:
    lines = [
        {"id": "a", "sku": "A", "quantity": 1, "status": "placed"},
        {"id": "b", "sku": "B", "quantity": 1, "status": "cancelled"},
        {"id": "c", "sku": "C", "quantity": 1, "status": "returned"},
    ]
    parsed = portal_payloads.parse_order(portal_order(1, status="placed", lines=lines))
    assert [(x.line_id, x.status) for x in parsed] == [
        ("a", ACTIVE),
        ("b", CANCELLED),
        ("c", RETURNED),
    ]


async def test_portal_answer_that_is_not_json_is_this_connections_error() -> None:
    with respx.mock(base_url=PORTAL) as api:
        api.get("/api/v1/orders").mock(return_value=httpx.Response(200, text="<html>proxy</html>"))
        with pytest.raises(TransientError) as caught:
            await collect(portal.PortalConnector(ctx("portal", PORTAL, {"api_key": "k-1"})))
    assert (caught.value.platform, caught.value.code) == ("portal", "bad_answer")


# -- voso: the exact requests ---------------------------------------------------------------
VOSO = "https://partner.voso.test/api"
VOSO_CREDS = {"partner_code": "P1", "secret_key": "s3cret", "shop_id": "300001"}


def voso_order(n: int, **changes: Any) -> dict[str, Any]:
    order = {
        "order_id": f"VS250615{n:06d}",
        "status": "WAITING_APPROVAL",
        "created_at": int(PLACED.timestamp() * 1000),
        "updated_at": int(CHANGED.timestamp() * 1000),
        "items": [
            {
                "item_id": f"VS250615{n:06d}-1",
                "seller_sku": "TRA-1",
                "quantity": 2,
                "status": "ORDERED",
            }
        ],
    }
    return {**order, **changes}


def voso_ok(data: Any, next_cursor: str | None = None) -> httpx.Response:
    body = {
        "status": 200,
        "error": False,
        "message": "OK",
        "data": data,
        "next_cursor": next_cursor,
    }
    return httpx.Response(200, json=body)


async def test_voso_signs_the_query_and_follows_the_cursor() -> None:
    with respx.mock(base_url=VOSO, assert_all_called=True) as api:
        route = api.get("/v1/shops/300001/orders").mock(
            side_effect=[voso_ok([voso_order(1)], "c-2"), voso_ok([voso_order(2)])]
        )
        lines = await collect(voso.VosoConnector(ctx("voso", VOSO, dict(VOSO_CREDS))))
    assert [x.order_id for x in lines] == ["VS250615000001", "VS250615000002"]
    assert lines[0] == OrderLine(
        "VS250615000001", "VS250615000001-1", "TRA-1", 2, ACTIVE, PLACED, CHANGED
    )
    window = {"updated_from": ["1749974400000"], "updated_to": ["1749979815250"]}
    queries = [parse_qs(call.request.url.query.decode()) for call in route.calls]
    assert queries == [
        {**window, "limit": ["100"]},
        {**window, "limit": ["100"], "cursor": ["c-2"]},
    ]
    for call in route.calls:
        request = call.request
        target = request.url.raw_path.decode().removeprefix(urlsplit(VOSO).path)
        stamp = request.headers["X-Voso-Timestamp"]
        message = f"GET\n{target}\n{stamp}\n{hashlib.sha256(b'').hexdigest()}"
        expected = hmac.new(b"s3cret", message.encode(), hashlib.sha256).hexdigest()
        assert request.headers["X-Voso-Signature"] == expected
        assert stamp == str(int(NOW * 1000))


async def test_voso_answer_without_data_is_retried_then_raised() -> None:
    with respx.mock(base_url=VOSO) as api:
        body = {"status": 200, "error": False, "message": "OK"}
        route = api.get("/v1/shops/300001/orders").mock(return_value=httpx.Response(200, json=body))
        with pytest.raises(TransientError) as caught:
            await collect(voso.VosoConnector(ctx("voso", VOSO, dict(VOSO_CREDS))))
    assert (caught.value.platform, caught.value.code, route.call_count) == ("voso", "bad_answer", 2)


# -- postmart: the exact requests -----------------------------------------------------------
POSTMART = "https://seller.postmart.test"
PM_CREDS = {"client_id": "c-1", "client_secret": "s-1"}


def postmart_order(n: int, **changes: Any) -> dict[str, Any]:
    order = {
        "id": f"PM{n:010d}",
        "status": "pending",
        "created_at": "2025-06-15T15:10:00+07:00",
        "updated_at": "2025-06-15T16:00:00+07:00",
        "lines": [
            {"id": 1, "product_id": 43001, "sku": "TRA-1", "quantity": 2, "status": "ordered"}
        ],
    }
    return {**order, **changes}


def pm_page(orders: list[dict[str, Any]], page: int, total: int) -> httpx.Response:
    pagination = {"page": page, "limit": 50, "total": total}
    return httpx.Response(200, json={"data": {"items": orders, "pagination": pagination}})


async def test_postmart_pages_by_total_with_a_bearer_token() -> None:
    with respx.mock(base_url=POSTMART, assert_all_called=True) as api:
        api.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "at-1", "expires_in": 3600})
        )
        route = api.get("/api/seller/v2/orders").mock(
            side_effect=[
                pm_page([postmart_order(i) for i in range(50)], 1, 51),
                pm_page([postmart_order(50)], 2, 51),
            ]
        )
        lines = await collect(postmart.PostmartConnector(ctx("postmart", POSTMART, dict(PM_CREDS))))
    assert len(lines) == 51
    assert lines[0] == OrderLine("PM0000000000", "1", "TRA-1", 2, ACTIVE, PLACED, CHANGED)
    window = {"updated_from": SINCE.isoformat(), "updated_to": UNTIL.isoformat()}
    assert [dict(call.request.url.params) for call in route.calls] == [
        {**window, "page": "1", "limit": "50"},
        {**window, "page": "2", "limit": "50"},
    ]
    assert {call.request.headers["Authorization"] for call in route.calls} == {"Bearer at-1"}


async def test_postmart_answer_without_data_is_this_connections_error() -> None:
    with respx.mock(base_url=POSTMART) as api:
        api.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "at-1", "expires_in": 3600})
        )
        api.get("/api/seller/v2/orders").mock(return_value=httpx.Response(200, json={"items": []}))
        with pytest.raises(ConnectorError) as caught:
            await collect(postmart.PostmartConnector(ctx("postmart", POSTMART, dict(PM_CREDS))))
    assert (caught.value.platform, caught.value.code) == ("postmart", "bad_answer")


# -- every dialect: a missing or mistyped field --------------------------------------------
PARSERS: dict[str, tuple[Callable[[Any], list[OrderLine]], dict[str, Any], str]] = {
    "portal": (portal_payloads.parse_order, portal_order(1), "lines"),
    "voso": (voso_payloads.parse_order, voso_order(1), "items"),
    "postmart": (postmart_payloads.parse_order, postmart_order(1), "lines"),
}
BREAKS = [
    ("order", "id", None),
    ("order", "created_at", None),
    ("order", "updated_at", "yesterday"),
    ("order", "lines", {"not": "a list"}),
    ("line", "sku", None),
    ("line", "quantity", "2"),
    ("line", "quantity", True),
    ("line", "status", "lost"),
    ("line", "id", None),
]
ORDER_NAMES = {"voso": {"id": "order_id", "lines": "items"}}
LINE_NAMES = {"voso": {"id": "item_id", "sku": "seller_sku"}}


@pytest.mark.parametrize("platform", list(PARSERS))
@pytest.mark.parametrize(("level", "key", "value"), BREAKS)
def test_a_missing_or_mistyped_field_is_a_connector_error(
    platform: str, level: str, key: str, value: Any
) -> None:
    parse, good, lines_key = PARSERS[platform]
    assert parse(good), "the unbroken order parses"
    broken = copy.deepcopy(good)
    if level == "order":
        target, name = broken, ORDER_NAMES.get(platform, {}).get(key, key)
    else:
        target, name = broken[lines_key][0], LINE_NAMES.get(platform, {}).get(key, key)
    assert name in target
    if value is None:
        del target[name]
    else:
        target[name] = value
    with pytest.raises(ConnectorError) as caught:
        parse(broken)
    assert (caught.value.platform, caught.value.code) == (platform, "bad_answer")


@pytest.mark.parametrize("platform", list(PARSERS))
def test_a_naive_or_mistyped_time_is_refused(platform: str) -> None:
    parse, good, _ = PARSERS[platform]
    broken = dict(good, created_at="2025-06-15T08:10:00" if platform != "voso" else 1.5e12)
    with pytest.raises(ConnectorError):
        parse(broken)


# -- every dialect against its sandbox -------------------------------------------------------
OWN = ["portal", "voso", "postmart"]
ORDER_ID = {"portal": r"DH\d{8}", "voso": r"VS2506(15|16)\d{6}", "postmart": r"PM\d{10}"}


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Rig:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.clock = FakeClock()
        self.sandbox: Sandbox = build_sandbox([platform], clock=self.clock)
        self.emulator = self.sandbox[platform]

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now, tz=UTC)

    def connector(self) -> Connector:
        options = {**self.emulator.connection_options(ROOT), "rate_limit_per_s": 0}
        settings = ConnectionSettings(
            f"{self.platform}-orders", self.platform, self.emulator.base_url(ROOT), options=options
        )
        context = ConnectorContext(
            settings,
            self.emulator.credentials(),
            transport=self.sandbox.transport(),
            clock=self.clock,
            retry_wait_scale=0,
        )
        connector: Connector = connector_class(self.platform)(context)
        return connector

    async def lines(self, since: datetime, until: datetime) -> list[OrderLine]:
        connector = self.connector()
        try:
            return [line async for line in connector.list_order_lines(since, until)]
        finally:
            await connector.aclose()


@pytest.fixture(params=OWN)
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    yield Rig(request.param)


@pytest.fixture
async def buyer(rig: Rig) -> AsyncIterator[httpx.AsyncClient]:
    base = f"{ROOT}/{rig.platform}"
    async with httpx.AsyncClient(transport=rig.sandbox.transport(), base_url=base) as client:
        yield client


async def place(buyer: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await buyer.post("/_sandbox/orders", json=body)
    assert answer.status_code == 201, answer.text
    order_id: str = answer.json()["order_id"]
    return order_id


async def test_placed_cancelled_and_returned_orders_read_back_as_lines(
    rig: Rig, buyer: httpx.AsyncClient
) -> None:
    for sku in ("TRA-1", "MAM-2", "KEO-3"):
        rig.emulator.seed(sku, f"Sản phẩm {sku}", 50_000, 10)
    old = await place(buyer, {"sku": "KEO-3"})
    rig.clock.advance(60)
    since = rig.now()
    rig.clock.advance(1)
    two = await place(buyer, {"lines": [{"sku": "TRA-1", "quantity": 2}, {"sku": "MAM-2"}]})
    placed_two = rig.now()
    rig.clock.advance(60)
    gone = await place(buyer, {"sku": "KEO-3", "quantity": 3})
    placed_gone = rig.now()
    rig.clock.advance(60)
    assert (await buyer.post(f"/_sandbox/orders/{gone}/cancel")).status_code == 200
    cancelled_at = rig.now()
    rig.clock.advance(86_400)
    back = await buyer.post(f"/_sandbox/orders/{two}/return", json={"sku": "MAM-2"})
    assert back.status_code == 200
    returned_at = rig.now()
    until = rig.now()
    rig.clock.advance(60)
    late = await place(buyer, {"sku": "TRA-1"})

    lines = await rig.lines(since, until)
    got = sorted(
        (x.order_id, x.seller_sku, x.quantity, x.status, x.created_at, x.updated_at) for x in lines
    )
    assert got == sorted(
        [
            (two, "TRA-1", 2, ACTIVE, placed_two, returned_at),
            (two, "MAM-2", 1, RETURNED, placed_two, returned_at),
            (gone, "KEO-3", 3, CANCELLED, placed_gone, cancelled_at),
        ]
    )
    line_ids = [(x.order_id, x.line_id) for x in lines]
    assert len(set(line_ids)) == 3 and all(line_id for _, line_id in line_ids)
    assert {old, late}.isdisjoint(x.order_id for x in lines)
    assert all(re.fullmatch(ORDER_ID[rig.platform], o) for o in (old, two, gone, late))
    assert rig.emulator.snapshot()["MAM-2"]["stock"] == 10


async def test_the_window_ends_are_inclusive_and_an_update_moves_an_order_in(
    rig: Rig, buyer: httpx.AsyncClient
) -> None:
    rig.emulator.seed("TRA-1", "Trà", 45_000, 50)
    first = await place(buyer, {"sku": "TRA-1"})
    at_first = rig.now()
    rig.clock.advance(30)
    second = await place(buyer, {"sku": "TRA-1"})
    at_second = rig.now()
    rig.clock.advance(30)
    assert [x.order_id for x in await rig.lines(at_first, at_second)] == [first, second]
    assert [x.order_id for x in await rig.lines(at_second, at_second)] == [second]
    assert await rig.lines(at_second + timedelta(seconds=1), rig.now()) == []
    await buyer.post(f"/_sandbox/orders/{first}/cancel")
    moved = await rig.lines(rig.now(), rig.now())
    assert [(x.order_id, x.status) for x in moved] == [(first, CANCELLED)]


PAGE_REQUESTS = {"portal": 2, "voso": 2, "postmart": 1 + 3}  # postmart: a token, then 3 pages


async def test_many_orders_page_through(rig: Rig, buyer: httpx.AsyncClient) -> None:
    rig.emulator.seed("TRA-1", "Trà", 45_000, 500)
    since = rig.now()
    placed = []
    for _ in range(120):
        placed.append(await place(buyer, {"sku": "TRA-1"}))
        rig.clock.advance(1)
    before = rig.emulator.requests
    got = [x.order_id for x in await rig.lines(since, rig.now())]
    assert got == placed
    assert rig.emulator.requests - before == PAGE_REQUESTS[rig.platform]


ORDERS_PATH = {
    "portal": "/api/v1/orders",
    "voso": "/v1/shops/300001/orders",
    "postmart": "/api/seller/v2/orders",
}


async def test_the_orders_route_checks_credentials(rig: Rig, buyer: httpx.AsyncClient) -> None:
    window = {"updated_from": "2025-06-15T00:00:00Z", "updated_to": "2025-06-16T00:00:00Z"}
    answer = await buyer.get(ORDERS_PATH[rig.platform], params=window)
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("faults", "error", "message"),
    [
        (Faults(error_rate=1.0), TransientError, "server error HTTP 503"),
        (Faults(rate_limit_rate=1.0), RateLimitedError, "rate limited"),
        (Faults(drop_rate=1.0), TransientError, "connection failed"),
    ],
)
async def test_the_orders_route_draws_faults_like_every_other(
    rig: Rig, faults: Faults, error: type[Exception], message: str
) -> None:
    connector = rig.connector()
    try:
        assert (await connector.check()).ok  # Postmart's token is fetched before the faults
        rig.sandbox.set_faults(faults)
        before = rig.emulator.requests
        with pytest.raises(error, match=message):
            await anext(connector.list_order_lines(rig.now(), rig.now()))
    finally:
        await connector.aclose()
    assert rig.emulator.requests - before == 5, "every attempt reached the orders route"
