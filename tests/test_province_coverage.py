"""Issue 8's own figures: Quảng Ninh's 393 products after a real sync, through the CLI.

Portal 393/393 = 100%, Voso 160/393 = 40.7%, Postmart 108/393 = 27.5%; Voso's gap list
is exactly the 233 others, each ``no_shop``. The CLI commands get the province's settings
(pavilion shops) and its calendar day injected; everything else is real.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from ocopsync import coverage
from ocopsync.cli import app
from tests import province_seed
from tests.province_seed import PRODUCERS, VOSO_CODES, World

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return province_seed.build(tmp_path_factory.mktemp("province"))


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch):
    def invoke(*args: str, settings=None) -> tuple[int, Any]:
        for module in ("coverage", "certificates", "report"):
            monkeypatch.setattr(
                f"ocopsync.cli.{module}.settings", lambda: settings or world.settings
            )
            monkeypatch.setattr(f"ocopsync.cli.{module}.today", lambda: world.today)
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        out = result.stdout
        return result.exit_code, json.loads(out) if "json" in args else out

    return invoke


def test_the_seed_is_what_the_province_reports(world: World) -> None:
    assert sum(p.products for p in PRODUCERS) == 393
    assert [(r.status, r.failed) for r in world.results] == [("succeeded", 0)] * 3
    rows = coverage.aggregate(
        coverage.cells(world.engine, world.settings, today=world.today), "platform"
    )
    assert rows == [
        {"platform": "portal", "eligible": 393, "listed": 393, "share": 1.0},
        {"platform": "postmart", "eligible": 393, "listed": 108, "share": 0.2748},
        {"platform": "voso", "eligible": 393, "listed": 160, "share": 0.4071},
    ]
    assert [f"{r['share'] * 100:.1f}%" for r in rows] == ["100.0%", "27.5%", "40.7%"]
    assert len(world.sandbox["voso"].snapshot()) == 160
    assert len(world.sandbox["postmart"].snapshot()) == 108


def test_voso_gaps_are_the_233_others_with_no_shop(cli, world: World) -> None:
    code, doc = cli("coverage", "gaps", "--platform", "voso", "--format", "json")
    assert code == 0
    assert doc["platform"] == "voso"
    assert len(doc["rows"]) == 233
    assert {r["reason"] for r in doc["rows"]} == {"no_shop"}
    assert doc["by_reason"] == {
        "no_shop": 233,
        "blocked": 0,
        "rejected": 0,
        "unlisted": 0,
        "out_of_stock": 0,
        "not_synced": 0,
        "failed": 0,
    }
    assert not {r["entity_code"] for r in doc["rows"]} & VOSO_CODES
    assert list(doc["rows"][0]) == [
        "sku",
        "name",
        "entity_code",
        "entity_name",
        "province",
        "district",
        "stars",
        "group",
        "reason",
        "detail",
    ]
    damha = [r for r in doc["rows"] if r["entity_code"] == "QN-HTX-DAMHA"]
    assert len(damha) == 28 and damha[0]["entity_name"] == "HTX Nông sản Đầm Hà"
    code, doc = cli("coverage", "gaps", "--platform", "portal", "--format", "json")
    assert doc["rows"] == [] and sum(doc["by_reason"].values()) == 0
    code, doc = cli(
        "coverage", "gaps", "--platform", "voso", "--district", "Cô Tô", "--format", "json"
    )
    assert len(doc["rows"]) == 15
    code, out = cli("coverage", "gaps", "--platform", "voso")
    assert code == 0 and "Not live on voso: 233 product(s)" in out and "no_shop 233" in out


def test_targets_mark_rows_below_and_count_what_is_left_to_list(cli, world: World) -> None:
    aimed = province_seed.with_targets(
        world.settings, {"voso": 0.6, "portal": 1.0}, {"Quảng Ninh": {"postmart": 0.25}}
    )
    code, doc = cli("coverage", "--format", "json", settings=aimed)
    assert code == 0
    assert [(r["platform"], r["target"], r["gap"]) for r in doc["rows"]] == [
        ("portal", 1.0, 0),
        ("postmart", 0.25, 0),  # the province's own target: 108 >= ceil(98.25)
        ("voso", 0.6, 76),  # ceil(0.6 x 393) = 236 - 160
    ]
    code, out = cli("coverage", settings=aimed)
    voso_line = next(line for line in out.splitlines() if "voso" in line)
    assert "40.7% ▼ below target" in voso_line and "60.0%" in voso_line and "76" in voso_line
    assert "▼" not in next(line for line in out.splitlines() if "portal" in line)


def test_names_beside_codes_and_provinces_beside_districts(cli) -> None:
    _, doc = cli("coverage", "--by", "entity", "--format", "json")
    row = next(r for r in doc["rows"] if r["entity"] == "QN-HTX-BACHE")
    assert list(row)[:3] == ["platform", "entity", "entity_name"]
    assert row["entity_name"] == "HTX Trà hoa vàng Ba Chẽ"
    _, doc = cli("coverage", "--by", "district", "--format", "json")
    assert {(r["province"], r["district"]) for r in doc["rows"]} >= {("Quảng Ninh", "Cô Tô")}
    _code, out = cli("coverage", "--by", "entity", "--format", "csv")
    assert out.splitlines()[0] == "platform,entity,entity_name,eligible,listed,share"
    assert "portal,QN-HTX-BACHE,HTX Trà hoa vàng Ba Chẽ,20,20,1.0" in out.splitlines()


def test_history_from_the_stored_snapshots(cli, world: World) -> None:
    code, doc = cli("coverage", "--history", "--format", "json")
    assert code == 0 and (doc["by"], doc["every"]) == ("platform", "day")
    days = [(world.today - timedelta(days=d)).isoformat() for d in (14, 7, 0)]
    voso = [(r["date"], r["listed"]) for r in doc["history"] if r["platform"] == "voso"]
    postmart = [(r["date"], r["listed"]) for r in doc["history"] if r["platform"] == "postmart"]
    assert voso == [(days[0], 0), (days[1], 0), (days[2], 160)]
    assert postmart == [(days[0], 0), (days[1], 108), (days[2], 108)]
    assert list(doc["history"][0]) == ["date", "platform", "eligible", "listed", "share"]
    since = world.today - timedelta(days=7)
    code, doc = cli(
        "coverage", "--history", "--since", since.isoformat(), "--by", "group", "--format", "json"
    )
    assert {r["date"] for r in doc["history"]} == set(days[1:])
    assert {"group"} <= set(doc["history"][0])
    code, doc = cli("coverage", "--history", "--every", "month", "--format", "json")
    assert len({r["date"] for r in doc["history"]}) in (1, 2)  # the snapshots span <= 2 months
    assert cli("coverage", "--history", "--every", "hour")[0] == 2


def test_forecast_at_a_future_date_and_expiring_certificates(cli, world: World) -> None:
    # Product 03 of each of the 23 producers expires in 30 days: 23 fewer eligible then.
    at = (world.today + timedelta(days=31)).isoformat()
    code, doc = cli("coverage", "--at", at, "--format", "json")
    assert code == 0 and doc["at"] == at
    assert [(r["platform"], r["eligible"], r["listed"]) for r in doc["rows"]] == [
        ("portal", 370, 370),
        ("postmart", 370, 103),
        ("voso", 370, 152),
    ]
    code, doc = cli("certificates", "--format", "json")
    assert code == 0 and doc["within"] == 90 and len(doc["rows"]) == 23
    bache = next(r for r in doc["rows"] if r["entity_code"] == "QN-HTX-BACHE")
    assert bache["sku"] == "QN-HTX-BACHE-03" and bache["days_left"] == 30
    assert bache["live_on"] == ["portal", "postmart", "voso"]
    assert bache["entity_name"] == "HTX Trà hoa vàng Ba Chẽ"
    code, doc = cli("certificates", "--within", "200", "--format", "json")
    assert len(doc["rows"]) == 23 + 9  # product 17 too, of the 9 producers that have 17+
    code, out = cli("certificates", "--format", "csv")
    assert out.splitlines()[0].startswith("sku,name,entity_code,entity_name,province,district")
    assert "portal postmart voso" in out
