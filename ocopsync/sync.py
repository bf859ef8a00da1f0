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
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from ocopsync import coverage, faultpoints
from ocopsync.apply import ConnectionApplier, ConnectionOutcome, ProgressFn
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.base import (
    ConnectorContext,
    TokenStore,
)
from ocopsync.connectors.registry import connector_class
from ocopsync.discovery_refresh import facts_for, refresh_for_creates
from ocopsync.errors import (
    ConfigError,
    ConnectorError,
    LockedError,
    OcopsyncError,
    run_stopped,
    unexpected_failure,
)
from ocopsync.i18n import _
from ocopsync.models import as_utc, utcnow
from ocopsync.observe_store import order_cursor
from ocopsync.plan_file import SavedPlan, stale_reason
from ocopsync.planning import CatalogView, OpenConnection, plan_all, prepare
from ocopsync.reconcile import ConnectionPlan, PlannedOperation
from ocopsync.records import RunStatus, SalesSource
from ocopsync.stock import StockSettlement, index_remote
from ocopsync.store import (
    RUN_LEASE,
    DbTokenStore,
    abandon_planned,
    acquire_lock,
    close_dead_runs,
    finish_run,
    record_connections,
    release_lock,
    renew_lease,
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
    saved_plan: SavedPlan | None = None
    """Apply exactly these operations (``sync --plan FILE``); None plans afresh."""


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
    stale: int = 0
    not_applied: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per step (fetch, read, discovery, plan, apply, snapshot): where a slow run's time
    went, kept in the run's summary."""

    @property
    def nothing_could_be_done(self) -> bool:
        return bool(self.connections) and all(
            c["status"] == "failed" and c.get("error") and not c.get("planned")
            for c in self.connections
        )


def select_connections(settings: Settings, request: SyncRequest) -> list[ConnectionSettings]:
    if request.saved_plan is not None:
        return [settings.connection(p.connection) for p in request.saved_plan.plans]
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
        if what:
            raise ConfigError(
                _("no enabled connection matching {what} in the config").format(what=what)
            )
        raise ConfigError(_("no enabled connection in the config"))
    return chosen


async def run(
    engine: Engine, settings: Settings, request: SyncRequest, harness: Harness | None = None
) -> SyncResult:
    harness = harness or Harness()
    chosen = select_connections(settings, request)
    run_id = None
    close_dead_runs(engine)
    if request.apply:
        record_connections(engine, chosen)
        run_id = start_run(
            engine,
            kind="sync",
            trigger=request.trigger,
            summary={"connections": [c.name for c in chosen]},
        )
        faultpoints.reach("run.started")
    opened = [_open(c, engine, harness) for c in chosen]
    lease = LeaseKeeper(engine, run_id) if run_id is not None else None
    clock = PhaseClock()
    try:
        if run_id is not None:
            for o in opened:
                _lock(engine, o, run_id)
        reading = await _fetch_all(engine, opened, request)
        clock.lap("fetch")
        view = (
            await reading
            if reading is not None
            else prepare(engine, opened, request.entity, request.today)
        )
        clock.lap("read")
        await refresh_for_creates(engine, opened, view.products)
        for o in opened:
            o.facts = facts_for(engine, o)
        clock.lap("discovery")
        planned = plan_all(engine, opened, view, persist=request.apply, run_id=run_id)
        clock.lap("plan")
        settlements = planned.settlements
        stale: dict[str, list[tuple[PlannedOperation, str]]] = {}
        if request.saved_plan is not None:
            stale = _take_saved_plan(request.saved_plan, opened, planned.offered)
        if harness.on_plan:
            harness.on_plan({o.settings.name: len(o.plan.operations) for o in opened if o.plan})
        outcomes: dict[str, ConnectionOutcome] = {}
        if run_id is not None:
            results = await asyncio.gather(
                *(
                    ConnectionApplier(
                        engine=engine,
                        run_id=run_id,
                        connector=o.connector,
                        plan=o.plan,
                        listings=o.listings,
                        progress=harness.progress,
                        stale=stale.get(o.settings.name, ()),
                    ).run()
                    for o in opened
                    if o.plan is not None and o.connector is not None
                )
            )
            outcomes = {r.connection: r for r in results}
            clock.lap("apply")
            coverage.take_snapshot(engine, settings, run_id=run_id, today=request.today)
            clock.lap("snapshot")
        faultpoints.reach("run.before_finish")
        return _finish(engine, run_id, opened, outcomes, settlements, clock.laps)
    except BaseException as exc:
        if run_id is not None:  # whatever escaped, the run is closed, never left running
            logging.getLogger(__name__).debug("run %s stopped", run_id, exc_info=True)
            abandon_planned(engine, run_id, run_stopped(exc))
            finish_run(
                engine,
                run_id,
                status=RunStatus.FAILED,
                applied=0,
                failed=0,
                skipped=0,
                summary={
                    "error": run_stopped(exc),
                    "connections": [
                        {"connection": o.settings.name, "error": o.error} for o in opened
                    ],
                },
                only_if_running=True,
            )
        raise
    finally:
        if lease is not None:
            lease.stop()
        for o in opened:
            if o.connector is not None:
                await o.connector.aclose()
            if o.locked and run_id is not None:
                release_lock(engine, o.settings.name, run_id)


def _take_saved_plan(
    saved: SavedPlan, opened: list[OpenConnection], offered: Mapping[str, int]
) -> dict[str, list[tuple[PlannedOperation, str]]]:
    """Put the reviewed operations in place of the fresh plans, keeping back every one
    whose precondition no longer holds (stale: journaled, never sent, never re-planned)."""
    by_name = {p.connection: p for p in saved.plans}
    stale: dict[str, list[tuple[PlannedOperation, str]]] = {}
    for o in opened:
        reviewed = by_name.get(o.settings.name)
        if o.plan is None or reviewed is None or o.remote is None:
            continue
        remote = index_remote(o.remote, {})
        keep = []
        for op in reviewed.operations:
            why = stale_reason(op, remote.get(op.sku), offered.get(op.sku))
            if why is None:
                keep.append(op)
            else:
                stale.setdefault(o.settings.name, []).append((op, why))
        o.plan = replace(o.plan, operations=tuple(keep))
    return stale


def _open(conn: ConnectionSettings, engine: Engine, harness: Harness) -> OpenConnection:
    """The connector of one connection; whatever goes wrong building it is this
    connection's error (its config, or a bug in a third-party connector), never the run's."""
    opened = OpenConnection(conn)
    try:
        ctx = ConnectorContext(
            settings=conn,
            credentials=conn.resolved_credentials(harness.environ),
            token_store=harness.token_store or DbTokenStore(engine, harness.environ),
            transport=harness.transport,
            retry_wait_scale=harness.retry_wait_scale,
            max_attempts=harness.max_attempts,
        )
        opened.connector = connector_class(conn.platform)(ctx)
    except (ConfigError, ConnectorError) as exc:
        opened.error = str(exc)
    except Exception as exc:
        opened.error = unexpected_failure(_("could not open the connection"), exc)
        logging.getLogger(__name__).debug("connection %s", conn.name, exc_info=True)
    return opened


def _lock(engine: Engine, opened: OpenConnection, run_id: int) -> None:
    if opened.connector is None:
        return
    try:
        acquire_lock(engine, opened.settings.name, run_id)
        opened.locked = True
    except LockedError as exc:
        opened.error = str(exc)


ORDER_OVERLAP = timedelta(minutes=15)
"""Each orders read starts this long before the last one ended: a platform that shows an
order late, or a clock that differs from ours, loses no order (lines are deduplicated)."""


def sales_source(opened: OpenConnection) -> SalesSource:
    """Orders where the connector reads them, unless the config says ``sales_from``."""
    assert opened.connector is not None
    wanted = str(opened.settings.options.get("sales_from", "")).strip().lower()
    if wanted == SalesSource.STOCK or not opened.connector.capabilities.orders:
        return SalesSource.STOCK
    return SalesSource.ORDERS


async def _fetch_all(
    engine: Engine, opened: list[OpenConnection], request: SyncRequest
) -> asyncio.Future[CatalogView] | None:
    """Fetch every connection at once; once the first is done, read our own database in
    a thread beside the others (None when nothing was left to overlap).

    Why not from the start: while every connection's pages come in, the event loop is
    busy parsing them, and a thread only takes the GIL from it (measured at 6,000
    products: no wall time gained, 0.5 s more CPU). Once the first connection is done,
    the rest are mostly waiting on the network: a national run's slowest connections
    read one page after the other for several seconds more. Measured nationally with
    the sandbox on the same two cores, the gain is small (no-op 18.9 s -> 18.3-18.5 s):
    the read's 2 s of CPU slowed those connections' answers by as much, since the
    sandbox needs a core too; against remote platforms it does not (not measured here).
    """
    fetching = [asyncio.ensure_future(_fetch(o, engine)) for o in opened]
    reading: asyncio.Future[CatalogView] | None = None
    try:
        waiting = set(fetching)
        while waiting:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # _fetch keeps a connection's errors; anything else escapes
            if reading is None and waiting:
                reading = asyncio.ensure_future(
                    asyncio.to_thread(prepare, engine, opened, request.entity, request.today)
                )
    except BaseException:
        for task in fetching:
            task.cancel()
        await asyncio.gather(*fetching, return_exceptions=True)
        if reading is not None:  # never left running behind a failed run
            await asyncio.gather(reading, return_exceptions=True)
        raise
    return reading


async def _fetch(opened: OpenConnection, engine: Engine) -> None:
    """Read one connection's listings (and orders). Whatever fails is this connection's
    error: the others go on, since each runs in its own task of one ``gather``."""
    if opened.connector is None or opened.error:
        return
    try:
        opened.source = sales_source(opened)
        until = utcnow()
        opened.remote = [listing async for listing in opened.connector.list_listings()]
    except OcopsyncError as exc:  # a connector's error, or a token store's (wrong key)
        opened.remote = None
        opened.error = _("could not read listings: {error}").format(error=exc)
        return
    except Exception as exc:
        opened.remote = None
        opened.error = unexpected_failure(_("could not read listings"), exc)
        logging.getLogger(__name__).debug("connection %s", opened.settings.name, exc_info=True)
        return
    if opened.source is SalesSource.ORDERS:
        await _fetch_orders(opened, engine, until)


async def _fetch_orders(opened: OpenConnection, engine: Engine, until: datetime) -> None:
    """Order lines updated since the last read (less the overlap), up to ``until``.

    The first read of a shop reads nothing: it starts tracking, and the catalog's
    figure counts every order before it. A failed read fails the connection: guessing
    sales from stock instead would count the same sales again once orders are read.
    """
    assert opened.connector is not None
    cursor = order_cursor(engine, opened.settings.name)
    opened.orders_until = until
    if cursor is None:
        opened.tracking_since, opened.order_lines = until, []
        return
    opened.tracking_since = as_utc(cursor.tracking_since)
    since = (as_utc(cursor.watermark) or until) - ORDER_OVERLAP
    http = getattr(opened.connector, "http", None)
    before = getattr(http, "requests_sent", 0)
    try:
        opened.order_lines = [
            line async for line in opened.connector.list_order_lines(since, until)
        ]
    except OcopsyncError as exc:
        opened.remote = None
        opened.error = _("could not read orders: {error}").format(error=exc)
    except Exception as exc:
        opened.remote = None
        opened.error = unexpected_failure(_("could not read orders"), exc)
        logging.getLogger(__name__).debug("connection %s", opened.settings.name, exc_info=True)
    finally:
        opened.order_requests = getattr(http, "requests_sent", 0) - before


class PhaseClock:
    """Wall seconds per step of a run, in order (a monotonic clock)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._mark
        self._mark = now


class LeaseKeeper:
    """Renews a run's lease (and its locks) from a thread while the run works, so a run
    on another machine that dies stops renewing and is recognised as dead."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease:{run_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        interval = RUN_LEASE.total_seconds() / 5
        while not self._stop.wait(interval):
            try:
                renew_lease(self.engine, self.run_id)
            except OperationalError:  # a busy database: the next beat tries again
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _finish(
    engine: Engine,
    run_id: int | None,
    opened: list[OpenConnection],
    outcomes: Mapping[str, ConnectionOutcome],
    settlements: Mapping[str, StockSettlement],
    phases: Mapping[str, float],
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
            "sales_from": o.source.value,
            "order_lines": len(o.order_lines or ()),
            "order_requests": o.order_requests,
        }
        if out is not None:
            entry.update(
                status=out.status,
                applied=out.applied,
                failed=out.failed,
                skipped=out.skipped,
                stale=out.stale,
                not_applied=out.not_applied,
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
        entry.setdefault("stale", 0)
        entry.setdefault("not_applied", 0)
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
        stale=sum(c["stale"] for c in connections),
        not_applied=sum(c["not_applied"] for c in connections),
        phases=dict(phases),
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
                "returned": dict(s.returned),
                "drift": dict(s.drift),
                "unexplained": dict(s.unexplained),
                "uncertain": dict(s.uncertain),
                "held": s.held,
            }
            for s in result.settlements.values()
        ],
        "orphans": sum(len(p.orphans) for p in result.plans),
        "adoptions": sum(len(p.adoptions) for p in result.plans),
        "phases_s": {name: round(seconds, 3) for name, seconds in result.phases.items()},
    }
