"""Exact Postmart requests and answers (tokens, paging, batches, errors) with respx."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    StatusChange,
    StockUpdate,
    Tokens,
)
from ocopsync.connectors.postmart import PostmartConnector
from ocopsync.errors import (
    AuthExpiredError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

pytestmark = pytest.mark.anyio
BASE = "https://seller.postmart.test"
PRODUCTS = "/api/seller/v2/products"
NOW = 1_700_000_000.0
# base64 of "cid:csecret", computed apart from the connector.
BASIC = "Basic Y2lkOmNzZWNyZXQ="


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def connector(
    store: MemoryTokenStore | None = None, max_attempts: int = 3, **options: Any
) -> PostmartConnector:
    settings = ConnectionSettings(
        "pm", "postmart", BASE, options={"category_map": {"food": "dac-san"}, **options}
    )
    ctx = ConnectorContext(
        settings,
        {"client_id": "cid", "client_secret": "csecret"},
        token_store=store or MemoryTokenStore(),
        clock=lambda: NOW,
        retry_wait_scale=0,
        max_attempts=max_attempts,
    )
    return PostmartConnector(ctx)


def stored(token: str, expires: float, client_id: str = "cid") -> MemoryTokenStore:
    store = MemoryTokenStore()
    at = datetime.fromtimestamp(expires, UTC)
    store.save(
        "pm", "postmart", Tokens(token, access_expires_at=at, extra={"client_id": client_id})
    )
    return store


def token(value: str, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": value, "token_type": "Bearer", "expires_in": expires_in}
    )


def err(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": "refused"}}, headers=headers
    )


def page(items: list[dict[str, Any]], number: int, total: int) -> httpx.Response:
    pagination = {"page": number, "limit": 50, "total": total}
    return httpx.Response(200, json={"data": {"items": items, "pagination": pagination}})


def product(pid: int, status: str = "active") -> dict[str, Any]:
    return {
        "id": pid,
        "sku": f"S{pid}",
        "name": "Gạo",
        "price": 30000,
        "stock": 5,
        "status": status,
    }


def draft(**changes: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "GAO-ST25",
        "name": "Gạo ST25",
        "description": "Sóc Trăng",
        "price": 38000,
        "stock": 40,
        "group": "food",
        "stars": 5,
        "entity_code": "ST-01",
        "province": "Sóc Trăng",
        "weight_g": 5000,
        "image_urls": ("https://img.test/gao.jpg",),
    }
    return ListingDraft(**(fields | changes))


async def test_first_call_gets_a_token_saves_it_and_sends_it_as_bearer() -> None:
    store = MemoryTokenStore()
    with respx.mock(base_url=BASE) as router:
        issue = router.post("/oauth/token").mock(return_value=token("AT-1"))
        listing = router.get(PRODUCTS).mock(return_value=page([product(7)], 1, 1))
        async with connector(store) as c:
            found = await c.find_by_sku("S7")
    request = issue.calls.last.request
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}
    sent = listing.calls.last.request
    assert sent.headers["Authorization"] == "Bearer AT-1"
    assert dict(sent.url.params) == {"sku": "S7", "page": "1", "limit": "1"}
    assert found is not None and found.remote_id == "7"
    saved = store.load("pm")
    assert saved is not None and saved.access_token == "AT-1"
    assert saved.access_expires_at == datetime.fromtimestamp(NOW + 3600, UTC)
    assert "AT-1" not in repr(saved)


async def test_a_stored_unexpired_token_is_reused_without_asking() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        issue = router.post("/oauth/token").mock(return_value=token("AT-new"))
        listing = router.get(PRODUCTS).mock(return_value=page([], 1, 0))
        async with connector(stored("AT-old", NOW + 60)) as c:
            await c.find_by_sku("X")
            assert c.http.requests_sent == 1
    assert not issue.called
    assert listing.calls.last.request.headers["Authorization"] == "Bearer AT-old"


@pytest.mark.parametrize(
    "store",
    [stored("AT-old", NOW - 1), stored("AT-old", NOW + 600, client_id="someone-else")],
    ids=["expired", "other-client"],
)
async def test_an_unusable_stored_token_is_replaced_before_the_call(
    store: MemoryTokenStore,
) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT-new"))
        listing = router.get(PRODUCTS).mock(return_value=page([], 1, 0))
        async with connector(store) as c:
            await c.find_by_sku("X")
            assert c.http.requests_sent == 2
    assert listing.calls.last.request.headers["Authorization"] == "Bearer AT-new"
    saved = store.load("pm")
    assert saved is not None and saved.access_token == "AT-new"


@pytest.mark.parametrize("code", ["token_expired", "invalid_token"])
async def test_a_refused_token_is_replaced_saved_and_the_call_repeated_once(code: str) -> None:
    store = stored("AT-old", NOW + 600)
    with respx.mock(base_url=BASE) as router:
        issue = router.post("/oauth/token").mock(return_value=token("AT-2"))
        listing = router.get(PRODUCTS).mock(side_effect=[err(401, code), page([product(1)], 1, 1)])
        async with connector(store) as c:
            listings = [x async for x in c.list_listings()]
    assert issue.call_count == 1 and listing.call_count == 2
    bearers = [call.request.headers["Authorization"] for call in listing.calls]
    assert bearers == ["Bearer AT-old", "Bearer AT-2"]
    saved = store.load("pm")
    assert saved is not None and saved.access_token == "AT-2"
    assert len(listings) == 1


async def test_a_token_refused_twice_is_not_retried_again() -> None:
    with respx.mock(base_url=BASE) as router:
        issue = router.post("/oauth/token").mock(return_value=token("AT"))
        listing = router.get(PRODUCTS).mock(return_value=err(401, "token_expired"))
        async with connector() as c:
            with pytest.raises(AuthExpiredError):
                await c.find_by_sku("X")
    assert issue.call_count == 2 and listing.call_count == 2


async def test_bad_client_credentials_stop_the_connection() -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=err(401, "invalid_client"))
        async with connector() as c:
            status = await c.check()
            with pytest.raises(FatalConfigError) as caught:
                await c.find_by_sku("X")
    assert not status.ok and caught.value.code == "invalid_client"


async def test_token_url_option_is_honoured() -> None:
    with respx.mock(base_url=BASE) as router:
        issue = router.post("https://auth.postmart.test/oauth/token").mock(return_value=token("AT"))
        router.get(PRODUCTS).mock(return_value=page([], 1, 0))
        async with connector(token_url="https://auth.postmart.test/oauth/token") as c:
            await c.find_by_sku("X")
    assert issue.called


@pytest.mark.parametrize(("total", "requests"), [(0, 1), (50, 1), (100, 2), (120, 3)])
async def test_list_pages_by_total_without_an_extra_request(total: int, requests: int) -> None:
    items = [product(i, "hidden" if i % 2 else "active") for i in range(total)]

    def answer(request: httpx.Request) -> httpx.Response:
        number, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        return page(items[(number - 1) * limit : number * limit], number, total)

    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        listing = router.get(PRODUCTS).mock(side_effect=answer)
        async with connector() as c:
            listings = [x async for x in c.list_listings()]
    assert listing.call_count == requests
    assert [call.request.url.params["limit"] for call in listing.calls] == ["50"] * requests
    assert len(listings) == total
    assert sum(x.status is ListingStatus.UNLISTED for x in listings) == total // 2


async def test_create_sends_the_product_and_returns_its_id() -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        create = router.post(PRODUCTS).mock(
            return_value=httpx.Response(201, json={"data": product(43161)})
        )
        async with connector() as c:
            assert await c.create_listing(draft()) == "43161"
    assert json.loads(create.calls.last.request.content) == {
        "sku": "GAO-ST25",
        "name": "Gạo ST25",
        "description": "Sóc Trăng",
        "price": 38000,
        "stock": 40,
        "category_id": "dac-san",
        "weight": 5000,
        "images": ["https://img.test/gao.jpg"],
        "ocop": {"stars": 5, "province": "Sóc Trăng"},
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"group": "textile"}, "no category for group 'textile'"),
        ({"weight_g": 0}, "no weight"),
        ({"image_urls": ()}, "no images"),
    ],
)
async def test_missing_data_blocks_create_without_any_request(
    changes: dict[str, Any], reason: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        issue = router.post("/oauth/token").mock(return_value=token("AT"))
        create = router.post(PRODUCTS).mock(return_value=httpx.Response(201))
        async with connector() as c:
            assert [m for m in c.missing_for_create(draft(**changes)) if reason in m]
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(draft(**changes))
    assert caught.value.code == "missing_data"
    assert not issue.called and not create.called


async def test_prices_go_in_batches_of_50_with_per_item_results() -> None:
    updates = [PriceUpdate(str(100 + i), f"S{i}", 20000 + i) for i in range(120)]

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [it["id"] for it in json.loads(request.content)["items"]]
        failed = [{"id": 103, "code": "not_found", "message": "gone"}] if 103 in ids else []
        succeeded = [{"id": i} for i in ids if i not in (103, 104)]
        return httpx.Response(200, json={"data": {"succeeded": succeeded, "failed": failed}})

    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        put = router.put(f"{PRODUCTS}/prices").mock(side_effect=answer)
        async with connector() as c:
            results = await c.update_prices(updates)
    bodies = [json.loads(call.request.content)["items"] for call in put.calls]
    assert [len(b) for b in bodies] == [50, 50, 20]
    assert bodies[0][0] == {"id": 100, "price": 20000}
    assert [r.sku for r in results] == [u.sku for u in updates]
    assert isinstance(results[3].error, RejectedError) and results[3].error.code == "not_found"
    assert isinstance(results[4].error, TransientError)  # in neither list
    assert sum(r.ok for r in results) == 118


async def test_stocks_and_a_refused_batch() -> None:
    updates = [StockUpdate(str(i), f"S{i}", 2) for i in range(60)]
    ok_answer = {"data": {"succeeded": [{"id": i} for i in range(50, 60)], "failed": []}}
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        put = router.put(f"{PRODUCTS}/stocks").mock(
            side_effect=[err(422, "validation_failed"), httpx.Response(200, json=ok_answer)]
        )
        async with connector() as c:
            results = await c.update_stocks(updates)
    assert json.loads(put.calls.last.request.content)["items"][0] == {"id": 50, "stock": 2}
    assert all(isinstance(r.error, RejectedError) for r in results[:50])
    assert all(r.ok for r in results[50:])


async def test_status_is_one_hide_or_show_call_per_product() -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        hide = router.post(f"{PRODUCTS}/5/hide").mock(
            return_value=httpx.Response(200, json={"data": product(5, "hidden")})
        )
        show = router.post(f"{PRODUCTS}/6/show").mock(return_value=err(404, "not_found"))
        async with connector() as c:
            results = await c.set_status(
                [
                    StatusChange("5", "S5", ListingStatus.UNLISTED),
                    StatusChange("6", "S6", ListingStatus.LIVE),
                ]
            )
    assert hide.call_count == 1 and show.call_count == 1
    assert results[0].ok
    assert isinstance(results[1].error, RejectedError) and results[1].error.code == "not_found"


@pytest.mark.parametrize(
    ("status", "code", "error", "our_code"),
    [
        (403, "forbidden", FatalConfigError, "forbidden"),
        (404, "not_found", RejectedError, "not_found"),
        (409, "sku_exists", RejectedError, "sku_exists"),
        (422, "validation_failed", RejectedError, "validation_failed"),
        (400, "something_new", RejectedError, "something_new"),
        (429, "rate_limited", RateLimitedError, "429"),
        (500, "server_error", TransientError, "500"),
        (503, "server_error", TransientError, "503"),
    ],
)
async def test_error_codes_map_to_our_tree(
    status: int, code: str, error: type[Exception], our_code: str
) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        create = router.post(PRODUCTS).mock(return_value=err(status, code))
        async with connector(max_attempts=2) as c:
            with pytest.raises(error) as caught:
                await c.create_listing(draft())
    assert type(caught.value) is error and getattr(caught.value, "code", None) == our_code
    assert create.call_count == (2 if issubclass(error, TransientError) else 1)


@pytest.mark.parametrize("first", [err(429, "rate_limited", **{"Retry-After": "3"}), err(502, "")])
async def test_429_and_5xx_are_retried(first: httpx.Response) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT"))
        listing = router.get(PRODUCTS).mock(side_effect=[first, page([product(1)], 1, 1)])
        async with connector() as c:
            assert await c.find_by_sku("S1") is not None
    assert listing.call_count == 2


async def test_check_reports_the_token_expiry() -> None:
    with respx.mock(base_url=BASE) as router:
        router.post("/oauth/token").mock(return_value=token("AT", expires_in=1800))
        router.get(PRODUCTS).mock(return_value=page([], 1, 0))
        async with connector() as c:
            status = await c.check()
    assert status.ok and status.access_expires_at == datetime.fromtimestamp(NOW + 1800, UTC)


def test_missing_credentials_stop_the_connection() -> None:
    settings = ConnectionSettings("pm", "postmart", BASE)
    with pytest.raises(FatalConfigError, match="client_secret"):
        PostmartConnector(ConnectorContext(settings, {"client_id": "cid"}))
