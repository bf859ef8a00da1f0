"""``ocopsync report``: the provincial office's coverage report, as HTML or XLSX.

:func:`write_report` gathers every figure once (:mod:`ocopsync.report.data`) and writes
it as a self-contained page (:mod:`ocopsync.report.html`, charts by
:mod:`ocopsync.report.charts`) or a workbook with native charts
(:mod:`ocopsync.report.xlsx`), in Vietnamese or English (:mod:`ocopsync.report.labels`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from ocopsync.config import Settings
from ocopsync.report.labels import LANGS

FORMATS = (".html", ".xlsx")


def write_report(
    engine: Engine,
    settings: Settings,
    out: Path,
    *,
    today: date,
    province: str | None = None,
    lang: str = "vi",
) -> Path:
    """Write the report to ``out`` (``.html`` or ``.xlsx``, by its suffix)."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out must end in {' or '.join(FORMATS)}")
    if lang not in LANGS:
        raise ValueError(f"--lang must be one of {', '.join(LANGS)}")
    from ocopsync.report.data import collect

    data = collect(engine, settings, today=today, province=province)
    if suffix == ".html":
        from ocopsync.report.html import render

        out.write_text(render(data, lang), encoding="utf-8")
        return out
    from ocopsync.report.xlsx import write

    return write(data, lang, out)


__all__ = ["FORMATS", "LANGS", "write_report"]
