"""Read-back of accepted writes: every connector's batch read by id, and its use in a sync.

Per connector: ``get_listings`` sends one request for up to ``read_batch`` ids and
returns exactly the listings the platform has (unknown ids left out). End to end: a
platform that answers success and changes nothing (``ignore_write_rate``) has every
write ``not_applied``, the next sync retries them, and verification costs at most
``ceil(writes / read_batch)`` requests.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.base import (
    ConnectorContext,
    MemoryTokenStore,
    PriceUpdate,
    RemoteListing,
)
from ocopsync.connectors.portal import PortalConnector
from ocopsync.connectors.registry import connector_class
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.models import Operation
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
TODAY = date(2026, 11, 24)
PLATFORMS = ("portal", "shopee", "lazada", "sendo", "voso", "postmart")
READY = tuple(n for n in PLATFORMS if connector_class(n).capabilities.read_batch > 0)
"""The connectors that read back (``read_batch`` > 0): all of them, once done."""
IMAGE = f"{ROOT}/shopee/_sandbox/image.png"


def connection(sandbox: Sandbox, name: str) -> ConnectionSettings:
    return ConnectionSettings(
        name=f"rb-{name}",
        platform=name,
        base_url=sandbox[name].base_url(ROOT),
        credentials=sandbox[name].credentials(),
        options={**sandbox[name].connection_options(ROOT), "rate_limit_per_s": 0},
    )


# -- per connector, against its sandbox ----------------------------------------------
async def _read_back(name: str) -> tuple[list[str], list[list[RemoteListing]], list[int]]:
    """Seeds read_batch + 3 listings, reads them as a sync would, then reads back
    ``read_batch`` known ids, and ``read_batch - 1`` known ids with an unknown one."""
    sandbox = build_sandbox([name])
    conn = connection(sandbox, name)
    store = MemoryTokenStore()
    settings = Settings(database_url="sqlite://", connections=(conn,))
    await authorize_sandbox_shops(settings, sandbox, store, sandbox.transport())
    size = connector_class(name).capabilities.read_batch
    count = size + 3
    ids = [sandbox[name].seed(f"RB-{i:03d}", f"Hàng {i}", 10_000 + i, i) for i in range(count)]
    ctx = ConnectorContext(
        conn,
        conn.resolved_credentials(),
        token_store=store,
        transport=sandbox.transport(),
        retry_wait_scale=0,
    )
    connector = connector_class(name)(ctx)
    unknown = "987654321" if name != "lazada" else "987654321:987654321"
    got, sent = [], []
    try:
        # as in a sync, listings are read first (and any token traffic happens here)
        assert len([x async for x in connector.list_listings()]) == count
        for wanted in (ids[:size], [*ids[: size - 1], unknown]):
            before = connector.http.requests_sent  # type: ignore[attr-defined]
            got.append(await connector.get_listings(wanted))
            sent.append(connector.http.requests_sent - before)  # type: ignore[attr-defined]
    finally:
        await connector.aclose()
    return ids, got, sent


def test_every_connector_reads_back() -> None:
    assert READY == PLATFORMS


@pytest.mark.parametrize("name", READY)
def test_get_listings_reads_up_to_read_batch_ids_in_one_request(name: str) -> None:
    size = connector_class(name).capabilities.read_batch
    ids, (full, with_unknown), (sent_full, sent_unknown) = asyncio.run(_read_back(name))
    assert sent_full == 1 and sent_unknown <= 1
    assert sorted(r.remote_id for r in full) == sorted(ids[:size])
    assert sorted(r.remote_id for r in with_unknown) == sorted(ids[: size - 1])
    first = {r.remote_id: r for r in full}[ids[0]]
    assert first.seller_sku == "RB-000" and first.price == 10_000 and first.stock == 0


@pytest.mark.parametrize("name", READY)
def test_get_listings_of_nothing_sends_nothing(name: str) -> None:
    sandbox = build_sandbox([name])
    conn = connection(sandbox, name)
    ctx = ConnectorContext(
        conn, conn.resolved_credentials(), transport=sandbox.transport(), retry_wait_scale=0
    )

    async def go() -> tuple[list[RemoteListing], int]:
        connector = connector_class(name)(ctx)
        try:
            return await connector.get_listings([]), connector.http.requests_sent  # type: ignore[attr-defined]
        finally:
            await connector.aclose()

    assert asyncio.run(go()) == ([], 0)


# -- portal: the exact request ---------------------------------------------------------
PORTAL = "http://portal.test/portal"


def _portal_item(i: int) -> dict[str, Any]:
    return {"id": str(i), "sku": f"S{i}", "name": "n", "price": 1000 + i, "stock": i}


@respx.mock(base_url=PORTAL, assert_all_called=True)
def test_portal_reads_back_with_one_ids_page(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/api/v1/products").mock(
        return_value=httpx.Response(
            200, json={"items": [_portal_item(1), _portal_item(3)], "total": 2}
        )
    )
    settings = ConnectionSettings("p", "portal", PORTAL, options={"rate_limit_per_s": 0})

    async def go() -> list[RemoteListing]:
        c = PortalConnector(ConnectorContext(settings, {"api_key": "k"}, retry_wait_scale=0))
        try:
            return await c.get_listings(["1", "2", "3", "1"])
        finally:
            await c.aclose()

    got = asyncio.run(go())
    assert [(r.remote_id, r.price) for r in got] == [("1", 1001), ("3", 1003)]
    (call,) = route.calls
    assert dict(call.request.url.params) == {"ids": "1,2,3", "page": "1", "page_size": "100"}
    assert call.request.headers["authorization"] == "Bearer k"


def test_portal_sandbox_refuses_more_than_100_ids_and_keeps_its_key() -> None:
    sandbox = build_sandbox(["portal"])
    key = sandbox["portal"].credentials()["api_key"]

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=ROOT) as client:
            url = "/portal/api/v1/products"
            many = ",".join(str(i) for i in range(101))
            auth = {"Authorization": f"Bearer {key}"}
            return [
                await client.get(url, params={"ids": many}, headers=auth),
                await client.get(url, params={"ids": "1"}),
            ]

    too_many, no_key = asyncio.run(go())
    assert too_many.status_code == 422 and no_key.status_code == 401


def test_lazada_reads_by_the_skus_it_has_seen_and_sends_nothing_for_others() -> None:
    sandbox = build_sandbox(["lazada"])
    conn = connection(sandbox, "lazada")
    store = MemoryTokenStore()
    settings = Settings(database_url="sqlite://", connections=(conn,))
    rid = sandbox["lazada"].seed("RB-L", "Hàng", 20_000, 2)
    ctx = ConnectorContext(
        conn, conn.resolved_credentials(), token_store=store, transport=sandbox.transport()
    )

    async def go() -> tuple[list[RemoteListing], list[RemoteListing], int]:
        await authorize_sandbox_shops(settings, sandbox, store, sandbox.transport())
        c = connector_class("lazada")(ctx)
        try:
            unseen = await c.get_listings([rid])  # no SKU known for it: nothing to ask
            sent = c.http.requests_sent  # type: ignore[attr-defined]
            await c.update_prices([PriceUpdate(rid, "RB-L", 21_000)])  # a write maps it
            return unseen, await c.get_listings([rid]), sent
        finally:
            await c.aclose()

    unseen, seen, sent = asyncio.run(go())
    assert unseen == [] and sent == 0
    assert [(r.remote_id, r.price) for r in seen] == [(rid, 21_000)]


# -- end to end: writes that did not take ------------------------------------------------
def _count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[int, int]]]:
    """Per platform, (ids, requests) of every get_listings call."""
    reads: dict[str, list[tuple[int, int]]] = {}
    for name in READY:
        cls = connector_class(name)
        original = cls.get_listings

        async def counted(
            self: Any, remote_ids: Sequence[str], _original: Any = original
        ) -> list[RemoteListing]:
            before = self.http.requests_sent
            try:
                return list(await _original(self, remote_ids))
            finally:
                reads.setdefault(self.platform, []).append(
                    (len(remote_ids), self.http.requests_sent - before)
                )

        monkeypatch.setattr(cls, "get_listings", counted)
    return reads


def _statuses(engine: Engine, run_id: int | None) -> dict[str, set[str]]:
    with Session(engine) as session:
        ops = session.exec(select(Operation).where(Operation.run_id == run_id)).all()
    found: dict[str, set[str]] = {}
    for op in ops:
        found.setdefault(op.platform, set()).add(op.status)
    return found


@pytest.mark.parametrize("ignoring", READY)
def test_writes_that_did_not_take_are_not_applied_then_retried(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ignoring: str
) -> None:
    sandbox = build_sandbox(PLATFORMS)
    settings = Settings(
        database_url=str(engine.url),
        connections=tuple(connection(sandbox, name) for name in PLATFORMS),
    )
    store = MemoryTokenStore()
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0, token_store=store)
    asyncio.run(authorize_sandbox_shops(settings, sandbox, store, sandbox.transport()))
    skus = [f"RB-{i}" for i in range(4)]
    catalog = tmp_path / "c.csv"
    import_catalog(engine, write_catalog(catalog, [product(s, image_urls=IMAGE) for s in skus]))
    first = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert first.status == "succeeded", first.connections

    reads = _count_reads(monkeypatch)
    sandbox[ignoring].faults.set(Faults(ignore_write_rate=1.0))
    write_catalog(catalog, [product(s, price_vnd="61000", image_urls=IMAGE) for s in skus])
    import_catalog(engine, catalog)
    second = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert second.status == "partial"
    by_name = {c["platform"]: c for c in second.connections}
    assert by_name[ignoring]["not_applied"] == len(skus)
    assert by_name[ignoring]["status"] in ("failed", "partial")
    assert all(by_name[n]["status"] == "succeeded" for n in PLATFORMS if n != ignoring)
    statuses = _statuses(engine, second.run_id)
    assert statuses[ignoring] == {"not_applied"}
    assert all(statuses[n] == {"succeeded"} for n in PLATFORMS if n != ignoring)
    for name in READY:  # verification's cost: one read per read_batch written listings
        size = connector_class(name).capabilities.read_batch
        calls = reads.get(name, [])
        written = sum(ids for ids, _ in calls)
        assert written == len(skus)
        assert sum(sent for _, sent in calls) <= math.ceil(written / size)
    other = "portal" if ignoring != "portal" else "voso"
    price = {name: sandbox[name].snapshot()["RB-0"]["price"] for name in (ignoring, other)}
    assert price[ignoring] != price[other]  # the write did not take

    sandbox[ignoring].faults.set(Faults())
    third = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert third.status == "succeeded", third.connections
    assert _statuses(engine, third.run_id) == {ignoring: {"succeeded"}}  # only the retries
    price = {name: sandbox[name].snapshot()["RB-0"]["price"] for name in (ignoring, other)}
    assert price[ignoring] == price[other]


def test_the_cli_exits_3_when_writes_did_not_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ocopsync.cli import app
    from ocopsync.serve import serve_in_thread

    sandbox = build_sandbox(["portal", "voso"])
    runner = CliRunner()
    with serve_in_thread(sandbox.app) as root:
        blocks = []
        for name in ("portal", "voso"):
            creds = "\n".join(
                f"{k} = {json.dumps(v)}" for k, v in sandbox[name].credentials().items()
            )
            options = "\n".join(
                f"{k} = {{ {', '.join(f'{g} = {json.dumps(v)}' for g, v in m.items())} }}"
                for k, m in sandbox[name].connection_options(root).items()
            )
            blocks.append(
                f'[[connections]]\nname = "c-{name}"\nplatform = "{name}"\n'
                f'base_url = "{sandbox[name].base_url(root)}"\nentity = "*"\n'
                f"[connections.credentials]\n{creds}\n[connections.options]\n{options}\n"
            )
        config = tmp_path / "ocopsync.toml"
        db = tmp_path / "cli.db"
        config.write_text(f'[database]\nurl = "sqlite:///{db}"\n\n' + "\n".join(blocks))
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
        image = {"image_urls": f"{root}/portal/img.png"}  # Voso wants one; it is not fetched
        rows = [product("RB-1", **image), product("RB-2", **image)]
        catalog = write_catalog(tmp_path / "c.csv", rows)

        def cli(*args: str) -> tuple[int, Any]:
            result = runner.invoke(app, list(args))
            if result.exception and not isinstance(result.exception, SystemExit):
                raise result.exception
            out = result.stdout
            return result.exit_code, json.loads(out) if "json" in args else out

        assert cli("catalog", "import", str(catalog))[0] == 0
        assert cli("sync", "--format", "json")[0] == 0
        sandbox["portal"].faults.set(Faults(ignore_write_rate=1.0))
        write_catalog(catalog, [product("RB-1", price_vnd="61000", **image), rows[1]])
        cli("catalog", "import", str(catalog))
        code, doc = cli("sync", "--format", "json")
        assert code == 3 and doc["status"] == "partial" and doc["not_applied"] == 1
        sandbox["portal"].faults.set(Faults())
        code, doc = cli("sync", "--format", "json")
        assert code == 0 and doc["status"] == "succeeded"
    prices = {name: sandbox[name].snapshot()["RB-1"]["price"] for name in ("portal", "voso")}
    assert prices["portal"] == prices["voso"]
