"""The report as a workbook: the same figures as the HTML page, a sheet per section, each
with a native Excel chart staff can copy into their own reports.

Numbers are stored as numbers (shares as fractions with a ``0.0%`` format, dates as
dates), so Excel shows them in the reader's own conventions and they stay usable in
formulas. Each chart reads a small pivot (rows x platforms) written beside the long
table it summarises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]
from xlsxwriter.workbook import Workbook  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

from ocopsync.gaps import REASONS
from ocopsync.report.data import ReportData, expiry_months
from ocopsync.report.labels import Labels


class _Book:
    def __init__(self, path: Path, labels: Labels) -> None:
        self.wb: Workbook = xlsxwriter.Workbook(str(path))
        self.t = labels
        self.bold = self.wb.add_format({"bold": True, "bg_color": "#e8edf4", "border": 1})
        self.pct = self.wb.add_format({"num_format": "0.0%"})
        self.day = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})

    def sheet(self, key: str, title: str) -> Worksheet:
        ws = self.wb.add_worksheet(self.t[key][:31])
        ws.write(0, 0, title, self.title)
        return ws

    def table(
        self,
        ws: Worksheet,
        row: int,
        col: int,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """Write a header and rows from (row, col); return the last row written."""
        ws.write_row(row, col, headers, self.bold)
        for i, values in enumerate(rows, start=1):
            for j, value in enumerate(values):
                header = headers[j]
                if isinstance(value, date):
                    ws.write_datetime(row + i, col + j, _excel_day(value), self.day)
                elif header in (self.t["share"], self.t["target"]) and value is not None:
                    ws.write_number(row + i, col + j, value, self.pct)
                elif value is None:
                    ws.write_blank(row + i, col + j, None)
                else:
                    ws.write(row + i, col + j, value)
        ws.set_column(col, col + len(headers) - 1, 14)
        return row + len(rows)

    def chart(
        self,
        ws: Worksheet,
        kind: dict[str, str],
        first: int,
        last: int,
        col: int,
        series: Sequence[tuple[str, int]],
        *,
        percent: bool = True,
        anchor: str = "B3",
    ) -> None:
        """A chart over rows ``first..last``: categories in ``col``, one series per column."""
        chart = self.wb.add_chart(kind)
        name = ws.get_name()
        for title, value_col in series:
            chart.add_series(
                {
                    "name": title,
                    "categories": [name, first, col, last, col],
                    "values": [name, first, value_col, last, value_col],
                }
            )
        axis = {"num_format": "0%", "min": 0, "max": 1} if percent else {}
        if kind["type"] == "bar":
            chart.set_x_axis(axis)
        else:
            chart.set_y_axis(axis)
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(anchor, chart)

    def close(self) -> None:
        self.wb.close()


def _excel_day(value: date) -> Any:
    from datetime import datetime

    return datetime(value.year, value.month, value.day)  # noqa: DTZ001 (a calendar day)


def _pivot(
    rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any], platforms: Sequence[str]
) -> list[list[Any]]:
    """Rows by ``key`` (sorted) with the share on each platform as columns."""
    keys = sorted({key(r) for r in rows})
    share = {(key(r), r["platform"]): r["share"] for r in rows}
    return [[k, *(share.get((k, p)) for p in platforms)] for k in keys]


CHART_ROWS = 20
"""Rows left free above each sheet's tables for its chart."""


