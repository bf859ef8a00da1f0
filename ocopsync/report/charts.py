"""The report's charts: matplotlib drawn straight to SVG text, inlined in the page.

Matplotlib's object API (``Figure``, no pyplot) keeps no global state, so two reports
drawn at once never share a figure, and it needs no display. Text stays text
(``svg.fonttype = none``): the page stays small, the browser draws Vietnamese with its
own fonts, and the words are searchable and selectable. The SVG's XML prologue and
metadata are dropped: the page holds no URL a browser could fetch.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ocopsync import catalog
from ocopsync.report.labels import Labels

PALETTE = ("#1b6ca8", "#e07b16", "#2e8b57", "#b03a48", "#6a4c93", "#7f8c8d")
"""Colour-blind-safe enough and distinct in greyscale print: one per platform, in order."""
REASON_COLOURS = {
    "no_shop": "#b03a48",
    "blocked": "#e07b16",
    "rejected": "#6a4c93",
    "unlisted": "#7f8c8d",
    "out_of_stock": "#c9a227",
    "not_synced": "#1b6ca8",
    "failed": "#333333",
}
_STYLE: Any = {  # rc keys are typed as literals; this table is checked by matplotlib
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_LEGEND_ABOVE: Any = {
    "loc": "lower center",
    "bbox_to_anchor": (0.5, 1.0),
    "fontsize": 8,
    "frameon": False,
}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def to_svg(fig: Figure, title: str) -> str:
    """The figure as one ``<svg>`` element, sized by its container, with a title for screen
    readers."""
    buffer = io.StringIO()
    # A salt per chart: ids inside one page's several SVGs never collide.
    with matplotlib.rc_context({"svg.hashsalt": f"ocopsync-{title}"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1))
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{_attr(title)}"', 1)
    return svg.strip()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _percent_axis(labels: Labels) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: labels.percent(v, digits=0))


def _colour(platforms: Sequence[str], platform: str) -> str:
    return PALETTE[list(platforms).index(platform) % len(PALETTE)]


def headline(rows: Sequence[dict[str, Any]], labels: Labels) -> str:
    """Share per platform as horizontal bars, the target as a tick on each bar."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7, 0.5 + 0.45 * max(1, len(rows)))
        ax = fig.add_subplot()
        names = [labels.platform(r["platform"]) for r in rows][::-1]
        shares = [r["share"] for r in rows][::-1]
        bars = ax.barh(names, shares, color=[PALETTE[i % 6] for i in range(len(rows))][::-1])
        for bar, r in zip(bars, rows[::-1], strict=True):
            text = f"{labels.percent(r['share'])} ({labels.number(r['listed'])}/"
            text += f"{labels.number(r['eligible'])})"
            ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, text, va="center")
            if r.get("target") is not None:
                y = bar.get_y()
                ax.plot([r["target"]] * 2, [y - 0.05, y + bar.get_height() + 0.05], color="#222")
        ax.set_xlim(0, 1.25)
        ax.xaxis.set_major_formatter(_percent_axis(labels))
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        return to_svg(fig, labels["headline"])


def district_grid(rows: Sequence[dict[str, Any]], platforms: Sequence[str], labels: Labels) -> str:
    """One panel per platform, a bar per district: the platform x district grid."""
    districts = sorted({r["district"] or "–" for r in rows}, key=catalog.fold)
    share = {(r["platform"], r["district"] or "–"): r["share"] for r in rows}
    cols = min(3, max(1, len(platforms)))
    grid_rows = -(-len(platforms) // cols) if platforms else 1
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.5, 0.6 + grid_rows * (0.4 + 0.22 * max(1, len(districts))))
        axes = fig.subplots(grid_rows, cols, sharey=True, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(platforms):
                ax.set_visible(False)
                continue
            platform = platforms[i]
            values = [share.get((platform, d), 0.0) for d in districts]
            ax.barh(districts[::-1], values[::-1], color=_colour(platforms, platform))
            ax.set_title(labels.platform(platform), fontsize=9)
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1.0])
            ax.xaxis.set_major_formatter(_percent_axis(labels))
        return to_svg(fig, labels["by_district"])


