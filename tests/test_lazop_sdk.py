"""The Lazada sandbox driven by Lazada's own Python SDK (``lazop-sdk``, not written here),
served on loopback: if the emulator drifts from what a real client sends (its signing
with ``partner_id``, form posts, multipart uploads, GET queries), these fail.

The SDK signs with the wall clock, so the sandbox runs on the real clock; nothing here
waits on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

lazop = pytest.importorskip("lazop_sdk")

from ocopsync.sandbox import build_sandbox  # noqa: E402
from ocopsync.sandbox.base import TINY_PNG  # noqa: E402
from ocopsync.sandbox.lazada import LazadaSandbox  # noqa: E402
from ocopsync.serve import serve_in_thread  # noqa: E402


class Sdk:
    """The SDK's two clients (API gateway, auth server) and a seller's token."""

    def __init__(self, root: str, lazada: LazadaSandbox) -> None:
        self.lazada = lazada
        self.api = lazop.LazopClient(f"{root}/lazada/rest", lazada.app_key, lazada.app_secret)
        auth = lazop.LazopClient(f"{root}/lazada/auth/rest", lazada.app_key, lazada.app_secret)
        request = lazop.LazopRequest("/auth/token/create")
        request.add_api_param("code", lazada.authorization_code())
        answer = auth.execute(request)
        assert answer.code == "0", answer.body
        self.token: str = answer.body["access_token"]

    def call(
        self,
        api: str,
        params: dict[str, str],
        *,
        method: str = "POST",
        token: bool = True,
        **files: bytes,
    ) -> dict[str, Any]:
        request = lazop.LazopRequest(api, method)
        for key, value in params.items():
            request.add_api_param(key, value)
        for key, data in files.items():
            request.add_file_param(key, data)
        body: dict[str, Any] = self.api.execute(request, self.token if token else None).body
        return body


@pytest.fixture
def sdk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sdk]:
    monkeypatch.setenv("HOME", str(tmp_path))  # the SDK writes its error log under ~/logs
    sandbox = build_sandbox(["lazada"])
    lazada = sandbox["lazada"]
    assert isinstance(lazada, LazadaSandbox)
    with serve_in_thread(sandbox.app) as root:
        yield Sdk(root, lazada)


def test_discovery_through_the_sdk(sdk: Sdk) -> None:
    tree = sdk.call("/category/tree/get", {"language_code": "vi_VN"}, method="GET", token=False)
    assert tree["code"] == "0"
    assert tree["data"][0]["children"][0]["children"][0]["leaf"] is True
    attributes = sdk.call(
        "/category/attributes/get", {"primary_category_id": "10000341"}, method="GET", token=False
    )
    mandatory = {a["name"] for a in attributes["data"] if a["is_mandatory"] == 1}
    assert {"name", "brand", "country_origin", "shelf_life"} <= mandatory
    first = sdk.call("/category/brands/query", {"startRow": "0", "pageSize": "20"}, method="GET")
    second = sdk.call("/category/brands/query", {"startRow": "20", "pageSize": "20"})
    assert first["data"]["module"][0]["name"] == "No Brand"
    assert len(first["data"]["module"]) == len(second["data"]["module"]) == 20
    assert first["data"]["total_record"] > 40
    assert {b["brand_id"] for b in first["data"]["module"]}.isdisjoint(
        b["brand_id"] for b in second["data"]["module"]
    )


def _payload(attributes: dict[str, str], image: str) -> str:
    product = {
        "Request": {
            "Product": {
                "PrimaryCategory": "10000341",
                "Images": {"Image": [image]},
                "Attributes": {
                    "name": "Mật ong bạc hà Hà Giang",
                    "description": "Mật ong OCOP 4 sao",
                    "brand_id": "40001",
                    **attributes,
                },
                "Skus": {
                    "Sku": [
                        {
                            "SellerSku": "SDK-MO-1",
                            "quantity": "10",
                            "price": "120000",
                            "package_weight": "0.6",
                            "package_length": "10",
                            "package_width": "10",
                            "package_height": "15",
                        }
                    ]
                },
            }
        }
    }
    return json.dumps(product, ensure_ascii=False)


def test_create_with_attributes_then_price_and_stock_through_the_sdk(sdk: Sdk) -> None:
    uploaded = sdk.call("/image/upload", {}, image=TINY_PNG)
    assert uploaded["code"] == "0", uploaded
    image = uploaded["data"]["image"]["url"]

    refused = sdk.call(
        "/product/create", {"payload": _payload({"country_origin": "Vietnam"}, image)}
    )
    assert refused["code"] == "4110"
    assert [d["field"] for d in refused["detail"]] == ["shelf_life"]

    attributes = {"country_origin": "Vietnam", "shelf_life": "24 Months"}
    created = sdk.call("/product/create", {"payload": _payload(attributes, image)})
    assert created["code"] == "0", created
    sku = created["data"]["sku_list"][0]
    item_id = created["data"]["item_id"]

    xml = (
        "<Request><Product><Skus><Sku>"
        f"<ItemId>{item_id}</ItemId><SkuId>{sku['sku_id']}</SkuId>"
        "<SellerSku>SDK-MO-1</SellerSku><Price>115000</Price><Quantity>7</Quantity>"
        "</Sku></Skus></Product></Request>"
    )
    assert sdk.call("/product/price_quantity/update", {"payload": xml})["code"] == "0"

    read = sdk.call(
        "/products/get",
        {"filter": "all", "limit": "10", "sku_seller_list": '["SDK-MO-1"]'},
        method="GET",
    )
    product = read["data"]["products"][0]
    assert product["attributes"]["shelf_life"] == "24 Months"
    assert product["attributes"]["brand"] == "Mật ong Bạc Hà"
    assert (product["skus"][0]["price"], product["skus"][0]["quantity"]) == (115000.0, 7)


def test_a_wrong_secret_is_refused(sdk: Sdk) -> None:
    sdk.api = lazop.LazopClient(sdk.api._server_url, sdk.lazada.app_key, "not-the-secret")
    answer = sdk.call("/category/tree/get", {}, method="GET", token=False)
    assert answer["code"] == "IncompleteSignature"
