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
from ocopsync.i18n import _
from ocopsync.records import OpStatus

runs_app = typer.Typer(help=_("Past sync runs and their journal."), no_args_is_help=True)


# -- runs ---------------------------------------------------------------------------------
@runs_app.command("list", help=_("The latest sync runs, newest first."))
@guarded
def runs_list(
    limit: Annotated[int, typer.Option(min=1, help=_("How many runs."))] = 20,
    fmt: FormatOpt = Format.table,
) -> None:
    from ocopsync.runs import list_runs

    rows = list_runs(engine_for(settings()), limit)
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        _("Runs"),
        [
            _("run"),
            _("kind"),
            _("trigger"),
            _("status"),
            _("started (UTC)"),
            _("applied"),
            _("failed"),
            _("skipped"),
        ],
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


@runs_app.command(
    "show",
    help=_(
        "One run: how each connection fared and why, and every operation it journaled.\n\nA "
        "connection that failed before any operation (a wrong signature, a lost "
        "authorization) shows with its reason, so a failed run never reads as an empty table."
    ),
)
@guarded
def runs_show(
    run: Annotated[int, typer.Argument(help=_("Run id from `runs list`."))],
    status: Annotated[
        OpStatus | None,
        typer.Option(help=_("Only operations with this outcome."), case_sensitive=False),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    from ocopsync.runs import show_run

    doc = show_run(engine_for(settings()), run, status=status)
    if fmt is Format.json:
        render.emit_json(doc)
        return
    connections = doc["connections"]
    failed_connections = [c for c in connections if c["status"] == "failed"]
    headline = _(
        "run {run_id} ({trigger}): {status}, {applied} applied, {failed} failed, "
        "{skipped} skipped; started {started_at}"
    ).format(**doc)
    if failed_connections:
        headline += _("; {n} of {total} connection(s) failed").format(
            n=len(failed_connections), total=len(connections)
        )
    render.stdout.print(headline, markup=False, highlight=False)
    if doc["summary"].get("error"):
        render.stdout.print(
            _("the run stopped: {error}").format(error=doc["summary"]["error"]),
            markup=False,
            highlight=False,
        )
    if connections:
        render.table(
            _("Connections"),
            [_("connection"), _("platform"), _("outcome"), _("applied"), _("failed"), _("skipped")],
            [
                (
                    c["connection"],
                    c["platform"],
                    c["status"],
                    c["applied"],
                    c["failed"],
                    c["skipped"],
                )
                for c in connections
            ],
        )
    for c in connections:  # in full, on a line of its own: a table cell would fold it
        if c["error"]:
            render.stdout.print(
                _("{connection} {status}: {error}").format(**c), markup=False, highlight=False
            )
    if not doc["operations"]:
        what = (
            _("no operation with outcome {status}").format(status=status.value)
            if status
            else _("no operation was journaled")
        )
        render.stdout.print(what, markup=False, highlight=False)
        return
    render.table(
        _("Operations"),
        [_("connection"), _("sku"), _("action"), _("from"), _("to"), _("outcome"), _("error")],
        [
            (o["connection"], o["sku"], o["action"], o["from"], o["to"], o["status"], o["error"])
            for o in doc["operations"]
        ],
    )
