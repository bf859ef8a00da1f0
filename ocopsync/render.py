"""Turning results into what a person or a program reads: Rich tables or stable JSON.

The JSON shapes here are the documented output contract (README, "Output contract");
change them only together with the README.

Nothing we print is Rich markup: platforms' messages carry square brackets (Shopee's
``[error_sign]``), and so may product names and file paths. Both consoles are built
with ``markup=False`` and table cells are plain :class:`~rich.text.Text`, so every
message is printed as it is; the one styled line (``error:`` in
:func:`ocopsync.cli.common.guarded`) escapes what it prints. Errors go to stderr, always.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ocopsync.i18n import _
from ocopsync.reconcile import ConnectionPlan
from ocopsync.sync import SyncResult, summary_of

stdout = Console(soft_wrap=True, markup=False)
stderr = Console(stderr=True, soft_wrap=True, markup=False)


def emit_json(document: Any) -> None:
    """One JSON document on stdout and nothing else there."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def emit_csv(rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(title=Text(title), title_justify="left")
    for column in columns:
        t.add_column(Text(column), overflow="fold")
    for row in rows:
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    stdout.print(t)


def print_error(text: str) -> None:
    """One line on stderr, printed as it is (no markup, no highlighting)."""
    stderr.print(text, markup=False, highlight=False)


def connection_errors(connections: Sequence[Mapping[str, Any]]) -> None:
    """Each connection that failed, and why, on stderr: also under ``--format json``,
    where stdout holds the document only."""
    for c in connections:
        if c.get("error"):
            print_error(f"{c['connection']}: {c['error']}")


def plan_document(plans: Sequence[ConnectionPlan], result: SyncResult) -> dict[str, Any]:
    blocked = result.blocked
    ops = []
    for plan in plans:
        for o in plan.operations:
            entry: dict[str, Any] = {
                "connection": o.connection,
                "platform": o.platform,
                "sku": o.sku,
                "action": o.action.value,
                "from": o.from_value,
                "to": o.to_value,
                "reason": o.reason,
            }
            if o.desired.get("stock_rule"):
                entry["stock_rule"] = o.desired["stock_rule"]  # which oversell rule set it
            missing = blocked.get(o.connection, {}).get(o.sku)
            if missing:
                entry["blocked"] = missing
            ops.append(entry)
    summary = summary_of(result)
    return {
        "operations": ops,
        "orphans": [
            {
                "connection": x.connection,
                "platform": x.platform,
                "seller_sku": x.seller_sku,
                "remote_id": x.remote_id,
                "name": x.name,
            }
            for p in plans
            for x in p.orphans
        ],
        "adoptions": [
            {
                "connection": a.connection,
                "platform": a.platform,
                "sku": a.sku,
                "remote_id": a.remote_id,
            }
            for p in plans
            for a in p.adoptions
        ],
        "stock_settlements": summary["stock_settlements"],
        "connections": [
            {k: c[k] for k in ("connection", "platform", "status", "planned", "unchanged", "error")}
            for c in result.connections
        ],
    }


def sync_document(result: SyncResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "status": result.status,
        "applied": result.applied,
        "failed": result.failed,
        "skipped": result.skipped,
        "connections": result.connections,
        "stock_settlements": summary_of(result)["stock_settlements"],
    }


def _per_connection(counts: Mapping[str, int], sign: str = "") -> str:
    return ", ".join(f"{name}: {sign}{n}" for name, n in counts.items())


