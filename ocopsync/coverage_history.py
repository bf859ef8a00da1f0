"""Coverage history: one snapshot a day, read back by day, week or month.

Every sync stores a snapshot (:func:`ocopsync.coverage.take_snapshot`, 500-odd rows
for a province); a province that syncs hourly would store thousands a week. Only the
last snapshot of each day is kept, because a day's figure is what the day ended with,
and the whole snapshot is kept or dropped as one: keeping, per grain, the last row of
the day would resurrect a grain an earlier sync had and the last one no longer has
(a product expired at noon), and a day's total would count it twice.

Days are Vietnamese calendar days (UTC+7, no daylight saving time), the calendar
certificates expire by. A week starts on Monday; a row's ``date`` is the day of the
snapshot it comes from (the last one in its week or month), so a figure is never
dated before it was measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine

from ocopsync import coverage_store
from ocopsync.coverage import Cell, aggregate
from ocopsync.coverage_store import Stamp
from ocopsync.models import CoverageSnapshot

EVERY = ("day", "week", "month")
VIETNAM = timezone(timedelta(hours=7), "ICT")


def day_of(taken_at: datetime) -> date:
    """The Vietnamese calendar day a snapshot was taken on."""
    return taken_at.astimezone(VIETNAM).date()


def _order(stamp: Stamp) -> tuple[datetime, int]:
    return stamp.taken_at, stamp.run_id or 0


def superseded(stamps: Iterable[Stamp]) -> list[Stamp]:
    """Every snapshot that is not the last of its day: what compaction removes."""
    ordered = sorted(stamps, key=_order)
    last = {day_of(s.taken_at): s for s in ordered}
    keep = set(last.values())
    return [s for s in ordered if s not in keep]


def bucket(day: date, every: str) -> date:
    """The first day of the day, week (Monday) or month ``day`` falls in."""
    if every == "day":
        return day
    if every == "week":
        return day - timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    raise ValueError(f"--every must be one of {', '.join(EVERY)}")


def pick(stamps: Iterable[Stamp], every: str, since: date | None = None) -> list[Stamp]:
    """The last snapshot of each day, week or month on or after ``since``, oldest first."""
    last: dict[date, Stamp] = {}
    for s in sorted(stamps, key=_order):
        day = day_of(s.taken_at)
        if since is None or day >= since:
            last[bucket(day, every)] = s
    return [last[k] for k in sorted(last)]


def cells_of(rows: Iterable[CoverageSnapshot]) -> list[Cell]:
    return [
        Cell(
            platform=r.platform,
            province=r.province,
            district=r.district,
            stars=r.stars,
            group=r.group,
            entity=r.entity_code,
            eligible=r.eligible,
            listed=r.listed,
        )
        for r in rows
    ]


def history_rows(
    snapshots: Sequence[tuple[date, Sequence[Cell]]],
    by: str,
    *,
    province: str | None = None,
    entity: str | None = None,
) -> list[dict[str, Any]]:
    """``{"date", "platform", <by>, "eligible", "listed", "share"}`` per snapshot and row."""
    out = []
    for day, cells in snapshots:
        for row in aggregate(cells, by, province=province, entity=entity):
            out.append({"date": day.isoformat(), **row})
    return out


def compact(engine: Engine) -> int:
    """Drop every snapshot but the last of each day; how many rows went."""
    return coverage_store.delete_snapshots(
        engine, superseded(coverage_store.snapshot_stamps(engine))
    )


def history(
    engine: Engine,
    *,
    by: str = "platform",
    every: str = "day",
    since: date | None = None,
    province: str | None = None,
    entity: str | None = None,
) -> list[dict[str, Any]]:
    """History rows read from the stored snapshots (see :func:`history_rows`)."""
    if every not in EVERY:  # refused before anything is read
        raise ValueError(f"--every must be one of {', '.join(EVERY)}")
    chosen = pick(coverage_store.snapshot_stamps(engine), every, since)
    rows = coverage_store.snapshot_rows(engine, chosen)
    snapshots = [(day_of(s.taken_at), cells_of(rows.get(s, []))) for s in chosen]
    return history_rows(snapshots, by, province=province, entity=entity)
