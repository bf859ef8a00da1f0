"""``ocopsync runs list|show``: past runs and their journal."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import (
    Format,
    FormatOpt,
    engine_for,
    guarded,
    settings,
)

runs_app = typer.Typer(help="Past sync runs and their journal.", no_args_is_help=True)


# -- runs ---------------------------------------------------------------------------------
@runs_app.command("list")
@guarded
def runs_list(
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20,
    fmt: FormatOpt = Format.table,
) -> None:
    """The latest sync runs, newest first."""
    from ocopsync.runs import list_runs

    rows = list_runs(engine_for(settings()), limit)
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        "Runs",
        ["run", "kind", "trigger", "status", "started (UTC)", "applied", "failed", "skipped"],
        [
            (
                r["run_id"],
                r["kind"],
                r["trigger"],
                r["status"],
                r["started_at"],
                r["applied"],
                r["failed"],
                r["skipped"],
            )
            for r in rows
        ],
    )


@runs_app.command("show")
@guarded
def runs_show(
    run: Annotated[int, typer.Argument(help="Run id from `runs list`.")],
    status: Annotated[
        str | None,
        typer.Option(
            help="Only operations with this outcome: succeeded, failed, skipped, planned, started."
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """One run with every operation it journaled and its outcome."""
    from ocopsync.runs import show_run

    doc = show_run(engine_for(settings()), run, status=status)
    if fmt is Format.json:
        render.emit_json(doc)
        return
    render.stdout.print(
        f"run {doc['run_id']} ({doc['trigger']}): {doc['status']}, "
        f"{doc['applied']} applied, {doc['failed']} failed, "
        f"{doc['skipped']} skipped; started {doc['started_at']}"
    )
    render.table(
        "Operations",
        ["connection", "sku", "action", "from", "to", "outcome", "error"],
        [
            (o["connection"], o["sku"], o["action"], o["from"], o["to"], o["status"], o["error"])
            for o in doc["operations"]
        ],
    )


# -- connections --------------------------------------------------------------------------
