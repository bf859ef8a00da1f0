"""The Shopee connector's exact requests and error handling, with respx (no sandbox)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
from ocopsync.connectors import shopee_payloads as sp
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
from ocopsync.connectors.shopee import WRITES_IN_FLIGHT, ShopeeConnector
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

pytestmark = pytest.mark.anyio

BASE = "https://partner.test-stable.shopeemobile.com"
TS = 1700000000
CREDS = {"partner_id": "100001", "partner_key": "sandbox-shopee-key", "shop_id": "200001"}
OPTIONS: dict[str, Any] = {
    "category_map": {"food": 100629},
    "logistic_ids": [50011],
    "placeholder_image_id": "img-placeholder",
}
IMAGE = "https://img.example/tra.png"
PNG = b"\x89PNG\r\n\x1a\nfake"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def stored_tokens(access: str = "tok-abc", expires: float = TS + 14400) -> Tokens:
    return Tokens(access, "ref-1", _at(expires), _at(TS + 30 * 86400), {"shop_id": "200001"})


@pytest.fixture
def store() -> MemoryTokenStore:
    store = MemoryTokenStore()
    store.save("s", "shopee", stored_tokens())
    return store


@pytest.fixture
async def conn(store: MemoryTokenStore) -> AsyncIterator[ShopeeConnector]:
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=OPTIONS),
        CREDS,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    async with ShopeeConnector(ctx) as connector:
        yield connector


def ok(response: dict[str, Any]) -> httpx.Response:
    body = {"request_id": "r1", "error": "", "message": "", "warning": "", "response": response}
    return httpx.Response(200, json=body)


def err(code: str, message: str, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"request_id": "r1", "error": code, "message": message})


def item(item_id: int, sku: str, status: str = "NORMAL", price: int = 1000) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "item_sku": sku,
        "item_name": f"name {sku}",
        "item_status": status,
        "price_info": [{"currency": "VND", "original_price": price, "current_price": price - 1}],
        "stock_info_v2": {
            "summary_info": {"total_available_stock": 1, "total_reserved_stock": 0},
            "seller_stock": [{"location_id": "VNZ", "stock": 3}, {"stock": 4}],
        },
    }


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


def base_info(request: httpx.Request) -> httpx.Response:
    ids = request.url.params.get_list("item_id_list")
    return ok({"item_list": [item(int(i), f"SKU-{i}") for i in ids]})


async def test_list_pages_all_statuses_and_reads_details_in_chunks_of_50(
    conn: ShopeeConnector,
) -> None:
    def item_list(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        count = 100 if offset == 0 else 20
        ids = [{"item_id": offset + n + 1, "item_status": "NORMAL"} for n in range(count)]
        return ok({"item": ids, "has_next_page": offset == 0, "next_offset": offset + count})

    with respx.mock(base_url=BASE) as mock:
        pages = mock.get("/api/v2/product/get_item_list").mock(side_effect=item_list)
        details = mock.get("/api/v2/product/get_item_base_info").mock(side_effect=base_info)
        listings = [listing async for listing in conn.list_listings()]

    assert len(listings) == 120
    assert listings[0].remote_id == "1" and listings[0].seller_sku == "SKU-1"
    assert [len(c.request.url.params.get_list("item_id_list")) for c in details.calls] == [
        50,
        50,
        20,
    ]
    assert query(pages.calls[0].request) == [
        ("partner_id", "100001"),
        ("timestamp", "1700000000"),
        ("access_token", "tok-abc"),
        ("shop_id", "200001"),
        ("sign", "5584f013a313fbca97f31675a082f0f5304b050ce5acf9eeede70e2a664b6a80"),
        ("offset", "0"),
        ("page_size", "100"),
        ("item_status", "NORMAL"),
        ("item_status", "UNLIST"),
        ("item_status", "REVIEWING"),
        ("item_status", "BANNED"),
    ]
    assert pages.calls[1].request.url.params["offset"] == "100"
    assert conn.http.requests_sent == 5


@pytest.mark.parametrize(
    ("remote", "ours"),
    [
        ("NORMAL", ListingStatus.LIVE),
        ("UNLIST", ListingStatus.UNLISTED),
        ("REVIEWING", ListingStatus.PENDING),
        ("BANNED", ListingStatus.REJECTED),
        ("SHOPEE_DELETE", ListingStatus.REJECTED),
        ("SELLER_DELETE", None),
    ],
)
def test_status_mapping(remote: str, ours: ListingStatus | None) -> None:
    listing = sp.parse_listing(item(7, "A", remote, price=25000))
    if ours is None:
        assert listing is None
        return
    assert listing is not None
    assert (listing.status, listing.price, listing.stock) == (ours, 25000, 7)


async def test_find_by_sku_keeps_only_the_exact_sku(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        search = mock.get("/api/v2/product/search_item").mock(
            return_value=ok({"item_id_list": [11, 12], "total_count": 2, "next_offset": ""})
        )
        mock.get("/api/v2/product/get_item_base_info").mock(
            return_value=ok({"item_list": [item(11, "OCOP-10"), item(12, "OCOP-1")]})
        )
        found = await conn.find_by_sku("OCOP-1")
        assert found is not None and found.remote_id == "12"
        params = search.calls[0].request.url.params
        assert params["item_sku"] == "OCOP-1" and params["page_size"] == "100"
        search.mock(return_value=ok({"item_id_list": [], "total_count": 0, "next_offset": ""}))
        assert await conn.find_by_sku("NONE") is None


async def test_prices_one_item_per_call_with_model_zero(conn: ShopeeConnector) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["item_id"] == 2:
            failure = [{"model_id": 0, "failed_reason": "price too low"}]
            return ok({"success_list": [], "failure_list": failure})
        price = body["price_list"][0]["original_price"]
        return ok({"success_list": [{"model_id": 0, "original_price": price}]})

    updates = [PriceUpdate(str(i), f"S{i}", 1000 * i) for i in (1, 2, 3)]
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/api/v2/product/update_price").mock(side_effect=answer)
        results = await conn.update_prices([*updates, PriceUpdate("abc", "BAD", 1)])

    assert [json.loads(c.request.content) for c in route.calls] == [
        {"item_id": i, "price_list": [{"model_id": 0, "original_price": 1000 * i}]}
        for i in (1, 2, 3)
    ]
    assert [r.ok for r in results] == [True, False, True, False]
    assert isinstance(results[1].error, RejectedError)
    assert results[1].error.message == "price too low"
    assert {k for k, _ in query(route.calls[0].request)} >= {"access_token", "shop_id", "sign"}


async def test_stocks_one_item_per_call_as_seller_stock(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/api/v2/product/update_stock").mock(
            side_effect=[
                ok({"success_list": [{"model_id": 0, "stock": 5}]}),
                err("error_item_not_found", "Item_id is not found."),
            ]
        )
        results = await conn.update_stocks([StockUpdate("1", "A", 5), StockUpdate("2", "B", 0)])

    assert json.loads(route.calls[0].request.content) == {
        "item_id": 1,
        "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 5}]}],
    }
    assert results[0].ok
    assert isinstance(results[1].error, RejectedError)
    assert results[1].error.code == "error_item_not_found"


async def test_single_item_writes_keep_several_in_flight_and_fail_alone(
    conn: ShopeeConnector,
) -> None:
    """Shopee has no batch write: apply hands over WRITES_IN_FLIGHT updates at once and
    they are sent together; one item's failure after its retries is that item's alone."""
    assert ShopeeConnector.capabilities.single_writes_in_flight == WRITES_IN_FLIGHT > 1
    active = peak = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(5):  # let the other writes reach the transport meanwhile
            await asyncio.sleep(0)
        active -= 1
        if json.loads(request.content)["item_id"] == 2:
            return httpx.Response(503)
        return ok({"success_list": [{"model_id": 0, "stock": 5}]})

    updates = [StockUpdate(str(i), f"S{i}", 5) for i in range(1, WRITES_IN_FLIGHT + 1)]
    with respx.mock(base_url=BASE) as mock:
        mock.post("/api/v2/product/update_stock").mock(side_effect=answer)
        results = await conn.update_stocks(updates)
    assert peak == WRITES_IN_FLIGHT
    assert [r.sku for r in results] == [u.sku for u in updates]
    assert [r.ok for r in results] == [i != 2 for i in range(1, WRITES_IN_FLIGHT + 1)]
    assert isinstance(results[1].error, TransientError), "unknown outcome: it may have landed"


async def test_set_status_batches_of_50_with_per_item_outcomes(conn: ShopeeConnector) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        entries = json.loads(request.content)["item_list"]
        done = [e for e in entries if e["item_id"] not in (7, 8)]
        failure = [{"item_id": 7, "failed_reason": "banned"}] if len(done) < len(entries) else []
        return ok({"success_list": done, "failure_list": failure})

    changes = [
        StatusChange(str(i), f"S{i}", ListingStatus.UNLISTED if i % 2 else ListingStatus.LIVE)
        for i in range(1, 121)
    ]
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/api/v2/product/unlist_item").mock(side_effect=answer)
        results = await conn.set_status([*changes, StatusChange("9", "P", ListingStatus.PENDING)])

    bodies = [json.loads(c.request.content)["item_list"] for c in route.calls]
    assert [len(b) for b in bodies] == [50, 50, 20]
    assert bodies[0][:2] == [{"item_id": 1, "unlist": True}, {"item_id": 2, "unlist": False}]
    assert [r.remote_id for r in results] == [str(i) for i in range(1, 121)] + ["9"]
    failed = {r.remote_id: type(r.error) for r in results if not r.ok}
    assert failed == {"7": RejectedError, "8": TransientError, "9": RejectedError}


async def test_all_failed_unlist_batch_marks_every_item(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/api/v2/product/unlist_item").mock(
            return_value=err("error_unlist_item_all_failed", "All items failed to unlist")
        )
        results = await conn.set_status([StatusChange("1", "A", ListingStatus.UNLISTED)])
    assert results[0].error is not None
    assert results[0].error.code == "error_unlist_item_all_failed"


@pytest.mark.parametrize(
    ("code", "message", "status", "expected"),
    [
        ("error_sign", "Wrong sign.", 403, FatalConfigError),
        ("error_partner_key_expired", "partner key expired", 403, FatalConfigError),
        ("invalid_partner_id", "Invalid partner_id.", 403, FatalConfigError),
        ("error_api_permission", "no permission", 403, FatalConfigError),
        ("error_auth", "Invalid partner_id or shopid.", 403, FatalConfigError),
        ("shop_no_linked", "shop not linked", 403, FatalConfigError),
        ("error_limit", "daily API call limit reached", 403, FatalConfigError),
        ("error_param", "Timestamp is expired.", 400, FatalConfigError),
        ("error_rate_limit", "Too many requests.", 200, RateLimitedError),
        ("error_system_busy", "try later", 200, TransientError),
        ("error_server", "Something wrong.", 200, TransientError),
        ("error_inner", "System error", 200, TransientError),
        ("error_item_not_found", "Item_id is not found.", 400, RejectedError),
        ("product.error_param", "invalid field ItemId", 400, RejectedError),
        ("error_invalid_price", "bad price", 400, RejectedError),
        ("error_repeated_mtsku", "A similar product", 400, RejectedError),
        ("error_something_new", "?", 400, RejectedError),
    ],
)
async def test_error_codes_map_to_our_tree(
    conn: ShopeeConnector, code: str, message: str, status: int, expected: type[ConnectorError]
) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/api/v2/product/search_item").mock(
            return_value=err(code, message, status)
        )
        with pytest.raises(ConnectorError) as caught:
            await conn.find_by_sku("A")
    assert type(caught.value) is expected
    assert caught.value.code == code and caught.value.message == message
    retried = issubclass(expected, TransientError)
    assert route.call_count == (conn.ctx.max_attempts if retried else 1)


def test_expired_token_codes_mean_refresh() -> None:
    assert sp.error_class("invalid_acceess_token", "Invalid access_token.") is AuthExpiredError
    assert sp.error_class("invalid_access_token", "Invalid access_token.") is AuthExpiredError
    assert sp.error_class("error_auth", "Invalid access_token.") is AuthExpiredError


async def test_expired_token_is_refreshed_saved_and_the_call_repeated_once(
    conn: ShopeeConnector, store: MemoryTokenStore
) -> None:
    answers = [err("invalid_acceess_token", "Invalid access_token.", 403), ok({"item_id_list": []})]
    refreshed = {"access_token": "tok-new", "refresh_token": "ref-2", "expire_in": 14400}
    with respx.mock(base_url=BASE) as mock:
        search = mock.get("/api/v2/product/search_item").mock(side_effect=answers)
        refresh = mock.post("/api/v2/auth/access_token/get").mock(
            return_value=httpx.Response(200, json={"error": "", "message": "", **refreshed})
        )
        assert await conn.find_by_sku("A") is None

    assert search.call_count == 2 and refresh.call_count == 1
    assert search.calls[1].request.url.params["access_token"] == "tok-new"
    assert json.loads(refresh.calls[0].request.content) == {
        "refresh_token": "ref-1",
        "partner_id": 100001,
        "shop_id": 200001,
    }
    # base "100001/api/v2/auth/access_token/get1700000000" (public: no token in query)
    assert query(refresh.calls[0].request) == [
        ("partner_id", "100001"),
        ("timestamp", "1700000000"),
        ("sign", "eb591c19fea71498c661a4be1ea87aa3bf849fed25d41ba6943e04416a5126a6"),
    ]
    saved = store.load("s")
    assert saved is not None
    assert (saved.access_token, saved.refresh_token) == ("tok-new", "ref-2")
    assert saved.access_expires_at == _at(TS + 14400)


async def test_refused_refresh_stops_the_connection_without_leaking_the_token(
    conn: ShopeeConnector,
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/api/v2/product/search_item").mock(
            return_value=err("invalid_acceess_token", "Invalid access_token.", 403)
        )
        mock.post("/api/v2/auth/access_token/get").mock(
            return_value=err("error_auth", "Invalid refresh_token. refresh_token=ref-1", 403)
        )
        with pytest.raises(FatalConfigError) as caught:
            await conn.find_by_sku("A")
    assert "ref-1" not in str(caught.value)
    assert "authorize again" in str(caught.value)


async def test_known_expiry_refreshes_before_calling(store: MemoryTokenStore) -> None:
    store.save("s", "shopee", stored_tokens(expires=TS - 5))
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=OPTIONS),
        CREDS,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    refreshed = {"error": "", "access_token": "tok-new", "refresh_token": "r2", "expire_in": 1}
    async with ShopeeConnector(ctx) as conn:
        with respx.mock(base_url=BASE) as mock:
            mock.post("/api/v2/auth/access_token/get").mock(
                return_value=httpx.Response(200, json=refreshed)
            )
            search = mock.get("/api/v2/product/search_item").mock(
                return_value=ok({"item_id_list": []})
            )
            await conn.find_by_sku("A")
        assert search.call_count == 1
        assert search.calls[0].request.url.params["access_token"] == "tok-new"


async def test_http_429_and_5xx_are_retried(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/api/v2/product/search_item").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "0"}),
                httpx.Response(502),
                ok({"item_id_list": []}),
            ]
        )
        assert await conn.find_by_sku("A") is None
    assert route.call_count == 3
    timestamps = {c.request.url.params["timestamp"] for c in route.calls}
    assert timestamps == {"1700000000"}  # each attempt is signed afresh (fake clock)


def draft(**changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": "OCOP-1",
        "name": "Trà sen Tây Hồ",
        "description": "Trà ướp sen Tây Hồ, hộp 100 g",
        "price": 120000,
        "stock": 7,
        "group": "food",
        "stars": 4,
        "entity_code": "E1",
        "province": "Hà Nội",
        "weight_g": 250,
        "image_urls": (IMAGE,),
    }
    values.update(changes)
    return ListingDraft(**values)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"group": "textile"}, "no category for group 'textile' in options.category_map"),
        ({"weight_g": None}, "no weight"),
        ({"description": " "}, "no description"),
        ({"image_urls": ("tra.png",)}, "not an http(s) URL"),
    ],
)
async def test_missing_data_blocks_create_without_a_request(
    conn: ShopeeConnector, changes: dict[str, Any], reason: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        with pytest.raises(RejectedError) as caught:
            await conn.create_listing(draft(**changes))
        assert mock.calls.call_count == 0
    assert caught.value.code == "missing_data"
    assert reason in caught.value.message
    assert conn.http.requests_sent == 0


def test_missing_images_and_logistics_are_reported() -> None:
    missing = sp.missing_for_create(draft(image_urls=()), {"category_map": {"food": 1}})
    assert any(m.startswith("no images") for m in missing)
    assert any(m.startswith("no logistics channel") for m in missing)


async def test_create_uploads_images_once_and_sends_add_item(conn: ShopeeConnector) -> None:
    image_info = {"image_info": {"image_id": "img-1", "image_url_list": []}}
    with respx.mock(base_url=BASE) as mock:
        download = mock.get(IMAGE).mock(return_value=httpx.Response(200, content=PNG))
        upload = mock.post("/api/v2/media_space/upload_image").mock(return_value=ok(image_info))
        add = mock.post("/api/v2/product/add_item").mock(
            side_effect=[ok({"item_id": 555}), ok({"item_id": 556})]
        )
        assert await conn.create_listing(draft()) == "555"
        assert await conn.create_listing(draft(sku="OCOP-2")) == "556"

    assert download.call_count == 1 and upload.call_count == 1
    sent = upload.calls[0].request
    assert [k for k, _ in query(sent)] == ["partner_id", "timestamp", "sign"]
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert b'name="image"' in sent.content and PNG in sent.content
    assert json.loads(add.calls[0].request.content) == {
        "item_name": "Trà sen Tây Hồ",
        "description": "Trà ướp sen Tây Hồ, hộp 100 g",
        "item_sku": "OCOP-1",
        "original_price": 120000,
        "seller_stock": [{"stock": 7}],
        "weight": 0.25,
        "category_id": 100629,
        "image": {"image_id_list": ["img-1"]},
        "logistic_info": [{"logistic_id": 50011, "enabled": True}],
        "condition": "NEW",
        "item_status": "NORMAL",
        "brand": {"brand_id": 0, "original_brand_name": "No Brand"},
    }


async def test_create_without_images_uses_the_placeholder(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        add = mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 9}))
        await conn.create_listing(draft(image_urls=()))
    assert json.loads(add.calls[0].request.content)["image"] == {
        "image_id_list": ["img-placeholder"]
    }


async def test_images_off_the_allowed_hosts_are_never_downloaded(store: MemoryTokenStore) -> None:
    options = OPTIONS | {"image_hosts": ["img.example"]}
    ctx = ConnectorContext(
        ConnectionSettings("s", "shopee", BASE, options=options),
        CREDS,
        token_store=store,
        clock=lambda: float(TS),
        retry_wait_scale=0,
    )
    elsewhere = "https://img.ocop.example/ag-1/1.jpg"
    image_info = {"image_info": {"image_id": "img-1"}}
    async with ShopeeConnector(ctx) as conn:
        # respx refuses any request it has no route for, so a download of `elsewhere` fails.
        with respx.mock(base_url=BASE) as mock:
            download = mock.get(IMAGE).mock(return_value=httpx.Response(200, content=PNG))
            mock.post("/api/v2/media_space/upload_image").mock(return_value=ok(image_info))
            add = mock.post("/api/v2/product/add_item").mock(return_value=ok({"item_id": 1}))
            await conn.create_listing(draft(image_urls=(elsewhere, IMAGE)))
            await conn.create_listing(draft(sku="OCOP-2", image_urls=(elsewhere,)))
    assert download.call_count == 1
    sent = [json.loads(c.request.content)["image"]["image_id_list"] for c in add.calls]
    assert sent == [["img-1"], ["img-placeholder"]]


async def test_failed_image_download_is_a_rejection_naming_the_url(
    conn: ShopeeConnector,
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get(IMAGE).mock(return_value=httpx.Response(404))
        with pytest.raises(RejectedError) as caught:
            await conn.create_listing(draft())
    assert IMAGE in caught.value.message and caught.value.code == "image_download"


async def test_ambiguous_create_failure_adopts_instead_of_adding_twice(
    conn: ShopeeConnector,
) -> None:
    with respx.mock(base_url=BASE) as mock:
        add = mock.post("/api/v2/product/add_item").mock(return_value=httpx.Response(504))
        mock.get("/api/v2/product/search_item").mock(
            return_value=ok({"item_id_list": [77], "total_count": 1})
        )
        mock.get("/api/v2/product/get_item_base_info").mock(
            return_value=ok({"item_list": [item(77, "OCOP-1")]})
        )
        assert await conn.create_listing(draft(image_urls=())) == "77"
    assert add.call_count == 1


async def test_exchange_code_saves_tokens(conn: ShopeeConnector, store: MemoryTokenStore) -> None:
    answer = {"error": "", "access_token": "a1", "refresh_token": "r1", "expire_in": 14400}
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/api/v2/auth/token/get").mock(
            return_value=httpx.Response(200, json=answer)
        )
        tokens = await conn.exchange_code("the-code", shop_id="200009")
    assert json.loads(route.calls[0].request.content) == {
        "code": "the-code",
        "partner_id": 100001,
        "shop_id": 200009,
    }
    assert store.load("s") == tokens
    assert tokens.extra == {"shop_id": "200009"}
    assert tokens.refresh_expires_at == _at(TS + 30 * 86400)
    assert "a1" not in repr(tokens)


async def test_check_reports_expiry_or_missing_authorization(conn: ShopeeConnector) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/api/v2/product/get_item_list").mock(return_value=ok({"item": []}))
        status = await conn.check()
    assert status.ok and status.access_expires_at == _at(TS + 14400)
    assert route.calls[0].request.url.params["page_size"] == "1"

    empty = ConnectorContext(ConnectionSettings("t", "shopee", BASE), CREDS)
    async with ShopeeConnector(empty) as fresh:
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            status = await fresh.check()
            assert mock.calls.call_count == 0
    assert not status.ok and "not authorized" in status.detail


def test_missing_credentials_are_a_config_error() -> None:
    ctx = ConnectorContext(ConnectionSettings("s", "shopee", BASE), {"partner_id": "x"})
    with pytest.raises(FatalConfigError):
        ShopeeConnector(ctx)
