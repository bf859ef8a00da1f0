"""The nightly schedule: next runs, bad settings, and one scheduled run end to end."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ocopsync import scheduler
from ocopsync.cli import app
from ocopsync.config import parse_settings
from ocopsync.errors import ConfigError

runner = CliRunner()


def test_next_runs_follow_the_cron_in_vietnam_time() -> None:
    s = parse_settings({"schedule": {"cron": "30 2 * * *", "timezone": "Asia/Ho_Chi_Minh"}})
    runs = scheduler.next_runs(s, 3, now=datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    # 20:00 UTC is 03:00 in Vietnam: tonight's 02:30 has passed, the next is tomorrow's.
    assert [r.astimezone(UTC).isoformat() for r in runs] == [
        "2026-11-24T19:30:00+00:00",
        "2026-11-25T19:30:00+00:00",
        "2026-11-26T19:30:00+00:00",
    ]


@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 3 * * 1", {"Monday"}),
        ("0 3 * * 0", {"Sunday"}),
        ("0 3 * * 7", {"Sunday"}),
        ("0 3 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 3 * * 6,0", {"Saturday", "Sunday"}),
        ("0 3 * * sat", {"Saturday"}),
    ],
)
def test_weekdays_mean_what_they_mean_in_cron(cron: str, weekdays: set[str]) -> None:
    s = parse_settings({"schedule": {"cron": cron, "timezone": "Asia/Ho_Chi_Minh"}})
    runs = scheduler.next_runs(s, 14, now=datetime(2026, 11, 23, tzinfo=UTC))
    assert {r.strftime("%A") for r in runs} == weekdays


@pytest.mark.parametrize(
    ("cron", "zone"),
    [
        ("61 2 * * *", "Asia/Ho_Chi_Minh"),
        ("30 2 * *", "Asia/Ho_Chi_Minh"),
        ("30 2 * * *", "Mars/Olympus"),
    ],
)
def test_bad_schedule_is_a_config_error(cron: str, zone: str) -> None:
    s = parse_settings({"schedule": {"cron": cron, "timezone": zone}})
    with pytest.raises(ConfigError, match=r"\[schedule\]"):
        scheduler.trigger_for(s)


def test_the_job_never_overlaps_itself() -> None:
    s = parse_settings({})
    job = scheduler.build_scheduler(s, lambda: None).get_job(scheduler.JOB_ID)
    assert job.max_instances == 1 and job.coalesce


def test_schedule_list_and_a_scheduled_run(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "s.db"}"
[schedule]
cron = "0 3 * * 1"
timezone = "Asia/Ho_Chi_Minh"
[[connections]]
name = "p"
platform = "portal"
base_url = "http://127.0.0.1:9/portal"
[connections.credentials]
api_key = "k"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    listed = runner.invoke(app, ["schedule", "list", "--count", "2", "--format", "json"])
    doc = json.loads(listed.stdout)
    assert doc["cron"] == "0 3 * * 1" and len(doc["next_runs"]) == 2
    assert all(datetime.fromisoformat(r).weekday() == 0 for r in doc["next_runs"])

    class Stub:
        """Runs the job once when asked to run now; the real one runs on its cron."""

        def __init__(self, job, run_now: bool) -> None:
            self.job, self.run_now = job, run_now

    def serve(stub: Stub, on_stop) -> int:  # the real one waits for SIGTERM
        if stub.run_now:
            stub.job()
        on_stop(signal.SIGTERM)
        return signal.SIGTERM

    monkeypatch.setattr(
        scheduler, "build_scheduler", lambda s, job, run_now=False: Stub(job, run_now)
    )
    monkeypatch.setattr(scheduler, "serve_until_stopped", serve)
    served = runner.invoke(app, ["schedule", "serve", "--run-now"])
    assert served.exit_code == 0, served.output
    assert "SIGTERM: stopping" in served.stderr and "stopped" in served.stderr
    # Nothing listens on port 9: the scheduled run is recorded as failed, the service lives on.
    assert "scheduled sync run 1: failed" in served.stderr
    runs = json.loads(runner.invoke(app, ["runs", "list", "--format", "json"]).stdout)
    assert [(r["trigger"], r["status"]) for r in runs] == [("schedule", "failed")]
