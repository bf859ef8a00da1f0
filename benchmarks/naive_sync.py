"""The naive per-item sync the benchmark compares ocopsync with.

What a first script against a marketplace API usually does: for every catalog product,
ask the platform for the listing by seller SKU (one GET each), and when its price or
stock differs from what the catalog wants, write that one listing (one call per change).
No paging, no batching, no journal, no stock settlement: only the calls, so the ratio
``naive / ocopsync`` on the same drift measures what batching and paging are worth.

It uses ocopsync's own connectors (``find_by_sku``, ``update_prices``, ``update_stocks``)
so that signing, retries and the sandbox are identical; connections run at once, each
one product after the other, as such a script would with one loop per shop.

Run by ``bench_sync.py`` (which also times it); on its own:

    python benchmarks/naive_sync.py SETTINGS.json
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.base import ConnectorContext, PriceUpdate, StockUpdate
from ocopsync.connectors.registry import connector_class
from ocopsync.models import Product, make_engine
from ocopsync.store import DbTokenStore


async def naive_connection(
    conn: ConnectionSettings,
    products: list[tuple[str, str, int, int]],
    engine: Any,
    transport: httpx.AsyncBaseTransport | None,
) -> dict[str, int]:
    """One shop: a GET by SKU per product, one write per differing price or stock."""
    ctx = ConnectorContext(
        conn, conn.resolved_credentials(), token_store=DbTokenStore(engine), transport=transport
    )
    connector = connector_class(conn.platform)(ctx)
    looked = found = prices = stocks = 0
    try:
        for sku, entity, master_price, master_stock in products:
            if not conn.covers(entity):
                continue
            looked += 1
            remote = await connector.find_by_sku(sku)
            if remote is None:
                continue
            found += 1
            price = conn.policy.price(master_price)
            stock = conn.policy.stock(master_stock)
            if remote.price != price:
                await connector.update_prices([PriceUpdate(remote.remote_id, sku, price)])
                prices += 1
            if remote.stock != stock:
                await connector.update_stocks([StockUpdate(remote.remote_id, sku, stock)])
                stocks += 1
    finally:
        await connector.aclose()
    return {"looked_up": looked, "found": found, "price_writes": prices, "stock_writes": stocks}


async def naive_sync(
    settings: Settings, database: str, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Any]:
    engine = make_engine(database)
    with Session(engine) as session:
        products = [
            (p.sku, p.entity_code, p.price_vnd, p.stock)
            for p in session.exec(select(Product).order_by(Product.sku))
        ]
    done = await asyncio.gather(
        *(naive_connection(c, products, engine, transport) for c in settings.connections)
    )
    engine.dispose()
    per = {c.name: d for c, d in zip(settings.connections, done, strict=True)}
    return {
        "per_connection": per,
        "writes": sum(d["price_writes"] + d["stock_writes"] for d in done),
        "looked_up": sum(d["looked_up"] for d in done),
    }


def main() -> None:
    raw = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    settings = Settings(
        database_url=raw["db"],
        connections=tuple(ConnectionSettings(**c) for c in raw["connections"]),
    )
    print(json.dumps(asyncio.run(naive_sync(settings, raw["db"]))))


if __name__ == "__main__":
    main()
