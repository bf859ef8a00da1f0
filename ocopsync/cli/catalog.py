"""``ocopsync catalog import|list|show|export``: the master catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import (
    EntityOpt,
    Format,
    FormatOpt,
    engine_for,
    guarded,
    settings,
)

catalog_app = typer.Typer(
    help="Import, list, show and export the master catalog.", no_args_is_help=True
)


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
