"""`ocopsync demo` end to end, the onboarding commands, and the benchmark kept working."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ocopsync.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def test_demo_syncs_all_six_platforms_and_adopts_hand_listings(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--dir", str(tmp_path / "d"), "--size", "60", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    conns = {c["platform"]: c for c in doc["sync"]["connections"]}
    assert set(conns) == {"portal", "shopee", "lazada", "sendo", "voso", "postmart"}
    assert doc["sync"]["status"] == "succeeded" and doc["sync"]["failed"] == 0
    for platform in ("shopee", "lazada", "sendo", "voso"):
        assert conns[platform]["adoptions"] > 0, platform
        assert conns[platform]["orphans"] == 1, platform
    shares = {r["platform"]: r["share"] for r in doc["coverage"]["rows"]}
    assert set(shares) == set(conns) and all(s == 1.0 for s in shares.values())
    assert (tmp_path / "d" / "ocopsync.toml").is_file()


def test_demo_folder_is_a_working_setup_for_every_command(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "d"
    assert (
        runner.invoke(
            app, ["demo", "--dir", str(folder), "--size", "30", "--format", "json"]
        ).exit_code
        == 0
    )
    monkeypatch.chdir(folder)
    monkeypatch.delenv("OCOPSYNC_CONFIG", raising=False)
    result = runner.invoke(app, ["runs", "list", "--format", "json"])
    runs = json.loads(result.stdout)
    assert runs[0]["status"] == "succeeded" and runs[0]["trigger"] == "demo"
    shown = json.loads(
        runner.invoke(app, ["runs", "show", str(runs[0]["run_id"]), "--format", "json"]).stdout
    )
    assert {o["status"] for o in shown["operations"]} == {"succeeded"}
    cov = json.loads(runner.invoke(app, ["coverage", "--by", "group", "--format", "json"]).stdout)
    assert cov["by"] == "group" and all("group" in r for r in cov["rows"])


def test_connections_authorize_and_check_against_the_sandbox(
    tmp_path: Path, served_sandbox, monkeypatch
) -> None:
    sandbox, root = served_sandbox
    shopee, lazada = sandbox["shopee"], sandbox["lazada"]
    config = tmp_path / "ocopsync.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "a.db"}"
[[connections]]
name = "shop"
platform = "shopee"
base_url = "{shopee.base_url(root)}"
[connections.credentials]
partner_id = "{shopee.credentials()["partner_id"]}"
partner_key = "${{SHOPEE_PARTNER_KEY}}"
shop_id = "{shopee.credentials()["shop_id"]}"
[[connections]]
name = "laz"
platform = "lazada"
base_url = "{lazada.base_url(root)}"
[connections.credentials]
app_key = "{lazada.credentials()["app_key"]}"
app_secret = "${{LAZADA_APP_SECRET}}"
[connections.options]
auth_url = "{lazada.connection_options(root)["auth_url"]}"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    monkeypatch.setenv("SHOPEE_PARTNER_KEY", shopee.credentials()["partner_key"])
    monkeypatch.setenv("LAZADA_APP_SECRET", lazada.credentials()["app_secret"])

    checked = runner.invoke(app, ["connections", "check", "--format", "json"])
    assert checked.exit_code == 1  # not authorized yet
    link = runner.invoke(app, ["connections", "authorize", "shop"])
    assert link.exit_code == 0 and "/api/v2/shop/auth_partner?" in link.stdout
    for name, code in (("shop", shopee.authorization_code()), ("laz", lazada.authorization_code())):
        done = runner.invoke(app, ["connections", "authorize", name, "--code", str(code)])
        assert done.exit_code == 0, done.output
        assert "authorized" in done.stdout
    checked = runner.invoke(app, ["connections", "check", "--format", "json"])
    rows = json.loads(checked.stdout)
    assert checked.exit_code == 0, rows
    assert all(r["ok"] and r["access_expires_at"] for r in rows)
    for secret in (shopee.credentials()["partner_key"], lazada.credentials()["app_secret"]):
        assert secret not in checked.stdout


@pytest.mark.slow
def test_benchmark_runs_with_a_small_catalog() -> None:
    """The benchmark end to end, small and without latency: sandbox in its own process,
    a worker process per scenario, the download floor, the quota bound, the naive
    baseline. Figures are never asserted; what each line counts is."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_sync.py"),
            "--products",
            "120",
            "--latency-ms",
            "0",
            "--quota",
            "200",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["sandbox"] == "own process" and doc["products"] == 120
    first, noop, changed, sales, noop_q, drift_q, again = doc["scenarios"]
    assert first["failed"] == 0 and first["applied"] > 0
    # Shopee lists in two steps (ids, then details in 50s): at most twice the page minimum.
    assert noop["applied"] == 0 and noop["requests"] <= 2 * noop["minimum_requests"]
    portal = noop["per_connection"]["bench-portal"]
    # two listing pages and one (empty) page of orders since the last run
    assert (portal["requests"], portal["minimum"], portal["order_requests"]) == (3, 3, 1)
    reading = [c for c in noop["per_connection"].values() if c["orders_read"]]
    assert reading and all((c["order_lines"], c["order_requests"]) == (0, 1) for c in reading)
    # the floor replays exactly the no-op's requests
    assert noop["floor_requests"] == noop["requests"] and noop["ratio_to_floor"] > 0
    assert noop["cpu_s"] > 0 and noop["peak_rss_mib"] > 0
    assert changed["applied"] > 0 and changed["failed"] == 0
    # every accepted write is read back, within the read-back bound
    assert changed["verify_requests"] > 0
    for c in changed["per_connection"].values():
        assert c["verify_requests"] <= c["minimum_read_back"]
    # buyers ordered between runs: every order line is read, at few requests
    orders = [c for c in sales["per_connection"].values() if c["orders_read"]]
    assert orders and all(c["order_lines"] >= 1 and c["order_requests"] <= 3 for c in orders)
    for throttled in (noop_q, drift_q):
        assert throttled["quota_per_s"] == 200 and throttled["ratio_to_bound"] > 0
        assert all(c["ratio_to_bound"] for c in throttled["per_connection"].values())
    assert drift_q["applied"] > 0 and again["applied"] > 0
    naive = doc["naive"]
    assert naive["writes"] > 0 and naive["requests"] >= naive["looked_up"]
    assert naive["ratio_naive_to_ocopsync"] > 0


def test_planning_benchmark_runs() -> None:
    """The pure-planning benchmark, tiny: it prints one line per size and plans nothing."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_planning.py"), "--sizes", "50", "500"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["50", "500"]
    assert all("us each" in line for line in lines)
