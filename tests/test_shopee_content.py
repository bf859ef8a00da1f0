"""Shopee content updates (``v2.product.update_item``) and product images
(``media_space/upload_image`` and the capped download), against the sandbox and with
respx for the exact requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeValue,
    ConnectorContext,
    ContentUpdates,
    ListingDraft,
    MemoryTokenStore,
    Tokens,
    Variant,
)
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.base import TINY_PNG
from ocopsync.sandbox.shopee import ShopeeSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
FAST = {"rate_limit_per_s": 10_000}
IMAGE = f"{ROOT}/shopee/_sandbox/image.png"


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
    options = shopee.connection_options(ROOT) | FAST | {"image_hosts": ["sandbox"]}
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


def draft(**overrides: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "GOM-1",
        "name": "Bình gốm Bát Tràng men lam",
        "description": "Bình gốm vẽ tay",
        "price": 350000,
        "stock": 3,
        "group": "handicraft",
        "stars": 4,
        "entity_code": "HN-BATTRANG",
        "province": "Hà Nội",
        "weight_g": 1200,
    }
    fields.update(overrides)
    return ListingDraft(**fields)


async def test_connector_is_content_updates(conn: ShopeeConnector) -> None:
    assert isinstance(conn, ContentUpdates)


async def test_name_and_description_follow_the_catalog(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft())
    changed = draft(name="Bình gốm Bát Tràng men rạn", description="Men rạn cổ, vẽ tay")
    await conn.update_content(item_id, changed, ["name", "description"])
    item = shopee.shop.items[item_id]
    assert item.name == "Bình gốm Bát Tràng men rạn"
    assert item.data["description"] == "Men rạn cổ, vẽ tay"
    [found] = await conn.get_listings([item_id])
    assert found.name == "Bình gốm Bát Tràng men rạn"


async def test_images_are_uploaded_as_at_create(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft())
    before = list(shopee.shop.items[item_id].data["image_ids"])
    await conn.update_content(item_id, draft(image_urls=(IMAGE,)), ["image_urls"])
    after = shopee.shop.items[item_id].data["image_ids"]
    assert after != before and len(after) == 1 and after[0] in shopee.images


async def test_attributes_are_merged_and_checked(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    origin = AttributeValue("100134", "Việt Nam", "1001")
    item_id = await conn.create_listing(draft(attributes=(origin,)))
    material = AttributeValue("100201", "Gốm", "4104")
    await conn.update_content(item_id, draft(attributes=(material,)), ["attributes"])
    stored = {a["attribute_id"] for a in shopee.shop.items[item_id].data["attribute_list"]}
    assert stored == {100134, 100201}
    with pytest.raises(RejectedError) as caught:
        wrong = AttributeValue("100201", "Nhựa", "4999")
        await conn.update_content(item_id, draft(attributes=(wrong,)), ["attributes"])
    assert caught.value.code == "error_invalid_attribute_value"


async def test_a_variants_id_updates_its_item(conn: ShopeeConnector, shopee: ShopeeSandbox) -> None:
    item_id, models = shopee.seed_models(
        "GOM-P", "Chén gốm", [("GOM-S", "Nhỏ", 50000, 4), ("GOM-L", "Lớn", 90000, 2)]
    )
    remote_id = f"{item_id}:{models['GOM-L']}"
    await conn.update_content(remote_id, draft(name="Chén gốm Chu Đậu"), ["name"])
    assert shopee.shop.items[item_id].name == "Chén gốm Chu Đậu"
    assert {v.name for v in await conn.get_listings([remote_id])} == {"Chén gốm Chu Đậu"}


async def test_limits_are_shopees(conn: ShopeeConnector) -> None:
    item_id = await conn.create_listing(draft())
    with pytest.raises(RejectedError) as caught:
        await conn.update_content(item_id, draft(name="x" * 121), ["name"])
    assert caught.value.code == "error_name_length_limit"
    with pytest.raises(RejectedError) as unsupported:
        await conn.update_content(item_id, draft(), ["price"])
    assert unsupported.value.code == "unsupported"


async def test_variants_need_labels_and_at_most_20(conn: ShopeeConnector) -> None:
    many = tuple(Variant(f"V{n}", f"{n}", 1000, 1) for n in range(21))
    missing = conn.missing_for_create(draft(variants=many))
    assert any("at most 20" in m for m in missing)


# -- the sandbox's upload_image: both signings, and its refusals ----------------------
KEY = "sandbox-shopee-key"
PATH = "/api/v2/media_space/upload_image"


def signed(base: str, extra: dict[str, str]) -> dict[str, str]:
    ts = str(int(time.time()))
    token, shop = extra.get("access_token", ""), extra.get("shop_id", "")
    sign = hmac.new(KEY.encode(), f"100001{PATH}{ts}{token}{shop}".encode(), hashlib.sha256)
    return {"partner_id": "100001", "timestamp": ts, "sign": sign.hexdigest(), **extra}


async def upload(
    sb: Sandbox, query: dict[str, str], content: bytes, name: str = "a.png"
) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url=ROOT) as client:
        response = await client.post(
            f"/shopee{PATH}", params=query, files={"image": (name, content)}
        )
    return cast(dict[str, Any], response.json())


async def test_upload_image_takes_public_and_shop_signatures(
    sb: Sandbox, shopee: ShopeeSandbox, conn: ShopeeConnector
) -> None:
    public = await upload(sb, signed("", {}), TINY_PNG)
    assert public["error"] == "" and public["response"]["image_info"]["image_id"]
    tokens = conn.ctx.token_store.load("coop")
    assert tokens is not None
    shop = {"access_token": tokens.access_token, "shop_id": shopee.shop_id}
    as_shop = await upload(sb, signed("", shop), TINY_PNG)
    assert as_shop["error"] == "", as_shop
    wrong = await upload(sb, signed("", {}) | shop, TINY_PNG)  # signed as public, sent as shop
    assert wrong["error"] == "error_sign"


async def test_upload_image_refuses_other_formats_and_big_files(sb: Sandbox) -> None:
    gif = await upload(sb, signed("", {}), b"GIF89a" + b"\0" * 10, "a.gif")
    assert gif["error"] == "error_param" and "JPG" in gif["message"]
    big = await upload(sb, signed("", {}), b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024))
    assert big["error"] == "error_param" and "10.0 MB" in big["message"]


# -- exact requests and the capped download (respx) ------------------------------------
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
    options = {"category_map": {"handicraft": 101186}, "logistic_ids": [50011]}
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=options | {"placeholder_image_id": "i"}),
        creds,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        yield connector


async def test_update_item_sends_only_the_fields_asked(mocked: ShopeeConnector) -> None:
    attrs = (AttributeValue("100201", "Gốm", "4104"), AttributeValue("100201", "Tre", "4102"))
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/api/v2/product/update_item").mock(return_value=ok({"item_id": 5}))
        await mocked.update_content("5:77", draft(attributes=attrs), ["name", "attributes"])
        await mocked.update_content("5", draft(), [])
    assert route.call_count == 1
    assert json.loads(route.calls[0].request.content) == {
        "item_id": 5,
        "item_name": "Bình gốm Bát Tràng men lam",
        "attribute_list": [
            {
                "attribute_id": 100201,
                "attribute_value_list": [
                    {"value_id": 4104, "original_value_name": "Gốm"},
                    {"value_id": 4102, "original_value_name": "Tre"},
                ],
            }
        ],
    }


async def test_a_gif_is_refused_before_any_upload(mocked: ShopeeConnector) -> None:
    url = "https://img.example/binh.jpg"
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get(url).mock(return_value=httpx.Response(200, content=b"GIF89a...."))
        upload_route = mock.post(PATH).mock(return_value=ok({}))
        add = mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 1}))
        with pytest.raises(RejectedError) as caught:
            await mocked.create_listing(draft(image_urls=(url,)))
    assert caught.value.code == "image_format"
    assert upload_route.call_count == 0 and add.call_count == 0


async def test_an_image_over_10_mb_is_refused(mocked: ShopeeConnector) -> None:
    url = "https://img.example/big.png"
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024)
    with respx.mock(base_url=BASE) as mock:
        mock.get(url).mock(return_value=httpx.Response(200, content=big))
        with pytest.raises(RejectedError) as caught:
            await mocked.update_content("5", draft(image_urls=(url,)), ["image_urls"])
    assert caught.value.code == "image_size"
