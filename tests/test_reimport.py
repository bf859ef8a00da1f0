"""Re-importing a catalog file never undoes sales: a file's stock is a count as of that file.

The cooperative's week: import 12, a platform sells 3 (master 9), re-import the same
spreadsheet. The master must stay 9, or the next sync pushes 12 everywhere and the
shop oversells 3. Every test also checks that the ledger's sum of moves is the stock.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine, event, func, select, update
from sqlmodel import Session, col
from typer.testing import CliRunner

from ocopsync.catalog import import_catalog
from ocopsync.catalog_files import EXPORT_COLUMNS, read_rows
from ocopsync.cli import app
from ocopsync.errors import ImportRejected
from ocopsync.ledger import Move, apply_moves, balance
from ocopsync.models import Product, StockMove
from tests.conftest import product, write_catalog

SKU = "QN-TEA-001"
OTHER = "QN-TEA-002"
runner = CliRunner()


# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``ocopsync`` against the ``engine`` fixture's database; JSON parsed when asked."""
    config = tmp_path / "ocopsync.toml"
    config.write_text(f'[database]\nurl = "{engine.url}"\n', encoding="utf-8")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, Any]:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        as_json = "--format" in args and "json" in args and result.exit_code == 0
        return result.exit_code, json.loads(result.stdout) if as_json else result.output

    return run


def catalog(tmp_path: Path, name: str = "catalog.csv", **stocks: int) -> Path:
    """The cooperative's spreadsheet: SKU at ``stock`` (12 unless told), OTHER at 30."""
    wanted = {"stock": 12, "other": 30, **stocks}
    rows = [product(SKU, stock=wanted["stock"]), product(OTHER, stock=wanted["other"])]
    return write_catalog(tmp_path / name, rows)


def sell(engine: Engine, units: int, sku: str = SKU) -> None:
    """What a sync does when a platform sold ``units``: a relative ledger move."""
    with Session(engine) as session:
        apply_moves(
            session.connection(),
            [Move(sku, -units, "order", connection="qn-shopee", reference="o-1/l-1")],
        )
        session.commit()


def stock(engine: Engine, sku: str = SKU) -> int:
    with Session(engine) as session:
        found = session.get(Product, sku)
        assert found is not None
        return found.stock


def imported_stock(engine: Engine, sku: str = SKU) -> int | None:
    with Session(engine) as session:
        found = session.get(Product, sku)
        assert found is not None
        return found.imported_stock


def ledger(engine: Engine, sku: str = SKU) -> int:
    with engine.connect() as conn:
        return balance(conn, sku)


def move_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(StockMove)).scalar_one())


def assert_balanced(engine: Engine) -> None:
    """The ledger explains every unit: for each SKU, the sum of its moves is its stock."""
    for sku in (SKU, OTHER):
        assert ledger(engine, sku) == stock(engine, sku), sku


def moves_of(doc: dict[str, Any]) -> dict[str, tuple[int, int, int, str]]:
    return {
        m["sku"]: (m["master_before"], m["master_after"], m["delta"], m["why"])
        for m in doc["stock_moves"]
    }


def edit_stock_cell(path: Path, sku: str, stock_value: int) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["sku"] == sku:
            row["stock"] = str(stock_value)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --- the cooperative's week, through the CLI -------------------------------------------


