"""Reading past runs and their journal (``ocopsync runs list|show``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ocopsync.errors import CatalogError
from ocopsync.i18n import _
from ocopsync.models import Operation, SyncRun, as_utc
from ocopsync.records import OpStatus
from ocopsync.store import close_dead_runs


def _when(value: Any) -> str | None:
    moment = as_utc(value)
    return moment.isoformat(timespec="seconds") if moment else None


def run_row(run: SyncRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "kind": run.kind,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": _when(run.started_at),
        "finished_at": _when(run.finished_at),
        "applied": run.applied,
        "failed": run.failed,
        "skipped": run.skipped,
    }


def connection_outcomes(summary: Mapping[str, Any], run_status: str) -> list[dict[str, Any]]:
    """Each connection's outcome in a run, from its summary.

    A finished run records one entry per connection with its status and error (a wrong
    signature fails the connection before any operation is journaled, so the journal
    alone would show nothing). A run that died, or stopped on an unexpected error,
    recorded only the names, or nothing: each named connection then shares the run's
    status, with the run's error if it has one.
    """
    entries = summary.get("connections")
    if not isinstance(entries, list):
        return []
    error = str(summary.get("error", ""))
    outcomes: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            outcomes.append(
                {
                    "connection": str(entry.get("connection", "")),
                    "platform": str(entry.get("platform", "")),
                    "status": str(entry.get("status", "")),
                    "applied": int(entry.get("applied", 0) or 0),
                    "failed": int(entry.get("failed", 0) or 0),
                    "skipped": int(entry.get("skipped", 0) or 0),
                    "error": str(entry.get("error", "") or ""),
                }
            )
        else:
            outcomes.append(
                {
                    "connection": str(entry),
                    "platform": "",
                    "status": run_status,
                    "applied": 0,
                    "failed": 0,
                    "skipped": 0,
                    "error": error,
                }
            )
    return outcomes


def list_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    close_dead_runs(engine)  # never show a run "running" whose process is gone
    with Session(engine) as session:
        runs = session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)).all()
        return [run_row(r) for r in runs]


def show_run(
    engine: Engine, run_id: int, *, status: OpStatus | str | None = None
) -> dict[str, Any]:
    close_dead_runs(engine)
    with Session(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise CatalogError(
                _("no run {run_id} (see `ocopsync runs list`)").format(run_id=run_id)
            )
        query = select(Operation).where(Operation.run_id == run_id)
        if status:
            query = query.where(Operation.status == str(status))
        ops = session.exec(query.order_by(col(Operation.id))).all()
        summary = dict(run.summary or {})
        return {
            **run_row(run),
            "summary": summary,
            "connections": connection_outcomes(summary, run.status),
            "operations": [
                {
                    "connection": o.connection,
                    "platform": o.platform,
                    "sku": o.sku,
                    "action": o.action,
                    "from": o.from_value,
                    "to": o.to_value,
                    "status": o.status,
                    "error": o.error,
                    "error_kind": o.error_kind,
                }
                for o in ops
            ],
        }
