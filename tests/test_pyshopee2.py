"""The public ``pyshopee2`` client (not written here) against the Shopee sandbox on loopback.

pyshopee2 signs every non-public call as a Shop API over ``/api/v2/<module>/<api>``,
lower-cases its query keys and appends GET parameters unencoded; it posts JSON bodies.
If our emulator drifts from what a real client sends (paths, parameters, signing,
body shapes) or answers, these tests fail. Its ``execute`` prints every URL; pytest
captures that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

pyshopee2 = pytest.importorskip("pyshopee2")  # imports selenium at import time

from ocopsync.sandbox import build_sandbox  # noqa: E402
from ocopsync.sandbox.shopee import ShopeeSandbox  # noqa: E402
from ocopsync.sandbox.shopee_state import PLACEHOLDER_IMAGE_ID  # noqa: E402
from ocopsync.serve import serve_in_thread  # noqa: E402

HONEY = 100631


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ShopeeSandbox, Any]]:
    sandbox = build_sandbox(["shopee"])
    shopee = cast(ShopeeSandbox, sandbox["shopee"])
    with serve_in_thread(sandbox.app) as root:
        client = pyshopee2.Client(
            shopee.shop_id,
            shopee.partner_id,
            shopee.partner_key,
            "https://coop.example/callback",
            code=shopee.authorization_code(),
        )
        client.host = f"{root.rstrip('/')}/shopee"
        client.BASE_URL = client.host
        client.get_token()
        yield shopee, client


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer.get("error") == "", answer
    return cast(dict[str, Any], answer["response"])


def test_get_category_is_the_tree(served: tuple[ShopeeSandbox, Any]) -> None:
    _shopee, client = served
    categories = ok(client.product.get_category(language="vi"))["category_list"]
    names = {c["display_category_name"] for c in categories}
    assert {"Trà", "Mật ong", "Gốm sứ"} <= names


def test_get_attributes_says_what_is_mandatory(served: tuple[ShopeeSandbox, Any]) -> None:
    _shopee, client = served
    attributes = ok(client.product.get_attributes(category_id=HONEY, language="vi"))
    by_name = {a["display_attribute_name"]: a for a in attributes["attribute_list"]}
    origin = by_name["Xuất xứ"]
    assert origin["is_mandatory"] is True and origin["input_type"] == "DROP_DOWN"
    assert {"value_id": 1001, "display_value_name": "Việt Nam"}.items() <= {
        **origin["attribute_value_list"][0]
    }.items()


def test_get_brand_list_pages(served: tuple[ShopeeSandbox, Any]) -> None:
    _shopee, client = served
    first = ok(client.product.get_brand_list(category_id=100860, status=1, offset=0, page_size=2))
    assert first["has_next_page"] is True and first["next_offset"] == 2
    assert first["brand_list"][0]["brand_id"] == 0
    rest = ok(client.product.get_brand_list(category_id=100860, status=1, offset=2, page_size=100))
    assert rest["has_next_page"] is False and len(first["brand_list"] + rest["brand_list"]) == 7


def test_item_limit_and_channels(served: tuple[ShopeeSandbox, Any]) -> None:
    _shopee, client = served
    limits = ok(client.product.get_item_limit(category_id=HONEY))
    assert limits["item_image_count_limit"]["max_limit"] == 9
    channels = ok(client.logistics.get_channel_list())["logistics_channel_list"]
    assert {c["logistics_channel_id"] for c in channels if c["enabled"]} == {50011, 50021}


def _item(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_name": "Mật ong rừng U Minh",
        "description": "Mật ong rừng nguyên chất",
        "original_price": 180000,
        "seller_stock": [{"stock": 10}],
        "weight": 0.7,
        "category_id": HONEY,
        "image": {"image_id_list": [PLACEHOLDER_IMAGE_ID]},
        "logistic_info": [{"logistic_id": 50011, "enabled": True}],
        "brand": {"brand_id": 0, "original_brand_name": "No Brand"},
    }
    return body | overrides


def test_add_item_with_attributes_then_price_and_stock(served: tuple[ShopeeSandbox, Any]) -> None:
    shopee, client = served
    refused = client.product.add_item(**_item(item_sku="PY-MO-0"))
    # pyshopee2 turns any non-2xx answer into {"error": <HTTP status>}; the sandbox
    # answers a refusal with 400 (facts §4: the status is our choice).
    assert refused["error"] == 400 and "PY-MO-0" not in shopee.snapshot()
    attributes = [
        {"attribute_id": 100134, "attribute_value_list": [{"value_id": 1001}]},
        {"attribute_id": 100095, "attribute_value_list": [{"value_id": 2004}]},
        {
            "attribute_id": 100010,
            "attribute_value_list": [
                {"value_id": 0, "original_value_name": "700", "value_unit": "g"}
            ],
        },
    ]
    item = ok(client.product.add_item(**_item(item_sku="PY-MO-1", attribute_list=attributes)))
    item_id = item["item_id"]
    names = {a["original_attribute_name"] for a in item["attribute_list"]}
    assert names == {"Country of Origin", "Shelf Life", "Weight"}

    price = ok(
        client.product.update_price(
            item_id=item_id, price_list=[{"model_id": 0, "original_price": 175000}]
        )
    )
    assert price["success_list"] == [{"model_id": 0, "original_price": 175000}]
    stock = ok(
        client.product.update_stock(
            item_id=item_id, stock_list=[{"model_id": 0, "seller_stock": [{"stock": 6}]}]
        )
    )
    assert stock["failure_list"] == []
    seen = shopee.snapshot()["PY-MO-1"]
    assert (seen["price"], seen["stock"]) == (175000, 6)

    info = ok(client.product.get_item_base_info(item_id_list=item_id))["item_list"][0]
    assert info["price_info"][0]["original_price"] == 175000


def test_models_through_pyshopee2(served: tuple[ShopeeSandbox, Any]) -> None:
    _shopee, client = served
    attributes = [
        {"attribute_id": 100134, "attribute_value_list": [{"value_id": 1001}]},
        {"attribute_id": 100095, "attribute_value_list": [{"value_id": 2003}]},
    ]
    item_id = ok(client.product.add_item(**_item(item_sku="PY-MO-P", attribute_list=attributes)))[
        "item_id"
    ]
    tiers = [{"name": "Dung tích", "option_list": [{"option": "250 ml"}, {"option": "500 ml"}]}]
    models = [
        {"tier_index": [n], "model_sku": f"PY-MO-{ml}", "original_price": price,
         "seller_stock": [{"stock": 3}]}
        for n, (ml, price) in enumerate([(250, 95000), (500, 180000)])
    ]  # fmt: skip
    created = ok(
        client.product.init_tier_variation(item_id=item_id, tier_variation=tiers, model=models)
    )
    model_id = {m["model_sku"]: m["model_id"] for m in created["model"]}["PY-MO-500"]
    answer = ok(
        client.product.update_price(
            item_id=item_id, price_list=[{"model_id": model_id, "original_price": 170000}]
        )
    )
    assert answer["success_list"][0]["model_id"] == model_id
    listed = ok(client.product.get_model_list(item_id=item_id))["model"]
    prices = {m["model_sku"]: m["price_info"][0]["original_price"] for m in listed}
    assert prices == {"PY-MO-250": 95000, "PY-MO-500": 170000}
    wrong = ok(
        client.product.update_price(
            item_id=item_id, price_list=[{"model_id": 0, "original_price": 1000}]
        )
    )
    assert wrong["failure_list"][0]["failed_reason"] == "Wrong model_id."
