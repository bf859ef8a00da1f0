"""``ocopsync catalog import|list|show|export``: the master catalog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from ocopsync.i18n import _

if TYPE_CHECKING:
    from ocopsync.catalog import FieldChange, ImportReport

catalog_app = typer.Typer(
    help=_("Import, list, show and export the master catalog."), no_args_is_help=True
)


@catalog_app.command(
    "import",
    help=_("Import products (atomic: one bad row and nothing changes; every bad row is listed)."),
)
@guarded
def catalog_import(
    file: Annotated[
        Path,
        typer.Argument(help=_("CSV (comma, semicolon or tab; UTF-8 or UTF-16), XLSX or JSON.")),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(help=_("Validate and show every field that would change; write nothing.")),
    ] = False,
    stocktake: Annotated[
        bool,
        typer.Option(
            help=_(
                "The stock column is a physical count: set each master stock to it "
                "(without this, stock moves only by what the file changed since its last import)."
            )
        ),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option(help=_("The workbook sheet to read (default: the only sheet with a header).")),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help=_("Refuse the file if it has a column ocopsync does not know."))
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import products (atomic: one bad row and nothing changes; every bad row is listed)."""
    # A file's stock figures are counts as of that file: re-importing it moves the master
    # stock only by what the file changed, so units sold since are not undone (the rules
    # are in ocopsync.catalog.import_catalog).
    from ocopsync.catalog import import_catalog

    s = settings()
    report = import_catalog(
        engine_for(s),
        file,
        dry_run=dry_run,
        stocktake=stocktake,
        columns=getattr(s, "catalog_columns", {}),
        sheet=sheet,
        strict=strict,
    )
    for warning in report.warnings:
        render.stderr.print(
            _("warning: {warning}").format(warning=warning), markup=False, highlight=False
        )
    moves = [m.as_dict() for m in report.stock_moves]
    if fmt is Format.json:
        render.emit_json(_import_document(report, file, moves))
        return
    verb = _("would import") if dry_run else _("imported")
    read = f" ({', '.join(_where(report))})" if _where(report) else ""
    render.stdout.print(
        _("{verb} {file}{read}: {added} added, {updated} updated, {unchanged} unchanged").format(
            verb=verb,
            file=file,
            read=read,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        markup=False,
        highlight=False,
    )
    if dry_run:
        _print_changes(report)
    render.print_import_stock_moves(moves, dry_run=dry_run)


def _where(report: ImportReport) -> list[str]:
    where = [_("sheet {sheet!r}").format(sheet=report.sheet)] if report.sheet else []
    if report.header_row and report.header_row > 1:
        where.append(_("header on row {row}").format(row=report.header_row))
    return where


def _import_document(report: ImportReport, file: Path, moves: list[Any]) -> dict[str, Any]:
    """``catalog import --format json``: the first six keys as before, then what was read
    and, per updated product and entity, every field that changes (old -> new)."""
    return {
        "file": str(file),
        "dry_run": report.dry_run,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "stock_moves": moves,
        "sheet": report.sheet,
        "header_row": report.header_row,
        "warnings": list(report.warnings),
        "added_skus": list(report.added_skus),
        "changes": [
            {"sku": sku, "fields": [f.as_dict() for f in fields]}
            for sku, fields in report.changes.items()
        ],
        "entity_changes": [
            {"entity_code": code, "fields": [f.as_dict() for f in fields]}
            for code, fields in report.entity_changes.items()
        ],
    }


def _print_changes(report: ImportReport, limit: int = 50) -> None:
    """What a dry run would change, product by product, as ``terraform plan`` shows it."""
    lines = [f"  + {sku}" + _(" (new product)") for sku in report.added_skus]
    for sku, fields in report.changes.items():
        lines.append(f"  ~ {sku}")
        lines += [f"      {_field_line(f)}" for f in fields]
    for code, fields in report.entity_changes.items():
        lines.append("  ~ " + _("entity {code}").format(code=code))
        lines += [f"      {_field_line(f)}" for f in fields]
    if not lines:
        return
    products = len(report.added_skus) + len(report.changes) + len(report.entity_changes)
    render.stdout.print(_("Changes (dry run: nothing written):"), markup=False)
    shown = 0
    for line in lines:
        if not line.startswith("      "):
            shown += 1
            if shown > limit:
                break
        render.stdout.print(line, markup=False, highlight=False)
    if products > limit:
        render.stdout.print(
            _("... and {count} more (all of them with --format json)").format(
                count=products - limit
            ),
            markup=False,
        )


def _field_line(change: FieldChange) -> str:
    """List products of the master catalog."""
    note = f" ({change.note})" if change.note else ""
    return f"{change.column}: {_value(change.before)} -> {_value(change.after)}{note}"


def _value(value: object) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    return "null" if value is None else str(value)


@catalog_app.command("list", help=_("List products of the master catalog."))
@guarded
def catalog_list(
    entity: EntityOpt = None,
    province: Annotated[str | None, typer.Option(help=_("Only this province."))] = None,
    group: Annotated[str | None, typer.Option(help=_("Only this product group."))] = None,
    search: Annotated[str | None, typer.Option(help=_("Name or SKU, accents optional."))] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    from ocopsync.catalog_views import catalog_rows

    rows = catalog_rows(
        engine_for(settings()), entity=entity, province=province, group=group, search=search
    )
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        _("{count} product(s)").format(count=len(rows)),
        [
            _("sku"),
            _("name"),
            _("entity"),
            _("province"),
            _("group"),
            _("stars"),
            _("expires"),
            _("price"),
            _("stock"),
            _("status"),
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


@catalog_app.command("show", help=_("Show one product, with where it is listed."))
@guarded
def catalog_show(sku: str, fmt: FormatOpt = Format.table) -> None:
    """Show one product, with where it is listed."""
    from ocopsync.catalog_views import product_detail

    doc = product_detail(engine_for(settings()), sku)
    if fmt is Format.json:
        render.emit_json(doc)
        return
    render.table(sku, [_("field"), _("value")], [(k, v) for k, v in doc.items() if k != "listings"])
    render.table(
        _("Listings"),
        [_("connection"), _("platform"), _("remote id"), _("price"), _("stock"), _("status")],
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


@catalog_app.command(
    "export", help=_("Write the catalog to a file that `catalog import` reads back unchanged.")
)
@guarded
def catalog_export(
    file: Annotated[Path, typer.Argument(help=_("Target .csv, .xlsx or .json."))],
    entity: EntityOpt = None,
    province: Annotated[str | None, typer.Option(help=_("Only this province."))] = None,
) -> None:
    """Write the catalog to a file that `catalog import` reads back unchanged."""
    # Its stock_at_export column repeats the master stock, so re-importing the file later
    # moves stock only by what was edited in it, never back to what it was at export.
    from ocopsync.catalog import export_catalog

    count = export_catalog(engine_for(settings()), file, entity=entity, province=province)
    render.stdout.print(
        _("wrote {count} product(s) to {file}").format(count=count, file=file),
        markup=False,
        highlight=False,
    )


# -- plan and sync -----------------------------------------------------------------------
