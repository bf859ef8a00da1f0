"""Variants through a whole sync: catalog rows sharing a parent_sku become one listing.

Against the Shopee, Lazada and Sendo sandboxes in process: the first sync creates one
listing with a model/SKU/variant per row and records each variant's own id; a price
change of one variant is then one price write to that variant, read back; a new row
joins the listing its siblings are on; and the next sync has nothing to do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.catalog import import_catalog
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.models import Listing, Operation
from ocopsync.sandbox import build_sandbox
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog
from tests.test_sync_runs import ROOT, TODAY, settings_for

VARIANT_PLATFORMS = ["shopee", "lazada", "sendo"]


def rows(*labels: tuple[str, str, int], price_of_100: int = 45_000) -> list[dict[str, str]]:
    image = f"{ROOT}/shopee/_sandbox/image.png"
    found = []
    for sku, label, stock in labels:
        price = price_of_100 if label == "100 g" else 99_000
        found.append(
            product(
                sku,
                name="Trà Shan tuyết Hà Giang",
                parent_sku="HG-SHAN",
                variant=label,
                price_vnd=str(price),
                stock=str(stock),
                image_urls=image,
            )
        )
    return found


def sync(engine: Engine, settings, sandbox):
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0)
    return asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))


def listing_rows(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {r.sku: r.remote_id for r in session.exec(select(Listing))}


@pytest.mark.parametrize("platform", VARIANT_PLATFORMS)
def test_variants_are_one_listing_priced_per_variant(
    engine: Engine, tmp_path: Path, platform: str
) -> None:
    sandbox = build_sandbox([platform])
    settings = settings_for(sandbox, engine, platform)
    asyncio.run(
        authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine), sandbox.transport())
    )
    catalog = tmp_path / "c.csv"
    two = (("HG-SHAN-100", "100 g", 5), ("HG-SHAN-250", "250 g", 3))
    import_catalog(engine, write_catalog(catalog, rows(*two)))

    first = sync(engine, settings, sandbox)
    assert (first.status, first.applied, first.failed) == ("succeeded", 1, 0), first.connections
    ids = listing_rows(engine)
    assert set(ids) == {"HG-SHAN-100", "HG-SHAN-250"}, "each variant recorded by its own SKU"
    assert ids["HG-SHAN-100"] != ids["HG-SHAN-250"]
    shown = sandbox[platform].snapshot()
    assert {"HG-SHAN-100", "HG-SHAN-250"} <= set(shown)
    assert (shown["HG-SHAN-100"]["price"], shown["HG-SHAN-100"]["stock"]) == (45_000, 5)
    assert (shown["HG-SHAN-250"]["price"], shown["HG-SHAN-250"]["stock"]) == (99_000, 3)

    import_catalog(engine, write_catalog(catalog, rows(*two, price_of_100=47_000)))
    second = sync(engine, settings, sandbox)
    assert (second.status, second.applied) == ("succeeded", 1), second.connections
    with Session(engine) as session:
        last = session.exec(select(Operation).order_by(Operation.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and (last.sku, last.action, last.status) == (
        "HG-SHAN-100",
        "update_price",
        "succeeded",
    )
    assert sandbox[platform].snapshot()["HG-SHAN-100"]["price"] == 47_000

    three = (*two, ("HG-SHAN-500", "500 g", 2))
    import_catalog(engine, write_catalog(catalog, rows(*three, price_of_100=47_000)))
    third = sync(engine, settings, sandbox)
    assert (third.status, third.failed) == ("succeeded", 0), third.connections
    shown = sandbox[platform].snapshot()
    assert shown["HG-SHAN-500"]["stock"] == 2
    assert sync(engine, settings, sandbox).applied == 0, "nothing left to do"
