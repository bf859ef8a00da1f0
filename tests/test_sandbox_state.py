"""``sandbox serve --state FILE``: a restarted sandbox is the same sandbox.

In process, every platform's state goes through JSON and back unchanged. As a real
process (``python -m ocopsync sandbox serve``), a shop authorized by ocopsync, its
listings and a buyer's order survive a graceful stop and a SIGKILL, while a sandbox
started without the state has forgotten them (so the tests can fail).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.sandbox import build_sandbox, state
from ocopsync.sandbox.state import StateFileError
from ocopsync.serve import free_port
from tests.conftest import product, write_catalog

runner = CliRunner()


# -- in process -------------------------------------------------------------------------
def busy_sandbox():
    """Every platform with items (live and unlisted), orders (one cancelled) and tokens."""
    sandbox = build_sandbox()
    for platform in sandbox.platforms.values():
        platform.seed("QN-1", "Trà hoa vàng Ba Chẽ", 45_000, 10)
        platform.seed("QN-2", "Ruốc hàu Vân Đồn", 30_000, 5, live=False)
        cancelled = platform.place_order([("QN-1", 2)])
        platform.cancel_order(cancelled.order_id)
        platform.place_order([("QN-1", 1)])
    sandbox["shopee"].images.add("vn-11134207-uploaded")  # type: ignore[attr-defined]
    lazada = sandbox["lazada"]
    lazada.catalog.created_ms(lazada.shop.visible()[0])  # type: ignore[attr-defined]
    return sandbox


def test_every_platform_round_trips_through_json() -> None:
    first = busy_sandbox()
    issuer = first["shopee"].issuer  # type: ignore[attr-defined]
    spent = issuer.issue("200001")
    kept = issuer.refresh(spent.refresh_token)
    text = state.encode(first)

    second = build_sandbox()
    state.restore(second, json.loads(text))
    assert state.encode(second) == text
    for name, platform in first.platforms.items():
        assert second[name].snapshot() == platform.snapshot(), name
        assert second[name].orders.dump() == platform.orders.dump(), name
    again = second["shopee"].issuer  # type: ignore[attr-defined]
    assert again.check(kept.access_token) == "ok"
    assert again.check(spent.access_token) == "invalid"
    assert again.refresh(spent.refresh_token) is None  # single use, even across a restart
    assert again.refresh(kept.refresh_token) is not None
    assert "vn-11134207-uploaded" in second["shopee"].images  # type: ignore[attr-defined]
    # Numbering goes on where it stopped: no id is handed out twice.
    portal = second["portal"]
    assert portal.place_order([("QN-1", 1)]).order_id not in first["portal"].orders.orders
    assert portal.seed("QN-3", "Mới", 1_000, 1) not in first["portal"].shop.items


def test_a_file_that_is_not_a_state_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    for text, reason in [
        ("{not json", "cannot be read as JSON"),
        ('{"format": "other"}', "not an ocopsync sandbox state file"),
        ('{"format": "ocopsync-sandbox-state", "version": 99}', "state version 99"),
        (
            '{"format": "ocopsync-sandbox-state", "version": 1, "platforms": {"portal": {}}}',
            "the state of portal is damaged",
        ),
    ]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(StateFileError, match=reason):
            state.load(build_sandbox(), bad)
        result = runner.invoke(app, ["sandbox", "serve", "--port", "9", "--state", str(bad)])
        assert result.exit_code == 1 and reason in result.stderr


def test_no_file_yet_is_a_new_sandbox(tmp_path: Path) -> None:
    assert state.load(build_sandbox(), tmp_path / "absent.json") is False


# -- a real process, restarted -----------------------------------------------------------
def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sandbox serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"sandbox serve did not open port {port} in {timeout_s}s")


class Served:
    """``python -m ocopsync sandbox serve`` on one port, started and stopped at will."""

    def __init__(self, port: int, state_file: Path) -> None:
        self.port, self.state_file = port, state_file
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, with_state: bool = True) -> None:
        args = [sys.executable, "-m", "ocopsync", "sandbox", "serve", "--port", str(self.port)]
        if with_state:
            args += ["--state", str(self.state_file)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=20)
        assert b"Traceback" not in err, err.decode()
        self.proc = None

    def get(self, path: str) -> Any:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10).json()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(free_port(), tmp_path / "sandbox-state.json")
    try:
        yield server
    finally:
        if server.proc is not None:
            server.proc.kill()
            server.proc.communicate(timeout=20)


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    return json.dumps(value)


def write_config(tmp_path: Path, port: int) -> Path:
    root = f"http://127.0.0.1:{port}"
    options = build_sandbox(["shopee"])["shopee"].connection_options(root)
    path = tmp_path / "ocopsync.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "state.db"}"
[[connections]]
name = "portal"
platform = "portal"
base_url = "{root}/portal"
[connections.credentials]
api_key = "${{PORTAL_API_KEY}}"
[[connections]]
name = "shop"
platform = "shopee"
base_url = "{root}/shopee"
[connections.credentials]
partner_id = "${{SHOPEE_PARTNER_ID}}"
partner_key = "${{SHOPEE_PARTNER_KEY}}"
shop_id = "${{SHOPEE_SHOP_ID}}"
[connections.options]
"""
        + "".join(f"{k} = {_toml(v)}\n" for k, v in options.items()),
        encoding="utf-8",
    )
    return path


def cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.mark.slow
def test_orders_listings_and_tokens_survive_a_restart(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in {
        "PORTAL_API_KEY": "sandbox-portal-key",
        "SHOPEE_PARTNER_ID": "100001",
        "SHOPEE_PARTNER_KEY": "sandbox-shopee-key",
        "SHOPEE_SHOP_ID": "200001",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(write_config(tmp_path, served.port)))
    monkeypatch.delenv("OCOPSYNC_ENV_FILE", raising=False)
    rows = [product(f"QN-{i}", stock="20") for i in range(1, 4)]
    assert cli("catalog", "import", str(write_catalog(tmp_path / "c.csv", rows))).exit_code == 0

    served.start()
    done = cli("connections", "authorize", "shop", "--code", "sandbox-shopee-code")
    assert done.exit_code == 0, done.output
    synced = cli("sync", "--format", "json")
    assert synced.exit_code == 0, synced.output
    order = httpx.post(
        f"http://127.0.0.1:{served.port}/portal/_sandbox/orders",
        json={"sku": "QN-1", "quantity": 2},
        timeout=10,
    ).json()
    items = {p: served.get(f"/{p}/_sandbox/items") for p in ("portal", "shopee")}
    assert set(items["shopee"]) == {"QN-1", "QN-2", "QN-3"}
    served.stop(signal.SIGTERM)

    served.start()
    assert {p: served.get(f"/{p}/_sandbox/items") for p in ("portal", "shopee")} == items
    assert [o["order_id"] for o in served.get("/portal/_sandbox/orders")] == [order["order_id"]]
    checked = cli("connections", "check", "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert all(row["ok"] for row in json.loads(checked.stdout))
    plan = cli("plan", "--format", "json")
    assert plan.exit_code == 0, plan.output
    settled = {s["sku"]: s for s in json.loads(plan.stdout)["stock_settlements"]}
    assert settled["QN-1"]["sold"] == {"portal": 2}  # the order, read through the orders API

    # Even SIGKILL loses nothing once the state is written (shortly after each request).
    second = httpx.post(
        f"http://127.0.0.1:{served.port}/shopee/_sandbox/orders",
        json={"sku": "QN-2", "quantity": 1},
        timeout=10,
    ).json()
    deadline = time.monotonic() + 10
    while second["order_id"] not in served.state_file.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the state file was not written"
        time.sleep(0.05)
    served.stop(signal.SIGKILL)
    served.start()
    assert [o["order_id"] for o in served.get("/shopee/_sandbox/orders")] == [second["order_id"]]
    served.stop(signal.SIGINT)

    # The control: without its state the sandbox knows no shop, token nor order.
    served.start(with_state=False)
    assert served.get("/shopee/_sandbox/orders") == []
    checked = cli("connections", "check", "--format", "json")
    assert checked.exit_code == 1
    assert not {r["connection"]: r["ok"] for r in json.loads(checked.stdout)}["shop"]
    served.stop()
    assert os.path.getsize(served.state_file) > 0
