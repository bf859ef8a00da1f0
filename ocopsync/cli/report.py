"""``ocopsync report``: the provincial office's coverage report as HTML or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import app, engine_for, guarded, settings, today
from ocopsync.i18n import _, current_language


@app.command(
    help=_("Coverage against targets, by district, over time, gaps and expiring certificates.")
)
@guarded
def report(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help=_("FILE.html (one self-contained page) or FILE.xlsx.")),
    ],
    province: Annotated[str | None, typer.Option(help=_("Only this province."))] = None,
    lang: Annotated[
        str | None,
        typer.Option(help=_("vi (Vietnamese) or en (English); default: the language of messages.")),
    ] = None,
) -> None:
    from ocopsync.report import FORMATS, LANGS, write_report

    if out.suffix.lower() not in FORMATS:
        raise typer.BadParameter(
            _("must end in {suffixes}").format(suffixes=" or ".join(FORMATS)), param_hint="--out"
        )
    lang = lang or current_language()
    if lang not in LANGS:
        raise typer.BadParameter(
            _("must be one of {allowed}").format(allowed=", ".join(LANGS)), param_hint="--lang"
        )
    s = settings()
    written = write_report(engine_for(s), s, out, today=today(), province=province, lang=lang)
    render.stderr.print(_("report written to {path}").format(path=written), highlight=False)
