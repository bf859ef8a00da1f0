"""OCOP certificates about to expire, and where each of those products is live now.

A certificate is valid 36 months; an expired product must be re-evaluated and drops
out of every platform at the next sync. Decision 148/QĐ-TTg asks provinces to review
products before they expire, so this is the list an officer works from: what expires
within N days (today included, by the Vietnamese calendar), whose it is, and on which
platforms a buyer will stop finding it. ``coverage --at DATE`` gives the coverage that
follows if none is renewed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from ocopsync import catalog, coverage_store
from ocopsync.config import Settings
from ocopsync.coverage_store import ListingState
from ocopsync.models import Product

DEFAULT_WITHIN = 90


@dataclass(frozen=True)
class Expiring:
    sku: str
    name: str
    entity_code: str
    entity_name: str
    province: str
    district: str
    stars: int
    group: str
    expires_on: date
    days_left: int
    live_on: tuple[str, ...]
    """Platforms where the product is live now (sorted)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "entity_code": self.entity_code,
            "entity_name": self.entity_name,
            "province": self.province,
            "district": self.district,
            "stars": self.stars,
            "group": self.group,
            "expires_on": self.expires_on.isoformat(),
            "days_left": self.days_left,
            "live_on": list(self.live_on),
        }


def live_platforms(
    states: Iterable[ListingState], platform_of: Mapping[str, str]
) -> dict[str, set[str]]:
    """SKU -> the platforms it is live on (a connection's platform from the config first)."""
    out: dict[str, set[str]] = defaultdict(set)
    for s in states:
        if s.remote_status == "live":
            out[s.sku].add(platform_of.get(s.connection, s.platform))
    return dict(out)


def expiring(
    products: Iterable[Product],
    live: Mapping[str, set[str]],
    names: Mapping[str, str],
    *,
    today: date,
    within: int = DEFAULT_WITHIN,
    province: str | None = None,
) -> list[Expiring]:
    """Active products whose certificate ends between today and today + ``within`` days."""
    if within < 0:
        raise ValueError("--within must be 0 or more days")
    until = today + timedelta(days=within)
    out = []
    for p in products:
        if p.status != "active" or not today <= p.expires_on <= until:
            continue
        if province and catalog.fold(p.province) != catalog.fold(province):
            continue
        out.append(
            Expiring(
                sku=p.sku,
                name=p.name,
                entity_code=p.entity_code,
                entity_name=names.get(p.entity_code, ""),
                province=p.province,
                district=p.district,
                stars=p.stars,
                group=p.group,
                expires_on=p.expires_on,
                days_left=(p.expires_on - today).days,
                live_on=tuple(sorted(live.get(p.sku, ()))),
            )
        )
    return sorted(out, key=lambda e: (e.expires_on, e.province, e.entity_code, e.sku))


def certificate_report(
    engine: Engine,
    settings: Settings,
    *,
    today: date,
    within: int = DEFAULT_WITHIN,
    province: str | None = None,
) -> dict[str, Any]:
    """``{"today", "within", "until", "rows": [...]}`` as ``ocopsync certificates`` prints it."""
    platform_of = {c.name: c.platform for c in settings.connections}
    live = live_platforms(coverage_store.listing_states(engine), platform_of)
    rows = expiring(
        coverage_store.products(engine),
        live,
        coverage_store.entity_names(engine),
        today=today,
        within=within,
        province=province,
    )
    return {
        "today": today.isoformat(),
        "within": within,
        "until": (today + timedelta(days=within)).isoformat(),
        "rows": [r.as_dict() for r in rows],
    }
