"""``ocopsync schedule list|serve``: the nightly reconciliation as a service."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import Format, FormatOpt, execute_sync, guarded, settings
from ocopsync.errors import OcopsyncError

schedule_app = typer.Typer(
    help="The nightly reconciliation as a long-running service.", no_args_is_help=True
)


@schedule_app.command("list")
@guarded
def schedule_list(
    count: Annotated[int, typer.Option(min=1, max=50, help="How many upcoming runs.")] = 5,
    fmt: FormatOpt = Format.table,
) -> None:
    """When the nightly sync will run next ([schedule] cron and timezone)."""
    from ocopsync.scheduler import next_runs

    s = settings()
    runs = [moment.isoformat() for moment in next_runs(s, count)]
    if fmt is Format.json:
        render.emit_json(
            {"cron": s.schedule_cron, "timezone": s.schedule_timezone, "next_runs": runs}
        )
        return
    render.table(
        f"Nightly sync: {s.schedule_cron} ({s.schedule_timezone})",
        ["next run"],
        [(r,) for r in runs],
    )


@schedule_app.command("serve")
@guarded
def schedule_serve(
    run_now: Annotated[bool, typer.Option(help="Also run once right away.")] = False,
) -> None:
    """Run the nightly sync on the configured cron until stopped (Ctrl-C or SIGTERM)."""
    from ocopsync.scheduler import build_scheduler, next_runs

    s = settings()

    def nightly() -> None:
        try:
            result = execute_sync(
                platform=None,
                entity=None,
                connection=None,
                apply=True,
                trigger="schedule",
                quiet=True,
            )
        except OcopsyncError as exc:  # a bad night must not stop the service
            render.stderr.print(f"scheduled sync could not run: {exc}", highlight=False)
            return
        render.stderr.print(
            f"scheduled sync run {result.run_id}: {result.status}, "
            f"{result.applied} applied, {result.failed} failed, "
            f"{result.skipped} skipped",
            highlight=False,
        )

    scheduler = build_scheduler(s, nightly)
    render.stdout.print(
        f"nightly sync on {s.schedule_cron} ({s.schedule_timezone}); "
        f"next run {next_runs(s, 1)[0].isoformat()}"
    )
    if run_now:
        nightly()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


# -- sandbox ------------------------------------------------------------------------------
