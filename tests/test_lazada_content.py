"""Lazada content updates (UpdateProduct) and images moved within Lazada's rules."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from ocopsync.connectors.base import AttributeValue, ContentUpdates
from ocopsync.errors import RejectedError
from ocopsync.records import Variant
from ocopsync.sandbox.base import TINY_PNG
from tests.test_lazada_connector import BASE, form, make, ok, using
from tests.test_lazada_sandbox import ROOT, Clock, Rig, draft, listings, run


@pytest.fixture
def rig() -> Rig:
    return Rig(Clock())


def product_of(rig: Rig, remote_id: str) -> dict[str, Any]:
    catalog = rig.lazada.catalog
    head = catalog.product(remote_id.split(":")[0])
    assert head is not None
    return catalog.render(head)


def test_name_description_attributes_and_images_follow_the_catalog(rig: Rig) -> None:
    changed = draft(
        "CT-1",
        name="Mật ong bạc hà Hà Giang 500 g",
        description="Mật ong OCOP 5 sao",
        image_urls=("https://ocop.example.vn/img/moi.jpg", "https://ocop.example.vn/img/2.jpg"),
        attributes=(AttributeValue("shelf_life", "18 Months", "2004"),),
    )

    async def go() -> tuple[str, dict[str, Any]]:
        async with await rig.authorized() as c:
            assert isinstance(c, ContentUpdates) and c.capabilities.content_updates
            remote_id = await c.create_listing(draft("CT-1"))
            await c.update_content(
                remote_id, changed, ["name", "description", "attributes", "image_urls"]
            )
            return remote_id, await listings(c)

    remote_id, found = run(go())
    product = product_of(rig, remote_id)
    assert found["CT-1"].name == "Mật ong bạc hà Hà Giang 500 g"
    assert product["attributes"]["description"] == "Mật ong OCOP 5 sao"
    assert product["attributes"]["shelf_life"] == "18 Months"
    assert len(product["images"]) == 2 and all(".slatic.net/" in u for u in product["images"])
    assert found["CT-1"].remote_id == remote_id  # ids survive an edit


def test_only_the_fields_asked_for_change(rig: Rig) -> None:
    async def go() -> str:
        async with await rig.authorized() as c:
            remote_id = await c.create_listing(draft("CT-2"))
            await c.update_content(remote_id, draft("CT-2", name="Tên mới"), ["name"])
            return remote_id

    product = product_of(rig, run(go()))
    assert product["attributes"]["name"] == "Tên mới"
    assert product["attributes"]["description"] == "Mật ong OCOP 4 sao, Hà Giang"


def test_a_variant_rows_id_updates_its_whole_product(rig: Rig) -> None:
    sizes = (Variant("V-1", "250 g", 60_000, 1), Variant("V-2", "500 g", 110_000, 1))

    async def go() -> dict[str, Any]:
        async with await rig.authorized() as c:
            await c.create_listing(draft("V", variant_name="Khối lượng", variants=sizes))
            found = await listings(c)
            await c.update_content(found["V-2"].remote_id, draft("V", name="Mật ong"), ["name"])
            return await listings(c)

    found = run(go())
    assert found["V-1"].name == found["V-2"].name == "Mật ong"


def test_an_update_with_a_value_lazada_does_not_allow_is_rejected(rig: Rig) -> None:
    bad = draft("CT-3", attributes=(AttributeValue("country_origin", "Sao Hỏa"),))

    async def go() -> RejectedError:
        async with await rig.authorized() as c:
            remote_id = await c.create_listing(draft("CT-3"))
            with pytest.raises(RejectedError) as caught:
                await c.update_content(remote_id, bad, ["attributes"])
            return caught.value

    assert run(go()).code == "4115"


@respx.mock(base_url=BASE, assert_all_called=True)
def test_the_update_payload_is_exact(respx_mock) -> None:
    route = respx_mock.post("/product/update").mock(return_value=ok({"item_status": "Active"}))
    connector, _ = make()
    changed = draft(
        "CT-4",
        name="Trà hoa vàng",
        brand_id="40000",
        attributes=(AttributeValue("country_origin", "Vietnam", "1001"),),
    )
    run(using(connector, connector.update_content("123:456", changed, ["name", "attributes"])))
    sent = form(route.calls[0].request)
    assert json.loads(sent["payload"]) == {
        "Request": {
            "Product": {
                "ItemId": "123",
                "Attributes": {
                    "name": "Trà hoa vàng",
                    "country_origin": "Vietnam",
                    "brand_id": "40000",
                },
            }
        }
    }
    with pytest.raises(ValueError, match="price"):
        run(connector.update_content("123:456", changed, ["price"]))


# -- images --------------------------------------------------------------------------


def uploading(rig: Rig) -> Any:
    connector = rig.connector()
    connector.image_upload = True
    connector.image_hosts = ["sandbox"]
    return connector


def test_images_are_downloaded_checked_and_uploaded_when_asked(rig: Rig) -> None:
    async def go() -> str:
        connector = uploading(rig)
        await connector.exchange_code(rig.lazada.authorization_code())
        async with connector as c:
            return await c.create_listing(
                draft("UP-1", image_urls=(f"{ROOT}/lazada/_sandbox/image.png",))
            )

    product = product_of(rig, run(go()))
    assert len(product["images"]) == 1 and ".slatic.net/" in product["images"][0]


def test_an_image_off_the_allowed_hosts_is_refused_before_any_upload(rig: Rig) -> None:
    async def go() -> RejectedError:
        connector = uploading(rig)
        await connector.exchange_code(rig.lazada.authorization_code())
        async with connector as c:
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(draft("UP-2"))
            return caught.value

    assert run(go()).code == "image_host"
    assert rig.lazada.snapshot() == {}


def _upload(rig: Rig, data: bytes) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with await rig.authorized():
            token = rig.token()
        async with rig.client() as client:
            params = rig.signed("/image/upload", {}, token)
            files = {"image": ("a", data, "application/octet-stream")}
            answer: dict[str, Any] = (
                await client.post("/image/upload", data=params, files=files)
            ).json()
            return answer

    return run(go())


def test_the_sandbox_takes_a_png_and_refuses_other_formats_and_big_files(rig: Rig) -> None:
    assert _upload(rig, TINY_PNG)["data"]["image"]["url"].startswith("https://vn-live.slatic")
    assert _upload(rig, b"GIF89a" + b"\0" * 10)["code"] == "5"
    big = b"\xff\xd8\xff" + b"\0" * (1024 * 1024)
    too_big = _upload(rig, big)
    assert (too_big["code"], too_big["message"]) == ("303", "The image is too large")


def test_migrating_a_url_that_is_not_a_jpg_or_png_is_refused(rig: Rig) -> None:
    async def go() -> RejectedError:
        async with await rig.authorized() as c:
            with pytest.raises(RejectedError) as caught:
                await c.create_listing(draft("M-1", image_urls=("https://x.vn/a.webp",)))
            return caught.value

    assert run(go()).code == "302"


def test_a_download_larger_than_1_mb_is_refused_by_the_connector() -> None:
    connector, _ = make(image_upload=True)
    big = httpx.Response(200, content=b"\xff\xd8\xff" + b"\0" * (1024 * 1024))
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://ocop.example.vn/img/big.jpg").mock(return_value=big)
        with pytest.raises(RejectedError) as caught:
            run(
                using(
                    connector,
                    connector.create_listing(
                        draft(
                            "BIG",
                            group="beverage",
                            image_urls=("https://ocop.example.vn/img/big.jpg",),
                        )
                    ),
                )
            )
    assert caught.value.code == "image_size"
