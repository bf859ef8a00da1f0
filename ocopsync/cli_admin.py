"""CLI commands for operators: runs, connections (onboarding, checks) and the sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli import (
    Format,
    FormatOpt,
    connections_app,
    engine_for,
    guarded,
    runs_app,
    sandbox_app,
    schedule_app,
    settings,
)
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import Connector, ConnectorContext
from ocopsync.connectors.registry import connector_class
from ocopsync.errors import ConfigError, ConnectorError, OcopsyncError
from ocopsync.store import DbTokenStore


# -- runs ---------------------------------------------------------------------------------
@runs_app.command("list")
@guarded
def runs_list(
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20,
    fmt: FormatOpt = Format.table,
) -> None:
    """The latest sync runs, newest first."""
    from ocopsync.runs import list_runs

    rows = list_runs(engine_for(settings()), limit)
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        "Runs",
        ["run", "kind", "trigger", "status", "started (UTC)", "applied", "failed", "skipped"],
        [
            (
                r["run_id"],
                r["kind"],
                r["trigger"],
                r["status"],
                r["started_at"],
                r["applied"],
                r["failed"],
                r["skipped"],
            )
            for r in rows
        ],
    )


@runs_app.command("show")
@guarded
def runs_show(
    run: Annotated[int, typer.Argument(help="Run id from `runs list`.")],
    status: Annotated[
        str | None,
        typer.Option(
            help="Only operations with this outcome: succeeded, failed, skipped, planned, started."
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """One run with every operation it journaled and its outcome."""
    from ocopsync.runs import show_run

    doc = show_run(engine_for(settings()), run, status=status)
    if fmt is Format.json:
        render.emit_json(doc)
        return
    render.stdout.print(
        f"run {doc['run_id']} ({doc['trigger']}): {doc['status']}, "
        f"{doc['applied']} applied, {doc['failed']} failed, "
        f"{doc['skipped']} skipped; started {doc['started_at']}"
    )
    render.table(
        "Operations",
        ["connection", "sku", "action", "from", "to", "outcome", "error"],
        [
            (o["connection"], o["sku"], o["action"], o["from"], o["to"], o["status"], o["error"])
            for o in doc["operations"]
        ],
    )


# -- connections --------------------------------------------------------------------------
def _connector(conn: ConnectionSettings) -> Connector:
    s = settings()
    ctx = ConnectorContext(
        settings=conn,
        credentials=conn.resolved_credentials(),
        token_store=DbTokenStore(engine_for(s)),
    )
    connector: Connector = connector_class(conn.platform)(ctx)
    return connector


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes") if moment else ""


@connections_app.command("list")
@guarded
def connections_list(fmt: FormatOpt = Format.table) -> None:
    """Configured connections (credentials are never shown)."""
    rows = [
        {
            "name": c.name,
            "platform": c.platform,
            "base_url": c.base_url,
            "entity": c.entity,
            "enabled": c.enabled,
            "min_stars": c.policy.min_stars,
            "price_markup_pct": c.policy.price_markup_pct,
            "stock_buffer": c.policy.stock_buffer,
        }
        for c in settings().connections
    ]
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        "Connections",
        ["name", "platform", "entity", "base url", "min ★", "markup %", "buffer"],
        [
            (
                r["name"],
                r["platform"],
                r["entity"],
                r["base_url"],
                r["min_stars"],
                r["price_markup_pct"],
                r["stock_buffer"],
            )
            for r in rows
        ],
    )


@connections_app.command("authorize")
@guarded
def connections_authorize(
    name: Annotated[str, typer.Argument(help="Connection name from ocopsync.toml.")],
    code: Annotated[
        str | None,
        typer.Option(
            help="The code the platform gave after the "
            "seller approved; exchanged for tokens that are stored."
        ),
    ] = None,
    redirect_url: Annotated[
        str, typer.Option(help="Where the platform sends the seller back.")
    ] = "https://localhost/ocopsync/callback",
    shop_id: Annotated[str | None, typer.Option(help="Shop id from the redirect (Shopee).")] = None,
) -> None:
    """Onboard a shop: print the authorization link, or exchange --code for tokens."""
    conn = settings().connection(name)
    connector: Any = _connector(conn)
    if not hasattr(connector, "exchange_code"):
        raise ConfigError(
            f"{conn.platform} connections need no authorization step: "
            "their keys in [connections.credentials] are enough"
        )

    async def go() -> None:
        try:
            if code is None:
                render.stdout.print(
                    "Open this link, approve the shop, then run again with --code CODE:"
                )
                typer.echo(connector.authorization_url(redirect_url))
                return
            extra = {"shop_id": shop_id} if shop_id else {}
            tokens = await connector.exchange_code(code, **extra)
            render.stdout.print(
                f"authorized {name}: access until "
                f"{_iso(tokens.access_expires_at) or 'unknown'}, "
                f"refresh until {_iso(tokens.refresh_expires_at) or 'unknown'}"
            )
        finally:
            await connector.aclose()

    asyncio.run(go())


@connections_app.command("check")
@guarded
def connections_check(fmt: FormatOpt = Format.table) -> None:
    """Verify every connection's credentials and show when each authorization expires."""
    s = settings()

    async def check_one(conn: ConnectionSettings) -> dict[str, Any]:
        row: dict[str, Any] = {"connection": conn.name, "platform": conn.platform}
        try:
            connector = _connector(conn)
        except (ConfigError, ConnectorError) as exc:
            return {
                **row,
                "ok": False,
                "detail": str(exc),
                "access_expires_at": "",
                "refresh_expires_at": "",
            }
        try:
            status = await connector.check()
        except ConnectorError as exc:
            return {
                **row,
                "ok": False,
                "detail": str(exc),
                "access_expires_at": "",
                "refresh_expires_at": "",
            }
        finally:
            await connector.aclose()
        return {
            **row,
            "ok": status.ok,
            "detail": status.detail,
            "access_expires_at": _iso(status.access_expires_at),
            "refresh_expires_at": _iso(status.refresh_expires_at),
        }

    async def check_all() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(check_one(c) for c in s.connections if c.enabled)))

    rows = asyncio.run(check_all())
    if fmt is Format.json:
        render.emit_json(rows)
    else:
        render.table(
            "Credentials",
            ["connection", "platform", "ok", "detail", "access expires", "authorization expires"],
            [
                (
                    r["connection"],
                    r["platform"],
                    "yes" if r["ok"] else "NO",
                    r["detail"],
                    r["access_expires_at"],
                    r["refresh_expires_at"],
                )
                for r in rows
            ],
        )
    if not all(r["ok"] for r in rows):
        raise typer.Exit(1)


