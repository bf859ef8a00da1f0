"""``ocopsync certificates``: OCOP certificates about to expire, and where each is live."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import CoverageFormat, app, engine_for, guarded, settings, today
from ocopsync.i18n import N_, _

HEADERS = (
    N_("expires_on"), N_("days_left"), N_("sku"), N_("name"), N_("entity_code"),
    N_("entity_name"), N_("district"),
)  # fmt: skip
"""Column names, for the catalog: printed through ``_(name)``."""


@app.command(
    help=_("Products whose OCOP certificate expires soon: review them before they drop out.")
)
@guarded
def certificates(
    within: Annotated[
        int, typer.Option(min=0, help=_("Certificates that expire within this many days."))
    ] = 90,
    province: Annotated[str | None, typer.Option(help=_("Only this province."))] = None,
    fmt: Annotated[CoverageFormat, typer.Option("--format", "-f")] = CoverageFormat.table,
) -> None:
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
        _("Certificates expiring by {until} ({count})").format(until=doc["until"], count=len(rows)),
        [*(_(c) for c in columns), _("stars"), _("live on")],
        [[*(r[c] for c in columns), r["stars"], ", ".join(r["live_on"])] for r in rows],
    )
    if rows:
        render.stdout.print(
            _("Forecast if none is renewed: ocopsync coverage --at {until}").format(
                until=doc["until"]
            ),
            highlight=False,
        )
