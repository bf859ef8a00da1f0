"""Coverage targets: the share of eligible products a province wants on each platform.

``[coverage.targets]`` gives a share per platform (``voso = 0.6``); a province may set
its own (``[coverage.targets."Quảng Ninh"]``), which wins for rows of that province.
A row's province is the one its products are in: a district row's, a producer's, or
the whole of a one-province catalog; a row spanning several provinces gets the
platform's national target. The gap is the number of products still to list, counted
in exact decimals: 0.3 x 10 is 3 products, not the 4 a float's 3.0000000000000004
would round up to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ocopsync.catalog import fold
from ocopsync.config import Settings
from ocopsync.coverage import Rollup

Targets = Mapping[str, float]
ByProvince = Mapping[str, Mapping[str, float]]


def targets_of(settings: Settings) -> tuple[Targets, ByProvince]:
    """The configured targets (empty until ``[coverage.targets]`` is set)."""
    return (
        getattr(settings, "coverage_targets", None) or {},
        getattr(settings, "coverage_targets_by_province", None) or {},
    )


def target_for(
    platform: str, province: str | None, targets: Targets, by_province: ByProvince
) -> float | None:
    """The province's own target for ``platform`` if it set one, else the platform's."""
    if province:
        for name, own in by_province.items():
            if fold(name) == fold(province) and platform in own:
                return float(own[platform])
    value = targets.get(platform)
    return None if value is None else float(value)


def gap_count(eligible: int, listed: int, target: float | None) -> int | None:
    """Products still to list to reach ``target``; 0 once met, None with no target."""
    if target is None:
        return None
    needed = math.ceil(Decimal(str(target)) * eligible)
    return max(0, needed - listed)


def below(row: Mapping[str, Any]) -> bool:
    """Whether a row with a target falls short of it (the table marks these)."""
    return bool(row.get("gap"))


def with_targets(
    rolled: Iterable[Rollup],
    targets: Targets,
    by_province: ByProvince,
    *,
    province: str | None = None,
) -> list[dict[str, Any]]:
    """Each row with ``target`` and ``gap`` (both None when no target applies)."""
    out = []
    for r in rolled:
        row = dict(r.row)
        where = row.get("province") or province
        if not where and len(r.provinces) == 1:
            (where,) = r.provinces
        target = target_for(row["platform"], where, targets, by_province)
        row["target"] = target
        row["gap"] = gap_count(row["eligible"], row["listed"], target)
        out.append(row)
    return out


def rows_for(
    rolled: Iterable[Rollup], settings: Settings, *, province: str | None = None
) -> list[dict[str, Any]]:
    """Coverage rows as ``coverage`` prints them: with ``target`` and ``gap`` on every row
    once any target is configured, and exactly as before when none is."""
    targets, by_province = targets_of(settings)
    if not targets and not by_province:
        return [dict(r.row) for r in rolled]
    return with_targets(rolled, targets, by_province, province=province)
