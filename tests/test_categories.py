"""Category discovery: the Shopee and Lazada sandboxes' trees, the connectors'
``list_categories`` and ``ocopsync categories`` (served sandbox, real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ocopsync.catalog_headers import fold
from ocopsync.category_suggest import matching
from ocopsync.cli import app
from ocopsync.config import Settings, load_settings
from ocopsync.connectors.base import ConnectorContext, MemoryTokenStore
from ocopsync.connectors.registry import connector_class
from ocopsync.demo import authorize_sandbox_shops, demo_config, demo_env, write_env_file
from ocopsync.models import make_engine
from ocopsync.records import Category
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.serve import serve_in_thread
from ocopsync.store import DbTokenStore

PLATFORMS = ("shopee", "lazada")
runner = CliRunner()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Settings]]:
    """Shopee and Lazada sandboxes served on loopback, a config naming them
    (``demo-shopee``, ``demo-lazada``) and both shops authorized."""
    sandbox = build_sandbox(list(PLATFORMS))
    with serve_in_thread(sandbox.app) as root:
        config = tmp_path / "ocopsync.toml"
        config.write_text(demo_config(sandbox, root, tmp_path / "c.db"), encoding="utf-8")
        env = demo_env(sandbox)
        write_env_file(tmp_path / ".env", env)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
        settings = load_settings(config)
        engine = make_engine(settings.database_url)
        asyncio.run(authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine)))
        yield sandbox, settings


def categories_of(settings: Settings, platform: str) -> list[Category]:
    conn = settings.connection(f"demo-{platform}")
    engine = make_engine(settings.database_url)

    async def go() -> list[Category]:
        ctx = ConnectorContext(conn, conn.resolved_credentials(), token_store=DbTokenStore(engine))
        connector: Any = connector_class(platform)(ctx)
        try:
            found: list[Category] = await connector.list_categories()
            return found
        finally:
            await connector.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_tree_has_leaves_and_every_mapped_id_is_a_leaf(
    served: tuple[Sandbox, Settings], platform: str
) -> None:
    sandbox, settings = served
    found = categories_of(settings, platform)
    by_id = {c.category_id: c for c in found}
    assert len(by_id) == len(found), "ids are unique"
    leaves = [c for c in found if c.leaf]
    assert leaves and len(leaves) < len(found)
    tops = [c for c in found if c.parent_id is None]
    assert tops and all(not c.leaf for c in tops)
    for c in found:
        if c.parent_id is not None:
            assert c.parent_id in by_id and not by_id[c.parent_id].leaf
    parents = {c.parent_id for c in found}
    assert all((c.category_id in parents) != c.leaf for c in found)
    category_map = sandbox[platform].connection_options("http://127.0.0.1")["category_map"]
    assert set(category_map) == {"food", "beverage", "herbal", "textile", "handicraft"}
    for group, category_id in category_map.items():
        assert by_id[str(category_id)].leaf, group
    tea = matching(found, "tra")
    assert tea and all("tra" in fold(c.name) for c in tea)
    assert any(c.name == "Trà" for c in tea)


def test_lazada_tree_needs_no_access_token(served: tuple[Sandbox, Settings]) -> None:
    _sandbox, settings = served
    conn = settings.connection("demo-lazada")

    async def go() -> list[Category]:
        ctx = ConnectorContext(conn, conn.resolved_credentials(), token_store=MemoryTokenStore())
        connector: Any = connector_class("lazada")(ctx)
        try:
            found: list[Category] = await connector.list_categories()
            return found
        finally:
            await connector.aclose()

    assert any(c.category_id == "10000342" and c.leaf for c in asyncio.run(go()))


def test_matching_ignores_accents_and_case() -> None:
    tree = [
        Category("1", None, "Đồ uống", False),
        Category("2", "1", "Trà", True),
        Category("3", "1", "Cà phê", True),
    ]
    assert [c.category_id for c in matching(tree, "TRA")] == ["2"]
    assert [c.category_id for c in matching(tree, "do uong")] == ["1"]
    assert matching(tree, None) == tree


@pytest.mark.parametrize("platform", PLATFORMS)
def test_cli_categories_search_json(served: tuple[Sandbox, Settings], platform: str) -> None:
    result = runner.invoke(app, ["categories", f"demo-{platform}", "--search", "tra", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["connection"] == f"demo-{platform}"
    names = [c["name"] for c in doc["categories"]]
    assert "Trà" in names
    assert all("tra" in fold(n) for n in names)
    tea = next(c for c in doc["categories"] if c["name"] == "Trà")
    assert tea["leaf"] is True and tea["parent_id"]


def test_cli_categories_table(served: tuple[Sandbox, Settings]) -> None:
    result = runner.invoke(app, ["categories", "demo-shopee", "--search", "thu cong"])
    assert result.exit_code == 0, result.output
    assert "101186" in result.stdout and "Đồ thủ công mỹ nghệ" in result.stdout
