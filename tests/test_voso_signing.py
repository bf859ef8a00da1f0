"""The Voso signer against signatures computed apart from it.

Voso publishes no API, so there is no worked example from the platform; the hex
literals below were computed once with a few lines of ``hmac``/``hashlib`` in a
Python shell, following the dialect in ocopsync/connectors/voso.py, not with the
connector.
"""

from __future__ import annotations

import pytest

from ocopsync.connectors.voso_payloads import encode_body, request_target, sign, string_to_sign

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
BATCH_BODY = b'{"items":[{"product_id":"1001","price":45000}]}'


@pytest.mark.parametrize(
    ("secret", "method", "target", "timestamp", "body", "expected"),
    [
        (
            "sandbox-voso-secret",
            "GET",
            "/v1/shops/300001/products?limit=100",
            1_700_000_000_000,
            b"",
            "6fb4c48b2917464f89ee58f4e5fb29e2898ba468d2dd6253d1086c9acf76e3c7",
        ),
        (
            "sandbox-voso-secret",
            "POST",
            "/v1/shops/300001/products:batchUpdate",
            1_700_000_000_123,
            BATCH_BODY,
            "1f2a8232a0bb44dd5232728dd607dd55733a6eca5814450f799871bd22cf9d62",
        ),
        (
            "k3y",
            "GET",
            "/v1/shops/300001/products?seller_sku=TR%C3%80-01",
            1_735_689_600_000,
            b"",
            "6eb98f4a0b49c02145e2c8c567c7ef31de0506c1aab5a121b7dc6fd0dae429e3",
        ),
    ],
)
def test_sign_matches_independent_hmac(
    secret: str, method: str, target: str, timestamp: int, body: bytes, expected: str
) -> None:
    assert sign(secret, method, target, timestamp, body) == expected


def test_string_to_sign_layout() -> None:
    assert string_to_sign(
        "post", "/v1/shops/300001/products:batchUpdate", 1_700_000_000_123, BATCH_BODY
    ) == (
        "POST\n/v1/shops/300001/products:batchUpdate\n1700000000123\n"
        "ce95286c130fece9ded5f81cbb92db2ecd792568c0e748f6c42c254377fd3123"
    )
    assert string_to_sign("GET", "/x", 1, b"").endswith(EMPTY_SHA256)


def test_request_target_signs_the_query_as_sent() -> None:
    assert request_target("/p", {"limit": 100, "cursor": None}) == "/p?limit=100"
    assert request_target("/p", {"seller_sku": "TRÀ-01"}) == "/p?seller_sku=TR%C3%80-01"
    assert request_target("/p") == "/p"


def test_body_is_compact_utf8_so_signed_bytes_are_sent_bytes() -> None:
    assert encode_body({"name": "Trà", "price": 1}) == '{"name":"Trà","price":1}'.encode()
    assert encode_body(None) == b""
