"""Platform answers nobody planned for: one error shape, one connection failed, no traceback.

A fake portal (a tiny Starlette app, mounted in-process with ``httpx.ASGITransport``)
answers HTML, an empty 200, JSON of the wrong shape and a 200 with an error inside; respx
gives each of the six connectors an answer with a field missing; full runs put one broken
connection next to a healthy sandbox one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from typer.testing import CliRunner

from ocopsync.catalog import import_catalog
from ocopsync.cli import app as cli_app
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors import http as http_layer
from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import ConnectorContext, MemoryTokenStore, Tokens
from ocopsync.connectors.lazada import LazadaConnector
from ocopsync.connectors.portal import PortalConnector
from ocopsync.connectors.postmart import PostmartConnector
from ocopsync.connectors.sendo import SendoConnector
from ocopsync.connectors.shopee import ShopeeConnector
from ocopsync.connectors.voso import VosoConnector
from ocopsync.errors import TransientError, UnexpectedAnswerError
from ocopsync.models import Operation, SyncRun
from ocopsync.sandbox import build_sandbox
from ocopsync.serve import serve_in_thread
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
TODAY = date(2026, 11, 24)
PRODUCTS = "/api/v1/products"

# -- the fake portal ----------------------------------------------------------------------
ANSWERS: dict[str, Callable[[], Response]] = {
    "html": lambda: HTMLResponse("<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"),
    "empty": lambda: Response(b"", status_code=200),
    "shape": lambda: JSONResponse({"products": [], "count": 0}),
    "mistyped": lambda: JSONResponse({"items": {"id": "1"}, "total": 1}),
    "item": lambda: JSONResponse({"items": [{"sku": "QN-1", "price": 1000}], "total": 1}),
    "error_inside": lambda: JSONResponse(
        {"error": {"code": "maintenance", "message": "portal [đang bảo trì] until 06:00"}}
    ),
}
"""What the broken portal answers with HTTP 200, by mode."""


def broken_portal(mode: str) -> Starlette:
    async def answer(request: Request) -> Response:
        return ANSWERS[mode]()

    return Starlette(
        routes=[Route(PRODUCTS, answer), Route("/api/v1/orders", answer)],
    )


def portal(app: Starlette, *, attempts: int = 2) -> PortalConnector:
    settings = ConnectionSettings("broken", "portal", "http://fake/portal")
    ctx = ConnectorContext(
        settings,
        {"api_key": "k-boundary-1"},
        transport=httpx.ASGITransport(app=Mount("/portal", app=app)),
        retry_wait_scale=0,
        max_attempts=attempts,
    )
    return PortalConnector(ctx)


async def listings(connector: Any) -> list[Any]:
    try:
        return [listing async for listing in connector.list_listings()]
    finally:
        await connector.aclose()


WHERE = "unexpected answer from portal: GET /portal/api/v1/products: "


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        ("html", "not JSON (HTTP 200, text/html)"),
        ("empty", "an empty body (HTTP 200)"),
        ("shape", "field 'items' missing"),
        ("mistyped", "field 'items' should be a list, got an object"),
        ("item", "field 'items[0].id' missing"),
    ],
)
def test_an_answer_the_portal_dialect_cannot_have_is_one_error(mode: str, detail: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        asyncio.run(listings(portal(broken_portal(mode))))
    error = caught.value
    assert str(error) == WHERE + detail
    assert (error.platform, error.code) == ("portal", "bad_answer")
    assert isinstance(error, TransientError), "retried like a failed call first"


def test_a_malformed_answer_is_retried_before_it_fails() -> None:
    calls = 0

    async def answer(request: Request) -> Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return HTMLResponse("<html>proxy</html>")
        return JSONResponse({"items": [{"id": "7", "sku": "QN-7"}], "total": 1})

    app = Starlette(routes=[Route(PRODUCTS, answer)])
    got = asyncio.run(listings(portal(app, attempts=3)))
    assert [x.seller_sku for x in got] == ["QN-7"] and calls == 2


def test_a_200_with_an_error_inside_is_that_error_never_data() -> None:
    with pytest.raises(TransientError) as caught:
        asyncio.run(listings(portal(broken_portal("error_inside"))))
    assert (caught.value.platform, caught.value.code) == ("portal", "maintenance")
    assert "[đang bảo trì]" in str(caught.value)


@pytest.mark.parametrize("mode", ["html", "empty", "shape", "error_inside"])
def test_check_fails_on_an_answer_it_cannot_read(mode: str) -> None:
    connector = portal(broken_portal(mode))

    async def check() -> Any:
        try:
            return await connector.check()
        finally:
            await connector.aclose()

    with pytest.raises(TransientError):
        asyncio.run(check())


def test_a_reading_bug_after_an_answer_is_translated_at_the_boundary() -> None:
    """The safety net: a reader that trusted the shape (``item["id"]``) still gives the
    one error, naming the request, instead of a KeyError escaping the connection."""

    async def go() -> None:
        app = broken_portal("shape")
        connector = portal(app, attempts=1)

        async def attempt() -> str:
            response = await connector.http.send("GET", PRODUCTS)
            return str(response.json()["items"])

        try:
            await connector.http.call(attempt)
        finally:
            await connector.aclose()

    with pytest.raises(UnexpectedAnswerError) as caught:
        asyncio.run(go())
    assert str(caught.value).startswith(WHERE + "could not be read (KeyError: 'items')")


def test_a_bug_before_any_answer_stays_a_bug() -> None:
    connector = portal(broken_portal("shape"), attempts=1)

    async def attempt() -> None:
        raise KeyError("ours")

    with pytest.raises(KeyError):
        asyncio.run(connector.http.call(attempt))


# -- every connector: a missing field, one error shape --------------------------------------
FAR = datetime(2099, 1, 1, tzinfo=UTC)


def tokens(connection: str, platform: str, **extra: Any) -> MemoryTokenStore:
    store = MemoryTokenStore()
    store.save(connection, platform, Tokens("tok-boundary", "ref-boundary", FAR, FAR, extra))
    return store


def context(platform: str, base: str, credentials: dict[str, str], **kw: Any) -> ConnectorContext:
    settings = ConnectionSettings(platform, platform, base, options={"rate_limit_per_s": 0})
    return ConnectorContext(settings, credentials, retry_wait_scale=0, max_attempts=2, **kw)


def shopee_page(router: respx.MockRouter) -> None:
    body = {"error": "", "message": "", "response": {"item": [{"item_status": "NORMAL"}]}}
    router.get("/api/v2/product/get_item_list").respond(200, json=body)


def lazada_page(router: respx.MockRouter) -> None:
    body = {"code": "0", "data": {"products": [{"status": "active", "skus": []}]}}
    router.get("/products/get").respond(200, json=body)


def sendo_page(router: respx.MockRouter) -> None:
    result = {"data": [{"name": "Trà", "stock_quantity": 3}], "next_token": ""}
    router.post("/api/partner/product/search").respond(
        200, json={"result": result, "success": True, "error": None}
    )


def voso_page(router: respx.MockRouter) -> None:
    body = {"status": 200, "error": False, "message": "OK", "next_cursor": None}
    router.get("/v1/shops/300001/products").respond(200, json=body)


def postmart_page(router: respx.MockRouter) -> None:
    router.post("/oauth/token").respond(200, json={"access_token": "at-1", "expires_in": 3600})
    pagination = {"page": 1, "limit": 50, "total": 1}
    router.get("/api/seller/v2/products").respond(200, json={"data": {"pagination": pagination}})


def portal_page(router: respx.MockRouter) -> None:
    router.get(PRODUCTS).respond(200, json={"total": 0})


CASES: dict[str, tuple[Callable[[], Any], str, Callable[[respx.MockRouter], None], str]] = {
    "portal": (
        lambda: PortalConnector(context("portal", "https://p.test", {"api_key": "k-1234567"})),
        "https://p.test",
        portal_page,
        "GET /api/v1/products: field 'items' missing",
    ),
    "shopee": (
        lambda: ShopeeConnector(
            context(
                "shopee",
                "https://s.test",
                {"partner_id": "100001", "partner_key": "pk-boundary", "shop_id": "200001"},
                token_store=tokens("shopee", "shopee", shop_id="200001"),
            )
        ),
        "https://s.test",
        shopee_page,
        "GET /api/v2/product/get_item_list: field 'response.item[0].item_id' missing",
    ),
    "lazada": (
        lambda: LazadaConnector(
            context(
                "lazada",
                "https://l.test/rest",
                {"app_key": "100002", "app_secret": "s3cret-boundary"},
                token_store=tokens("lazada", "lazada"),
            )
        ),
        "https://l.test/rest",
        lazada_page,
        "GET /rest/products/get: field 'data.products[0].item_id' missing",
    ),
    "sendo": (
        lambda: SendoConnector(
            context(
                "sendo",
                "https://o.test",
                {"shop_key": "shop-boundary", "secret_key": "secret-boundary"},
                token_store=tokens("sendo", "sendo"),
            )
        ),
        "https://o.test",
        sendo_page,
        "POST /api/partner/product/search: field 'result.data[0].id' missing",
    ),
    "voso": (
        lambda: VosoConnector(
            context(
                "voso",
                "https://v.test",
                {"partner_code": "P1", "secret_key": "s3cret-voso", "shop_id": "300001"},
            )
        ),
        "https://v.test",
        voso_page,
        "GET /v1/shops/300001/products: field 'data' missing",
    ),
    "postmart": (
        lambda: PostmartConnector(
            context("postmart", "https://m.test", {"client_id": "c-1", "client_secret": "s-1"})
        ),
        "https://m.test",
        postmart_page,
        "GET /api/seller/v2/products: field 'data.items' missing",
    ),
}


@pytest.mark.parametrize("platform", list(CASES))
def test_every_connector_reports_a_missing_field_the_same_way(platform: str) -> None:
    build, base, mock, where = CASES[platform]
    with respx.mock(base_url=base, assert_all_called=True) as router:
        mock(router)
        with pytest.raises(UnexpectedAnswerError) as caught:
            asyncio.run(listings(build()))
    error = caught.value
    assert str(error) == f"unexpected answer from {platform}: {where}"
    assert (error.platform, error.code, error.message) == (platform, "bad_answer", str(error))


def test_answer_accessors_name_the_field_and_the_kind() -> None:
    page = Answer({"items": [{"id": 3, "qty": "2", "ok": True}], "total": 1}, "voso", call="GET /x")
    (item,) = page.items("items")
    assert (item.ident("id"), page.whole("total"), item.count("qty")) == ("3", 1, 2)
    for read, detail in [
        (lambda: item.whole("ok"), "field 'items[0].ok' should be a whole number, got true"),
        (lambda: item.text("id"), "field 'items[0].id' should be text, got a whole number 3"),
        (lambda: page.obj("items"), "field 'items' should be an object, got a list"),
        (lambda: item.instant("qty"), "field 'items[0].qty' should be ISO 8601 with an offset"),
    ]:
        with pytest.raises(UnexpectedAnswerError) as caught:
            read()
        assert str(caught.value).startswith(f"unexpected answer from voso: GET /x: {detail}")


# -- whole runs: one broken connection, one healthy -------------------------------------------
def settings_with_broken(engine: Engine, sandbox: Any) -> Settings:
    voso = sandbox["voso"]
    return Settings(
        database_url=str(engine.url),
        connections=(
            ConnectionSettings(
                "broken-portal",
                "portal",
                f"{ROOT}/broken",
                credentials={"api_key": "k-broken-portal"},
                options={"rate_limit_per_s": 0},
            ),
            ConnectionSettings(
                "good-voso",
                "voso",
                voso.base_url(ROOT),
                credentials=voso.credentials(),
                options={**voso.connection_options(ROOT), "rate_limit_per_s": 0},
            ),
        ),
    )


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> tuple[Engine, Any, Settings]:
    rows = [product(f"BEV-{i}", image_urls=f"{ROOT}/voso/img/{i}.png") for i in range(3)]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    sandbox = build_sandbox(["voso"])
    return engine, sandbox, settings_with_broken(engine, sandbox)


def harness(sandbox: Any, mode: str) -> Harness:
    app = Starlette(routes=[Mount("/broken", broken_portal(mode)), Mount("/", app=sandbox.app)])
    return Harness(transport=httpx.ASGITransport(app=app), retry_wait_scale=0, max_attempts=2)


@pytest.mark.parametrize("mode", ["html", "empty", "shape", "error_inside"])
def test_a_broken_connection_fails_alone_and_the_run_is_closed(world: Any, mode: str) -> None:
    engine, sandbox, settings = world
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness(sandbox, mode)))
    by_name = {c["connection"]: c for c in result.connections}
    assert by_name["broken-portal"]["status"] == "failed"
    assert by_name["broken-portal"]["error"].startswith("could not read listings: ")
    assert (by_name["good-voso"]["status"], by_name["good-voso"]["applied"]) == ("succeeded", 3)
    assert sorted(sandbox["voso"].snapshot()) == ["BEV-0", "BEV-1", "BEV-2"]
    assert result.status == "partial"
    with Session(engine) as session:
        (row,) = session.exec(select(SyncRun)).all()
    assert (row.status, row.finished_at is not None) == ("partial", True)


def test_an_unexpected_exception_in_one_connector_fails_that_connection_only(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, sandbox, settings = world

    async def crash(self: PortalConnector) -> Any:
        raise ZeroDivisionError("a third-party bug")
        yield  # an async generator, as list_listings is

    monkeypatch.setattr(PortalConnector, "list_listings", crash)
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness(sandbox, "shape")))
    by_name = {c["connection"]: c for c in result.connections}
    assert by_name["broken-portal"]["error"] == (
        "could not read listings: unexpected ZeroDivisionError: a third-party bug "
        "(--debug shows the traceback)"
    )
    assert by_name["good-voso"]["status"] == "succeeded" and result.status == "partial"


def test_a_connector_that_cannot_even_be_built_fails_that_connection_only(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, sandbox, settings = world

    def broken_init(self: PortalConnector, ctx: ConnectorContext) -> None:
        raise TypeError("__init__() missing 1 required positional argument")

    monkeypatch.setattr(PortalConnector, "__init__", broken_init)
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness(sandbox, "shape")))
    by_name = {c["connection"]: c for c in result.connections}
    assert by_name["broken-portal"]["error"].startswith(
        "could not open the connection: unexpected TypeError"
    )
    assert by_name["good-voso"]["status"] == "succeeded"


def test_whatever_escapes_the_run_closes_it_failed(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, sandbox, settings = world

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("planning broke")

    monkeypatch.setattr("ocopsync.sync.plan_all", explode)
    with pytest.raises(RuntimeError):
        asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness(sandbox, "shape")))
    with Session(engine) as session:
        (row,) = session.exec(select(SyncRun)).all()
    assert (row.status, row.finished_at is not None) == ("failed", True)
    assert row.summary["error"] == (
        "the run stopped on an unexpected error: RuntimeError: planning broke"
    )


# -- through the CLI: errors on stderr, no traceback, no false "nothing to change" --------------
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Path]:
    """A good sandbox portal and a broken one (``shape``), on loopback, in one config."""
    monkeypatch.setattr(http_layer, "BACKOFF_INITIAL_S", 0.0)  # no sleeping through retries
    sandbox = build_sandbox(["portal"])
    app = Starlette(routes=[Mount("/broken", broken_portal("shape")), Mount("/", app=sandbox.app)])
    with serve_in_thread(app) as root:
        config = tmp_path / "ocopsync.toml"
        config.write_text(
            f"""
