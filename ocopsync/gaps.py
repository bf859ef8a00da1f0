"""Gap lists: every product a platform is missing, and the one reason why.

A provincial officer sees "Voso 40.7%" and must know what to do about the other
59.3%: open a shop for a producer (``no_shop``), fill in the data the platform needs
(``blocked``), fix what the platform refused (``rejected``), restock
(``out_of_stock``), run a sync (``not_synced``) or look at an error (``failed``).
Products that were on the platform and were taken down because they stopped being
eligible (expired certificate, discontinued, below the shop's ``min_stars``) are listed
too, as ``unlisted`` with why: they are no longer in the coverage denominator, but an
officer planning re-evaluations wants to see them drop out.

So the rows are: eligible products not live on the platform (their count is
``eligible - listed`` of coverage), live listings showing zero units (a buyer finds
them and cannot order), and the ``unlisted`` ones. The reasons come from what the last
sync left: the listings table and the journal's newest create or relist of each
product (the platform's own code and message for a refusal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from ocopsync import catalog, coverage_store
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.registry import available_platforms
from ocopsync.coverage import enabled_by_platform, judging_stars
from ocopsync.coverage_store import LastAttempt, ListingState
from ocopsync.errors import ConfigError
from ocopsync.models import Product

REASONS = ("no_shop", "blocked", "rejected", "unlisted", "out_of_stock", "not_synced", "failed")
"""The fixed set, in the order tables and ``by_reason`` show them."""
_PRECEDENCE = ("out_of_stock", "rejected", "blocked", "failed", "not_synced")
"""When several shops of one platform cover a producer, the reason shown is the first of
these any of them gives: the one closest to a live listing, then the one a person must act on."""


@dataclass(frozen=True)
class Gap:
    sku: str
    name: str
    entity_code: str
    entity_name: str
    province: str
    district: str
    stars: int
    group: str
    reason: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _on(
    conn: ConnectionSettings, p: Product, state: ListingState | None, last: LastAttempt | None
) -> tuple[str, str] | None:
    """Why ``p`` is not live on ``conn`` (None when it is, with units to sell)."""
    name = conn.name
    if state is not None and state.remote_status == "live":
        if state.last_stock == 0:
            buffer = conn.policy.stock_buffer
            return (
                "out_of_stock",
                f"{name}: 0 units listed (master stock {p.stock}, buffer {buffer})",
            )
        return None
    if state is not None and state.remote_status == "rejected":
        return "rejected", f"{name}: the platform's review rejected the listing"
    if last is not None:
        if last.status == "failed":
            reason = "rejected" if last.error_kind == "rejected" else "failed"
            return reason, f"{name}: {last.error} (run {last.run_id})"
        if last.status == "skipped" and last.error_kind == "missing_data":
            return "blocked", f"{name}: {last.error} (run {last.run_id})"
        if last.status == "skipped":
            return "failed", f"{name}: {last.action} skipped: {last.error} (run {last.run_id})"
        if last.status in ("not_sent", "not_landed"):
            return "failed", f"{name}: run {last.run_id} stopped before the {last.action} landed"
    if state is not None and state.remote_status == "pending":
        return "not_synced", f"{name}: waiting for the platform's review"
    if state is not None:
        return (
            "not_synced",
            f"{name}: {state.remote_status} on the platform; the next sync relists it",
        )
    return "not_synced", f"{name}: no sync has listed it since it became eligible"


def find_gaps(
    platform: str,
    products: Iterable[Product],
    connections: Sequence[ConnectionSettings],
    states: Mapping[tuple[str, str], ListingState],
    attempts: Mapping[tuple[str, str], LastAttempt],
    names: Mapping[str, str],
    *,
    today: date,
) -> list[Gap]:
    """The gap rows of ``platform``; ``connections`` are its enabled ones. Pure."""
    out = []
    for p in products:
        covering = [c for c in connections if c.covers(p.entity_code)]
        ineligible = catalog.ineligibility_reason(p, min_stars=judging_stars(covering), today=today)
        found: tuple[str, str] | None
        if ineligible is not None:
            found = _taken_down(p, covering, states, today)
        elif not covering:
            found = "no_shop", f"no enabled {platform} connection covers producer {p.entity_code}"
        else:
            found = _best(p, covering, states, attempts, today)
        if found is not None:
            out.append(_gap(p, names, *found))
    return sorted(out, key=lambda g: (g.province, g.district, g.entity_code, g.sku))


def _taken_down(
    p: Product,
    covering: Sequence[ConnectionSettings],
    states: Mapping[tuple[str, str], ListingState],
    today: date,
) -> tuple[str, str] | None:
    for c in covering:
        state = states.get((c.name, p.sku))
        if state is not None and state.remote_status == "unlisted":
            why = catalog.ineligibility_reason(p, min_stars=c.policy.min_stars, today=today)
            return "unlisted", f"{c.name}: {why}"
    return None


def _best(
    p: Product,
    covering: Sequence[ConnectionSettings],
    states: Mapping[tuple[str, str], ListingState],
    attempts: Mapping[tuple[str, str], LastAttempt],
    today: date,
) -> tuple[str, str] | None:
    found = []
    for c in covering:
        if not catalog.is_eligible(p, min_stars=c.policy.min_stars, today=today):
            continue
        key = (c.name, p.sku)
        why = _on(c, p, states.get(key), attempts.get(key))
        if why is None:
            return None  # live with units on one shop of the platform: no gap
        found.append(why)
    return min(found, key=lambda w: _PRECEDENCE.index(w[0]), default=None)


def _gap(p: Product, names: Mapping[str, str], reason: str, detail: str) -> Gap:
    return Gap(
        sku=p.sku,
        name=p.name,
        entity_code=p.entity_code,
        entity_name=names.get(p.entity_code, ""),
        province=p.province,
        district=p.district,
        stars=p.stars,
        group=p.group,
        reason=reason,
        detail=detail,
    )


def by_reason(gaps: Iterable[Gap]) -> dict[str, int]:
    """Every reason of the fixed set with its count (0 included, so keys never vary)."""
    counts = dict.fromkeys(REASONS, 0)
    for g in gaps:
        counts[g.reason] += 1
    return counts


def _keep(p: Product, province: str | None, district: str | None, entity: str | None) -> bool:
    if province and catalog.fold(p.province) != catalog.fold(province):
        return False
    if district and catalog.fold(p.district) != catalog.fold(district):
        return False
    return not entity or p.entity_code == entity


def known_platform(settings: Settings, platform: str) -> str:
    """``platform`` normalised, or a ConfigError naming the ones there are."""
    name = platform.strip().lower()
    known = {c.platform for c in settings.connections} | set(available_platforms())
    if name not in known:
        raise ConfigError(f"unknown platform {platform!r} (known: {', '.join(sorted(known))})")
    return name


def gap_report(
    engine: Engine,
    settings: Settings,
    platform: str,
    *,
    today: date,
    province: str | None = None,
    district: str | None = None,
    entity: str | None = None,
) -> dict[str, Any]:
    """``{"platform", "rows": [...], "by_reason": {...}}`` as ``coverage gaps`` prints it."""
    platform = known_platform(settings, platform)
    conns = enabled_by_platform(settings).get(platform, [])
    products = [p for p in coverage_store.products(engine) if _keep(p, province, district, entity)]
    states = {(s.connection, s.sku): s for s in coverage_store.listing_states(engine)}
    attempts = coverage_store.last_attempts(engine, (c.name for c in conns))
    names = coverage_store.entity_names(engine)
    gaps = find_gaps(platform, products, conns, states, attempts, names, today=today)
    return {
        "platform": platform,
        "rows": [g.as_dict() for g in gaps],
        "by_reason": by_reason(gaps),
    }
