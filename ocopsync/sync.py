"""Plan and sync: read the catalog and every connection's listings, reconcile, apply.

The steps, each journaled or reported:

1. open the selected connections (one connector and HTTP client each) and take their
   locks (apply only), so two cron jobs never work one shop at once;
2. fetch every connection's listings concurrently; a connection that cannot be read
   is reported failed and left out, the others go on;
3. settle stock (units sold on each platform leave the master stock), then plan each
   connection with :mod:`ocopsync.reconcile`;
4. apply each connection's plan concurrently (:mod:`ocopsync.apply`), store a
   coverage snapshot, and write the run summary.

``plan`` runs steps 1-3 without writing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Engine

from ocopsync import coverage
from ocopsync.apply import ConnectionApplier, ConnectionOutcome, ProgressFn
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.base import (
    ConnectorContext,
    TokenStore,
)
from ocopsync.connectors.registry import connector_class
from ocopsync.errors import ConfigError, ConnectorError, LockedError
from ocopsync.planning import OpenConnection, load_products, plan_all, settled_drafts
from ocopsync.reconcile import (
    ConnectionPlan,
    StockSettlement,
)
from ocopsync.store import (
    DbTokenStore,
    acquire_lock,
    finish_run,
    record_connections,
    release_lock,
    start_run,
)


@dataclass(frozen=True)
class SyncRequest:
    """What the user asked for: which connections, and whether to write."""

    today: date
    platform: str | None = None
    entity: str | None = None
    connection: str | None = None
    apply: bool = True
    trigger: str = "cli"


@dataclass
class Harness:
    """How connectors are built; tests and the demo inject a sandbox transport here."""

    transport: httpx.AsyncBaseTransport | None = None
    token_store: TokenStore | None = None
    retry_wait_scale: float = 1.0
    max_attempts: int = 5
    progress: ProgressFn | None = None
    on_plan: Callable[[dict[str, int]], None] | None = None
    """Called with operations per connection once planned (to size a progress bar)."""
    environ: Mapping[str, str] | None = None


@dataclass
class SyncResult:
    run_id: int | None
    status: str
    plans: list[ConnectionPlan]
    settlements: dict[str, StockSettlement]
    blocked: dict[str, dict[str, list[str]]]
    connections: list[dict[str, Any]]
    applied: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def nothing_could_be_done(self) -> bool:
        return bool(self.connections) and all(
            c["status"] == "failed" and not c.get("planned") for c in self.connections
        )


def select_connections(settings: Settings, request: SyncRequest) -> list[ConnectionSettings]:
    chosen = settings.select(platform=request.platform, connection=request.connection)
    if request.entity:
        chosen = [c for c in chosen if c.covers(request.entity)]
    if not chosen:
        what = ", ".join(
            f"{k}={v}"
            for k, v in (
                ("platform", request.platform),
                ("entity", request.entity),
                ("connection", request.connection),
            )
            if v
        )
        where = f" matching {what}" if what else ""
        raise ConfigError(f"no enabled connection{where} in the config")
    return chosen


async def run(
    engine: Engine, settings: Settings, request: SyncRequest, harness: Harness | None = None
) -> SyncResult:
    harness = harness or Harness()
    chosen = select_connections(settings, request)
    run_id = None
    if request.apply:
        record_connections(engine, chosen)
        run_id = start_run(
            engine,
            kind="sync",
            trigger=request.trigger,
            summary={"connections": [c.name for c in chosen]},
        )
    opened = [_open(c, engine, harness) for c in chosen]
    try:
        if run_id is not None:
            for o in opened:
                _lock(engine, o, run_id)
        await asyncio.gather(*(_fetch(o) for o in opened))
        products = load_products(engine, request.entity)
        settlements = plan_all(engine, opened, products, request.today, persist=request.apply)
        if harness.on_plan:
            harness.on_plan({o.settings.name: len(o.plan.operations) for o in opened if o.plan})
        outcomes: dict[str, ConnectionOutcome] = {}
        if run_id is not None:
            drafts = settled_drafts(products, settlements)
            results = await asyncio.gather(
                *(
                    ConnectionApplier(
                        engine=engine,
                        run_id=run_id,
                        connector=o.connector,
                        plan=o.plan,
                        policy=o.settings.policy,
                        drafts=drafts,
                        listings=o.listings,
                        blocked=o.blocked,
                        progress=harness.progress,
                    ).run()
                    for o in opened
                    if o.plan is not None and o.connector is not None
                )
            )
            outcomes = {r.connection: r for r in results}
            coverage.take_snapshot(engine, settings, run_id=run_id, today=request.today)
        return _finish(engine, run_id, opened, outcomes, settlements)
    finally:
        for o in opened:
            if o.connector is not None:
                await o.connector.aclose()
            if o.locked and run_id is not None:
                release_lock(engine, o.settings.name, run_id)


def _open(conn: ConnectionSettings, engine: Engine, harness: Harness) -> OpenConnection:
    opened = OpenConnection(conn)
    try:
        ctx = ConnectorContext(
            settings=conn,
            credentials=conn.resolved_credentials(harness.environ),
            token_store=harness.token_store or DbTokenStore(engine),
            transport=harness.transport,
            retry_wait_scale=harness.retry_wait_scale,
            max_attempts=harness.max_attempts,
        )
        opened.connector = connector_class(conn.platform)(ctx)
    except (ConfigError, ConnectorError) as exc:
        opened.error = str(exc)
    return opened


def _lock(engine: Engine, opened: OpenConnection, run_id: int) -> None:
    if opened.connector is None:
        return
    try:
        acquire_lock(engine, opened.settings.name, run_id)
        opened.locked = True
    except LockedError as exc:
        opened.error = str(exc)


async def _fetch(opened: OpenConnection) -> None:
    if opened.connector is None or opened.error:
        return
    try:
        opened.remote = [listing async for listing in opened.connector.list_listings()]
    except ConnectorError as exc:
        opened.error = f"could not read listings: {exc}"


def _finish(
    engine: Engine,
    run_id: int | None,
    opened: list[OpenConnection],
    outcomes: Mapping[str, ConnectionOutcome],
    settlements: Mapping[str, StockSettlement],
) -> SyncResult:
    connections = []
    for o in opened:
        out = outcomes.get(o.settings.name)
        plan = o.plan
        entry: dict[str, Any] = {
            "connection": o.settings.name,
            "platform": o.settings.platform,
            "planned": len(plan.operations) if plan else 0,
            "adoptions": len(plan.adoptions) if plan else 0,
            "orphans": len(plan.orphans) if plan else 0,
            "unchanged": plan.unchanged if plan else 0,
            "blocked": len(o.blocked),
        }
        if out is not None:
            entry.update(
                status=out.status,
                applied=out.applied,
                failed=out.failed,
                skipped=out.skipped,
                error=out.error,
                errors=out.errors,
            )
        elif o.error:
            entry.update(
                status="failed", applied=0, failed=0, skipped=0, error=o.error, planned=0, errors=[]
            )
        else:
            entry.update(status="planned", applied=0, failed=0, skipped=0, error="", errors=[])
        if o.connector is not None:
            http = getattr(o.connector, "http", None)
            entry["requests"] = getattr(http, "requests_sent", 0)
        connections.append(entry)
    applied = sum(c["applied"] for c in connections)
    failed = sum(c["failed"] for c in connections)
    skipped = sum(c["skipped"] for c in connections)
    any_failed = any(c["status"] in ("failed", "partial") for c in connections)
    if not any_failed and failed == 0:
        status = "succeeded"
    elif applied == 0 and all(c["status"] == "failed" for c in connections):
        status = "failed"
    else:
        status = "partial"
    result = SyncResult(
        run_id=run_id,
        status=status,
        plans=[o.plan for o in opened if o.plan is not None],
        settlements=dict(settlements),
        blocked={o.settings.name: o.blocked for o in opened if o.blocked},
        connections=connections,
        applied=applied,
        failed=failed,
        skipped=skipped,
    )
    if run_id is not None:
        finish_run(
            engine,
            run_id,
            status=status,
            applied=applied,
            failed=failed,
            skipped=skipped,
            summary=summary_of(result),
        )
    return result


def summary_of(result: SyncResult) -> dict[str, Any]:
    return {
        "connections": result.connections,
        "stock_settlements": [
            {
                "sku": s.sku,
                "master_before": s.master_before,
                "master_after": s.master_after,
                "sold": dict(s.sold),
                "drift": dict(s.drift),
            }
            for s in result.settlements.values()
        ],
        "orphans": sum(len(p.orphans) for p in result.plans),
        "adoptions": sum(len(p.adoptions) for p in result.plans),
    }
