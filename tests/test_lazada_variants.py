"""Lazada products of several SKUs: created from a draft's variants, adopted by seller
SKU, priced and stocked per SKU, grown by a new SKU, and what the sandbox refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from ocopsync.connectors.base import (
    AttributeValue,
    ListingStatus,
    PriceUpdate,
    StatusChange,
    StockUpdate,
)
from ocopsync.errors import RejectedError
from ocopsync.records import Variant
from tests.test_lazada_connector import BASE, make, ok, payload, using
from tests.test_lazada_sandbox import Clock, Rig, draft, listings, run

SIZES = (
    Variant("MO-250", "250 g", 65_000, 12, weight_g=300),
    Variant("MO-500", "500 g", 120_000, 8, weight_g=550),
    Variant("MO-1KG", "1 kg", 230_000, 3, weight_g=1050),
)


@pytest.fixture
def rig() -> Rig:
    return Rig(Clock())


def multi(**kw: Any) -> Any:
    values: dict[str, Any] = {"variant_name": "Khối lượng", "variants": SIZES}
    values.update(kw)
    return draft("MO", **values)


def test_a_draft_with_variants_becomes_one_product_of_one_sku_each(rig: Rig) -> None:
    async def go() -> tuple[str, dict[str, Any]]:
        async with await rig.authorized() as c:
            item_id = await c.create_listing(multi())
            return item_id, await listings(c)

    item_id, found = run(go())
    assert item_id.isdigit()
    assert set(found) == {"MO-250", "MO-500", "MO-1KG"}
    for variant in SIZES:
        got = found[variant.sku]
        assert (got.price, got.stock, got.group_id) == (variant.price, variant.stock, item_id)
        assert got.remote_id.startswith(f"{item_id}:") and got.status is ListingStatus.LIVE
    product = rig.lazada.catalog.render(rig.lazada.catalog.product(item_id))
    assert product["variation"]["Variation1"]["name"] == "Khối lượng"
    assert product["variation"]["Variation1"]["options"] == ["250 g", "500 g", "1 kg"]
    assert [s["saleProp"] for s in product["skus"]] == [
        {"Khối lượng": "250 g"},
        {"Khối lượng": "500 g"},
        {"Khối lượng": "1 kg"},
    ]
    assert [s["package_weight"] for s in product["skus"]] == ["0.3", "0.55", "1.05"]
    assert rig.lazada.snapshot()["MO-500"]["remote_id"] == found["MO-500"].remote_id


def test_an_existing_multi_sku_product_is_adopted_and_one_sku_corrected(rig: Rig) -> None:
    item_id = rig.lazada.seed_product(
        "Mật ong bạc hà Hà Giang",
        "Dung tích",
        [("HG-MO-250", "250 ml", 70_000, 5), ("HG-MO-500", "500 ml", 125_000, 9)],
    )
    rig.lazada.seed("HG-TRA", "Trà Shan tuyết", 90_000, 4)

    async def go() -> tuple[Any, Any, list[Any], dict[str, Any]]:
        async with await rig.authorized() as c:
            adopted = await c.find_by_sku("HG-MO-500")
            assert adopted is not None
            single = await c.find_by_sku("HG-TRA")
            results = await c.update_prices(
                [PriceUpdate(adopted.remote_id, "HG-MO-500", 119_000)]
            ) + await c.update_stocks([StockUpdate(adopted.remote_id, "HG-MO-500", 20)])
            back = await c.get_listings([adopted.remote_id])
            return adopted, single, [*results, *back], await listings(c)

    adopted, single, outcome, found = run(go())
    assert adopted.group_id == item_id and adopted.price == 125_000
    assert (
        single.group_id == "" and single.remote_id == rig.lazada.snapshot()["HG-TRA"]["remote_id"]
    )
    *results, back = outcome
    assert all(r.ok for r in results)
    assert (back.seller_sku, back.price, back.stock) == ("HG-MO-500", 119_000, 20)
    assert (found["HG-MO-250"].price, found["HG-MO-250"].stock) == (70_000, 5)
    snapshot = rig.lazada.snapshot()
    assert snapshot["HG-MO-500"]["price"] == 119_000 and snapshot["HG-MO-250"]["price"] == 70_000


def test_a_new_variant_joins_the_existing_product(rig: Rig) -> None:
    item_id = rig.lazada.seed_product(
        "Mật ong bạc hà", "Dung tích", [("HG-MO-250", "250 ml", 70_000, 5)]
    )
    more = draft(
        "HG-MO",
        group_remote_id=item_id,
        variant_name="Dung tích",
        variants=(Variant("HG-MO-1L", "1 lít", 230_000, 2),),
    )

    async def go() -> tuple[str, dict[str, Any]]:
        async with await rig.authorized() as c:
            assert c.missing_for_create(more) == []
            group = await c.create_listing(more)
            return group, await listings(c)

    group, found = run(go())
    assert group == item_id
    assert found["HG-MO-1L"].group_id == item_id and found["HG-MO-1L"].price == 230_000
    assert found["HG-MO-250"].group_id == item_id
    product = rig.lazada.catalog.render(rig.lazada.catalog.product(item_id))
    assert product["variation"]["Variation1"]["options"] == ["250 ml", "1 lít"]


def test_unlisting_one_sku_leaves_the_others_live(rig: Rig) -> None:
    async def go() -> dict[str, Any]:
        async with await rig.authorized() as c:
            await c.create_listing(multi())
            found = await listings(c)
            await c.set_status(
                [StatusChange(found["MO-1KG"].remote_id, "MO-1KG", ListingStatus.UNLISTED)]
            )
            return await listings(c)

    found = run(go())
    assert found["MO-1KG"].status is ListingStatus.UNLISTED
    assert found["MO-250"].status is ListingStatus.LIVE


def test_variants_lazada_cannot_take_are_reported_before_any_request(rig: Rig) -> None:
    connector = rig.connector()
    long_label = Variant("X-1", "hộp quà tặng cao cấp 12 lọ", 1, 1)
    twins = (Variant("X-2", "500 g", 1, 1), Variant("X-3", "500 g", 1, 1))
    assert connector.missing_for_create(multi(variants=(long_label,))) == [
        "variant label 'hộp quà tặng cao cấp 12 lọ' must have 1 to 20 characters on Lazada"
    ]
    assert connector.missing_for_create(multi(variants=twins)) == [
        "two variants share a label: Lazada needs one option per SKU"
    ]
    assert connector.missing_for_create(multi(variant_name="Trọng lượng tịnh hộp")) == [
        "variant name 'Trọng lượng tịnh hộp' is longer than Lazada's 15 characters"
    ]
    run(connector.aclose())
    assert rig.lazada.requests == 0


def _create(rig: Rig, product: dict[str, Any]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with await rig.authorized():
            token = rig.token()
        async with rig.client() as client:
            params = rig.signed("/product/create", {"payload": json.dumps(product)}, token)
            answer: dict[str, Any] = (await client.post("/product/create", data=params)).json()
            return answer

    return run(go())


def _sku(seller_sku: str, **extra: Any) -> dict[str, Any]:
    return {
        "SellerSku": seller_sku,
        "price": "50000",
        "quantity": "3",
        "package_weight": "0.5",
        "package_length": "10",
        "package_width": "10",
        "package_height": "10",
        **extra,
    }


def _product(skus: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "Request": {
            "Product": {
                "PrimaryCategory": "10000467",
                "Images": {"Image": ["https://vn-live.slatic.net/p/a.jpg"]},
                "Attributes": {"name": "Khăn thổ cẩm", "brand": "No Brand"},
                "Skus": {"Sku": skus},
                **extra,
            }
        }
    }


def test_the_sandbox_refuses_skus_without_distinct_sale_properties(rig: Rig) -> None:
    bare = _create(rig, _product([_sku("K-1"), _sku("K-2")]))
    same = _create(
        rig, _product([_sku("K-1", saleProp={"size": "M"}), _sku("K-2", saleProp={"size": "M"})])
    )
    undeclared = _create(
        rig,
        _product(
            [_sku("K-1", saleProp={"Màu": "đỏ"})],
            variation={"variation1": {"name": "Màu", "customize": True, "options": ["xanh"]}},
        ),
    )
    standard = _create(
        rig, _product([_sku("K-1", saleProp={"size": "M"}), _sku("K-2", saleProp={"size": "L"})])
    )
    assert bare["code"] == "4113"
    assert same["code"] == "4112"
    assert undeclared["code"] == "SKU_VARIATION_OPTION_NOT_EXIST"
    assert standard["code"] == "0" and len(standard["data"]["sku_list"]) == 2
    assert set(rig.lazada.snapshot()) == {"K-1", "K-2"}


def test_a_repeated_seller_sku_in_one_payload_is_refused(rig: Rig) -> None:
    answer = _create(
        rig, _product([_sku("K-1", saleProp={"size": "M"}), _sku("K-1", saleProp={"size": "L"})])
    )
    assert answer["code"] == "4105"
    assert rig.lazada.snapshot() == {}


def test_a_refused_variant_create_raises(rig: Rig) -> None:
    bad = multi(variants=(Variant("MO-250", "250 g", 65_000, 1), Variant("X", "1 kg", 1, 1)))
    rig.lazada.seed("MO-250", "đã có", 1, 1)

    async def go() -> RejectedError:
        async with await rig.authorized() as c:
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(bad)
            return caught.value

    assert run(go()).code == "4135"


@respx.mock(base_url=BASE, assert_all_called=True)
def test_the_create_payload_of_a_draft_with_variants_is_exact(respx_mock) -> None:
    respx_mock.get("/category/attributes/get").mock(
        return_value=ok(
            [
                {"name": "gift_box", "label": "Hộp quà", "is_mandatory": 0,
                 "attribute_type": "sku", "input_type": "text", "id": 7},
                {"name": "shelf_life", "label": "Hạn sử dụng", "is_mandatory": 1,
                 "attribute_type": "normal", "input_type": "text", "id": 8},
            ]
        )
    )  # fmt: skip
    sku_list = [
        {"seller_sku": v.sku, "shop_sku": f"77_VNAMZ-{n}", "sku_id": n}
        for n, v in enumerate(SIZES[:2], start=501)
    ]
    create = respx_mock.post("/product/create").mock(
        return_value=ok({"item_id": 77, "sku_list": sku_list, "item_status": "Active"})
    )
    connector, _ = make()
    variants = multi(
        variants=SIZES[:2],
        group="beverage",
        brand_id="40000",
        image_urls=("https://vn-live.slatic.net/p/m.jpg",),
        attributes=(
            AttributeValue("shelf_life", "24 Months", "2005"),
            AttributeValue("gift_box", "Có"),
        ),
    )
    assert run(using(connector, connector.create_listing(variants))) == "77"
    product = payload(create.calls[0].request)["Request"]["Product"]
    assert product["PrimaryCategory"] == "10000342"
    assert product["Attributes"] == {
        "name": "Mật ong bạc hà MO",
        "description": "Mật ong OCOP 4 sao, Hà Giang",
        "brand_id": "40000",
        "country_origin": "Vietnam",
        "shelf_life": "24 Months",
    }
    assert product["variation"] == {
        "variation1": {
            "name": "Khối lượng",
            "hasImage": False,
            "customize": True,
            "options": {"option": ["250 g", "500 g"]},
        }
    }
    first, second = product["Skus"]["Sku"]
    assert first == {
        "SellerSku": "MO-250",
        "quantity": "12",
        "price": "65000",
        "package_weight": "0.3",
        "package_length": "20",
        "package_width": "15",
        "package_height": "10",
        "package_content": "1 x Mật ong bạc hà MO 250 g",
        "gift_box": "Có",
        "saleProp": {"Khối lượng": "250 g"},
    }
    assert (second["SellerSku"], second["saleProp"]) == ("MO-500", {"Khối lượng": "500 g"})


def test_create_with_associated_sku_adds_to_that_product(rig: Rig) -> None:
    item_id = rig.lazada.seed_product("Khăn", "Màu", [("KH-DO", "đỏ", 90_000, 2)])
    answer = _create(
        rig,
        {
            "Request": {
                "Product": {
                    "AssociatedSku": "KH-DO",
                    "variation": {
                        "variation1": {"name": "Màu", "customize": True, "options": ["xanh"]}
                    },
                    "Skus": {"Sku": [_sku("KH-XANH", saleProp={"Màu": "xanh"})]},
                }
            }
        },
    )
    assert answer["code"] == "0" and answer["data"]["item_id"] == int(item_id)
    assert [s["seller_sku"] for s in answer["data"]["sku_list"]] == ["KH-XANH"]
    skus = rig.lazada.catalog.render(rig.lazada.catalog.product(item_id))["skus"]
    assert [s["saleProp"] for s in skus] == [{"Màu": "đỏ"}, {"Màu": "xanh"}]
