"""``ocopsync demo``: a realistic province in a few seconds, end to end over real HTTP.

It writes a sample catalog and an ``ocopsync.toml`` into a folder, serves every
sandbox platform on a loopback port (8700 when free), puts a few products on some
platforms "by hand" (as sellers do before they find ocopsync) plus a few listings
unknown to the catalog, authorizes the OAuth shops with the sandbox codes, imports,
syncs and prints coverage. The first sync adopts what was listed by hand instead of
creating it twice.

The folder is a working setup, written as a real one should be: ``ocopsync.toml``
holds only ``${VAR}`` references, the sandbox credentials are in ``.env`` beside it
(mode 0600; ocopsync reads it itself), and the sandbox's shops, orders and issued
tokens are saved in ``sandbox-state.json``. The closing hint names the command that
brings the same sandbox back on the same port, so ``plan``, ``sync`` and the rest
work after the demo has exited.
"""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import socket
import tomllib
from contextlib import ExitStack
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
from ocopsync.i18n import _
from ocopsync.models import Product, make_engine
from ocopsync.sandbox import PLATFORM_MODULES, Sandbox, build_sandbox
from ocopsync.sandbox import state as sandbox_state
from ocopsync.serve import free_port, serve_in_thread
from ocopsync.store import DbTokenStore
from ocopsync.sync import Harness, SyncRequest, run

DEFAULT_PORT = 8700
"""The sandbox's documented port; the demo takes another when it is in use."""
STATE_FILE = "sandbox-state.json"
ENV_FILE = ".env"

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


def env_variable(platform: str, key: str) -> str:
    """The variable a demo credential is kept in (``OCOPSYNC_DEMO_SHOPEE_PARTNER_KEY``)."""
    return f"OCOPSYNC_DEMO_{platform.upper()}_{key.upper()}"


def demo_env(sandbox: Sandbox) -> dict[str, str]:
    """The demo's ``.env``: every sandbox credential under its variable."""
    return {
        env_variable(name, key): value
        for name, platform in sandbox.platforms.items()
        for key, value in platform.credentials().items()
    }


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """``NAME=value`` lines, readable by the owner only (they are secrets on a real setup)."""
    lines = ["# Written by `ocopsync demo`: the sandbox's credentials (public defaults)."]
    lines += [f"{name}={value}" for name, value in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def demo_config(sandbox: Sandbox, root: str, database: Path) -> str:
    """An ocopsync.toml with one province-wide connection per sandbox platform.

    Credentials are ``${VAR}`` references to :func:`demo_env`'s variables, as a config
    that may be shared should be.
    """
    lines = [
        "# Written by `ocopsync demo`. Credentials are in .env beside this file.",
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
        lines += [
            f"{k} = {_toml_value('${' + env_variable(name, k) + '}')}" for k in entry["credentials"]
        ]
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


def _port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _serve(stack: ExitStack, sandbox: Sandbox, port: int) -> str:
    """Serve on ``port`` (0: any free one); another free port when it is taken."""
    if port and _port_is_free(port):
        try:
            return stack.enter_context(serve_in_thread(sandbox.app, port=port))
        except RuntimeError:  # taken between the check and the bind
            pass
    return stack.enter_context(serve_in_thread(sandbox.app, port=free_port()))


def restart_command(directory: Path, port: int) -> str:
    """The command that serves the demo's sandbox again, as it was when the demo ended."""
    # Absolute: "another terminal" may not start in the folder the demo was run from.
    state = shlex.quote(str((directory / STATE_FILE).resolve()))
    return f"ocopsync sandbox serve --port {port} --state {state}"


def run_demo(
    directory: Path,
    *,
    size: int,
    today: date,
    as_json: bool = False,
    port: int = DEFAULT_PORT,
) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    catalog_path = directory / "catalog.csv"
    config_path = directory / "ocopsync.toml"
    state_path = directory / STATE_FILE
    database = (directory / "ocopsync.db").resolve()
    # A new demo is a new province: the database and the sandbox's state go together.
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), state_path):
        stale.unlink(missing_ok=True)
    write_sample_catalog(catalog_path, today=today, size=size)
    sandbox = build_sandbox(list(PLATFORM_MODULES))

    def say(text: str) -> None:
        if not as_json:
            render.stdout.print(text, markup=False, highlight=False)

    with ExitStack() as stack:
        root = _serve(stack, sandbox, port)
        config_path.write_text(demo_config(sandbox, root, database), encoding="utf-8")
        write_env_file(directory / ENV_FILE, demo_env(sandbox))
        settings = load_settings(config_path, env_file=directory / ENV_FILE)
        engine = make_engine(settings.database_url)
        report = import_catalog(engine, catalog_path)
        say(
            _("catalog: {path} -> {count} products imported").format(
                path=catalog_path, count=report.added
            )
        )
        with Session(engine) as session:
            products = list(session.exec(select(Product).where(Product.status == "active")))
        hand = seed_hand_listings(sandbox, products)
        say(
            _("sandbox: 6 platforms on {root}; {count} products already listed by hand").format(
                root=root, count=hand
            )
        )
        asyncio.run(authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine)))
        result = asyncio.run(
            run(engine, settings, SyncRequest(today=today, trigger="demo"), Harness())
        )
        doc = render.sync_document(result)
        rows = coverage.aggregate(coverage.cells(engine, settings, today=today), "platform")
    # Saved once the server has stopped, so no request is half-way through.
    sandbox_state.save(sandbox, state_path)
    served_port = int(root.rsplit(":", 1)[1])
    restart = restart_command(directory, served_port)
    if as_json:
        render.emit_json(
            {
                "sync": doc,
                "coverage": {"by": "platform", "rows": rows},
                "directory": str(directory),
                "sandbox": {"url": root, "state": str(state_path), "restart": restart},
            }
        )
    else:
        render.print_sync(doc)
        render.print_coverage("platform", rows)
        folder = shlex.quote(str(directory))
        say(
            _(
                "The sandbox stopped with the demo. To bring the same one back (same port, "
                "shops and tokens), run in another terminal:\n  {restart}\n"
                "then: cd {folder} && ocopsync plan  (or: sync, coverage --by district, "
                "runs list, catalog list --search 'tra hoa vang')"
            ).format(restart=restart, folder=folder)
        )
    return {"sync": doc, "coverage": rows, "restart": restart}
