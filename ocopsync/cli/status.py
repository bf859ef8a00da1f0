"""``ocopsync status``: what needs a person, with an exit status cron can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli.common import Format, FormatOpt, app, engine_for, guarded, settings
from ocopsync.config import Settings
from ocopsync.connectors.registry import connector_class
from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.status import STALE_AFTER, ConnectionRef, assess, read_rows

ATTENTION_EXIT = 3
"""The exit status when something needs a person (as ``sync`` exits when some failed)."""


def connection_refs(s: Settings) -> list[ConnectionRef]:
    """Enabled connections, each marked when a seller authorizes its shop (the connector
    has an authorization step): only there does an expiring token need a person."""
    refs = []
    for c in s.select():
        try:
            seller = hasattr(connector_class(c.platform), "exchange_code")
        except ConfigError:  # an unknown platform: its runs fail, and say so
            seller = False
        refs.append(ConnectionRef(c.name, c.platform, seller))
    return refs


def _problem_counts(problems: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for p in problems:
        counts[p["kind"]] = counts.get(p["kind"], 0) + 1
    return ", ".join(_("{n} {kind}").format(n=n, kind=kind) for kind, n in counts.items())


def _blank(value: Any) -> Any:
    return "" if value is None else value


def print_status(doc: dict[str, Any]) -> None:
    """Short headers, so the table fits a terminal: hours since the last successful sync,
    failed runs in a row, days until the access token and the shop authorization expire."""
    render.table(
        _("Connections"),
        [
            _("connection"),
            _("platform"),
            _("run"),
            _("outcome"),
            _("h since ok"),
            _("fails"),
            _("token d"),
            _("auth d"),
            _("problems"),
        ],
        [
            (
                c["connection"],
                c["platform"],
                _blank(c["last_run_id"]),
                _blank(c["last_status"]),
                _blank(c["hours_since_success"]),
                c["failed_runs_in_a_row"],
                _blank(c["token_expires_in_days"]),
                _blank(c["authorization_expires_in_days"]),
                _problem_counts(c["open_problems"]),
            )
            for c in doc["connections"]
        ],
    )
    if doc["certificates_expiring"]:
        render.table(
            _("OCOP certificates expiring soon"),
            [_("producer"), _("sku"), _("product"), _("expires on"), _("days left")],
            [
                (
                    _("{entity_name} ({entity_code})").format(**p),
                    x["sku"],
                    x["name"],
                    x["expires_on"],
                    x["days_left"],
                )
                for p in doc["certificates_expiring"]
                for x in p["products"]
            ],
        )
    if not doc["attention"]:
        render.stdout.print(_("Nothing needs attention."), markup=False, highlight=False)
        return
    render.stdout.print(_("Needs attention:"), markup=False, highlight=False)
    for line in doc["attention"]:
        render.stdout.print(f"- {line}", markup=False, highlight=False)


@app.command(
    help=_(
        "What needs a person; exits 3 when anything does (for cron: status || mail).\n\nPer "
        "connection: the last run, hours since the last successful sync, failed runs in a "
        "row, token and shop authorization expiry, open problems; and OCOP certificates "
        "expiring within 30 days per producer."
    )
)
@guarded
def status(
    stale_after: Annotated[
        float,
        typer.Option(
            min=1,
            help=_(
                "Hours without a successful sync after which a connection needs attention "
                "(raise it for a schedule that skips days)."
            ),
        ),
    ] = STALE_AFTER.total_seconds() / 3600,
    fmt: FormatOpt = Format.table,
) -> None:
    s = settings()
    now = datetime.now(UTC)
    rows = read_rows(engine_for(s), now)
    doc = assess(connection_refs(s), rows, now, stale_after=timedelta(hours=stale_after))
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        print_status(doc)
    if doc["attention"]:
        raise typer.Exit(ATTENTION_EXIT)
