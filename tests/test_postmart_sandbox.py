"""The Postmart connector against its sandbox in process: tokens, limits, faults."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    StatusChange,
    StockUpdate,
)
from ocopsync.connectors.postmart import PostmartConnector
from ocopsync.errors import FatalConfigError, RateLimitedError, RejectedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults

pytestmark = pytest.mark.anyio
ROOT = "http://sandbox"
PRODUCTS = "/api/seller/v2/products"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Sandbox:
    """A fresh Postmart sandbox for each test: no items, no tokens issued."""
    return build_sandbox(["postmart"])


def connect(
    sb: Sandbox, store: MemoryTokenStore | None = None, **credentials: str
) -> PostmartConnector:
    sandbox = sb["postmart"]
    creds = {**sandbox.credentials(), **credentials}
    settings = ConnectionSettings(
        name="pm-test",
        platform="postmart",
        base_url=sandbox.base_url(ROOT),
        credentials=creds,
        options=sandbox.connection_options(ROOT),
    )
    return PostmartConnector(
        ConnectorContext(
            settings,
            creds,
            token_store=store if store is not None else MemoryTokenStore(),
            transport=sb.transport(),
            retry_wait_scale=0,
        )
    )


def seed(sb: Sandbox, count: int) -> list[str]:
    return [sb["postmart"].seed(f"PM-{n}", f"Đặc sản {n}", 20000, 8) for n in range(count)]


async def raw(sb: Sandbox, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A plain httpx call, as a client written from the dialect's description would make."""
    async with httpx.AsyncClient(transport=sb.transport(), base_url=f"{ROOT}/postmart") as client:
        return await client.request(method, url, **kwargs)


async def bearer(sb: Sandbox) -> dict[str, str]:
    creds = sb["postmart"].credentials()
    answer = await raw(
        sb,
        "POST",
        "/oauth/token",
        data={"grant_type": "client_credentials", **creds},
    )
    assert answer.json()["token_type"] == "Bearer" and answer.json()["expires_in"] == 3600
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_list_pages_through_every_item_including_hidden(sb: Sandbox) -> None:
    seed(sb, 120)
    sb["postmart"].seed("HIDDEN", "Ẩn", 1000, 0, live=False)
    async with connect(sb) as c:
        listings = [x async for x in c.list_listings()]
        assert c.http.requests_sent == 1 + 3  # one token, three pages of 50
    assert len(listings) == 121 and len({x.remote_id for x in listings}) == 121
    assert listings[-1].status is ListingStatus.UNLISTED and listings[-1].seller_sku == "HIDDEN"


async def test_create_find_update_unlist_relist(sb: Sandbox) -> None:
    ids = seed(sb, 70)
    draft = ListingDraft(
        sku="MIEN-01",
        name="Miến dong Bình Liêu",
        description="",
        price=60000,
        stock=25,
        group="food",
        stars=4,
        entity_code="QN-07",
        province="Quảng Ninh",
        weight_g=500,
        image_urls=("https://img.test/mien.jpg",),
    )
    async with connect(sb) as c:
        new_id = await c.create_listing(draft)
        found = await c.find_by_sku("PM-33")
        prices = await c.update_prices(
            [PriceUpdate(r, f"PM-{n}", 25000) for n, r in enumerate(ids)]
        )
        stocks = await c.update_stocks([StockUpdate(r, f"PM-{n}", 6) for n, r in enumerate(ids)])
        hidden = await c.set_status([StatusChange(new_id, "MIEN-01", ListingStatus.UNLISTED)])
        while_hidden = sb["postmart"].snapshot()["MIEN-01"]["status"]
        shown = await c.set_status([StatusChange(new_id, "MIEN-01", ListingStatus.LIVE)])
        assert c.http.requests_sent == 1 + 1 + 1 + 2 + 2 + 1 + 1
    assert found is not None and found.remote_id == ids[33]
    assert all(r.ok for r in prices + stocks + hidden + shown)
    snap = sb["postmart"].snapshot()
    assert while_hidden == "unlisted" and snap["MIEN-01"]["status"] == "live"
    assert {snap[f"PM-{n}"]["price"] for n in range(70)} == {25000}
    assert {snap[f"PM-{n}"]["stock"] for n in range(70)} == {6}


