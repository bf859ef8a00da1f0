"""``ocopsync demo``: a realistic province in a few seconds, end to end over real HTTP.

It writes a sample catalog and an ``ocopsync.toml`` into a folder, serves every
sandbox platform on a free loopback port, puts a few products on some platforms
"by hand" (as sellers do before they find ocopsync) plus a few listings unknown to
the catalog, authorizes the OAuth shops with the sandbox codes, imports, syncs and
prints coverage. The first sync adopts what was listed by hand instead of creating
it twice.
"""

from __future__ import annotations

import asyncio
import random
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from ocopsync import coverage, render
from ocopsync.catalog import import_catalog
from ocopsync.config import Settings, load_settings
from ocopsync.connectors.base import ConnectorContext, TokenStore
from ocopsync.connectors.registry import connector_class
from ocopsync.demo_data import write_sample_catalog
from ocopsync.models import Product, make_engine
from ocopsync.sandbox import PLATFORM_MODULES, Sandbox, build_sandbox
from ocopsync.serve import serve_in_thread
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run

POLICIES: dict[str, dict[str, Any]] = {
    "portal": {"price_markup_pct": 0, "price_rounding": 1000, "stock_buffer": 0, "min_stars": 3},
    "voso": {"price_markup_pct": 3, "price_rounding": 1000, "stock_buffer": 1, "min_stars": 3},
    "postmart": {"price_markup_pct": 3, "price_rounding": 1000, "stock_buffer": 1, "min_stars": 3},
    "shopee": {"price_markup_pct": 8, "price_rounding": 1000, "stock_buffer": 2, "min_stars": 3},
    "lazada": {"price_markup_pct": 8, "price_rounding": 1000, "stock_buffer": 2, "min_stars": 4},
    "sendo": {"price_markup_pct": 5, "price_rounding": 1000, "stock_buffer": 2, "min_stars": 3},
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def demo_config(sandbox: Sandbox, root: str, database: Path) -> str:
    """An ocopsync.toml with one province-wide connection per sandbox platform."""
    lines = [
        "# Written by `ocopsync demo`: sandbox credentials are public defaults.",
        "[database]",
        f"url = {_toml_value(f'sqlite:///{database}')}",
        "",
    ]
    for entry in sandbox.describe(root):
        name = entry["platform"]
        lines += [
            "[[connections]]",
            f'name = "demo-{name}"',
            f'platform = "{name}"',
            f"base_url = {_toml_value(entry['base_url'])}",
            'entity = "*"',
            "[connections.credentials]",
        ]
        lines += [f"{k} = {_toml_value(v)}" for k, v in entry["credentials"].items()]
        lines.append("[connections.policy]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in POLICIES[name].items()]
        options = dict(entry["options"])
        options.setdefault("rate_limit_per_s", 200)
        lines.append("[connections.options]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in options.items()]
        lines.append("")
    text = "\n".join(lines)
    tomllib.loads(text)  # never write a config we could not read back
    return text


def seed_hand_listings(sandbox: Sandbox, products: list[Product], seed: int = 11) -> int:
    """List some products by hand on some platforms, at stale prices, plus a few strangers."""
    rng = random.Random(seed)
    count = 0
    for name in ("shopee", "lazada", "sendo", "voso"):
        platform = sandbox[name]
        for product in rng.sample(products, k=max(1, len(products) // 12)):
            platform.seed(
                product.sku, product.name, product.price_vnd - 1000, max(0, product.stock - 3)
            )
            count += 1
        platform.seed(
            f"HANDMADE-{name.upper()}-1", "Sản phẩm đăng tay, không có trong danh mục", 99_000, 4
        )
    return count


async def authorize_sandbox_shops(
    settings: Settings,
    sandbox: Sandbox,
    token_store: TokenStore,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Onboard every OAuth shop with its sandbox's code, as a seller would by hand.

    The demo, the benchmark and the tests all start from authorized shops.
    """
    for conn in settings.connections:
        code = sandbox[conn.platform].authorization_code()
        if code is None:
            continue
        ctx = ConnectorContext(
            conn, conn.resolved_credentials(), token_store=token_store, transport=transport
        )
        connector = connector_class(conn.platform)(ctx)
        try:
            await connector.exchange_code(code)
        finally:
            await connector.aclose()


def run_demo(directory: Path, *, size: int, today: date, as_json: bool = False) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    catalog_path = directory / "catalog.csv"
    config_path = directory / "ocopsync.toml"
    database = (directory / "ocopsync.db").resolve()
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    write_sample_catalog(catalog_path, today=today, size=size)
    sandbox = build_sandbox(list(PLATFORM_MODULES))

    def say(text: str) -> None:
        if not as_json:
            render.stdout.print(text)

    with serve_in_thread(sandbox.app) as root:
        config_path.write_text(demo_config(sandbox, root, database), encoding="utf-8")
        settings = load_settings(config_path)
        engine = make_engine(settings.database_url)
        report = import_catalog(engine, catalog_path)
        say(f"catalog: {catalog_path} -> {report.added} products imported")
        with Session(engine) as session:
            products = list(session.exec(select(Product).where(Product.status == "active")))
        hand = seed_hand_listings(sandbox, products)
        say(f"sandbox: 6 platforms on {root}; {hand} products already listed by hand")
        asyncio.run(authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine)))
        result = asyncio.run(
            run(engine, settings, SyncRequest(today=today, trigger="demo"), Harness())
        )
        doc = render.sync_document(result)
        rows = coverage.aggregate(coverage.cells(engine, settings, today=today), "platform")
    if as_json:
        render.emit_json(
            {"sync": doc, "coverage": {"by": "platform", "rows": rows}, "directory": str(directory)}
        )
    else:
        render.print_sync(doc)
        render.print_coverage("platform", rows)
        say(
            f"Try: cd {directory} && ocopsync coverage --by district  "
            "(or: plan, runs list, catalog list --search 'tra hoa vang')"
        )
    return {"sync": doc, "coverage": rows}
