"""Sync-level behaviour against in-process sandboxes: blocked creates, faults, locks."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.models import Operation
from ocopsync.sandbox import build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.store import DbTokenStore, acquire_lock, start_run
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
TODAY = date(2026, 11, 24)


def settings_for(sandbox, engine: Engine, *names: str, **option_overrides) -> Settings:
    conns = []
    for name in names:
        options = {
            **sandbox[name].connection_options(ROOT),
            "rate_limit_per_s": 0,
            **option_overrides.get(name, {}),
        }
        conns.append(
            ConnectionSettings(
                name=f"t-{name}",
                platform=name,
                base_url=sandbox[name].base_url(ROOT),
                credentials=sandbox[name].credentials(),
                options=options,
            )
        )
    return Settings(database_url=str(engine.url), connections=tuple(conns))


@pytest.fixture
def catalog(engine: Engine, tmp_path: Path) -> Engine:
    image = f"{ROOT}/shopee/_sandbox/image.png"  # only Shopee downloads images
    rows = [product(f"BEV-{i}", group="beverage", image_urls=image) for i in range(4)]
    rows += [
        product(f"TEX-{i}", group="textile", name=f"Thổ cẩm {i}", image_urls=image)
        for i in range(2)
    ]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    return engine


def sync(engine: Engine, settings: Settings, sandbox, *, apply: bool = True):
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0)
    return asyncio.run(run(engine, settings, SyncRequest(today=TODAY, apply=apply), harness))


def test_products_missing_platform_data_are_blocked_and_never_sent(catalog: Engine) -> None:
    sandbox = build_sandbox(["sendo"])
    categories = dict(sandbox["sendo"].connection_options(ROOT)["category_map"])
    del categories["textile"]
    settings = settings_for(sandbox, catalog, "sendo", sendo={"category_map": categories})
    plan = sync(catalog, settings, sandbox, apply=False)
    blocked = plan.blocked["t-sendo"]
    assert sorted(blocked) == ["TEX-0", "TEX-1"]
    assert all("textile" in " ".join(reasons) for reasons in blocked.values())

    result = sync(catalog, settings, sandbox)
    assert (result.applied, result.skipped, result.failed) == (4, 2, 0)
    assert sorted(sandbox["sendo"].snapshot()) == ["BEV-0", "BEV-1", "BEV-2", "BEV-3"]
    with Session(catalog) as session:
        skipped = session.exec(select(Operation).where(Operation.status == "skipped")).all()
    assert {(o.sku, o.error_kind) for o in skipped} == {
        ("TEX-0", "missing_data"),
        ("TEX-1", "missing_data"),
    }
    assert all(o.error.startswith("missing: ") for o in skipped)


@pytest.mark.parametrize("platform", ["portal", "shopee", "lazada", "sendo", "voso", "postmart"])
def test_flaky_platform_converges_through_retries(catalog: Engine, platform: str) -> None:
    sandbox = build_sandbox([platform])
    settings = settings_for(sandbox, catalog, platform)
    asyncio.run(
        authorize_sandbox_shops(settings, sandbox, DbTokenStore(catalog), sandbox.transport())
    )
    sandbox.set_faults(Faults(error_rate=0.2, rate_limit_rate=0.1, drop_rate=0.05, seed=5))
    result = sync(catalog, settings, sandbox)
    assert sum(sandbox[platform].faults.injected.values()) > 0, "faults were really injected"
    if result.failed:  # a third of requests fail: a write may outlast its retries...
        errors = [e["error"] for c in result.connections for e in c.get("errors", ())]
        transient = ("server error", "timed out", "connection failed", "rate limited")
        assert all(any(t in e for t in transient) for e in errors), errors
        result = sync(catalog, settings, sandbox)  # ...and the next run, as flaky, finishes it
    assert (result.status, result.failed) == ("succeeded", 0), result.connections
    sandbox.set_faults(Faults())
    again = sync(catalog, settings, sandbox)
    assert again.applied == 0, "nothing left to do once faults stop"
    assert sorted(sandbox[platform].snapshot()) == [
        *(f"BEV-{i}" for i in range(4)),
        "TEX-0",
        "TEX-1",
    ]


def test_a_connection_locked_by_another_run_is_left_alone(catalog: Engine) -> None:
    sandbox = build_sandbox(["portal", "voso"])
    settings = settings_for(sandbox, catalog, "portal", "voso")
    other = start_run(catalog, kind="sync", trigger="cron", summary={})
    acquire_lock(catalog, "t-portal", other)
    result = sync(catalog, settings, sandbox)
    by_name = {c["connection"]: c for c in result.connections}
    assert by_name["t-portal"]["status"] == "failed"
    assert f"locked by run {other}" in by_name["t-portal"]["error"]
    assert by_name["t-voso"]["status"] == "succeeded" and by_name["t-voso"]["applied"] == 6
    assert sandbox["portal"].snapshot() == {}
    assert result.status == "partial"
