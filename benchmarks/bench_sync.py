"""Benchmark: N products synced to all six sandboxes in-process, three scenarios.

For each scenario (first sync, no-op resync, 10% of prices and stocks changed) it
prints wall time, HTTP requests sent against the minimum that the platforms' page and
batch sizes allow, and the process's peak RSS. A figure-printing script, not a test:

    python benchmarks/bench_sync.py                 # 17,316 products, the national count
    python benchmarks/bench_sync.py --products 2000 --json
    python benchmarks/bench_sync.py --faults '{"error_rate": 0.05, "rate_limit_rate": 0.02}'

Rate limits are lifted on both sides (connector budget and sandbox quota) so the
figures measure ocopsync, not a quota; everything runs on one event loop in-process
through httpx.ASGITransport, so no socket is opened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.registry import connector_class
from ocopsync.demo import authorize_sandbox_shops
from ocopsync.demo_data import write_sample_catalog
from ocopsync.models import Product, make_engine
from ocopsync.sandbox import PLATFORM_MODULES, Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run

NATIONAL_COUNT = 17_316
ROOT = "http://bench"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def settings_for(sandbox: Sandbox, database: str) -> Settings:
    connections = []
    for name, emulator in sandbox.platforms.items():
        emulator.quota.rate = 0  # lift the sandbox quota: measure ocopsync, not the limiter
        options = {**emulator.connection_options(ROOT), "rate_limit_per_s": 0}
        connections.append(
            ConnectionSettings(
                name=f"bench-{name}",
                platform=name,
                base_url=emulator.base_url(ROOT),
                credentials=emulator.credentials(),
                options=options,
            )
        )
    return Settings(database_url=database, connections=tuple(connections))


def minimum_requests(
    settings: Settings,
    listed: dict[str, int],
    creates: dict[str, int],
    prices: dict[str, int],
    stocks: dict[str, int],
    orders_read: dict[str, bool] | None = None,
) -> dict[str, int]:
    """Requests the platforms' page and batch sizes make unavoidable, per connection.

    Reading orders since the last run costs at least one request (an empty page) on a
    platform with an orders API, from the second run on (the first starts tracking).
    """
    out = {}
    for conn in settings.connections:
        caps = connector_class(conn.platform).capabilities
        name = conn.name
        out[name] = (
            max(1, math.ceil(listed.get(name, 0) / caps.page_size))
            + creates.get(name, 0)
            + math.ceil(prices.get(name, 0) / caps.price_batch)
            + math.ceil(stocks.get(name, 0) / caps.stock_batch)
            + (1 if (orders_read or {}).get(name) else 0)
        )
    return out


def counts(result: Any, action: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for plan in result.plans:
        out[plan.connection] = sum(1 for o in plan.operations if o.action.value == action)
    return out


async def scenario(
    label: str,
    engine: Any,
    settings: Settings,
    sandbox: Sandbox,
    listed_before: dict[str, int],
    today: date,
) -> dict[str, Any]:
    harness = Harness(transport=sandbox.transport(), retry_wait_scale=0)
    started = time.perf_counter()
    result = await run(engine, settings, SyncRequest(today=today, trigger="bench"), harness)
    wall = time.perf_counter() - started
    sent = {c["connection"]: c.get("requests", 0) for c in result.connections}
    orders_read = {c["connection"]: c.get("order_requests", 0) > 0 for c in result.connections}
    minimum = minimum_requests(
        settings,
        listed_before,
        counts(result, "create"),
        counts(result, "update_price"),
        counts(result, "update_stock"),
        orders_read,
    )
    return {
        "scenario": label,
        "status": result.status,
        "wall_s": round(wall, 2),
        "applied": result.applied,
        "failed": result.failed,
        "skipped": result.skipped,
        "requests": sum(sent.values()),
        "minimum_requests": sum(minimum.values()),
        "per_connection": {n: {"requests": sent.get(n, 0), "minimum": minimum[n]} for n in minimum},
        "orders": {
            c["connection"]: {"lines": c.get("order_lines", 0), "requests": c["order_requests"]}
            for c in result.connections
            if c.get("sales_from") == "orders"
        },
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def change_ten_percent(engine: Any, seed: int = 3) -> int:
    rng = random.Random(seed)
    with Session(engine) as session:
        products = list(session.exec(select(Product)))
        chosen = rng.sample(products, k=max(1, len(products) // 10))
        for p in chosen:
            p.price_vnd += 1000
            p.stock += 5
            session.add(p)
        session.commit()
    return len(chosen)


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    today = date.today()  # noqa: DTZ011 - the sample catalog is built relative to any day
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "catalog.csv"
        write_sample_catalog(catalog, today=today, size=args.products)
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        import_catalog(engine, catalog)
        faults = Faults.from_mapping(json.loads(args.faults)) if args.faults else None
        sandbox = build_sandbox(list(PLATFORM_MODULES), faults=faults)
        settings = settings_for(sandbox, str(engine.url))
        await authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine), sandbox.transport())
        empty = {c.name: 0 for c in settings.connections}
        results = [await scenario("first sync", engine, settings, sandbox, empty, today)]
        listed = {f"bench-{n}": len(p.shop.visible()) for n, p in sandbox.platforms.items()}
        results.append(await scenario("no-op resync", engine, settings, sandbox, listed, today))
        changed = change_ten_percent(engine)
        result = await scenario(
            f"10% changed ({changed} products)", engine, settings, sandbox, listed, today
        )
        results.append(result)
        placed = place_orders(sandbox, seed=5)
        results.append(
            await scenario(f"orders placed ({placed})", engine, settings, sandbox, listed, today)
        )
        engine.dispose()
        return results


def place_orders(sandbox: Sandbox, seed: int) -> int:
    """Buyers order 2% of each shop's listings, one unit each, between two runs."""
    rng = random.Random(seed)
    placed = 0
    for emulator in sandbox.platforms.values():
        items = [i for i in emulator.shop.visible() if i.status == "live" and i.stock > 0]
        for item in rng.sample(items, k=max(1, len(items) // 50)):
            emulator.place_order([(item.sku, 1)])
            placed += 1
    return placed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=NATIONAL_COUNT)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--faults",
        help='sandbox fault injection for every scenario, e.g. \'{"error_rate": 0.05, '
        '"rate_limit_rate": 0.02, "drop_rate": 0.01, "seed": 1}\' (retries count as requests)',
    )
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps({"products": args.products, "scenarios": results}, indent=2))
        return
    print(f"ocopsync sync benchmark: {args.products} products x 6 sandbox platforms")
    print(
        f"{'scenario':<32}{'wall s':>9}{'applied':>9}{'failed':>8}{'requests':>10}"
        f"{'minimum':>9}{'peak RSS MiB':>14}"
    )
    for r in results:
        print(
            f"{r['scenario']:<32}{r['wall_s']:>9}{r['applied']:>9}{r['failed']:>8}"
            f"{r['requests']:>10}{r['minimum_requests']:>9}{r['peak_rss_mib']:>14}"
        )
    print("orders read per connection (lines / requests), by scenario:")
    for r in results:
        cells = ", ".join(f"{n}: {o['lines']}/{o['requests']}" for n, o in r["orders"].items())
        print(f"  {r['scenario']:<30}{cells}")
    if any(r["failed"] for r in results):
        sys.exit(3)


if __name__ == "__main__":
    main()
