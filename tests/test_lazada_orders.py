"""Lazada orders: the exact GetOrders / GetMultipleOrderItems requests, how answers map
onto order lines and errors, and the same reading against the in-process sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import lazada_orders as lo
from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.base import (
    ConnectorContext,
    MemoryTokenStore,
    OrderLine,
    OrderLineStatus,
    Tokens,
)
from ocopsync.connectors.lazada import LazadaConnector
from ocopsync.errors import (
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from ocopsync.sandbox import build_sandbox
from ocopsync.sandbox.faults import Fault, Faults
from ocopsync.sandbox.lazada import LazadaSandbox

BASE = "https://api.lazada.vn/rest"
SECRET = "s3cret"
NOW = 1_796_000_000.0  # 2026-11-30 00:53:20 UTC
SINCE = datetime(2026, 11, 29, 17, 0, 0, 250_000, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, 0, 53, 20, tzinfo=UTC)
ACTIVE, CANCELLED, RETURNED = (
    OrderLineStatus.ACTIVE,
    OrderLineStatus.CANCELLED,
    OrderLineStatus.RETURNED,
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- respx: exact requests -------------------------------------------------------------


def make(max_attempts: int = 3) -> LazadaConnector:
    store = MemoryTokenStore()
    store.save("lzd", "lazada", Tokens("at-1", "rt-1", at(NOW + 86_400), at(NOW + 30 * 86_400)))
    settings = ConnectionSettings("lzd", "lazada", BASE, options={"rate_limit_per_s": 0})
    ctx = ConnectorContext(
        settings,
        {"app_key": "100002", "app_secret": SECRET},
        token_store=store,
        clock=lambda: NOW,
        retry_wait_scale=0,
        max_attempts=max_attempts,
    )
    return LazadaConnector(ctx)


async def lines_of(c: LazadaConnector, since: datetime, until: datetime) -> list[OrderLine]:
    try:
        return [line async for line in c.list_order_lines(since, until)]
    finally:
        await c.aclose()


def ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"code": "0", "data": data, "request_id": "r1"})


def error(code: str, message: str = "refused", kind: str = "ISV") -> httpx.Response:
    body = {"type": kind, "code": code, "message": message, "request_id": "r1"}
    return httpx.Response(200, json=body)


def orders(ids: list[int], total: int | None = None) -> httpx.Response:
    data: dict[str, Any] = {
        "count": len(ids),
        "orders": [{"order_id": i, "order_number": i, "statuses": ["pending"]} for i in ids],
    }
    if total is not None:
        data["countTotal"] = total
    return ok(data)


def item(order_id: int, n: int, sku: str = "S", status: str = "pending") -> dict[str, Any]:
    return {
        "order_item_id": order_id * 10 + n,
        "order_id": order_id,
        "sku": sku,
        "shop_sku": f"{order_id}_VNAMZ-1",
        "status": status,
        "created_at": "2026-11-30 07:00:00 +0700",
        "updated_at": "2026-11-30 07:30:00 +0700",
    }


def items_for(request: httpx.Request) -> httpx.Response:
    """GetMultipleOrderItems answering one pending item for every asked order."""
    ids = json.loads(request.url.params["order_ids"])
    return ok([{"order_id": i, "order_items": [item(i, 1)]} for i in ids])


def signed_correctly(path: str, params: dict[str, str]) -> bool:
    return params["sign"] == lp.sign(path, params, SECRET)


@respx.mock(base_url=BASE, assert_all_called=True)
def test_window_is_one_signed_get_of_orders_then_one_of_their_items(respx_mock) -> None:
    listed = respx_mock.get("/orders/get").mock(return_value=orders([501, 502], total=2))
    items = respx_mock.get("/orders/items/get").mock(
        return_value=ok(
            [
                {
                    "order_id": 501,
                    "order_items": [
                        item(501, 1, "TRA-1"),
                        item(501, 2, "TRA-1"),
                        item(501, 3, "MAT-2", "returned"),
                    ],
                },
                # ids as strings, as the docs' example shows them
                {"order_id": "502", "order_items": [{**item(502, 1, "TRA-1", "canceled")}]},
            ]
        )
    )
    got = run(lines_of(make(), SINCE, UNTIL))

    (call,) = listed.calls
    query = dict(call.request.url.params)
    assert signed_correctly("/orders/get", query)
    assert {k: v for k, v in query.items() if k != "sign"} == {
        "update_after": "2026-11-30T00:00:00+07:00",  # to the second, Vietnam time
        "update_before": "2026-11-30T07:53:20+07:00",
        "sort_by": "updated_at",
        "sort_direction": "ASC",
        "offset": "0",
        "limit": "100",
        "app_key": "100002",
        "timestamp": str(int(NOW * 1000)),
        "sign_method": "sha256",
        "access_token": "at-1",
    }
    (call,) = items.calls
    query = dict(call.request.url.params)
    assert signed_correctly("/orders/items/get", query)
    assert query["order_ids"] == "[501,502]" and query["access_token"] == "at-1"

    assert [(x.order_id, x.line_id, x.seller_sku, x.quantity, x.status) for x in got] == [
        ("501", "5011", "TRA-1", 1, ACTIVE),
        ("501", "5012", "TRA-1", 1, ACTIVE),
        ("501", "5013", "MAT-2", 1, RETURNED),
        ("502", "5021", "TRA-1", 1, CANCELLED),
    ]
    assert got[0].created_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert got[0].updated_at == datetime(2026, 11, 30, 0, 30, tzinfo=UTC)


@respx.mock(base_url=BASE, assert_all_called=True)
def test_pages_by_offset_until_a_short_page_and_asks_items_fifty_orders_at_a_time(
    respx_mock,
) -> None:
    # no countTotal (it is optional in the docs): only the short page ends the scan
    listed = respx_mock.get("/orders/get").mock(
        side_effect=[orders(list(range(1, 101))), orders(list(range(101, 131)))]
    )
    items = respx_mock.get("/orders/items/get").mock(side_effect=items_for)
    got = run(lines_of(make(), SINCE, UNTIL))

    assert [c.request.url.params["offset"] for c in listed.calls] == ["0", "100"]
    assert all(c.request.url.params["limit"] == "100" for c in listed.calls)
    asked = [json.loads(c.request.url.params["order_ids"]) for c in items.calls]
    assert asked == [list(range(1, 51)), list(range(51, 101)), list(range(101, 131))]
    assert [x.order_id for x in got] == [str(i) for i in range(1, 131)]


@respx.mock(base_url=BASE, assert_all_called=True)
def test_a_full_page_that_reaches_count_total_is_the_last(respx_mock) -> None:
    listed = respx_mock.get("/orders/get").mock(return_value=orders(list(range(1, 101)), 100))
    respx_mock.get("/orders/items/get").mock(side_effect=items_for)
    got = run(lines_of(make(), SINCE, UNTIL))
    assert len(listed.calls) == 1 and len(got) == 100


@respx.mock(base_url=BASE, assert_all_called=True)
def test_a_window_that_shrinks_while_paging_is_paged_again_and_no_order_is_missed(
    respx_mock,
) -> None:
    # Order 5 is updated after the first page: it leaves the window and 101 moves up
    # into the first page, where offset 100 would never see it.
    after = [i for i in range(1, 151) if i != 5]
    listed = respx_mock.get("/orders/get").mock(
        side_effect=[
            orders(list(range(1, 101)), 150),
            orders(after[100:], 149),
            orders(after[:100], 149),
            orders(after[100:], 149),
        ]
    )
    items = respx_mock.get("/orders/items/get").mock(side_effect=items_for)
    got = run(lines_of(make(), SINCE, UNTIL))

    assert [c.request.url.params["offset"] for c in listed.calls] == ["0", "100", "0", "100"]
    asked = [json.loads(c.request.url.params["order_ids"]) for c in items.calls]
    assert sorted(i for batch in asked for i in batch) == list(range(1, 151))  # each once
    assert sorted(int(x.order_id) for x in got) == list(range(1, 151))


@respx.mock(base_url=BASE, assert_all_called=False)
def test_an_empty_window_asks_for_no_items(respx_mock) -> None:
    respx_mock.get("/orders/get").mock(return_value=ok({"count": 0, "countTotal": 0}))
    items = respx_mock.get("/orders/items/get")
    assert run(lines_of(make(), SINCE, UNTIL)) == []
    assert not items.called


@respx.mock(base_url=BASE, assert_all_called=True)
def test_rate_limits_and_timeouts_are_retried_by_the_shared_policy(respx_mock) -> None:
    listed = respx_mock.get("/orders/get").mock(
        side_effect=[
            error(
                "ApiCallLimit", "Api access frequency exceeds the limit. ban will last 1 seconds"
            ),
            error("ServiceTimeout", "The service timed out", kind="ISP"),
            orders([7], 1),
        ]
    )
    respx_mock.get("/orders/items/get").mock(
        side_effect=[httpx.Response(503), ok([{"order_id": 7, "order_items": [item(7, 1)]}])]
    )
    got = run(lines_of(make(max_attempts=3), SINCE, UNTIL))
    assert len(listed.calls) == 3 and [x.line_id for x in got] == ["71"]


@pytest.mark.parametrize(
    ("route", "answer", "raised"),
    [
        ("/orders/get", error("19", "Invalid Limit"), RejectedError),
        ("/orders/get", error("17", "Invalid Date Format"), RejectedError),
        ("/orders/get", error("IncompleteSignature", "bad sign"), FatalConfigError),
        ("/orders/get", error("ApiCallLimit", "ban will last 1 seconds"), RateLimitedError),
        ("/orders/items/get", error("56", "Invalid OrdersIdList format"), RejectedError),
        ("/orders/items/get", error("38", "Too many orders were requested"), RejectedError),
        ("/orders/items/get", error("39", "No orders were found"), RejectedError),
    ],
)
def test_platform_errors_map_onto_the_error_tree(
    route: str, answer: httpx.Response, raised: type[ConnectorError]
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/orders/get").mock(return_value=orders([7], 1))
        mock.get(route).mock(return_value=answer)
        with pytest.raises(raised) as caught:
            run(lines_of(make(), SINCE, UNTIL))
    assert caught.value.platform == "lazada" and caught.value.code == answer.json()["code"]


ORDERS_OK = {"countTotal": 1, "orders": [{"order_id": 7}]}
ITEMS_OK = [{"order_id": 7, "order_items": [item(7, 1)]}]


@pytest.mark.parametrize(
    ("orders_data", "items_data"),
    [
        pytest.param(None, ITEMS_OK, id="orders-no-data"),
        pytest.param({"orders": "x"}, ITEMS_OK, id="orders-not-a-list"),
        pytest.param({"orders": [{"order_number": 7}]}, ITEMS_OK, id="order-without-id"),
        pytest.param({"orders": [{"order_id": "abc"}]}, ITEMS_OK, id="order-id-not-a-number"),
        pytest.param({"orders": [{"order_id": True}]}, ITEMS_OK, id="order-id-a-bool"),
        pytest.param({"orders": ["7"]}, ITEMS_OK, id="order-not-an-object"),
        pytest.param({**ORDERS_OK, "countTotal": "many"}, ITEMS_OK, id="count-total-not-a-count"),
        pytest.param(ORDERS_OK, {"order_id": 7}, id="items-not-a-list"),
        pytest.param(ORDERS_OK, [{"order_id": 7}], id="items-without-order-items"),
        pytest.param(ORDERS_OK, [], id="asked-order-missing"),
        pytest.param(ORDERS_OK, [{"order_id": 7, "order_items": ["x"]}], id="item-not-object"),
        *(
            pytest.param(
                ORDERS_OK,
                [{"order_id": 7, "order_items": [{**item(7, 1), field: value}]}],
                id=f"item-{field}-{value!r}",
            )
            for field, value in [
                ("order_item_id", None),
                ("order_item_id", 1.5),
                ("sku", None),
                ("sku", 12),
                ("status", None),
                ("created_at", "yesterday"),
                ("created_at", "2026-11-30 07:00:00"),  # no zone: which moment?
                ("updated_at", None),
                ("updated_at", [1]),
            ]
        ),
    ],
)
def test_a_missing_or_mistyped_field_is_a_connector_error_of_this_connection(
    orders_data: Any, items_data: Any
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/orders/get").mock(return_value=ok(orders_data))
        mock.get("/orders/items/get").mock(return_value=ok(items_data))
        with pytest.raises(ConnectorError) as caught:
            run(lines_of(make(), SINCE, UNTIL))
    assert caught.value.platform == "lazada"


@respx.mock(base_url=BASE)
def test_a_body_that_is_not_json_is_transient(respx_mock) -> None:
    respx_mock.get("/orders/get").mock(return_value=httpx.Response(200, text="<html>"))
    with pytest.raises(TransientError):
        run(lines_of(make(), SINCE, UNTIL))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("canceled", CANCELLED),
        ("Canceled", CANCELLED),
        ("cancelled", CANCELLED),
        ("returned", RETURNED),
        ("shipped_back", RETURNED),
        ("shipped_back_success", RETURNED),
        ("unpaid", ACTIVE),
        ("pending", ACTIVE),
        ("packed", ACTIVE),
        ("ready_to_ship", ACTIVE),
        ("shipped", ACTIVE),
        ("delivered", ACTIVE),
        ("lost_by_3pl", ACTIVE),
        ("failed", ACTIVE),
    ],
)
def test_item_status_to_line_status(status: str, expected: OrderLineStatus) -> None:
    assert lo.order_line_status(status) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-25 10:13:29 +0700", datetime(2021, 3, 25, 3, 13, 29, tzinfo=UTC)),
        ("2018-02-09T22:44:30+08:00", datetime(2018, 2, 9, 14, 44, 30, tzinfo=UTC)),
        ("1413786247000", datetime(2014, 10, 20, 6, 24, 7, tzinfo=UTC)),
        (1413786247000, datetime(2014, 10, 20, 6, 24, 7, tzinfo=UTC)),
        ("2021-03-25 10:13:29", None),
        ("", None),
        ("soon", None),
        (True, None),
        (None, None),
        (10**30, None),
    ],
)
def test_lazada_times_are_read_as_aware_utc(value: object, expected: datetime | None) -> None:
    assert lo.order_time(value) == expected


# -- the sandbox, in-process -------------------------------------------------------------

ROOT = "http://sandbox"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Rig:
    """The Lazada emulator, an authorized connector to it, and a buyer."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sandbox = build_sandbox(["lazada"], clock=self.clock)
        emulator = self.sandbox["lazada"]
        assert isinstance(emulator, LazadaSandbox)
        self.lazada = emulator
        self.store = MemoryTokenStore()

    def connector(self) -> LazadaConnector:
        settings = ConnectionSettings(
            "lzd",
            "lazada",
            self.lazada.base_url(ROOT),
            credentials=self.lazada.credentials(),
            options=self.lazada.connection_options(ROOT),
        )
        ctx = ConnectorContext(
            settings,
            self.lazada.credentials(),
            token_store=self.store,
            transport=self.sandbox.transport(),
            clock=self.clock,
            retry_wait_scale=0,
            max_attempts=4,
        )
        return LazadaConnector(ctx)

    async def authorize(self) -> Tokens:
        """The seller's consent, as onboarding does it; the tokens land in the store."""
        async with self.connector() as connector:
            return await connector.exchange_code(self.lazada.authorization_code())

    async def lines(self, since: float, until: float) -> list[OrderLine]:
        if self.store.load("lzd") is None:
            await self.authorize()
        return await lines_of(self.connector(), at(since), at(until))

    async def buy(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        async with httpx.AsyncClient(transport=self.sandbox.transport(), base_url=ROOT) as c:
            response = await c.post(f"/lazada/_sandbox/orders{path}", json=body)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def gateway(self, api: str, business: dict[str, str]) -> dict[str, Any]:
        """A signed seller call made by hand, to read the emulator's own answers."""
        tokens = self.store.load("lzd") or await self.authorize()
        params = lp.signed_params(
            api,
            business,
            app_key=self.lazada.app_key,
            app_secret=self.lazada.app_secret,
            timestamp_ms=int(self.clock() * 1000),
            access_token=tokens.access_token,
        )
        async with httpx.AsyncClient(transport=self.sandbox.transport(), base_url=ROOT) as c:
            response = await c.get(f"/lazada/rest{api}", params=params)
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    for sku, stock in (("TRA-1", 10), ("MAT-2", 10), ("NUOC-3", 5)):
        rig.lazada.seed(sku, f"Hàng {sku}", 50_000, stock)
    return rig


def test_orders_cancellations_and_returns_come_back_one_line_per_unit(rig: Rig) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[OrderLine]]:
        placed_at = rig.clock.now
        first = await rig.buy(
            "", {"lines": [{"sku": "TRA-1", "quantity": 3}, {"sku": "MAT-2", "quantity": 1}]}
        )
        rig.clock.now += 60
        second = await rig.buy("", {"sku": "NUOC-3", "quantity": 2})
        rig.clock.now += 60
        await rig.buy(f"/{second['order_id']}/cancel")
        rig.clock.now += 60
        await rig.buy(f"/{first['order_id']}/return", {"sku": "MAT-2"})
        return first, second, await rig.lines(placed_at, rig.clock.now)

    first, second, got = run(scenario())
    one, two = first["order_id"], second["order_id"]
    assert one.isdigit() and len(one) == 15 and int(two) > int(one)  # Lazada-like ids
    assert sorted((x.order_id, x.seller_sku, x.status) for x in got) == sorted(
        [(one, "TRA-1", ACTIVE)] * 3 + [(one, "MAT-2", RETURNED)] + [(two, "NUOC-3", CANCELLED)] * 2
    )
    assert all(x.quantity == 1 for x in got)
    assert len({(x.order_id, x.line_id) for x in got}) == 6  # one line per unit
    by_order = {x.order_id: x for x in got}
    assert by_order[one].created_at == at(NOW) and by_order[one].updated_at == at(NOW + 180)
    assert by_order[two].created_at == at(NOW + 60) and by_order[two].updated_at == at(NOW + 120)
    # the emulator's stock moved with the orders: 3 TRA sold, MAT and NUOC given back
    stock = {sku: row["stock"] for sku, row in rig.lazada.snapshot().items()}
    assert stock == {"TRA-1": 7, "MAT-2": 10, "NUOC-3": 5}


