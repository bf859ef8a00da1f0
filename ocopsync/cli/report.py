"""``ocopsync report``: the provincial office's coverage report as HTML or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import app, engine_for, guarded, settings, today


@app.command()
@guarded
def report(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="FILE.html (one self-contained page) or FILE.xlsx.")
    ],
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    lang: Annotated[str, typer.Option(help="vi (Vietnamese) or en (English).")] = "vi",
) -> None:
    """Coverage against targets, by district, over time, gaps and expiring certificates."""
    from ocopsync.report import FORMATS, LANGS, write_report

    if out.suffix.lower() not in FORMATS:
        raise typer.BadParameter(f"must end in {' or '.join(FORMATS)}", param_hint="--out")
    if lang not in LANGS:
        raise typer.BadParameter(f"must be one of {', '.join(LANGS)}", param_hint="--lang")
    s = settings()
    written = write_report(engine_for(s), s, out, today=today(), province=province, lang=lang)
    render.stderr.print(f"report written to {written}", highlight=False)
