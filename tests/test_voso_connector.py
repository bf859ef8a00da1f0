"""Exact Voso requests and answers, with respx standing in for the platform."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

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
from ocopsync.connectors.voso import VosoConnector
from ocopsync.connectors.voso_payloads import parse_product
from ocopsync.errors import (
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

pytestmark = pytest.mark.anyio
BASE = "https://partner.voso.test/api"
PRODUCTS = "/v1/shops/300001/products"
NOW = 1_700_000_000.0
CREDS = {"partner_code": "P1", "secret_key": "s3cret", "shop_id": "300001"}
CATEGORIES = {"food": 10452, "textile": "10503"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def connector(max_attempts: int = 3, **options: Any) -> VosoConnector:
    settings = ConnectionSettings(
        "v", "voso", BASE, options={"category_map": CATEGORIES, **options}
    )
    ctx = ConnectorContext(
        settings, dict(CREDS), clock=lambda: NOW, retry_wait_scale=0, max_attempts=max_attempts
    )
    return VosoConnector(ctx)


def ok(data: Any, **beside: Any) -> httpx.Response:
    body = {"status": 200, "error": False, "message": "OK", "data": data, **beside}
    return httpx.Response(200, json=body)


def fail(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"status": status, "error": True, "code": code, "message": "nope", "data": None}
    return httpx.Response(status, json=body, headers=headers)


def product(pid: str, sku: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "product_id": pid,
        "seller_sku": sku,
        "name": "Trà",
        "price": 45000,
        "quantity": 7,
        "status": status,
    }


def draft(**changes: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "TRA-01",
        "name": "Trà shan tuyết",
        "description": "Hà Giang",
        "price": 120000,
        "stock": 9,
        "group": "food",
        "stars": 4,
        "entity_code": "E1",
        "province": "Hà Giang",
        "weight_g": 250,
        "image_urls": ("https://img.test/tra.jpg",),
    }
    return ListingDraft(**(fields | changes))


def expected_signature(request: httpx.Request) -> str:
    """Recomputed here from the wire request, as the platform would."""
    target = request.url.raw_path.decode().removeprefix("/api")
    canonical = "\n".join(
        (
            request.method,
            target,
            request.headers["X-Voso-Timestamp"],
            hashlib.sha256(request.content).hexdigest(),
        )
    )
    return hmac.new(b"s3cret", canonical.encode(), hashlib.sha256).hexdigest()


async def test_list_follows_cursors_and_signs_every_page() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(PRODUCTS).mock(
            side_effect=[
                ok([product("1", "A"), product("2", "B", "INACTIVE")], next_cursor="c2"),
                ok([product("3", "C", "PENDING_REVIEW")], next_cursor=None),
            ]
        )
        async with connector() as c:
            listings = [x async for x in c.list_listings()]
    assert [(x.remote_id, x.status) for x in listings] == [
        ("1", ListingStatus.LIVE),
        ("2", ListingStatus.UNLISTED),
        ("3", ListingStatus.PENDING),
    ]
    first, second = (call.request for call in route.calls)
    assert first.url.query == b"limit=100"
    assert second.url.query == b"limit=100&cursor=c2"
    for request in (first, second):
        assert request.headers["X-Voso-Partner"] == "P1"
        assert request.headers["X-Voso-Timestamp"] == "1700000000000"
        assert request.headers["X-Voso-Signature"] == expected_signature(request)
        assert "s3cret" not in str(request.headers) and "s3cret" not in str(request.url)


async def test_find_by_sku_filters_on_seller_sku() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(PRODUCTS).mock(side_effect=[ok([product("9", "TRÀ-01")]), ok([])])
        async with connector() as c:
            found = await c.find_by_sku("TRÀ-01")
            absent = await c.find_by_sku("NONE")
    assert found is not None and found.remote_id == "9"
    assert absent is None
    assert route.calls[0].request.url.params["seller_sku"] == "TRÀ-01"


async def test_create_sends_the_product_and_returns_its_id() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(PRODUCTS).mock(return_value=ok(product("77", "TRA-01")))
        async with connector() as c:
            assert await c.create_listing(draft()) == "77"
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Voso-Signature"] == expected_signature(request)
    assert json.loads(request.content) == {
        "seller_sku": "TRA-01",
        "name": "Trà shan tuyết",
        "description": "Hà Giang",
        "price": 120000,
        "quantity": 9,
        "category_id": 10452,
        "weight_gram": 250,
        "images": ["https://img.test/tra.jpg"],
        "ocop_star": 4,
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"group": "herbal"}, "no category for group 'herbal'"),
        ({"weight_g": None}, "no weight"),
        ({"image_urls": ()}, "no images"),
    ],
)
async def test_missing_data_blocks_create_without_a_request(
    changes: dict[str, Any], reason: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.post(PRODUCTS).mock(return_value=ok(product("1", "X")))
        async with connector() as c:
            assert any(reason in m for m in c.missing_for_create(draft(**changes)))
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(draft(**changes))
    assert caught.value.code == "missing_data"
    assert not route.called


def test_category_ids_given_as_text_in_toml_are_accepted() -> None:
    assert connector().missing_for_create(draft(group="textile")) == []


async def test_prices_go_in_batches_of_100_with_per_item_results() -> None:
    updates = [PriceUpdate(str(i), f"S{i}", 1000 + i) for i in range(250)]

    def answer(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["items"]
        results = [
            {"product_id": it["product_id"], "success": True}
            for it in items
            if it["product_id"] not in ("5", "6")
        ]
        results.append(
            {"product_id": "5", "success": False, "code": "PRODUCT_NOT_FOUND", "message": "x"}
        )
        return ok(results)

    with respx.mock(base_url=BASE) as router:
        route = router.post(f"{PRODUCTS}:batchUpdate").mock(side_effect=answer)
        async with connector() as c:
            results = await c.update_prices(updates)
    sizes = [len(json.loads(call.request.content)["items"]) for call in route.calls]
    assert sizes == [100, 100, 50]
    assert json.loads(route.calls[0].request.content)["items"][1] == {
        "product_id": "1",
        "price": 1001,
    }
    assert [r.remote_id for r in results] == [u.remote_id for u in updates]
    assert isinstance(results[5].error, RejectedError)
    assert results[5].error.code == "PRODUCT_NOT_FOUND"
    assert isinstance(results[6].error, TransientError)  # left out of the answer
    assert sum(r.ok for r in results) == 248


async def test_stocks_send_quantity_and_statuses_use_batch_status() -> None:
    with respx.mock(base_url=BASE) as router:
        update = router.post(f"{PRODUCTS}:batchUpdate").mock(
            return_value=ok([{"product_id": "1", "success": True}])
        )
        status = router.post(f"{PRODUCTS}:batchStatus").mock(
            return_value=ok(
                [{"product_id": "1", "success": True}, {"product_id": "2", "success": True}]
            )
        )
        async with connector() as c:
            stock = await c.update_stocks([StockUpdate("1", "A", 4)])
            changed = await c.set_status(
                [
                    StatusChange("1", "A", ListingStatus.UNLISTED),
                    StatusChange("2", "B", ListingStatus.LIVE),
                ]
            )
    assert json.loads(update.calls.last.request.content) == {
        "items": [{"product_id": "1", "quantity": 4}]
    }
    assert json.loads(status.calls.last.request.content) == {
        "items": [
            {"product_id": "1", "status": "INACTIVE"},
            {"product_id": "2", "status": "ACTIVE"},
        ]
    }
    assert all(r.ok for r in stock + changed)


async def test_a_refused_batch_fails_its_items_and_the_rest_goes_on() -> None:
    updates = [StockUpdate(str(i), f"S{i}", 1) for i in range(150)]
    with respx.mock(base_url=BASE) as router:
        router.post(f"{PRODUCTS}:batchUpdate").mock(
            side_effect=[
                fail(400, "VALIDATION_ERROR"),
                ok([{"product_id": str(i), "success": True} for i in range(100, 150)]),
            ]
        )
        async with connector() as c:
            results = await c.update_stocks(updates)
    assert all(isinstance(r.error, RejectedError) for r in results[:100])
    assert all(r.ok for r in results[100:])


@pytest.mark.parametrize(
    ("status", "code", "error", "our_code"),
    [
        (401, "INVALID_PARTNER", FatalConfigError, "INVALID_PARTNER"),
        (401, "INVALID_SIGNATURE", FatalConfigError, "INVALID_SIGNATURE"),
        (401, "TIMESTAMP_EXPIRED", FatalConfigError, "TIMESTAMP_EXPIRED"),
        (403, "SHOP_FORBIDDEN", FatalConfigError, "SHOP_FORBIDDEN"),
        (404, "PRODUCT_NOT_FOUND", RejectedError, "PRODUCT_NOT_FOUND"),
        (409, "DUPLICATE_SKU", RejectedError, "DUPLICATE_SKU"),
        (400, "VALIDATION_ERROR", RejectedError, "VALIDATION_ERROR"),
        (200, "VALIDATION_ERROR", RejectedError, "VALIDATION_ERROR"),  # error:true in a 200
        (200, "INTERNAL_ERROR", TransientError, "INTERNAL_ERROR"),
        (429, "RATE_LIMITED", RateLimitedError, "429"),
        (503, "INTERNAL_ERROR", TransientError, "503"),
    ],
)
async def test_error_codes_map_to_our_tree(
    status: int, code: str, error: type[Exception], our_code: str
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(PRODUCTS).mock(return_value=fail(status, code))
        async with connector(max_attempts=2) as c:
            with pytest.raises(error) as caught:
                await c.create_listing(draft())
    assert type(caught.value) is error
    assert getattr(caught.value, "code", None) == our_code
    retried = issubclass(error, TransientError)
    assert route.call_count == (2 if retried else 1)


@pytest.mark.parametrize(
    "first", [fail(429, "RATE_LIMITED", **{"Retry-After": "2"}), fail(503, "INTERNAL_ERROR")]
)
async def test_429_and_503_are_retried_with_a_fresh_signature(first: httpx.Response) -> None:
    clock = iter([NOW, NOW + 1])
    settings = ConnectionSettings("v", "voso", BASE, options={})
    ctx = ConnectorContext(settings, dict(CREDS), clock=lambda: next(clock), retry_wait_scale=0)
    with respx.mock(base_url=BASE) as router:
        route = router.get(PRODUCTS).mock(side_effect=[first, ok([])])
        async with VosoConnector(ctx) as c:
            assert await c.find_by_sku("A") is None
            assert c.http.requests_sent == 2
    stamps = [call.request.headers["X-Voso-Timestamp"] for call in route.calls]
    assert stamps == ["1700000000000", "1700000001000"]
    assert all(
        call.request.headers["X-Voso-Signature"] == expected_signature(call.request)
        for call in route.calls
    )


async def test_check_reports_a_bad_signature_as_not_ok() -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(PRODUCTS).mock(side_effect=[fail(401, "INVALID_SIGNATURE"), ok([])])
        async with connector() as c:
            bad = await c.check()
            good = await c.check()
    assert not bad.ok and "INVALID_SIGNATURE" in bad.detail
    assert good.ok and good.access_expires_at is None


def test_missing_credentials_stop_the_connection() -> None:
    settings = ConnectionSettings("v", "voso", BASE)
    with pytest.raises(FatalConfigError, match="secret_key"):
        VosoConnector(ConnectorContext(settings, {"partner_code": "P", "shop_id": "1"}))


@pytest.mark.parametrize(
    ("remote", "ours"),
    [
        ("ACTIVE", ListingStatus.LIVE),
        ("INACTIVE", ListingStatus.UNLISTED),
        ("PENDING_REVIEW", ListingStatus.PENDING),
        ("REJECTED", ListingStatus.REJECTED),
    ],
)
def test_status_mapping(remote: str, ours: ListingStatus) -> None:
    assert parse_product(product("1", "A", remote)).status is ours
