"""Sendo connector against its sandbox, in-process; and the sandbox's own rules, over raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
    RemoteListing,
    StatusChange,
    StockUpdate,
)
from ocopsync.connectors.registry import connector_class
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.errors import FatalConfigError, RateLimitedError, RejectedError, TransientError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.sandbox.sendo import SendoSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
BASE = f"{ROOT}/sendo"
SEARCH = "/api/partner/product/search"
PRODUCT = "/api/partner/product"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock: FakeClock) -> Sandbox:
    return build_sandbox(["sendo"], clock=clock)


@pytest.fixture
def sendo(sb: Sandbox) -> SendoSandbox:
    platform = sb["sendo"]
    assert isinstance(platform, SendoSandbox)
    return platform


@pytest.fixture
async def raw(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=BASE) as client:
        yield client


def connect(
    sb: Sandbox,
    clock: FakeClock,
    store: MemoryTokenStore | None = None,
    credentials: dict[str, str] | None = None,
) -> SendoConnector:
    platform = sb["sendo"]
    options = {**platform.connection_options(ROOT), "rate_limit_per_s": 10_000}
    settings = ConnectionSettings("sendo-shop", "sendo", platform.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings,
        credentials or platform.credentials(),
        token_store=store or MemoryTokenStore(),
        transport=sb.transport(),
        clock=clock,
        retry_wait_scale=0,
    )
    return SendoConnector(ctx)


def draft(sku: str = "OCOP-NEW", **changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": sku,
        "name": "Nước mắm Phú Quốc",
        "description": "Nước mắm cá cơm truyền thống.",
        "price": 95000,
        "stock": 20,
        "group": "food",
        "stars": 5,
        "entity_code": "DN-1",
        "province": "Kiên Giang",
        "weight_g": 800,
        "image_urls": ("https://img.example/mam.jpg",),
    }
    values.update(changes)
    return ListingDraft(**values)


def seed_many(sendo: SendoSandbox, count: int) -> list[str]:
    return [sendo.seed(f"SKU-{i:03}", f"Sản phẩm {i}", 10_000 + i, 5) for i in range(count)]


async def listings(connector: SendoConnector) -> dict[str, RemoteListing]:
    return {x.seller_sku: x async for x in connector.list_listings()}


async def bearer(raw: httpx.AsyncClient, sendo: SendoSandbox) -> dict[str, str]:
    answer = (await raw.post("/login", json=sendo.credentials())).json()
    return {"Authorization": f"bearer {answer['result']['token']}"}


# -- the connector against the sandbox --------------------------------------------------------
async def test_registered_connector_works_with_the_sandbox_settings(sb: Sandbox) -> None:
    platform = sb["sendo"]
    settings = ConnectionSettings(
        "c",
        "sendo",
        platform.base_url(ROOT),
        credentials=platform.credentials(),
        options=platform.connection_options(ROOT),
    )
    ctx = ConnectorContext(
        settings, platform.credentials(), transport=sb.transport(), retry_wait_scale=0
    )
    async with connector_class("sendo")(ctx) as connector:
        status = await connector.check()
    assert status.ok
    assert status.access_expires_at is not None


async def test_lists_every_item_across_pages_with_one_login(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    ids = seed_many(sendo, 120)
    sendo.seed("HIDDEN", "Ẩn", 1000, 4, live=False)
    async with connect(sb, clock) as connector:
        found = await listings(connector)
    assert len(found) == 121
    assert found["SKU-007"].remote_id == ids[7]
    assert (found["SKU-007"].price, found["SKU-007"].stock) == (10_007, 5)
    assert found["SKU-007"].status is ListingStatus.LIVE
    assert found["HIDDEN"].status is ListingStatus.UNLISTED
    assert (sendo.logins, sendo.requests) == (1, 4)  # login + 3 pages of 50


async def test_create_find_and_duplicate(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock, raw: httpx.AsyncClient
) -> None:
    async with connect(sb, clock) as connector:
        remote_id = await connector.create_listing(draft(description="Ngon."))
        found = await connector.find_by_sku("OCOP-NEW")
        with pytest.raises(RejectedError) as raised:
            await connector.create_listing(draft())
    assert found is not None
    assert (found.remote_id, found.status, found.stock) == (remote_id, ListingStatus.LIVE, 20)
    assert raised.value.code == "sku_duplicate"
    detail = (
        await raw.get(
            "/api/partner/product", params={"id": remote_id}, headers=await bearer(raw, sendo)
        )
    ).json()["result"]
    assert detail["cat_4_id"] == 1111
    assert detail["weight"] == 800
    assert len(detail["description"]) >= 100
    assert detail["avatar"] == {"picture_url": "https://img.example/mam.jpg"}


async def test_find_by_sku_of_a_seeded_listing(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    remote_id = sendo.seed("SEEDED", "Trà Shan tuyết", 250_000, 3)
    async with connect(sb, clock) as connector:
        found = await connector.find_by_sku("SEEDED")
        missing = await connector.find_by_sku("NOPE")
    assert found == RemoteListing(
        remote_id, "SEEDED", "Trà Shan tuyết", 250_000, 3, ListingStatus.LIVE
    )
    assert missing is None


async def test_prices_and_stocks_in_batches(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    ids = seed_many(sendo, 120)
    async with connect(sb, clock) as connector:
        prices = await connector.update_prices(
            [PriceUpdate(rid, f"SKU-{i:03}", 20_000 + i) for i, rid in enumerate(ids)]
        )
        stocks = await connector.update_stocks(
            [StockUpdate(rid, f"SKU-{i:03}", i % 7) for i, rid in enumerate(ids)]
        )
    assert all(r.ok for r in prices + stocks)
    snapshot = sendo.snapshot()
    assert snapshot["SKU-119"]["price"] == 20_119
    assert snapshot["SKU-010"]["stock"] == 3
    assert snapshot["SKU-007"]["stock"] == 0
    # login, the search pages read once for the full items, then 3 batches of each
    assert sendo.requests == 1 + 3 + 3 + 3


async def test_unlist_relist_and_stock_updates_in_between(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    remote_id = sendo.seed("A", "Gạo ST25", 40_000, 10)
    async with connect(sb, clock) as connector:
        [unlisted] = await connector.set_status(
            [StatusChange(remote_id, "A", ListingStatus.UNLISTED)]
        )
        after_unlist = (await listings(connector))["A"]
        await connector.update_stocks([StockUpdate(remote_id, "A", 7)])
        still = sendo.snapshot()["A"]
        [relisted] = await connector.set_status([StatusChange(remote_id, "A", ListingStatus.LIVE)])
        after_relist = (await listings(connector))["A"]
    assert unlisted.ok and relisted.ok
    assert after_unlist.status is ListingStatus.UNLISTED
    assert after_unlist.stock == 10  # unlisting keeps the stock
    assert (still["status"], still["stock"]) == ("unlisted", 7)
    assert after_relist.status is ListingStatus.LIVE
    assert after_relist.stock == 7


async def test_sold_out_listing_stays_live_and_reopens_with_stock(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    remote_id = sendo.seed("B", "Bánh pía", 60_000, 5)
    sendo.shop.sell("B", 5)
    async with connect(sb, clock) as connector:
        sold_out = (await listings(connector))["B"]
        await connector.update_stocks([StockUpdate(remote_id, "B", 0)])
        await connector.update_stocks([StockUpdate(remote_id, "B", 4)])
        restocked = (await listings(connector))["B"]
    assert (sold_out.status, sold_out.stock) == (ListingStatus.LIVE, 0)
    assert (restocked.status, restocked.stock) == (ListingStatus.LIVE, 4)
    assert sendo.snapshot()["B"]["status"] == "live"


async def test_expired_token_mid_run_logs_in_again_and_carries_on(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    remote_id = sendo.seed("C", "Cà phê", 120_000, 9)
    store = MemoryTokenStore()
    async with connect(sb, clock, store) as connector:
        await listings(connector)
        first = store.load("sendo-shop")
        sendo.expire_tokens()
        [result] = await connector.update_prices([PriceUpdate(remote_id, "C", 125_000)])
    second = store.load("sendo-shop")
    assert result.ok
    assert sendo.snapshot()["C"]["price"] == 125_000
    assert sendo.logins == 2
    assert first is not None and second is not None
    assert second.access_token != first.access_token
    assert sendo.issuer.check(second.access_token) == "ok"


async def test_token_lifetime_is_honoured_across_runs(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    sendo.seed("D", "Mắm", 1_000, 1)
    store = MemoryTokenStore()
    async with connect(sb, clock, store) as connector:
        await listings(connector)
    clock.advance(7 * 3600)
    async with connect(sb, clock, store) as connector:
        await listings(connector)  # the next run reuses the saved token
    assert sendo.logins == 1
    clock.advance(3600 - 200)  # under 5 minutes left: log in before calling
    async with connect(sb, clock, store) as connector:
        await listings(connector)
    assert sendo.logins == 2
    assert sendo.requests == 5  # no call was refused with 401


async def test_token_ttl_fault_forces_expiry(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    sendo.faults.set(Faults(token_ttl_s=400))
    sendo.seed("E", "Trà", 1_000, 1)
    async with connect(sb, clock) as connector:
        await listings(connector)
        clock.advance(200)
        await listings(connector)
    assert sendo.logins == 2


async def test_wrong_keys_fail_the_check_and_every_call(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    bad = {"shop_key": sendo.shop_key, "secret_key": "wrong"}
    async with connect(sb, clock, credentials=bad) as connector:
        status = await connector.check()
        with pytest.raises(FatalConfigError) as raised:
            await listings(connector)
    assert not status.ok
    assert raised.value.code == "invalid_credentials"


# -- the sandbox's rules, over raw HTTP --------------------------------------------------------
async def test_login_answers_token_and_expiry_in_the_envelope(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    answer = await raw.post("/login", json=sendo.credentials())
    body = answer.json()
    assert answer.status_code == 200
    assert body["success"] is True and body["status_code"] == 200
    assert body["result"]["expires"] == "2025-06-16T06:06:40+07:00"  # 8 h after the fake now
    assert sendo.issuer.check(body["result"]["token"]) == "ok"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_invalid"),
        ({"Authorization": "bearer not-a-token"}, "token_invalid"),
        ({"Authorization": "Basic abc"}, "token_invalid"),
    ],
)
async def test_missing_or_unknown_bearer_is_refused(
    raw: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    answer = await raw.post("/api/partner/product/search", json={}, headers=headers)
    body = answer.json()
    assert answer.status_code == 401
    assert (body["success"], body["status_code"]) == (False, 401)
    assert body["error"]["error_details"][0]["code"] == code


async def test_expired_bearer_says_token_is_expired(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    headers = await bearer(raw, sendo)
    sendo.expire_tokens()
    answer = await raw.post("/api/partner/product/search", json={}, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "Token is expired"
    assert answer.json()["error"]["error_details"][0]["code"] == "token_expired"


async def test_login_is_limited_to_five_a_second_per_shop(
    raw: httpx.AsyncClient, sendo: SendoSandbox, clock: FakeClock
) -> None:
    codes = [(await raw.post("/login", json=sendo.credentials())).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = await raw.post("/login", json=sendo.credentials())
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["error_details"][0]["code"] == "rate_limited"
    clock.advance(1)
    assert (await raw.post("/login", json=sendo.credentials())).status_code == 200


async def test_wrong_secret_is_a_401_envelope(raw: httpx.AsyncClient, sendo: SendoSandbox) -> None:
    answer = await raw.post("/login", json={"shop_key": sendo.shop_key, "secret_key": "x"})
    assert answer.status_code == 401
    assert answer.json()["error"]["error_details"][0]["code"] == "invalid_credentials"


async def test_page_size_is_clamped_and_cursor_expires(
    raw: httpx.AsyncClient, sendo: SendoSandbox, clock: FakeClock
) -> None:
    seed_many(sendo, 70)
    headers = await bearer(raw, sendo)
    search = "/api/partner/product/search"
    first = (await raw.post(search, json={"page_size": 100}, headers=headers)).json()["result"]
    default = (await raw.post(search, json={}, headers=headers)).json()["result"]
    assert (len(first["data"]), len(default["data"])) == (50, 10)
    second = (
        await raw.post(search, json={"token": first["next_token"], "page_size": 5}, headers=headers)
    ).json()["result"]
    assert len(second["data"]) == 20  # the cursor keeps its own page size
    assert second["next_token"] == ""
    clock.advance(3601)
    stale = await raw.post(search, json={"token": first["next_token"]}, headers=headers)
    assert stale.status_code == 400
    assert stale.json()["error"]["error_details"][0]["property_name"] == "token"


@pytest.mark.parametrize("size", [0, 51])
async def test_variant_price_batch_limit(
    raw: httpx.AsyncClient, sendo: SendoSandbox, size: int
) -> None:
    ids = seed_many(sendo, 51)
    body = [{"product_id": int(i), "is_config_variant": False, "price": 5000} for i in ids[:size]]
    answer = await raw.put(
        "/api/partner/product/config/variant-price", json=body, headers=await bearer(raw, sendo)
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["error_details"][0]["code"] == "validation"
    assert sendo.snapshot()["SKU-000"]["price"] == 10_000


async def test_variant_price_reports_each_refused_item(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    pid = int(sendo.seed("F", "Rượu", 80_000, 3))
    item = {"product_id": pid, "is_config_variant": False, "stock_availability": True}
    item |= {"price": 80_000, "stock_quantity": 3}
    body = [
        {**item, "product_id": 999_999},
        {k: v for k, v in item.items() if k != "is_config_variant"},
        {**item, "stock_quantity": 0},
        {**item, "colour": "red"},
        {k: v for k, v in item.items() if k != "stock_quantity"},  # partial: refused
        {**item, "price": 80_000.5},  # fractional dong
        {**item, "price": 81_000},
    ]
    answer = await raw.put(
        "/api/partner/product/config/variant-price", json=body, headers=await bearer(raw, sendo)
    )
    errors = answer.json()["result"]["error_list"]
    assert answer.status_code == 200
    assert [(e["product_id"], e["code"]) for e in errors] == [
        (999_999, "product_not_found"),
        (pid, "validation"),
        (pid, "validation"),
        (pid, "validation"),
        (pid, "validation"),
        (pid, "validation"),
    ]
    assert sendo.snapshot()["F"]["price"] == 81_000
    assert sendo.snapshot()["F"]["stock"] == 3


async def test_restocking_a_sold_out_product_leaves_it_unavailable(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    pid = int(sendo.seed("S", "Bánh tráng", 30_000, 2))
    sendo.shop.sell("S", 2)
    headers = await bearer(raw, sendo)
    restock = [
        {
            "product_id": pid,
            "is_config_variant": False,
            "price": 30_000,
            "stock_quantity": 6,
            "stock_availability": False,
        }
    ]
    await raw.put("/api/partner/product/config/variant-price", json=restock, headers=headers)
    detail = await raw.get("/api/partner/product", params={"sku": "S"}, headers=headers)
    assert detail.json()["result"]["stock_quantity"] == 6
    assert detail.json()["result"]["stock_availability"] is False
    assert sendo.snapshot()["S"]["status"] == "unlisted"


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"description": "<p>ngắn</p>"}, "description"),
        ({"description": "<img>" * 21 + "x" * 100}, "description"),
        ({"cat_4_id": 111}, "cat_4_id"),
        ({"stock_quantity": 0}, "stock_availability"),
        ({"avatar": {}}, "avatar.picture_url"),
        ({"weight": 0}, "weight"),
        ({"sku": ""}, "sku"),
    ],
)
async def test_create_checks_required_fields(
    raw: httpx.AsyncClient, sendo: SendoSandbox, change: dict[str, Any], prop: str
) -> None:
    product = {
        "id": 0,
        "name": "Chè",
        "sku": "G",
        "price": 50_000,
        "stock_quantity": 5,
        "stock_availability": True,
        "cat_4_id": 1211,
        "weight": 200,
        "description": "<p>" + "Chè Thái Nguyên. " * 10 + "</p>",
        "avatar": {"picture_url": "https://img.example/che.jpg"},
    }
    headers = await bearer(raw, sendo)
    good = await raw.post("/api/partner/product", json={**product, "sku": "OK"}, headers=headers)
    bad = await raw.post("/api/partner/product", json={**product, **change}, headers=headers)
    assert good.status_code == 200
    assert isinstance(good.json()["result"], int)
    assert bad.status_code == 400
    assert bad.json()["error"]["error_details"][0]["property_name"] == prop
    assert "G" not in sendo.snapshot()


async def test_category_tree_leads_to_the_mapped_level_4_ids(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    headers = await bearer(raw, sendo)
    leaves: set[int] = set()
    frontier = [0]
    while frontier:
        children = await raw.get(f"/api/partner/category/{frontier.pop()}", headers=headers)
        for child in children.json()["result"]:
            if child["level"] == 4:
                leaves.add(child["id"])
            else:
                frontier.append(child["id"])
    assert set(sendo.connection_options(ROOT)["category_map"].values()) <= leaves
    assert len(leaves) > 5


# -- fidelity: what real Sendo clients send -----------------------------------------------------
def tea(**changes: Any) -> dict[str, Any]:
    product = {
        "id": 0,
        "name": "Chè Tân Cương",
        "sku": "CHE-TC",
        "price": 120000.0,
        "stock_quantity": 5.0,
        "stock_availability": True,
        "cat_4_id": 1211,
        "weight": 200.0,
        "description": "<p>" + "Chè Tân Cương Thái Nguyên. " * 6 + "</p>",
        "avatar": {"picture_url": "https://img.example/che.jpg"},
    }
    return {**product, **changes}


async def test_whole_decimals_are_taken_as_whole_numbers(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    answer = await raw.post("/api/partner/product", json=tea(), headers=await bearer(raw, sendo))
    assert answer.status_code == 200, answer.json()
    item = sendo.shop.get(answer.json()["result"])
    assert item is not None
    assert (item.price, item.stock, item.data["weight"]) == (120_000, 5, 200)
    assert all(type(v) is int for v in (item.price, item.stock, item.data["weight"]))


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"price": 120000.5}, "price"),
        ({"stock_quantity": 4.5}, "stock_quantity"),
        ({"weight": 0.25}, "weight"),
        ({"price": "120000"}, "price"),
    ],
)
async def test_fractional_numbers_are_refused(
    raw: httpx.AsyncClient, sendo: SendoSandbox, change: dict[str, Any], prop: str
) -> None:
    answer = await raw.post(
        "/api/partner/product", json=tea(**change), headers=await bearer(raw, sendo)
    )
    assert answer.status_code == 400
    detail = answer.json()["error"]["error_details"][0]
    assert (detail["property_name"], detail["code"]) == (prop, "validation")
    assert "whole number" in detail["message"]
    assert sendo.snapshot() == {}


async def test_null_optional_fields_are_accepted(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    nulls = dict.fromkeys(
        ("special_price", "promotion_from_date", "promotion_to_date", "brand_id", "height",
         "length", "width", "unit_id", "pictures", "attributes", "variants",
         "is_config_variant")
    )  # fmt: skip
    headers = await bearer(raw, sendo)
    answer = await raw.post("/api/partner/product", json=tea(**nulls), headers=headers)
    assert answer.status_code == 200, answer.json()
    pid = answer.json()["result"]
    item = {
        "product_id": pid,
        "is_config_variant": False,
        "price": 125000.0,
        "special_price": None,
        "promotion_start_date": None,
        "promotion_end_date": None,
        "stock_quantity": 7.0,
        "stock_availability": True,
    }
    update = await raw.put(
        "/api/partner/product/config/variant-price", json=[item], headers=headers
    )
    assert update.json()["result"]["error_list"] == []
    assert (sendo.snapshot()["CHE-TC"]["price"], sendo.snapshot()["CHE-TC"]["stock"]) == (
        125_000,
        7,
    )


async def test_a_special_price_needs_its_promotion_dates(
    raw: httpx.AsyncClient, sendo: SendoSandbox
) -> None:
    answer = await raw.post(
        "/api/partner/product", json=tea(special_price=99_000), headers=await bearer(raw, sendo)
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["error_details"][0]["property_name"] == "promotion_from_date"


@pytest.mark.parametrize("left_out", ["price", "stock_quantity", "stock_availability"])
async def test_partial_variant_price_items_are_refused(
    raw: httpx.AsyncClient, sendo: SendoSandbox, left_out: str
) -> None:
    pid = int(sendo.seed("P", "Bưởi Năm Roi", 60_000, 4))
    item = {"product_id": pid, "is_config_variant": False, "price": 61_000}
    item |= {"stock_quantity": 3, "stock_availability": True}
    del item[left_out]
    answer = await raw.put(
        "/api/partner/product/config/variant-price", json=[item], headers=await bearer(raw, sendo)
    )
    [error] = answer.json()["result"]["error_list"]
    assert error["code"] == "validation"
    assert (sendo.snapshot()["P"]["price"], sendo.snapshot()["P"]["stock"]) == (60_000, 4)


async def test_the_connector_sends_full_items_the_sandbox_accepts(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    ids = seed_many(sendo, 2)
    async with connect(sb, clock) as connector:
        prices = await connector.update_prices([PriceUpdate(ids[0], "SKU-000", 11_111)])
        stocks = await connector.update_stocks([StockUpdate(ids[1], "SKU-001", 0)])
    assert prices[0].ok and stocks[0].ok
    snapshot = sendo.snapshot()
    assert (snapshot["SKU-000"]["price"], snapshot["SKU-000"]["stock"]) == (11_111, 5)
    assert (snapshot["SKU-001"]["price"], snapshot["SKU-001"]["stock"]) == (10_001, 0)


async def test_paging_renders_one_page_a_request_not_the_shop(
    raw: httpx.AsyncClient, sendo: SendoSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_many(sendo, 300)
    rendered = 0
    row = sendo._row

    def counting(item: Any) -> dict[str, Any]:
        nonlocal rendered
        rendered += 1
        return row(item)

    monkeypatch.setattr(sendo, "_row", counting)
    headers = await bearer(raw, sendo)
    for filters in ({}, {"status": 2}):
        rendered, token, pages = 0, "", 0
        while True:
            body = {"page_size": 50, "token": token, **filters}
            result = (await raw.post(SEARCH, json=body, headers=headers)).json()["result"]
            pages += 1
            token = result["next_token"]
            if not token:
                break
        assert pages == 6
        # unfiltered: each page renders its 50 rows; filtered: the shop is filtered once
        assert rendered == (300 if not filters else 300 + 300)
    assert (await raw.get(PRODUCT, params={"sku": "SKU-299"}, headers=headers)).status_code == 200


# -- faults -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(error_rate=1.0), TransientError),
        (Faults(rate_limit_rate=1.0), RateLimitedError),
        (Faults(drop_rate=1.0), TransientError),
    ],
)
async def test_faults_fail_after_retries(
    sb: Sandbox,
    sendo: SendoSandbox,
    clock: FakeClock,
    faults: Faults,
    error: type[Exception],
) -> None:
    sendo.seed("H", "Mứt", 1_000, 1)
    async with connect(sb, clock) as connector:
        await connector.check()
        sendo.faults.set(faults)
        with pytest.raises(error):
            await listings(connector)
    assert sendo.requests == 1 + 5  # the login, then max_attempts tries


async def test_flaky_platform_still_converges(
    sb: Sandbox, sendo: SendoSandbox, clock: FakeClock
) -> None:
    ids = seed_many(sendo, 60)
    sendo.faults.set(Faults(error_rate=0.2, drop_rate=0.1, seed=3))
    async with connect(sb, clock) as connector:
        found = await listings(connector)
        results = await connector.update_stocks(
            [StockUpdate(rid, f"SKU-{i:03}", 9) for i, rid in enumerate(ids)]
        )
    assert len(found) == 60
    assert all(r.ok for r in results)
    assert all(item["stock"] == 9 for item in sendo.snapshot().values())
    assert sum(sendo.faults.injected.values()) > 0
