"""One journal commit per write batch: a batch's outcomes are committed with the next
batch's start, the last ones when the action's batches end, however they end.

Shopee writes one listing per call, so it is where two commits per listing showed."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import ocopsync.apply as apply_module
from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.shopee import WRITES_IN_FLIGHT
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.models import Listing, Operation, Product
from ocopsync.sandbox import build_sandbox
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
TODAY = date(2026, 11, 24)
SKUS = [f"BEV-{i}" for i in range(10)]  # three batches of single-item writes


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> tuple[Any, Settings]:
    image = f"{ROOT}/shopee/_sandbox/image.png"
    rows = [product(sku, image_urls=image) for sku in SKUS]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    sandbox = build_sandbox(["shopee"])
    options = {**sandbox["shopee"].connection_options(ROOT), "rate_limit_per_s": 0}
    conn = ConnectionSettings(
        name="t-shopee",
        platform="shopee",
        base_url=sandbox["shopee"].base_url(ROOT),
        credentials=sandbox["shopee"].credentials(),
        options=options,
    )
    settings = Settings(database_url=str(engine.url), connections=(conn,))
    asyncio.run(
        authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine), sandbox.transport())
    )
    first = _sync(engine, settings, sandbox)
    assert first.status == "succeeded" and first.applied == len(SKUS), first.connections
    return sandbox, settings


def _sync(engine: Engine, settings: Settings, sandbox: Any) -> Any:
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0)
    return asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))


def _drift(engine: Engine) -> None:
    with Session(engine) as session:
        for p in session.exec(select(Product)):
            p.price_vnd += 1000
            p.stock += 5
            session.add(p)
        session.commit()


def _count_journal_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in ("journal_started", "journal_outcomes"):
        real = getattr(apply_module, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> None:
            calls[_name] += 1
            _real(*args, **kwargs)

        monkeypatch.setattr(apply_module, name, counted)
    return calls


def test_each_single_item_write_costs_one_commit_and_every_outcome_is_kept(
    engine: Engine, shop: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, settings = shop
    _drift(engine)
    calls = _count_journal_calls(monkeypatch)
    result = _sync(engine, settings, sandbox)
    assert result.status == "succeeded" and result.applied == 2 * len(SKUS), result.connections
    # one start per batch (each carrying the batch before's outcomes), one flush per action;
    # Shopee's single-item writes go WRITES_IN_FLIGHT to a batch, sent at once
    batches = math.ceil(len(SKUS) / WRITES_IN_FLIGHT)
    assert batches > 1, "the test needs more than one batch per action"
    assert calls == {"journal_started": 2 * batches, "journal_outcomes": 2}
    with Session(engine) as session:
        ops = session.exec(select(Operation).where(Operation.run_id == result.run_id)).all()
        rows = {r.sku: r for r in session.exec(select(Listing))}
        prices = {p.sku: p.price_vnd for p in session.exec(select(Product))}
    assert {o.status for o in ops} == {"succeeded"} and len(ops) == 2 * len(SKUS)
    shown = sandbox["shopee"].snapshot()
    for sku in SKUS:
        row = rows[sku]
        assert (row.last_price, row.last_stock) == (shown[sku]["price"], shown[sku]["stock"])
        assert row.last_price == prices[sku] and row.pending_stock is None
    assert _sync(engine, settings, sandbox).applied == 0  # nothing left over


def test_a_crash_between_batches_still_commits_the_outcomes_held_for_the_next(
    engine: Engine, shop: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, settings = shop
    _drift(engine)
    sent = 0
    real_init = apply_module.ConnectionApplier.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        real = self.connector.update_prices

        async def flaky(updates: Any) -> Any:
            nonlocal sent
            sent += 1
            if sent == 2:
                raise RuntimeError("a bug in the connector")
            return await real(updates)

        self.connector.update_prices = flaky

    monkeypatch.setattr(apply_module.ConnectionApplier, "__init__", init)
    result = _sync(engine, settings, sandbox)
    assert result.status == "partial"
    with Session(engine) as session:
        ops = session.exec(select(Operation).where(Operation.run_id == result.run_id)).all()
    by_action: dict[str, Counter[str]] = {}
    for o in ops:
        by_action.setdefault(o.action, Counter())[o.status] += 1
    # every stock write and the first batch of prices are recorded as succeeded; the
    # second batch was started (its fate is the next observation's to read), the rest
    # were never sent
    assert by_action["update_stock"] == {"succeeded": len(SKUS)}
    assert by_action["update_price"] == {
        "succeeded": WRITES_IN_FLIGHT,
        "started": WRITES_IN_FLIGHT,
        "skipped": len(SKUS) - 2 * WRITES_IN_FLIGHT,
    }