def print_plan(doc: Mapping[str, Any], limit: int = 50) -> None:
    ops = doc["operations"]
    counts: dict[tuple[str, str], int] = {}
    for op in ops:
        key = (op["connection"], op["action"])
        counts[key] = counts.get(key, 0) + 1
    table(
        _("Connections"),
        [
            _("connection"),
            _("platform"),
            _("status"),
            _("operations"),
            _("unchanged"),
            _("note"),
        ],
        [
            (c["connection"], c["platform"], c["status"], c["planned"], c["unchanged"], c["error"])
            for c in doc["connections"]
        ],
    )
    failed = [c for c in doc["connections"] if c["status"] == "failed"]
    connection_errors(failed)
    if not ops and failed:
        stdout.print(
            _(
                "Nothing to change on the connections that could be read; "
                "{count} could not be read (see the errors above)."
            ).format(count=len(failed))
            if len(failed) < len(doc["connections"])
            else _("No plan: no connection could be read (see the errors above).")
        )
    elif not ops:
        stdout.print(_("Nothing to change: every listing matches the catalog."))
    else:
        table(
            _("Operations by connection"),
            [_("connection"), _("action"), _("count")],
            [(c, a, n) for (c, a), n in sorted(counts.items())],
        )
        shown = ops[:limit]
        table(
            _("Operations (first {shown} of {total}; --format json for all)").format(
                shown=len(shown), total=len(ops)
            ),
            [_("connection"), "sku", _("action"), _("from"), _("to"), _("why")],
            [
                (
                    o["connection"],
                    o["sku"],
                    o["action"],
                    o["from"],
                    o["to"],
                    _("BLOCKED: {missing}").format(missing="; ".join(o["blocked"]))
                    if o.get("blocked")
                    else o["reason"],
                )
                for o in shown
            ],
        )
    if doc["stock_settlements"]:
        table(
            _("Stock moves: sales booked, units given back, drift and doubts"),
            [
                "sku",
                _("master before"),
                _("master after"),
                _("sold"),
                _("given back"),
                _("drift"),
                _("uncertain"),
            ],
            [
                (
                    s["sku"],
                    s["master_before"],
                    s["master_after"],
                    _per_connection(s["sold"]),
                    _per_connection(s.get("returned", {})),
                    "; ".join(
                        part
                        for part in (
                            _per_connection(s.get("drift", {}), "+"),
                            _per_connection(s.get("unexplained", {}), "-")
                            + (
                                _(" (no order: not pushed back up)") if s.get("unexplained") else ""
                            ),
                        )
                        if part
                    ),
                    "; ".join(f"{k}: {v}" for k, v in s.get("uncertain", {}).items())
                    + (_(" ({held} held)").format(held=s["held"]) if s.get("held") else ""),
                )
                for s in doc["stock_settlements"][:limit]
            ],
        )
    if doc["adoptions"]:
        stdout.print(
            _(
                "{count} listing(s) already on a platform will be adopted, not created again."
            ).format(count=len(doc["adoptions"]))
        )
    if doc["orphans"]:
        stdout.print(
            _(
                "{count} orphan listing(s) with SKUs unknown to the catalog "
                "(reported, never touched)."
            ).format(count=len(doc["orphans"]))
        )


def print_import_stock_moves(
    moves: Sequence[Mapping[str, Any]], *, dry_run: bool = False, limit: int = 50
) -> None:
    """The master stock moves of ``catalog import``: how many units each SKU moved, and why."""
    if not moves:
        return
    title = _("Master stock moves") + (_(" (dry run: nothing written)") if dry_run else "")
    table(
        title,
        ["sku", _("master before"), _("master after"), _("moved"), _("why")],
        [
            (m["sku"], m["master_before"], m["master_after"], f"{m['delta']:+d}", m["why"])
            for m in moves[:limit]
        ],
    )
    if len(moves) > limit:
        stdout.print(
            _("... and {count} more (all of them with --format json)").format(
                count=len(moves) - limit
            )
        )


def print_sync(doc: Mapping[str, Any]) -> None:
    table(
        _("Sync run {run}: {status}").format(run=doc["run_id"], status=doc["status"]),
        [
            _("connection"),
            _("platform"),
            _("status"),
            _("applied"),
            _("failed"),
            _("skipped"),
            _("adopted"),
            _("orphans"),
            _("requests"),
        ],
        [
            (
                c["connection"],
                c["platform"],
                c["status"],
                c["applied"],
                c["failed"],
                c["skipped"],
                c["adoptions"],
                c["orphans"],
                c.get("requests", ""),
            )
            for c in doc["connections"]
        ],
    )
    for c in doc["connections"]:
        if c["error"]:
            print_error(f"{c['connection']}: {c['error']}")
        for e in c.get("errors", [])[:5]:
            print_error(f"  {c['connection']}: {e['action']} {e['sku']}: {e['error']}")
    if doc["failed"]:
        print_error(
            _("details: ocopsync runs show {run} --status failed").format(run=doc["run_id"])
        )


def print_coverage(by: str, rows: Sequence[Mapping[str, Any]]) -> None:
    dims = {"platform": [], "district": ["province", "district"]}.get(by, [by])
    columns = ["platform", *dims, "eligible", "listed", "share"]
    table(
        _("Coverage by {dimension}").format(dimension=_(by)),
        columns,
        [[*(r[c] for c in columns[:-1]), f"{r['share'] * 100:.1f}%"] for r in rows],
    )
