"""``ocopsync schedule list|serve``: the nightly reconciliation as a service.

``serve`` logs one line per run: plain text on stderr, or with ``--log-format json``
one JSON object per line on stdout (and nothing else there), so a log shipper can read
stdout while people read stderr. SIGTERM (or Ctrl-C) stops it cleanly: no new run
starts, the run in flight finishes, and it exits 0.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli.common import Format, FormatOpt, execute_sync, guarded, settings, state
from ocopsync.errors import OcopsyncError
from ocopsync.i18n import _

schedule_app = typer.Typer(
    help=_("The nightly reconciliation as a long-running service."), no_args_is_help=True
)


class LogFormat(StrEnum):
    """When the nightly sync will run next ([schedule] cron and timezone)."""

    plain = "plain"
    json = "json"


@schedule_app.command(
    "list", help=_("When the nightly sync will run next ([schedule] cron and timezone).")
)
@guarded
def schedule_list(
    count: Annotated[int, typer.Option(min=1, max=50, help=_("How many upcoming runs."))] = 5,
    fmt: FormatOpt = Format.table,
) -> None:
    from ocopsync.scheduler import next_runs

    s = settings()
    runs = [moment.isoformat() for moment in next_runs(s, count)]
    if fmt is Format.json:
        render.emit_json(
            {"cron": s.schedule_cron, "timezone": s.schedule_timezone, "next_runs": runs}
        )
        return
    render.table(
        _("Nightly sync: {cron} ({zone})").format(cron=s.schedule_cron, zone=s.schedule_timezone),
        [_("next run")],
        [(r,) for r in runs],
    )


def run_record(result: Any, at: datetime) -> dict[str, Any]:
    """The log record of one finished run (the ``--log-format json`` line)."""
    return {
        "at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "run_id": result.run_id,
        "status": str(result.status),
        "applied": result.applied,
        "failed": result.failed,
        "skipped": result.skipped,
        "connections_failed": [
            {"connection": c["connection"], "error": c.get("error", "")}
            for c in result.connections
            if c.get("status") == "failed"
        ],
    }


def error_record(message: str, at: datetime) -> dict[str, Any]:
    """The log record of a night whose sync could not run at all (bad config, database)."""
    return {
        "at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "run_id": None,
        "status": "error",
        "applied": 0,
        "failed": 0,
        "skipped": 0,
        "connections_failed": [],
        "error": message,
    }


def plain_line(record: dict[str, Any]) -> str:
    """One line a person reads in a log file or the journal."""
    if record["status"] == "error":
        return _("{at} scheduled sync could not run: {error}").format(**record)
    line = _(
        "{at} scheduled sync run {run_id}: {status}, {applied} applied, "
        "{failed} failed, {skipped} skipped"
    ).format(**record)
    failed = "; ".join(
        _("{connection} ({error})").format(**c) if c["error"] else c["connection"]
        for c in record["connections_failed"]
    )
    if failed:
        line += _("; connections failed: {failed}").format(failed=failed)
    return line


class RunLog:
    """Writes each run's record in the chosen format; one line each, flushed at once."""

    def __init__(self, fmt: LogFormat) -> None:
        self.fmt = fmt

    def record(self, record: dict[str, Any]) -> None:
        if self.fmt is LogFormat.json:
            sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()
        else:
            render.stderr.print(plain_line(record), markup=False, highlight=False)

    def notice(self, message: str) -> None:
        """Starting and stopping: for people, on stderr in either format."""
        render.stderr.print(message, markup=False, highlight=False)


def nightly_job(log: RunLog, busy: threading.Event) -> Callable[[], None]:
    """The scheduled job: one sync, one log line; a bad night never stops the service."""

    def nightly() -> None:
        busy.set()
        try:
            result = execute_sync(
                platform=None,
                entity=None,
                connection=None,
                apply=True,
                trigger="schedule",
                quiet=True,
            )
        except OcopsyncError as exc:
            log.record(error_record(str(exc), datetime.now(UTC)))
            return
        except Exception as exc:  # a bug must not end the service either; say so
            if state.debug:
                traceback.print_exc()
            log.record(error_record(f"{type(exc).__name__}: {exc}", datetime.now(UTC)))
            return
        finally:
            busy.clear()
        log.record(run_record(result, datetime.now(UTC)))

    return nightly


@schedule_app.command(
    "serve",
    help=_(
        "Run the nightly sync on the configured cron until stopped (SIGTERM or "
        "Ctrl-C).\n\nOn SIGTERM no new run starts and the run in flight is finished (its "
        "journal complete, its locks released) before it exits 0; a second signal stops at "
        "once."
    ),
)
@guarded
def schedule_serve(
    run_now: Annotated[bool, typer.Option(help=_("Also run once right away."))] = False,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            help=_("plain: one line per run on stderr; json: one JSON object per run on stdout."),
        ),
    ] = LogFormat.plain,
) -> None:
    from ocopsync.scheduler import build_scheduler, next_runs, serve_until_stopped

    s = settings()
    log = RunLog(log_format)
    busy = threading.Event()
    scheduler = build_scheduler(s, nightly_job(log, busy), run_now=run_now)
    log.notice(
        _("nightly sync on {cron} ({zone}); next run {next}").format(
            cron=s.schedule_cron,
            zone=s.schedule_timezone,
            next=next_runs(s, 1)[0].isoformat(),
        )
    )

    def stopping(signum: int) -> None:
        name = signal.Signals(signum).name
        if busy.is_set():
            log.notice(
                _(
                    "{signal}: no new run will start; waiting for the run in flight to "
                    "finish (send it again to stop at once)"
                ).format(signal=name)
            )
        else:
            log.notice(_("{signal}: stopping").format(signal=name))

    serve_until_stopped(scheduler, stopping)
    log.notice(_("stopped"))
