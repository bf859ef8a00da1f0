"""Saved plans: what was reviewed is what lands; stale operations are never sent."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from ocopsync.plan_file import read_plan
from tests.conftest import product, write_catalog
from tests.test_cli_e2e import cli, setup  # noqa: F401  (the served portal sandbox fixture)


def synced(setup_value):
    sandbox, root, catalog, tmp_path = setup_value
    assert cli("catalog", "import", str(catalog))[0] == 0
    assert cli("sync")[0] == 0
    return sandbox, root, catalog, tmp_path


def test_detailed_exitcode_says_whether_anything_would_change(setup) -> None:  # noqa: F811
    _sandbox, _root, catalog, _tmp = setup
    cli("catalog", "import", str(catalog))
    assert cli("plan", "--detailed-exitcode")[0] == 2
    cli("sync")
    assert cli("plan", "--detailed-exitcode")[0] == 0


def test_only_the_reviewed_operations_land(setup, tmp_path: Path) -> None:  # noqa: F811
    sandbox, _root, _catalog, _ = synced(setup)
    rows = [product(f"QN-{i:03d}", price_vnd="45.000", stock=str(10 + i)) for i in range(1, 8)]
    rows[0]["price_vnd"] = "60000"  # QN-001: reviewed
    write_catalog(tmp_path / "a.csv", rows)
    cli("catalog", "import", str(tmp_path / "a.csv"))
    plan_path = tmp_path / "plan.json"
    code, doc, err = cli("plan", "--out", str(plan_path), "--format", "json")
    assert code == 0, err
    assert [(o["sku"], o["action"]) for o in doc["operations"]] == [("QN-001", "update_price")]
    rows[1]["price_vnd"] = "70000"  # QN-002 changes after the review
    write_catalog(tmp_path / "b.csv", rows)
    cli("catalog", "import", str(tmp_path / "b.csv"))
    code, result, err = cli("sync", "--plan", str(plan_path), "--format", "json")
    assert code == 0, err
    assert result["applied"] == 1 and result["stale"] == 0
    shop = sandbox["portal"].snapshot()
    assert shop["QN-001"]["price"] == 66_000  # 60,000 + 10% markup
    assert shop["QN-002"]["price"] == 50_000  # waits for the next plan
    code, doc, _ = cli("plan", "--format", "json")
    assert [(o["sku"], o["to"]) for o in doc["operations"]] == [("QN-002", 77_000)]


def test_an_operation_whose_platform_value_moved_is_stale(setup, tmp_path: Path) -> None:  # noqa: F811
    sandbox, _root, _catalog, _ = synced(setup)
    rows = [product(f"QN-{i:03d}", price_vnd="45.000", stock=str(10 + i)) for i in range(1, 8)]
    rows[0]["price_vnd"] = rows[1]["price_vnd"] = "60000"
    write_catalog(tmp_path / "a.csv", rows)
    cli("catalog", "import", str(tmp_path / "a.csv"))
    plan_path = tmp_path / "plan.json"
    assert cli("plan", "--out", str(plan_path))[0] == 0
    sandbox["portal"].shop.by_sku("QN-002").price = 55_000  # a person edits it meanwhile
    code, result, _ = cli("sync", "--plan", str(plan_path), "--format", "json")
    assert code == 3
    assert (result["applied"], result["stale"]) == (1, 1)
    shop = sandbox["portal"].snapshot()
    assert shop["QN-001"]["price"] == 66_000 and shop["QN-002"]["price"] == 55_000
    code, run, _ = cli("runs", "show", str(result["run_id"]), "--format", "json")
    stale = [o for o in run["operations"] if o["status"] == "stale"]
    assert [(o["sku"], o["error"]) for o in stale] == [("QN-002", "platform price 50000 -> 55000")]


def test_a_sale_since_the_review_makes_a_stock_operation_stale(setup, tmp_path: Path) -> None:  # noqa: F811
    import httpx

    _sandbox, root, _catalog, _ = synced(setup)
    rows = [product(f"QN-{i:03d}", price_vnd="45.000", stock=str(10 + i)) for i in range(1, 8)]
    rows[0]["stock"] = "21"  # QN-001 +10 received: a stock push planned
    write_catalog(tmp_path / "a.csv", rows)
    cli("catalog", "import", str(tmp_path / "a.csv"))
    plan_path = tmp_path / "plan.json"
    cli("plan", "--out", str(plan_path))
    httpx.post(f"{root}/portal/_sandbox/orders", json={"sku": "QN-001", "quantity": 2})
    code, result, err = cli("sync", "--plan", str(plan_path), "--format", "json")
    assert code == 3 and result["stale"] == 1, err  # never pushes a figure that forgets the sale
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 19


def test_a_plan_from_another_database_or_too_old_is_refused(
    setup,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synced(setup)
    plan_path = tmp_path / "plan.json"
    cli("plan", "--out", str(plan_path))
    doc = json.loads(plan_path.read_text(encoding="utf-8"))
    doc["database_id"] = "another"
    (tmp_path / "other.json").write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = cli("sync", "--plan", str(tmp_path / "other.json"))
    assert code == 1 and "another database" in err
    saved = read_plan(plan_path)
    doc = json.loads(plan_path.read_text(encoding="utf-8"))
    doc["created_at"] = (saved.created_at - timedelta(hours=30)).isoformat()
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = cli("sync", "--plan", str(tmp_path / "old.json"))
    assert code == 1 and "old" in err
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    code, _, err = cli("sync", "--plan", str(tmp_path / "junk.json"))
    assert code == 1 and "plan file" in err


def test_without_a_terminal_sync_prints_one_line_and_quiet_nothing(setup) -> None:  # noqa: F811
    _sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    code, out, _ = cli("sync")
    assert code == 0 and len(out.strip().splitlines()) == 1
    assert out.startswith("ocopsync sync run ") and "succeeded" in out
    code, out, _ = cli("sync", "--quiet")
    assert code == 0 and out == ""
