"""Sendo config variants against the sandbox: create with variants, one listing per variant,
adopting a seller's multi-variant product and correcting one variant, adding variants."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeValue,
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    Variant,
)
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.sendo import SendoSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
BASE = f"{ROOT}/sendo"
HONEY_ATTRIBUTES = (
    AttributeValue("333", "Việt Nam", "1420"),
    AttributeValue("1510", "Mật ong rừng"),
)


def clock() -> float:
    return 1_750_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Sandbox:
    return build_sandbox(["sendo"], clock=clock)


@pytest.fixture
def sendo(sb: Sandbox) -> SendoSandbox:
    platform = sb["sendo"]
    assert isinstance(platform, SendoSandbox)
    return platform


def make(sb: Sandbox) -> SendoConnector:
    platform = sb["sendo"]
    options = {**platform.connection_options(ROOT), "rate_limit_per_s": 0}
    settings = ConnectionSettings("sendo-shop", "sendo", platform.base_url(ROOT), options=options)
    ctx = ConnectorContext(
        settings,
        platform.credentials(),
        token_store=MemoryTokenStore(),
        transport=sb.transport(),
        clock=clock,
        retry_wait_scale=0,
    )
    return SendoConnector(ctx)


@pytest.fixture
async def connector(sb: Sandbox) -> AsyncIterator[SendoConnector]:
    async with make(sb) as made:
        yield made


@pytest.fixture
async def raw(sb: Sandbox, sendo: SendoSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=BASE) as client:
        token = (await client.post("/login", json=sendo.credentials())).json()["result"]["token"]
        client.headers["Authorization"] = f"bearer {token}"
        yield client


def honey(**changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": "MO-RUNG",
        "name": "Mật ong rừng U Minh",
        "description": "Mật ong rừng tràm U Minh Hạ, khai thác tự nhiên.",
        "price": 0,
        "stock": 0,
        "group": "food",
        "stars": 4,
        "entity_code": "HTX-UM",
        "province": "Cà Mau",
        "weight_g": 600,
        "image_urls": ("https://img.example/mo-rung.jpg",),
        "category_id": "1112",
        "attributes": HONEY_ATTRIBUTES,
        "variant_name": "Dung tích",
        "variants": (
            Variant("MO-RUNG-250", "250 ml", 120_000, 5),
            Variant("MO-RUNG-500", "500 ML", 220_000, 3),
        ),
    }
    values.update(changes)
    return ListingDraft(**values)


async def by_sku(connector: SendoConnector) -> dict[str, RemoteListing]:
    return {x.seller_sku: x async for x in connector.list_listings()}


async def test_the_connector_declares_variants(connector: SendoConnector) -> None:
    assert connector.capabilities.variants


async def test_create_with_variants_lists_one_listing_per_variant(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    group = await connector.create_listing(honey())
    item = sendo.shop.get(group)
    assert item is not None and item.sku == "MO-RUNG"
    assert [(v["variant_sku"], v["variant_price"], v["variant_quantity"])
            for v in item.data["variants"]] == [
        ("MO-RUNG-250", 120_000, 5), ("MO-RUNG-500", 220_000, 3)
    ]  # fmt: skip
    assert [v["variant_attributes"][0]["option_id"] for v in item.data["variants"]] == [
        26102,
        26104,
    ]
    found = await by_sku(connector)
    assert set(found) == {"MO-RUNG-250", "MO-RUNG-500"}
    small = found["MO-RUNG-250"]
    assert (small.remote_id, small.group_id, small.price, small.stock) == (
        f"{group}:MO-RUNG-250",
        group,
        120_000,
        5,
    )
    assert small.status is ListingStatus.LIVE
    assert await connector.find_by_sku("MO-RUNG-500") == found["MO-RUNG-500"]
    assert await connector.get_listings([small.remote_id]) == [small]


async def test_a_label_that_is_no_option_is_refused_before_anything_is_created(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    odd = honey(variants=(Variant("MO-RUNG-330", "330 ml", 150_000, 2),))
    with pytest.raises(RejectedError) as raised:
        await connector.create_listing(odd)
    assert "330 ml" in raised.value.message
    assert sendo.snapshot() == {}


async def test_a_seller_made_multi_variant_product_is_adopted_and_one_variant_corrected(
    sb: Sandbox, sendo: SendoSandbox, raw: httpx.AsyncClient
) -> None:
    made_by_hand = {
        "id": 0,
        "name": "Trà shan tuyết Hà Giang",
        "sku": "TRA-SHAN",
        "price": 60_000.0,
        "stock_quantity": 0,
        "stock_availability": True,
        "cat_4_id": 1211,
        "weight": 300,
        "description": "<p>" + "Trà shan tuyết cổ thụ Hà Giang. " * 5 + "</p>",
        "avatar": {"picture_url": "https://img.example/tra.jpg"},
        "special_price": None,
        "is_config_variant": True,
        "variants": [
            {
                "variant_attributes": [{"attribute_id": 1502, "option_id": 26001}],
                "variant_sku": "TRA-SHAN-100",
                "variant_price": 60_000.0,
                "variant_quantity": 7,
                "variant_special_price": None,
            },
            {
                "variant_attributes": [{"attribute_id": 1502, "option_id": 26003}],
                "variant_sku": "TRA-SHAN-250",
                "variant_price": 140_000,
                "variant_quantity": 4.0,
            },
        ],
    }
    created = await raw.post("/api/partner/product", json=made_by_hand)
    assert created.status_code == 200, created.json()
    pid = str(created.json()["result"])

    async with make(sb) as connector:
        adopted = await connector.find_by_sku("TRA-SHAN-100")
        assert adopted is not None
        assert (adopted.remote_id, adopted.group_id, adopted.price, adopted.stock) == (
            f"{pid}:TRA-SHAN-100",
            pid,
            60_000,
            7,
        )
        prices = await connector.update_prices(
            [PriceUpdate(adopted.remote_id, "TRA-SHAN-100", 65_000)]
        )
        stocks = await connector.update_stocks([StockUpdate(adopted.remote_id, "TRA-SHAN-100", 9)])
        assert prices[0].ok and stocks[0].ok, (prices, stocks)
        after = {x.seller_sku: x for x in await connector.get_listings([pid])}
    assert (after["TRA-SHAN-100"].price, after["TRA-SHAN-100"].stock) == (65_000, 9)
    assert (after["TRA-SHAN-250"].price, after["TRA-SHAN-250"].stock) == (140_000, 4)
    item = sendo.shop.get(pid)
    assert item is not None and (item.price, item.stock) == (65_000, 13)


async def test_the_plain_id_of_a_product_with_variants_is_not_written(
    connector: SendoConnector,
) -> None:
    group = await connector.create_listing(honey())
    [result] = await connector.update_prices([PriceUpdate(group, "MO-RUNG", 1_000)])
    assert result.error is not None and result.error.code == "product_not_found"


async def test_unlisting_a_variant_unlists_its_product(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    group = await connector.create_listing(honey())
    [result] = await connector.set_status(
        [StatusChange(f"{group}:MO-RUNG-250", "MO-RUNG-250", ListingStatus.UNLISTED)]
    )
    assert result.ok
    found = await by_sku(connector)
    assert {x.status for x in found.values()} == {ListingStatus.UNLISTED}
    assert sendo.shop.get(group).status == "unlisted"  # type: ignore[union-attr]


async def test_variants_are_added_to_an_existing_product(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    group = await connector.create_listing(honey())
    more = honey(
        sku="MO-RUNG",
        group_remote_id=group,
        variants=(Variant("MO-RUNG-1L", "1 lít", 400_000, 2),),
    )
    assert await connector.create_listing(more) == group
    found = await by_sku(connector)
    assert set(found) == {"MO-RUNG-250", "MO-RUNG-500", "MO-RUNG-1L"}
    assert (found["MO-RUNG-1L"].price, found["MO-RUNG-250"].price) == (400_000, 120_000)
    item = sendo.shop.get(group)
    assert item is not None and item.stock == 10


async def test_a_product_without_variants_keeps_its_plain_id(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    pid = sendo.seed("BANH-PIA", "Bánh pía Sóc Trăng", 55_000, 8)
    [listing] = (await by_sku(connector)).values()
    assert (listing.remote_id, listing.group_id) == (pid, "")


async def test_variants_need_a_category_with_a_checkout_attribute(raw: httpx.AsyncClient) -> None:
    product = {
        "id": 0,
        "name": "Giỏ mây",
        "sku": "GIO-MAY",
        "price": 90_000,
        "stock_quantity": 3,
        "stock_availability": True,
        "cat_4_id": 4111,
        "weight": 400,
        "description": "<p>" + "Giỏ mây đan tay Phú Vinh. " * 6 + "</p>",
        "avatar": {"picture_url": "https://img.example/gio.jpg"},
        "is_config_variant": True,
        "variants": [
            {
                "variant_attributes": [{"attribute_id": 1502, "option_id": 26001}],
                "variant_sku": "GIO-MAY-S",
                "variant_price": 90_000,
                "variant_quantity": 3,
            }
        ],
    }
    answer = await raw.post("/api/partner/product", json=product)
    assert answer.status_code == 400
    assert answer.json()["error"]["error_details"][0]["property_name"] == "is_config_variant"


async def test_a_variant_price_item_for_variants_must_be_full(
    raw: httpx.AsyncClient, connector: SendoConnector, sendo: SendoSandbox
) -> None:
    group = int(await connector.create_listing(honey()))
    partial = [
        {
            "product_id": group,
            "is_config_variant": True,
            "stock_availability": True,
            "variants": [{"variant_sku": "MO-RUNG-250", "variant_price": 125_000}],
        }
    ]
    answer = await raw.put("/api/partner/product/config/variant-price", json=partial)
    [error] = answer.json()["result"]["error_list"]
    assert error["code"] == "validation"
    assert sendo.shop.get(group).data["variants"][0]["variant_price"] == 120_000  # type: ignore[union-attr]


async def test_variants_survive_a_sandbox_restart(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    group = await connector.create_listing(honey())
    state = json.loads(json.dumps(sendo.dump_state()))  # as sandbox serve --state keeps it
    again = build_sandbox(["sendo"], clock=clock)
    restarted = again["sendo"]
    assert isinstance(restarted, SendoSandbox)
    restarted.load_state(state)
    async with make(again) as reconnected:
        found = await reconnected.find_by_sku("MO-RUNG-500")
    assert found is not None
    assert (found.remote_id, found.price) == (f"{group}:MO-RUNG-500", 220_000)


async def test_a_seeded_multi_variant_product_shows_each_variant(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    pid = sendo.seed_with_variants(
        "TRA-XANH",
        "Trà xanh Tân Cương",
        [("TX-100", "100 g", 45_000, 3), ("TX-500", "500 g", 190_000, 1)],
    )
    snapshot = sendo.snapshot()
    assert snapshot["TX-500"] == {
        "remote_id": f"{pid}:TX-500",
        "name": "Trà xanh Tân Cương",
        "price": 190_000,
        "stock": 1,
        "status": "live",
    }
    assert snapshot["TRA-XANH"]["stock"] == 4
    found = await by_sku(connector)
    assert {sku: (x.remote_id, x.price) for sku, x in found.items()} == {
        "TX-100": (f"{pid}:TX-100", 45_000),
        "TX-500": (f"{pid}:TX-500", 190_000),
    }


async def test_a_buyer_orders_one_variant_and_the_order_names_its_sku(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    sendo.seed_with_variants(
        "TRA-XANH",
        "Trà xanh Tân Cương",
        [("TX-100", "100 g", 45_000, 3), ("TX-500", "500 g", 190_000, 1)],
    )
    order = sendo.place_order([("TX-500", 1)])
    assert (sendo.snapshot()["TX-500"]["stock"], sendo.snapshot()["TRA-XANH"]["stock"]) == (0, 3)
    around = datetime.fromtimestamp(clock(), UTC)
    lines = [
        x
        async for x in connector.list_order_lines(
            around - timedelta(hours=1), around + timedelta(hours=1)
        )
    ]
    assert [(x.order_id, x.seller_sku, x.quantity) for x in lines] == [
        (order.order_id, "TX-500", 1)
    ]
    sendo.cancel_order(order.order_id)
    assert sendo.snapshot()["TX-500"]["stock"] == 1
