"""``ocopsync coverage``: the share of eligible products live on each platform."""

from __future__ import annotations

from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import (
    CoverageFormat,
    EntityOpt,
    app,
    engine_for,
    guarded,
    settings,
    today,
)


@app.command()
@guarded
def coverage(
    by: Annotated[
        str, typer.Option(help="platform, province, district, stars, group or entity.")
    ] = "platform",
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    entity: EntityOpt = None,
    fmt: Annotated[CoverageFormat, typer.Option("--format", "-f")] = CoverageFormat.table,
) -> None:
    """Share of eligible products in scope that are live on each platform."""
    from ocopsync import coverage as cov

    if by not in cov.DIMENSIONS:
        raise typer.BadParameter(f"must be one of {', '.join(cov.DIMENSIONS)}", param_hint="--by")
    s = settings()
    rows = cov.aggregate(
        cov.cells(engine_for(s), s, today=today()), by, province=province, entity=entity
    )
    if fmt is CoverageFormat.json:
        render.emit_json({"by": by, "rows": rows})
    elif fmt is CoverageFormat.csv:
        render.emit_csv(rows)
    else:
        render.print_coverage(by, rows)
