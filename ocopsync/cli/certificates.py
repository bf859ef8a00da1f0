"""``ocopsync certificates``: OCOP certificates about to expire, and where each is live."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import CoverageFormat, app, engine_for, guarded, settings, today


@app.command()
@guarded
def certificates(
    within: Annotated[
        int, typer.Option(min=0, help="Certificates that expire within this many days.")
    ] = 90,
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    fmt: Annotated[CoverageFormat, typer.Option("--format", "-f")] = CoverageFormat.table,
) -> None:
    """Products whose OCOP certificate expires soon: review them before they drop out."""
    from ocopsync.certificates import certificate_report

    s = settings()
    doc = certificate_report(engine_for(s), s, today=today(), within=within, province=province)
    rows = doc["rows"]
    if fmt is CoverageFormat.json:
        render.emit_json(doc)
        return
    if fmt is CoverageFormat.csv:
        render.emit_csv([{**r, "live_on": " ".join(r["live_on"])} for r in rows])
        return
    columns = ["expires_on", "days_left", "sku", "name", "entity_code", "entity_name", "district"]
    render.table(
        f"Certificates expiring by {doc['until']} ({len(rows)})",
        [*columns, "stars", "live on"],
        [[*(r[c] for c in columns), r["stars"], ", ".join(r["live_on"])] for r in rows],
    )
    if rows:
        render.stdout.print(
            f"Forecast if none is renewed: ocopsync coverage --at {doc['until']}", highlight=False
        )