[database]
url = "sqlite:///{tmp_path / "cli.db"}"

[[connections]]
name = "good-portal"
platform = "portal"
base_url = "{sandbox["portal"].base_url(root)}"
[connections.credentials]
api_key = "${{GOOD_KEY}}"

[[connections]]
name = "broken-portal"
platform = "portal"
base_url = "{root}/broken"
[connections.credentials]
api_key = "${{BROKEN_KEY}}"
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("GOOD_KEY", sandbox["portal"].credentials()["api_key"])
        monkeypatch.setenv("BROKEN_KEY", "k-broken-1234")
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
        catalog = write_catalog(tmp_path / "c.csv", [product("QN-1")])
        assert cli("catalog", "import", str(catalog))[0] == 0
        yield sandbox, tmp_path


BROKEN = "broken-portal: could not read listings: unexpected answer from portal: GET /broken"


def test_cli_sync_with_a_broken_connection_exits_3_and_says_why_on_stderr(served: Any) -> None:
    sandbox, _ = served
    code, out, err = cli("sync", "--format", "table")
    assert code == 3
    assert BROKEN in err and "Traceback" not in out + err
    assert "QN-1" in sandbox["portal"].snapshot()
    code, out, err = cli("sync", "--format", "json")
    assert code == 3 and "Traceback" not in out + err
    assert {c["connection"]: c["status"] for c in json.loads(out)["connections"]} == {
        "good-portal": "succeeded",
        "broken-portal": "failed",
    }