def test_the_week_through_the_cli(engine: Engine, tmp_path: Path, cli: Any) -> None:
    sheet = catalog(tmp_path)
    code, doc = cli("catalog", "import", str(sheet), "--format", "json")
    assert (code, doc["added"], doc["stock_moves"]) == (0, 2, [])
    assert (stock(engine), imported_stock(engine)) == (12, 12)
    assert_balanced(engine)

    sell(engine, 3)  # a sync booked 3 sales
    assert stock(engine) == 9
    assert_balanced(engine)

    # The same spreadsheet again: nothing changed in it, so nothing moves.
    code, out = cli("catalog", "import", str(sheet))
    assert code == 0
    assert "0 added, 0 updated, 2 unchanged" in out
    assert "Master stock moves" not in out
    assert stock(engine) == 9
    assert_balanced(engine)

    # Goods received: the spreadsheet now says 62, so 50 more than it said before.
    code, doc = cli("catalog", "import", str(catalog(tmp_path, stock=62)), "--format", "json")
    assert (code, doc["updated"], doc["unchanged"]) == (0, 1, 1)
    assert list(doc)[:6] == ["file", "dry_run", "added", "updated", "unchanged", "stock_moves"]
    assert list(doc)[6:] == [
        "sheet",
        "header_row",
        "warnings",
        "added_skus",
        "changes",
        "entity_changes",
    ]
    assert doc["changes"] == [
        {"sku": SKU, "fields": [{"field": "stock", "from": 9, "to": 59}]},
    ]
    assert moves_of(doc) == {SKU: (9, 59, 50, "file changed 12 -> 62")}
    assert (stock(engine), imported_stock(engine)) == (59, 62)
    assert_balanced(engine)

    # A physical count of 58: the master becomes 58 and the report says it moved -1.
    stocktake = catalog(tmp_path, "count.csv", stock=58, other=30)
    code, out = cli("catalog", "import", str(stocktake), "--stocktake")
    assert code == 0, out
    assert "1 updated" in out and "stocktake" in out and "-1" in out
    assert (stock(engine), imported_stock(engine)) == (58, 58)
    assert stock(engine, OTHER) == 30
    assert_balanced(engine)


def test_stocktake_report_in_json(engine: Engine, tmp_path: Path, cli: Any) -> None:
    cli("catalog", "import", str(catalog(tmp_path, stock=62)))
    sell(engine, 3)
    sell(engine, 4, OTHER)
    code, doc = cli(
        "catalog", "import", str(catalog(tmp_path, stock=58)), "--stocktake", "--format", "json"
    )
    assert code == 0
    assert moves_of(doc) == {SKU: (59, 58, -1, "stocktake"), OTHER: (26, 30, 4, "stocktake")}
    with engine.connect() as conn:
        kinds = conn.execute(
            select(col(StockMove.kind), col(StockMove.delta), col(StockMove.reference)).where(
                col(StockMove.sku) == SKU
            )
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("import", 62, "catalog.csv"),
        ("order", -3, "o-1/l-1"),
        ("stocktake", -1, "catalog.csv"),
    ]
    assert_balanced(engine)


def test_export_then_reimport_changes_nothing(engine: Engine, tmp_path: Path, cli: Any) -> None:
    cli("catalog", "import", str(catalog(tmp_path)))
    sell(engine, 3)
    export = tmp_path / "export.csv"
    assert cli("catalog", "export", str(export))[0] == 0
    with export.open(encoding="utf-8-sig", newline="") as handle:
        exported = {r["sku"]: r for r in csv.DictReader(handle)}
    assert (exported[SKU]["stock"], exported[SKU]["stock_at_export"]) == ("9", "9")

    sell(engine, 2)  # the platforms keep selling after the export was written
    code, doc = cli("catalog", "import", str(export), "--format", "json")
    assert (code, doc["updated"], doc["unchanged"], doc["stock_moves"]) == (0, 0, 2, [])
    assert (stock(engine), imported_stock(engine)) == (7, 12)
    assert_balanced(engine)


def test_editing_an_exported_stock_cell_moves_by_the_edit(
    engine: Engine, tmp_path: Path, cli: Any
) -> None:
    sheet = catalog(tmp_path)
    cli("catalog", "import", str(sheet))
    sell(engine, 3)
    export = tmp_path / "export.csv"
    cli("catalog", "export", str(export))
    edit_stock_cell(export, SKU, 9 + 5)  # five more found in the storeroom
    sell(engine, 1)

    code, doc = cli("catalog", "import", str(export), "--format", "json")
    assert (code, doc["updated"]) == (0, 1)
    assert moves_of(doc) == {SKU: (8, 13, 5, "export edited 9 -> 14")}
    assert (stock(engine), imported_stock(engine)) == (13, 12)
    assert_balanced(engine)

    # imported_stock stayed 12, so the cooperative's own unchanged sheet moves nothing.
    code, doc = cli("catalog", "import", str(sheet), "--format", "json")
    assert (doc["updated"], doc["stock_moves"], stock(engine)) == (0, [], 13)


