"""What needs a person: the one overview behind ``ocopsync status``.

An operator runs ``ocopsync status || mail ...`` from cron, so the verdict must be a
plain yes or no (exit 3 or 0) with each reason named in one line. Everything here is
pure over rows read once by :func:`read_rows`, and takes the clock as ``now``, so the
rules are tested as tables with no database clock and no sleeping.

What needs attention, per enabled connection:

- no recorded run, failed runs in a row (a failed or interrupted run, with the reason),
  or a last run that was only partial;
- no successful sync for longer than ``stale_after`` (the schedule stopped running);
- the shop authorization (for shops a seller authorizes, Shopee and Lazada: the
  refresh token, or the access token when there is none) expiring within
  :data:`WARN_DAYS` days, as Haravan warns a week ahead; a seller must act before it
  lapses. Access tokens alone never warn: they are renewed by the refresh token or,
  for key-based platforms (Sendo, Postmart), by logging in again with the keys;
- open problems: ``not_applied``, ``stale`` and ``uncertain`` operations of the
  connection's last run (a later run plans them again, so older ones are settled),
  units held after lost writes (``listing.uncertain_units``) and stock drops no order
  explains (in the last run's stock settlements). An ``uncertain`` write is marked so on
  the run that sent it, by the next run's observation; it needs a person exactly while
  units are held for it, and those show as kind ``held`` (one the evidence settled
  left none, or left a drop, shown as ``unexplained``).

And per producer: OCOP certificates of active products expiring within
:data:`CERTIFICATE_DAYS` days (today included), by the Vietnamese calendar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ocopsync.held_stock import held_listings
from ocopsync.i18n import _
from ocopsync.models import Credential, Entity, Operation, Product, SyncRun, as_utc
from ocopsync.records import OpStatus, RunStatus
from ocopsync.runs import connection_outcomes
from ocopsync.store import close_dead_runs

WARN_DAYS = 7
"""Warn this many days before a shop authorization lapses (Haravan's expiry e-mail)."""
CERTIFICATE_DAYS = 30
"""Name certificates that expire within this many days: time to renew before unlisting."""
STALE_AFTER = timedelta(hours=36)
"""No successful sync for this long means the nightly schedule is not running (a night
and half a day of slack); ``status --stale-after`` changes it for other schedules."""
RUN_WINDOW = 100
"""How many recent runs are read: failures in a row are counted, and the last success
looked for, within them (a hundred nights is past any useful alarm)."""

OPEN_OPERATION_STATUSES = (
    OpStatus.NOT_APPLIED.value,
    OpStatus.STALE.value,
    OpStatus.UNCERTAIN.value,
)
"""Journal outcomes that need a person: a write that did not take, a saved-plan
operation whose precondition changed, a lost write the evidence could not decide."""

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Certificates expire by the Vietnamese calendar; Vietnam has no daylight saving time."""

_SUCCESS = frozenset({RunStatus.SUCCEEDED.value, RunStatus.PARTIAL.value})
_FAILURE = frozenset({RunStatus.FAILED.value, RunStatus.INTERRUPTED.value})


# -- rows ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionRef:
    """An enabled connection of the config, and whether a seller authorizes its shop."""

    name: str
    platform: str
    seller_authorized: bool = False
    """True where tokens come from a seller's authorization (OAuth code exchange)."""


@dataclass(frozen=True)
class RunRow:
    id: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class CredentialRow:
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    has_refresh_token: bool


@dataclass(frozen=True)
class OperationRow:
    run_id: int
    connection: str
    sku: str
    action: str
    status: str
    detail: str


@dataclass(frozen=True)
class HeldRow:
    connection: str
    sku: str
    units: int
    detail: str


@dataclass(frozen=True)
class CertificateRow:
    sku: str
    name: str
    entity_code: str
    entity_name: str
    expires_on: date


@dataclass(frozen=True)
class StatusRows:
    """Everything :func:`assess` reads; runs newest first, none still running."""

    runs: Sequence[RunRow] = ()
    credentials: Mapping[str, CredentialRow] | None = None
    operations: Sequence[OperationRow] = ()
    held: Sequence[HeldRow] = ()
    certificates: Sequence[CertificateRow] = ()


def vietnam_today(now: datetime) -> date:
    return now.astimezone(VIETNAM).date()


def read_rows(engine: Engine, now: datetime, *, run_window: int = RUN_WINDOW) -> StatusRows:
    """Read what :func:`assess` needs in one pass (and close runs whose process died
    first, so a killed run counts as interrupted instead of running)."""
    close_dead_runs(engine)
    today = vietnam_today(now)
    with Session(engine) as session:
        runs = session.exec(
            select(SyncRun)
            .where(col(SyncRun.status) != RunStatus.RUNNING.value)
            .order_by(col(SyncRun.id).desc())
            .limit(run_window)
        ).all()
        run_rows = [
            RunRow(r.id, r.status, as_utc(r.started_at), as_utc(r.finished_at), r.summary or {})
            for r in runs
            if r.id is not None
        ]
        operations: list[OperationRow] = []
        if run_rows:
            ops = session.exec(
                select(Operation).where(
                    col(Operation.run_id) >= min(r.id for r in run_rows),
                    col(Operation.status).in_(OPEN_OPERATION_STATUSES),
                )
            ).all()
            operations = [
                OperationRow(o.run_id, o.connection, o.sku, o.action, o.status, o.error)
                for o in ops
            ]
        credentials = {
            c.connection: CredentialRow(
                as_utc(c.access_expires_at), as_utc(c.refresh_expires_at), bool(c.refresh_token)
            )
            for c in session.exec(select(Credential)).all()
        }
        expiring = session.exec(
            select(Product, Entity)
            .join(Entity, col(Entity.code) == col(Product.entity_code))
            .where(
                col(Product.status) == "active",
                col(Product.expires_on) >= today,
                col(Product.expires_on) <= today + timedelta(days=CERTIFICATE_DAYS),
            )
            .order_by(col(Product.expires_on), col(Product.sku))
        ).all()
        certificates = [
            CertificateRow(p.sku, p.name, p.entity_code, e.name or p.entity_code, p.expires_on)
            for p, e in expiring
        ]
    held = [HeldRow(h.connection, h.sku, h.units, h.detail) for h in held_listings(engine)]
    return StatusRows(run_rows, credentials, operations, held, certificates)


# -- the verdict --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Outcome:
    run: RunRow
    status: str
    failed: int
    error: str


def _outcome(run: RunRow, connection: str) -> _Outcome | None:
    """What ``run`` did for ``connection`` (None: the run did not include it).

    A run that stopped on an unexpected error may have recorded no connection at all;
    it then counts against every connection, since which ones it touched is unknown
    and a person should look either way.
    """
    entries = connection_outcomes(run.summary, run.status)
    for entry in entries:
        if entry["connection"] == connection:
            return _Outcome(run, entry["status"], entry["failed"], entry["error"])
    if entries or run.status not in _FAILURE:
        return None
    reason = str(run.summary.get("error", "")) or _("the run recorded no connection")
    return _Outcome(run, run.status, 0, reason)


def _days(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    return round((moment - now).total_seconds() / 86400, 1) + 0.0  # never -0.0


def _hours(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    return round((now - moment).total_seconds() / 3600, 1) + 0.0


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _problems(name: str, last: _Outcome | None, rows: StatusRows) -> list[dict[str, Any]]:
    """Open problems of one connection, in the documented ``open_problems`` shape."""
    problems: list[dict[str, Any]] = []
    if last is not None:
        for op in rows.operations:
            if op.connection == name and op.run_id == last.run.id:
                problems.append(
                    {
                        "kind": op.status,
                        "sku": op.sku,
                        "action": op.action,
                        "run_id": op.run_id,
                        "units": None,
                        "detail": op.detail,
                    }
                )
        for settlement in last.run.summary.get("stock_settlements", []) or []:
            units = (settlement.get("unexplained") or {}).get(name)
            if units:
                problems.append(
                    {
                        "kind": "unexplained",
                        "sku": settlement.get("sku", ""),
                        "action": None,
                        "run_id": last.run.id,
                        "units": int(units),
                        "detail": _("stock fell by {units} with no order to explain it").format(
                            units=units
                        ),
                    }
                )
    for held in rows.held:
        if held.connection == name and held.units:
            problems.append(
                {
                    "kind": "held",
                    "sku": held.sku,
                    "action": None,
                    "run_id": None,
                    "units": held.units,
                    "detail": held.detail,
                }
            )
    return problems


def _authorization_expiry(ref: ConnectionRef, cred: CredentialRow | None) -> datetime | None:
    if not ref.seller_authorized or cred is None:
        return None
    return cred.refresh_expires_at if cred.has_refresh_token else cred.access_expires_at


def assess_connection(
    ref: ConnectionRef,
    rows: StatusRows,
    now: datetime,
    *,
    stale_after: timedelta = STALE_AFTER,
) -> tuple[dict[str, Any], list[str]]:
    """One connection's status entry and the attention lines it raises."""
    outcomes = [o for r in rows.runs if (o := _outcome(r, ref.name)) is not None]
    last = outcomes[0] if outcomes else None
    success = next((o for o in outcomes if o.status in _SUCCESS), None)
    success_at = (success.run.finished_at or success.run.started_at) if success else None
    in_a_row = 0
    for o in outcomes:
        if o.status not in _FAILURE:
            break
        in_a_row += 1
    cred = (rows.credentials or {}).get(ref.name)
    token_at = cred.access_expires_at if cred else None
    problems = _problems(ref.name, last, rows)
    entry = {
        "connection": ref.name,
        "platform": ref.platform,
        "last_run_id": last.run.id if last else None,
        "last_status": last.status if last else None,
        "last_success_at": _iso(success_at),
        "hours_since_success": _hours(success_at, now),
        "failed_runs_in_a_row": in_a_row,
        "token_expires_in_days": _days(token_at, now),
        "authorization_expires_in_days": _days(_authorization_expiry(ref, cred), now),
        "open_problems": problems,
    }
    return entry, _connection_attention(ref, entry, last, cred, stale_after)


def _connection_attention(
    ref: ConnectionRef,
    entry: Mapping[str, Any],
    last: _Outcome | None,
    cred: CredentialRow | None,
    stale_after: timedelta,
) -> list[str]:
    name = ref.name
    lines: list[str] = []
    if last is None:
        lines.append(
            _("{name}: no sync has run for it yet (ocopsync sync --connection {name})").format(
                name=name
            )
        )
    elif entry["failed_runs_in_a_row"]:
        lines.append(
            _("{name}: failed {n} run(s) in a row; last, run {run_id}: {reason}").format(
                name=name,
                n=entry["failed_runs_in_a_row"],
                run_id=last.run.id,
                reason=last.error or last.status,
            )
        )
    elif last.status == RunStatus.PARTIAL.value:
        lines.append(
            _(
                "{name}: run {run_id} was partial, {n} operation(s) failed "
                "(ocopsync runs show {run_id} --status failed)"
            ).format(name=name, run_id=last.run.id, n=last.failed)
        )
    hours = entry["hours_since_success"]
    limit = stale_after.total_seconds() / 3600
    if last is not None and not entry["failed_runs_in_a_row"] and (hours is None or hours > limit):
        lines.append(
            _(
                "{name}: no successful sync for more than {limit:g} hours: is the schedule running?"
            ).format(name=name, limit=limit)
        )
    lines += _credential_attention(ref, entry, cred)
    lines += _problem_attention(name, entry["open_problems"])
    return lines


def _credential_attention(
    ref: ConnectionRef, entry: Mapping[str, Any], cred: CredentialRow | None
) -> list[str]:
    if not ref.seller_authorized:
        return []
    name = ref.name
    if cred is None:
        return [
            _(
                "{name}: the shop is not authorized yet (ocopsync connections authorize {name})"
            ).format(name=name)
        ]
    days = entry["authorization_expires_in_days"]
    if days is None or days > WARN_DAYS:
        return []
    if days <= 0:
        return [
            _(
                "{name}: the shop authorization expired {days:g} day(s) ago: the seller must "
                "authorize again (ocopsync connections authorize {name})"
            ).format(name=name, days=-days)
        ]
    return [
        _(
            "{name}: the shop authorization expires in {days:g} day(s): the seller must "
            "authorize again before then (ocopsync connections authorize {name})"
        ).format(name=name, days=days)
    ]


def _problem_attention(name: str, problems: Sequence[Mapping[str, Any]]) -> list[str]:
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for p in problems:
        by_kind.setdefault(p["kind"], []).append(p)
    lines: list[str] = []
    for kind, items in by_kind.items():
        skus = ", ".join(sorted({str(p["sku"]) for p in items}))
        run_id = items[0]["run_id"]
        if kind == "held":
            lines.append(
                _(
                    "{name}: {units} unit(s) held back after lost writes ({skus}): decide with "
                    "ocopsync stock resolve SKU --connection {name} --sold|--kept"
                ).format(name=name, units=sum(int(p["units"]) for p in items), skus=skus)
            )
        elif kind == "unexplained":
            lines.append(
                _(
                    "{name}: stock fell with no order to explain it ({skus}): explain with "
                    "ocopsync stock confirm SKU --connection {name} --lost|--restore"
                ).format(name=name, skus=skus)
            )
        else:
            lines.append(
                _(
                    "{name}: {n} operation(s) {kind} in run {run_id} ({skus}) "
                    "(ocopsync runs show {run_id} --status {kind})"
                ).format(name=name, n=len(items), kind=kind, run_id=run_id, skus=skus)
            )
    return lines


def assess_certificates(rows: StatusRows, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """Certificates expiring soon, one entry per producer, and one attention line each."""
    today = vietnam_today(now)
    producers: dict[str, dict[str, Any]] = {}
    for c in rows.certificates:
        days_left = (c.expires_on - today).days
        if not 0 <= days_left <= CERTIFICATE_DAYS:
            continue
        producer = producers.setdefault(
            c.entity_code,
            {"entity_code": c.entity_code, "entity_name": c.entity_name, "products": []},
        )
        producer["products"].append(
            {
                "sku": c.sku,
                "name": c.name,
                "expires_on": c.expires_on.isoformat(),
                "days_left": days_left,
            }
        )
    entries = sorted(
        producers.values(),
        key=lambda p: (min(x["days_left"] for x in p["products"]), p["entity_code"]),
    )
    lines = []
    for p in entries:
        products = sorted(p["products"], key=lambda x: (x["days_left"], x["sku"]))
        p["products"] = products
        lines.append(
            _(
                "{entity_name} ({entity_code}): {n} OCOP certificate(s) expire within {days} "
                "days, the first {sku} on {expires_on}"
            ).format(
                entity_name=p["entity_name"],
                entity_code=p["entity_code"],
                n=len(products),
                days=CERTIFICATE_DAYS,
                sku=products[0]["sku"],
                expires_on=products[0]["expires_on"],
            )
        )
    return entries, lines


def assess(
    connections: Sequence[ConnectionRef],
    rows: StatusRows,
    now: datetime,
    *,
    stale_after: timedelta = STALE_AFTER,
) -> dict[str, Any]:
    """The ``status`` document: ``{"connections", "certificates_expiring", "attention"}``;
    something needs a person exactly when ``attention`` is not empty."""
    entries: list[dict[str, Any]] = []
    attention: list[str] = []
    for ref in connections:
        entry, lines = assess_connection(ref, rows, now, stale_after=stale_after)
        entries.append(entry)
        attention += lines
    certificates, lines = assess_certificates(rows, now)
    return {
        "connections": entries,
        "certificates_expiring": certificates,
        "attention": attention + lines,
    }
