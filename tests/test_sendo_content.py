"""Sendo content updates against the sandbox: name, description, pictures and attributes
through Create Or Update with the product's id, validated as a create is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeValue,
    ConnectorContext,
    ContentUpdates,
    ListingDraft,
    MemoryTokenStore,
    Variant,
)
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.sendo import SendoSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
ORIGIN_VN = AttributeValue("333", "Việt Nam", "1420")
COFFEE_ROBUSTA = AttributeValue("1521", "Robusta", "28301")


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


@pytest.fixture
async def connector(sb: Sandbox) -> AsyncIterator[SendoConnector]:
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
    async with SendoConnector(ctx) as made:
        yield made


@pytest.fixture
async def raw(sb: Sandbox, sendo: SendoSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=f"{ROOT}/sendo") as client:
        token = (await client.post("/login", json=sendo.credentials())).json()["result"]["token"]
        client.headers["Authorization"] = f"bearer {token}"
        yield client


def coffee(**changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": "CF-BMT",
        "name": "Cà phê Robusta Buôn Ma Thuột",
        "description": "Cà phê rang mộc, xay sẵn.",
        "price": 120_000,
        "stock": 15,
        "group": "beverage",
        "stars": 4,
        "entity_code": "HTX-BMT",
        "province": "Đắk Lắk",
        "weight_g": 500,
        "image_urls": ("https://img.example/cf-1.jpg", "https://img.example/cf-2.jpg"),
        "category_id": "1212",
        "attributes": (ORIGIN_VN, COFFEE_ROBUSTA),
    }
    values.update(changes)
    return ListingDraft(**values)


async def test_the_connector_declares_content_updates(connector: SendoConnector) -> None:
    assert connector.capabilities.content_updates
    assert isinstance(connector, ContentUpdates)


async def test_name_description_and_pictures_follow_the_catalog(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    pid = await connector.create_listing(coffee())
    changed = coffee(
        name="Cà phê Robusta Buôn Ma Thuột rang xay",
        description="Cà phê rang mộc 100%, không pha trộn.",
        image_urls=("https://img.example/cf-new.jpg",),
        price=1,  # not a content field: the platform keeps its price
    )
    await connector.update_content(pid, changed, ("name", "description", "image_urls"))
    item = sendo.shop.get(pid)
    assert item is not None
    assert item.name == "Cà phê Robusta Buôn Ma Thuột rang xay"
    assert "Cà phê rang mộc 100%, không pha trộn." in item.data["description"]
    assert (item.data["avatar"], item.data["pictures"]) == ("https://img.example/cf-new.jpg", [])
    assert (item.price, item.stock, item.status) == (120_000, 15, "live")
    assert item.data["attributes"]["1521"][0]["id"] == 28301  # attributes were kept


async def test_attributes_follow_the_catalog(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    pid = await connector.create_listing(coffee())
    arabica = coffee(attributes=(ORIGIN_VN, AttributeValue("1521", "Arabica", "28302")))
    await connector.update_content(pid, arabica, ("attributes",))
    item = sendo.shop.get(pid)
    assert item is not None
    assert item.data["attributes"]["1521"] == [
        {"id": 28302, "value": "Arabica", "is_custom": False}
    ]
    assert item.name == "Cà phê Robusta Buôn Ma Thuột"


async def test_an_update_is_validated_like_a_create(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    pid = await connector.create_listing(coffee())
    with pytest.raises(RejectedError) as raised:
        await connector.update_content(pid, coffee(attributes=(ORIGIN_VN,)), ("attributes",))
    assert raised.value.code == "attribute_required"
    item = sendo.shop.get(pid)
    assert item is not None and "1521" in item.data["attributes"]


async def test_pictures_must_be_public_addresses(connector: SendoConnector) -> None:
    local = coffee(image_urls=("file:///home/htx/cf.jpg",))
    assert any("public http(s)" in m for m in connector.missing_for_create(local))
    with pytest.raises(RejectedError) as raised:
        await connector.update_content("123", local, ("image_urls",))
    assert "public http(s)" in raised.value.message


async def test_a_variant_row_updates_its_product(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    sizes = coffee(
        sku="CF-BMT",
        variant_name="Khối lượng",
        variants=(
            Variant("CF-BMT-250", "250 g", 70_000, 4),
            Variant("CF-BMT-1K", "1 kg", 250_000, 2),
        ),
    )
    group = await connector.create_listing(sizes)
    renamed = coffee(name="Cà phê Buôn Ma Thuột nguyên chất")
    await connector.update_content(f"{group}:CF-BMT-1K", renamed, ("name",))
    item = sendo.shop.get(group)
    assert item is not None and item.name == "Cà phê Buôn Ma Thuột nguyên chất"
    assert [v["variant_sku"] for v in item.data["variants"]] == ["CF-BMT-250", "CF-BMT-1K"]
    assert item.stock == 6


async def test_an_unknown_product_is_refused(connector: SendoConnector) -> None:
    with pytest.raises(RejectedError) as raised:
        await connector.update_content("424242", coffee(), ("name",))
    assert raised.value.code == "product_not_found"


async def test_a_running_promotion_survives_a_content_update(
    connector: SendoConnector, sendo: SendoSandbox, raw: httpx.AsyncClient
) -> None:
    pid = await connector.create_listing(coffee())
    promo = {
        "product_id": int(pid),
        "is_config_variant": False,
        "price": 120_000,
        "special_price": 99_000,
        "promotion_start_date": "2025-06-01T00:00:00Z",
        "promotion_end_date": "2025-07-01T00:00:00+07:00",
        "stock_quantity": 15,
        "stock_availability": True,
    }
    answer = await raw.put("/api/partner/product/config/variant-price", json=[promo])
    assert answer.json()["result"]["error_list"] == []
    await connector.update_content(pid, coffee(name="Cà phê hạt Robusta"), ("name",))
    detail = (await raw.get("/api/partner/product", params={"id": pid})).json()["result"]
    assert (detail["name"], detail["special_price"]) == ("Cà phê hạt Robusta", 99_000)
    assert detail["promotion_from_date_timestamp"] == 1_748_736_000
    assert detail["promotion_to_date_timestamp"] == 1_751_302_800
