"""Reading past runs and their journal (``ocopsync runs list|show``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ocopsync.errors import CatalogError
from ocopsync.models import Operation, SyncRun, as_utc
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


def list_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    close_dead_runs(engine)  # never show a run "running" whose process is gone
    with Session(engine) as session:
        runs = session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)).all()
        return [run_row(r) for r in runs]


def show_run(engine: Engine, run_id: int, *, status: str | None = None) -> dict[str, Any]:
    close_dead_runs(engine)
    with Session(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise CatalogError(f"no run {run_id} (see `ocopsync runs list`)")
        query = select(Operation).where(Operation.run_id == run_id)
        if status:
            query = query.where(Operation.status == status)
        ops = session.exec(query.order_by(col(Operation.id))).all()
        return {
            **run_row(run),
            "summary": run.summary,
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
