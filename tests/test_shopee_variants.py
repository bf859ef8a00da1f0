"""Shopee items with models: created with variants, adopted from a cooperative's shop,
read per model and written per model_id, against the sandbox (in-process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

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
    Variant,
)
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.shopee import ShopeeSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
FAST = {"rate_limit_per_s": 10_000}


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
async def conn(sb: Sandbox, shopee: ShopeeSandbox) -> AsyncIterator[ShopeeConnector]:
    options = shopee.connection_options(ROOT) | FAST
    settings = ConnectionSettings("coop", "shopee", shopee.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings,
        shopee.credentials(),
        token_store=MemoryTokenStore(),
        transport=sb.transport(),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        await connector.exchange_code(shopee.authorization_code())
        yield connector


VARIANTS = (
    Variant("TRA-100", "Hộp 100 g", 55000, 8),
    Variant("TRA-250", "Hộp 250 g", 120000, 5, weight_g=300),
)


def draft(**overrides: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "TRA-SEN",
        "name": "Trà sen Tây Hồ",
        "description": "Trà ướp sen Tây Hồ",
        "price": 0,
        "stock": 0,
        "group": "beverage",
        "stars": 5,
        "entity_code": "HN-HTX-TAYHO",
        "province": "Hà Nội",
        "weight_g": 150,
        "variant_name": "Khối lượng",
        "variants": VARIANTS,
    }
    fields.update(overrides)
    return ListingDraft(**fields)


async def listings(conn: ShopeeConnector) -> dict[str, Any]:
    return {listing.seller_sku: listing async for listing in conn.list_listings()}


async def test_create_with_variants_makes_one_item_with_a_model_each(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft())
    item = shopee.shop.items[item_id]
    assert item.sku == "TRA-SEN"
    assert item.data["tier_variation"] == [
        {"name": "Khối lượng", "option_list": [{"option": "Hộp 100 g"}, {"option": "Hộp 250 g"}]}
    ]
    found = await listings(conn)
    assert set(found) == {"TRA-100", "TRA-250"}  # the item itself is not a listing of ours
    small, large = found["TRA-100"], found["TRA-250"]
    assert (small.price, small.stock, large.price, large.stock) == (55000, 8, 120000, 5)
    assert small.group_id == large.group_id == item_id
    assert small.remote_id.startswith(f"{item_id}:") and small.remote_id != large.remote_id
    assert small.status is ListingStatus.LIVE


async def test_default_tier_name(conn: ShopeeConnector, shopee: ShopeeSandbox) -> None:
    item_id = await conn.create_listing(draft(variant_name=""))
    assert shopee.shop.items[item_id].data["tier_variation"][0]["name"] == "Phân loại"


async def test_adopting_a_multi_model_listing_corrects_a_models_price_and_stock(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id, models = shopee.seed_models(
        "MAM-P",
        "Mắm tôm Hậu Lộc",
        [("MAM-200", "Hũ 200 g", 35000, 10), ("MAM-500", "Hũ 500 g", 80000, 4)],
    )
    found = await conn.find_by_sku("MAM-500")
    assert found is not None
    assert found.remote_id == f"{item_id}:{models['MAM-500']}" and found.group_id == item_id
    assert (found.price, found.stock) == (80000, 4)  # never 0 for an item with models

    [priced] = await conn.update_prices([PriceUpdate(found.remote_id, "MAM-500", 85000)])
    [stocked] = await conn.update_stocks([StockUpdate(found.remote_id, "MAM-500", 9)])
    assert priced.ok and stocked.ok

    [after] = await conn.get_listings([found.remote_id])
    assert (after.seller_sku, after.price, after.stock) == ("MAM-500", 85000, 9)
    snapshot = shopee.snapshot()
    assert snapshot["MAM-200"]["price"] == 35000 and snapshot["MAM-200"]["stock"] == 10
    assert snapshot["MAM-500"]["price"] == 85000


async def test_a_model_items_price_is_never_written_as_model_0(
    conn: ShopeeConnector, shopee: ShopeeSandbox, sb: Sandbox
) -> None:
    item_id, _models = shopee.seed_models("P", "x", [("A", "a", 1000, 1), ("B", "b", 2000, 1)])
    # The bug of the issue: the item itself, read without price_info, "corrected" with
    # model_id 0. The sandbox refuses it as Shopee does ...
    [wrong] = await conn.update_prices([PriceUpdate(item_id, "P", 5000)])
    assert wrong.error is not None and "Wrong model_id" in wrong.error.message
    # ... and the item is never reported as a listing of its own, so it is never planned.
    assert "P" not in await listings(conn)
    base = await _raw_base_info(conn, item_id)
    assert base["has_model"] is True and "price_info" not in base


async def _raw_base_info(conn: ShopeeConnector, item_id: str) -> dict[str, Any]:
    from ocopsync.connectors import shopee_payloads as sp

    answer = await conn._shop_read(sp.BASE_INFO_PATH, [("item_id_list", item_id)], lambda a: a)
    return cast(dict[str, Any], answer.items("item_list")[0].mapping())


async def test_variants_are_added_to_an_existing_item(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft())
    extra = Variant("TRA-500", "Hộp 500 g", 210000, 2)
    same = await conn.create_listing(draft(variants=(*VARIANTS, extra), group_remote_id=item_id))
    assert same == item_id
    options = shopee.shop.items[item_id].data["tier_variation"][0]["option_list"]
    assert [o["option"] for o in options] == ["Hộp 100 g", "Hộp 250 g", "Hộp 500 g"]
    found = await conn.find_by_sku("TRA-500")
    assert found is not None and found.group_id == item_id and found.price == 210000
    assert len(await listings(conn)) == 3


async def test_unlisting_a_variant_unlists_its_item(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    await conn.create_listing(draft())
    small = (await listings(conn))["TRA-100"]
    [result] = await conn.set_status(
        [StatusChange(small.remote_id, "TRA-100", ListingStatus.UNLISTED)]
    )
    assert result.ok
    assert {v["status"] for v in shopee.snapshot().values()} == {"unlisted"}
    statuses = {listing.status for listing in (await listings(conn)).values()}
    assert statuses == {ListingStatus.UNLISTED}


async def test_a_buyer_orders_a_model_and_the_line_names_it(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft())
    order = shopee.place_order([("TRA-250", 2)])
    assert shopee.snapshot()["TRA-250"]["stock"] == 3
    since = datetime.fromtimestamp(order.created_at - 60, UTC)
    until = datetime.fromtimestamp(order.created_at + 60, UTC)
    [line] = [line async for line in conn.list_order_lines(since, until)]
    assert (line.seller_sku, line.quantity) == ("TRA-250", 2)
    assert line.line_id.startswith(f"{item_id}-") and not line.line_id.endswith("-0")


async def test_sandbox_refuses_a_duplicate_tier_index(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    from ocopsync.connectors import shopee_payloads as sp
    from ocopsync.connectors import shopee_variants as sv
    from ocopsync.errors import RejectedError

    item_id = await conn.create_listing(draft(variants=(), price=55000, stock=1))
    body = sv.tier_body(int(item_id), draft())
    body["model"][1]["tier_index"] = [0]
    with pytest.raises(RejectedError) as caught:
        await conn._shop("POST", sv.INIT_TIER_PATH, sp.response_of, (), body)
    assert caught.value.code == "error_model_duplicate_tier_variation_index"


# -- exact requests (respx) -------------------------------------------------------------
BASE = "https://partner.test-stable.shopeemobile.com"
TS = 1700000000


def ok(response: dict[str, Any]) -> httpx.Response:
    body = {"request_id": "r1", "error": "", "message": "", "warning": "", "response": response}
    return httpx.Response(200, json=body)


@pytest.fixture
async def mocked() -> AsyncIterator[ShopeeConnector]:
    store = MemoryTokenStore()
    at = datetime.fromtimestamp
    tokens = Tokens("tok", "ref", at(TS + 14400, UTC), at(TS + 86400, UTC), {"shop_id": "200001"})
    store.save("s", "shopee", tokens)
    creds = {"partner_id": "100001", "partner_key": "k", "shop_id": "200001"}
    options = {"category_map": {"beverage": 100860}, "logistic_ids": [50011]}
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=options | {"placeholder_image_id": "i"}),
        creds,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        yield connector


async def test_model_writes_name_the_model_id(mocked: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        price = mock.post("/api/v2/product/update_price").mock(
            return_value=ok({"success_list": [{"model_id": 42}], "failure_list": []})
        )
        stock = mock.post("/api/v2/product/update_stock").mock(
            return_value=ok({"failure_list": [{"model_id": 42, "failed_reason": "no"}]})
        )
        [p] = await mocked.update_prices([PriceUpdate("7:42", "A", 5000)])
        [s] = await mocked.update_stocks([StockUpdate("7:42", "A", 3)])
    assert json.loads(price.calls[0].request.content) == {
        "item_id": 7,
        "price_list": [{"model_id": 42, "original_price": 5000}],
    }
    assert json.loads(stock.calls[0].request.content) == {
        "item_id": 7,
        "stock_list": [{"model_id": 42, "seller_stock": [{"stock": 3}]}],
    }
    assert p.ok and s.error is not None and s.error.message == "no"


OPTIONS = [{"option": "Hộp 100 g"}, {"option": "Hộp 250 g"}]


async def test_create_with_variants_sends_add_item_then_init_tier_variation(
    mocked: ShopeeConnector,
) -> None:
    with respx.mock(base_url=BASE) as mock:
        add = mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 9}))
        init = mock.post("/api/v2/product/init_tier_variation").mock(
            return_value=ok({"item_id": 9, "model": []})
        )
        assert await mocked.create_listing(draft()) == "9"
    item = json.loads(add.calls[0].request.content)
    assert (item["item_sku"], item["original_price"], item["seller_stock"]) == (
        "TRA-SEN",
        55000,
        [{"stock": 13}],
    )
    assert json.loads(init.calls[0].request.content) == {
        "item_id": 9,
        "tier_variation": [{"name": "Khối lượng", "option_list": OPTIONS}],
        "model": [
            {"tier_index": [0], "model_sku": "TRA-100", "original_price": 55000,
             "seller_stock": [{"stock": 8}]},
            {"tier_index": [1], "model_sku": "TRA-250", "original_price": 120000,
             "seller_stock": [{"stock": 5}], "weight": 0.3},
        ],
    }  # fmt: skip


async def test_reading_an_item_with_models_asks_get_model_list_only_for_it(
    mocked: ShopeeConnector,
) -> None:
    items = {
        "item_list": [
            {"item_id": 1, "item_sku": "PLAIN", "item_status": "NORMAL", "has_model": False,
             "price_info": [{"original_price": 1000}],
             "stock_info_v2": {"seller_stock": [{"stock": 2}]}},
            {"item_id": 2, "item_sku": "P", "item_status": "NORMAL", "has_model": True},
        ]
    }  # fmt: skip
    models = {
        "tier_variation": [],
        "model": [
            {"model_id": 21, "model_sku": "P-1", "price_info": [{"original_price": 3000}],
             "stock_info_v2": {"seller_stock": [{"stock": 4}]}},
        ],
    }  # fmt: skip
    with respx.mock(base_url=BASE) as mock:
        mock.get("/api/v2/product/get_item_base_info").mock(return_value=ok(items))
        model_list = mock.get("/api/v2/product/get_model_list").mock(return_value=ok(models))
        found = await mocked.get_listings(["1", "2:21"])
    assert [(f.remote_id, f.seller_sku, f.price, f.stock, f.group_id) for f in found] == [
        ("1", "PLAIN", 1000, 2, ""),
        ("2:21", "P-1", 3000, 4, "2"),
    ]
    assert model_list.call_count == 1
    assert model_list.calls[0].request.url.params["item_id"] == "2"


async def test_a_create_whose_tier_step_failed_is_finished_next_time(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    # What a failed init_tier_variation leaves behind: the item, without models.
    item_id = await conn.create_listing(draft(variants=(), price=55000, stock=1))
    assert await conn.create_listing(draft()) == item_id
    assert set(await listings(conn)) == {"TRA-100", "TRA-250"}
    # And once it has its models, a repeat adopts it instead of failing.
    assert await conn.create_listing(draft()) == item_id
    assert len(shopee.shop.items[item_id].data["model_ids"]) == 2


async def test_init_tier_variation_is_not_repeated_after_an_ambiguous_failure(
    mocked: ShopeeConnector,
) -> None:
    failed = httpx.Response(500, json={"error": "error_server", "message": "x"})
    models = {"tier_variation": [], "model": [{"model_id": 1, "model_sku": "TRA-100"}]}
    with respx.mock(base_url=BASE) as mock:
        mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 9}))
        init = mock.post("/api/v2/product/init_tier_variation").mock(return_value=failed)
        look = mock.get("/api/v2/product/get_model_list").mock(return_value=ok(models))
        assert await mocked.create_listing(draft()) == "9"
    assert init.call_count == 1 and look.call_count == 1


async def test_a_served_sandbox_seeds_a_multi_model_listing_over_http(
    sb: Sandbox, shopee: ShopeeSandbox, conn: ShopeeConnector
) -> None:
    body = {
        "item_sku": "GAO-P",
        "name": "Gạo ST25",
        "tier_name": "Khối lượng",
        "variants": [
            {"sku": "GAO-2", "label": "Túi 2 kg", "price": 70000, "stock": 20},
            {"sku": "GAO-5", "label": "Túi 5 kg", "price": 165000, "stock": 8},
        ],
    }
    async with httpx.AsyncClient(transport=sb.transport(), base_url=ROOT) as client:
        answer = await client.post("/shopee/_sandbox/seed-models", json=body)
        wrong = await client.post("/shopee/_sandbox/seed-models", json={"item_sku": "x"})
    assert answer.status_code == 201 and wrong.status_code == 422
    found = await conn.find_by_sku("GAO-5")
    assert found is not None and found.group_id == answer.json()["item_id"]
    assert (found.price, found.stock) == (165000, 8)
