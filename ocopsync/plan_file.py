"""Saved plans: what a person reviewed, written to a file and applied exactly, later.

Terraform's lesson: the plan is the contract. A plan file holds every operation with its
typed desired values and the preconditions they were computed from, bound to one
database (its identity) and stamped with its creation time and the catalog's
fingerprint. ``sync --plan FILE`` applies those operations and nothing else; one whose
precondition no longer holds is reported ``stale`` and not sent, never re-planned.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ocopsync.connectors.base import ListingStatus, RemoteListing
from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.models import OcopsyncMeta, Product, as_utc, utcnow
from ocopsync.reconcile import Action, Adoption, ConnectionPlan, PlannedOperation

FORMAT_VERSION = 1
DEFAULT_MAX_AGE = timedelta(hours=24)


def database_id(engine: Engine) -> str:
    """This database's identity, made once: a plan made on one database never lands on
    another (a copy for testing, another cooperative's)."""
    with Session(engine) as session:
        row = session.get(OcopsyncMeta, "database_id")
        if row is not None:
            return row.value
        session.add(OcopsyncMeta(key="database_id", value=str(uuid.uuid4())))
        try:
            session.commit()
        except IntegrityError:  # another process made it first: use theirs
            session.rollback()
        found = session.get(OcopsyncMeta, "database_id")
        assert found is not None
        return found.value


def catalog_fingerprint(engine: Engine) -> str:
    """A digest of the catalog as planned (prices, stock, status, certificates...)."""
    digest = hashlib.sha256()
    table = Product.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        for row in conn.execute(select(table).order_by(table.c.sku)):
            values = {k: v for k, v in row._asdict().items() if k != "updated_at"}
            digest.update(json.dumps(values, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class SavedPlan:
    database_id: str
    created_at: datetime
    catalog_fingerprint: str
    plans: tuple[ConnectionPlan, ...]

    def operations(self) -> list[PlannedOperation]:
        return [op for plan in self.plans for op in plan.operations]


def _op_json(op: PlannedOperation) -> dict[str, Any]:
    return {
        "sku": op.sku,
        "action": op.action.value,
        "from": op.from_value,
        "to": op.to_value,
        "remote_id": op.remote_id,
        "reason": op.reason,
        "desired": dict(op.desired),
        "precondition": dict(op.precondition),
        "blocked": list(op.blocked),
    }


def write_plan(
    path: Path, plans: Sequence[ConnectionPlan], *, database: str, fingerprint: str
) -> SavedPlan:
    saved = SavedPlan(database, utcnow(), fingerprint, tuple(plans))
    document = {
        "format": "ocopsync-plan",
        "version": FORMAT_VERSION,
        "database_id": saved.database_id,
        "created_at": saved.created_at.isoformat(),
        "catalog_fingerprint": saved.catalog_fingerprint,
        "connections": [
            {
                "connection": p.connection,
                "platform": p.platform,
                "operations": [_op_json(op) for op in p.operations],
                "adoptions": [{"sku": a.sku, "remote_id": a.remote_id} for a in p.adoptions],
            }
            for p in plans
        ],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return saved


def read_plan(path: Path) -> SavedPlan:
    """Parse a plan file; anything but a plan this version wrote is a ConfigError."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            _("{path}: not a readable plan file ({why})").format(path=path, why=exc)
        ) from exc
    if not isinstance(doc, dict) or doc.get("format") != "ocopsync-plan":
        raise ConfigError(_("{path}: not an ocopsync plan file").format(path=path))
    if doc.get("version") != FORMAT_VERSION:
        raise ConfigError(
            _(
                "{path}: plan format version {found}; this ocopsync reads version "
                "{version}: make the plan again"
            ).format(path=path, found=repr(doc.get("version")), version=FORMAT_VERSION)
        )
    try:
        plans = tuple(
            ConnectionPlan(
                connection=str(c["connection"]),
                platform=str(c["platform"]),
                operations=tuple(
                    PlannedOperation(
                        connection=str(c["connection"]),
                        platform=str(c["platform"]),
                        sku=str(o["sku"]),
                        action=Action(o["action"]),
                        from_value=o["from"],
                        to_value=o["to"],
                        remote_id=str(o["remote_id"]),
                        reason=str(o["reason"]),
                        desired=dict(o["desired"]),
                        precondition=dict(o["precondition"]),
                        blocked=tuple(str(b) for b in o["blocked"]),
                    )
                    for o in c["operations"]
                ),
                adoptions=tuple(
                    Adoption(str(c["connection"]), str(c["platform"]), a["sku"], a["remote_id"])
                    for a in c["adoptions"]
                ),
            )
            for c in doc["connections"]
        )
        created = as_utc(datetime.fromisoformat(doc["created_at"]))
        assert created is not None
        return SavedPlan(str(doc["database_id"]), created, str(doc["catalog_fingerprint"]), plans)
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise ConfigError(
            _("{path}: the plan file is damaged ({why})").format(path=path, why=exc)
        ) from exc


def check_usable(saved: SavedPlan, *, database: str, max_age: timedelta, path: Path) -> None:
    """Refuse a plan made on another database, or older than ``max_age``."""
    if saved.database_id != database:
        raise ConfigError(
            _("{path} was made on another database: make the plan again here").format(path=path)
        )
    age = utcnow() - saved.created_at
    if age > max_age:
        hours = age.total_seconds() / 3600
        raise ConfigError(
            _("{path} is {hours} h old (--max-age {limit} h): make the plan again").format(
                path=path, hours=f"{hours:.1f}", limit=f"{max_age.total_seconds() / 3600:g}"
            )
        )


def stale_reason(
    op: PlannedOperation, remote: RemoteListing | None, offered_master: int | None
) -> str | None:
    """Why ``op``'s precondition no longer holds (None: it holds and it may be sent)."""
    pre: Mapping[str, Any] = op.precondition
    if op.action is Action.CREATE:
        if remote is not None:
            return f"{op.sku} is listed now ({remote.remote_id})"
        if offered_master != pre.get("master"):
            return f"master stock {pre.get('master')} -> {offered_master}"
        return None
    if remote is None or remote.remote_id != op.remote_id:
        return "the listing is no longer on the platform"
    if op.action is Action.UPDATE_PRICE and remote.price != pre.get("price"):
        return f"platform price {pre.get('price')} -> {remote.price}"
    if op.action is Action.UPDATE_STOCK:
        if remote.stock != pre.get("stock"):
            return f"platform stock {pre.get('stock')} -> {remote.stock}"
        if offered_master != pre.get("master"):
            return f"master stock {pre.get('master')} -> {offered_master}"
    if op.action in (Action.UNLIST, Action.RELIST):
        status = remote.status.value if isinstance(remote.status, ListingStatus) else remote.status
        if status != pre.get("status"):
            return f"platform status {pre.get('status')} -> {status}"
    return None
