"""Sendo connector against respx: request shapes, login flow, paging, batches, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from ocopsync.config import ConnectionSettings
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
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.connectors.sendo_payloads import (
    Availability,
    description_html,
    error_from,
    listing_status,
    parse_expires,
    stock_change,
)
from ocopsync.connectors.sendo_products import ProductState, VariantState
from ocopsync.connectors.sendo_writes import WriteOp, plan_product
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

pytestmark = pytest.mark.anyio

BASE = "https://open.sendo.vn"
NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
KEYS = {"shop_key": "shop-key-1", "secret_key": "secret-key-1"}
SEARCH = "/api/partner/product/search"
PRODUCT = "/api/partner/product"
VARIANT = "/api/partner/product/config/variant-price"
OPTIONS = {"rate_limit_per_s": 10_000, "category_map": {"food": 1111}, "default_weight_g": 300}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


def ok(result: Any) -> dict[str, Any]:
    return {"result": result, "success": True, "error": None, "status_code": 200}


def fail(status: int, code: str, message: str = "refused", **headers: str) -> httpx.Response:
    detail = {"property_name": "", "message": message, "value": None, "code": code}
    body = {
        "result": None,
        "success": False,
        "error": {"message": message, "details": "", "error_details": [detail]},
        "status_code": status,
    }
    return httpx.Response(status, json=body, headers=headers)


def login_answer(
    token: str = "tok-1", expires: str = "2025-06-15T23:06:40+07:00"
) -> httpx.Response:
    return httpx.Response(200, json=ok({"token": token, "expires": expires}))


def make(store: MemoryTokenStore | None = None, **options: Any) -> SendoConnector:
    settings = ConnectionSettings("sendo-shop", "sendo", BASE, options={**OPTIONS, **options})
    ctx = ConnectorContext(
        settings,
        dict(KEYS),
        token_store=store or MemoryTokenStore(),
        clock=lambda: NOW,
        retry_wait_scale=0,
    )
    return SendoConnector(ctx)


def stored(token: str, minutes_left: float) -> MemoryTokenStore:
    store = MemoryTokenStore()
    expires = datetime.fromtimestamp(NOW, tz=UTC) + timedelta(minutes=minutes_left)
    store.save("sendo-shop", "sendo", Tokens(access_token=token, access_expires_at=expires))
    return store


def row(
    pid: int, sku: str, *, stock: int = 5, available: bool = True, status: int = 2
) -> dict[str, Any]:
    return {
        "id": pid,
        "sku": sku,
        "name": f"Sản phẩm {sku}",
        "price": 50000,
        "special_price": 0,
        "stock_quantity": stock,
        "stock_availability": available,
        "status": status,
        "is_config_variant": False,
    }


def page(rows: list[dict[str, Any]], next_token: str = "") -> httpx.Response:
    return httpx.Response(200, json=ok({"data": rows, "next_token": next_token}))


def details(api: respx.MockRouter, **rows: dict[str, Any]) -> respx.Route:
    """GET /product?id= answering ``rows[id]``, or a selling product of 5 at 50,000."""

    def answer(request: httpx.Request) -> httpx.Response:
        pid = request.url.params["id"]
        return httpx.Response(200, json=ok(rows.get(f"p{pid}", row(int(pid), f"S{pid}"))))

    return api.get(PRODUCT).mock(side_effect=answer)


def full(pid: int, price: int = 50000, stock: int = 5, available: bool = True) -> dict[str, Any]:
    """The full variant-price item (price, stock and availability together)."""
    return {
        "product_id": pid,
        "is_config_variant": False,
        "price": price,
        "stock_quantity": stock,
        "stock_availability": available,
    }


def draft(**changes: Any) -> ListingDraft:
    values: dict[str, Any] = {
        "sku": "OCOP-1",
        "name": "Mật ong hoa cà phê",
        "description": "Mật ong nguyên chất.\nThu hoạch ở Đắk Lắk.",
        "price": 150000,
        "stock": 12,
        "group": "food",
        "stars": 4,
        "entity_code": "HTX-1",
        "province": "Đắk Lắk",
        "weight_g": 500,
        "image_urls": ("https://img.example/1.jpg", "https://img.example/2.jpg"),
    }
    values.update(changes)
    return ListingDraft(**values)


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- login and the bearer token -------------------------------------------------------------
async def test_login_once_then_bearer_on_every_call_and_token_saved(
    api: respx.MockRouter,
) -> None:
    login = api.post("/login").mock(return_value=login_answer())
    search = api.post(SEARCH).mock(side_effect=[page([row(1, "A")], "c2"), page([row(2, "B")])])
    store = MemoryTokenStore()
    async with make(store) as connector:
        listings = [listing async for listing in connector.list_listings()]

    assert [x.seller_sku for x in listings] == ["A", "B"]
    assert login.call_count == 1
    assert sent(login, 0) == KEYS
    assert login.calls[0].request.headers["content-type"] == "application/json"
    assert "authorization" not in login.calls[0].request.headers
    assert [c.request.headers["authorization"] for c in search.calls] == ["bearer tok-1"] * 2
    assert sent(search, 0) == {"page_size": 50, "status": None, "token": ""}
    assert sent(search, 1)["token"] == "c2"
    tokens = store.load("sendo-shop")
    assert tokens is not None
    assert tokens.access_token == "tok-1"
    assert tokens.refresh_token == ""
    assert tokens.access_expires_at == datetime(2025, 6, 15, 16, 6, 40, tzinfo=UTC)


async def test_stored_token_is_reused_without_logging_in(api: respx.MockRouter) -> None:
    login = api.post("/login").mock(return_value=login_answer())
    search = api.post(SEARCH).mock(return_value=page([row(1, "A")]))
    async with make(stored("tok-old", minutes_left=60)) as connector:
        assert [x.remote_id async for x in connector.list_listings()] == ["1"]
    assert login.call_count == 0
    assert search.calls[0].request.headers["authorization"] == "bearer tok-old"


async def test_token_within_five_minutes_of_expiry_is_renewed_first(
    api: respx.MockRouter,
) -> None:
    login = api.post("/login").mock(return_value=login_answer("tok-new"))
    search = api.post(SEARCH).mock(return_value=page([row(1, "A")]))
    store = stored("tok-old", minutes_left=4)
    async with make(store) as connector:
        assert [x.remote_id async for x in connector.list_listings()] == ["1"]
    assert login.call_count == 1
    assert search.call_count == 1
    assert search.calls[0].request.headers["authorization"] == "bearer tok-new"
    assert store.load("sendo-shop").access_token == "tok-new"  # type: ignore[union-attr]


async def test_expired_token_answer_logs_in_again_and_repeats_once(
    api: respx.MockRouter,
) -> None:
    login = api.post("/login").mock(return_value=login_answer("tok-new"))
    search = api.post(SEARCH).mock(
        side_effect=[fail(401, "token_expired", "Token is expired"), page([row(1, "A")])]
    )
    store = stored("tok-old", minutes_left=60)
    async with make(store) as connector:
        assert [x.remote_id async for x in connector.list_listings()] == ["1"]
    assert login.call_count == 1
    assert [c.request.headers["authorization"] for c in search.calls] == [
        "bearer tok-old",
        "bearer tok-new",
    ]
    assert store.load("sendo-shop").access_token == "tok-new"  # type: ignore[union-attr]


async def test_token_refused_after_a_fresh_login_is_raised(api: respx.MockRouter) -> None:
    login = api.post("/login").mock(return_value=login_answer("tok-new"))
    search = api.post(SEARCH).mock(return_value=fail(401, "token_expired", "Token is expired"))
    async with make(stored("tok-old", 60)) as connector:
        with pytest.raises(AuthExpiredError):
            [x async for x in connector.list_listings()]
    assert login.call_count == 1
    assert search.call_count == 2


async def test_wrong_keys_are_a_fatal_config_error_and_check_reports_them(
    api: respx.MockRouter,
) -> None:
    login = api.post("/login").mock(
        return_value=fail(401, "invalid_credentials", "shop_key or secret_key is wrong")
    )
    store = MemoryTokenStore()
    async with make(store) as connector:
        with pytest.raises(FatalConfigError) as raised:
            await connector.find_by_sku("A")
        status = await connector.check()
    assert raised.value.code == "invalid_credentials"
    assert status.ok is False
    assert "secret_key is wrong" in status.detail
    assert login.call_count == 2
    assert store.load("sendo-shop") is None


async def test_check_logs_in_and_reports_the_token_expiry(api: respx.MockRouter) -> None:
    login = api.post("/login").mock(return_value=login_answer())
    async with make() as connector:
        status = await connector.check()
    assert status.ok is True
    assert status.access_expires_at == datetime(2025, 6, 15, 16, 6, 40, tzinfo=UTC)
    assert login.call_count == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-15T23:00:00+07:00", datetime(2025, 6, 15, 16, 0, tzinfo=UTC)),
        ("2025-06-15T23:00:00", datetime(2025, 6, 15, 16, 0, tzinfo=UTC)),
        ("2025-06-15T16:00:00Z", datetime(2025, 6, 15, 16, 0, tzinfo=UTC)),
        ("not a date", datetime(2025, 6, 15, 23, 0, tzinfo=UTC)),
        (None, datetime(2025, 6, 15, 23, 0, tzinfo=UTC)),
    ],
)
def test_parse_expires(value: Any, expected: datetime) -> None:
    assert parse_expires(value, datetime(2025, 6, 15, 15, 0, tzinfo=UTC)) == expected


# -- reading ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "available", "stock", "expected"),
    [
        (2, True, 5, ListingStatus.LIVE),
        (2, False, 5, ListingStatus.UNLISTED),
        (2, False, 0, ListingStatus.LIVE),  # sold out, not unlisted
        (0, False, 5, ListingStatus.UNLISTED),
        (1, True, 5, ListingStatus.PENDING),
        (3, False, 5, ListingStatus.REJECTED),
        (4, False, 5, ListingStatus.UNLISTED),
        (5, False, 5, None),
        (6, False, 5, None),
    ],
)
def test_listing_status(
    status: int, available: bool, stock: int, expected: ListingStatus | None
) -> None:
    assert listing_status(status, available, stock) == expected


async def test_listing_skips_deleted_products_and_stops_on_empty_cursor(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    search = api.post(SEARCH).mock(
        return_value=page([row(1, "A"), row(2, "B", status=5), row(3, "C", available=False)])
    )
    async with make() as connector:
        listings = [x async for x in connector.list_listings()]
    assert [(x.remote_id, x.status) for x in listings] == [
        ("1", ListingStatus.LIVE),
        ("3", ListingStatus.UNLISTED),
    ]
    assert listings[0].price == 50000
    assert listings[0].stock == 5
    assert search.call_count == 1


async def test_find_by_sku_asks_by_sku_and_maps_not_found_to_none(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    found = api.get(PRODUCT, params={"sku": "A"}).mock(
        return_value=httpx.Response(200, json=ok(row(7, "A")))
    )
    api.get(PRODUCT, params={"sku": "NONE"}).mock(
        return_value=fail(404, "product_not_found", "Sản phẩm không tồn tại")
    )
    async with make() as connector:
        listing = await connector.find_by_sku("A")
        missing = await connector.find_by_sku("NONE")
    assert listing is not None
    assert (listing.remote_id, listing.seller_sku) == ("7", "A")
    assert found.calls[0].request.headers["authorization"] == "bearer tok-1"
    assert missing is None


# -- creating ---------------------------------------------------------------------------------
async def test_create_posts_a_full_product_with_id_zero(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    create = api.post(PRODUCT).mock(return_value=httpx.Response(200, json=ok(98765)))
    async with make() as connector:
        remote_id = await connector.create_listing(draft())
    assert remote_id == "98765"
    body = sent(create)
    description = body.pop("description")
    assert body == {
        "id": 0,
        "name": "Mật ong hoa cà phê",
        "sku": "OCOP-1",
        "price": 150000,
        "stock_quantity": 12,
        "stock_availability": True,
        "special_price": None,
        "promotion_from_date": None,
        "promotion_to_date": None,
        "cat_4_id": 1111,
        "weight": 500,
        "avatar": {"picture_url": "https://img.example/1.jpg"},
        "pictures": [{"picture_url": "https://img.example/2.jpg"}],
        "is_config_variant": False,
        "attributes": [],
        "variants": [],
    }
    assert description.startswith("<h2>Mật ong hoa cà phê</h2><p>Mật ong nguyên chất.</p>")
    assert 100 <= len(description) <= 100_000


async def test_create_with_no_stock_is_sent_unavailable(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    create = api.post(PRODUCT).mock(return_value=httpx.Response(200, json=ok(5)))
    async with make() as connector:
        await connector.create_listing(draft(stock=0, weight_g=None))
    assert sent(create)["stock_availability"] is False
    assert sent(create)["weight"] == 300  # options.default_weight_g


@pytest.mark.parametrize(
    ("changes", "options", "expected"),
    [
        ({"group": "textile"}, {}, "no category for group 'textile'"),
        ({"image_urls": ()}, {}, "no images"),
        ({"weight_g": None}, {"default_weight_g": None}, "no weight"),
        ({}, {"category_map": {"food": "not-an-id"}}, "no category for group 'food'"),
    ],
)
async def test_missing_data_blocks_create_without_a_request(
    api: respx.MockRouter, changes: dict[str, Any], options: dict[str, Any], expected: str
) -> None:
    login = api.post("/login").mock(return_value=login_answer())
    create = api.post(PRODUCT).mock(return_value=httpx.Response(200, json=ok(1)))
    async with make(**options) as connector:
        missing = connector.missing_for_create(draft(**changes))
        with pytest.raises(RejectedError) as raised:
            await connector.create_listing(draft(**changes))
    assert len(missing) == 1
    assert expected in missing[0]
    assert raised.value.code == "missing_data"
    assert login.call_count == 0
    assert create.call_count == 0


def test_complete_draft_misses_nothing() -> None:
    assert make().missing_for_create(draft()) == []


def test_description_is_escaped_and_padded_to_sendo_minimum() -> None:
    html = description_html(draft(name="Trà", description="<b>ngon</b>", province=""))
    assert len(html) >= 100
    assert "<b>" not in html
    assert "&lt;b&gt;ngon&lt;/b&gt;" in html
    assert "OCOP" in html


def test_description_is_cut_to_sendo_maximum_without_splitting_an_entity() -> None:
    html = description_html(draft(description="&" * 60_000 + "\n" + "x" * 60_000))
    assert 99_900 <= len(html) <= 100_000
    assert html.count("&") == html.count("&amp;") > 19_000
    assert "x" not in html.split("</h2>", 1)[1]  # the second paragraph no longer fits


async def test_create_retried_after_a_dropped_answer_adopts_its_own_product(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    create = api.post(PRODUCT).mock(
        side_effect=[httpx.RemoteProtocolError("closed"), fail(409, "sku_duplicate")]
    )
    lookup = api.get(PRODUCT).mock(return_value=httpx.Response(200, json=ok(row(44, "OCOP-1"))))
    async with make() as connector:
        assert await connector.create_listing(draft()) == "44"
    assert create.call_count == 2
    assert lookup.calls[0].request.url.params["sku"] == "OCOP-1"


async def test_duplicate_sku_on_first_attempt_is_rejected(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    api.post(PRODUCT).mock(return_value=fail(409, "sku_duplicate", "sku exists"))
    lookup = api.get(PRODUCT).mock(return_value=httpx.Response(200, json=ok(row(44, "OCOP-1"))))
    async with make() as connector:
        with pytest.raises(RejectedError) as raised:
            await connector.create_listing(draft())
    assert raised.value.code == "sku_duplicate"
    assert lookup.call_count == 0


# -- price, stock and status batches ----------------------------------------------------------
async def test_prices_go_in_batches_of_50_with_per_item_errors(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    rows = [row(1000 + i, f"S{i}") for i in range(120)]
    search = api.post(SEARCH).mock(
        side_effect=[page(rows[:50], "t2"), page(rows[50:100], "t3"), page(rows[100:])]
    )
    variant = api.put(VARIANT).mock(
        side_effect=[
            httpx.Response(200, json=ok({"error_list": []})),
            httpx.Response(
                200,
                json=ok(
                    {
                        "error_list": [
                            {"product_id": 1060, "code": "product_not_found", "error": "gone"}
                        ]
                    }
                ),
            ),
            httpx.Response(200, json=ok({"error_list": []})),
        ]
    )
    updates = [PriceUpdate(str(1000 + i), f"S{i}", 20000 + i) for i in range(120)]
    async with make() as connector:
        results = await connector.update_prices(updates)
    # 120 unseen products: their stock and availability come from the search, not 120 reads
    assert search.call_count == 3
    assert [len(sent(variant, i)) for i in range(3)] == [50, 50, 20]
    assert sent(variant, 0)[0] == full(1000, price=20000)
    assert variant.calls[0].request.headers["authorization"] == "bearer tok-1"
    assert [r.sku for r in results] == [u.sku for u in updates]
    failed = [r for r in results if not r.ok]
    assert [r.remote_id for r in failed] == ["1060"]
    assert isinstance(failed[0].error, RejectedError)
    assert failed[0].error.code == "product_not_found"


async def test_a_refused_batch_fails_each_of_its_items(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    api.put(VARIANT).mock(return_value=fail(400, "validation", "array too large"))
    details(api)
    async with make() as connector:
        results = await connector.update_stocks(
            [StockUpdate("1", "A", 3), StockUpdate("2", "B", 4)]
        )
    assert [type(r.error) for r in results] == [RejectedError, RejectedError]


async def test_a_remote_id_that_is_not_a_number_fails_without_a_request(
    api: respx.MockRouter,
) -> None:
    login = api.post("/login").mock(return_value=login_answer())
    variant = api.put(VARIANT).mock(return_value=httpx.Response(200, json=ok({"error_list": []})))
    async with make() as connector:
        results = await connector.update_prices([PriceUpdate("abc", "A", 1000)])
    assert results[0].error is not None
    assert (login.call_count, variant.call_count) == (0, 0)


UNLISTED = Availability(5, False, True)
SOLD_OUT = Availability(0, False, False)
SELLING = Availability(3, True, False)


@pytest.mark.parametrize(
    ("known", "stock", "fields", "after"),
    [
        (
            SELLING,
            0,
            {"stock_quantity": 0, "stock_availability": False},
            Availability(0, False, False),
        ),
        (
            UNLISTED,
            0,
            {"stock_quantity": 0, "stock_availability": False},
            Availability(0, False, True),
        ),
        (
            None,
            -2,
            {"stock_quantity": 0, "stock_availability": False},
            Availability(0, False, False),
        ),
        (SELLING, 9, {"stock_quantity": 9}, Availability(9, True, False)),
        (
            SOLD_OUT,
            9,
            {"stock_quantity": 9, "stock_availability": True},
            Availability(9, True, False),
        ),
        (UNLISTED, 9, {"stock_quantity": 9}, Availability(9, False, True)),
        (None, 9, {"stock_quantity": 9}, None),
    ],
)
def test_stock_change_never_reopens_an_unlisted_listing(
    known: Availability | None, stock: int, fields: dict[str, Any], after: Availability | None
) -> None:
    assert stock_change(known, stock) == (fields, after)


async def test_stock_updates_follow_what_the_listing_showed(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    api.post(SEARCH).mock(
        return_value=page(
            [
                row(1, "SOLD-OUT", stock=0, available=False),
                row(2, "UNLISTED", stock=5, available=False),
                row(3, "SELLING", stock=3, available=True),
            ]
        )
    )
    variant = api.put(VARIANT).mock(return_value=httpx.Response(200, json=ok({"error_list": []})))
    async with make() as connector:
        [x async for x in connector.list_listings()]
        await connector.update_stocks(
            [
                StockUpdate("1", "SOLD-OUT", 4),
                StockUpdate("2", "UNLISTED", 4),
                StockUpdate("3", "SELLING", 0),
            ]
        )
    assert sent(variant) == [
        full(1, stock=4, available=True),
        full(2, stock=4, available=False),
        full(3, stock=0, available=False),
    ]


async def test_unlist_and_relist_set_stock_availability_in_one_batch(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    variant = api.put(VARIANT).mock(return_value=httpx.Response(200, json=ok({"error_list": []})))
    details(api)
    async with make() as connector:
        results = await connector.set_status(
            [
                StatusChange("1", "A", ListingStatus.UNLISTED),
                StatusChange("2", "B", ListingStatus.LIVE),
                StatusChange("3", "C", ListingStatus.PENDING),
            ]
        )
        # A later stock update must keep the unlisted one unavailable.
        await connector.update_stocks([StockUpdate("1", "A", 8)])
    assert sent(variant, 0) == [full(1, available=False), full(2, available=True)]
    assert sent(variant, 1) == [full(1, stock=8, available=False)]
    assert [r.ok for r in results] == [True, True, False]


async def test_relisting_a_listing_without_stock_waits_for_its_next_stock(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    api.post(SEARCH).mock(return_value=page([row(1, "A", stock=5, available=False)]))
    variant = api.put(VARIANT).mock(return_value=httpx.Response(200, json=ok({"error_list": []})))
    async with make() as connector:
        [x async for x in connector.list_listings()]
        await connector.update_stocks([StockUpdate("1", "A", 0)])
        results = await connector.set_status([StatusChange("1", "A", ListingStatus.LIVE)])
        await connector.update_stocks([StockUpdate("1", "A", 6)])
    assert results[0].ok
    assert variant.call_count == 2  # the relist itself needed no request
    assert sent(variant, 1)[0]["stock_availability"] is True


# -- error mapping and retries ----------------------------------------------------------------
def test_a_404_without_an_envelope_means_a_wrong_base_url() -> None:
    error = error_from(404, None)
    assert isinstance(error, FatalConfigError)
    assert "base_url" in str(error)


@pytest.mark.parametrize(
    ("status", "code", "login", "expected"),
    [
        (401, "invalid_credentials", True, FatalConfigError),
        (401, "", True, FatalConfigError),
        (403, "permission_denied", False, FatalConfigError),
        (401, "token_expired", False, AuthExpiredError),
        (401, "token_invalid", False, AuthExpiredError),
        (401, "", False, AuthExpiredError),
        (400, "validation", False, RejectedError),
        (409, "sku_duplicate", False, RejectedError),
        (404, "product_not_found", False, RejectedError),
        (400, "product_locked", False, RejectedError),
        (404, "category_not_found", False, RejectedError),
        (429, "rate_limited", False, RateLimitedError),
        (503, "system_busy", False, TransientError),
        (500, "", False, TransientError),
    ],
)
def test_error_table(status: int, code: str, login: bool, expected: type[ConnectorError]) -> None:
    body = json.loads(fail(status, code, "platform says no").content)
    error = error_from(status, body, login=login)
    assert type(error) is expected
    assert error.platform == "sendo"
    assert error.code == (code or str(status))
    assert "platform says no" in str(error)


@pytest.mark.parametrize(
    "first",
    [
        fail(429, "rate_limited", "slow down", **{"Retry-After": "2"}),
        fail(503, "system_busy", "busy"),
        httpx.ConnectTimeout("slow"),
    ],
)
async def test_rate_limit_and_server_errors_are_retried(
    api: respx.MockRouter, first: httpx.Response | Exception
) -> None:
    api.post("/login").mock(return_value=login_answer())
    search = api.post(SEARCH).mock(side_effect=[first, page([row(1, "A")])])
    async with make() as connector:
        assert [x.remote_id async for x in connector.list_listings()] == ["1"]
        sent_count = connector.http.requests_sent
    assert search.call_count == 2
    assert sent_count == 3  # login + two searches


async def test_persistent_rate_limit_raises_with_the_hint(api: respx.MockRouter) -> None:
    api.post("/login").mock(return_value=login_answer())
    api.post(SEARCH).mock(return_value=fail(429, "rate_limited", "slow", **{"Retry-After": "3"}))
    async with make() as connector:
        with pytest.raises(RateLimitedError) as raised:
            [x async for x in connector.list_listings()]
    assert raised.value.retry_after == 3.0


def test_missing_keys_are_a_config_error() -> None:
    settings = ConnectionSettings("s", "sendo", BASE)
    with pytest.raises(FatalConfigError):
        SendoConnector(ConnectorContext(settings, {"shop_key": "k"}))


def with_variants(pid: int, sku: str) -> dict[str, Any]:
    """A product detail with two config variants (shape of Get Sku Detail)."""
    variants = [
        {
            "variant_attributes": [
                {"attribute_id": 1502, "attribute_code": "khoi_luong", "option_id": option}
            ],
            "variant_sku": f"{sku}-{label}",
            "variant_price": price,
            "variant_special_price": None,
            "variant_quantity": quantity,
            "variant_attribute_hash": str(option),
        }
        for option, label, price, quantity in (
            (26001, "100G", 40000.0, 6),
            (26005, "500G", 150000, 2),
        )
    ]
    detail = {**row(pid, sku, stock=8), "is_config_variant": True, "variants": variants}
    detail.pop("special_price")
    return detail


async def test_a_row_that_does_not_say_is_read_in_detail_and_yields_each_variant(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    bare = row(7, "TRA")
    del bare["is_config_variant"]
    api.post(SEARCH).mock(return_value=page([bare, row(8, "PLAIN")]))
    read = details(api, p7=with_variants(7, "TRA"))
    async with make() as connector:
        found = [x async for x in connector.list_listings()]
    assert read.call_count == 1
    assert [(x.remote_id, x.seller_sku, x.price, x.stock, x.group_id) for x in found] == [
        ("7:TRA-100G", "TRA-100G", 40000, 6, "7"),
        ("7:TRA-500G", "TRA-500G", 150000, 2, "7"),
        ("8", "PLAIN", 50000, 5, ""),
    ]


async def test_a_variant_write_sends_its_product_full_item_with_that_variant(
    api: respx.MockRouter,
) -> None:
    api.post("/login").mock(return_value=login_answer())
    details(api, p7=with_variants(7, "TRA"))
    variant = api.put(VARIANT).mock(return_value=httpx.Response(200, json=ok({"error_list": []})))
    async with make() as connector:
        results = await connector.update_stocks(
            [StockUpdate("7:TRA-500G", "TRA-500G", 0), StockUpdate("7:TRA-100G", "TRA-100G", 3)]
        )
    assert [r.ok for r in results] == [True, True]
    assert sent(variant) == [
        {
            "product_id": 7,
            "is_config_variant": True,
            "price": 40000,
            "stock_quantity": 3,
            "stock_availability": True,
            "variants": [
                {
                    "variant_attributes": [
                        {"attribute_id": 1502, "attribute_code": "khoi_luong", "option_id": 26005}
                    ],
                    "variant_sku": "TRA-500G",
                    "variant_price": 150000,
                    "variant_quantity": 0,
                },
                {
                    "variant_attributes": [
                        {"attribute_id": 1502, "attribute_code": "khoi_luong", "option_id": 26001}
                    ],
                    "variant_sku": "TRA-100G",
                    "variant_price": 40000,
                    "variant_quantity": 3,
                },
            ],
        }
    ]


SIMPLE = ProductState(pid=1, price=50000, stock=4, available=True, config=False)
SIZES = ProductState(
    pid=2,
    price=40000,
    stock=8,
    available=True,
    config=True,
    variants={
        "T-100": VariantState(({"attribute_id": 1502, "option_id": 26001},), 40000, 6),
        "T-500": VariantState(({"attribute_id": 1502, "option_id": 26005},), 150000, 2),
    },
)


@pytest.mark.parametrize(
    ("state", "op", "sku", "item", "refused"),
    [
        (SIMPLE, WriteOp("A", "1", "price", 52000), "", full(1, 52000, 4, True), False),
        (SIMPLE, WriteOp("A", "1", "stock", 0), "", full(1, 50000, 0, False), False),
        (SIMPLE, WriteOp("A", "1", "status", ListingStatus.UNLISTED), "", full(1, 50000, 4, False),
         False),
        (SIZES, WriteOp("T", "2", "price", 1), "", None, True),
        (SIZES, WriteOp("T", "2:T-1K", "price", 1), "T-1K", None, True),
        (SIMPLE, WriteOp("A", "1:X", "price", 1), "X", None, True),
    ],
)  # fmt: skip
def test_plan_product_folds_ops_into_one_full_item(
    state: ProductState, op: WriteOp, sku: str, item: dict[str, Any] | None, refused: bool
) -> None:
    pending, refused_ops = plan_product(
        state, Availability.observed(state.total(), True), [(0, op, sku)]
    )
    assert bool(refused_ops) is refused
    assert (pending.item if pending else None) == item


def test_plan_product_changes_two_variants_in_one_item_and_keeps_the_rest() -> None:
    ops = [
        (0, WriteOp("T-100", "2:T-100", "price", 45000), "T-100"),
        (1, WriteOp("T-500", "2:T-500", "stock", 0), "T-500"),
    ]
    pending, refused = plan_product(SIZES, Availability.observed(8, True), ops)
    assert refused == [] and pending is not None and pending.item is not None
    sent_variants = [
        (v["variant_sku"], v["variant_price"], v["variant_quantity"])
        for v in pending.item["variants"]
    ]
    assert sent_variants == [("T-100", 45000, 6), ("T-500", 150000, 0)]
    assert (pending.item["price"], pending.item["stock_quantity"]) == (45000, 6)
    assert pending.item["stock_availability"] is True


def test_relisting_at_zero_stock_needs_no_request() -> None:
    empty = ProductState(pid=3, price=9000, stock=0, available=False, config=False)
    op = WriteOp("E", "3", "status", ListingStatus.LIVE)
    pending, _refused = plan_product(empty, Availability.observed(0, False), [(0, op, "")])
    assert pending is not None and pending.item is None
