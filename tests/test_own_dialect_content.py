"""Content updates on ocopsync's own dialects (Voso, Postmart, portal): the exact PATCH
each connector sends (respx), and each sandbox applying it, validated like a create:
a mandatory attribute dropped is refused in the dialect's words, and the item limits the
connector declares are the ones the sandbox enforces."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import AttributeValue, ConnectorContext, ListingDraft
from ocopsync.connectors.portal import PortalConnector
from ocopsync.connectors.postmart import PostmartConnector
from ocopsync.connectors.voso import VosoConnector
from ocopsync.errors import RejectedError
from tests.test_contract import Rig

pytestmark = pytest.mark.anyio
NOW = 1_700_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def draft(**changes: Any) -> ListingDraft:
    fields: dict[str, Any] = {
        "sku": "MAM-01",
        "name": "Nước mắm Phú Quốc 40 độ đạm",
        "description": "Chai thủy tinh 500 ml",
        "price": 95_000,
        "stock": 12,
        "group": "food",
        "stars": 5,
        "entity_code": "KG-01",
        "province": "Kiên Giang",
        "weight_g": 700,
        "image_urls": ("https://img.test/mam-1.jpg", "https://img.test/mam-2.jpg"),
        "attributes": (AttributeValue("xuat-xu", "Phú Quốc"),),
    }
    return ListingDraft(**(fields | changes))


def context(platform: str, base: str, credentials: dict[str, str]) -> ConnectorContext:
    settings = ConnectionSettings("c", platform, base, options={"rate_limit_per_s": 0})
    return ConnectorContext(
        settings, credentials, clock=lambda: NOW, retry_wait_scale=0, max_attempts=2
    )


# -- the exact requests ----------------------------------------------------------------------
VOSO = "https://partner.voso.test/api"


async def test_voso_patches_only_the_fields_asked_for_signed() -> None:
    creds = {"partner_code": "P1", "secret_key": "s3cret", "shop_id": "300001"}
    given = draft(attributes=(AttributeValue("10002", "5 sao", "1005"),))
    with respx.mock(base_url=VOSO, assert_all_called=True) as api:
        route = api.patch("/v1/shops/300001/products/1001").mock(
            return_value=httpx.Response(
                200, json={"status": 200, "error": False, "message": "OK", "data": {}}
            )
        )
        async with VosoConnector(context("voso", VOSO, creds)) as c:
            await c.update_content("1001", given, ["name", "image_urls", "attributes"])
            await c.update_content("1001", given, [])
    assert route.call_count == 1, "nothing to send, no request"
    request = route.calls[0].request
    assert json.loads(request.content) == {
        "name": "Nước mắm Phú Quốc 40 độ đạm",
        "images": ["https://img.test/mam-1.jpg", "https://img.test/mam-2.jpg"],
        "attributes": [{"attribute_id": 10002, "value": "5 sao", "value_id": 1005}],
    }
    target = request.url.raw_path.decode().removeprefix("/api")
    stamp = request.headers["X-Voso-Timestamp"]
    canonical = f"PATCH\n{target}\n{stamp}\n{hashlib.sha256(request.content).hexdigest()}"
    expected = hmac.new(b"s3cret", canonical.encode(), hashlib.sha256).hexdigest()
    assert request.headers["X-Voso-Signature"] == expected


async def test_postmart_patches_description_and_attributes_with_its_bearer() -> None:
    base = "https://seller.postmart.test"
    creds = {"client_id": "cid", "client_secret": "csecret"}
    token = {"access_token": "T1", "token_type": "Bearer", "expires_in": 3600}
    with respx.mock(base_url=base, assert_all_called=True) as api:
        api.post("/oauth/token").mock(return_value=httpx.Response(200, json=token))
        route = api.patch("/api/seller/v2/products/43001").mock(
            return_value=httpx.Response(200, json={"data": {"id": 43001}})
        )
        async with PostmartConnector(context("postmart", base, creds)) as c:
            await c.update_content("43001", draft(), ["description", "attributes"])
    request = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer T1"
    assert json.loads(request.content) == {
        "description": "Chai thủy tinh 500 ml",
        "attributes": [{"code": "xuat-xu", "value": "Phú Quốc"}],
    }


async def test_portal_patches_the_product_and_refuses_an_unknown_field() -> None:
    base = "https://ocop.province.test"
    with respx.mock(base_url=base, assert_all_called=True) as api:
        route = api.patch("/api/v1/products/1001").mock(
            return_value=httpx.Response(200, json={"id": "1001"})
        )
        async with PortalConnector(context("portal", base, {"api_key": "K"})) as c:
            await c.update_content("1001", draft(), ["name", "description"])
            with pytest.raises(ValueError, match="price"):
                await c.update_content("1001", draft(), ["price"])
    assert json.loads(route.calls[0].request.content) == {
        "name": "Nước mắm Phú Quốc 40 độ đạm",
        "description": "Chai thủy tinh 500 ml",
    }
    assert route.calls[0].request.headers["Authorization"] == "Bearer K"


# -- against each sandbox ----------------------------------------------------------------------
CASES = {
    # platform: (leaf with mandatory attributes, a full set, the set missing one, refusal)
    "voso": (
        "10529",
        (AttributeValue("20041", "Sứ", "2202"), AttributeValue("10001", "Bát Tràng")),
        (AttributeValue("10001", "Bát Tràng"),),
        "ATTRIBUTE_REQUIRED",
    ),
    "postmart": (
        "gom-su",
        (AttributeValue("chat-lieu", "Sứ", "52"), AttributeValue("xuat-xu", "Bát Tràng")),
        (AttributeValue("xuat-xu", "Bát Tràng"),),
        "attribute_required",
    ),
    "portal": (
        "handicraft-ceramic",
        (AttributeValue("chat_lieu", "Sứ", "su"), AttributeValue("xuat_xu", "Bát Tràng")),
        (AttributeValue("xuat_xu", "Bát Tràng"),),
        "attribute_required",
    ),
}


def ceramic(rig: Rig, leaf: str, attributes: tuple[AttributeValue, ...]) -> ListingDraft:
    return dataclasses.replace(
        rig.draft("GOM-01"),
        name="Bình gốm Bát Tràng men lam",
        group="handicraft",
        category_id=leaf,
        attributes=attributes,
    )


@pytest.mark.parametrize("platform", sorted(CASES))
async def test_content_follows_the_catalog_and_a_dropped_mandatory_attribute_is_refused(
    platform: str,
) -> None:
    leaf, full, partial, code = CASES[platform]
    rig = Rig(platform)
    connector = await rig.connect()
    async with connector:
        remote_id = await connector.create_listing(ceramic(rig, leaf, full))
        changed = dataclasses.replace(
            ceramic(rig, leaf, full[:1]),
            name="Bình gốm Bát Tràng men lam, cao 30 cm",
            description="Men lam vẽ tay",
            image_urls=(f"{rig.emulator.base_url('http://sandbox')}/_sandbox/image.png",) * 2,
        )
        await connector.update_content(
            remote_id, changed, ["name", "description", "image_urls", "attributes"]
        )
        found = await connector.find_by_sku("GOM-01")
        with pytest.raises(RejectedError) as refused:
            await connector.update_content(
                remote_id, dataclasses.replace(changed, attributes=partial), ["attributes"]
            )
    assert found is not None and found.name == "Bình gốm Bát Tràng men lam, cao 30 cm"
    assert (found.price, found.stock) == (45_000, 20), "content leaves price and stock alone"
    assert refused.value.code == code
    item = rig.emulator.shop.get(remote_id)
    assert item is not None
    assert item.data["description"] == "Men lam vẽ tay" and len(item.data["images"]) == 2
    assert len(item.data["attributes"]) == 1, "the refused update changed nothing"


@pytest.mark.parametrize("platform", sorted(CASES))
async def test_the_declared_item_limits_are_the_ones_the_sandbox_enforces(
    platform: str,
) -> None:
    rig = Rig(platform)
    connector = await rig.connect()
    remote_id = rig.emulator.seed("LIM-1", "Hàng có sẵn", 30_000, 5)
    async with connector:
        limits = await connector.item_limits("any")
        longest = dataclasses.replace(rig.draft("LIM-1"), name="T" * limits.name_max)
        await connector.update_content(remote_id, longest, ["name"])
        with pytest.raises(RejectedError):
            too_long = dataclasses.replace(longest, name="T" * (limits.name_max + 1))
            await connector.update_content(remote_id, too_long, ["name"])
        image = rig.draft("LIM-1").image_urls[0]
        most = dataclasses.replace(longest, image_urls=(image,) * limits.images_max)
        await connector.update_content(remote_id, most, ["image_urls"])
        with pytest.raises(RejectedError):
            extra = dataclasses.replace(most, image_urls=(image,) * (limits.images_max + 1))
            await connector.update_content(remote_id, extra, ["image_urls"])
        with pytest.raises(RejectedError):
            wordy = dataclasses.replace(longest, description="d" * (limits.description_max + 1))
            await connector.update_content(remote_id, wordy, ["description"])
    assert rig.emulator.snapshot()["LIM-1"]["name"] == "T" * limits.name_max


@pytest.mark.parametrize("platform", sorted(CASES))
async def test_a_content_update_of_an_unknown_product_is_rejected(platform: str) -> None:
    rig = Rig(platform)
    connector = await rig.connect()
    async with connector:
        with pytest.raises(RejectedError):
            await connector.update_content("999999999", rig.draft("X"), ["name"])
