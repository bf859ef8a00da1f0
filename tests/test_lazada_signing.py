"""Lazada request signing against digests computed apart from the connector (§2.3).

The expected hex strings were computed once with a few lines of ``hmac`` in a shell,
following the facts file's worked pseudo-code, not with ocopsync.
"""

from __future__ import annotations

import pytest

from ocopsync.connectors.lazada_payloads import sign, signed_params

# The facts file's pseudo-code example: GET /products/get with filter/limit/offset.
DOC_PARAMS = {
    "app_key": "123456",
    "timestamp": "1517820392000",
    "sign_method": "sha256",
    "access_token": "test-token",
    "filter": "all",
    "limit": "50",
    "offset": "0",
}
DOC_SIGN = "F47436F2D7933EDD780C5181D197271F6ECE08E7255562E7E303025DA871E79D"


def test_sign_matches_the_documented_algorithm() -> None:
    assert sign("/products/get", DOC_PARAMS, "helloworld") == DOC_SIGN


def test_sign_ignores_a_sign_already_present_and_param_order() -> None:
    shuffled = dict(reversed(list(DOC_PARAMS.items())))
    assert sign("/products/get", {**shuffled, "sign": "OLD"}, "helloworld") == DOC_SIGN


@pytest.mark.parametrize(
    ("path", "business", "token", "expected"),
    [
        (
            "/auth/token/create",
            {"code": "sandbox-lazada-code"},
            None,
            "3C738D1A27A79B9D1C199ED6537EA7F8096EFEC97C316819117ABA929E3A06BF",
        ),
        (
            # UTF-8 names (Vietnamese) are signed as UTF-8 bytes
            "/product/create",
            {"payload": '{"Request":{"Product":{"Attributes":{"name":"Trà Shan Tuyết"}}}}'},
            "tok",
            "D0B617A537077B120EADE3C26224FAED9F592219693B990EEA4AA6273B2B4858",
        ),
    ],
)
def test_signed_params_adds_system_params_and_sign(
    path: str, business: dict[str, str], token: str | None, expected: str
) -> None:
    params = signed_params(
        path,
        business,
        app_key="100002",
        app_secret="sandbox-lazada-secret",
        timestamp_ms=1700000000000,
        access_token=token,
    )
    assert params["sign"] == expected
    assert params["sign_method"] == "sha256"
    assert params["timestamp"] == "1700000000000"
    assert ("access_token" in params) is (token is not None)


def test_sign_depends_on_the_api_path_and_the_secret() -> None:
    assert sign("/product/get", DOC_PARAMS, "helloworld") != DOC_SIGN
    assert sign("/products/get", DOC_PARAMS, "other") != DOC_SIGN


def test_sign_is_uppercase_hex() -> None:
    digest = sign("/products/get", DOC_PARAMS, "helloworld")
    assert len(digest) == 64
    assert digest == digest.upper()
