"""Coverage: the share of eligible products in scope that are live on each platform.

A province asks "how many of our certified products can a buyer find on Voso?", so
the denominator is every eligible product of the catalog, whether or not a shop of
that platform covers its producer yet (a product covered by a connection is judged
by that connection's ``min_stars``), and a product counts as *listed* when it is live
on one of the platform's connections. Figures come from the listings table as the last
sync left it; after each sync the finest-grain counts are stored as a snapshot for
history (:mod:`ocopsync.coverage_history`), and targets come from
:mod:`ocopsync.coverage_targets`.

``cells`` takes a ``today``: given a future date it is the forecast of what coverage
will be then if no certificate is renewed (``coverage --at``), because eligibility is
by date and listings are judged against it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from ocopsync import catalog, coverage_store
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.models import utcnow

BASELINE_STARS = 3
"""The lowest OCOP rating: every certified product is a candidate for every platform."""
DIMENSIONS = ("platform", "province", "district", "stars", "group", "entity")


@dataclass(frozen=True)
class Cell:
    """Counts for one platform at the finest grain: province, district, stars, group, entity."""

    platform: str
    province: str
    district: str
    stars: int
    group: str
    entity: str
    eligible: int
    listed: int


def enabled_by_platform(settings: Settings) -> dict[str, list[ConnectionSettings]]:
    """The enabled connections of each platform: a disabled shop serves nobody."""
    by_platform: dict[str, list[ConnectionSettings]] = defaultdict(list)
    for conn in settings.connections:
        if conn.enabled:
            by_platform[conn.platform].append(conn)
    return dict(by_platform)


def judging_stars(covering: Sequence[ConnectionSettings]) -> int:
    """The ``min_stars`` a product is judged by on a platform.

    A product no shop of the platform covers still counts against it at the OCOP
    baseline of 3 stars: it is exactly the gap a province wants closed.
    """
    return min((c.policy.min_stars for c in covering), default=BASELINE_STARS)


class Countable(catalog.Certifiable, Protocol):
    """What a cell counts of a product: eligibility, and the cell it falls in.

    :class:`~ocopsync.models.Product` fits, and so does the lighter
    :class:`~ocopsync.coverage_store.CellProduct` that snapshots read.
    """

    @property
    def sku(self) -> str: ...
    @property
    def province(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def entity_code(self) -> str: ...


def cells(engine: Engine, settings: Settings, *, today: date) -> list[Cell]:
    """Finest-grain eligible/listed counts per platform, from the catalog and listings.

    Two selects of the columns counted (no ORM object per product or listing): this
    runs after every sync, over the whole catalog.
    """
    live = coverage_store.live_skus(engine)
    return compute_cells(coverage_store.cell_products(engine), live, settings, today=today)


def compute_cells(
    products: Sequence[Countable],
    live_by_conn: Mapping[str, set[str]],
    settings: Settings,
    *,
    today: date,
) -> list[Cell]:
    """The pure part of :func:`cells`: products and live SKUs per connection in, cells out."""
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for platform, conns in sorted(enabled_by_platform(settings).items()):
        any_eligible = False
        for p in products:
            covering = [c for c in conns if c.covers(p.entity_code)]
            min_stars = judging_stars(covering)
            if catalog.ineligibility_reason(p, min_stars=min_stars, today=today) is not None:
                continue
            any_eligible = True
            key = (platform, p.province, p.district, p.stars, p.group, p.entity_code)
            counts[key][0] += 1
            if any(p.sku in live_by_conn.get(c.name, ()) for c in covering):
                counts[key][1] += 1
        if not any_eligible:
            counts[(platform, "", "", 0, "", "")]  # a platform with nothing eligible still shows
    return [
        Cell(
            platform=k[0],
            province=k[1],
            district=k[2],
            stars=k[3],
            group=k[4],
            entity=k[5],
            eligible=e,
            listed=n,
        )
        for k, (e, n) in sorted(counts.items())
    ]


@dataclass(frozen=True)
class Rollup:
    """One aggregated row and the provinces its products are in (targets are per province)."""

    row: dict[str, Any]
    provinces: frozenset[str]


def rollup(
    rows: Iterable[Cell], by: str, *, province: str | None = None, entity: str | None = None
) -> list[Rollup]:
    """Cells summed by ``by`` (platform first), filtered by province and entity."""
    if by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}")
    totals: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    provinces: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for c in rows:
        if province and catalog.fold(c.province) != catalog.fold(province):
            continue
        if entity and c.entity != entity:
            continue
        key: tuple[Any, ...] = (c.platform,)
        if by == "district":  # district names repeat across provinces (Châu Thành...)
            key = (c.platform, c.province, c.district)
        elif by != "platform":
            key = (c.platform, getattr(c, by))
        if c.eligible == 0 and by != "platform":
            continue
        totals[key][0] += c.eligible
        totals[key][1] += c.listed
        if c.province:
            provinces[key].add(c.province)
    out = []
    for key, (eligible, listed) in sorted(totals.items(), key=lambda kv: tuple(map(str, kv[0]))):
        row: dict[str, Any] = {"platform": key[0]}
        if by == "district":
            row["province"], row["district"] = key[1], key[2]
        elif by != "platform":
            row[by] = key[1]
        row.update(eligible=eligible, listed=listed, share=share(listed, eligible))
        out.append(Rollup(row, frozenset(provinces[key])))
    return out


def aggregate(
    rows: Iterable[Cell], by: str, *, province: str | None = None, entity: str | None = None
) -> list[dict[str, Any]]:
    """Rows of ``{"platform", <by>, "eligible", "listed", "share"}``, share in 0..1."""
    return [r.row for r in rollup(rows, by, province=province, entity=entity)]


def share(listed: int, eligible: int) -> float:
    return round(listed / eligible, 4) if eligible else 0.0


def with_names(rows: Iterable[dict[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each row with ``entity_name`` right after ``entity``: no output shows a bare code."""
    out = []
    for row in rows:
        if "entity" not in row:
            out.append(row)
            continue
        named: dict[str, Any] = {}
        for key, value in row.items():
            named[key] = value
            if key == "entity":
                named["entity_name"] = names.get(value, "")
        out.append(named)
    return out


def take_snapshot(
    engine: Engine,
    settings: Settings,
    *,
    run_id: int | None,
    today: date,
    taken_at: datetime | None = None,
) -> int:
    """Store the finest-grain counts, then keep only the last snapshot of each day.

    Every row of one snapshot carries the same ``taken_at``, so a snapshot is one set of
    rows; compacting here keeps the table at one snapshot a day however often syncs run.
    """
    rows = cells(engine, settings, today=today)
    at = taken_at or utcnow()
    coverage_store.insert_snapshot(
        engine,
        [
            (
                run_id,
                at,
                c.platform,
                c.province,
                c.district,
                c.stars,
                c.group,
                c.entity,
                c.eligible,
                c.listed,
            )
            for c in rows
        ],
    )
    from ocopsync.coverage_history import compact  # history reads Cells: imported here, no cycle

    compact(engine)
    return len(rows)
