"""Sendo discovery against its sandbox: the category tree, attributes, brands, limits, and a
create the sandbox refuses for a missing mandatory attribute, then accepts once given."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeOption,
    AttributeValue,
    Brand,
    ConnectorContext,
    Discovery,
    ListingDraft,
    MemoryTokenStore,
)
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.sendo import SendoSandbox

pytestmark = pytest.mark.anyio

ROOT = "http://sandbox"
BASE = f"{ROOT}/sendo"
HONEY = "1112"
ORIGIN_VN = AttributeValue("333", "Việt Nam", "1420")
HONEY_KIND = AttributeValue("1510", "Mật ong hoa cà phê", "28001")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def clock() -> float:
    """One frozen time for the sandbox and the connector (tokens last 8 h of it)."""
    return 1_750_000_000.0


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
    async with httpx.AsyncClient(transport=sb.transport(), base_url=BASE) as client:
        token = (await client.post("/login", json=sendo.credentials())).json()["result"]["token"]
        client.headers["Authorization"] = f"bearer {token}"
        yield client


def draft(sku: str = "MO-1", **changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": sku,
        "name": "Mật ong hoa cà phê Krông Năng",
        "description": "Mật ong nguyên chất, thu hoạch mùa hoa cà phê.",
        "price": 180_000,
        "stock": 10,
        "group": "food",
        "stars": 4,
        "entity_code": "HTX-KN",
        "province": "Đắk Lắk",
        "weight_g": 700,
        "image_urls": ("https://img.example/mat-ong.jpg",),
        "category_id": HONEY,
    }
    values.update(changes)
    return ListingDraft(**values)


async def test_the_connector_declares_discovery(connector: SendoConnector) -> None:
    assert connector.capabilities.discovery
    assert isinstance(connector, Discovery)


async def test_tree_is_flat_parents_first_with_level_4_leaves(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    tree = await connector.list_categories()
    seen: set[str] = set()
    for category in tree:
        assert category.parent_id is None or category.parent_id in seen, category
        seen.add(category.category_id)
    by_id = {c.category_id: c for c in tree}
    honey = by_id[HONEY]
    assert (honey.name, honey.parent_id, honey.leaf) == ("Mật ong", "111", True)
    assert by_id["1"].name == "Bách hóa Online" and not by_id["1"].leaf
    assert not any("|" in c.name for c in tree)
    mapped = {str(v) for v in sendo.connection_options(ROOT)["category_map"].values()}
    assert mapped <= {c.category_id for c in tree if c.leaf}
    names = {c.name for c in tree if c.leaf}
    assert {"Trà", "Cà phê", "Dược liệu", "Khăn lụa", "Gốm sứ"} <= names


async def test_sendo_names_deeper_levels_by_their_path(raw: httpx.AsyncClient) -> None:
    children = (await raw.get("/api/partner/category/11")).json()["result"]
    assert {"id": 111, "name": "Bách hóa Online|Thực phẩm khô|Đặc sản vùng miền",
            "parent_id": 11, "level": 3} in children  # fmt: skip


async def test_attributes_say_which_are_mandatory_and_what_they_allow(
    connector: SendoConnector,
) -> None:
    attributes = {a.key: a for a in await connector.category_attributes(HONEY)}
    origin = attributes["333"]
    assert (origin.name, origin.mandatory, origin.input_type) == ("Xuất xứ", True, "single_select")
    assert AttributeOption("1420", "Việt Nam") in origin.options
    assert attributes["1510"].mandatory
    volume = attributes["1503"]
    assert (volume.name, volume.mandatory, volume.input_type) == (
        "Dung tích",
        False,
        "multi_select",
    )
    fish_sauce = {a.name: a for a in await connector.category_attributes("1113")}
    assert fish_sauce["Độ đạm"].input_type == "text"
    assert fish_sauce["Độ đạm"].options == ()


async def test_the_attribute_answer_is_sendos_shape(raw: httpx.AsyncClient) -> None:
    result = (await raw.get(f"/api/partner/category/attribute/{HONEY}")).json()["result"]
    assert result["is_config_variant"] is True
    origin = next(a for a in result["attribute"] if a["id"] == 333)
    assert set(origin) == {
        "id", "control_type", "name", "is_required", "is_checkout", "attribute_values"
    }  # fmt: skip
    assert origin["control_type"] == "ComboBox"
    assert {"id": 1420, "value": "Việt Nam", "is_selected": False} in origin["attribute_values"]


async def test_brands_of_a_category(connector: SendoConnector, raw: httpx.AsyncClient) -> None:
    brands = await connector.category_brands(HONEY)
    assert Brand("90011", "Mật ong Bạc Hà Hà Giang") in brands
    first = (await raw.get(f"/api/partner/category/brand/{HONEY}")).json()["result"][0]
    assert set(first) == {"external_id", "is_required_certificate_file", "name",
                          "senmall_description"}  # fmt: skip


async def test_item_limits(connector: SendoConnector) -> None:
    limits = await connector.item_limits(HONEY)
    assert (limits.description_max, limits.images_max, limits.variants_max) == (100_000, 10, 50)
    assert "png" in limits.image_formats


async def test_an_unknown_category_is_refused(connector: SendoConnector) -> None:
    with pytest.raises(RejectedError) as raised:
        await connector.category_attributes("999")
    assert raised.value.code == "category_not_found"


async def test_a_create_missing_a_mandatory_attribute_is_refused_then_succeeds(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    assert connector.missing_for_create(draft()) == []  # only the platform knows the category
    with pytest.raises(RejectedError) as raised:
        await connector.create_listing(draft(attributes=(ORIGIN_VN,)))
    assert raised.value.code == "attribute_required"
    assert "Loại mật ong" in raised.value.message
    assert "MO-1" not in sendo.snapshot()

    given = draft(attributes=(ORIGIN_VN, HONEY_KIND), brand="Mật ong Bạc Hà Hà Giang",
                  brand_id="90011")  # fmt: skip
    remote_id = await connector.create_listing(given)
    item = sendo.shop.get(remote_id)
    assert item is not None and item.sku == "MO-1"
    assert item.data["cat_4_id"] == 1112
    assert item.data["attributes"]["333"] == [{"id": 1420, "value": "Việt Nam", "is_custom": False}]
    assert item.data["brand_id"] == 90011


async def test_the_refusal_is_sendos_envelope(raw: httpx.AsyncClient) -> None:
    product = {
        "id": 0,
        "name": "Mật ong rừng",
        "sku": "MR-1",
        "price": 250_000.0,
        "stock_quantity": 4,
        "stock_availability": True,
        "cat_4_id": 1112,
        "weight": 500,
        "description": "<p>" + "Mật ong rừng U Minh. " * 8 + "</p>",
        "avatar": {"picture_url": "https://img.example/mr.jpg"},
        "attributes": None,
    }
    answer = await raw.post("/api/partner/product", json=product)
    body = answer.json()
    assert answer.status_code == 400
    assert (body["success"], body["result"], body["status_code"]) == (False, None, 400)
    assert body["error"]["message"] == "Thuộc tính bắt buộc chưa có giá trị: Xuất xứ"
    detail = body["error"]["error_details"][0]
    assert (detail["code"], detail["property_name"]) == ("attribute_required", "attributes")


async def test_values_by_text_and_free_text_attributes(
    connector: SendoConnector, sendo: SendoSandbox
) -> None:
    fish_sauce = draft(
        "NM-1",
        name="Nước mắm cá cơm Phú Quốc",
        category_id="1113",
        attributes=(AttributeValue("333", "viet nam"), AttributeValue("1511", "40 độ đạm")),
    )
    remote_id = await connector.create_listing(fish_sauce)
    chosen = sendo.shop.get(remote_id).data["attributes"]  # type: ignore[union-attr]
    assert chosen["333"] == [{"id": 1420, "value": "Việt Nam", "is_custom": False}]
    assert chosen["1511"] == [{"id": 0, "value": "40 độ đạm", "is_custom": True}]


async def test_an_option_the_attribute_does_not_have_is_refused(
    connector: SendoConnector,
) -> None:
    wrong = draft(attributes=(AttributeValue("333", "Việt Nam", "77"), HONEY_KIND))
    with pytest.raises(RejectedError) as raised:
        await connector.create_listing(wrong)
    assert raised.value.code == "validation"


def honey_body(**changes: Any) -> dict[str, Any]:
    selected = [
        {"attribute_id": 333, "attribute_values": [{"id": 1420, "is_selected": True}]},
        {"attribute_id": 1510, "attribute_values": [{"id": 28003, "is_selected": True}]},
    ]
    product = {
        "id": 0,
        "name": "Mật ong rừng",
        "sku": "MR-2",
        "price": 250_000,
        "stock_quantity": 4,
        "stock_availability": True,
        "cat_4_id": 1112,
        "weight": 500,
        "description": "<p>" + "Mật ong rừng U Minh. " * 8 + "</p>",
        "avatar": {"picture_url": "https://img.example/mr.jpg"},
        "attributes": selected,
        "brand_id": 90011,
    }
    return {**product, **changes}


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"brand_id": 12345}, "brand_id"),
        ({"attributes": [{"attribute_id": 9999, "attribute_values": []}]}, "attributes"),
        (
            {
                "attributes": [
                    {
                        "attribute_id": 333,
                        "attribute_values": [
                            {"id": 1420, "is_selected": True},
                            {"id": 1418, "is_selected": True},
                        ],
                    }
                ]
            },
            "attributes",
        ),
        ({"variants": [{"variant_sku": "X"}]}, "is_config_variant"),
    ],
)
async def test_attributes_and_brand_are_checked_against_the_category(
    raw: httpx.AsyncClient, sendo: SendoSandbox, change: dict[str, Any], prop: str
) -> None:
    good = await raw.post("/api/partner/product", json=honey_body())
    assert good.status_code == 200, good.json()
    bad = await raw.post("/api/partner/product", json=honey_body(sku="MR-3", **change))
    assert bad.status_code == 400
    detail = bad.json()["error"]["error_details"][0]
    assert (detail["property_name"], detail["code"]) == (prop, "validation")
    assert "MR-3" not in sendo.snapshot()


async def test_a_variant_sku_another_product_uses_is_a_duplicate(raw: httpx.AsyncClient) -> None:
    assert (await raw.post("/api/partner/product", json=honey_body())).status_code == 200
    variant = {
        "variant_attributes": [{"attribute_id": 1503, "option_id": 26102}],
        "variant_sku": "MR-2",
        "variant_price": 120_000,
        "variant_quantity": 2,
    }
    clash = honey_body(sku="MR-4", is_config_variant=True, variants=[variant])
    answer = await raw.post("/api/partner/product", json=clash)
    assert answer.status_code == 409
    assert answer.json()["error"]["error_details"][0]["code"] == "sku_duplicate"