async def test_seeded_items_render_with_storefront_defaults(sb: Sandbox) -> None:
    remote_id = sb["postmart"].seed("TAO", "Táo Đài Mường Lá", 150000, 3)
    answer = await raw(sb, "GET", f"{PRODUCTS}/{remote_id}", headers=await bearer(sb))
    data = answer.json()["data"]
    assert data["status"] == "active" and data["weight"] == 500 and data["images"] == []
    assert data["url"] == f"https://postmart.vn/p/tao-dai-muong-la-{remote_id}.html"


async def test_expired_token_mid_run_is_replaced_and_saved(sb: Sandbox) -> None:
    seed(sb, 3)
    store = MemoryTokenStore()
    async with connect(sb, store) as c:
        await c.find_by_sku("PM-1")
        first = store.load("pm-test")
        sb["postmart"].expire_tokens()
        found = await c.find_by_sku("PM-2")
        assert c.http.requests_sent == 2 + 3  # 401, new token, the call again
    second = store.load("pm-test")
    assert found is not None and found.seller_sku == "PM-2"
    assert first is not None and second is not None
    assert first.access_token != second.access_token
    expired = await raw(
        sb, "GET", PRODUCTS, headers={"Authorization": f"Bearer {first.access_token}"}
    )
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"


async def test_a_saved_token_serves_the_next_run(sb: Sandbox) -> None:
    store = MemoryTokenStore()
    async with connect(sb, store) as c:
        await c.check()
    async with connect(sb, store) as c:
        status = await c.check()
        assert c.http.requests_sent == 1
    saved = store.load("pm-test")
    assert saved is not None and status.access_expires_at == saved.access_expires_at


async def test_token_lifetime_follows_the_fault_override() -> None:
    clock = [1_750_000_000.0]
    sb = build_sandbox(["postmart"], clock=lambda: clock[0], faults=Faults(token_ttl_s=2))
    seed(sb, 1)
    async with connect(sb) as c:
        assert await c.find_by_sku("PM-0") is not None
        clock[0] += 3
        assert await c.find_by_sku("PM-0") is not None
    assert sb["postmart"].requests == 5  # token, call, 401 token_expired, token, call


async def test_bad_client_secret_and_bad_tokens_are_refused(sb: Sandbox) -> None:
    async with connect(sb, client_secret="wrong") as c:
        with pytest.raises(FatalConfigError) as caught:
            await c.find_by_sku("X")
    forged = await raw(sb, "GET", PRODUCTS, headers={"Authorization": "Bearer pm-at-forged"})
    missing = await raw(sb, "GET", PRODUCTS)
    basic = await raw(
        sb,
        "POST",
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("sandbox-postmart-client", "sandbox-postmart-secret"),
    )
    assert caught.value.code == "invalid_client"
    for answer in (forged, missing):
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_token"
    assert basic.status_code == 200


async def test_duplicate_and_invalid_creates_are_rejected(sb: Sandbox) -> None:
    headers = await bearer(sb)
    body = {
        "sku": "A",
        "name": "Chè",
        "price": 1000,
        "stock": 1,
        "weight": 100,
        "category_id": "do-uong",
        "images": ["https://img.test/che.jpg"],
    }
    created = await raw(sb, "POST", PRODUCTS, json=body, headers=headers)
    again = await raw(sb, "POST", PRODUCTS, json=body, headers=headers)
    bad = await raw(sb, "POST", PRODUCTS, json={**body, "sku": "B", "images": []}, headers=headers)
    assert created.status_code == 201 and isinstance(created.json()["data"]["id"], int)
    assert again.status_code == 409 and again.json()["error"]["code"] == "sku_exists"
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"


