"""Shopee request signing against values computed outside the connector.

Every expected hex literal below was computed once with ``openssl dgst -sha256 -hmac``
over the base string written next to it, not with the code under test.
"""

from __future__ import annotations

import urllib.parse

import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import shopee_payloads as sp
from ocopsync.connectors.base import ConnectorContext
from ocopsync.connectors.shopee import ShopeeConnector

KEY = "sandbox-shopee-key"
TS = 1700000000


def test_doc_worked_example_shop_api() -> None:
    # facts §2.3: the doc's values; the doc prints no key or sign, so the key is ours.
    base = sp.base_string(
        "2001887",
        "/api/v2/shop/get_shop_info",
        1655714431,
        "59777174636562737266615546704c6d",
        "14701711",
    )
    assert base == (
        "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    )
    assert sp.signature("shpk4d6f6c7a5a4b4e77", base) == (
        "9a9235e78b2be500efbfde6f4c95943dcae21bb178367ae4741b7e1b1e3cf23d"
    )


def test_public_api_query_carries_partner_timestamp_and_sign_only() -> None:
    # base "100001/api/v2/auth/token/get1700000000"
    assert sp.signed_query("100001", KEY, "/api/v2/auth/token/get", TS) == [
        ("partner_id", "100001"),
        ("timestamp", "1700000000"),
        ("sign", "bf442ef1e56cecb4bc35cf52072137f7a7b187ab91a6be9cb647e20a6da8a122"),
    ]


def test_shop_api_query_adds_token_and_shop_to_query_and_signature() -> None:
    # base "100001/api/v2/product/get_item_list1700000000tok-abc200001"
    query = sp.signed_query("100001", KEY, "/api/v2/product/get_item_list", TS, "tok-abc", "200001")
    assert query == [
        ("partner_id", "100001"),
        ("timestamp", "1700000000"),
        ("access_token", "tok-abc"),
        ("shop_id", "200001"),
        ("sign", "5584f013a313fbca97f31675a082f0f5304b050ce5acf9eeede70e2a664b6a80"),
    ]


def test_signature_is_lowercase_hex_of_64_chars() -> None:
    sign = sp.signature("K", "anything")
    assert len(sign) == 64
    assert sign == sign.lower()
    assert set(sign) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    "args",
    [
        ("100002", TS, "tok-abc", "200001"),
        ("100001", TS + 1, "tok-abc", "200001"),
        ("100001", TS, "tok-abd", "200001"),
        ("100001", TS, "tok-abc", "200002"),
    ],
)
def test_every_signed_field_changes_the_sign(args: tuple[str, int, str, str]) -> None:
    partner_id, ts, token, shop = args
    query = sp.signed_query(partner_id, KEY, "/api/v2/product/get_item_list", ts, token, shop)
    assert query[-1][1] != "5584f013a313fbca97f31675a082f0f5304b050ce5acf9eeede70e2a664b6a80"


def test_authorization_url_is_a_signed_public_call_with_the_redirect() -> None:
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", "https://partner.test-stable.shopeemobile.com/"),
        {"partner_id": "100001", "partner_key": KEY, "shop_id": "200001"},
        clock=lambda: TS + 0.9,
    )
    url = ShopeeConnector(ctx).authorization_url("https://coop.example/cb?x=1")
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://partner.test-stable.shopeemobile.com/api/v2/shop/auth_partner"
    )
    # base "100001/api/v2/shop/auth_partner1700000000"
    assert urllib.parse.parse_qsl(parts.query) == [
        ("partner_id", "100001"),
        ("timestamp", "1700000000"),
        ("sign", "280451a63755f9d230e0e262c39d01eae4ca6fa216e0b70196497cb0f46b85e2"),
        ("redirect", "https://coop.example/cb?x=1"),
    ]