def write(data: ReportData, lang: str, path: Path) -> Path:
    t = Labels(lang)
    book = _Book(path, t)
    platforms = data.platforms
    names = [t.platform(p) for p in platforms]
    coverage_head = [t["eligible"], t["listed"], t["share"], t["target"], t["to_list"]]

    def figures(r: dict[str, Any]) -> list[Any]:
        return [r["eligible"], r["listed"], r["share"], r.get("target"), r.get("gap")]

    ws = book.sheet("summary", t["headline"])
    top = CHART_ROWS + 2
    last = book.table(
        ws,
        top,
        0,
        [t["platform"], *coverage_head],
        [[t.platform(r["platform"]), *figures(r)] for r in data.headline],
    )
    series = [(t["share"], 3)]
    if any(r.get("target") is not None for r in data.headline):
        series.append((t["target"], 4))
    book.chart(ws, {"type": "bar"}, top + 1, last, 0, series)

    def by_key(key_name: str, title: str, sheet: str, label: Callable[[Any], Any]) -> None:
        rows = {"district": data.districts, "stars": data.stars, "group": data.groups}[key_name]
        ws = book.sheet(sheet, title)
        lead = [t["platform"], *([t["province"]] if key_name == "district" else []), t[key_name]]
        long_rows = [
            [
                t.platform(r["platform"]),
                *([r["province"]] if key_name == "district" else []),
                label(r[key_name]),
                *figures(r),
            ]
            for r in rows
        ]
        book.table(ws, top, 0, [*lead, *coverage_head], long_rows)
        pivot_col = len(lead) + len(coverage_head) + 1
        pivot = [[label(k), *v] for k, *v in _pivot(rows, lambda r: r[key_name], platforms)]
        end = book.table(ws, top, pivot_col, [t[key_name], *names], pivot)
        kind = {"type": "bar"} if key_name == "district" else {"type": "column"}
        book.chart(
            ws,
            kind,
            top + 1,
            end,
            pivot_col,
            [(n, pivot_col + 1 + i) for i, n in enumerate(names)],
        )
        for i in range(len(names)):
            ws.set_column(pivot_col + 1 + i, pivot_col + 1 + i, 14, book.pct)

    by_key("district", t["by_district"], "sheet_districts", str)

    ws = book.sheet("history", t["trend"])
    book.table(
        ws,
        top,
        0,
        [t["date"], t["platform"], t["eligible"], t["listed"], t["share"]],
        [
            [
                date.fromisoformat(r["date"]),
                t.platform(r["platform"]),
                r["eligible"],
                r["listed"],
                r["share"],
            ]
            for r in data.trend
        ],
    )
    pivot = [
        [date.fromisoformat(k), *v] for k, *v in _pivot(data.trend, lambda r: r["date"], platforms)
    ]
    end = book.table(ws, top, 6, [t["date"], *names], pivot)
    for i in range(len(names)):
        ws.set_column(7 + i, 7 + i, 14, book.pct)
    if pivot:
        book.chart(ws, {"type": "line"}, top + 1, end, 6, [(n, 7 + i) for i, n in enumerate(names)])

    by_key("stars", t["by_stars"], "sheet_stars", t.stars)
    by_key("group", t["by_group"], "sheet_groups", t.group)

    ws = book.sheet("sheet_gaps", t["gaps"])
    reasons = [r for r in REASONS if any(c.get(r) for c in data.gap_counts.values())] or ["no_shop"]
    counts = [
        [t.platform(p), *(data.gap_counts[p].get(r, 0) for r in reasons)] for p in data.gap_counts
    ]
    end = book.table(ws, top, 0, [t["platform"], *(t.reason(r) for r in reasons)], counts)
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
    for i, reason in enumerate(reasons, start=1):
        chart.add_series(
            {
                "name": t.reason(reason),
                "categories": [ws.get_name(), top + 1, 0, end, 0],
                "values": [ws.get_name(), top + 1, i, end, i],
            }
        )
    chart.set_size({"width": 720, "height": 360})
    ws.insert_chart("B3", chart)
    book.table(
        ws,
        end + 3,
        0,
        [
            t["platform"],
            t["producer"],
            t["name"],
            t["district"],
            t["reason"],
            t["products"],
            t["examples"],
        ],
        [
            [
                t.platform(g.platform),
                g.entity_code,
                g.entity_name,
                g.district,
                t.reason(g.reason),
                len(g.skus),
                ", ".join(g.skus),
            ]
            for g in data.gap_groups
        ],
    )

    ws = book.sheet("sheet_certs", t["certificates"])
    months = expiry_months(data.certificates, data.today)
    end = book.table(ws, top, 0, [t["month"], t["products"]], [[t.month(m), n] for m, n in months])
    book.chart(ws, {"type": "column"}, top + 1, end, 0, [(t["products"], 1)], percent=False)
    book.table(
        ws,
        end + 3,
        0,
        [
            t["expires_on"],
            t["days_left"],
            t["sku"],
            t["name"],
            t["producer"],
            t["name"],
            t["district"],
            t["live_on"],
        ],
        [
            [
                date.fromisoformat(c["expires_on"]),
                c["days_left"],
                c["sku"],
                c["name"],
                c["entity_code"],
                c["entity_name"],
                c["district"],
                ", ".join(t.platform(p) for p in c["live_on"]),
            ]
            for c in data.certificates
        ],
    )
    book.close()
    return path
