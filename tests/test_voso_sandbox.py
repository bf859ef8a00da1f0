"""The Voso connector against its sandbox, in process, and the sandbox's own checks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

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
from ocopsync.errors import FatalConfigError, RateLimitedError, RejectedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults

pytestmark = pytest.mark.anyio
ROOT = "http://sandbox"
PRODUCTS = "/v1/shops/300001/products"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Sandbox:
    return build_sandbox(["voso"])


def connect(
    sb: Sandbox, clock: Callable[[], float] | None = None, **credentials: str
) -> VosoConnector:
    platform = sb["voso"]
    creds = platform.credentials() | credentials
    settings = ConnectionSettings(
        "voso-test",
        "voso",
        platform.base_url(ROOT),
        credentials=creds,
        options=platform.connection_options(ROOT),
    )
    ctx = ConnectorContext(
        settings, creds, transport=sb.transport(), clock=clock, retry_wait_scale=0
    )
    return VosoConnector(ctx)


def draft(sku: str) -> ListingDraft:
    return ListingDraft(
        sku=sku,
        name="Nước mắm Phú Quốc",
        description="40 độ đạm",
        price=95000,
        stock=12,
        group="food",
        stars=5,
        entity_code="KG-01",
        province="Kiên Giang",
        weight_g=700,
        image_urls=("https://img.test/mam.jpg",),
    )


async def signed(
    sb: Sandbox,
    method: str,
    target: str,
    payload: Any = None,
    *,
    stamp: int | None = None,
    tamper: Callable[[str], str] = lambda s: s,
    send_to: str | None = None,
) -> httpx.Response:
    """A request signed by hand (a client written from the docs), sent with plain httpx."""
    platform = sb["voso"]
    body = json.dumps(payload).encode() if payload is not None else b""
    stamp = int(platform.clock() * 1000) if stamp is None else stamp
    canonical = f"{method}\n{target}\n{stamp}\n{hashlib.sha256(body).hexdigest()}"
    key = platform.credentials()["secret_key"].encode()
    signature = hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-Voso-Partner": platform.credentials()["partner_code"],
        "X-Voso-Timestamp": str(stamp),
        "X-Voso-Signature": tamper(signature),
    }
    async with httpx.AsyncClient(transport=sb.transport(), base_url=f"{ROOT}/voso") as client:
        return await client.request(method, send_to or target, content=body, headers=headers)


async def test_list_pages_through_every_item_including_unlisted(sb: Sandbox) -> None:
    for i in range(230):
        sb["voso"].seed(f"SKU-{i}", f"Mục {i}", 10000 + i, i, live=i % 10 != 0)
    async with connect(sb) as c:
        listings = [x async for x in c.list_listings()]
        assert c.http.requests_sent == 3
    assert len(listings) == 230
    assert len({x.remote_id for x in listings}) == 230
    assert sum(x.status is ListingStatus.UNLISTED for x in listings) == 23
    assert listings[7].price == 10007 and listings[7].stock == 7


async def test_create_find_update_unlist_relist(sb: Sandbox) -> None:
    ids = [sb["voso"].seed(f"S{i}", f"Mục {i}", 5000, 1) for i in range(150)]
    async with connect(sb) as c:
        new_id = await c.create_listing(draft("MAM-01"))
        seeded = await c.find_by_sku("S42")
        prices = await c.update_prices([PriceUpdate(r, f"S{i}", 7000) for i, r in enumerate(ids)])
        stocks = await c.update_stocks([StockUpdate(r, f"S{i}", 3) for i, r in enumerate(ids)])
        unlisted = await c.set_status([StatusChange(new_id, "MAM-01", ListingStatus.UNLISTED)])
        after_unlist = sb["voso"].snapshot()["MAM-01"]["status"]
        relisted = await c.set_status([StatusChange(new_id, "MAM-01", ListingStatus.LIVE)])
        assert c.http.requests_sent == 1 + 1 + 2 + 2 + 1 + 1
    assert seeded is not None and seeded.remote_id == ids[42]
    assert all(r.ok for r in prices + stocks + unlisted + relisted)
    snap = sb["voso"].snapshot()
    assert after_unlist == "unlisted" and snap["MAM-01"]["status"] == "live"
    assert snap["MAM-01"]["price"] == 95000
    assert {snap[f"S{i}"]["price"] for i in range(150)} == {7000}
    assert {snap[f"S{i}"]["stock"] for i in range(150)} == {3}


async def test_seeded_items_render_with_defaults(sb: Sandbox) -> None:
    remote_id = sb["voso"].seed("SEED", "Bánh pía", 30000, 4)
    answer = await signed(sb, "GET", f"{PRODUCTS}/{remote_id}")
    data = answer.json()["data"]
    assert answer.json()["error"] is False
    assert data["status"] == "ACTIVE" and data["weight_gram"] == 500 and data["images"] == []


async def test_duplicate_and_invalid_creates_are_rejected(sb: Sandbox) -> None:
    sb["voso"].seed("MAM-01", "Có rồi", 1000, 1)
    async with connect(sb) as c:
        with pytest.raises(RejectedError) as duplicate:
            await c.create_listing(draft("MAM-01"))
    answer = await signed(sb, "POST", PRODUCTS, {"seller_sku": "X", "name": "Y"})
    assert duplicate.value.code == "DUPLICATE_SKU"
    assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "tamper",
    [lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"), lambda s: s.upper(), lambda s: ""],
)
async def test_tampered_signature_is_rejected(sb: Sandbox, tamper: Callable[[str], str]) -> None:
    good = await signed(sb, "GET", f"{PRODUCTS}?limit=5")
    bad = await signed(sb, "GET", f"{PRODUCTS}?limit=5", tamper=tamper)
    assert good.status_code == 200
    assert bad.status_code == 401 and bad.json()["code"] == "INVALID_SIGNATURE"


async def test_signature_covers_the_query(sb: Sandbox) -> None:
    answer = await signed(sb, "GET", f"{PRODUCTS}?limit=5", send_to=f"{PRODUCTS}?limit=100")
    assert answer.status_code == 401 and answer.json()["code"] == "INVALID_SIGNATURE"


async def test_wrong_secret_and_stale_timestamp_stop_the_connection(sb: Sandbox) -> None:
    async with connect(sb, secret_key="not-the-secret") as c:
        with pytest.raises(FatalConfigError) as bad_key:
            await c.find_by_sku("X")
    stale = sb["voso"].clock() - 301
    async with connect(sb, clock=lambda: stale) as c:
        with pytest.raises(FatalConfigError) as late:
            await c.find_by_sku("X")
        status = await c.check()
    within = await signed(sb, "GET", PRODUCTS, stamp=int((sb["voso"].clock() + 290) * 1000))
    assert bad_key.value.code == "INVALID_SIGNATURE"
    assert late.value.code == "TIMESTAMP_EXPIRED" and not status.ok
    assert within.status_code == 200


async def test_another_shop_is_forbidden(sb: Sandbox) -> None:
    async with connect(sb, shop_id="999999") as c:
        with pytest.raises(FatalConfigError) as caught:
            await c.find_by_sku("X")
    assert caught.value.code == "SHOP_FORBIDDEN"


async def test_page_and_batch_limits(sb: Sandbox) -> None:
    big_page = await signed(sb, "GET", f"{PRODUCTS}?limit=101")
    items = [{"product_id": str(i), "price": 1000} for i in range(101)]
    big_batch = await signed(sb, "POST", f"{PRODUCTS}:batchUpdate", {"items": items})
    bad_cursor = await signed(sb, "GET", f"{PRODUCTS}?limit=10&cursor=zzz")
    for answer in (big_page, big_batch, bad_cursor):
        assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_ERROR"
    full = await signed(sb, "POST", f"{PRODUCTS}:batchUpdate", {"items": items[:100]})
    assert full.status_code == 200 and len(full.json()["data"]) == 100


async def test_per_shop_quota_answers_429_with_retry_after() -> None:
    now = 1_750_000_000.0
    sb = build_sandbox(["voso"], clock=lambda: now)
    answers = [await signed(sb, "GET", f"{PRODUCTS}?limit=1") for _ in range(201)]
    assert {a.status_code for a in answers[:200]} == {200}
    assert answers[200].status_code == 429
    assert answers[200].json()["code"] == "RATE_LIMITED"
    assert answers[200].headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("faults", "error", "code"),
    [
        (Faults(error_rate=1.0), TransientError, "503"),
        (Faults(rate_limit_rate=1.0), RateLimitedError, "429"),
        (Faults(drop_rate=1.0), TransientError, ""),
    ],
)
async def test_certain_faults_fail_after_every_retry(
    sb: Sandbox, faults: Faults, error: type[TransientError], code: str
) -> None:
    sb["voso"].seed("S1", "Mục", 1000, 1)
    sb.set_faults(faults)
    async with connect(sb) as c:
        with pytest.raises(error) as caught:
            [x async for x in c.list_listings()]
    assert caught.value.code == code
    assert sb["voso"].requests == 5


async def test_some_faults_still_converge_thanks_to_retries(sb: Sandbox) -> None:
    ids = [sb["voso"].seed(f"S{i}", f"Mục {i}", 5000, 1) for i in range(250)]
    sb.set_faults(Faults(error_rate=0.3, seed=7))
    async with connect(sb) as c:
        listings = [x async for x in c.list_listings()]
        results = await c.update_prices([PriceUpdate(r, f"S{i}", 8000) for i, r in enumerate(ids)])
    assert len(listings) == 250 and all(r.ok for r in results)
    assert sb["voso"].faults.injected["error"] > 0
    assert {v["price"] for v in sb["voso"].snapshot().values()} == {8000}


@pytest.mark.anyio
async def test_a_sku_or_id_lookup_costs_a_page_not_the_shop(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding by SKU or reading back by id goes through the shop's indexes: the whole
    visible list is never scanned (it made a national benchmark's lookups O(shop))."""
    ids = [sb["voso"].seed(f"IX-{i}", f"Mục {i}", 5000 + i, 1) for i in range(300)]
    shop = sb["voso"].shop

    def scan() -> None:
        raise AssertionError("the whole shop was scanned")

    monkeypatch.setattr(shop, "visible", scan)
    async with connect(sb) as conn:
        found = await conn.find_by_sku("IX-123")
        assert found is not None and found.remote_id == ids[123]
        assert await conn.find_by_sku("IX-404") is None
        read = await conn.get_listings([ids[7], ids[250], "999999"])
    assert sorted(r.seller_sku for r in read) == ["IX-250", "IX-7"]