async def test_page_and_batch_limits(sb: Sandbox) -> None:
    ids = seed(sb, 51)
    headers = await bearer(sb)
    big_page = await raw(sb, "GET", PRODUCTS, params={"limit": 51}, headers=headers)
    items = [{"id": int(r), "stock": 1} for r in ids]
    big_batch = await raw(sb, "PUT", f"{PRODUCTS}/stocks", json={"items": items}, headers=headers)
    for answer in (big_page, big_batch):
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_failed"
    fits = await raw(sb, "PUT", f"{PRODUCTS}/stocks", json={"items": items[:50]}, headers=headers)
    assert len(fits.json()["data"]["succeeded"]) == 50


async def test_per_client_quota_answers_429_with_retry_after() -> None:
    sb = build_sandbox(["postmart"], clock=lambda: 1_750_000_000.0)
    headers = await bearer(sb)  # the token request uses one unit of the quota
    answers = [await raw(sb, "GET", PRODUCTS, headers=headers) for _ in range(200)]
    assert {a.status_code for a in answers[:199]} == {200}
    assert answers[199].status_code == 429 and answers[199].headers["Retry-After"] == "1"
    assert answers[199].json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("error_rate", TransientError),
        ("rate_limit_rate", RateLimitedError),
        ("drop_rate", TransientError),
    ],
)
async def test_certain_faults_fail_after_every_retry(
    sb: Sandbox, setting: str, error: type[Exception]
) -> None:
    sb.set_faults(Faults.from_mapping({setting: 1.0}))
    store = MemoryTokenStore()
    async with connect(sb, store) as c:
        with pytest.raises(error):
            await c.update_prices([PriceUpdate("43001", "PM-0", 1000)])
    assert sb["postmart"].requests == 5  # the token request, tried five times
    assert store.load("pm-test") is None


async def test_some_faults_still_converge_thanks_to_retries(sb: Sandbox) -> None:
    ids = seed(sb, 140)
    sb.set_faults(Faults(error_rate=0.3, seed=11))
    async with connect(sb) as c:
        listings = [x async for x in c.list_listings()]
        results = await c.update_prices(
            [PriceUpdate(r, f"PM-{n}", 31000) for n, r in enumerate(ids)]
        )
        unlisted = await c.set_status([StatusChange(ids[0], "PM-0", ListingStatus.UNLISTED)])
    assert len(listings) == 140 and all(r.ok for r in results + unlisted)
    assert sb["postmart"].faults.injected["error"] > 0
    assert {v["price"] for v in sb["postmart"].snapshot().values()} == {31000}


async def test_unknown_product_is_rejected_per_item(sb: Sandbox) -> None:
    async with connect(sb) as c:
        prices = await c.update_prices([PriceUpdate("99999", "GONE", 1000)])
        status = await c.set_status([StatusChange("99999", "GONE", ListingStatus.UNLISTED)])
    for result in prices + status:
        assert isinstance(result.error, RejectedError) and result.error.code == "not_found"


async def test_concurrent_calls_share_one_token_request(sb: Sandbox) -> None:
    sandbox = sb["postmart"]
    issued: list[str] = []
    issue = sandbox.issuer.issue

    def counting_issue(subject: str, access_ttl: float | None = None) -> Any:
        issued.append(subject)
        return issue(subject, access_ttl)

    sandbox.issuer.issue = counting_issue  # type: ignore[method-assign]
    seed(sb, 4)
    sb.set_faults(Faults(latency_s=0.002))  # answers take time, so the four calls overlap
    async with connect(sb) as c:
        first = await asyncio.gather(*(c.find_by_sku(f"PM-{n}") for n in range(4)))
        sandbox.expire_tokens()
        again = await asyncio.gather(*(c.find_by_sku(f"PM-{n}") for n in range(4)))
    assert all(first) and all(again)
    assert sandbox.requests == 1 + 4 + 4 + 1 + 4  # token, calls, 401s, token, calls again
    assert len(issued) == 2  # one at the start, one after the expiry, not one per call
