"""A create blocked for a missing mandatory attribute, then sent once the catalog gives it.

End to end through the CLI against the Voso sandbox served on loopback: ``categories
map`` puts the beverage group in a category with mandatory attributes (rice wine:
alcohol content and volume), ``plan`` blocks the create naming them and sends
nothing, and after the catalog's ``attributes`` column gives them, ``sync`` creates the
listing with the attributes in the platform's own ids. A later edit of the description
is then one ``update_content`` operation, and the platform shows the new text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.config import load_settings
from ocopsync.demo import authorize_sandbox_shops, demo_config, demo_env, write_env_file
from ocopsync.models import make_engine
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.serve import serve_in_thread
from ocopsync.store import DbTokenStore
from tests.conftest import product, write_catalog

runner = CliRunner()
RICE_WINE = "10462"
"""Voso's "Rượu đặc sản": Nồng độ cồn (%) and Dung tích (ml) are mandatory."""


def cli(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.output


@pytest.fixture
def voso(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = build_sandbox(["voso"])
    with serve_in_thread(sandbox.app) as root:
        config = tmp_path / "ocopsync.toml"
        config.write_text(demo_config(sandbox, root, tmp_path / "a.db"), encoding="utf-8")
        env = demo_env(sandbox)
        write_env_file(tmp_path / ".env", env)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
        settings = load_settings(config)
        engine = make_engine(settings.database_url)
        asyncio.run(authorize_sandbox_shops(settings, sandbox, DbTokenStore(engine)))
        yield sandbox


def wine(**overrides: str) -> dict[str, str]:
    fields = {"image_urls": "https://img.example/ruou.jpg", **overrides}
    return product("HG-RUOU-1", name="Rượu ngô Bắc Hà", group="beverage", **fields)


def test_blocked_for_a_mandatory_attribute_then_created_then_content_follows(
    voso: Sandbox, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path / "c.csv", [wine()])
    assert cli("catalog", "import", str(catalog))[0] == 0
    code, mapped = cli("categories", "map", "voso", "beverage", RICE_WINE, "--format", "json")
    assert code == 0, mapped

    code, plan = cli("plan", "--format", "json")
    assert code == 0, plan
    (create,) = [o for o in plan["operations"] if o["action"] == "create"]
    blocked = " ".join(create["blocked"])
    assert "Nồng độ cồn" in blocked and "Dung tích" in blocked
    code, synced = cli("sync", "--format", "json")
    shop = voso["voso"].shop
    assert shop.by_sku("HG-RUOU-1") is None, "a blocked create is never sent"

    write_catalog(catalog, [wine(attributes="Nồng độ cồn=29,5; Dung tích=500")])
    assert cli("catalog", "import", str(catalog))[0] == 0
    code, plan = cli("plan", "--format", "json")
    (create,) = [o for o in plan["operations"] if o["action"] == "create"]
    assert "blocked" not in create, create["blocked"]
    code, synced = cli("sync", "--format", "json")
    assert code == 0, synced
    item = shop.by_sku("HG-RUOU-1")
    assert item is not None
    sent = {a["attribute_id"]: a for a in item.data["attributes"]}
    assert {20011, 20012} <= set(sent), sent

    write_catalog(
        catalog,
        [wine(attributes="Nồng độ cồn=29,5; Dung tích=500", description="Rượu ngô men lá")],
    )
    assert cli("catalog", "import", str(catalog))[0] == 0
    code, plan = cli("plan", "--format", "json")
    content = [o for o in plan["operations"] if o["action"] == "update_content"]
    assert [(o["sku"], o["to"]) for o in content] == [("HG-RUOU-1", "description")]
    code, synced = cli("sync", "--format", "json")
    assert code == 0, synced
    assert shop.by_sku("HG-RUOU-1").data["description"] == "Rượu ngô men lá"  # type: ignore[union-attr]
    code, plan = cli("plan", "--format", "json")
    assert plan["operations"] == [], "sent once: the next plan has nothing to do"