# -- schedule ----------------------------------------------------------------------------
@schedule_app.command("list")
@guarded
def schedule_list(
    count: Annotated[int, typer.Option(min=1, max=50, help="How many upcoming runs.")] = 5,
    fmt: FormatOpt = Format.table,
) -> None:
    """When the nightly sync will run next ([schedule] cron and timezone)."""
    from ocopsync.scheduler import next_runs

    s = settings()
    runs = [moment.isoformat() for moment in next_runs(s, count)]
    if fmt is Format.json:
        render.emit_json(
            {"cron": s.schedule_cron, "timezone": s.schedule_timezone, "next_runs": runs}
        )
        return
    render.table(
        f"Nightly sync: {s.schedule_cron} ({s.schedule_timezone})",
        ["next run"],
        [(r,) for r in runs],
    )


@schedule_app.command("serve")
@guarded
def schedule_serve(
    run_now: Annotated[bool, typer.Option(help="Also run once right away.")] = False,
) -> None:
    """Run the nightly sync on the configured cron until stopped (Ctrl-C or SIGTERM)."""
    from ocopsync.cli import execute_sync
    from ocopsync.scheduler import build_scheduler, next_runs

    s = settings()

    def nightly() -> None:
        try:
            result = execute_sync(
                platform=None,
                entity=None,
                connection=None,
                apply=True,
                trigger="schedule",
                quiet=True,
            )
        except OcopsyncError as exc:  # a bad night must not stop the service
            render.stderr.print(f"scheduled sync could not run: {exc}", highlight=False)
            return
        render.stderr.print(
            f"scheduled sync run {result.run_id}: {result.status}, "
            f"{result.applied} applied, {result.failed} failed, "
            f"{result.skipped} skipped",
            highlight=False,
        )

    scheduler = build_scheduler(s, nightly)
    render.stdout.print(
        f"nightly sync on {s.schedule_cron} ({s.schedule_timezone}); "
        f"next run {next_runs(s, 1)[0].isoformat()}"
    )
    if run_now:
        nightly()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


# -- sandbox ------------------------------------------------------------------------------
@sandbox_app.command("serve")
@guarded
def sandbox_serve(
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for every platform (one prefix each).")] = 8700,
    faults: Annotated[
        str | None,
        typer.Option(
            help="Fault injection as JSON, e.g. "
            '\'{"error_rate": 0.1, "rate_limit_rate": 0.05, "latency_s": 0.2, '
            '"drop_rate": 0.01, "drop_after_share": 0.5, "token_ttl_s": 60, "seed": 1}\'; '
            "drop_after_share is the share of drops made after the platform handled the "
            "request (the change is made, the answer lost)."
        ),
    ] = None,
) -> None:
    """Serve every emulated platform under /portal, /shopee, /lazada, /sendo, /voso, /postmart."""
    from ocopsync.sandbox import build_sandbox
    from ocopsync.sandbox.faults import Faults
    from ocopsync.serve import serve_foreground

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise ConfigError("the sandbox serves on loopback only (127.0.0.1, localhost or ::1)")
    try:
        fault_settings = Faults.from_mapping(json.loads(faults)) if faults else None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--faults: {exc}") from exc
    sandbox = build_sandbox(faults=fault_settings)
    root = f"http://{host}:{port}"
    render.stdout.print(f"ocopsync sandbox on {root} (Ctrl-C stops it)")
    for entry in sandbox.describe(root):
        creds = ", ".join(f"{k}={v}" for k, v in entry["credentials"].items())
        code = entry["authorization_code"]
        render.stdout.print(
            f"  {entry['platform']:<9} {entry['base_url']}  {creds}"
            + (f", authorization code={code}" if code else ""),
            highlight=False,
        )
    # The same server as the tests' serve_in_thread, so a dropped request closes the
    # socket here too instead of answering 500.
    if not serve_foreground(sandbox.app, host, port):
        raise ConfigError(f"the sandbox could not serve on {host}:{port} (is the port in use?)")