def trend(
    rows: Sequence[dict[str, Any]],
    platforms: Sequence[str],
    targets: dict[str, float | None],
    labels: Labels,
) -> str:
    """A line per platform over the stored snapshots; a dashed line at its target."""
    series: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for r in rows:
        series[r["platform"]].append((date.fromisoformat(r["date"]), r["share"]))
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7, 3)
        ax = fig.add_subplot()
        for platform in platforms:
            points = series.get(platform, [])
            colour = _colour(platforms, platform)
            if points:
                days = [d.toordinal() for d, _ in points]  # plain numbers: ticks are ours
                values = [v for _, v in points]
                ax.plot(days, values, marker="o", color=colour, label=labels.platform(platform))
            target = targets.get(platform)
            if target is not None:
                ax.axhline(target, color=colour, linestyle="--", linewidth=0.8)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(_percent_axis(labels))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _day_tick(v, labels)))
        days_shown = sorted({date.fromisoformat(r["date"]).toordinal() for r in rows})
        if len(days_shown) <= 8:
            ax.set_xticks(days_shown)  # a tick on every snapshot, none between
        else:
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        if rows:
            ax.legend(**_LEGEND_ABOVE, ncols=min(3, max(1, len(platforms))))
        return to_svg(fig, labels["trend"])


def _day_tick(value: float, labels: Labels) -> str:
    return labels.day(date.fromordinal(round(value))) if value >= 1 else ""


def breakdown(
    rows: Sequence[dict[str, Any]],
    key: str,
    platforms: Sequence[str],
    labels: Labels,
    title: str,
) -> str:
    """Grouped bars: a category (stars, group) on the axis, a bar per platform."""
    categories = sorted({r[key] for r in rows})
    share = {(r["platform"], r[key]): r["share"] for r in rows}
    name = labels.stars if key == "stars" else labels.group
    width = 0.8 / max(1, len(platforms))
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7, 3)
        ax = fig.add_subplot()
        for i, platform in enumerate(platforms):
            xs = [j + i * width for j in range(len(categories))]
            values = [share.get((platform, c), 0.0) for c in categories]
            ax.bar(
                xs,
                values,
                width,
                color=_colour(platforms, platform),
                label=labels.platform(platform),
            )
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(categories))])
        ax.set_xticklabels([name(c) for c in categories])
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(_percent_axis(labels))
        ax.legend(**_LEGEND_ABOVE, ncols=min(3, max(1, len(platforms))))
        return to_svg(fig, title)


def gap_reasons(counts: dict[str, dict[str, int]], labels: Labels, reasons: Sequence[str]) -> str:
    """Products missing from each platform, stacked by reason."""
    platforms = list(counts)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7, 0.8 + 0.45 * max(1, len(platforms)))
        ax = fig.add_subplot()
        left = [0] * len(platforms)
        names = [labels.platform(p) for p in platforms]
        for reason in reasons:
            values = [counts[p].get(reason, 0) for p in platforms]
            if not any(values):
                continue
            ax.barh(
                names, values, left=left, color=REASON_COLOURS[reason], label=labels.reason(reason)
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: labels.number(int(v))))
        ax.set_xlabel(labels["products"])
        for i, total in enumerate(left):
            ax.text(total, i, f" {labels.number(total)}", va="center")
        if any(left):
            ax.legend(**_LEGEND_ABOVE, ncols=3)
        return to_svg(fig, labels["gaps"])


def expiry(months: Sequence[tuple[date, int]], labels: Labels) -> str:
    """Certificates expiring per month of the window."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7, 2.4)
        ax = fig.add_subplot()
        names = [labels.month(m) for m, _ in months]
        values = [n for _, n in months]
        bars = ax.bar(names, values, color="#b03a48")
        ax.bar_label(bars, labels=[labels.number(v) for v in values])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(labels["products"])
        return to_svg(fig, labels["certificates"])
