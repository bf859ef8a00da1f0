"""The Lazada connector against its own emulator, in-process, and the emulator's rules."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.base import (
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    StatusChange,
    StockUpdate,
)
from ocopsync.connectors.lazada import LazadaConnector
from ocopsync.errors import FatalConfigError, RateLimitedError, TransientError
from ocopsync.sandbox import build_sandbox
from ocopsync.sandbox.faults import Faults, ShopRateLimiter
from ocopsync.sandbox.lazada import LazadaSandbox

ROOT = "http://sandbox"
API = f"{ROOT}/lazada/rest"


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, clock: Clock | None = None) -> None:
        self.sandbox = build_sandbox(["lazada"], clock=clock)
        emulator = self.sandbox["lazada"]
        assert isinstance(emulator, LazadaSandbox)
        self.lazada = emulator
        self.clock = clock
        self.store = MemoryTokenStore()

    def connector(self, *, secret: str | None = None, skew_s: float = 0.0) -> LazadaConnector:
        credentials = self.lazada.credentials()
        if secret is not None:
            credentials["app_secret"] = secret
        settings = ConnectionSettings(
            "lzd",
            "lazada",
            self.lazada.base_url(ROOT),
            credentials=credentials,
            options=self.lazada.connection_options(ROOT),
        )
        base_clock = self.clock
        clock = (lambda: base_clock() + skew_s) if base_clock else None
        ctx = ConnectorContext(
            settings,
            credentials,
            token_store=self.store,
            transport=self.sandbox.transport(),
            clock=clock,
            retry_wait_scale=0,
            max_attempts=4,
        )
        return LazadaConnector(ctx)

    async def authorized(self) -> LazadaConnector:
        connector = self.connector()
        await connector.exchange_code(self.lazada.authorization_code())
        return connector

    def token(self) -> str:
        tokens = self.store.load("lzd")
        assert tokens is not None
        return tokens.access_token

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.sandbox.transport(), base_url=API)

    def signed(self, api: str, business: dict[str, str], token: str | None) -> dict[str, str]:
        now = self.clock() if self.clock else 1_750_000_000.0
        return lp.signed_params(
            api,
            business,
            app_key=self.lazada.app_key,
            app_secret=self.lazada.app_secret,
            timestamp_ms=int(now * 1000),
            access_token=token,
        )


def run(coro):
    return asyncio.run(coro)


def draft(sku: str, **kw: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": sku,
        "name": f"Mật ong bạc hà {sku}",
        "description": "Mật ong OCOP 4 sao, Hà Giang",
        "price": 120_000,
        "stock": 30,
        "group": "food",
        "stars": 4,
        "entity_code": "HG-HTX-1",
        "province": "Hà Giang",
        "weight_g": 500,
        "image_urls": ("https://ocop.example.vn/img/mat-ong.jpg",),
    }
    values.update(kw)
    return ListingDraft(**values)


async def listings(connector: LazadaConnector) -> dict[str, Any]:
    return {x.seller_sku: x async for x in connector.list_listings()}


@pytest.fixture
def rig() -> Rig:
    return Rig(Clock())


def test_seeded_listings_come_back_across_pages_in_one_request_each(rig: Rig) -> None:
    seeded = {f"H-{i}": rig.lazada.seed(f"H-{i}", f"Hàng {i}", 20_000 + i, i) for i in range(123)}
    rig.lazada.seed("OFF-1", "Hàng ẩn", 9_000, 1, live=False)

    async def go() -> tuple[dict[str, Any], int]:
        async with await rig.authorized() as c:
            return await listings(c), c.http.requests_sent

    found, sent = run(go())
    assert {sku: x.remote_id for sku, x in found.items() if sku != "OFF-1"} == seeded
    assert found["OFF-1"].status is ListingStatus.UNLISTED
    assert (found["H-7"].price, found["H-7"].stock) == (20_007, 7)
    assert sent == 1 + 3  # the code exchange, then 124 products in pages of 50


def test_create_migrates_the_image_and_lists_the_product_live(rig: Rig) -> None:
    async def go() -> Any:
        async with await rig.authorized() as c:
            remote_id = await c.create_listing(draft("MO-1"))
            return remote_id, await c.find_by_sku("MO-1")

    remote_id, found = run(go())
    assert found is not None and found.remote_id == remote_id
    assert (found.price, found.stock, found.status) == (120_000, 30, ListingStatus.LIVE)
    item = next(iter(rig.lazada.shop.items.values()))
    assert item.data["category"] == 10000339
    assert urlsplit(item.data["images"][0]).hostname == "vn-live.slatic.net"
    assert rig.lazada.requests == 4  # token, image migration, create, lookup


def test_price_and_stock_updates_beyond_one_batch_fail_only_the_unknown_sku(rig: Rig) -> None:
    seeded = {f"P-{i}": rig.lazada.seed(f"P-{i}", f"Hàng {i}", 10_000, 1) for i in range(60)}

    async def go() -> tuple[list, list]:
        async with await rig.authorized() as c:
            ghost = "1:20000000001"
            prices = [PriceUpdate(rid, sku, 15_000) for sku, rid in seeded.items()]
            stocks = [StockUpdate(rid, sku, 9) for sku, rid in seeded.items()]
            return (
                await c.update_prices([*prices, PriceUpdate(ghost, "GHOST", 1)]),
                await c.update_stocks(stocks),
            )

    price_results, stock_results = run(go())
    assert [r.sku for r in price_results if not r.ok] == ["GHOST"]
    assert all(r.ok for r in stock_results)
    snapshot = rig.lazada.snapshot()
    assert {(v["price"], v["stock"]) for v in snapshot.values()} == {(15_000, 9)}
    assert rig.lazada.requests == 1 + 2 + 2


def test_unlist_then_relist(rig: Rig) -> None:
    rid = rig.lazada.seed("S-1", "Chè Thái Nguyên", 90_000, 4)

    async def go() -> list[ListingStatus]:
        async with await rig.authorized() as c:
            seen = []
            for status in (ListingStatus.UNLISTED, ListingStatus.UNLISTED, ListingStatus.LIVE):
                [result] = await c.set_status([StatusChange(rid, "S-1", status)])
                assert result.ok, result.error
                found = await c.find_by_sku("S-1")
                assert found is not None
                seen.append(found.status)
            return seen

    assert run(go()) == [ListingStatus.UNLISTED, ListingStatus.UNLISTED, ListingStatus.LIVE]
    assert rig.lazada.snapshot()["S-1"]["status"] == "live"


def test_expired_token_mid_run_is_refreshed_and_saved(rig: Rig) -> None:
    rig.lazada.seed("T-1", "Bánh pía", 40_000, 5)

    async def go() -> None:
        async with await rig.authorized() as c:
            before = rig.store.load("lzd")
            await listings(c)
            rig.clock.now += 3600  # type: ignore[union-attr]
            rig.lazada.expire_tokens()
            assert "T-1" in await listings(c)
            after = rig.store.load("lzd")
            assert before is not None and after is not None
            assert after.access_token != before.access_token
            assert after.refresh_token != before.refresh_token
            # Lazada does not reset the refresh token's lifetime on refresh (§2.2)
            assert after.refresh_expires_at == before.refresh_expires_at

    run(go())
    assert rig.lazada.issuer.refreshes == 1


def test_short_token_lifetime_is_refreshed_before_the_call(rig: Rig) -> None:
    assert rig.clock is not None
    rig.lazada.faults.set(Faults(token_ttl_s=60))

    async def go() -> int:
        async with await rig.authorized() as c:
            await listings(c)
            rig.clock.now += 120  # type: ignore[union-attr]
            await listings(c)
            return c.http.requests_sent

    assert run(go()) == 4  # code, list, refresh, list: no request wasted on the stale token


def test_a_used_refresh_token_is_refused(rig: Rig) -> None:
    async def go() -> None:
        async with await rig.authorized() as c:
            tokens = rig.store.load("lzd")
            assert tokens is not None
            rig.lazada.expire_tokens()
            await listings(c)
            async with rig.client() as client:
                params = rig.signed(
                    "/auth/token/refresh", {"refresh_token": tokens.refresh_token}, None
                )
                answer = await client.post(
                    f"{ROOT}/lazada/auth/rest/auth/token/refresh", data=params
                )
            assert answer.json()["code"] == "IllegalRefreshToken"

    run(go())


def test_tampered_signature_and_wrong_secret_are_refused(rig: Rig) -> None:
    async def go() -> None:
        async with await rig.authorized():
            token = rig.token()
        async with rig.client() as client:
            params = rig.signed("/products/get", {"filter": "all"}, token)
            params["filter"] = "live"  # changed after signing
            body = (await client.get("/products/get", params=params)).json()
            assert (body["code"], body["type"]) == ("IncompleteSignature", "ISV")
            params = rig.signed("/products/get", {"filter": "all"}, token)
            params["sign"] = params["sign"].lower()  # compared case-insensitively
            assert (await client.get("/products/get", params=params)).json()["code"] == "0"
            params = {**rig.signed("/products/get", {"filter": "all"}, token), "app_key": "9"}
            body = (await client.get("/products/get", params=params)).json()
            assert body["code"] == "InvalidAppKey"
        async with rig.connector(secret="wrong") as bad:
            with pytest.raises(FatalConfigError) as caught:
                await bad.exchange_code(rig.lazada.authorization_code())
            assert caught.value.code == "IncompleteSignature"

    run(go())


def test_stale_timestamp_is_refused(rig: Rig) -> None:
    async def go() -> None:
        async with rig.connector(skew_s=-7300) as late:
            with pytest.raises(FatalConfigError) as caught:
                await late.exchange_code(rig.lazada.authorization_code())
            assert caught.value.code == "IllegalTimestamp"
        async with rig.connector(skew_s=-7100) as slightly_late:
            await slightly_late.exchange_code(rig.lazada.authorization_code())

    run(go())


@pytest.mark.parametrize(
    ("business", "code"),
    [
        ({"filter": "all", "limit": "51"}, "19"),
        ({"filter": "all", "offset": "10001"}, "14"),
        ({"filter": "everything"}, "36"),
        ({"filter": "all", "create_after": "yesterday"}, "17"),
        ({"filter": "all", "sku_seller_list": "S-1"}, "70"),
        ({"limit": "10"}, "MissingParameter"),
    ],
)
def test_get_products_enforces_its_limits(rig: Rig, business: dict[str, str], code: str) -> None:
    async def go() -> dict[str, Any]:
        async with await rig.authorized():
            token = rig.token()
        async with rig.client() as client:
            params = rig.signed("/products/get", business, token)
            return (await client.get("/products/get", params=params)).json()

    assert run(go())["code"] == code


def test_price_quantity_takes_at_most_50_skus_and_reads_xml(rig: Rig) -> None:
    rid = rig.lazada.seed("X-1", "Nước mắm", 50_000, 2)
    item_id, sku_id = rid.split(":")

    async def go() -> tuple[dict, dict]:
        async with await rig.authorized():
            token = rig.token()
        skus = [{"ItemId": item_id, "SkuId": sku_id, "Quantity": "1"}] * 51
        too_many = json.dumps({"Request": {"Product": {"Skus": {"Sku": skus}}}})
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Request><Product><Skus><Sku>"
            f"<ItemId>{item_id}</ItemId><SkuId>{sku_id}</SkuId><SellerSku>X-1</SellerSku>"
            f"<Price>55000</Price><Quantity>8</Quantity></Sku></Skus></Product></Request>"
        )
        async with rig.client() as client:
            path = "/product/price_quantity/update"
            first = await client.post(path, data=rig.signed(path, {"payload": too_many}, token))
            second = await client.post(path, data=rig.signed(path, {"payload": xml}, token))
        return first.json(), second.json()

    too_many, xml = run(go())
    assert (too_many["code"], too_many["message"]) == ("204", "Too many SKU in one request")
    assert xml["code"] == "0"
    assert (rig.lazada.snapshot()["X-1"]["price"], rig.lazada.snapshot()["X-1"]["stock"]) == (
        55_000,
        8,
    )


def test_create_refuses_images_lazada_does_not_host(rig: Rig) -> None:
    async def go() -> dict[str, Any]:
        async with await rig.authorized():
            token = rig.token()
        product = json.loads(
            lp.create_payload(
                draft("IMG-1"), category_id="10000339", images=["https://x.vn/a.jpg"], weight_g=300
            )
        )
        async with rig.client() as client:
            params = rig.signed("/product/create", {"payload": json.dumps(product)}, token)
            return (await client.post("/product/create", data=params)).json()

    body = run(go())
    assert body["code"] == "500"
    assert body["detail"][0]["field"] == "Images"
    assert rig.lazada.snapshot() == {}


def test_consent_page_redirects_with_the_code(rig: Rig) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with rig.connector() as c:
            url = c.authorization_url("https://ocop.example.vn/cb?state=1")
        async with rig.client() as client:
            good = await client.get(url)
            bad = await client.get(url.replace("client_id=100002", "client_id=1"))
        return good, bad

    good, bad = run(go())
    assert good.status_code == 302
    location = urlsplit(good.headers["location"])
    assert location.netloc == "ocop.example.vn"
    assert parse_qs(location.query) == {"state": ["1"], "code": ["sandbox-lazada-code"]}
    assert bad.status_code == 400


def test_shop_quota_answers_api_call_limit(rig: Rig) -> None:
    assert rig.clock is not None
    rig.lazada.quota = ShopRateLimiter(1.0, 2, rig.clock)

    async def go() -> None:
        async with await rig.authorized() as c:
            await c.find_by_sku("A")  # the token call used the app's own bucket
            await c.find_by_sku("B")
            with pytest.raises(RateLimitedError) as caught:
                await c.find_by_sku("C")
            assert (caught.value.code, caught.value.retry_after) == ("ApiCallLimit", 1.0)

    run(go())


@pytest.mark.parametrize(
    ("faults", "expected", "code"),
    [
        (Faults(error_rate=1.0), TransientError, "ServiceTimeout"),
        (Faults(rate_limit_rate=1.0), RateLimitedError, "ApiCallLimit"),
        (Faults(drop_rate=1.0), TransientError, ""),
    ],
)
def test_certain_faults_fail_after_the_retries(
    rig: Rig, faults: Faults, expected: type, code: str
) -> None:
    async def go() -> None:
        async with await rig.authorized() as c:
            rig.lazada.faults.set(faults)
            with pytest.raises(expected) as caught:
                await c.find_by_sku("A")
            assert caught.value.code == code
            assert c.http.requests_sent == 1 + 4

    run(go())


def test_a_third_of_requests_failing_still_converges(rig: Rig) -> None:
    seeded = {f"F-{i}": rig.lazada.seed(f"F-{i}", f"Hàng {i}", 10_000, 1) for i in range(80)}

    async def go() -> None:
        async with await rig.authorized() as c:
            rig.lazada.faults.set(Faults(error_rate=0.2, drop_rate=0.1, seed=7))
            assert len(await listings(c)) == 80
            results = await c.update_stocks([StockUpdate(r, s, 3) for s, r in seeded.items()])
            assert all(r.ok for r in results)
            assert await c.create_listing(draft("F-NEW"))

    run(go())
    injected = rig.lazada.faults.injected
    assert injected["error"] + injected["drop"] > 0
    assert {v["stock"] for k, v in rig.lazada.snapshot().items() if k != "F-NEW"} == {3}


def _page(rig: Rig, **params: str) -> dict[str, Any]:
    return rig.lazada.catalog.list_products({"filter": "all", "limit": "50", **params})


def test_product_reads_cost_a_page_not_the_shop(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3000):
        rig.lazada.seed(f"BIG-{i:04d}", f"Hàng {i}", 10_000, 1)
    catalog = rig.lazada.catalog
    _page(rig)  # the first read builds the cached product list
    _page(rig, filter="live")
    looked: list[str] = []
    state = catalog.state
    monkeypatch.setattr(catalog, "state", lambda head: looked.append(head.sku) or state(head))
    deep = _page(rig, offset="2500")
    assert [p["skus"][0]["SellerSku"] for p in deep["products"]][:2] == ["BIG-2500", "BIG-2501"]
    live = _page(rig, filter="live", offset="2950")
    wanted = json.dumps(["BIG-2999", "BIG-0007", "NONE"])
    by_sku = _page(rig, sku_seller_list=wanted)
    assert deep["total_products"] == live["total_products"] == 3000
    assert [p["skus"][0]["SellerSku"] for p in by_sku["products"]] == ["BIG-0007", "BIG-2999"]
    assert len(looked) <= 3 * 50 + 4, "each read looks at its page, not at every product"


def test_cached_product_lists_follow_status_changes_and_new_skus(rig: Rig) -> None:
    first = rig.lazada.seed("C-1", "Một", 10_000, 1)
    rig.lazada.seed("C-2", "Hai", 10_000, 1)
    assert _page(rig, filter="live")["total_products"] == 2
    rig.lazada.shop.items[first.split(":")[0]].status = "unlisted"
    assert [p["item_id"] for p in _page(rig, filter="inactive")["products"]] == [
        int(first.split(":")[0])
    ]
    assert _page(rig, filter="live")["total_products"] == 1
    item_id = rig.lazada.seed_product("Ba", "Cỡ", [("C-3a", "nhỏ", 1, 1), ("C-3b", "to", 2, 2)])
    listed = _page(rig)
    assert listed["total_products"] == 3
    assert [s["SellerSku"] for s in listed["products"][-1]["skus"]] == ["C-3a", "C-3b"]
    assert _page(rig, sku_seller_list='["C-3b"]')["products"][0]["item_id"] == int(item_id)
