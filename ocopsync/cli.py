"""The ``ocopsync`` command line: thin Typer commands that parse, call a layer, render.

Errors of ours become one readable line on stderr and an exit status (1 bad input or
config, 3 a sync ran but some operations failed); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ocopsync import __version__, render
from ocopsync.config import Settings, load_settings
from ocopsync.errors import OcopsyncError
from ocopsync.models import make_engine
from ocopsync.store import record_connections

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="Keep one master catalog of OCOP products listed, priced and stocked on every "
    "marketplace (Voso, Postmart, Shopee, Lazada, Sendo, the provincial portal).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
catalog_app = typer.Typer(
    help="Import, list, show and export the master catalog.", no_args_is_help=True
)
runs_app = typer.Typer(help="Past sync runs and their journal.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="Emulated platforms on loopback, for trying things safely.", no_args_is_help=True
)
schedule_app = typer.Typer(
    help="The nightly reconciliation as a long-running service.", no_args_is_help=True
)
connections_app = typer.Typer(
    help="Configured shops: onboarding and credential checks.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(runs_app, name="runs")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(connections_app, name="connections")
app.add_typer(schedule_app, name="schedule")
stock_app = typer.Typer(
    help="The master stock: units held back after a lost write, and resolving them.",
    no_args_is_help=True,
)
app.add_typer(stock_app, name="stock")


class Format(StrEnum):
    table = "table"
    json = "json"


class CoverageFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class State:
    config: str | None = None
    debug: bool = False


state = State()

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help="table for people, json for programs (one document on stdout)."
    ),
]
PlatformOpt = Annotated[str | None, typer.Option(help="Only connections of this platform.")]
EntityOpt = Annotated[str | None, typer.Option(help="Only this entity's products (entity_code).")]
ConnectionOpt = Annotated[str | None, typer.Option("--connection", help="Only this connection.")]


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one line on stderr and an exit status, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OcopsyncError as exc:
            if state.debug:
                raise
            render.stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            render.stderr.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def settings() -> Settings:
    return load_settings(state.config)


def engine_for(s: Settings) -> Engine:
    return make_engine(s.database_url)


VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Certificates expire by the Vietnamese calendar; Vietnam has no daylight saving time."""


def today() -> date:
    return datetime.now(VIETNAM).date()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ocopsync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            envvar="OCOPSYNC_CONFIG",
            help="Config file (default ./ocopsync.toml).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state.config = config
    state.debug = debug
    # httpx logs every URL at INFO, and some platforms (Shopee) carry tokens in the query.
    logging.getLogger("httpx").setLevel(logging.WARNING)


# -- init and demo ----------------------------------------------------------------------
def example_config_text() -> str:
    packaged = Path(__file__).parent / "data" / "ocopsync.example.toml"
    source = (
        packaged
        if packaged.is_file()
        else (Path(__file__).resolve().parent.parent / "config" / "ocopsync.example.toml")
    )
    return source.read_text(encoding="utf-8")


@app.command()
@guarded
def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing ocopsync.toml.")] = False,
) -> None:
    """Write a commented ocopsync.toml and create the database."""
    target = Path(state.config or "ocopsync.toml")
    if target.exists() and not force:
        render.stderr.print(f"{target} exists; keeping it (use --force to overwrite)")
    else:
        target.write_text(example_config_text(), encoding="utf-8")
        render.stdout.print(f"wrote {target}")
    s = load_settings(target)
    record_connections(engine_for(s), s.connections)
    shown = make_url(s.database_url).render_as_string(hide_password=True)
    render.stdout.print(f"database ready: {shown}")


