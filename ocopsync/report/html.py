"""The report as one self-contained HTML page: styles and charts inline, no request out.

A provincial officer opens it on a phone, forwards it by mail or Zalo, and prints it
for a meeting, so the page holds everything it shows (no CDN, no font, no script), the
layout is one column that tables scroll inside on a narrow screen, and print styles
keep each section on its page with the scrolling undone. Every section has one chart
(inline SVG) and the table of its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from ocopsync import catalog
from ocopsync.gaps import REASONS
from ocopsync.report import charts
from ocopsync.report.data import ReportData, expiry_months
from ocopsync.report.labels import Labels

CSS = """
:root { --ink:#1d2433; --muted:#5b6576; --line:#d8dde6; --bad:#b03a48; --good:#2e8b57; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 64rem; padding: 1rem; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
header p { margin: 0; color: var(--muted); }
section { margin-top: 1.75rem; }
h2 { font-size: 1.1rem; border-bottom: 2px solid var(--line); padding-bottom: .25rem; }
.note { color: var(--muted); font-size: .9rem; }
.cards { display: grid; gap: .6rem; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); }
.card { border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .75rem; }
.card .platform { font-weight: 600; }
.card .share { font-size: 1.6rem; font-weight: 700; }
.card.below { border-left: 5px solid var(--bad); }
.card.met { border-left: 5px solid var(--good); }
.card .target { font-size: .85rem; color: var(--muted); }
figure.chart { margin: .75rem 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.below td, td.below { background: #fbeaec; color: var(--bad); }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
@media (max-width: 40rem) { body { padding: .6rem; font-size: 14px; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .scroll { overflow: visible; }
  section { break-inside: avoid-page; }
  figure.chart { break-inside: avoid; }
  table { page-break-inside: auto; } tr { break-inside: avoid; }
}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _table(
    headers: Sequence[tuple[str, bool]],
    rows: Sequence[Sequence[Any]],
    *,
    marks: Sequence[str] | None = None,
) -> str:
    """A table in a scroll box; ``headers`` are (label, numeric), ``marks`` a class per row."""
    head = "".join(f"<th{' class=num' if num else ''}>{_e(h)}</th>" for h, num in headers)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f"<td class=num>{_e(v)}</td>" if num else f"<td>{_e(v)}</td>"
            for v, (_h, num) in zip(row, headers, strict=True)
        )
        mark = marks[i] if marks else ""
        body.append(f'<tr class="{mark}">{cells}</tr>' if mark else f"<tr>{cells}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _section(key: str, title: str, chart: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{_e(note)}</p>' if note else ""
    return (
        f'<section id="{key}"><h2>{_e(title)}</h2>{note_html}'
        f'<figure class="chart" data-chart="{key}">{chart}</figure>{body}</section>'
    )


def _coverage_rows(
    rows: Sequence[dict[str, Any]], first: Sequence[str], t: Labels
) -> tuple[list[tuple[str, bool]], list[list[Any]], list[str]]:
    """Headers, cells and marks of a coverage table whose leading columns are ``first``."""
    headers = [(t[c], False) for c in first]
    headers += [(t["eligible"], True), (t["listed"], True), (t["share"], True)]
    headers += [(t["target"], True), (t["to_list"], True)]
    cells, marks = [], []
    for r in rows:
        lead = [_lead(c, r, t) for c in first]
        gap = r.get("gap")
        cells.append(
            [
                *lead,
                t.number(r["eligible"]),
                t.number(r["listed"]),
                t.percent(r["share"]),
                t.percent(r.get("target")),
                "–" if gap is None else t.number(gap),
            ]
        )
        marks.append("below" if gap else "")
    return headers, cells, marks


def _lead(column: str, row: dict[str, Any], t: Labels) -> str:
    value = row[column]
    if column == "platform":
        return t.platform(value)
    if column == "group":
        return t.group(value)
    if column == "stars":
        return t.stars(value)
    return str(value)


def render(data: ReportData, lang: str) -> str:
    t = Labels(lang)
    where = data.province or t["all_provinces"]
    targets = {r["platform"]: r.get("target") for r in data.headline}
    sections = [
        _headline(data, t),
        _breakdown_section(
            "districts",
            t["by_district"],
            charts.district_grid(data.districts, data.platforms, t),
            data.districts,
            ["province", "district"],
            data.platforms,
            t,
        ),
        _trend(data, targets, t),
        _breakdown_section(
            "stars",
            t["by_stars"],
            charts.breakdown(data.stars, "stars", data.platforms, t, t["by_stars"]),
            data.stars,
            ["stars"],
            data.platforms,
            t,
        ),
        _breakdown_section(
            "groups",
            t["by_group"],
            charts.breakdown(data.groups, "group", data.platforms, t, t["by_group"]),
            data.groups,
            ["group"],
            data.platforms,
            t,
        ),
        _gaps(data, t),
        _certificates(data, t),
    ]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # an empty icon inline: the browser asks the network for no /favicon.ico
        '<link rel="icon" href="data:,">'
        f"<title>{_e(t['title'])} – {_e(where)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(t['title'])}</h1>"
        f"<p>{_e(where)} · {_e(t['as_of'])} {_e(t.day(data.today))}</p></header>"
        + "".join(sections)
        + f"<footer>{_e(t['generated'])} · {_e(t.day(data.today))}</footer></body></html>\n"
    )


def _headline(data: ReportData, t: Labels) -> str:
    cards = []
    for r in data.headline:
        gap, target = r.get("gap"), r.get("target")
        state = "" if target is None else ("below" if gap else "met")
        if target is None:
            line = t["no_target"]
        else:
            line = f"{t['target']} {t.percent(target)} · "
            line += f"{t['to_list']} {t.number(gap)}" if gap else t["met"]
        cards.append(
            f'<div class="card {state}" data-platform="{_e(r["platform"])}">'
            f'<div class="platform">{_e(t.platform(r["platform"]))}</div>'
            f'<div class="share">{_e(t.percent(r["share"]))}</div>'
            f"<div>{_e(t.number(r['listed']))} / {_e(t.number(r['eligible']))}</div>"
            f'<div class="target">{_e(line)}</div></div>'
        )
    body = f'<div class="cards">{"".join(cards)}</div>'
    headers, cells, marks = _coverage_rows(data.headline, ["platform"], t)
    return _section(
        "headline",
        t["headline"],
        charts.headline(data.headline, t),
        body + _table(headers, cells, marks=marks),
        t["headline_note"],
    )


def _pivot(
    rows: Sequence[dict[str, Any]],
    lead: Sequence[str],
    platforms: Sequence[str],
    t: Labels,
    *,
    ordered: bool = False,
) -> str:
    """Rows by ``lead`` columns (sorted, or as given when ``ordered``), a column per
    platform (``57,1% · 20/35``, marked when below target): one line per district, star
    rating or group, not one per platform."""
    keys: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for r in rows:
        keys.setdefault(tuple(r[c] for c in lead), {})[r["platform"]] = r
    head = "".join(f"<th>{_e(t[c])}</th>" for c in lead)
    head += "".join(f"<th class=num>{_e(t.platform(p))}</th>" for p in platforms)
    body = []
    order = list(keys) if ordered else sorted(keys, key=lambda k: tuple(map(fold_key, k)))
    for key in order:
        cells = "".join(
            f"<td>{_e(_lead(c, dict(zip(lead, key, strict=True)), t))}</td>" for c in lead
        )
        for p in platforms:
            cell = keys[key].get(p)
            if cell is None:
                cells += "<td class=num>–</td>"
                continue
            listed, eligible = t.number(cell["listed"]), t.number(cell["eligible"])
            text = f"{t.percent(cell['share'])} · {listed}/{eligible}"
            below = ' below" title="' + _e(t["below"]) if cell.get("gap") else ""
            cells += f'<td class="num{below}">{_e(text)}</td>'
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def fold_key(value: Any) -> Any:
    """Sort Vietnamese names as a reader expects (Đầm Hà among the D's), numbers as numbers."""
    return catalog.fold(value) if isinstance(value, str) else value


def _breakdown_section(
    key: str,
    title: str,
    chart: str,
    rows: Sequence[dict[str, Any]],
    lead: Sequence[str],
    platforms: Sequence[str],
    t: Labels,
) -> str:
    return _section(key, title, chart, _pivot(rows, lead, platforms, t))


def _trend(data: ReportData, targets: dict[str, float | None], t: Labels) -> str:
    chart = charts.trend(data.trend, data.platforms, targets, t)
    rows = [{**r, "date": t.day(_iso(r["date"])), "_order": r["date"]} for r in data.trend]
    rows.sort(key=lambda r: r["_order"])
    table = _pivot(rows, ["date"], data.platforms, t, ordered=True)
    note = "" if data.trend else t["no_history"]
    return _section("trend", t["trend"], chart, table, note)


def _iso(text: str) -> date:
    return date.fromisoformat(text)


def _gaps(data: ReportData, t: Labels) -> str:
    chart = charts.gap_reasons(data.gap_counts, t, REASONS)
    headers = [
        (t["platform"], False),
        (t["producer"], False),
        (t["district"], False),
        (t["reason"], False),
        (t["products"], True),
        (t["examples"], False),
    ]
    rows = [
        [
            t.platform(g.platform),
            f"{g.entity_name} ({g.entity_code})" if g.entity_name else g.entity_code,
            g.district,
            t.reason(g.reason),
            t.number(len(g.skus)),
            ", ".join(g.skus[:3]) + (" …" if len(g.skus) > 3 else ""),
        ]
        for g in data.gap_groups
    ]
    return _section("gaps", t["gaps"], chart, _table(headers, rows))


def _certificates(data: ReportData, t: Labels) -> str:
    chart = charts.expiry(expiry_months(data.certificates, data.today), t)
    headers = [
        (t["expires_on"], False),
        (t["days_left"], True),
        (t["sku"], False),
        (t["name"], False),
        (t["producer"], False),
        (t["district"], False),
        (t["live_on"], False),
    ]
    rows = [
        [
            t.day(_iso(c["expires_on"])),
            t.number(c["days_left"]),
            c["sku"],
            c["name"],
            f"{c['entity_name']} ({c['entity_code']})" if c["entity_name"] else c["entity_code"],
            c["district"],
            ", ".join(t.platform(p) for p in c["live_on"]) or "–",
        ]
        for c in data.certificates
    ]
    return _section("certificates", t["certificates"], chart, _table(headers, rows))
