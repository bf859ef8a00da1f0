"""``ocopsync plan`` and ``ocopsync sync``: reconcile, and apply."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli.common import (
    ConnectionOpt,
    EntityOpt,
    Format,
    FormatOpt,
    PlatformOpt,
    app,
    engine_for,
    execute_sync,
    guarded,
    settings,
)
from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.plan_file import catalog_fingerprint, check_usable, database_id, read_plan, write_plan


class Output(StrEnum):
    table = "table"
    json = "json"
    line = "line"


def _detailed_exit(result: Any) -> int:
    """Terraform's convention: 0 nothing to do, 2 changes planned (1 is an error)."""
    return 2 if any(p.operations for p in result.plans) else 0


@app.command(help=_("Show what a sync would change. Changes nothing."))
@guarded
def plan(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help=_(
                "Also save the plan to this file, for `ocopsync sync --plan FILE` to apply "
                "exactly (and nothing else)."
            ),
        ),
    ] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help=_("Exit 0 when nothing would change, 2 when something would."),
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    result = execute_sync(platform=platform, entity=entity, connection=connection, apply=False)
    doc = render.plan_document(result.plans, result)
    if fmt is Format.json:
        render.emit_json(doc)
        render.connection_errors(result.connections)
    else:
        render.print_plan(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)
    if out is not None:
        engine = engine_for(settings())
        write_plan(
            out,
            result.plans,
            database=database_id(engine),
            fingerprint=catalog_fingerprint(engine),
        )
        render.stderr.print(
            _("plan saved to {out}; apply exactly it with: ocopsync sync --plan {out}").format(
                out=out
            ),
            markup=False,
            highlight=False,
        )
    if detailed_exitcode:
        raise typer.Exit(_detailed_exit(result))


@app.command(help=_("Bring every selected connection in line with the catalog, and journal it."))
@guarded
def sync(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help=_(
                "Apply exactly the operations of a plan saved by `ocopsync plan --out`; "
                "one whose platform or stock changed since is not sent (stale, exit 3)."
            ),
        ),
    ] = None,
    max_age: Annotated[
        float, typer.Option(help=_("Refuse a saved plan older than this many hours."))
    ] = 24.0,
    dry_run: Annotated[bool, typer.Option(help=_("Plan only, like `ocopsync plan`."))] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=_("Print nothing when everything succeeded."))
    ] = False,
    fmt: Annotated[
        Output | None,
        typer.Option(
            "--format",
            "-f",
            help=_(
                "table, json, or line (one summary line; the default without a terminal, "
                "so cron mails only what matters)."
            ),
        ),
    ] = None,
) -> None:
    output = fmt or (Output.table if sys.stdout.isatty() else Output.line)
    if dry_run:
        plan(
            platform=platform,
            entity=entity,
            connection=connection,
            out=None,
            detailed_exitcode=False,
            fmt=Format.json if output is Output.json else Format.table,
        )
        return
    saved = None
    if plan_file is not None:
        if platform or entity or connection:
            raise ConfigError(_("--plan applies the saved plan as it is: drop --platform/--entity"))
        saved = read_plan(plan_file)
        check_usable(
            saved,
            database=database_id(engine_for(settings())),
            max_age=timedelta(hours=max_age),
            path=plan_file,
        )
    result = execute_sync(
        platform=platform,
        entity=entity,
        connection=connection,
        apply=True,
        quiet=output is not Output.table,
        saved_plan=saved,
    )
    doc = render.sync_document(result)
    doc.update(stale=result.stale, not_applied=result.not_applied)
    ok = result.status == "succeeded"
    if output is Output.json:
        render.emit_json(doc)
        render.connection_errors(result.connections)
    elif output is Output.table:
        if not (quiet and ok):
            render.print_sync(doc)
    elif not (quiet and ok):
        _print_lines(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)
    if not ok:
        raise typer.Exit(3)


_LINE_KEYS = ("run_id", "status", "applied", "failed", "skipped", "stale", "not_applied")


def _print_lines(doc: dict[str, Any]) -> None:
    """One line for the run and one per connection that did not succeed (for cron)."""
    typer.echo(
        _(
            "ocopsync sync run {run_id}: {status}, {applied} applied, {failed} failed, "
            "{skipped} skipped, {stale} stale, {not_applied} not applied"
        ).format(**{k: doc[k] for k in _LINE_KEYS})
    )
    for c in doc["connections"]:
        if c["status"] != "succeeded":
            why = c["error"] or "; ".join(
                f"{e['action']} {e['sku']}: {e['error']}" for e in c.get("errors", [])[:3]
            )
            typer.echo(f"  {c['connection']} ({c['platform']}): {c['status']}: {why}")
