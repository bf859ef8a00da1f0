"""``schedule serve`` as an operator runs it: a real process, a real SIGTERM, the sandbox.

The cron is far in the future (29 February), so the only run is ``--run-now``'s. The
sandbox holds the run's first write until the test has seen the service take the
SIGTERM: a service that stopped there would leave the run unfinished; this one must
finish it, log it, and exit 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.models import Operation, SyncRun, make_engine
from ocopsync.sandbox import build_sandbox
from ocopsync.serve import serve_in_thread
from tests.conftest import product, write_catalog

WAIT_S = 60.0
"""Upper bound for any one wait; nothing here sleeps, every wait ends on an event."""


class HoldFirstWrite:
    """ASGI wrapper: the first POST to the shop waits until the test releases it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._held = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        is_write = scope["type"] == "http" and scope["method"] == "POST"
        if is_write and "/_sandbox/" not in scope["path"] and not self._held:
            self._held = True
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT_S)
        await self.app(scope, receive, send)


class Lines:
    """Lines of a child's stream, read on a thread so a test can wait for one."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self.seen: list[str] = []
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """After the process ended: the pump has met the end of the stream."""
        self._thread.join(WAIT_S)
        self._stream.close()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, text: str) -> str:
        while True:
            line = self._queue.get(timeout=WAIT_S)
            if line is None:
                raise AssertionError(f"stream ended before {text!r}; saw {self.seen}")
            self.seen.append(line)
            if text in line:
                return line

    def rest(self) -> list[str]:
        lines = []
        while (line := self._queue.get(timeout=WAIT_S)) is not None:
            lines.append(line)
        self.seen += lines
        return lines


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[HoldFirstWrite, Path, dict[str, str]]]:
    sandbox = build_sandbox(["portal"])
    gate = HoldFirstWrite(sandbox.app)
    with serve_in_thread(gate) as root:
        config = tmp_path / "ocopsync.toml"
        config.write_text(
            f"""
[database]
url = "sqlite:///{tmp_path / "serve.db"}"
[schedule]
cron = "0 0 29 2 *"
timezone = "Asia/Ho_Chi_Minh"
[[connections]]
name = "qn-portal"
platform = "portal"
base_url = "{root}/portal"
[connections.credentials]
api_key = "${{PORTAL_API_KEY}}"
""",
            encoding="utf-8",
        )
        env = {**os.environ, "OCOPSYNC_CONFIG": str(config), "PORTAL_API_KEY": "sandbox-portal-key"}
        env.pop("OCOPSYNC_DATABASE_URL", None)
        catalog = write_catalog(
            tmp_path / "catalog.csv", [product(f"QN-{i:03d}") for i in range(1, 6)]
        )
        imported = CliRunner().invoke(
            app, ["--config", str(config), "catalog", "import", str(catalog)]
        )
        assert imported.exit_code == 0, imported.output
        try:
            yield gate, tmp_path / "serve.db", env
        finally:
            gate.release.set()


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ocopsync", "schedule", "serve", "--run-now", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def stop(proc: subprocess.Popen[str], *streams: Lines) -> None:
    if proc.poll() is None:  # a failed test: do not leave the service behind
        proc.kill()
    proc.wait(timeout=WAIT_S)
    for stream in streams:
        stream.close()


def test_sigterm_mid_run_finishes_the_run_then_exits_0(service) -> None:
    gate, db, env = service
    proc = start(env, "--log-format", "json")
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        err.until("nightly sync on 0 0 29 2 *")
        assert gate.arrived.wait(WAIT_S), "the run never wrote to the shop"
        proc.send_signal(signal.SIGTERM)
        err.until("SIGTERM: no new run will start; waiting for the run in flight")
        assert proc.poll() is None  # still finishing the run
        gate.release.set()
        record = json.loads(out.until('"run_id"'))
        assert proc.wait(timeout=WAIT_S) == 0, err.seen
        assert out.rest() == []  # one JSON line per run, nothing else on stdout
        assert "stopped" in err.rest()
    finally:
        stop(proc, out, err)
    assert set(record) == {
        "at",
        "run_id",
        "status",
        "applied",
        "failed",
        "skipped",
        "connections_failed",
    }
    assert (record["status"], record["applied"], record["failed"]) == ("succeeded", 5, 0)
    assert record["connections_failed"] == []
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        runs = session.exec(select(SyncRun)).all()
        assert [(r.id, r.trigger, r.status) for r in runs] == [
            (record["run_id"], "schedule", "succeeded")
        ]
        statuses = {o.status for o in session.exec(select(Operation)).all()}
    assert statuses == {"succeeded"}  # nothing left planned or started


def test_plain_log_names_a_failed_connection_and_sigterm_when_idle_exits_0(service) -> None:
    gate, _db, env = service
    gate.release.set()
    env = {**env, "PORTAL_API_KEY": "not-the-key"}
    proc = start(env)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        line = err.until("scheduled sync run")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT_S) == 0, err.seen
        rest = err.rest()
    finally:
        stop(proc, out, err)
    assert "scheduled sync run 1: failed, 0 applied, 0 failed, 0 skipped" in line
    assert "connections failed: qn-portal (" in line and "invalid API key" in line
    assert "not-the-key" not in line
    assert rest[-2:] == ["SIGTERM: stopping", "stopped"]
