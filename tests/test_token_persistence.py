"""Renewed tokens are stored in the database so the next run uses them, and never shown."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.models import Credential
from ocopsync.render import plan_document, sync_document
from ocopsync.sandbox import build_sandbox
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
TODAY = date(2026, 11, 24)
OAUTH = ("shopee", "lazada", "sendo", "postmart")


def test_tokens_renewed_mid_life_are_stored_and_reused(engine: Engine, tmp_path: Path) -> None:
    sandbox = build_sandbox(OAUTH)
    conns = tuple(
        ConnectionSettings(
            name=f"t-{name}",
            platform=name,
            base_url=sandbox[name].base_url(ROOT),
            credentials=sandbox[name].credentials(),
            options={**sandbox[name].connection_options(ROOT), "rate_limit_per_s": 0},
        )
        for name in OAUTH
    )
    settings = Settings(database_url=str(engine.url), connections=conns)
    rows = [product(f"TK-{i}", image_urls=f"{ROOT}/shopee/_sandbox/image.png") for i in range(3)]
    import_catalog(engine, write_catalog(tmp_path / "c.csv", rows))
    store = DbTokenStore(engine)
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0, token_store=store)

    asyncio.run(authorize_sandbox_shops(settings, sandbox, store, sandbox.transport()))
    first = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert first.status == "succeeded" and first.applied == 12
    with Session(engine) as session:
        names = [c.connection for c in session.exec(select(Credential))]
    assert set(names) == {f"t-{n}" for n in OAUTH}
    # compared decrypted: the stored bytes differ on every write (Fernet), the tokens not
    before = {n: DbTokenStore(engine).load(n).access_token for n in names}  # type: ignore[union-attr]

    for name in OAUTH:
        sandbox[name].expire_tokens()
    write_catalog(
        tmp_path / "c.csv",
        [
            product(f"TK-{i}", price_vnd="52000", image_urls=f"{ROOT}/shopee/_sandbox/image.png")
            for i in range(3)
        ],
    )
    import_catalog(engine, tmp_path / "c.csv")
    plan = asyncio.run(run(engine, settings, SyncRequest(today=TODAY, apply=False), harness))
    second = asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))
    assert second.status == "succeeded" and second.applied == 12

    after = {n: DbTokenStore(engine).load(n).access_token for n in names}  # type: ignore[union-attr]
    assert all(after[k] != before[k] for k in before), "every renewed token was stored"

    shown = json.dumps(plan_document(plan.plans, plan)) + json.dumps(sync_document(second))
    for token in [*before.values(), *after.values()]:
        assert token not in shown
