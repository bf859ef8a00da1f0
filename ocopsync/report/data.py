"""Every figure of the report, gathered once, so the HTML and the XLSX show the same.

The report is for one province (``--province``) or the whole catalog. Each section is
plain rows, the same ones ``coverage``, ``coverage --history``, ``coverage gaps`` and
``certificates`` print, so a figure in the report can be checked against the CLI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from ocopsync import catalog, coverage, coverage_history, coverage_store, coverage_targets, gaps
from ocopsync.certificates import certificate_report
from ocopsync.config import Settings

EXPIRY_DAYS = 90
"""Certificates expiring this soon are listed: a re-evaluation takes weeks to arrange."""


@dataclass(frozen=True)
class GapGroup:
    """The products of one producer missing from one platform for one reason."""

    platform: str
    entity_code: str
    entity_name: str
    district: str
    reason: str
    skus: tuple[str, ...]


@dataclass
class ReportData:
    today: date
    province: str | None
    platforms: list[str]
    headline: list[dict[str, Any]]
    districts: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    trend_every: str
    stars: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    gap_groups: list[GapGroup]
    gap_counts: dict[str, dict[str, int]]
    """platform -> reason -> products."""
    certificates: list[dict[str, Any]]


def every_for(days: int) -> str:
    """Daily points for a quarter, weekly for two years, monthly beyond: a readable line."""
    if days <= 92:
        return "day"
    return "week" if days <= 730 else "month"


def group_gaps(rows: Sequence[dict[str, Any]], platform: str) -> list[GapGroup]:
    """Gap rows folded by producer and reason (a producer is one line, not 20)."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[(r["entity_code"], r["reason"])].append(r)
    out = [
        GapGroup(
            platform=platform,
            entity_code=code,
            entity_name=items[0]["entity_name"],
            district=items[0]["district"],
            reason=reason,
            skus=tuple(sorted(i["sku"] for i in items)),
        )
        for (code, reason), items in grouped.items()
    ]
    return sorted(out, key=lambda g: (g.platform, -len(g.skus), g.entity_code, g.reason))


def collect(
    engine: Engine, settings: Settings, *, today: date, province: str | None = None
) -> ReportData:
    cells = coverage.cells(engine, settings, today=today)
    names = coverage_store.entity_names(engine)
    targets, by_province = coverage_targets.targets_of(settings)

    def rows(by: str) -> list[dict[str, Any]]:
        rolled = coverage.rollup(cells, by, province=province)
        return coverage.with_names(
            coverage_targets.with_targets(rolled, targets, by_province, province=province), names
        )

    headline = rows("platform")
    platforms = [r["platform"] for r in headline]
    stamps = coverage_store.snapshot_stamps(engine)
    span = (today - coverage_history.day_of(stamps[0].taken_at)).days if stamps else 0
    every = every_for(span)
    trend = coverage_history.history(engine, by="platform", every=every, province=province)
    gap_groups: list[GapGroup] = []
    gap_counts: dict[str, dict[str, int]] = {}
    for platform in platforms:
        doc = gaps.gap_report(engine, settings, platform, today=today, province=province)
        gap_groups += group_gaps(doc["rows"], platform)
        gap_counts[platform] = doc["by_reason"]
    certs = certificate_report(
        engine, settings, today=today, within=EXPIRY_DAYS, province=province
    )["rows"]
    return ReportData(
        today=today,
        province=_canonical(province, cells),
        platforms=platforms,
        headline=headline,
        districts=rows("district"),
        trend=trend,
        trend_every=every,
        stars=rows("stars"),
        groups=rows("group"),
        gap_groups=gap_groups,
        gap_counts=gap_counts,
        certificates=certs,
    )


def _canonical(province: str | None, cells: Sequence[coverage.Cell]) -> str | None:
    """The province as the catalog spells it ("quang ninh" -> "Quảng Ninh"); with no
    ``--province``, the catalog's only province if it has one (a province's own install)."""
    if not province:
        provinces = {c.province for c in cells if c.province}
        return provinces.pop() if len(provinces) == 1 else None
    for c in cells:
        if catalog.fold(c.province) == catalog.fold(province):
            return c.province
    return province


def expiry_months(certs: Sequence[dict[str, Any]], today: date) -> list[tuple[date, int]]:
    """Certificates expiring per calendar month of the window (months with none included)."""
    counts: dict[date, int] = defaultdict(int)
    for c in certs:
        counts[date.fromisoformat(c["expires_on"]).replace(day=1)] += 1
    months = []
    month = today.replace(day=1)
    end = (today + timedelta(days=EXPIRY_DAYS)).replace(day=1)
    while month <= end:
        months.append((month, counts.get(month, 0)))
        month = (month + timedelta(days=32)).replace(day=1)
    return months
