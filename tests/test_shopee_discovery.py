"""Shopee discovery (attributes, brands, item limits, logistics channels) and creates
that carry attributes and brand: the exact requests (respx) and the sandbox's answers
and refusals (in-process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
import respx

from ocopsync.attributes import ProductFacts, resolve
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeValue,
    ConnectorContext,
    Discovery,
    ListingDraft,
    Logistics,
    MemoryTokenStore,
    Tokens,
)
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox import shopee_attributes as sa
from ocopsync.sandbox.shopee import ShopeeSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
FAST = {"rate_limit_per_s": 10_000}
HONEY = "100631"  # Xuất xứ and Hạn sử dụng mandatory
COFFEE = "100861"  # brand mandatory
TEA = "100860"  # mapped for beverage: nothing mandatory


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


def draft(sku: str = "MO-1", **overrides: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": sku,
        "name": "Mật ong rừng U Minh",
        "description": "Mật ong rừng nguyên chất, chai 500 ml",
        "price": 180000,
        "stock": 12,
        "group": "food",
        "stars": 4,
        "entity_code": "CM-HTX-UMINH",
        "province": "Cà Mau",
        "weight_g": 700,
    }
    fields.update(overrides)
    return ListingDraft(**fields)


ORIGIN_VN = AttributeValue("100134", "Việt Nam", "1001")
SHELF_12 = AttributeValue("100095", "12 tháng", "2004")


# -- discovery against the sandbox ------------------------------------------------------
async def test_connector_is_discovery_and_logistics(conn: ShopeeConnector) -> None:
    assert isinstance(conn, Discovery) and isinstance(conn, Logistics)
    caps = ShopeeConnector.capabilities
    assert caps.discovery and caps.variants and caps.content_updates


async def test_category_attributes_say_which_are_mandatory_and_their_values(
    conn: ShopeeConnector,
) -> None:
    attributes = {a.key: a for a in await conn.category_attributes(HONEY)}
    origin, shelf, weight = attributes["100134"], attributes["100095"], attributes["100010"]
    assert (origin.name, origin.mandatory, origin.input_type) == ("Xuất xứ", True, "single_select")
    assert ("1001", "Việt Nam") in {(o.value_id, o.name) for o in origin.options}
    assert shelf.mandatory and shelf.name == "Hạn sử dụng"
    assert (weight.mandatory, weight.input_type, weight.unit) == (False, "float", "g")
    assert weight.options == ()


async def test_a_combo_box_takes_a_value_of_its_own(conn: ShopeeConnector) -> None:
    """Shopee's combo boxes suggest values and take any text (value_id 0): a seller's
    own tea type is sent as text, and add_item accepts it."""
    tea_type = {a.key: a for a in await conn.category_attributes(TEA)}["100999"]
    assert (tea_type.input_type, tea_type.custom_values) == ("single_select", True)
    origin = {a.key: a for a in await conn.category_attributes(HONEY)}["100134"]
    assert not origin.custom_values, "a drop-down takes only its values"
    facts = ProductFacts("Hà Giang", 100, 4)
    found = resolve([tea_type], [("Loại trà", "Trà Shan tuyết cổ thụ")], facts=facts)
    assert found.values == (AttributeValue("100999", "Trà Shan tuyết cổ thụ"),)
    tea = draft("HG-SHAN", name="Trà Shan tuyết", group="beverage", category_id=TEA)
    assert await conn.create_listing(replace(tea, attributes=found.values))


async def test_textile_material_is_a_multi_select(conn: ShopeeConnector) -> None:
    [material, origin] = await conn.category_attributes("100349")
    assert (material.name, material.mandatory, material.input_type) == (
        "Chất liệu",
        True,
        "multi_select",
    )
    assert "Thổ cẩm" in {o.name for o in material.options}
    assert not origin.mandatory


async def test_brands_of_every_page_with_no_brand_where_it_is_allowed(
    conn: ShopeeConnector,
) -> None:
    brands = await conn.category_brands(TEA)
    assert brands[0].brand_id == "0"
    assert "Trà Tân Cương Thái Nguyên" in {b.name for b in brands}
    coffee = await conn.category_brands(COFFEE)
    assert "0" not in {b.brand_id for b in coffee} and len(coffee) == 7


async def test_item_limits_and_channels(conn: ShopeeConnector) -> None:
    limits = await conn.item_limits(TEA)
    assert (limits.name_max, limits.description_max, limits.images_max) == (120, 3000, 9)
    assert limits.image_max_bytes == 10 * 1024 * 1024 and "png" in limits.image_formats
    assert (limits.price_min, limits.price_max, limits.variants_max) == (1000, 120_000_000, 20)
    channels = {c.channel_id: c for c in await conn.logistics_channels()}
    assert channels["50011"].enabled and channels["50011"].cod
    assert channels["50011"].max_weight_g == 30_000
    assert not channels["50018"].enabled


async def test_unknown_category_is_refused_with_shopees_code(conn: ShopeeConnector) -> None:
    with pytest.raises(RejectedError) as caught:
        await conn.category_attributes("999")
    assert caught.value.code == "error_invalid_category"


# -- creates: refused by the sandbox, then accepted ------------------------------------
async def test_create_missing_a_mandatory_attribute_is_refused_then_succeeds(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    blocked = draft(category_id=HONEY, attributes=(ORIGIN_VN,))
    with pytest.raises(RejectedError) as caught:
        await conn.create_listing(blocked)
    assert caught.value.code == "error_less_required_attribute"
    assert "Mandatory attribute information required" in caught.value.message
    assert "MO-1" not in shopee.snapshot()

    item_id = await conn.create_listing(draft(category_id=HONEY, attributes=(ORIGIN_VN, SHELF_12)))
    stored = shopee.shop.items[item_id].data
    assert stored["category_id"] == int(HONEY)
    assert {a["attribute_id"] for a in stored["attribute_list"]} == {100134, 100095}
    assert stored["brand"] == {"brand_id": 0, "original_brand_name": "No Brand"}


async def test_a_value_id_not_allowed_is_refused(conn: ShopeeConnector) -> None:
    wrong = AttributeValue("100134", "Lào", "1999")
    with pytest.raises(RejectedError) as caught:
        await conn.create_listing(draft(category_id=HONEY, attributes=(wrong, SHELF_12)))
    assert caught.value.code == "error_invalid_attribute_value"


async def test_mandatory_brand_is_refused_when_missing_then_accepted(
    conn: ShopeeConnector,
) -> None:
    coffee = {
        "category_id": COFFEE,
        "attributes": (ORIGIN_VN, AttributeValue("101000", "Robusta", "3101")),
        "name": "Cà phê Robusta Buôn Ma Thuột",
    }
    with pytest.raises(RejectedError) as caught:
        await conn.create_listing(draft("CF-1", **coffee))
    assert caught.value.code == "error_less_required_brand"
    [brand] = [b for b in await conn.category_brands(COFFEE) if b.name == "Cà phê Cầu Đất"]
    item_id = await conn.create_listing(
        draft("CF-1", brand=brand.name, brand_id=brand.brand_id, **coffee)
    )
    assert item_id.isdigit()


async def test_free_quantity_goes_with_its_unit(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    weight = AttributeValue("100010", "500 g")
    item_id = await conn.create_listing(draft(category_id=TEA, attributes=(weight,)))
    [sent] = shopee.shop.items[item_id].data["attribute_list"]
    assert sent["attribute_value_list"] == [
        {"value_id": 0, "original_value_name": "500", "value_unit": "g"}
    ]


async def test_the_drafts_category_wins_over_the_group_map(
    conn: ShopeeConnector, shopee: ShopeeSandbox
) -> None:
    item_id = await conn.create_listing(draft(category_id="101188", attributes=(ORIGIN_VN,)))
    assert shopee.shop.items[item_id].data["category_id"] == 101188
    fallback = await conn.create_listing(draft("MO-2"))
    assert shopee.shop.items[fallback].data["category_id"] == 100629


async def test_attribute_keys_must_be_shopee_ids(conn: ShopeeConnector) -> None:
    missing = conn.missing_for_create(draft(attributes=(AttributeValue("origin", "Việt Nam"),)))
    assert any("not a Shopee attribute_id" in m for m in missing)


# -- the sandbox's raw answers ----------------------------------------------------------
def test_every_leaf_has_attributes_and_the_mapped_ones_nothing_mandatory() -> None:
    from ocopsync.sandbox.shopee_categories import category_list
    from ocopsync.sandbox.shopee_state import CATEGORY_MAP

    leaves = {c["category_id"] for c in category_list() if not c["has_children"]}
    assert leaves == set(sa.ATTRIBUTES)
    for leaf in CATEGORY_MAP.values():
        assert not any(mandatory for _a, mandatory in sa.ATTRIBUTES[leaf])
        assert leaf not in sa.BRAND_MANDATORY
    assert any(m for leaf in leaves for _a, m in sa.ATTRIBUTES[leaf])


# -- exact requests (respx) -------------------------------------------------------------
BASE = "https://partner.test-stable.shopeemobile.com"
TS = 1700000000
CREDS = {"partner_id": "100001", "partner_key": "sandbox-shopee-key", "shop_id": "200001"}


def ok(response: dict[str, Any]) -> httpx.Response:
    body = {"request_id": "r1", "error": "", "message": "", "warning": "", "response": response}
    return httpx.Response(200, json=body)


@pytest.fixture
async def mocked() -> AsyncIterator[ShopeeConnector]:
    store = MemoryTokenStore()
    at = datetime.fromtimestamp
    tokens = Tokens("tok", "ref", at(TS + 14400, UTC), at(TS + 86400, UTC), {"shop_id": "200001"})
    store.save("s", "shopee", tokens)
    options = {"category_map": {"food": 100629}, "logistic_ids": [50011]}
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=options),
        CREDS,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        yield connector


def params(request: httpx.Request) -> dict[str, str]:
    query = dict(request.url.params.multi_items())
    return {k: v for k, v in query.items() if k not in ("partner_id", "timestamp", "sign")}


async def test_brand_pages_follow_next_offset(mocked: ShopeeConnector) -> None:
    pages = [
        ok(
            {
                "brand_list": [{"brand_id": 0, "original_brand_name": "No Brand"}],
                "has_next_page": True,
                "next_offset": 100,
                "is_mandatory": False,
                "input_type": "DROP_DOWN",
            }
        ),
        ok(
            {
                "brand_list": [
                    {"brand_id": 7, "original_brand_name": "x", "display_brand_name": "Gốm Chu Đậu"}
                ],
                "has_next_page": False,
                "next_offset": 0,
            }
        ),
    ]
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/api/v2/product/get_brand_list").mock(side_effect=pages)
        brands = await mocked.category_brands("101188")
    assert [(b.brand_id, b.name) for b in brands] == [("0", "No Brand"), ("7", "Gốm Chu Đậu")]
    first, second = (params(c.request) for c in route.calls)
    assert first == {
        "offset": "0",
        "page_size": "100",
        "category_id": "101188",
        "status": "1",
        "language": "vi",
        "access_token": "tok",
        "shop_id": "200001",
    }
    assert second["offset"] == "100"


async def test_discovery_requests_are_exact(mocked: ShopeeConnector) -> None:
    tree = {"list": [{"category_id": 5, "attribute_tree": []}]}
    with respx.mock(base_url=BASE) as mock:
        attrs = mock.get("/api/v2/product/get_attribute_tree").mock(return_value=ok(tree))
        limit = mock.get("/api/v2/product/get_item_limit").mock(return_value=ok({}))
        chans = mock.get("/api/v2/logistics/get_channel_list").mock(
            return_value=ok({"logistics_channel_list": []})
        )
        assert await mocked.category_attributes("5") == []
        await mocked.item_limits("5")
        assert await mocked.logistics_channels() == []
    assert params(attrs.calls[0].request) == {
        "category_id_list": "5",
        "language": "vn",
        "access_token": "tok",
        "shop_id": "200001",
    }
    assert params(limit.calls[0].request)["category_id"] == "5"
    assert set(params(chans.calls[0].request)) == {"access_token", "shop_id"}


async def test_create_body_carries_attributes_and_brand(mocked: ShopeeConnector) -> None:
    wanted = draft(
        category_id="100631",
        attributes=(ORIGIN_VN, SHELF_12, AttributeValue("100010", "0,5 kg")),
        brand="Mật ong rừng U Minh",
        brand_id="3063102",
    )
    with respx.mock(base_url=BASE) as mock:
        add = mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 1}))
        ctx_options = mocked.options | {"placeholder_image_id": "img"}
        mocked.options = ctx_options
        await mocked.create_listing(wanted)
    body = json.loads(add.calls[0].request.content)
    assert body["category_id"] == 100631
    assert body["brand"] == {"brand_id": 3063102, "original_brand_name": "Mật ong rừng U Minh"}
    sent = {a["attribute_id"]: a["attribute_value_list"] for a in body["attribute_list"]}
    assert sent == {
        100134: [{"value_id": 1001, "original_value_name": "Việt Nam"}],
        100095: [{"value_id": 2004, "original_value_name": "12 tháng"}],
        100010: [{"value_id": 0, "original_value_name": "0.5", "value_unit": "kg"}],
    }


async def test_attribute_tree_answers_the_specs_shape_for_several_leaves(
    sb: Sandbox, shopee: ShopeeSandbox, conn: ShopeeConnector
) -> None:
    import hashlib
    import hmac
    import time

    tokens = conn.ctx.token_store.load("coop")
    assert tokens is not None
    path = "/api/v2/product/get_attribute_tree"
    ts = str(int(time.time()))
    base = f"{shopee.partner_id}{path}{ts}{tokens.access_token}{shopee.shop_id}"
    sign = hmac.new(shopee.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()
    query = {
        "partner_id": shopee.partner_id,
        "timestamp": ts,
        "sign": sign,
        "access_token": tokens.access_token,
        "shop_id": shopee.shop_id,
        "category_ids": f"{HONEY},{TEA}",  # the spec's own sample spells it so
        "language": "en",
    }
    async with httpx.AsyncClient(transport=sb.transport(), base_url=ROOT) as client:
        answer = (await client.get(f"/shopee{path}", params=query)).json()
    [honey, tea] = answer["response"]["list"]
    assert (honey["category_id"], tea["category_id"]) == (int(HONEY), int(TEA))
    origin = honey["attribute_tree"][0]
    assert (origin["attribute_id"], origin["name"], origin["mandatory"]) == (
        100134,
        "Country of Origin",
        True,
    )
    assert origin["attribute_info"]["input_type"] == 1
    assert {"language": "vi", "value": "Xuất xứ"} in origin["multi_lang"]
    first = origin["attribute_value_list"][0]
    assert (first["value_id"], first["name"]) == (1001, "Vietnam")
