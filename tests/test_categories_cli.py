"""``ocopsync categories``: browse, show, suggest, map and refresh, end to end.

Through the CLI against the Shopee and Lazada sandboxes served on loopback (real HTTP,
real signatures), counting the sandbox's requests to prove cache hits; the attribute view
also against a fake connector, so it is tested whatever the real connectors offer yet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ocopsync.cli.categories as categories_cli
from ocopsync.category_suggest import suggest, words
from ocopsync.cli import app
from ocopsync.cli.categories import resolve_connection
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.errors import ConfigError
from ocopsync.models import make_engine
from ocopsync.records import (
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
)
from ocopsync.sandbox import Sandbox
from ocopsync.store import discovery as cache
from tests.test_categories import served  # noqa: F401  (the served sandboxes fixture)

runner = CliRunner()
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The CLI's clock, moved by the test: ``now[0] += timedelta(...)``."""
    now = [T0]
    monkeypatch.setattr(categories_cli, "clock", lambda: now[0])
    return now


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["categories", *args])


def doc_of(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the sandboxes, end to end ---------------------------------------------------------


@pytest.mark.parametrize("platform", ["shopee", "lazada"])
def test_browse_by_platform_name_reads_the_cache_the_second_time(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
    platform: str,
) -> None:
    sandbox, _settings = served
    emulator = sandbox[platform]
    first = doc_of(invoke(platform, "--search", "tra", "-f", "json"))
    assert first["connection"] == f"demo-{platform}"
    assert "Trà" in [c["name"] for c in first["categories"]]
    asked = emulator.requests
    clock[0] += timedelta(days=6)
    again = doc_of(invoke("browse", platform, "--search", "TRÀ", "-f", "json"))
    assert again == first
    assert emulator.requests == asked, "a fresh tree costs no request"
    clock[0] += timedelta(days=2)
    doc_of(invoke(platform, "-f", "json"))
    assert emulator.requests > asked, "an expired tree is fetched again"
    asked = emulator.requests
    doc_of(invoke(platform, "--refresh", "-f", "json"))
    assert emulator.requests > asked


def test_browse_csv_and_connection_option(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
) -> None:
    result = invoke("shopee", "--connection", "demo-shopee", "--search", "gom", "-f", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "category_id,name,parent_id,parent,leaf,path"
    assert any(line.startswith("101188,Gốm sứ,100720,") for line in lines[1:])
    wrong = invoke("lazada", "--connection", "demo-shopee")
    assert wrong.exit_code == 1
    assert "demo-shopee" in wrong.output and "lazada" in wrong.output


def test_unknown_platform_is_one_clear_line(
    served: tuple[Sandbox, Settings],  # noqa: F811
) -> None:
    result = invoke("tiktok")
    assert result.exit_code == 1
    assert "tiktok" in result.output and "demo-shopee" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("platform", ["shopee", "lazada"])
def test_suggest_proposes_a_leaf_for_every_group(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
    platform: str,
) -> None:
    sandbox, _settings = served
    doc = doc_of(invoke("suggest", platform, "-f", "json"))
    rows = {r["group"]: r for r in doc["suggestions"]}
    assert set(rows) == {"food", "beverage", "herbal", "textile", "handicraft"}
    tree = {c["category_id"]: c for c in doc_of(invoke(platform, "-f", "json"))["categories"]}
    for group, row in rows.items():
        suggested = row["suggested"]
        assert suggested is not None, group
        assert tree[suggested["category_id"]]["leaf"], group
        assert row["current"]["source"] == "config"
    assert rows["beverage"]["suggested"]["name"] == "Trà"
    assert "thu cong" in " ".join(words(rows["handicraft"]["suggested"]["name"]))
    mapped = sandbox[platform].connection_options("http://127.0.0.1")["category_map"]
    assert rows["food"]["current"]["category_id"] == str(mapped["food"])
    assert all(row["products"] == 0 for row in rows.values()), "the catalog is empty"
    table = invoke("suggest", platform)
    assert table.exit_code == 0, table.output
    assert "beverage" in table.stdout and "Trà" in table.stdout


def test_map_refuses_a_parent_and_a_missing_id_then_writes_the_database(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
) -> None:
    _sandbox, settings = served
    parent = invoke("map", "shopee", "beverage", "100245")
    assert parent.exit_code == 1
    assert "100245" in parent.output and "100860" in parent.output and "Trà" in parent.output
    missing = invoke("map", "shopee", "beverage", "999999")
    assert missing.exit_code == 1 and "999999" in missing.output
    by_name = invoke("map", "shopee", "beverage", "Cà phê")
    assert by_name.exit_code == 1 and "100861" in by_name.output
    tourism = invoke("map", "shopee", "tourism", "100860")
    assert tourism.exit_code == 1
    engine = make_engine(settings.database_url)
    assert cache.mappings(engine, "demo-shopee") == {}

    doc = doc_of(invoke("map", "shopee", "Đồ uống", "100861", "-f", "json"))
    assert doc["group"] == "beverage"
    assert doc["category"]["category_id"] == "100861" and doc["category"]["leaf"]
    assert doc["previous"] == {"category_id": "100860", "source": "config"}
    config_map = settings.connection("demo-shopee").options["category_map"]
    merged = cache.category_map(engine, "demo-shopee", config_map)
    assert merged["beverage"] == "100861"
    assert merged["food"] == str(config_map["food"])
    again = doc_of(invoke("map", "demo-shopee", "beverage", "100860", "-f", "json"))
    assert again["previous"] == {"category_id": "100861", "source": "database"}
    assert cache.category_map(engine, "demo-shopee", config_map)["beverage"] == "100860"
    current = doc_of(invoke("suggest", "shopee", "-f", "json"))["suggestions"]
    beverage = next(r for r in current if r["group"] == "beverage")
    assert beverage["current"]["source"] == "database"
    neither = invoke("map", "shopee", "beverage")
    assert neither.exit_code == 1 and "--clear" in neither.output
    cleared = doc_of(invoke("map", "shopee", "beverage", "--clear", "-f", "json"))
    assert cleared["removed"] == "100860"
    assert cleared["category_id"] == str(config_map["beverage"]) and cleared["source"] == "config"
    assert cache.mappings(engine, "demo-shopee") == {}
    again_cleared = invoke("map", "shopee", "beverage", "--clear")
    assert again_cleared.exit_code == 0 and "no mapping in the database" in again_cleared.stdout


def test_map_reads_the_cached_tree(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
) -> None:
    sandbox, _settings = served
    doc_of(invoke("lazada", "-f", "json"))
    asked = sandbox["lazada"].requests
    doc_of(invoke("map", "lazada", "herbal", "10000367", "-f", "json"))
    assert sandbox["lazada"].requests == asked


# --- show and refresh, against a fake connector ----------------------------------------

FAKE_TREE = [
    Category("10", None, "Thực phẩm", False),
    Category("11", "10", "Đặc sản", True),
    Category("12", "10", "Trà", True),
]
FAKE_ATTRIBUTES = [
    CategoryAttribute("note", "Ghi chú", False, "text"),
    CategoryAttribute(
        "100037",
        "Xuất xứ",
        True,
        "single_select",
        (AttributeOption("1", "Việt Nam"), AttributeOption("2", "Khác")),
    ),
    CategoryAttribute("weight", "Khối lượng", False, "float", unit="g"),
]
FAKE_BRANDS = [Brand(str(i), f"Thương hiệu {i}") for i in range(30)]
FAKE_LIMITS = ItemLimits(120, 3000, 9, 10 * 1024 * 1024)


class FakeConnector:
    """Every discovery method, each call counted; stands in for a real connector."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def list_categories(self) -> list[Category]:
        self.calls.append("tree")
        return list(FAKE_TREE)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        self.calls.append(f"attributes:{category_id}")
        return list(FAKE_ATTRIBUTES)

    async def category_brands(self, category_id: str) -> list[Brand]:
        self.calls.append(f"brands:{category_id}")
        return list(FAKE_BRANDS)

    async def item_limits(self, category_id: str) -> ItemLimits:
        self.calls.append(f"limits:{category_id}")
        return FAKE_LIMITS

    async def aclose(self) -> None:
        pass


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: list[datetime]) -> FakeConnector:
    config = tmp_path / "ocopsync.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "f.db"}"\n'
        "[[connections]]\n"
        'name = "htx-shopee"\nplatform = "shopee"\nbase_url = "http://127.0.0.1:9"\n'
        "[connections.options]\n"
        "category_map = { food = 11 }\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    connector = FakeConnector()
    monkeypatch.setattr(categories_cli, "connector_for", lambda conn: connector)
    return connector


def test_show_marks_mandatory_attributes_and_caches(fake: FakeConnector) -> None:
    doc = doc_of(invoke("show", "shopee", "11", "-f", "json"))
    assert doc["category"]["path"] == "Thực phẩm > Đặc sản"
    assert [a["key"] for a in doc["attributes"]] == ["100037", "note", "weight"]
    assert doc["mandatory"] == ["100037"]
    assert doc["attributes"][0]["options"] == [
        {"value_id": "1", "name": "Việt Nam"},
        {"value_id": "2", "name": "Khác"},
    ]
    assert len(doc["brands"]) == 20 and doc["brands_total"] == 30
    assert doc["limits"]["images_max"] == 9
    assert fake.calls == ["tree", "attributes:11", "brands:11", "limits:11"]
    fake.calls.clear()
    every = doc_of(invoke("show", "shopee", "11", "--all", "-f", "json"))
    assert len(every["brands"]) == 30
    some = doc_of(invoke("show", "shopee", "11", "--brand", "THUONG HIEU 2", "-f", "json"))
    assert [b["brand_id"] for b in some["brands"]] == ["2", *(str(i) for i in range(20, 30))]
    assert some["brands_total"] == 11
    assert fake.calls == [], "a fresh cache answers everything"
    table = invoke("show", "htx-shopee", "11")
    assert table.exit_code == 0, table.output
    assert "* MANDATORY" in table.stdout and "Xuất xứ" in table.stdout
    assert "Việt Nam, Khác" in table.stdout
    csv = invoke("show", "shopee", "11", "-f", "csv")
    assert csv.stdout.splitlines()[1].startswith("100037,Xuất xứ,True,single_select,Việt Nam|Khác")


def test_show_refuses_a_parent(fake: FakeConnector) -> None:
    result = invoke("show", "shopee", "10")
    assert result.exit_code == 1
    assert "11 Đặc sản" in result.output and "12 Trà" in result.output


def test_refresh_fetches_the_tree_and_every_mapped_category(
    fake: FakeConnector, clock: list[datetime]
) -> None:
    doc_of(invoke("map", "shopee", "beverage", "12", "-f", "json"))
    fake.calls.clear()
    doc = doc_of(invoke("refresh", "shopee", "-f", "json"))
    assert fake.calls[0] == "tree"
    assert sorted(fake.calls[1:]) == sorted(
        f"{what}:{cid}" for what in ("attributes", "brands", "limits") for cid in ("11", "12")
    )
    assert doc["errors"] == []
    kinds = {(e["kind"], e["key"]) for e in doc["entries"]}
    assert ("tree", "") in kinds and ("attributes", "12") in kinds and ("limits", "11") in kinds
    assert all(e["fetched_at"] == T0.isoformat(timespec="seconds") for e in doc["entries"])


def test_refresh_reports_a_mapping_that_is_no_leaf(
    fake: FakeConnector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("food = 11", "food = 10"), encoding="utf-8"
    )
    result = invoke("refresh", "shopee", "-f", "json")
    assert result.exit_code == 1
    assert "food" in result.stderr and "10" in result.stderr
    assert json.loads(result.stdout)["errors"]


# --- pure pieces ----------------------------------------------------------------------


def conn(name: str, platform: str, enabled: bool = True) -> ConnectionSettings:
    return ConnectionSettings(name=name, platform=platform, base_url="http://x", enabled=enabled)


SETTINGS = Settings(
    connections=(
        conn("htx-shopee", "shopee"),
        conn("a-lazada", "lazada"),
        conn("b-lazada", "lazada"),
        conn("old-sendo", "sendo", enabled=False),
        conn("new-sendo", "sendo"),
    )
)
PLATFORMS = ("shopee", "lazada", "sendo", "voso")


@pytest.mark.parametrize(
    ("name", "option", "expected"),
    [
        ("shopee", None, "htx-shopee"),
        ("htx-shopee", None, "htx-shopee"),
        ("lazada", "b-lazada", "b-lazada"),
        ("b-lazada", "b-lazada", "b-lazada"),
        ("sendo", None, "new-sendo"),
    ],
)
def test_resolve_connection(name: str, option: str | None, expected: str) -> None:
    assert resolve_connection(SETTINGS, name, option, PLATFORMS).name == expected


@pytest.mark.parametrize(
    ("name", "option", "says"),
    [
        ("lazada", None, "--connection"),
        ("voso", None, "voso"),
        ("tiki", None, "tiki"),
        ("shopee", "a-lazada", "a-lazada"),
        ("shopee", "nope", "nope"),
    ],
)
def test_resolve_connection_refusals(name: str, option: str | None, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        resolve_connection(SETTINGS, name, option, PLATFORMS)


SHOPEE_LIKE = [
    Category("1", None, "Thực Phẩm và Đồ Uống", False),
    Category("2", "1", "Thực phẩm khô", False),
    Category("3", "2", "Đồ khô, đặc sản sấy", True),
    Category("4", "2", "Gạo & Ngũ cốc", True),
    Category("5", "1", "Đồ uống", False),
    Category("6", "5", "Cà phê", True),
    Category("7", "5", "Trà", True),
    Category("8", None, "Nhà Cửa & Đời Sống", False),
    Category("9", "8", "Trang trí nhà cửa", True),
    Category("10", "8", "Đồ thủ công mỹ nghệ", True),
    Category("11", None, "Sức khỏe", False),
    Category("12", "11", "Thực phẩm chức năng", False),
    Category("13", "12", "Thảo dược", True),
    Category("14", None, "Thời trang", False),
    Category("15", "14", "Vải, lụa & Thổ cẩm", True),
    Category("16", None, "Home & Living", False),
    Category("17", "16", "Handicrafts", True),
]


@pytest.mark.parametrize(
    ("tree", "group", "expected"),
    [
        (SHOPEE_LIKE, "food", "3"),  # đặc sản ranks before gạo
        (SHOPEE_LIKE, "beverage", "7"),  # trà before cà phê; never "Trang trí"
        (SHOPEE_LIKE, "herbal", "13"),
        (SHOPEE_LIKE, "textile", "15"),
        (SHOPEE_LIKE, "handicraft", "10"),
        (SHOPEE_LIKE[15:], "handicraft", "17"),  # an English tree
        (SHOPEE_LIKE[:5], "beverage", None),  # "Đồ uống" is a parent: no leaf under it
        (SHOPEE_LIKE, "tourism", None),  # not a marketplace group
        (
            [Category("1", None, "Khác", False), Category("2", "1", "Trang trí", True)],
            "beverage",
            None,
        ),
    ],
)
def test_suggest_table(tree: list[Category], group: str, expected: str | None) -> None:
    (found,) = suggest(tree, [group])
    assert (found.category.category_id if found.category else None) == expected
    if found.category is not None:
        assert found.path.endswith(found.category.name)
        assert all(c.leaf for c in found.alternatives)


@pytest.mark.parametrize("platform", ["shopee", "lazada"])
def test_show_and_refresh_against_the_sandbox(
    served: tuple[Sandbox, Settings],  # noqa: F811
    clock: list[datetime],
    platform: str,
) -> None:
    sandbox, settings = served
    emulator = sandbox[platform]
    leaf = str(settings.connection(f"demo-{platform}").options["category_map"]["beverage"])
    refreshed = doc_of(invoke("refresh", platform, "-f", "json"))
    assert refreshed["errors"] == []
    kinds = {(e["kind"], e["key"]) for e in refreshed["entries"]}
    assert {("tree", ""), ("attributes", leaf), ("brands", leaf), ("limits", leaf)} <= kinds
    asked = emulator.requests
    doc = doc_of(invoke("show", platform, leaf, "--all", "-f", "json"))
    assert emulator.requests == asked, "refresh filled the cache show reads"
    assert doc["category"]["category_id"] == leaf and doc["category"]["leaf"]
    attributes = doc["attributes"]
    assert attributes, "the sandbox's leaf has attributes"
    flags = [a["mandatory"] for a in attributes]
    assert flags == sorted(flags, reverse=True), "mandatory ones first"
    assert doc["mandatory"] == [a["key"] for a in attributes if a["mandatory"]]
    assert len(doc["brands"]) == doc["brands_total"] > 0
    engine = make_engine(settings.database_url)
    cached = cache.read_cached_attributes(engine, f"demo-{platform}", leaf)
    assert cached is not None and {a.key for a in cached} == {a["key"] for a in attributes}
    clock[0] += timedelta(days=8)
    doc_of(invoke("show", platform, leaf, "-f", "json"))
    assert emulator.requests > asked, "expired answers are fetched again"
