"""End to end through the CLI against the sandbox served on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.sandbox import build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.serve import serve_in_thread
from tests.conftest import product, write_catalog

runner = CliRunner()


def cli(*args: str) -> tuple[int, Any, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    out = result.stdout
    try:
        doc = json.loads(out) if "--format" in args and "json" in args else out
    except json.JSONDecodeError:
        doc = out
    return result.exit_code, doc, result.stderr


def portal_config(tmp_path: Path, root: str, *, min_stars: int = 3, extra: str = "") -> Path:
    path = tmp_path / "ocopsync.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "e2e.db"}"

[[connections]]
name = "qn-portal"
platform = "portal"
base_url = "{root}/portal"
entity = "*"
[connections.credentials]
api_key = "${{PORTAL_API_KEY}}"
[connections.policy]
price_markup_pct = 10
price_rounding = 1000
stock_buffer = 2
min_stars = {min_stars}
{extra}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sandbox = build_sandbox(["portal"])
    with serve_in_thread(sandbox.app) as root:
        yield from _setup(sandbox, root, tmp_path, monkeypatch)


def _setup(sandbox, root, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_API_KEY", "sandbox-portal-key")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(portal_config(tmp_path, root)))
    rows = [product(f"QN-{i:03d}", price_vnd="45.000", stock=str(10 + i)) for i in range(1, 8)]
    rows += [
        product("QN-EXPIRED", expires_on="2020-01-01", certified_on="2017-01-01"),
        product("QN-GONE", status="discontinued"),
        product(
            "QN-TOUR", group="tourism", name="Du lịch cộng đồng Bình Liêu", district="Bình Liêu"
        ),
        product("QN-3STAR", stars="3", district="Vân Đồn", name="Ruốc hàu Vân Đồn"),
    ]
    catalog = write_catalog(tmp_path / "catalog.csv", rows)
    yield sandbox, root, catalog, tmp_path


def test_import_plan_sync_noop_and_exact_coverage(setup):
    sandbox, _root, catalog, _ = setup
    code, out, _ = cli("catalog", "import", str(catalog))
    assert code == 0 and "11 added" in out

    code, plan, _ = cli("plan", "--format", "json")
    assert code == 0
    creates = [op for op in plan["operations"] if op["action"] == "create"]
    assert sorted(op["sku"] for op in creates) == [
        *(f"QN-{i:03d}" for i in range(1, 8)),
        "QN-3STAR",
    ]
    assert {op["to"] for op in creates if op["sku"] == "QN-001"} == {"50000 VND x 9"}
    assert sandbox["portal"].snapshot() == {}  # plan changed nothing

    code, result, _ = cli("sync", "--format", "json")
    assert code == 0, result
    assert (result["status"], result["applied"], result["failed"]) == ("succeeded", 8, 0)
    remote = sandbox["portal"].snapshot()
    assert remote["QN-001"]["price"] == 50_000 and remote["QN-001"]["stock"] == 9
    assert "QN-EXPIRED" not in remote and "QN-TOUR" not in remote

    code, again, _ = cli("sync", "--format", "json")
    assert (code, again["applied"], again["connections"][0]["planned"]) == (0, 0, 0)
    code, plan, _ = cli("plan", "--format", "json")
    assert plan["operations"] == []

    code, cov, _ = cli("coverage", "--format", "json")
    assert cov == {
        "by": "platform",
        "rows": [{"platform": "portal", "eligible": 8, "listed": 8, "share": 1.0}],
    }
    code, cov, _ = cli("coverage", "--by", "stars", "--format", "json")
    assert [(r["stars"], r["eligible"], r["listed"]) for r in cov["rows"]] == [(3, 1, 1), (4, 7, 7)]


def test_coverage_counts_products_not_yet_listed(setup):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    sandbox["portal"].seed("QN-001", "by hand", 50_000, 9)
    # Coverage reads our listings table, which only a sync writes: a listing made by hand
    # counts once a sync has adopted it, not before.
    _code, cov, _ = cli("coverage", "--format", "json")
    assert cov["rows"] == [{"platform": "portal", "eligible": 8, "listed": 0, "share": 0.0}]
    _code, out, _ = cli("coverage", "--by", "district", "--format", "csv")
    assert out.splitlines()[0] == "platform,province,district,eligible,listed,share"


def test_hand_listed_product_is_adopted_not_duplicated(setup):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    rid = sandbox["portal"].seed("QN-001", "Đăng tay", 39_000, 3)
    code, plan, _ = cli("plan", "--format", "json")
    assert [a["sku"] for a in plan["adoptions"]] == ["QN-001"]
    assert not [o for o in plan["operations"] if o["sku"] == "QN-001" and o["action"] == "create"]
    code, _result, _ = cli("sync", "--format", "json")
    assert code == 0
    items = [i for i in sandbox["portal"].shop.visible() if i.sku == "QN-001"]
    assert [(i.remote_id, i.price, i.stock) for i in items] == [(rid, 50_000, 9)]


def test_sales_on_the_platform_reduce_master_stock(setup):
    sandbox, root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    # pushed 9 (11 - buffer 2); a buyer orders 4 through the platform: 5 left there
    answer = httpx.post(f"{root}/portal/_sandbox/orders", json={"sku": "QN-001", "quantity": 4})
    assert answer.status_code == 201, answer.text
    code, plan, _ = cli("plan", "--format", "json")
    assert plan["stock_settlements"] == [
        {
            "sku": "QN-001",
            "master_before": 11,
            "master_after": 7,
            "sold": {"qn-portal": 4},
            "returned": {},
            "drift": {},
            "unexplained": {},
            "uncertain": {},
            "held": 0,
        }
    ]
    code, _result, _ = cli("sync", "--format", "json")
    assert code == 0
    code, shown, _ = cli("catalog", "show", "QN-001", "--format", "json")
    assert shown["stock"] == 7
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 5  # 7 - buffer 2
    code, again, _ = cli("sync", "--format", "json")
    assert again["applied"] == 0 and again["stock_settlements"] == []
    # the buyer cancels: the 4 units come back once, and every platform is told
    order_id = answer.json()["order_id"]
    assert httpx.post(f"{root}/portal/_sandbox/orders/{order_id}/cancel").status_code == 200
    cli("sync", "--format", "json")
    code, shown, _ = cli("catalog", "show", "QN-001", "--format", "json")
    assert shown["stock"] == 11
    cli("sync", "--format", "json")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 11


def test_a_drop_no_order_explains_is_reported_and_not_pushed_back_up(setup):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    sandbox["portal"].shop.sell("QN-001", 4)  # an edit in the seller centre: no order
    code, result, _ = cli("sync", "--format", "json")
    assert code == 0
    [moved] = [s for s in result["stock_settlements"] if s["sku"] == "QN-001"]
    assert moved["unexplained"] == {"qn-portal": 4} and moved["master_after"] == 11
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 5  # left as it is, not 9


def test_expired_certificate_is_unlisted(setup, tmp_path):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    rows = [product("QN-001", expires_on="2021-01-01", certified_on="2018-01-01")]
    write_catalog(tmp_path / "update.csv", rows)
    assert cli("catalog", "import", str(tmp_path / "update.csv"))[0] == 0
    code, result, _ = cli("sync", "--format", "json")
    assert code == 0 and result["applied"] == 1
    assert sandbox["portal"].snapshot()["QN-001"]["status"] == "unlisted"
    code, cov, _ = cli("coverage", "--format", "json")
    assert cov["rows"][0]["eligible"] == 7 and cov["rows"][0]["listed"] == 7


def test_platform_failures_give_exit_3_and_a_journal(setup):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    sandbox["portal"].faults.set(Faults(error_rate=1.0))
    write_catalog(catalog, [product("QN-001", price_vnd="60000")])
    cli("catalog", "import", str(catalog))
    # reading listings fails after every retry: nothing could be done
    code, result, _ = cli("sync", "--format", "json")
    assert code == 1 and result["status"] == "failed"
    assert "could not read listings" in result["connections"][0]["error"]


def test_rejected_update_fails_that_item_only_with_exit_3(setup, monkeypatch):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    write_catalog(
        catalog,
        [
            product("QN-001", price_vnd="60000", stock="11"),
            product("QN-002", price_vnd="45000", stock="30"),
        ],
    )
    cli("catalog", "import", str(catalog))
    portal = sandbox["portal"]
    real_apply = portal._apply

    def refuse_prices(item, change):
        return "price frozen by a campaign" if "price" in change else real_apply(item, change)

    monkeypatch.setattr(portal, "_apply", refuse_prices)
    code, result, _ = cli("sync", "--format", "json")
    assert (code, result["status"], result["applied"], result["failed"]) == (3, "partial", 1, 1)
    code, runs, _ = cli("runs", "list", "--format", "json")
    code, shown, _ = cli("runs", "show", str(runs[0]["run_id"]), "--format", "json")
    failed = [o for o in shown["operations"] if o["status"] == "failed"]
    assert failed == [
        {
            "connection": "qn-portal",
            "platform": "portal",
            "sku": "QN-001",
            "action": "update_price",
            "from": "50000",
            "to": "66000",
            "status": "failed",
            "error": "portal: price frozen by a campaign [invalid]",
            "error_kind": "rejected",
        }
    ]


def test_bad_import_lists_every_row_and_changes_nothing(setup, tmp_path):
    _sandbox, _root, _catalog, _ = setup
    bad = write_catalog(
        tmp_path / "bad.csv",
        [product("OK-1"), product("BAD-1", price_vnd="45000.5"), product("BAD-2", stars="7")],
    )
    code, _out, err = cli("catalog", "import", str(bad))
    assert code == 1
    assert "row 3" in err and "price_vnd" in err and "row 4" in err and "stars" in err
    assert "Traceback" not in err
    code, rows, _ = cli("catalog", "list", "--format", "json")
    assert rows == []


def test_missing_env_var_is_a_clear_error(setup, monkeypatch):
    _sandbox, _root, catalog, _ = setup
    monkeypatch.delenv("PORTAL_API_KEY")
    cli("catalog", "import", str(catalog))
    code, result, _ = cli("sync", "--format", "json")
    assert code == 1
    assert "PORTAL_API_KEY" in result["connections"][0]["error"]


def test_wrong_api_key_fails_the_connection_without_leaking_it(setup, monkeypatch):
    _sandbox, _root, catalog, _ = setup
    monkeypatch.setenv("PORTAL_API_KEY", "not-the-key-s3cret")
    cli("catalog", "import", str(catalog))
    code, result, err = cli("sync", "--format", "json")
    assert code == 1
    assert "invalid API key" in result["connections"][0]["error"]
    assert "s3cret" not in json.dumps(result) + err


def test_unknown_connection_filter_and_bad_config(setup, tmp_path, monkeypatch):
    code, _, err = cli("sync", "--platform", "tiki")
    assert code == 1 and "no enabled connection matching platform=tiki" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("[[connections]]\nname = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(broken))
    code, _, err = cli("plan")
    assert code == 1 and "'platform' is required" in err


def test_catalog_list_search_and_show(setup):
    _sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    code, rows, _ = cli("catalog", "list", "--search", "ruoc hau van don", "--format", "json")
    assert [r["sku"] for r in rows] == ["QN-3STAR"]
    assert rows[0]["name"] == "Ruốc hàu Vân Đồn"
    code, _, err = cli("catalog", "show", "NOPE")
    assert code == 1 and "no product with SKU 'NOPE'" in err


def test_entity_filter_touches_one_producer_and_calls_no_one_an_orphan(setup, tmp_path):
    sandbox, _root, _catalog, _ = setup
    rows = [
        product("BC-1"),
        product("BC-2"),
        product("BL-1", entity_code="QN-HTX-BINHLIEU", name="Miến dong Bình Liêu"),
    ]
    cli("catalog", "import", str(write_catalog(tmp_path / "two.csv", rows)))
    cli("sync")
    write_catalog(
        tmp_path / "two.csv",
        [
            product("BC-1", price_vnd="70000"),
            product(
                "BL-1", entity_code="QN-HTX-BINHLIEU", name="Miến dong Bình Liêu", price_vnd="70000"
            ),
        ],
    )
    cli("catalog", "import", str(tmp_path / "two.csv"))
    code, plan, _ = cli("plan", "--entity", "QN-HTX-BINHLIEU", "--format", "json")
    assert code == 0 and plan["orphans"] == []
    assert [(o["sku"], o["action"]) for o in plan["operations"]] == [("BL-1", "update_price")]
    code, result, _ = cli("sync", "--entity", "QN-HTX-BINHLIEU", "--format", "json")
    assert (code, result["applied"]) == (0, 1)
    snap = sandbox["portal"].snapshot()
    assert (snap["BL-1"]["price"], snap["BC-1"]["price"]) == (77_000, 50_000)


def test_the_cooperatives_week_reimport_never_undoes_sales(setup, tmp_path):
    """Master 12, 3 sold, re-import the same file: 9 everywhere; goods arrive; a count."""
    sandbox, root, _catalog, _ = setup
    path = write_catalog(tmp_path / "week.csv", [product("QN-001", stock="12")])
    assert cli("catalog", "import", str(path))[0] == 0
    cli("sync")
    sold = httpx.post(f"{root}/portal/_sandbox/orders", json={"sku": "QN-001", "quantity": 3})
    assert sold.status_code == 201
    cli("sync")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 9
    code, report, _ = cli("catalog", "import", str(path), "--format", "json")
    assert code == 0 and report["updated"] == 0
    cli("sync")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 9
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 7  # 9 - buffer 2
    write_catalog(path, [product("QN-001", stock="62")])  # 50 received
    assert cli("catalog", "import", str(path))[0] == 0
    cli("sync")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 59
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 57
    write_catalog(path, [product("QN-001", stock="58")])  # a physical count
    assert cli("catalog", "import", str(path), "--stocktake")[0] == 0
    cli("sync")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == 58
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 56


@pytest.mark.parametrize(("verdict", "master", "shown"), [("--lost", 7, 5), ("--restore", 11, 9)])
def test_a_person_explains_a_drop_no_order_explains(setup, verdict, master, shown):
    sandbox, _root, catalog, _ = setup
    cli("catalog", "import", str(catalog))
    cli("sync")
    sandbox["portal"].shop.sell("QN-001", 4)  # damaged goods taken off in the seller centre
    cli("sync")
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == 5  # capped, not raised
    code, _, err = cli("stock", "confirm", "QN-001", "--connection", "qn-portal", verdict)
    assert code == 0, err
    cli("sync")
    assert cli("catalog", "show", "QN-001", "--format", "json")[1]["stock"] == master
    assert sandbox["portal"].snapshot()["QN-001"]["stock"] == shown