def test_orders_updated_outside_the_window_are_not_returned(rig: Rig) -> None:
    async def scenario() -> dict[str, list[str]]:
        early = await rig.buy("", {"sku": "TRA-1", "quantity": 1})
        rig.clock.now += 3600
        late = await rig.buy("", {"sku": "MAT-2", "quantity": 1})
        rig.clock.now += 3600
        await rig.buy(f"/{early['order_id']}/cancel")  # early is now updated at NOW + 7200
        names = {early["order_id"]: "early", late["order_id"]: "late"}

        async def window(since: float, until: float) -> list[str]:
            return sorted({names[x.order_id] for x in await rig.lines(since, until)})

        return {
            "before anything": await window(NOW - 7200, NOW - 1),
            "first hour": await window(NOW, NOW + 1800),
            "second hour": await window(NOW + 1800, NOW + 5400),
            "the cancellation": await window(NOW + 5400, NOW + 7200),
            "all": await window(NOW, NOW + 7200),
        }

    assert run(scenario()) == {
        "before anything": [],
        "first hour": [],  # early was placed then, but its last update is later
        "second hour": ["late"],
        "the cancellation": ["early"],
        "all": ["early", "late"],
    }


def test_many_orders_page_by_offset_and_items_come_fifty_orders_a_request(rig: Rig) -> None:
    rig.lazada.seed("MANY", "Hàng nhiều", 10_000, 500)
    for _ in range(120):
        rig.lazada.place_order([("MANY", 2)])
        rig.clock.now += 1

    async def scenario() -> tuple[list[OrderLine], int]:
        await rig.authorize()
        before = rig.lazada.requests
        got = await rig.lines(NOW, rig.clock.now)
        return got, rig.lazada.requests - before

    got, requests = run(scenario())
    assert len(got) == 240 and len({x.order_id for x in got}) == 120
    assert requests == 2 + 3  # two pages of orders, items for 50 + 50 + 20 orders


