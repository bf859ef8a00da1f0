"""The demo stays usable after it exits: its hinted sandbox command brings the same
sandbox back, and ``plan``, ``sync`` and ``coverage`` then work from the demo folder.

Also: the demo's config holds only ``${VAR}`` references, its ``.env`` the values
(owner-only), and no secret reaches its output.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.sandbox import build_sandbox
from tests.test_sandbox_state import wait_for_port

runner = CliRunner()


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OCOPSYNC_CONFIG", "OCOPSYNC_ENV_FILE", "OCOPSYNC_DATABASE_URL"):
        env.pop(var, None)
    return env


def ocopsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocopsync", *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_hinted_sandbox_brings_the_demo_back_and_plan_works(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = ocopsync(
        "demo", "--dir", str(folder), "--size", "20", "--port", "0", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    doc = json.loads(demo.stdout)
    assert doc["sync"]["status"] == "succeeded"
    restart = shlex.split(doc["sandbox"]["restart"])
    assert restart[:3] == ["ocopsync", "sandbox", "serve"] and "--state" in restart
    port = urlsplit(doc["sandbox"]["url"]).port
    assert port is not None and f"--port {port}" in doc["sandbox"]["restart"]

    # The hinted command, run from elsewhere, as from "another terminal".
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocopsync", *restart[1:]],
        cwd=tmp_path.parent,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        plan = ocopsync("plan", "--format", "json", cwd=folder)
        assert plan.returncode == 0, plan.stderr
        planned = json.loads(plan.stdout)
        assert planned["operations"] == []  # the same shops: every listing still matches
        assert {c["status"] for c in planned["connections"]} == {"planned"}, planned
        assert len(planned["connections"]) == 6
        synced = ocopsync("sync", "--format", "json", cwd=folder)
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout)["status"] == "succeeded"
        cov = ocopsync("coverage", "--by", "district", "--format", "json", cwd=folder)
        assert cov.returncode == 0, cov.stderr
        assert json.loads(cov.stdout)["rows"]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_demo_writes_references_and_an_owner_only_env_file(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--dir", str(folder), "--size", "20", "--port", "0"])
    assert result.exit_code == 0, result.output
    config = tomllib.loads((folder / "ocopsync.toml").read_text(encoding="utf-8"))
    references = [value for conn in config["connections"] for value in conn["credentials"].values()]
    assert references and all(v.startswith("${") and v.endswith("}") for v in references)
    env_file = folder / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    secrets: list[Any] = [
        v for p in build_sandbox().platforms.values() for v in p.credentials().values()
    ]
    env_text = env_file.read_text(encoding="utf-8")
    assert all(str(secret) in env_text for secret in secrets)
    for secret in ("sandbox-portal-key", "sandbox-shopee-key", "sandbox-lazada-secret"):
        assert secret not in result.output
    assert "written in plain text" not in result.output
    # The closing hint names the command and the folder to run plan from.
    assert "ocopsync sandbox serve --port " in result.stdout
    assert f"--state {(folder / 'sandbox-state.json').resolve()}" in result.stdout
    assert "ocopsync plan" in result.stdout
    assert (folder / "sandbox-state.json").is_file()


def test_demo_takes_another_port_when_its_own_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        args = ["demo", "--dir", str(tmp_path / "d"), "--size", "20", "--port", str(busy)]
        result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    port = urlsplit(doc["sandbox"]["url"]).port
    assert port != busy and f"--port {port} " in doc["sandbox"]["restart"]
