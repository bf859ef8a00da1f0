"""The Shopee connector against its sandbox, in-process, and the sandbox's own rules.

Raw requests here are signed by a few lines of hmac in this file, as a client written
from Shopee's documentation would sign them, not by the connector's signer.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any, cast

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
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.errors import RateLimitedError, RejectedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults, ShopRateLimiter
from ocopsync.sandbox.shopee import ShopeeSandbox
from ocopsync.sandbox.shopee_state import PLACEHOLDER_IMAGE_ID

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
BASE = f"{ROOT}/shopee"
KEY = "sandbox-shopee-key"
FAST = {"rate_limit_per_s": 10_000}
"""Our default 10 requests/s would make these tests wait on the token bucket."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Sandbox:
    return build_sandbox(["shopee"])


@pytest.fixture
def shopee(sb: Sandbox) -> ShopeeSandbox:
    return cast(ShopeeSandbox, sb["shopee"])


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
async def conn(
    sb: Sandbox, shopee: ShopeeSandbox, store: MemoryTokenStore
) -> AsyncIterator[ShopeeConnector]:
    options = shopee.connection_options(ROOT) | FAST
    settings = ConnectionSettings("coop", "shopee", shopee.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings,
        shopee.credentials(),
        token_store=store,
        transport=sb.transport(),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        await connector.exchange_code(shopee.authorization_code())
        yield connector


def signed(path: str, ts: int | None = None, token: str = "", shop: str = "") -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    base = f"100001{path}{ts}{token}{shop}"
    sign = hmac.new(KEY.encode(), base.encode(), hashlib.sha256).hexdigest()
    params = {"partner_id": "100001", "timestamp": str(ts), "sign": sign}
    return params | ({"access_token": token, "shop_id": shop} if token else {})


async def raw(
    sb: Sandbox, method: str, path: str, token: str = "", extra: Any = None, **kwargs: Any
) -> httpx.Response:
    params = list(signed(path, token=token, shop="200001" if token else "").items())
    async with httpx.AsyncClient(transport=sb.transport(), base_url=BASE) as client:
        return await client.request(method, path, params=params + list(extra or []), **kwargs)


def token_of(store: MemoryTokenStore) -> str:
    tokens = store.load("coop")
    assert tokens is not None
    return tokens.access_token


def draft(sku: str, **changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": sku,
        "name": f"Mắm cá linh {sku}",
        "description": "Mắm cá linh An Giang, hũ 500 g",
        "price": 85000,
        "stock": 12,
        "group": "food",
        "stars": 4,
        "entity_code": "AG-01",
        "province": "An Giang",
        "image_urls": (f"{ROOT}/shopee/_sandbox/image.png",),
    }
    return ListingDraft(**(values | changes))


async def test_list_pages_through_every_seeded_item(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    for n in range(230):
        shopee.seed(f"AG-{n:03}", f"Sản phẩm {n}", 10000 + n, n % 7, live=n % 4 != 0)
    listings = [listing async for listing in conn.list_listings()]
    assert len(listings) == 230
    by_sku = {listing.seller_sku: listing for listing in listings}
    assert by_sku["AG-000"].status is ListingStatus.UNLISTED
    assert by_sku["AG-001"].status is ListingStatus.LIVE
    assert (by_sku["AG-229"].price, by_sku["AG-229"].stock) == (10229, 229 % 7)
    assert conn.http.requests_sent == 1 + 3 + 5  # token, 3 pages, 5 detail chunks


async def test_create_then_find_update_unlist_and_relist(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    seeded = shopee.seed("AG-SEED", "Khô cá lóc", 150000, 4)
    ids = [await conn.create_listing(draft(f"NEW-{n}")) for n in range(3)]
    assert shopee.snapshot()["NEW-0"] == {
        "remote_id": ids[0],
        "name": "Mắm cá linh NEW-0",
        "price": 85000,
        "stock": 12,
        "status": "live",
    }
    found = await conn.find_by_sku("AG-SEED")
    assert found is not None and found.remote_id == seeded

    pairs = [(i, f"NEW-{n}") for n, i in enumerate(ids)]
    skus = [s for _, s in pairs]
    prices = await conn.update_prices([PriceUpdate(i, s, 90000) for i, s in pairs])
    stocks = await conn.update_stocks([StockUpdate(i, s, 3) for i, s in pairs])
    assert all(r.ok for r in prices + stocks)
    snap = shopee.snapshot()
    assert {(snap[s]["price"], snap[s]["stock"]) for s in skus} == {(90000, 3)}

    many = [shopee.seed(f"BULK-{n}", "x", 1000, 1) for n in range(60)]
    unlist = [StatusChange(i, f"BULK-{n}", ListingStatus.UNLISTED) for n, i in enumerate(many)]
    assert all(r.ok for r in await conn.set_status(unlist))
    assert {shopee.snapshot()[f"BULK-{n}"]["status"] for n in range(60)} == {"unlisted"}
    relist = [StatusChange(i, f"BULK-{n}", ListingStatus.LIVE) for n, i in enumerate(many)]
    assert all(r.ok for r in await conn.set_status(relist))
    assert {shopee.snapshot()[f"BULK-{n}"]["status"] for n in range(60)} == {"live"}


async def test_sandbox_images_are_uploaded_and_foreign_ones_replaced(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    foreign = ("https://img.ocop.example/ag-1/1.jpg",)
    uploaded = await conn.create_listing(draft("IMG-1"))
    placeholder = await conn.create_listing(draft("IMG-2", image_urls=foreign))
    [image_id] = shopee.shop.items[uploaded].data["image_ids"]
    assert image_id in shopee.images and image_id != PLACEHOLDER_IMAGE_ID
    assert shopee.shop.items[placeholder].data["image_ids"] == [PLACEHOLDER_IMAGE_ID]


async def test_duplicate_sku_and_banned_items_are_refused(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    shopee.seed("DUP", "x", 1000, 1)
    with pytest.raises(RejectedError) as caught:
        await conn.create_listing(draft("DUP"))
    assert caught.value.code == "error_repeated_mtsku"

    banned = shopee.seed("BAN", "x", 1000, 1)
    shopee.shop.items[banned].data["item_status"] = "BANNED"
    [result] = await conn.set_status([StatusChange(banned, "BAN", ListingStatus.UNLISTED)])
    assert result.error is not None and result.error.code == "error_unlist_item_all_failed"
    found = await conn.find_by_sku("BAN")
    assert found is not None and found.status is ListingStatus.REJECTED


async def test_token_expiry_mid_run_is_refreshed_and_saved(
    conn: ShopeeConnector, shopee: ShopeeSandbox, store: MemoryTokenStore
) -> None:
    item = shopee.seed("AG-1", "x", 1000, 1)
    first = store.load("coop")
    await conn.update_prices([PriceUpdate(item, "AG-1", 2000)])
    shopee.expire_tokens()
    [result] = await conn.update_prices([PriceUpdate(item, "AG-1", 3000)])
    assert result.ok and shopee.snapshot()["AG-1"]["price"] == 3000
    saved = store.load("coop")
    assert first is not None and saved is not None
    assert saved.access_token != first.access_token
    assert saved.refresh_token != first.refresh_token
    assert shopee.issuer.refreshes == 1


async def test_refresh_tokens_are_single_use(
    conn: ShopeeConnector, sb: Sandbox, store: MemoryTokenStore
) -> None:
    tokens = store.load("coop")
    assert tokens is not None
    path = "/api/v2/auth/access_token/get"
    body = {"refresh_token": tokens.refresh_token, "partner_id": 100001, "shop_id": 200001}
    first = await raw(sb, "POST", path, json=body)
    again = await raw(sb, "POST", path, json=body)
    assert first.json()["error"] == "" and first.json()["refresh_token"] != body["refresh_token"]
    assert (again.status_code, again.json()["error"]) == (403, "error_auth")
    assert again.json()["message"] == "Invalid refresh_token."


async def test_expired_token_answer(
    conn: ShopeeConnector, sb: Sandbox, shopee: ShopeeSandbox, store: MemoryTokenStore
) -> None:
    token = token_of(store)
    shopee.expire_tokens()
    extra = [("offset", "0"), ("page_size", "10"), ("item_status", "NORMAL")]
    answer = await raw(sb, "GET", "/api/v2/product/get_item_list", token, extra)
    assert answer.status_code == 403
    assert (answer.json()["error"], answer.json()["message"]) == (
        "invalid_acceess_token",
        "Invalid access_token.",
    )


async def test_wrong_sign_and_stale_timestamp_are_rejected(sb: Sandbox) -> None:
    path = "/api/v2/auth/token/get"
    body = {"code": "sandbox-shopee-code", "partner_id": 100001, "shop_id": 200001}
    async with httpx.AsyncClient(transport=sb.transport(), base_url=BASE) as client:
        tampered = signed(path) | {"sign": "0" * 64}
        wrong = await client.post(path, params=tampered, json=body)
        stale = await client.post(path, params=signed(path, int(time.time()) - 301), json=body)
        good = await client.post(path, params=signed(path), json=body)
    assert (wrong.status_code, wrong.json()["error"], wrong.json()["message"]) == (
        403,
        "error_sign",
        "Wrong sign.",
    )
    assert (stale.status_code, stale.json()["error"], stale.json()["message"]) == (
        400,
        "error_param",
        "Timestamp is expired.",
    )
    assert good.status_code == 200 and good.json()["expire_in"] == 14400


async def test_page_and_batch_limits_are_enforced(
    conn: ShopeeConnector, sb: Sandbox, store: MemoryTokenStore
) -> None:
    token = token_of(store)
    statuses = [("item_status", "NORMAL")]
    big_page = await raw(
        sb,
        "GET",
        "/api/v2/product/get_item_list",
        token,
        [("offset", "0"), ("page_size", "101"), *statuses],
    )
    many_ids = [("item_id_list", str(800_000_000 + n)) for n in range(51)]
    details = await raw(sb, "GET", "/api/v2/product/get_item_base_info", token, many_ids)
    items = [{"item_id": 800_000_001 + n, "unlist": True} for n in range(51)]
    unlist = await raw(sb, "POST", "/api/v2/product/unlist_item", token, json={"item_list": items})
    prices = [{"model_id": n, "original_price": 1000} for n in range(51)]
    price = await raw(
        sb, "POST", "/api/v2/product/update_price", token, json={"item_id": 1, "price_list": prices}
    )
    for answer in (big_page, details, unlist, price):
        assert (answer.status_code, answer.json()["error"]) == (400, "error_param")


async def test_add_item_requires_uploaded_images(
    conn: ShopeeConnector, sb: Sandbox, store: MemoryTokenStore
) -> None:
    token = token_of(store)
    body = {
        "item_name": "x",
        "description": "y",
        "original_price": 1000,
        "weight": 0.2,
        "category_id": 100629,
        "logistic_info": [{"logistic_id": 50011, "enabled": True}],
    }
    none = await raw(sb, "POST", "/api/v2/product/add_item", token, json=body)
    foreign = body | {"image": {"image_id_list": ["never-uploaded"]}}
    unknown = await raw(sb, "POST", "/api/v2/product/add_item", token, json=foreign)
    assert none.json()["error"] == "error_image_num_min"
    assert unknown.json()["error"] == "error_param"
    not_image = await raw(
        sb, "POST", "/api/v2/media_space/upload_image", files={"image": ("a.png", b"text")}
    )
    assert not_image.json()["error"] == "error_param"


async def test_auth_partner_redirects_with_code_and_shop(sb: Sandbox) -> None:
    path = "/api/v2/shop/auth_partner"
    redirect = [("redirect", "https://coop.example/cb")]
    answer = await raw(sb, "GET", path, extra=redirect)
    assert answer.status_code == 302
    location = urllib.parse.urlsplit(answer.headers["location"])
    assert location.netloc == "coop.example"
    assert urllib.parse.parse_qs(location.query) == {
        "code": ["sandbox-shopee-code"],
        "shop_id": ["200001"],
    }


async def test_per_shop_rate_limit_answers_error_rate_limit(
    conn: ShopeeConnector, sb: Sandbox, shopee: ShopeeSandbox, store: MemoryTokenStore
) -> None:
    shopee.quota = ShopRateLimiter(1.0, 2, clock=lambda: 1000.0)
    token = token_of(store)
    extra = [("offset", "0"), ("page_size", "1"), ("item_status", "NORMAL")]
    answers = [await raw(sb, "GET", "/api/v2/product/get_item_list", token, extra) for _ in "abc"]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"] == "error_rate_limit"


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (Faults(error_rate=1.0), TransientError),
        (Faults(rate_limit_rate=1.0), RateLimitedError),
        (Faults(drop_rate=1.0), TransientError),
    ],
)
async def test_persistent_faults_fail_after_the_retries(
    conn: ShopeeConnector,
    shopee: ShopeeSandbox,
    faults: Faults,
    expected: type[Exception],
) -> None:
    shopee.faults.set(faults)
    before = shopee.requests
    with pytest.raises(expected):
        await conn.find_by_sku("X")
    assert shopee.requests - before == conn.ctx.max_attempts


async def test_intermittent_faults_converge_thanks_to_retries(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    ids = [shopee.seed(f"F-{n}", "x", 1000, 1) for n in range(120)]
    shopee.faults.set(Faults(error_rate=0.2, drop_rate=0.05, rate_limit_rate=0.05, seed=7))
    assert len([x async for x in conn.list_listings()]) == 120
    results = await conn.update_stocks(
        [StockUpdate(i, f"F-{n}", 9) for n, i in enumerate(ids[:20])]
    )
    created = await conn.create_listing(draft("F-NEW"))
    assert all(r.ok for r in results)
    assert {shopee.snapshot()[f"F-{n}"]["stock"] for n in range(20)} == {9}
    assert shopee.snapshot()["F-NEW"]["remote_id"] == created
    assert sum(shopee.faults.injected.values()) > 0


async def test_short_token_lifetime_is_refreshed_before_use(
    sb: Sandbox, shopee: ShopeeSandbox
) -> None:
    shopee.faults.set(Faults(token_ttl_s=1))
    options = shopee.connection_options(ROOT) | FAST
    settings = ConnectionSettings("c", "shopee", BASE, options=options)
    ctx = ConnectorContext(
        settings, shopee.credentials(), transport=sb.transport(), retry_wait_scale=0
    )
    async with ShopeeConnector(ctx) as connector:
        tokens = await connector.exchange_code("sandbox-shopee-code", shop_id="200001")
        assert tokens.access_expires_at is not None
        assert await connector.find_by_sku("nothing") is None
    assert shopee.issuer.refreshes == 1


def page_query(offset: int) -> list[tuple[str, str]]:
    return [("offset", str(offset)), ("page_size", "100"), ("item_status", "NORMAL")]


async def test_a_page_or_a_sku_lookup_costs_a_page_not_the_shop(
    conn: ShopeeConnector, shopee: ShopeeSandbox, store: MemoryTokenStore, sb: Sandbox
) -> None:
    from ocopsync.sandbox import shopee_state as st

    for n in range(3000):
        shopee.seed(f"BIG-{n:04}", f"Sản phẩm {n}", 10000, 1)
    listing = "/api/v2/product/get_item_list"
    await raw(sb, "GET", listing, token_of(store), page_query(0))
    calls = 0
    original = st.status_of

    def counting(item: Any) -> str:
        nonlocal calls
        calls += 1
        return original(item)

    st.status_of = counting  # type: ignore[assignment]
    try:
        page = await raw(sb, "GET", listing, token_of(store), page_query(2900))
        found = await conn.find_by_sku("BIG-2999")
    finally:
        st.status_of = original  # type: ignore[assignment]
    assert [i["item_id"] for i in page.json()["response"]["item"]][-1] == int(
        shopee.snapshot()["BIG-2999"]["remote_id"]
    )
    assert found is not None and found.seller_sku == "BIG-2999"
    assert calls < 400  # a page and one lookup: hundreds of status reads, not thousands
