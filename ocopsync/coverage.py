"""Coverage: the share of eligible products in scope that are live on each platform.

A province asks "how many of our certified products can a buyer find on Voso?", so
the denominator is every eligible product of the catalog, whether or not a shop of
that platform covers its producer yet (a product covered by a connection is judged
by that connection's ``min_stars``), and a product counts as *listed* when it is live
on one of the platform's connections. Figures come from the listings table as the last sync left it;
after each sync the finest-grain counts are stored as a snapshot for history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync import catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.models import CoverageSnapshot, Listing, Product

BASELINE_STARS = 3
"""The lowest OCOP rating: every certified product is a candidate for every platform."""
DIMENSIONS = ("platform", "province", "district", "stars", "group", "entity")
_GRAIN = ("province", "district", "stars", "group", "entity")


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


def cells(engine: Engine, settings: Settings, *, today: date) -> list[Cell]:
    """Finest-grain eligible/listed counts per platform, from the catalog and listings."""
    with Session(engine) as session:
        products = list(session.exec(select(Product)).all())
        live = session.exec(
            select(Listing.connection, Listing.sku).where(Listing.remote_status == "live")
        ).all()
    live_by_conn: dict[str, set[str]] = defaultdict(set)
    for conn_name, sku in live:
        live_by_conn[conn_name].add(sku)
    eligible: dict[str, set[str]] = defaultdict(set)
    listed: dict[str, set[str]] = defaultdict(set)
    by_platform: dict[str, list[ConnectionSettings]] = defaultdict(list)
    for conn in settings.connections:
        if conn.enabled:
            by_platform[conn.platform].append(conn)
    for platform, conns in by_platform.items():
        eligible.setdefault(platform, set())
        for p in products:
            covering = [c for c in conns if c.covers(p.entity_code)]
            # A product no shop of this platform covers still counts against the platform
            # (at the OCOP baseline of 3 stars): it is exactly the gap a province wants closed.
            min_stars = min((c.policy.min_stars for c in covering), default=BASELINE_STARS)
            if catalog.ineligibility_reason(p, min_stars=min_stars, today=today) is not None:
                continue
            eligible[platform].add(p.sku)
            if any(p.sku in live_by_conn[c.name] for c in covering):
                listed[platform].add(p.sku)
    by_sku = {p.sku: p for p in products}
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for platform, skus in eligible.items():
        if not skus:
            counts[(platform, "", "", 0, "", "")]  # a platform with nothing eligible still shows
        for sku in skus:
            p = by_sku[sku]
            key = (platform, p.province, p.district, p.stars, p.group, p.entity_code)
            counts[key][0] += 1
            if sku in listed[platform]:
                counts[key][1] += 1
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


def aggregate(
    rows: Iterable[Cell], by: str, *, province: str | None = None, entity: str | None = None
) -> list[dict[str, Any]]:
    """Rows of ``{"platform", <by>, "eligible", "listed", "share"}``, share in 0..1."""
    if by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}")
    totals: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
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
    out = []
    for key, (eligible, listed) in sorted(totals.items(), key=lambda kv: tuple(map(str, kv[0]))):
        row: dict[str, Any] = {"platform": key[0]}
        if by == "district":
            row["province"], row["district"] = key[1], key[2]
        elif by != "platform":
            row[by] = key[1]
        row.update(
            eligible=eligible, listed=listed, share=round(listed / eligible, 4) if eligible else 0.0
        )
        out.append(row)
    return out


def take_snapshot(engine: Engine, settings: Settings, *, run_id: int | None, today: date) -> int:
    """Store the finest-grain counts; coverage history is read from these rows."""
    rows = cells(engine, settings, today=today)
    with Session(engine) as session:
        session.add_all(
            CoverageSnapshot(
                run_id=run_id,
                platform=c.platform,
                province=c.province,
                district=c.district,
                stars=c.stars,
                group=c.group,
                entity_code=c.entity,
                eligible=c.eligible,
                listed=c.listed,
            )
            for c in rows
        )
        session.commit()
    return len(rows)
