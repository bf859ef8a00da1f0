"""Exact requests of the portal connector and how each answer maps onto our errors."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    PriceUpdate,
    StatusChange,
    StockUpdate,
)
from ocopsync.connectors.portal import PortalConnector
from ocopsync.errors import (
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

BASE = "http://portal.test/portal"


def connector(**ctx_kwargs) -> PortalConnector:
    settings = ConnectionSettings("p", "portal", BASE, options={"rate_limit_per_s": 0})
    ctx = ConnectorContext(settings, {"api_key": "k-123"}, retry_wait_scale=0, **ctx_kwargs)
    return PortalConnector(ctx)


def item(i: int, **kw) -> dict:
    return {
        "id": str(i),
        "sku": f"S{i}",
        "name": f"n{i}",
        "price": 1000,
        "stock": 1,
        "status": "published",
        **kw,
    }


def run(coro):
    return asyncio.run(coro)


@respx.mock(base_url=BASE, assert_all_called=True)
def test_list_pages_with_bearer_key_until_total(respx_mock) -> None:
    route = respx_mock.get("/api/v1/products").mock(
        side_effect=[
            httpx.Response(200, json={"items": [item(i) for i in range(100)], "total": 150}),
            httpx.Response(
                200,
                json={"items": [item(i, status="hidden") for i in range(100, 150)], "total": 150},
            ),
        ]
    )

    async def go():
        c = connector()
        try:
            return [x async for x in c.list_listings()]
        finally:
            await c.aclose()

    got = run(go())
    assert len(got) == 150 and got[-1].status is ListingStatus.UNLISTED
    first, second = route.calls
    assert dict(first.request.url.params) == {"page": "1", "page_size": "100"}
    assert dict(second.request.url.params) == {"page": "2", "page_size": "100"}
    assert first.request.headers["authorization"] == "Bearer k-123"


@respx.mock(base_url=BASE, assert_all_called=True)
def test_create_sends_the_documented_body(respx_mock) -> None:
    route = respx_mock.post("/api/v1/products").respond(201, json=item(7))
    draft = ListingDraft(
        "S7",
        "Chả mực Hạ Long",
        "ngon",
        120_000,
        5,
        "food",
        4,
        "E",
        "QN",
        image_urls=("http://img/1.jpg",),
    )

    async def go():
        c = connector()
        try:
            return await c.create_listing(draft)
        finally:
            await c.aclose()

    assert run(go()) == "7"
    assert json.loads(route.calls[0].request.content) == {
        "sku": "S7",
        "name": "Chả mực Hạ Long",
        "price": 120_000,
        "stock": 5,
        "group": "food",
        "stars": 4,
        "description": "ngon",
        "images": ["http://img/1.jpg"],
        "status": "published",
    }


@respx.mock(base_url=BASE, assert_all_called=True)
def test_batches_split_at_fifty_and_map_each_item(respx_mock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        updates = json.loads(request.content)["updates"]
        return httpx.Response(
            200,
            json={
                "results": [
                    {
                        "id": u["id"],
                        "ok": u["id"] != "3",
                        **(
                            {"error": {"code": "invalid", "message": "too cheap"}}
                            if u["id"] == "3"
                            else {}
                        ),
                    }
                    for u in updates
                ]
            },
        )

    route = respx_mock.post("/api/v1/products/batch").mock(side_effect=answer)
    updates = [PriceUpdate(str(i), f"S{i}", 5000) for i in range(120)]

    async def go():
        c = connector()
        try:
            return await c.update_prices(updates)
        finally:
            await c.aclose()

    results = run(go())
    assert [len(json.loads(c.request.content)["updates"]) for c in route.calls] == [50, 50, 20]
    assert json.loads(route.calls[0].request.content)["updates"][0] == {"id": "0", "price": 5000}
    failed = [r for r in results if not r.ok]
    assert [(r.sku, type(r.error), r.error.code) for r in failed] == [
        ("S3", RejectedError, "invalid")
    ]


@respx.mock(base_url=BASE, assert_all_called=True)
def test_stock_batch_and_status_patch(respx_mock) -> None:
    batch = respx_mock.post("/api/v1/products/batch").respond(
        200, json={"results": [{"id": "1", "ok": True}]}
    )
    patch = respx_mock.patch("/api/v1/products/1").respond(200, json=item(1, status="hidden"))

    async def go():
        c = connector()
        try:
            await c.update_stocks([StockUpdate("1", "S1", 0)])
            return await c.set_status([StatusChange("1", "S1", ListingStatus.UNLISTED)])
        finally:
            await c.aclose()

    assert all(r.ok for r in run(go()))
    assert json.loads(batch.calls[0].request.content) == {"updates": [{"id": "1", "stock": 0}]}
    assert json.loads(patch.calls[0].request.content) == {"status": "hidden"}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "unauthorized", FatalConfigError),
        (403, "forbidden", FatalConfigError),
        (404, "not_found", RejectedError),
        (409, "duplicate_sku", RejectedError),
        (422, "invalid", RejectedError),
    ],
)
def test_error_statuses_map_onto_the_tree(status, code, expected) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/api/v1/products").respond(
            status, json={"error": {"code": code, "message": "nope"}}
        )
        draft = ListingDraft("S", "n", "", 1000, 1, "food", 3, "E", "QN")

        async def go():
            c = connector()
            try:
                await c.create_listing(draft)
            finally:
                await c.aclose()

        with pytest.raises(expected) as info:
            run(go())
        assert info.value.code == code and info.value.platform == "portal"
        assert mock.calls.call_count == 1, "refusals are not retried"


@respx.mock(base_url=BASE, assert_all_called=True)
def test_429_and_5xx_are_retried_then_succeed(respx_mock) -> None:
    route = respx_mock.get("/api/v1/products").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"items": [item(1)], "total": 1}),
        ]
    )

    async def go():
        c = connector()
        try:
            return [x async for x in c.list_listings()], c.http.requests_sent
        finally:
            await c.aclose()

    got, sent = run(go())
    assert [x.seller_sku for x in got] == ["S1"] and sent == 4 == route.call_count


def test_retries_are_bounded_and_raise_our_error() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/api/v1/products").respond(429, headers={"Retry-After": "1"})

        async def go():
            c = connector(max_attempts=3)
            try:
                return [x async for x in c.list_listings()]
            finally:
                await c.aclose()

        with pytest.raises(RateLimitedError) as info:
            run(go())
        assert info.value.retry_after == 1.0 and mock.calls.call_count == 3

    with respx.mock(base_url=BASE) as mock:
        mock.get("/api/v1/products").respond(500)
        with pytest.raises(TransientError):
            run(go())


def test_missing_api_key_is_a_config_error() -> None:
    settings = ConnectionSettings("p", "portal", BASE)
    with pytest.raises(FatalConfigError, match="api_key"):
        PortalConnector(ConnectorContext(settings, {}))