def test_dry_run_reports_the_same_moves_and_writes_nothing(
    engine: Engine, tmp_path: Path, cli: Any
) -> None:
    cli("catalog", "import", str(catalog(tmp_path)))
    sell(engine, 3)
    moves_before = move_count(engine)
    changed = catalog(tmp_path, "b.csv", stock=62)

    code, dry = cli("catalog", "import", str(changed), "--dry-run", "--format", "json")
    assert (code, dry["dry_run"]) == (0, True)
    assert (stock(engine), imported_stock(engine), move_count(engine)) == (9, 12, moves_before)
    code, out = cli("catalog", "import", str(changed), "--dry-run")
    assert "would import" in out and "dry run" in out and "+50" in out
    assert stock(engine) == 9

    code, wet = cli("catalog", "import", str(changed), "--format", "json")
    assert wet["stock_moves"] == dry["stock_moves"]
    assert stock(engine) == 59
    assert_balanced(engine)


def test_failed_import_moves_nothing(engine: Engine, tmp_path: Path, cli: Any) -> None:
    cli("catalog", "import", str(catalog(tmp_path)))
    sell(engine, 3)
    moves_before = move_count(engine)
    rows = [product(SKU, stock=62), product(OTHER, stock=30, price_vnd="free")]
    bad = write_catalog(tmp_path / "bad.csv", rows)
    code, _ = cli("catalog", "import", str(bad))
    assert code == 1
    code, _ = cli("catalog", "import", str(bad), "--stocktake")
    assert code == 1
    assert (stock(engine), imported_stock(engine), move_count(engine)) == (9, 12, moves_before)
    assert_balanced(engine)


# --- the rules, function by function ----------------------------------------------------


def test_product_from_an_earlier_release_takes_the_file_once(
    engine: Engine, tmp_path: Path
) -> None:
    import_catalog(engine, catalog(tmp_path, stock=40))
    with Session(engine) as session:
        # What a 0.1.0 database holds after the upgrade: a stock, no file figure, and
        # (for this test) no ledger history before the upgrade.
        session.execute(update(Product).values(imported_stock=None))
        session.execute(StockMove.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
    sell(engine, 3)  # master 37, ledger -3

    report = import_catalog(engine, catalog(tmp_path, stock=12))
    [move] = [m for m in report.stock_moves if m.sku == SKU]
    assert (move.before, move.after, move.delta) == (37, 12, -25)
    assert move.why.startswith("first tracked import")
    assert (stock(engine), imported_stock(engine)) == (12, 12)
    assert ledger(engine) == 12 - 40  # the ledger holds what moved since the upgrade
    assert imported_stock(engine, OTHER) == 30  # unchanged stock, figure still remembered
    assert report.updated_skus == (SKU,)

    sell(engine, 3)
    again = import_catalog(engine, catalog(tmp_path, stock=12))
    assert (again.updated, again.stock_moves, stock(engine)) == (0, (), 9)


def test_a_file_claiming_fewer_units_than_remain_is_refused(engine: Engine, tmp_path: Path) -> None:
    import_catalog(engine, catalog(tmp_path, stock=12))
    sell(engine, 10)  # master 2
    with pytest.raises(ImportRejected) as caught:
        import_catalog(engine, catalog(tmp_path, "b.csv", stock=5))  # -7 would make -5
    [error] = caught.value.errors
    assert (error.row, error.column, error.value) == (2, "stock", "5")
    assert "below 0" in error.reason and "--stocktake" in error.reason
    assert stock(engine) == 2
    report = import_catalog(engine, catalog(tmp_path, "b.csv", stock=5), stocktake=True)
    assert [(m.before, m.after) for m in report.stock_moves] == [(2, 5)]
    assert_balanced(engine)


def test_stock_alone_is_no_update_when_the_file_figure_is_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    import_catalog(engine, catalog(tmp_path))
    sell(engine, 3)
    sell(engine, 5, OTHER)
    renamed = [product(SKU, stock=12, name="Trà hoa vàng – hộp quà"), product(OTHER, stock=30)]
    report = import_catalog(engine, write_catalog(tmp_path / "b.csv", renamed))
    assert report.changed_columns == {SKU: ("name",)}
    assert report.unchanged_skus == (OTHER,)
    assert (stock(engine), stock(engine, OTHER)) == (9, 25)
    assert_balanced(engine)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_stock_at_export_in_every_format(engine: Engine, tmp_path: Path, suffix: str) -> None:
    from ocopsync.catalog import export_catalog

    import_catalog(engine, catalog(tmp_path))
    sell(engine, 3)
    path = tmp_path / f"export{suffix}"
    export_catalog(engine, path)
    if suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True).worksheets[0]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert header == list(EXPORT_COLUMNS)
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert (data[0]["stock"], data[0]["stock_at_export"]) == (9, 9)
        data[0]["stock"] = 59  # +50 typed into the export
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rows = dict((raw["sku"], raw) for _, raw in read_rows(path))
    assert rows[OTHER]["stock_at_export"] == "30"

    sell(engine, 1)
    report = import_catalog(engine, path)
    expected = 8 + 50 if suffix == ".json" else 8
    assert stock(engine) == expected
    assert report.updated == (1 if suffix == ".json" else 0)
    assert_balanced(engine)


