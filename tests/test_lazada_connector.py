"""Exact requests of the Lazada connector, and how each answer maps onto our errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.base import (
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    StatusChange,
    StockUpdate,
    Tokens,
)
from ocopsync.connectors.lazada import LazadaConnector
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

BASE = "https://api.lazada.vn/rest"
AUTH = "https://auth.lazada.com/rest"
NOW = 1_750_000_000.0
SECRET = "s3cret"
CATEGORIES = {"beverage": "10000342"}


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def make(
    *, tokens: Tokens | None = None, authorized: bool = True, **options: object
) -> tuple[LazadaConnector, MemoryTokenStore]:
    store = MemoryTokenStore()
    if authorized:
        store.save(
            "lzd",
            "lazada",
            tokens or Tokens("at-old", "rt-old", at(NOW + 86_400), at(NOW + 30 * 86_400)),
        )
    settings = ConnectionSettings(
        "lzd",
        "lazada",
        BASE,
        options={"rate_limit_per_s": 0, "category_map": CATEGORIES, **options},
    )
    ctx = ConnectorContext(
        settings,
        {"app_key": "100002", "app_secret": SECRET},
        token_store=store,
        clock=lambda: NOW,
        retry_wait_scale=0,
        max_attempts=3,
    )
    return LazadaConnector(ctx), store


def run(coro):
    return asyncio.run(coro)


async def using(connector: LazadaConnector, coro):
    try:
        return await coro
    finally:
        await connector.aclose()


def ok(data: object = None) -> httpx.Response:
    return httpx.Response(200, json={"code": "0", "data": data or {}, "request_id": "r1"})


def error(code: str, message: str = "refused", kind: str = "ISV", **extra) -> httpx.Response:
    body = {"type": kind, "code": code, "message": message, "request_id": "r1", **extra}
    return httpx.Response(200, json=body)


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def payload(request: httpx.Request) -> dict:
    return json.loads(form(request)["payload"])


def signed_correctly(path: str, params: dict[str, str]) -> bool:
    return params["sign"] == lp.sign(path, params, SECRET)


def product(item_id: int, status: str = "Active", sku_status: str = "active", **kw) -> dict:
    return {
        "item_id": item_id,
        "attributes": {"name": f"Trà {item_id}"},
        "skus": [
            {
                "SkuId": 9000 + item_id,
                "SellerSku": f"S{item_id}",
                "price": 45000.0,
                "quantity": 7,
                "Status": sku_status,
            }
        ],
        "status": status,
        "created_time": str(kw.pop("created_ms", 1_700_000_000_000 + item_id)),
        **kw,
    }


def draft(**kw) -> ListingDraft:
    values = {
        "sku": "OCOP-1",
        "name": "Trà hoa vàng",
        "description": "Trà OCOP 4 sao",
        "price": 45000,
        "stock": 20,
        "group": "beverage",
        "stars": 4,
        "entity_code": "QN-1",
        "province": "Quảng Ninh",
        "weight_g": 250,
        "image_urls": ("https://cdn.example.vn/tra.jpg", "https://vn-live.slatic.net/p/a.jpg"),
    }
    values.update(kw)
    return ListingDraft(**values)


# -- listing ------------------------------------------------------------------------


@respx.mock(base_url=BASE, assert_all_called=True)
def test_list_signs_a_get_and_pages_by_offset(respx_mock) -> None:
    page1 = [product(i) for i in range(50)]
    page2 = [
        product(50, status="InActive", sku_status="inactive"),
        product(51, sku_status="inactive"),
        product(52, status="Pending QC"),
        product(53, status="Deleted"),
    ]
    route = respx_mock.get("/products/get").mock(
        side_effect=[
            ok({"total_products": 54, "products": page1}),
            ok({"total_products": 54, "products": page2}),
        ]
    )
    c, _ = make()
    got = run(using(c, _collect(c)))
    first, second = (dict(call.request.url.params) for call in route.calls)
    assert signed_correctly("/products/get", first)
    assert {k: v for k, v in first.items() if k != "sign"} == {
        "filter": "all",
        "limit": "50",
        "offset": "0",
        "app_key": "100002",
        "timestamp": "1750000000000",
        "sign_method": "sha256",
        "access_token": "at-old",
    }
    assert second["offset"] == "50" and "create_after" not in second
    assert len(got) == 53
    assert got[0].remote_id == "0:9000" and (got[0].price, got[0].stock) == (45000, 7)
    assert [g.status for g in got[50:]] == [
        ListingStatus.UNLISTED,
        ListingStatus.UNLISTED,
        ListingStatus.PENDING,
    ]


async def _collect(c: LazadaConnector) -> list:
    return [x async for x in c.list_listings()]


@respx.mock(base_url=BASE, assert_all_called=True)
def test_list_slides_a_create_after_window_past_the_offset_cap(respx_mock, monkeypatch) -> None:
    monkeypatch.setattr(lp, "MAX_OFFSET", 100)
    second = 1_700_000_000
    pages = [[product(p * 50 + i, created_ms=second * 1000 + p) for i in range(50)] for p in (0, 1)]
    # the third page ends with three products created in the same second (S + 7)
    third = [product(100 + i, created_ms=(second + 5) * 1000) for i in range(47)]
    third += [product(147 + i, created_ms=(second + 7) * 1000 + i) for i in range(3)]
    last = [product(150 + i, created_ms=(second + 8) * 1000) for i in range(10)]
    route = respx_mock.get("/products/get").mock(
        side_effect=[
            ok({"total_products": 160, "products": pages[0]}),
            ok({"total_products": 160, "products": pages[1]}),
            ok({"total_products": 160, "products": third}),
            ok({"total_products": 13, "products": last}),
        ]
    )
    c, _ = make()
    got = run(using(c, _collect(c)))
    params = [dict(call.request.url.params) for call in route.calls]
    assert [p["offset"] for p in params] == ["0", "50", "100", "3"]
    assert params[3]["create_after"] == lp.iso_second(second + 7) == "2023-11-14T22:13:27+0000"
    assert len(got) == 160 == len({g.remote_id for g in got})


@respx.mock(base_url=BASE, assert_all_called=True)
def test_find_by_sku_asks_for_that_seller_sku_only(respx_mock) -> None:
    other = product(2)
    other["skus"][0]["SellerSku"] = "OCOP-1 XL"  # whole-word match brings a neighbour
    wanted = product(3)
    wanted["skus"][0]["SellerSku"] = "OCOP-1"
    route = respx_mock.get("/products/get").mock(
        side_effect=[ok({"total_products": 2, "products": [other, wanted]}), ok({})]
    )
    c, _ = make()

    async def go():
        return await c.find_by_sku("OCOP-1"), await c.find_by_sku("NOPE")

    found, missing = run(using(c, go()))
    assert found is not None and found.remote_id == "3:9003"
    assert missing is None
    assert dict(route.calls[0].request.url.params)["sku_seller_list"] == '["OCOP-1"]'


# -- create ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"group": "textile"}, "no category for group 'textile'"),
        ({"image_urls": ()}, "no images"),
        ({"weight_g": None}, "no package weight"),
    ],
)
@respx.mock(base_url=BASE, assert_all_called=False)
def test_missing_data_blocks_create_without_a_request(respx_mock, changes, reason) -> None:
    c, _ = make()
    assert any(reason in m for m in c.missing_for_create(draft(**changes)))
    with pytest.raises(RejectedError) as caught:
        run(using(c, c.create_listing(draft(**changes))))
    assert caught.value.code == "missing_data"
    assert respx_mock.calls.call_count == 0


def test_default_weight_option_satisfies_the_weight() -> None:
    c, _ = make(default_weight_g=400)
    assert c.missing_for_create(draft(weight_g=None)) == []
    run(c.aclose())


@respx.mock(base_url=BASE, assert_all_called=True)
def test_create_migrates_external_images_then_posts_a_json_payload(respx_mock) -> None:
    migrate = respx_mock.post("/image/migrate").mock(
        return_value=ok({"image": {"url": "https://vn-live.slatic.net/p/m.jpg", "hash_code": "m"}})
    )
    create = respx_mock.post("/product/create").mock(
        return_value=ok(
            {
                "item_id": 555,
                "sku_list": [{"seller_sku": "OCOP-1", "shop_sku": "x", "sku_id": 777}],
            }
        )
    )
    c, _ = make()

    async def twice() -> list[str]:
        return [await c.create_listing(draft()), await c.create_listing(draft(sku="OCOP-2"))]

    assert run(using(c, twice()))[0] == "555:777"
    # the slatic.net image is Lazada's already; the external one moves once per connector
    assert migrate.call_count == 1 and create.call_count == 2
    sent = form(migrate.calls[0].request)
    assert (
        sent["payload"]
        == "<Request><Image><Url>https://cdn.example.vn/tra.jpg</Url></Image></Request>"
    )
    assert signed_correctly("/image/migrate", sent)
    request = create.calls[0].request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert signed_correctly("/product/create", form(request))
    assert payload(request) == {
        "Request": {
            "Product": {
                "PrimaryCategory": "10000342",
                "Images": {
                    "Image": [
                        "https://vn-live.slatic.net/p/m.jpg",
                        "https://vn-live.slatic.net/p/a.jpg",
                    ]
                },
                "Attributes": {
                    "name": "Trà hoa vàng",
                    "description": "Trà OCOP 4 sao",
                    "brand": "No Brand",
                    "country_origin": "Vietnam",
                },
                "Skus": {
                    "Sku": [
                        {
                            "SellerSku": "OCOP-1",
                            "quantity": "20",
                            "price": "45000",
                            "package_weight": "0.25",
                            "package_length": "20",
                            "package_width": "15",
                            "package_height": "10",
                            "package_content": "1 x Trà hoa vàng",
                        }
                    ]
                },
            }
        }
    }


@respx.mock(base_url=BASE, assert_all_called=True)
def test_create_refusal_keeps_code_and_detail(respx_mock) -> None:
    respx_mock.post("/product/create").mock(
        return_value=error(
            "500", "Create product failed", detail=[{"field": "name", "message": "too long"}]
        )
    )
    c, _ = make()
    with pytest.raises(RejectedError) as caught:
        run(using(c, c.create_listing(draft(image_urls=("https://vn-live.slatic.net/p/a.jpg",)))))
    assert caught.value.code == "500" and "too long" in caught.value.message


# -- price and stock --------------------------------------------------------------------


@respx.mock(base_url=BASE, assert_all_called=True)
def test_prices_go_in_batches_of_fifty(respx_mock) -> None:
    route = respx_mock.post("/product/price_quantity/update").mock(return_value=ok())
    updates = [PriceUpdate(f"{i}:{9000 + i}", f"S{i}", 1000 + i) for i in range(120)]
    c, _ = make()
    results = run(using(c, c.update_prices(updates)))
    sizes = [
        len(payload(call.request)["Request"]["Product"]["Skus"]["Sku"]) for call in route.calls
    ]
    assert sizes == [50, 50, 20]
    assert payload(route.calls[2].request)["Request"]["Product"]["Skus"]["Sku"][0] == {
        "ItemId": "100",
        "SellerSku": "S100",
        "SkuId": "9100",
        "Price": "1100",
    }
    assert len(results) == 120 and all(r.ok for r in results)


@respx.mock(base_url=BASE, assert_all_called=True)
def test_stock_501_fails_only_the_skus_in_detail(respx_mock) -> None:
    route = respx_mock.post("/product/price_quantity/update").mock(
        side_effect=[
            error(
                "501",
                "Update product failed",
                detail=[{"field": "SkuId", "seller_sku": "S2", "message": "SKU not exist"}],
            ),
            error("204", "Too many SKU in one request"),
        ]
    )
    updates = [StockUpdate(f"{i}:{9000 + i}", f"S{i}", 5) for i in range(51)]
    c, _ = make()
    results = run(using(c, c.update_stocks(updates)))
    skus = payload(route.calls[0].request)["Request"]["Product"]["Skus"]["Sku"]
    assert skus[0] == {"ItemId": "0", "SellerSku": "S0", "SkuId": "9000", "Quantity": "5"}
    failed = {r.sku: r.error for r in results if not r.ok}
    assert set(failed) == {"S2", "S50"}
    assert failed["S2"].code == "501" and "SKU not exist" in failed["S2"].message
    assert failed["S50"].code == "204"


def test_a_501_without_usable_detail_fails_the_whole_batch() -> None:
    updates = [PriceUpdate("1:2", "A", 10), PriceUpdate("3:4", "B", 10)]
    results = lp.batch_results(updates, {"code": "501", "message": "Update product failed"})
    assert [r.error.code for r in results if r.error] == ["501", "501"]


# -- status ---------------------------------------------------------------------------


@respx.mock(base_url=BASE, assert_all_called=True)
def test_unlist_deactivates_and_relist_updates_the_sku_status(respx_mock) -> None:
    deactivate = respx_mock.post("/product/deactivate").mock(
        side_effect=[ok(), error("E0004", "Product Status not online"), error("E0002", "gone")]
    )
    update = respx_mock.post("/product/update").mock(return_value=ok({"item_status": "Active"}))
    changes = [
        StatusChange("11:22", "A", ListingStatus.UNLISTED),
        StatusChange("11:22", "A", ListingStatus.UNLISTED),
        StatusChange("33:44", "B", ListingStatus.UNLISTED),
        StatusChange("11:22", "A", ListingStatus.LIVE),
    ]
    c, _ = make()
    results = run(using(c, c.set_status(changes)))
    assert [r.ok for r in results] == [True, True, False, True]
    assert results[2].error is not None and results[2].error.code == "E0002"
    sent = form(deactivate.calls[0].request)
    assert sent["apiRequestBody"] == (
        "<Request><Product><ItemId>11</ItemId><Skus><SkuId>22</SkuId></Skus></Product></Request>"
    )
    assert signed_correctly("/product/deactivate", sent)
    assert payload(update.calls[0].request) == {
        "Request": {
            "Product": {
                "ItemId": "11",
                "Attributes": {},
                "Skus": {"Sku": [{"SellerSku": "A", "Status": "active", "SkuId": "22"}]},
            }
        }
    }


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        ("IncompleteSignature", "ISV", FatalConfigError),
        ("MissingParameter", "ISV", FatalConfigError),
        ("InvalidAppKey", "ISV", FatalConfigError),
        ("IllegalTimestamp", "ISV", FatalConfigError),
        ("ApiCallLimit", "ISV", RateLimitedError),
        ("901", "ISP", RateLimitedError),
        ("ServiceTimeout", "ISP", TransientError),
        ("6", "ISP", TransientError),
        ("1000", "ISP", TransientError),
        ("998", "ISP", TransientError),
        ("207", "ISV", RejectedError),
        ("208", "ISV", RejectedError),
        ("201", "ISV", RejectedError),
        ("4134", "ISV", RejectedError),
        ("4135", "ISV", RejectedError),
        ("E0002", "ISV", RejectedError),
        ("5", "ISV", RejectedError),
        ("19", "ISV", RejectedError),
        ("SOMETHING_NEW", "ISV", RejectedError),
        ("SOMETHING_NEW", "ISP", TransientError),
    ],
)
@respx.mock(base_url=BASE, assert_all_called=True)
def test_error_codes_map_onto_the_error_tree(respx_mock, code, kind, expected) -> None:
    route = respx_mock.get("/products/get").mock(return_value=error(code, "said no", kind))
    c, _ = make()
    with pytest.raises(ConnectorError) as caught:
        run(using(c, c.find_by_sku("S1")))
    assert type(caught.value) is expected
    assert (caught.value.code, caught.value.platform) == (code, "lazada")
    retried = issubclass(expected, TransientError)
    assert route.call_count == (3 if retried else 1)


def test_api_call_limit_hints_the_ban_length() -> None:
    body = {
        "code": "ApiCallLimit",
        "message": "Api access frequency exceeds the limit. this ban will last 3 seconds",
    }
    err = lp.error_from_body(body)
    assert isinstance(err, RateLimitedError) and err.retry_after == 3.0
    assert lp.error_from_body({"code": "901", "message": "too frequent"}).retry_after == 1.0


@respx.mock(base_url=BASE, assert_all_called=True)
def test_http_429_and_5xx_are_retried(respx_mock) -> None:
    route = respx_mock.get("/products/get").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "2"}),
            ok({"total_products": 0, "products": []}),
        ]
    )
    c, _ = make()
    assert run(using(c, c.find_by_sku("S1"))) is None
    assert route.call_count == 3


@respx.mock(base_url=BASE, assert_all_called=True)
def test_an_echoed_token_never_reaches_the_message(respx_mock) -> None:
    respx_mock.get("/products/get").mock(
        return_value=error("5", "bad request access_token=at-old&sign=ABC")
    )
    c, _ = make()
    with pytest.raises(RejectedError) as caught:
        run(using(c, c.find_by_sku("S1")))
    assert "at-old" not in str(caught.value) and "ABC" not in str(caught.value)


# -- tokens ---------------------------------------------------------------------------


def token_answer(access: str, refresh: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 604800,
            "refresh_expires_in": 2592000,
            "country": "vn",
            "account": "seller@example.vn",
            "country_user_info": [{"country": "vn", "seller_id": "200100001"}],
            "code": "0",
            "request_id": "r",
        },
    )


def test_authorization_url_points_at_the_consent_page() -> None:
    c, _ = make(authorized=False)
    assert c.authorization_url("https://ocop.example.vn/cb?x=1") == (
        "https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true"
        "&redirect_uri=https%3A%2F%2Focop.example.vn%2Fcb%3Fx%3D1&client_id=100002"
    )
    run(c.aclose())


@respx.mock(base_url=BASE, assert_all_called=True)
def test_exchange_code_posts_a_signed_form_and_saves_tokens(respx_mock) -> None:
    route = respx_mock.post(f"{AUTH}/auth/token/create").mock(
        return_value=token_answer("at-1", "rt-1")
    )
    c, store = make(authorized=False)
    tokens = run(using(c, c.exchange_code("the-code")))
    sent = form(route.calls[0].request)
    assert sent["code"] == "the-code" and "access_token" not in sent
    assert signed_correctly("/auth/token/create", sent)
    assert store.load("lzd") == tokens
    assert tokens.access_expires_at == at(NOW + 604800)
    assert tokens.refresh_expires_at == at(NOW + 2592000)
    assert tokens.extra == {
        "country": "vn",
        "account": "seller@example.vn",
        "seller_id": "200100001",
    }


@respx.mock(base_url=BASE, assert_all_called=True)
def test_expired_token_is_refreshed_saved_and_the_call_repeated_once(respx_mock) -> None:
    products = respx_mock.get("/products/get").mock(
        side_effect=[
            error("IllegalAccessToken", "The specified access token is invalid or expired"),
            ok({"total_products": 0, "products": []}),
        ]
    )
    refresh = respx_mock.post(f"{AUTH}/auth/token/refresh").mock(
        return_value=token_answer("at-new", "rt-new")
    )
    c, store = make()
    run(using(c, c.find_by_sku("S1")))
    assert [dict(call.request.url.params)["access_token"] for call in products.calls] == [
        "at-old",
        "at-new",
    ]
    sent = form(refresh.calls[0].request)
    assert sent["refresh_token"] == "rt-old" and signed_correctly("/auth/token/refresh", sent)
    saved = store.load("lzd")
    assert saved is not None and (saved.access_token, saved.refresh_token) == ("at-new", "rt-new")


@respx.mock(base_url=BASE, assert_all_called=True)
def test_a_token_known_to_be_stale_is_refreshed_before_the_call(respx_mock) -> None:
    products = respx_mock.get("/products/get").mock(return_value=ok({"products": []}))
    respx_mock.post(f"{AUTH}/auth/token/refresh").mock(return_value=token_answer("at-2", "rt-2"))
    stale = Tokens("at-old", "rt-old", at(NOW - 1), at(NOW + 86_400))
    c, _ = make(tokens=stale)
    run(using(c, c.find_by_sku("S1")))
    assert products.call_count == 1
    assert dict(products.calls[0].request.url.params)["access_token"] == "at-2"


@respx.mock(base_url=BASE, assert_all_called=True)
def test_a_refused_refresh_token_stops_the_connection(respx_mock) -> None:
    respx_mock.get("/products/get").mock(return_value=error("IllegalAccessToken"))
    respx_mock.post(f"{AUTH}/auth/token/refresh").mock(return_value=error("IllegalRefreshToken"))
    c, _ = make()
    with pytest.raises(FatalConfigError) as caught:
        run(using(c, c.find_by_sku("S1")))
    assert caught.value.code == "IllegalRefreshToken"


@respx.mock(base_url=BASE, assert_all_called=False)
def test_unauthorized_connection_fails_without_a_request(respx_mock) -> None:
    c, _ = make(authorized=False)
    with pytest.raises(FatalConfigError, match="not authorized"):
        run(using(c, c.find_by_sku("S1")))
    status = run(c.check())
    assert not status.ok
    assert respx_mock.calls.call_count == 0


@respx.mock(base_url=BASE, assert_all_called=True)
def test_check_reports_token_expiry(respx_mock) -> None:
    respx_mock.get("/products/get").mock(return_value=ok({"total_products": 3, "products": []}))
    c, _ = make()
    status = run(using(c, c.check()))
    assert status.ok
    assert status.access_expires_at == at(NOW + 86_400)
    assert status.refresh_expires_at == at(NOW + 30 * 86_400)


@respx.mock(base_url=BASE, assert_all_called=True)
def test_check_reports_a_refused_token(respx_mock) -> None:
    respx_mock.get("/products/get").mock(return_value=error("IllegalAccessToken"))
    respx_mock.post(f"{AUTH}/auth/token/refresh").mock(return_value=error("IllegalRefreshToken"))
    c, _ = make()
    status = run(using(c, c.check()))
    assert not status.ok and status.refresh_expires_at == at(NOW + 30 * 86_400)


@pytest.mark.parametrize(
    ("credentials", "options"),
    [
        ({"app_key": "1"}, {}),
        ({"app_key": "1", "app_secret": "2"}, {"package_cm": [10, 10]}),
        ({"app_key": "1", "app_secret": "2"}, {"category_map": "food=1"}),
    ],
)
def test_bad_credentials_or_options_are_a_config_error(credentials, options) -> None:
    settings = ConnectionSettings("lzd", "lazada", BASE, options=options)
    with pytest.raises(FatalConfigError):
        LazadaConnector(ConnectorContext(settings, credentials))


def test_auth_expired_maps_from_illegal_access_token() -> None:
    assert isinstance(lp.error_from_body({"code": "IllegalAccessToken"}), AuthExpiredError)