@pytest.mark.parametrize("command", ["plan", "sync"])
def test_cli_json_output_still_puts_the_errors_on_stderr(served: Any, command: str) -> None:
    _code, _out, err = cli(command, "--format", "json")
    assert BROKEN in err


def test_cli_plan_never_claims_nothing_to_change_when_a_connection_failed(served: Any) -> None:
    assert cli("sync", "--format", "table")[0] == 3  # the good portal has nothing left to do
    code, out, err = cli("plan")
    assert "Nothing to change: every listing matches the catalog." not in out
    assert "1 could not be read" in out
    assert BROKEN in err and "Traceback" not in out + err
    assert code == 0


def test_cli_plan_with_no_connection_readable_exits_1_with_the_reason(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = cli("plan", "--connection", "broken-portal")
    assert code == 1 and "Nothing to change" not in out
    assert BROKEN in err and "Traceback" not in out + err


def test_cli_connections_check_fails_on_garbage(served: Any) -> None:
    code, out, err = cli("connections", "check", "--format", "json")
    rows = {r["connection"]: r for r in json.loads(out)}
    assert code == 1
    assert rows["good-portal"]["ok"] is True and rows["broken-portal"]["ok"] is False
    assert "field 'items' missing" in rows["broken-portal"]["detail"]
    assert "broken-portal: unexpected answer from portal" in err


def test_cli_an_unexpected_error_is_one_line_not_a_traceback(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("planning broke [badly]")

    monkeypatch.setattr("ocopsync.sync.plan_all", explode)
    code, out, err = cli("sync", "--format", "table")
    assert code == 1 and "Traceback" not in out + err
    assert "error: ocopsync stopped: unexpected RuntimeError: planning broke [badly]" in err


def test_an_unexpected_exception_while_applying_fails_that_connection_only(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, sandbox, settings = world

    async def crash(self: VosoConnector, draft: Any) -> str:
        raise ZeroDivisionError("a bug while creating")

    monkeypatch.setattr(VosoConnector, "create_listing", crash)
    result = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness(sandbox, "shape")))
    by_name = {c["connection"]: c for c in result.connections}
    assert by_name["good-voso"]["status"] == "failed"
    assert "could not apply the plan: unexpected ZeroDivisionError" in by_name["good-voso"]["error"]
    with Session(engine) as session:
        (row,) = session.exec(select(SyncRun)).all()
        statuses = {o.status for o in session.exec(select(Operation)).all()}
    assert (row.status, row.finished_at is not None) == ("failed", True)
    assert "planned" not in statuses


def test_cli_debug_alone_shows_the_traceback_of_an_unexpected_failure(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: PortalConnector) -> Any:
        raise ZeroDivisionError("a third-party bug")
        yield  # an async generator, as list_listings is

    monkeypatch.setattr(PortalConnector, "list_listings", crash)
    args = ("sync", "--format", "table", "--connection", "good-portal")
    code, out, err = cli(*args)
    assert code == 1 and "Traceback" not in out + err
    assert "unexpected ZeroDivisionError: a third-party bug" in err
    code, _out, err = cli("--debug", *args)
    assert "Traceback" in err and "ZeroDivisionError: a third-party bug" in err
    _code, out, err = cli(*args)
    assert "Traceback" not in out + err, "--debug of an earlier command does not stick"