@app.command()
@guarded
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo writes its catalog, config and database.")
    ] = Path("ocopsync-demo"),
    size: Annotated[
        int, typer.Option(min=20, max=20_000, help="Products in the sample catalog.")
    ] = 320,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sample catalog + sandbox platforms on loopback + sync + coverage, in one go."""
    from ocopsync.demo import run_demo

    run_demo(directory, size=size, today=today(), as_json=fmt is Format.json)


# -- catalog ---------------------------------------------------------------------------
@catalog_app.command("import")
@guarded
def catalog_import(
    file: Annotated[Path, typer.Argument(help="CSV (comma or semicolon), XLSX or JSON.")],
    dry_run: Annotated[bool, typer.Option(help="Validate and report, change nothing.")] = False,
    stocktake: Annotated[
        bool,
        typer.Option(
            help="The stock column is a physical count: set each master stock to it "
            "(without this, stock moves only by what the file changed since its last import)."
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import products (atomic: one bad row and nothing changes; every bad row is listed)."""
    # A file's stock figures are counts as of that file: re-importing it moves the master
    # stock only by what the file changed, so units sold since are not undone (the rules
    # are in ocopsync.catalog.import_catalog).
    from ocopsync.catalog import import_catalog

    s = settings()
    report = import_catalog(engine_for(s), file, dry_run=dry_run, stocktake=stocktake)
    moves = [m.as_dict() for m in report.stock_moves]
    doc = {
        "file": str(file),
        "dry_run": dry_run,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "stock_moves": moves,
    }
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        verb = "would import" if dry_run else "imported"
        render.stdout.print(
            f"{verb} {file}: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
        render.print_import_stock_moves(moves, dry_run=dry_run)


@catalog_app.command("list")
@guarded
def catalog_list(
    entity: EntityOpt = None,
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    group: Annotated[str | None, typer.Option(help="Only this product group.")] = None,
    search: Annotated[str | None, typer.Option(help="Name or SKU, accents optional.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List products of the master catalog."""
    from ocopsync.catalog_views import catalog_rows

    rows = catalog_rows(
        engine_for(settings()), entity=entity, province=province, group=group, search=search
    )
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        f"{len(rows)} product(s)",
        [
            "sku",
            "name",
            "entity",
            "province",
            "group",
            "stars",
            "expires",
            "price",
            "stock",
            "status",
        ],
        [
            (
                r["sku"],
                r["name"],
                r["entity_code"],
                r["province"],
                r["group"],
                r["stars"],
                r["expires_on"],
                f"{r['price_vnd']:,}".replace(",", "."),
                r["stock"],
                r["status"],
            )
            for r in rows
        ],
    )


@catalog_app.command("show")
@guarded
def catalog_show(sku: str, fmt: FormatOpt = Format.table) -> None:
    """Show one product, with where it is listed."""
    from ocopsync.catalog_views import product_detail

    doc = product_detail(engine_for(settings()), sku)
    if fmt is Format.json:
        render.emit_json(doc)
        return
    render.table(sku, ["field", "value"], [(k, v) for k, v in doc.items() if k != "listings"])
    render.table(
        "Listings",
        ["connection", "platform", "remote id", "price", "stock", "status"],
        [
            (
                x["connection"],
                x["platform"],
                x["remote_id"],
                x["last_price"],
                x["last_stock"],
                x["remote_status"],
            )
            for x in doc["listings"]
        ],
    )


@catalog_app.command("export")
@guarded
def catalog_export(
    file: Annotated[Path, typer.Argument(help="Target .csv, .xlsx or .json.")],
    entity: EntityOpt = None,
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
) -> None:
    """Write the catalog to a file that `catalog import` reads back unchanged."""
    # Its stock_at_export column repeats the master stock, so re-importing the file later
    # moves stock only by what was edited in it, never back to what it was at export.
    from ocopsync.catalog import export_catalog

    count = export_catalog(engine_for(settings()), file, entity=entity, province=province)
    render.stdout.print(f"wrote {count} product(s) to {file}")


# -- plan and sync -----------------------------------------------------------------------
def execute_sync(
    *,
    platform: str | None,
    entity: str | None,
    connection: str | None,
    apply: bool,
    trigger: str = "cli",
    quiet: bool = False,
) -> Any:
    from ocopsync.progress import progress_harness
    from ocopsync.sync import SyncRequest, run

    s = settings()
    engine = engine_for(s)
    request = SyncRequest(
        today=today(),
        platform=platform,
        entity=entity,
        connection=connection,
        apply=apply,
        trigger=trigger,
    )
    with progress_harness(enabled=apply and not quiet) as harness:
        return asyncio.run(run(engine, s, request, harness))


@app.command()
@guarded
def plan(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show what a sync would change. Changes nothing."""
    result = execute_sync(platform=platform, entity=entity, connection=connection, apply=False)
    doc = render.plan_document(result.plans, result)
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        render.print_plan(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)


@app.command()
@guarded
def sync(
    platform: PlatformOpt = None,
    entity: EntityOpt = None,
    connection: ConnectionOpt = None,
    dry_run: Annotated[bool, typer.Option(help="Plan only, like `ocopsync plan`.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Bring every selected connection in line with the catalog, and journal it."""
    if dry_run:
        plan(platform=platform, entity=entity, connection=connection, fmt=fmt)
        return
    result = execute_sync(
        platform=platform,
        entity=entity,
        connection=connection,
        apply=True,
        quiet=fmt is Format.json,
    )
    doc = render.sync_document(result)
    if fmt is Format.json:
        render.emit_json(doc)
    else:
        render.print_sync(doc)
    if result.nothing_could_be_done:
        raise typer.Exit(1)
    if result.status != "succeeded":
        raise typer.Exit(3)


@app.command()
@guarded
def coverage(
    by: Annotated[
        str, typer.Option(help="platform, province, district, stars, group or entity.")
    ] = "platform",
    province: Annotated[str | None, typer.Option(help="Only this province.")] = None,
    entity: EntityOpt = None,
    fmt: Annotated[CoverageFormat, typer.Option("--format", "-f")] = CoverageFormat.table,
) -> None:
    """Share of eligible products in scope that are live on each platform."""
    from ocopsync import coverage as cov

    if by not in cov.DIMENSIONS:
        raise typer.BadParameter(f"must be one of {', '.join(cov.DIMENSIONS)}", param_hint="--by")
    s = settings()
    rows = cov.aggregate(
        cov.cells(engine_for(s), s, today=today()), by, province=province, entity=entity
    )
    if fmt is CoverageFormat.json:
        render.emit_json({"by": by, "rows": rows})
    elif fmt is CoverageFormat.csv:
        render.emit_csv(rows)
    else:
        render.print_coverage(by, rows)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ocopsync")


from ocopsync import (  # noqa: E402  (registers runs, connections, sandbox, stock)
    cli_admin,  # noqa: F401
    cli_stock,  # noqa: F401
)

__all__ = ["app", "main"]
