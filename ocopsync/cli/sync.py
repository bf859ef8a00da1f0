"""``ocopsync plan`` and ``ocopsync sync``: reconcile, and apply."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import (
    ConnectionOpt,
    EntityOpt,
    Format,
    FormatOpt,
    PlatformOpt,
    app,
    execute_sync,
    guarded,
)


@app.command()
@guarded
def plan(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show what a sync would change. Changes nothing."""
    result = execute_sync(platform=platform, entity=entity, connection=connection, apply=False)
    doc = render.plan_document(result.plans, result)
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        render.print_plan(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)


@app.command()
@guarded
def sync(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    dry_run: Annotated[bool, typer.Option(help="Plan only, like `ocopsync plan`.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Bring every selected connection in line with the catalog, and journal it."""
    if dry_run:
        plan(platform=platform, entity=entity, connection=connection, fmt=fmt)
        return
    result = execute_sync(
        platform=platform,
        entity=entity,
        connection=connection,
        apply=True,
        quiet=fmt is Format.json,
    )
    doc = render.sync_document(result)
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        render.print_sync(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)
    if result.status != "succeeded":
        raise typer.Exit(3)
