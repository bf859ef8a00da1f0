"""Applying one connection's plan: batched calls, each operation journaled before and after.

Order matters for sellers: unlist first (stop selling what must not be sold), then
stock (lower stocks before anything else, so nothing oversells), then prices, then
relist, and creations last. A fatal error (bad key, authorization gone) stops this
connection only; the rest of its operations are journaled as skipped with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from ocopsync import faultpoints
from ocopsync.connectors.base import (
    Connector,
    ContentUpdates,
    ItemResult,
    ListingDraft,
    ListingStatus,
    PriceUpdate,
    RemoteListing,
    StatusChange,
    StockUpdate,
    chunked,
)
from ocopsync.content import content_of
from ocopsync.errors import (
    AuthExpiredError,
    ConnectorError,
    FatalConfigError,
    RejectedError,
    TransientError,
    unexpected_failure,
)
from ocopsync.i18n import _
from ocopsync.models import utcnow
from ocopsync.reconcile import Action, ConnectionPlan, PlannedOperation
from ocopsync.records import OpStatus, draft_from_dict
from ocopsync.store import ListingRow, journal_outcomes, journal_planned, journal_started

ProgressFn = Callable[[str, int], None]
"""Called with (connection name, operations just finished)."""

CREATE_CONCURRENCY = 4
"""Creations in flight at once per connection: enough to hide latency, gentle on quotas."""

ORDER = (
    Action.UNLIST,
    Action.UPDATE_STOCK,
    Action.UPDATE_PRICE,
    Action.RELIST,
    Action.CREATE,
    Action.UPDATE_CONTENT,
)
"""Stock and price first (what oversells and what loses money), content last."""


def error_kind(exc: BaseException) -> str:
    for cls, name in (
        (FatalConfigError, "fatal_config"),
        (AuthExpiredError, "auth_expired"),
        (RejectedError, "rejected"),
        (TransientError, "transient"),
    ):
        if isinstance(exc, cls):
            return name
    return "error"


@dataclass
class ConnectionOutcome:
    connection: str
    platform: str
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    error: str = ""
    stopped: bool = False
    requests: int = 0
    stale: int = 0
    """Operations of a saved plan whose precondition no longer held: not sent."""
    not_applied: int = 0
    """Writes the platform accepted but that did not take (read back)."""
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.stopped and self.applied == 0:
            return "failed"
        if self.failed or self.stopped or self.stale or self.not_applied:
            return "partial" if self.applied else "failed"
        return "succeeded"


@dataclass
class _Job:
    op: PlannedOperation
    op_id: int


class ConnectionApplier:
    """Runs one connection's operations and keeps its listing rows and journal true."""

    def __init__(
        self,
        *,
        engine: Engine,
        run_id: int,
        connector: Connector,
        plan: ConnectionPlan,
        listings: dict[str, ListingRow],
        progress: ProgressFn | None = None,
        stale: Sequence[tuple[PlannedOperation, str]] = (),
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.connector = connector
        self.plan = plan
        self.listings = listings
        self.progress = progress
        self.stale = stale
        self._written: list[_Job] = []
        """Writes the platform accepted, to read back once the connection is done."""
        self.outcome = ConnectionOutcome(plan.connection, plan.platform)
        self._jobs: list[_Job] = []
        self._variant_ids: dict[int, dict[str, RemoteListing]] = {}
        """Per create of variants, each variant as read back by its SKU."""
        self._sent: set[int] = set()
        """Operations journaled ``started`` or finished: the rest were never sent."""
        self._holding = False
        self._held: list[tuple[int, str, str, str]] = []
        self._held_rows: list[ListingRow] = []
        """Outcomes waiting for the next batch's commit (``_batches``)."""

    async def run(self) -> ConnectionOutcome:
        """Apply the plan; never raises for this connection's sake.

        An exception nobody planned for (a bug here or in a connector) stops this
        connection only: what was never sent is journaled skipped, what was started
        stays started for the next observation to resolve, and the others go on.
        """
        try:
            return await self._run()
        except Exception as exc:
            logging.getLogger(__name__).debug(
                "connection %s: apply stopped", self.plan.connection, exc_info=True
            )
            self.outcome.stopped = True
            self.outcome.error = unexpected_failure(_("could not apply the plan"), exc)
            unsent = [j for j in self._jobs if j.op_id not in self._sent]
            if unsent:
                self._skip_stopped(unsent)
            return self.outcome

    def _started(self, jobs: Sequence[_Job], rows: Sequence[ListingRow] = ()) -> None:
        held, held_rows = self._held, self._held_rows
        self._held, self._held_rows = [], []
        journal_started(
            self.engine, [j.op_id for j in jobs], rows, finished=held, finished_rows=held_rows
        )
        self._sent.update(j.op_id for j in jobs)

    def _flush_held(self) -> None:
        """Commit the outcomes held back for the next batch's commit (see ``_batches``)."""
        held, held_rows = self._held, self._held_rows
        self._held, self._held_rows, self._holding = [], [], False
        if held or held_rows:
            journal_outcomes(self.engine, held, held_rows)

    async def _run(self) -> ConnectionOutcome:
        if self.stale:
            journal_planned(
                self.engine,
                self.run_id,
                (
                    {**_journal_row(o), "status": OpStatus.STALE, "error": why}
                    for o, why in self.stale
                ),
            )
            self.outcome.stale = len(self.stale)
        ops = sorted(self.plan.operations, key=lambda o: ORDER.index(o.action))
        ids = journal_planned(self.engine, self.run_id, (_journal_row(o) for o in ops))
        jobs = [_Job(op, op_id) for op, op_id in zip(ops, ids, strict=True)]
        self._jobs = jobs
        caps = self.connector.capabilities
        for action in ORDER:
            batch = [j for j in jobs if j.op.action is action]
            if not batch:
                continue
            if self.outcome.stopped:
                self._skip_stopped(batch)
                continue
            if action is Action.CREATE:
                await self._creates(batch)
            elif action is Action.UPDATE_CONTENT:
                await self._content_updates(batch)
            elif action is Action.UPDATE_STOCK:
                size = caps.stock_batch if caps.stock_batch > 1 else caps.single_writes_in_flight
                await self._batches(batch, size, self._stock_call, self._stock_done)
            elif action is Action.UPDATE_PRICE:
                size = caps.price_batch if caps.price_batch > 1 else caps.single_writes_in_flight
                await self._batches(batch, size, self._price_call, self._price_done)
            else:
                await self._batches(batch, caps.status_batch, self._status_call, self._status_done)
        if self._written and not self.outcome.stopped:
            await self._verify()
        return self.outcome

    # -- read-back -------------------------------------------------------------------
    async def _verify(self) -> None:
        """Read back what the platform accepted: a value that did not take is
        ``not_applied`` (journaled with what was read) and the next sync tries again.

        Costs one read request per ``capabilities.read_batch`` written listings; a
        connector without a batch read (``read_batch = 0``) is not verified.
        """
        size = self.connector.capabilities.read_batch
        if size < 1:
            return
        ids = sorted({j.op.remote_id for j in self._written})
        shown: dict[str, RemoteListing] = {}
        for chunk in chunked(ids, size):
            try:
                shown.update(
                    (r.remote_id, r) for r in await self.connector.get_listings(list(chunk))
                )
            except ConnectorError as exc:  # unverified is not failed: the next run re-reads
                self.outcome.errors.append({"sku": "", "action": "verify", "error": str(exc)})
                return
        missed: list[tuple[_Job, str]] = []
        for job in self._written:
            why = _did_not_take(job.op, shown.get(job.op.remote_id))
            if why is not None:
                missed.append((job, why))
        rows = []
        for job, _why in missed:
            row = self._row(job.op.sku)
            seen = shown.get(job.op.remote_id)
            if seen is not None:  # what the platform really holds is the new baseline
                if job.op.action is Action.UPDATE_STOCK:
                    row.last_stock, row.booked_since_push = seen.stock, 0
                elif job.op.action is Action.UPDATE_PRICE:
                    row.last_price = seen.price
                else:
                    row.remote_status = seen.status.value
            rows.append(row)
        if missed:
            journal_outcomes(
                self.engine,
                [(j.op_id, OpStatus.NOT_APPLIED, why, "not_applied") for j, why in missed],
                rows,
            )
            self.outcome.not_applied += len(missed)
            self.outcome.applied -= len(missed)
            for job, why in missed[:20]:
                self.outcome.errors.append(
                    {"sku": job.op.sku, "action": job.op.action.value, "error": why}
                )

    # -- bookkeeping ---------------------------------------------------------------
    def _finish(
        self,
        jobs: Sequence[_Job],
        status: OpStatus,
        error: str,
        kind: str,
        rows: Sequence[ListingRow] = (),
    ) -> None:
        outcomes: list[tuple[int, str, str, str]] = [(j.op_id, status, error, kind) for j in jobs]
        if self._holding:  # committed with the next batch's start (or at the end)
            self._held.extend(outcomes)
            self._held_rows.extend(rows)
        else:
            journal_outcomes(self.engine, outcomes, rows)
        self._sent.update(j.op_id for j in jobs)
        count = len(jobs)
        if status is OpStatus.SUCCEEDED:
            self.outcome.applied += count
        elif status is OpStatus.FAILED:
            self.outcome.failed += count
            for j in jobs[:20]:
                self.outcome.errors.append(
                    {"sku": j.op.sku, "action": j.op.action.value, "error": error}
                )
        else:
            self.outcome.skipped += count
        if self.progress:
            self.progress(self.plan.connection, count)

    def _skip_stopped(self, jobs: Sequence[_Job]) -> None:
        why = _("connection stopped: {error}").format(error=self.outcome.error)
        self._finish(jobs, OpStatus.SKIPPED, why, "")

    def _fail_all(
        self, jobs: Sequence[_Job], exc: ConnectorError, rows: Sequence[ListingRow] = ()
    ) -> None:
        if isinstance(exc, FatalConfigError | AuthExpiredError):
            self.outcome.stopped = True
            self.outcome.error = str(exc)
        self._finish(jobs, OpStatus.FAILED, str(exc), error_kind(exc), rows)

    def _unsent_rows(self, jobs: Sequence[_Job], exc: ConnectorError) -> list[ListingRow]:
        """Stock writes the platform refused outright did not land: clear their pending.

        A transient failure (a timeout after sending) may have landed: its pending value
        stays for the next observation to resolve.
        """
        if isinstance(exc, TransientError):
            return []
        rows = []
        for job in jobs:
            row = self.listings.get(job.op.sku)
            if row is not None and row.pending_op_id == job.op_id:
                row.pending_stock, row.pending_op_id, row.pending_booked_base = None, None, 0
                rows.append(row)
        return rows

    def _row(self, sku: str) -> ListingRow:
        return self.listings[sku]

    # -- batched updates -------------------------------------------------------------
    async def _batches(
        self,
        jobs: list[_Job],
        size: int,
        call: Callable[[Sequence[_Job]], Awaitable[list[ItemResult]]],
        done: Callable[[_Job], None],
    ) -> None:
        """Send ``jobs`` in chunks of ``size``, one after the other.

        One commit per chunk: a chunk's outcomes are held and committed together with
        the next chunk's start (the last ones when the loop ends, however it ends). A
        platform with single-item writes (Shopee) made two commits per listing.
        """
        self._holding = True
        try:
            for chunk in chunked(jobs, size):
                if self.outcome.stopped:
                    self._skip_stopped(chunk)
                    continue
                try:  # each call journals its chunk as started just before sending it
                    results = await call(chunk)
                except ConnectorError as exc:
                    self._fail_all(chunk, exc, self._unsent_rows(chunk, exc))
                    continue
                self._record(chunk, results, done)
        finally:
            self._flush_held()

    def _record(
        self, chunk: Sequence[_Job], results: list[ItemResult], done: Callable[[_Job], None]
    ) -> None:
        by_key = {(r.sku, r.remote_id): r for r in results}
        ok: list[_Job] = []
        rows: list[ListingRow] = []
        for job in chunk:
            result = by_key.get((job.op.sku, job.op.remote_id))
            if result is None:
                self._finish(
                    [job], OpStatus.FAILED, "the platform's answer left this item out", "transient"
                )
            elif result.error is not None:
                self._fail_all([job], result.error, self._unsent_rows([job], result.error))
            else:
                done(job)
                ok.append(job)
                rows.append(self._row(job.op.sku))
        if ok:
            self._finish(ok, OpStatus.SUCCEEDED, "", "", rows)
            self._written.extend(ok)

    async def _stock_call(self, chunk: Sequence[_Job]) -> list[ItemResult]:
        rows = []
        for job in chunk:
            row = self._row(job.op.sku)
            row.pending_stock = _wanted(job.op, "stock")
            row.pending_op_id = job.op_id
            row.pending_booked_base = row.booked_since_push
            rows.append(row)
        # Started and pending in one commit: a crash after it leaves the outcome known to
        # be unknown, never a write sent with no trace of it.
        self._started(chunk, rows)
        faultpoints.reach("apply.stock_pending_committed")
        results = await self.connector.update_stocks(
            [StockUpdate(j.op.remote_id, j.op.sku, _wanted(j.op, "stock")) for j in chunk]
        )
        faultpoints.reach("apply.stock_sent")
        return results

    def _stock_done(self, job: _Job) -> None:
        row = self._row(job.op.sku)
        row.last_stock = _wanted(job.op, "stock")
        row.booked_since_push -= row.pending_booked_base
        row.pending_stock, row.pending_op_id, row.pending_booked_base = None, None, 0

    async def _price_call(self, chunk: Sequence[_Job]) -> list[ItemResult]:
        self._started(chunk)
        return await self.connector.update_prices(
            [PriceUpdate(j.op.remote_id, j.op.sku, _wanted(j.op, "price")) for j in chunk]
        )

    def _price_done(self, job: _Job) -> None:
        self._row(job.op.sku).last_price = _wanted(job.op, "price")

    async def _status_call(self, chunk: Sequence[_Job]) -> list[ItemResult]:
        self._started(chunk)
        return await self.connector.set_status(
            [
                StatusChange(
                    j.op.remote_id,
                    j.op.sku,
                    ListingStatus.LIVE if j.op.action is Action.RELIST else ListingStatus.UNLISTED,
                )
                for j in chunk
            ]
        )

    def _status_done(self, job: _Job) -> None:
        self._row(job.op.sku).remote_status = (
            "live" if job.op.action is Action.RELIST else "unlisted"
        )

    # -- content -----------------------------------------------------------------
    async def _content_updates(self, jobs: list[_Job]) -> None:
        """One update call per listing (no platform batches content); the fingerprints
        sent are recorded on every variant row of the listing, so siblings do not ask
        for the same update again."""
        updater = self.connector
        for job in jobs:
            if self.outcome.stopped:
                self._skip_stopped([job])
                continue
            if not isinstance(updater, ContentUpdates):
                self._finish([job], OpStatus.SKIPPED, "no content updates here", "")
                continue
            draft = draft_from_dict(dict(job.op.desired["listing"]))
            fields = [str(f) for f in job.op.desired.get("fields", ())]
            self._started([job])
            try:
                await updater.update_content(job.op.remote_id, draft, fields)
            except ConnectorError as exc:
                self._fail_all([job], exc)
                continue
            wanted = {str(k): str(v) for k, v in dict(job.op.desired["content"]).items()}
            rows = []
            for sku in [job.op.sku, *job.op.desired.get("siblings", ())]:
                row = self.listings.get(str(sku))
                if row is not None:
                    row.content_sent = wanted
                    rows.append(row)
            self._finish([job], OpStatus.SUCCEEDED, "", "", rows)

    # -- creations ---------------------------------------------------------------
    async def _creates(self, jobs: list[_Job]) -> None:
        for job in (j for j in jobs if j.op.blocked):
            self._finish(
                [job], OpStatus.SKIPPED, "missing: " + "; ".join(job.op.blocked), "missing_data"
            )
        ready = [j for j in jobs if not j.op.blocked]
        semaphore = asyncio.Semaphore(CREATE_CONCURRENCY)
        for chunk in chunked(ready, 50):
            if self.outcome.stopped:
                self._skip_stopped(chunk)
                continue
            self._started(chunk)
            # Every create runs to its end before one that crashed stops the connection:
            # what was created is recorded, and no task is left running behind it.
            results = await asyncio.gather(
                *(self._create_one(j, semaphore) for j in chunk), return_exceptions=True
            )
            faultpoints.reach("apply.create_sent")
            created = [
                (j, rid)
                for j, rid in zip(chunk, results, strict=True)
                if isinstance(rid, str) and rid
            ]
            rows = [row for j, rid in created for row in self._created_rows(j, rid)]
            if rows:
                self._finish([j for j, _ in created], OpStatus.SUCCEEDED, "", "", rows)
                faultpoints.reach("apply.created_recorded")
            crashed = [r for r in results if isinstance(r, BaseException)]
            if crashed:
                raise crashed[0]

    async def _create_one(self, job: _Job, semaphore: asyncio.Semaphore) -> str | None:
        draft = self._priced_draft(job)
        async with semaphore:
            if self.outcome.stopped:
                self._skip_stopped([job])
                return None
            try:
                created = await self.connector.create_listing(draft)
                if draft.variants:
                    await self._learn_variants(job, draft)
                return created
            except RejectedError as exc:
                # A duplicate SKU means the listing exists (made by hand, or by a run that
                # crashed before recording it): adopt it instead of failing.
                try:
                    probe = draft.variants[0].sku if draft.variants else draft.sku
                    existing = await self.connector.find_by_sku(probe)
                except ConnectorError:
                    existing = None
                if existing is not None:
                    if draft.variants:
                        await self._learn_variants(job, draft)
                    return existing.group_id or existing.remote_id
                self._fail_all([job], exc)
            except ConnectorError as exc:
                self._fail_all([job], exc)
            return None

    def _priced_draft(self, job: _Job) -> ListingDraft:
        """The listing exactly as the plan priced it: apply never re-applies the policy."""
        return draft_from_dict(dict(job.op.desired["listing"]))

    async def _learn_variants(self, job: _Job, draft: ListingDraft) -> None:
        """Read each created variant by its SKU: its own id is what its writes need.

        A variant not found now is adopted by the next observation, by its SKU.
        """
        found: dict[str, RemoteListing] = {}
        for variant in draft.variants:
            try:
                seen = await self.connector.find_by_sku(variant.sku)
            except ConnectorError:
                seen = None
            if seen is not None:
                found[variant.sku] = seen
        self._variant_ids[job.op_id] = found

    def _created_rows(self, job: _Job, remote_id: str) -> list[ListingRow]:
        """The listing rows a create makes: one, or one per variant found."""
        draft = self._priced_draft(job)
        if not draft.variants:
            return [self._created_row(job, remote_id)]
        found = self._variant_ids.get(job.op_id, {})
        rows = []
        for variant in draft.variants:
            seen = found.get(variant.sku)
            if seen is None:
                continue
            single = replace(draft, sku=variant.sku, price=variant.price, stock=variant.stock)
            rows.append(self._row_for(variant.sku, seen.remote_id, single))
        return rows

    def _created_row(self, job: _Job, remote_id: str) -> ListingRow:
        return self._row_for(job.op.sku, remote_id, self._priced_draft(job))

    def _row_for(self, sku: str, remote_id: str, draft: ListingDraft) -> ListingRow:
        row = self.listings.get(sku) or ListingRow(
            connection=self.plan.connection,
            platform=self.plan.platform,
            sku=sku,
            remote_id=remote_id,
            seller_sku=sku,
        )
        row.remote_id = remote_id
        row.last_price = draft.price
        row.last_stock = draft.stock
        row.booked_since_push = 0
        row.pending_stock, row.pending_op_id, row.pending_booked_base = None, None, 0
        row.remote_status = "live"
        row.last_seen = utcnow()
        row.content_sent = content_of(draft)
        self.listings[sku] = row
        return row


def _text(value: int | str | None) -> str:
    return "" if value is None else str(value)


def _journal_row(op: PlannedOperation) -> dict[str, object]:
    return {
        "connection": op.connection,
        "platform": op.platform,
        "sku": op.sku,
        "action": op.action.value,
        "from_value": _text(op.from_value),
        "to_value": _text(op.to_value),
        "desired": dict(op.desired),
    }


def _did_not_take(op: PlannedOperation, seen: RemoteListing | None) -> str | None:
    """Why an accepted write is not what the platform now shows (None: it took)."""
    if seen is None:
        return "accepted, but the listing is not there when read back"
    if op.action is Action.UPDATE_PRICE and seen.price != op.desired.get("price"):
        return f"accepted, but the platform still shows price {seen.price}"
    if op.action is Action.UPDATE_STOCK and seen.stock != op.desired.get("stock"):
        return f"accepted, but the platform still shows stock {seen.stock}"
    if op.action in (Action.UNLIST, Action.RELIST) and seen.status.value != op.desired.get(
        "status"
    ):
        return f"accepted, but the platform still shows status {seen.status.value}"
    return None


def _wanted(op: PlannedOperation, key: str) -> int:
    """A typed value the plan holds for ``op`` (a plan without it is a bug, never a 0)."""
    value = op.desired.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"the plan holds no whole {key} for {op.action.value} {op.sku}")
    return value