def test_an_expired_token_is_refreshed_and_the_orders_read(rig: Rig) -> None:
    async def scenario() -> list[OrderLine]:
        await rig.buy("", {"sku": "TRA-1", "quantity": 1})
        await rig.authorize()
        rig.lazada.expire_tokens()
        return await rig.lines(NOW, NOW + 1)

    assert len(run(scenario())) == 1
    assert rig.lazada.issuer.refreshes == 1


@pytest.mark.parametrize(
    ("faults", "raised"),
    [
        (Faults(error_rate=1.0), TransientError),
        (Faults(rate_limit_rate=1.0), RateLimitedError),
        (Faults(drop_rate=1.0), TransientError),
    ],
)
def test_injected_faults_reach_the_order_routes(
    rig: Rig, faults: Faults, raised: type[ConnectorError]
) -> None:
    async def scenario() -> None:
        await rig.buy("", {"sku": "TRA-1", "quantity": 1})
        await rig.authorize()
        rig.lazada.faults.set(faults)
        await rig.lines(NOW, NOW + 1)

    with pytest.raises(raised):
        run(scenario())


def test_an_error_drawn_on_the_items_call_is_retried(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's second request, the items call, meets the emulator's error once."""
    paths: list[str] = []
    real_handle = httpx.ASGITransport.handle_async_request

    async def handle(self: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path.rsplit("/rest", 1)[-1])
        return await real_handle(self, request)

    async def scenario() -> list[OrderLine]:
        rig.lazada.place_order([("TRA-1", 2)])
        await rig.authorize()
        plan = iter([None, Fault.ERROR])  # from here on: orders ok, items error, then ok
        monkeypatch.setattr(rig.lazada.faults, "draw", lambda: next(plan, None))
        monkeypatch.setattr(httpx.ASGITransport, "handle_async_request", handle)
        return await rig.lines(NOW, NOW + 1)

    assert len(run(scenario())) == 2
    assert paths == ["/orders/get", "/orders/items/get", "/orders/items/get"]


def test_the_emulator_answers_in_lazadas_shapes(rig: Rig) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        placed = await rig.buy(
            "", {"lines": [{"sku": "TRA-1", "quantity": 3}, {"sku": "MAT-2", "quantity": 1}]}
        )
        rig.clock.now += 60
        await rig.buy(f"/{placed['order_id']}/return", {"sku": "MAT-2"})
        listed = await rig.gateway("/orders/get", {"created_after": "2026-11-30T07:00:00+07:00"})
        ids = json.dumps([int(placed["order_id"])])
        return listed, await rig.gateway("/orders/items/get", {"order_ids": ids})

    listed, items = run(scenario())
    assert listed["code"] == "0" and listed["request_id"]
    data = listed["data"]
    assert (data["count"], data["countTotal"]) == (1, 1)
    (order,) = data["orders"]
    assert isinstance(order["order_id"], int) and order["order_number"] == order["order_id"]
    assert order["statuses"] == ["pending", "returned"] and order["items_count"] == 4
    assert order["created_at"] == "2026-11-30 07:53:20 +0700"
    assert order["updated_at"] == "2026-11-30 07:54:20 +0700"
    (entry,) = items["data"]
    assert entry["order_id"] == order["order_id"]
    units = entry["order_items"]
    assert [(u["sku"], u["status"]) for u in units] == [
        ("TRA-1", "pending"),
        ("TRA-1", "pending"),
        ("TRA-1", "pending"),
        ("MAT-2", "returned"),
    ]
    assert [u["order_item_id"] for u in units] == [order["order_id"] + n for n in (1, 2, 3, 4)]
    assert all(u["shop_sku"].split("_VNAMZ-")[0].isdigit() for u in units)


@pytest.mark.parametrize(
    ("api", "business", "code"),
    [
        ("/orders/get", {"update_before": "2026-11-30T08:00:00+07:00"}, "MissingParameter"),
        ("/orders/get", {"update_after": "30/11/2026"}, "17"),
        ("/orders/get", {"update_after": "2026-11-30T07:00:00"}, "17"),
        ("/orders/get", {"update_after": "2026-11-30T07:00:00+07:00", "limit": "101"}, "19"),
        ("/orders/get", {"update_after": "2026-11-30T07:00:00+07:00", "offset": "-1"}, "14"),
        ("/orders/get", {"update_after": "2026-11-30T07:00:00+07:00", "sort_by": "id"}, "75"),
        (
            "/orders/get",
            {"update_after": "2026-11-30T07:00:00+07:00", "sort_direction": "UP"},
            "74",
        ),
        ("/orders/get", {"update_after": "2026-11-30T07:00:00+07:00", "status": "gone"}, "36"),
        ("/orders/items/get", {}, "MissingParameter"),
        ("/orders/items/get", {"order_ids": "1,2"}, "56"),
        ("/orders/items/get", {"order_ids": '["1"]'}, "56"),
        ("/orders/items/get", {"order_ids": "[]"}, "56"),
        ("/orders/items/get", {"order_ids": json.dumps(list(range(1, 52)))}, "38"),
        ("/orders/items/get", {"order_ids": "[12345]"}, "39"),
    ],
)
def test_the_emulator_refuses_what_lazada_refuses(
    rig: Rig, api: str, business: dict[str, str], code: str
) -> None:
    body = run(rig.gateway(api, business))
    assert body["code"] == code and body["type"] == "ISV" and "data" not in body


def test_the_emulator_filters_and_sorts_by_created_and_updated_time(rig: Rig) -> None:
    async def scenario() -> dict[str, list[int]]:
        a = await rig.buy("", {"sku": "TRA-1", "quantity": 1})
        rig.clock.now += 60
        b = await rig.buy("", {"sku": "MAT-2", "quantity": 1})
        rig.clock.now += 60
        await rig.buy(f"/{a['order_id']}/cancel")  # a: created first, updated last
        names = {int(a["order_id"]): "a", int(b["order_id"]): "b"}
        after = "2026-11-30T07:53:20+07:00"

        async def ids(**business: str) -> list[int]:
            body = await rig.gateway("/orders/get", business)
            return [names[o["order_id"]] for o in body["data"]["orders"]]

        return {
            "default": await ids(created_after=after),
            "created asc": await ids(created_after=after, sort_direction="ASC"),
            "updated asc": await ids(
                update_after=after, sort_by="updated_at", sort_direction="asc"
            ),
            "created after b": await ids(created_after="2026-11-30T07:54:20+07:00"),
            "created before b": await ids(
                created_after=after, created_before="2026-11-30T07:54:19+07:00"
            ),
            "canceled": await ids(created_after=after, status="canceled"),
            "second page": await ids(created_after=after, limit="1", offset="1"),
        }

    assert run(scenario()) == {
        "default": ["b", "a"],  # created_at, newest first
        "created asc": ["a", "b"],
        "updated asc": ["b", "a"],
        "created after b": ["b"],
        "created before b": ["a"],
        "canceled": ["a"],
        "second page": ["a"],
    }
