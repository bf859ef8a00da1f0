"""Lazada discovery: the category tree, a leaf's attributes, the brands page by page,
the documented item limits, and CreateProduct refusing what a category makes mandatory."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx

from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.base import AttributeValue, Discovery
from ocopsync.connectors.lazada import LazadaConnector
from ocopsync.errors import RejectedError
from ocopsync.sandbox.lazada_brands import BRANDS, NO_BRAND_ID
from tests.test_lazada_connector import BASE, SECRET, make, ok, using
from tests.test_lazada_sandbox import Rig, draft, listings, run


@pytest.fixture
def rig() -> Rig:
    from tests.test_lazada_sandbox import Clock

    return Rig(Clock())


def query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True))


# -- against the sandbox ----------------------------------------------------------------


def test_the_connector_implements_discovery(rig: Rig) -> None:
    connector = rig.connector()
    assert isinstance(connector, Discovery)
    assert connector.capabilities.discovery
    run(connector.aclose())


def test_tree_leaves_include_every_mapped_category(rig: Rig) -> None:
    async def go() -> Any:
        async with rig.connector() as c:
            return await c.list_categories()

    tree = run(go())
    leaves = {c.category_id for c in tree if c.leaf}
    assert {"10000339", "10000341", "10000342", "10000344", "10000467"} <= leaves
    assert {c.name for c in tree} >= {"Mật ong", "Trà", "Rượu truyền thống"}


def test_attributes_of_a_leaf_name_mandatory_ones_and_allowed_values(rig: Rig) -> None:
    async def go() -> tuple[Any, Any, Any]:
        async with rig.connector() as c:  # no token: GetCategoryAttributes is public
            return (
                await c.category_attributes("10000342"),
                await c.category_attributes("10000341"),
                await c.category_attributes("10000344"),
            )

    tea, honey, spirits = run(go())
    by_key = {a.key: a for a in tea}
    origin = by_key["country_origin"]
    assert (origin.name, origin.mandatory, origin.input_type) == ("Xuất xứ", True, "single_select")
    # people read the Vietnamese option names; a create sends the en_name (below)
    assert ("1001", "Việt Nam") in {(o.value_id, o.name) for o in origin.options}
    assert not by_key["shelf_life"].mandatory
    # what the connector fills from the draft itself is not asked of the catalog
    assert not {"name", "brand", "description", "price", "package_weight"} & by_key.keys()
    assert {a.key for a in honey if a.mandatory} == {"country_origin", "shelf_life"}
    alcohol = {a.key: a for a in spirits}["alcohol_content"]
    assert (alcohol.mandatory, alcohol.input_type, alcohol.name) == (
        True,
        "float",
        "Nồng độ cồn (%)",
    )
    assert rig.lazada.requests == 3


def test_attributes_answer_in_the_real_shape_and_refuse_unknown_categories(rig: Rig) -> None:
    async def go() -> tuple[Any, Any, Any]:
        async with rig.client() as client:
            answers = []
            for category in ("10000467", "99", "10000300"):
                params = rig.signed(
                    "/category/attributes/get", {"primary_category_id": category}, None
                )
                answers.append((await client.get("/category/attributes/get", params=params)).json())
            return tuple(answers)

    cloth, unknown, parent = run(go())
    size = next(a for a in cloth["data"] if a["name"] == "size")
    assert size["attribute_type"] == "sku" and size["is_sale_prop"] == 1
    assert set(size) == {
        "advanced",
        "is_sale_prop",
        "name",
        "input_type",
        "options",
        "is_mandatory",
        "attribute_type",
        "label",
        "id",
    }
    assert size["options"][0] == {"name": "S", "en_name": "S", "id": 4001}
    assert (unknown["code"], unknown["message"]) == ("4227", "Query category is null")
    assert parent["code"] == "57"


def test_brands_come_back_every_page(rig: Rig) -> None:
    async def go() -> Any:
        async with rig.connector() as c:
            return await c.category_brands("10000342")

    brands = run(go())
    assert len(brands) == len(BRANDS) > 200
    assert brands[0].brand_id == str(NO_BRAND_ID) and brands[0].name == "No Brand"
    assert len({b.brand_id for b in brands}) == len(brands)
    assert rig.lazada.requests == 2  # 200 a page


def test_item_limits_are_the_documented_ones_and_cost_no_request(rig: Rig) -> None:
    async def go() -> Any:
        async with rig.connector() as c:
            return await c.item_limits("10000342")

    limits = run(go())
    assert (limits.name_max, limits.description_max, limits.images_max) == (255, 25000, 8)
    assert limits.image_max_bytes == 1024 * 1024
    assert set(limits.image_formats) == {"jpg", "jpeg", "png"}
    assert limits.variants_max == 50
    assert rig.lazada.requests == 0


def test_create_missing_a_mandatory_attribute_is_refused_then_accepted(rig: Rig) -> None:
    honey = draft("MO-HG-1", category_id="10000341")

    async def refused() -> RejectedError:
        async with await rig.authorized() as c:
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(honey)
            return caught.value

    error = run(refused())
    assert error.code == "4110"
    assert "shelf_life" in error.message and "Hạn sử dụng" in error.message
    assert rig.lazada.snapshot() == {}

    given = draft(
        "MO-HG-1",
        category_id="10000341",
        attributes=(AttributeValue("shelf_life", "24 tháng", "2005"),),
    )

    async def accepted() -> tuple[str, dict[str, Any]]:
        async with await rig.authorized() as c:
            remote_id = await c.create_listing(given)
            return remote_id, await listings(c)

    remote_id, found = run(accepted())
    assert found["MO-HG-1"].remote_id == remote_id
    item_id = remote_id.split(":")[0]
    product = rig.lazada.catalog.render(rig.lazada.catalog.product(item_id))
    assert product["primary_category"] == 10000341
    # the option chosen by its id goes out as its en_name, as Lazada's guide asks
    assert product["attributes"]["shelf_life"] == "24 Months"
    assert product["attributes"]["country_origin"] == "Vietnam"


def test_a_value_outside_the_options_and_an_unknown_brand_are_refused(rig: Rig) -> None:
    async def go() -> list[RejectedError]:
        errors = []
        async with await rig.authorized() as c:
            for bad in (
                draft("B-1", attributes=(AttributeValue("country_origin", "Lào"),)),
                draft("B-2", brand_id="123"),
                draft(
                    "B-3",
                    category_id="10000344",
                    attributes=(AttributeValue("alcohol_content", "mạnh"),),
                ),
            ):
                with pytest.raises(RejectedError) as caught:
                    await c.create_listing(bad)
                errors.append(caught.value)
        return errors

    option, brand, number = run(go())
    assert option.code == "4115" and "Vietnam" in option.message
    assert brand.code == "4142"
    assert number.code == "4107"


def test_the_brand_is_sent_by_id(rig: Rig) -> None:
    async def go() -> str:
        async with await rig.authorized() as c:
            return await c.create_listing(draft("BR-1", brand_id="40000", brand="Tân Cương"))

    item_id = run(go()).split(":")[0]
    product = rig.lazada.catalog.render(rig.lazada.catalog.product(item_id))
    assert product["attributes"]["brand_id"] == "40000"
    assert product["attributes"]["brand"] == "Trà Tân Cương Thái Nguyên"


def test_missing_for_create_uses_the_drafts_own_category() -> None:
    connector, _ = make()
    assert connector.missing_for_create(draft("X", group="textile", category_id="10000467")) == []
    assert connector.missing_for_create(draft("X", group="textile")) == [
        "no category for group 'textile' in options.category_map"
    ]
    run(connector.aclose())


# -- exact requests ---------------------------------------------------------------------


@respx.mock(base_url=BASE, assert_all_called=True)
def test_attribute_and_brand_requests_are_public_and_signed(respx_mock) -> None:
    attributes = respx_mock.get("/category/attributes/get").mock(
        return_value=ok(
            [
                {
                    "id": 9,
                    "name": "country_origin",
                    "label": "Xuất xứ",
                    "is_mandatory": 1,
                    "attribute_type": "normal",
                    "input_type": "singleSelect",
                    "is_sale_prop": 0,
                    "options": [{"id": 1, "name": "Việt Nam", "en_name": "Vietnam"}],
                    "advanced": {"is_key_prop": 1},
                },
                {
                    "id": 1,
                    "name": "name",
                    "label": "Name",
                    "is_mandatory": 1,
                    "attribute_type": "normal",
                    "input_type": "text",
                },
                {
                    "id": 2,
                    "name": "__images__",
                    "label": "Images",
                    "is_mandatory": 0,
                    "attribute_type": "sku",
                    "input_type": "img",
                },
            ]
        )
    )
    pages = [
        [
            {"brand_id": str(i), "name": f"B{i}", "global_identifier": "b", "name_en": "B"}
            for i in range(start, min(start + 200, 250))
        ]
        for start in (0, 200)
    ]
    brands = respx_mock.get("/category/brands/query").mock(
        side_effect=[ok({"module": page, "total_record": "250"}) for page in pages]
    )
    connector, _ = make()

    async def go() -> tuple[Any, Any]:
        return await connector.category_attributes("10000342"), await connector.category_brands(
            "10000342"
        )

    found, listed = run(using(connector, go()))
    assert [a.key for a in found] == ["country_origin"]
    assert found[0].options[0].name == "Việt Nam"
    assert len(listed) == 250
    sent = query(attributes.calls[0].request)
    assert sent["primary_category_id"] == "10000342" and sent["language_code"] == "vi_VN"
    assert "access_token" not in sent
    assert sent["sign"] == lp.sign("/category/attributes/get", sent, SECRET)
    rows = [query(call.request) for call in brands.calls]
    assert [(r["startRow"], r["pageSize"]) for r in rows] == [("0", "200"), ("200", "200")]
    assert all("access_token" not in r for r in rows)
    assert all(r["sign"] == lp.sign("/category/brands/query", r, SECRET) for r in rows)


def test_item_limits_send_nothing() -> None:
    connector: LazadaConnector
    connector, _ = make()
    with respx.mock(assert_all_called=False) as mock:
        limits = run(using(connector, connector.item_limits("10000342")))
        assert not mock.calls
    assert limits.images_max == 8
