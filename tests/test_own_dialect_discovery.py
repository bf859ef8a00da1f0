"""Categories, attributes and brands on ocopsync's own dialects (Voso, Postmart, portal):
the exact requests with respx, and each connector against its sandbox, which refuses a
create missing a mandatory attribute in its dialect's words and takes it once given."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
import respx

from ocopsync.attributes import ProductFacts, resolve
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    AttributeOption,
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
    ConnectorContext,
    ListingDraft,
    Variant,
)
from ocopsync.connectors.portal import PortalConnector
from ocopsync.connectors.postmart import PostmartConnector
from ocopsync.connectors.voso import VosoConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox import build_sandbox
from tests.test_contract import Rig
from tests.test_postmart_sandbox import bearer, raw
from tests.test_voso_sandbox import signed

pytestmark = pytest.mark.anyio
NOW = 1_700_000_000.0
STAR4 = (AttributeOption("1004", "4 sao"),)
STAR5 = (AttributeOption("5", "5 sao"),)


def paging(number: int) -> dict[str, int]:
    return {"page": number, "limit": 50, "total": 51}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def draft(**changes: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "RUOU-01",
        "name": "Rượu Bàu Đá",
        "description": "Rượu gạo truyền thống, Bình Định",
        "price": 150_000,
        "stock": 12,
        "group": "beverage",
        "stars": 4,
        "entity_code": "BD-01",
        "province": "Bình Định",
        "weight_g": 900,
        "image_urls": ("https://img.test/ruou.jpg",),
    }
    return ListingDraft(**(fields | changes))


def settings(platform: str, base: str, **options: Any) -> ConnectionSettings:
    return ConnectionSettings("c", platform, base, options={"rate_limit_per_s": 0, **options})


def context(platform: str, base: str, credentials: dict[str, str], **options: Any) -> Any:
    return ConnectorContext(
        settings(platform, base, **options),
        credentials,
        clock=lambda: NOW,
        retry_wait_scale=0,
        max_attempts=2,
    )


# -- Voso: the exact requests ------------------------------------------------------------
VOSO = "https://partner.voso.test/api"
VOSO_CREDS = {"partner_code": "P1", "secret_key": "s3cret", "shop_id": "300001"}


def voso() -> VosoConnector:
    return VosoConnector(context("voso", VOSO, VOSO_CREDS, category_map={"food": 10452}))


def voso_ok(data: Any, **beside: Any) -> httpx.Response:
    return httpx.Response(
        200, json={"status": 200, "error": False, "message": "OK", "data": data, **beside}
    )


def voso_signature(request: httpx.Request) -> str:
    """Recomputed from the wire request, apart from the connector."""
    target = request.url.raw_path.decode().removeprefix("/api")
    stamp = request.headers["X-Voso-Timestamp"]
    canonical = (
        f"{request.method}\n{target}\n{stamp}\n{hashlib.sha256(request.content).hexdigest()}"
    )
    return hmac.new(b"s3cret", canonical.encode(), hashlib.sha256).hexdigest()


async def test_voso_reads_the_tree_attributes_and_every_brand_page_signed() -> None:
    tree = [
        {"category_id": 10460, "parent_id": None, "name": "Đồ uống", "level": 1, "is_leaf": False},
        {"category_id": 10462, "parent_id": 10460, "name": "Rượu", "level": 2, "is_leaf": True},
    ]
    attributes = [
        {
            "attribute_id": 20011,
            "name": "Nồng độ cồn",
            "is_required": True,
            "input_type": "DECIMAL",
            "unit": "%",
            "values": [],
        },
        {
            "attribute_id": 10002,
            "name": "Hạng sao OCOP",
            "is_required": False,
            "input_type": "SINGLE_SELECT",
            "unit": None,
            "values": [{"value_id": 1004, "name": "4 sao"}],
        },
    ]
    with respx.mock(base_url=VOSO, assert_all_called=True) as api:
        api.get("/v1/categories").mock(return_value=voso_ok(tree))
        api.get("/v1/categories/10462/attributes").mock(return_value=voso_ok(attributes))
        brands = api.get("/v1/categories/10462/brands").mock(
            side_effect=[
                voso_ok([{"brand_id": 511, "name": "Rượu Bàu Đá"}], next_cursor="QUZURVI6NTEx"),
                voso_ok([{"brand_id": 512, "name": "Rượu Làng Vân"}], next_cursor=None),
            ]
        )
        async with voso() as c:
            assert await c.list_categories() == [
                Category("10460", None, "Đồ uống", False),
                Category("10462", "10460", "Rượu", True),
            ]
            assert await c.category_attributes("10462") == [
                CategoryAttribute("20011", "Nồng độ cồn", True, "float", (), "%"),
                CategoryAttribute("10002", "Hạng sao OCOP", False, "single_select", STAR4),
            ]
            assert await c.category_brands("10462") == [
                Brand("511", "Rượu Bàu Đá"),
                Brand("512", "Rượu Làng Vân"),
            ]
    for call in api.calls:
        assert call.request.headers["X-Voso-Signature"] == voso_signature(call.request)
        assert call.request.headers["X-Voso-Partner"] == "P1"
    assert [dict(c.request.url.params) for c in brands.calls] == [
        {"limit": "100"},
        {"limit": "100", "cursor": "QUZURVI6NTEx"},
    ]


async def test_voso_create_sends_the_drafts_category_attributes_and_brand() -> None:
    given = draft(
        category_id="10462",
        attributes=(
            AttributeValue("20011", "29.5"),
            AttributeValue("20012", "500"),
            AttributeValue("10002", "4 sao", "1004"),
        ),
        brand="Rượu Bàu Đá",
        brand_id="511",
    )
    with respx.mock(base_url=VOSO, assert_all_called=True) as api:
        route = api.post("/v1/shops/300001/products").mock(
            return_value=voso_ok({"product_id": "1001"})
        )
        async with voso() as c:
            assert c.missing_for_create(given) == []
            assert await c.create_listing(given) == "1001"
    body = json.loads(route.calls[0].request.content)
    assert body["category_id"] == 10462 and body["brand_id"] == 511
    assert body["attributes"] == [
        {"attribute_id": 20011, "value": "29.5"},
        {"attribute_id": 20012, "value": "500"},
        {"attribute_id": 10002, "value": "4 sao", "value_id": 1004},
    ]


def test_voso_missing_for_create_reads_the_drafts_own_category_first() -> None:
    c = voso()
    # beverage has no category_map entry: the draft's own category is enough
    assert c.missing_for_create(draft(category_id="10462")) == []
    assert "no category for group 'beverage'" in c.missing_for_create(draft())[0]
    assert "not a Voso category id" in c.missing_for_create(draft(category_id="ruou"))[0]
    variants = (Variant("RUOU-01-500", "500 ml", 150_000, 3),)
    problems = c.missing_for_create(draft(category_id="10462", variants=variants))
    assert problems == ["variants: Voso takes one product per seller SKU (no variants)"]


# -- Postmart: the exact requests ----------------------------------------------------------
POSTMART = "https://seller.postmart.test"


def postmart() -> PostmartConnector:
    creds = {"client_id": "cid", "client_secret": "csecret"}
    return PostmartConnector(context("postmart", POSTMART, creds, category_map={}))


def pm_token() -> httpx.Response:
    answer = {"access_token": "T1", "token_type": "Bearer", "expires_in": 3600}
    return httpx.Response(200, json=answer)


async def test_postmart_reads_the_tree_attributes_and_brands_by_total() -> None:
    tree = [
        {"id": "thuc-uong", "parent_id": None, "name": "Thức uống", "level": 1, "is_leaf": False},
        {
            "id": "ruou-dac-san",
            "parent_id": "thuc-uong",
            "name": "Rượu",
            "level": 2,
            "is_leaf": True,
        },
    ]
    attributes = [
        {
            "code": "dung-tich",
            "name": "Dung tích",
            "type": "integer",
            "required": True,
            "unit": "ml",
            "options": [],
        },
        {
            "code": "hang-sao-ocop",
            "name": "Hạng sao OCOP",
            "type": "select",
            "required": False,
            "unit": "",
            "options": [{"id": 5, "label": "5 sao"}],
        },
    ]
    first = [{"id": n, "name": f"Thương hiệu {n}"} for n in range(50)]
    with respx.mock(base_url=POSTMART, assert_all_called=True) as api:
        api.post("/oauth/token").mock(return_value=pm_token())
        api.get("/api/seller/v2/categories").mock(
            return_value=httpx.Response(200, json={"data": {"items": tree}})
        )
        api.get("/api/seller/v2/categories/ruou-dac-san/attributes").mock(
            return_value=httpx.Response(200, json={"data": {"items": attributes}})
        )
        pages = [first, [{"id": 50, "name": "Rượu Kim Sơn"}]]
        brands = api.get("/api/seller/v2/categories/ruou-dac-san/brands").mock(
            side_effect=[
                httpx.Response(200, json={"data": {"items": items, "pagination": paging(n)}})
                for n, items in enumerate(pages, start=1)
            ]
        )
        async with postmart() as c:
            categories = await c.list_categories()
            found = await c.category_attributes("ruou-dac-san")
            every = await c.category_brands("ruou-dac-san")
    assert categories == [
        Category("thuc-uong", None, "Thức uống", False),
        Category("ruou-dac-san", "thuc-uong", "Rượu", True),
    ]
    assert found == [
        CategoryAttribute("dung-tich", "Dung tích", True, "int", (), "ml"),
        CategoryAttribute("hang-sao-ocop", "Hạng sao OCOP", False, "single_select", STAR5),
    ]
    assert len(every) == 51 and every[-1] == Brand("50", "Rượu Kim Sơn")
    assert [dict(c.request.url.params) for c in brands.calls] == [
        {"page": "1", "limit": "50"},
        {"page": "2", "limit": "50"},
    ]
    assert all(c.request.headers["Authorization"] == "Bearer T1" for c in brands.calls)


async def test_postmart_create_sends_category_code_attributes_and_brand() -> None:
    given = draft(
        category_id="ruou-dac-san",
        attributes=(
            AttributeValue("dung-tich", "500"),
            AttributeValue("hang-sao-ocop", "4 sao", "4"),
        ),
        brand_id="701",
    )
    with respx.mock(base_url=POSTMART, assert_all_called=True) as api:
        api.post("/oauth/token").mock(return_value=pm_token())
        route = api.post("/api/seller/v2/products").mock(
            return_value=httpx.Response(201, json={"data": {"id": 43001}})
        )
        async with postmart() as c:
            assert c.missing_for_create(given) == []
            assert await c.create_listing(given) == "43001"
    body = json.loads(route.calls[0].request.content)
    assert body["category_id"] == "ruou-dac-san" and body["brand_id"] == 701
    assert body["attributes"] == [
        {"code": "dung-tich", "value": "500"},
        {"code": "hang-sao-ocop", "value": "4 sao", "option_id": 4},
    ]


# -- portal: the exact requests -------------------------------------------------------------
PORTAL = "https://ocop.province.test"


def portal() -> PortalConnector:
    return PortalConnector(context("portal", PORTAL, {"api_key": "K"}))


async def test_portal_reads_groups_subgroups_and_attributes_and_has_no_brands() -> None:
    items = [
        {"id": "beverage", "parent_id": None, "name": "Đồ uống", "leaf": False},
        {"id": "beverage-alcohol", "parent_id": "beverage", "name": "Đồ uống có cồn", "leaf": True},
    ]
    attributes = [
        {
            "key": "nong_do_con",
            "name": "Nồng độ cồn",
            "required": True,
            "type": "decimal",
            "unit": "%",
            "options": [],
        },
    ]
    with respx.mock(base_url=PORTAL, assert_all_called=True) as api:
        listed = api.get("/api/v1/categories").mock(
            return_value=httpx.Response(200, json={"items": items, "total": 2})
        )
        api.get("/api/v1/categories/beverage-alcohol/attributes").mock(
            return_value=httpx.Response(200, json={"items": attributes})
        )
        async with portal() as c:
            assert [x.category_id for x in await c.list_categories()] == [
                "beverage",
                "beverage-alcohol",
            ]
            assert await c.category_attributes("beverage-alcohol") == [
                CategoryAttribute("nong_do_con", "Nồng độ cồn", True, "float", (), "%")
            ]
            assert await c.category_brands("beverage-alcohol") == []
        assert len(api.calls) == 2, "brands cost no request"
    assert listed.calls[0].request.headers["Authorization"] == "Bearer K"


async def test_portal_create_sends_the_subgroup_and_attributes() -> None:
    given = draft(
        category_id="beverage-alcohol",
        attributes=(
            AttributeValue("nong_do_con", "29.5"),
            AttributeValue("giay_phep_san_xuat", "01/GP-SCT"),
        ),
        brand_id="ignored",
    )
    with respx.mock(base_url=PORTAL, assert_all_called=True) as api:
        route = api.post("/api/v1/products").mock(
            return_value=httpx.Response(201, json={"id": "1001"})
        )
        async with portal() as c:
            assert await c.create_listing(given) == "1001"
    body = json.loads(route.calls[0].request.content)
    assert body["group"] == "beverage" and body["category_id"] == "beverage-alcohol"
    assert body["attributes"] == [
        {"key": "nong_do_con", "value": "29.5"},
        {"key": "giay_phep_san_xuat", "value": "01/GP-SCT"},
    ]
    assert "brand_id" not in body


# -- each sandbox: refusals in its own words, then success ----------------------------------
REFUSALS = {
    # platform: (leaf with mandatory attributes, what satisfies it, refusal code, bad value)
    "voso": (
        "10462",
        (AttributeValue("20011", "29.5"), AttributeValue("20012", "500")),
        "ATTRIBUTE_REQUIRED",
        (AttributeValue("20011", "nhiều"), AttributeValue("20012", "500")),
        "INVALID_ATTRIBUTE",
    ),
    "postmart": (
        "ruou-dac-san",
        (AttributeValue("nong-do-con", "29.5"), AttributeValue("dung-tich", "500")),
        "attribute_required",
        (AttributeValue("nong-do-con", "29.5"), AttributeValue("dung-tich", "nửa lít")),
        "validation_failed",
    ),
    "portal": (
        "beverage-alcohol",
        (AttributeValue("nong_do_con", "29.5"), AttributeValue("giay_phep_san_xuat", "01/GP")),
        "attribute_required",
        (AttributeValue("nong_do_con", "29.5"), AttributeValue("so_cong_bo", "x")),
        "invalid",
    ),
}


@pytest.mark.parametrize("platform", sorted(REFUSALS))
async def test_a_missing_mandatory_attribute_is_refused_then_the_create_succeeds(
    platform: str,
) -> None:
    leaf, enough, code, bad, bad_code = REFUSALS[platform]
    rig = Rig(platform)
    connector = await rig.connect()
    base = dataclasses.replace(rig.draft("RUOU-01"), category_id=leaf)
    async with connector:
        with pytest.raises(RejectedError) as refused:
            await connector.create_listing(base)
        assert refused.value.code == code
        assert "29.5" not in str(refused.value)
        with pytest.raises(RejectedError) as wrong:
            await connector.create_listing(dataclasses.replace(base, attributes=bad))
        assert wrong.value.code == bad_code
        assert await connector.find_by_sku("RUOU-01") is None, "a refused create left nothing"
        remote_id = await connector.create_listing(dataclasses.replace(base, attributes=enough))
        found = await connector.find_by_sku("RUOU-01")
    assert found is not None and found.remote_id == remote_id
    item = rig.emulator.shop.get(remote_id)
    assert item is not None and len(item.data["attributes"]) == 2
    assert str(item.data["category_id"]) == leaf


@pytest.mark.parametrize("platform", sorted(REFUSALS))
async def test_the_refusal_names_the_attribute(platform: str) -> None:
    leaf, _enough, code, _bad, _bad_code = REFUSALS[platform]
    rig = Rig(platform)
    connector = await rig.connect()
    async with connector:
        with pytest.raises(RejectedError) as refused:
            await connector.create_listing(
                dataclasses.replace(
                    rig.draft("R-2"), category_id=leaf, attributes=REFUSALS[platform][1][:1]
                )
            )
    assert refused.value.code == code
    assert "Dung tích" in str(refused.value) or "Giấy phép" in str(refused.value)


@pytest.mark.parametrize("platform", ["voso", "postmart"])
async def test_mapped_leaves_take_no_mandatory_attribute_and_brands_are_checked(
    platform: str,
) -> None:
    """The category_map leaves stay creatable without attributes (the demo's products);
    a brand must be one of the category's own."""
    rig = Rig(platform)
    connector = await rig.connect()
    mapped = {str(v) for v in rig.settings.options["category_map"].values()}
    async with connector:
        leaves = {c.category_id for c in await connector.list_categories() if c.leaf}
        assert mapped <= leaves
        for leaf in sorted(mapped):
            attributes = await connector.category_attributes(leaf)
            assert not [a.key for a in attributes if a.mandatory], leaf
        leaf, enough, *_ = REFUSALS[platform]
        brands = await connector.category_brands(leaf)
        assert brands, "the rice-wine leaf has brands"
        good = dataclasses.replace(
            rig.draft("B-1"), category_id=leaf, attributes=enough, brand_id=brands[0].brand_id
        )
        await connector.create_listing(good)
        with pytest.raises(RejectedError):
            await connector.create_listing(dataclasses.replace(good, sku="B-2", brand_id="999"))
    item = rig.emulator.shop.by_sku("B-1")
    assert item is not None and str(item.data["brand_id"]) == brands[0].brand_id


async def test_the_portal_tree_is_the_ocop_groups_and_a_group_alone_still_creates() -> None:
    rig = Rig("portal")
    connector = await rig.connect()
    async with connector:
        tree = await connector.list_categories()
        created = await connector.create_listing(rig.draft("TRA-1"))
        with pytest.raises(RejectedError) as wrong_group:
            await connector.create_listing(
                dataclasses.replace(rig.draft("TRA-2"), category_id="food-processed")
            )
    tops = [c.category_id for c in tree if c.parent_id is None]
    assert tops == ["food", "beverage", "herbal", "textile", "handicraft"]
    assert all(c.leaf == (c.parent_id is not None) for c in tree)
    assert created and wrong_group.value.code == "invalid"


@pytest.mark.parametrize(
    ("platform", "code"),
    [("voso", "CATEGORY_NOT_FOUND"), ("postmart", "not_found"), ("portal", "not_found")],
)
async def test_an_unknown_category_is_refused_in_the_dialects_words(
    platform: str, code: str
) -> None:
    rig = Rig(platform)
    connector = await rig.connect()
    async with connector:
        with pytest.raises(RejectedError) as refused:
            await connector.category_attributes("987654")
    assert refused.value.code == code


CATALOG_PAIRS = {
    "voso": [("Nồng độ cồn", "29,5"), ("Dung tích", "500 ml")],
    "postmart": [("nồng độ cồn", "29.5"), ("dung tich", "500")],
    "portal": [("Nồng độ cồn", "29,5"), ("Giấy phép sản xuất rượu", "01/GP-SCT")],
}


@pytest.mark.parametrize("platform", sorted(REFUSALS))
async def test_what_planning_resolves_from_our_discovery_is_what_the_sandbox_takes(
    platform: str,
) -> None:
    """The catalog's own words plus the fixed mappings (origin, weight, OCOP stars),
    resolved against the attributes this connector reads, make a create the sandbox
    accepts; without the catalog's pairs the resolver reports what is missing."""
    leaf = REFUSALS[platform][0]
    rig = Rig(platform)
    connector = await rig.connect()
    base = dataclasses.replace(rig.draft("RUOU-9"), category_id=leaf)
    facts = ProductFacts(base.province, base.weight_g, base.stars)
    async with connector:
        specs = await connector.category_attributes(leaf)
        bare = resolve(specs, [], facts=facts)
        full = resolve(specs, CATALOG_PAIRS[platform], facts=facts)
        assert full.missing == ()
        await connector.create_listing(dataclasses.replace(base, attributes=full.values))
    assert len(bare.missing) == 2
    item = rig.emulator.shop.by_sku("RUOU-9")
    assert item is not None
    sent = {json.dumps(a, ensure_ascii=False, sort_keys=True) for a in item.data["attributes"]}
    assert any("29.5" in a for a in sent)
    if platform != "portal":  # the marketplaces carry an OCOP star attribute
        assert any("4 sao" in a for a in sent)


MALFORMED = [
    {"category_id": ["10462"]},
    {"attributes": "nồng độ cồn 29.5"},
    {"attributes": [{"attribute_id": ["x"], "value": "1"}]},
    {"attributes": [{"attribute_id": 10002, "value": "4 sao", "value_id": {"id": 1}}]},
    {"attributes": [{"code": ["x"], "key": {"k": 1}, "value": "1"}]},
    {"brand_id": [511]},
]


@pytest.mark.parametrize("change", MALFORMED)
async def test_malformed_creates_get_the_dialects_refusal_never_a_crash(
    change: dict[str, Any],
) -> None:
    sb = build_sandbox(["voso", "postmart", "portal"])
    image = ["https://img.test/a.jpg"]
    voso_body = {"seller_sku": "M-1", "name": "Rượu", "price": 1000, "quantity": 1}
    voso_body |= {"weight_gram": 500, "category_id": 10461, "images": image, **change}
    answer = await signed(sb, "POST", "/v1/shops/300001/products", voso_body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] is True
    pm_body = {"sku": "M-1", "name": "Rượu", "price": 1000, "stock": 1, "weight": 500}
    pm_body |= {"category_id": "do-uong", "images": image, **change}
    headers = await bearer(sb)
    answer = await raw(sb, "POST", "/api/seller/v2/products", json=pm_body, headers=headers)
    assert answer.status_code == 422, answer.text
    portal_body = {"sku": "M-1", "name": "Rượu", "price": 1000, "stock": 1, "group": "beverage"}
    portal_body |= change
    if "brand_id" in change:  # the portal has no brands: an unknown field is ignored
        return
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox/portal") as c:
        key = sb["portal"].credentials()["api_key"]
        answer = await c.post(
            "/api/v1/products", json=portal_body, headers={"Authorization": f"Bearer {key}"}
        )
    assert answer.status_code == 422, answer.text