def test_stock_at_export_is_validated_and_optional_per_row(engine: Engine, tmp_path: Path) -> None:
    import_catalog(engine, catalog(tmp_path))
    sell(engine, 3)
    path = tmp_path / "mixed.csv"
    rows = [
        {**product(SKU, stock=12), "stock_at_export": ""},  # blank: the file rule
        {**product(OTHER, stock=31), "stock_at_export": "30"},  # +1 edited
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_catalog(engine, path)
    assert [(m.sku, m.delta) for m in report.stock_moves] == [(OTHER, 1)]
    assert (stock(engine), stock(engine, OTHER)) == (9, 31)

    rows[1]["stock_at_export"] = "-2"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ImportRejected) as caught:
        import_catalog(engine, path)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "stock_at_export")]
    assert_balanced(engine)


def test_new_product_opening_stock_is_a_ledger_move(engine: Engine, tmp_path: Path) -> None:
    report = import_catalog(engine, catalog(tmp_path, stock=0, other=30))
    assert report.added_skus == (SKU, OTHER)
    assert (stock(engine), imported_stock(engine), stock(engine, OTHER)) == (0, 0, 30)
    assert move_count(engine) == 1  # a zero opening is no move
    assert_balanced(engine)


@pytest.mark.parametrize("stocktake", [False, True])
def test_a_sale_booked_while_the_import_runs_is_kept(
    engine: Engine, tmp_path: Path, stocktake: bool
) -> None:
    """A sync books 2 sales between the import's read and its first write."""
    import_catalog(engine, catalog(tmp_path))
    sell(engine, 3)  # master 9
    booked: list[bool] = []

    def sale_in_between(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not booked and statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            booked.append(True)
            sell(engine, 2)  # another connection, committed at once

    event.listen(engine, "before_cursor_execute", sale_in_between)
    try:
        report = import_catalog(engine, catalog(tmp_path, "b.csv", stock=62), stocktake=stocktake)
    finally:
        event.remove(engine, "before_cursor_execute", sale_in_between)
    assert booked
    [move] = [m for m in report.stock_moves if m.sku == SKU]
    if stocktake:  # an absolute count, measured against the master as it is when written
        assert (move.before, move.delta, stock(engine)) == (7, 55, 62)
    else:  # +50 received, on top of whatever was sold meanwhile
        assert (move.delta, stock(engine)) == (50, 57)
    assert_balanced(engine)
