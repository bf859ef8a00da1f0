"""Catalog import: every reject reason, every file shape, atomicity and the upsert report."""

from __future__ import annotations

import csv
import json
import time
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from ocopsync.catalog import import_catalog, validate_rows
from ocopsync.catalog_files import COLUMNS, REQUIRED, read_rows
from ocopsync.errors import CatalogError, ImportRejected, RowError
from ocopsync.models import Entity, Product, make_engine

TEA = "Trà hoa vàng Ba Chẽ – hộp 50g"


def good_row(**changes: str) -> dict[str, str]:
    row = {
        "sku": "QN-BACHE-0001",
        "name": TEA,
        "entity_code": "QN-E001",
        "entity_name": "HTX Trà hoa vàng Ba Chẽ",
        "entity_kind": "cooperative",
        "province": "Quảng Ninh",
        "district": "Ba Chẽ",
        "group": "beverage",
        "stars": "4",
        "certified_on": "2024-03-01",
        "expires_on": "2027-03-01",
        "price_vnd": "180.000",
        "stock": "120",
        "weight_g": "50",
        "barcode": "8935001234567",
        "description": "Trà hoa vàng sấy lạnh, đóng hộp giấy.",
        "image_urls": "https://img.example/tea/1.jpg",
        "status": "active",
    }
    row.update(changes)
    return row


def rows_of(n: int, **changes: str) -> list[dict[str, str]]:
    return [good_row(sku=f"QN-BACHE-{i:04d}", **changes) for i in range(1, n + 1)]


def write_csv(
    path: Path, rows: list[dict[str, str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/t.db")


def snapshot(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        products = session.exec(select(Product).order_by(Product.sku)).all()
        return [p.model_dump() for p in products]


def rejected(tmp_path: Path, **bad: str) -> list[RowError]:
    """Errors for a file whose first product (row 2) is good and second (row 3) is ``bad``."""
    rows = [good_row(), good_row(**{"sku": "QN-BACHE-0002", **bad})]
    path = write_csv(tmp_path / "catalog.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        validate_rows(read_rows(path), str(path))
    return caught.value.errors


# --- every reject reason --------------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED)
def test_required_column_blank(tmp_path: Path, column: str) -> None:
    errors = rejected(tmp_path, **{column: "  "})
    assert errors == [RowError(3, column, "", "is required")]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("sku", "QN BACHE 2", "must not contain spaces"),
        ("sku", "Q" * 65, "is 65 characters long; at most 64 allowed"),
        ("entity_kind", "company", "must be one of enterprise, cooperative, household"),
        ("group", "drinks", "must be one of food, beverage, herbal, textile, handicraft, tourism"),
        ("stars", "6", "must be 3, 4 or 5 (OCOP star rating)"),
        ("stars", "2", "must be 3, 4 or 5 (OCOP star rating)"),
        ("stars", "4.5", "must be 3, 4 or 5 (OCOP star rating)"),
        ("status", "paused", "must be one of active, discontinued"),
        ("expires_on", "2027-02-30", "is not a date; write YYYY-MM-DD or DD/MM/YYYY"),
        ("expires_on", "31.06.2027", "is not a date; write YYYY-MM-DD or DD/MM/YYYY"),
        ("certified_on", "March 2024", "is not a date; write YYYY-MM-DD or DD/MM/YYYY"),
        ("price_vnd", "45000.5", "has a fraction; write a whole number of dong (45000 or 45.000)"),
        ("price_vnd", "45,5", "has a fraction; write a whole number of dong (45000 or 45.000)"),
        ("price_vnd", "1.250.000,50", "has a fraction; write a whole number of dong"),
        ("price_vnd", "-45000", "cannot be negative"),
        ("price_vnd", "-45.000", "cannot be negative"),
        ("price_vnd", "0", "must be more than 0"),
        ("price_vnd", "free", "is not a number; write a whole number of dong such as 45000"),
        ("price_vnd", "45000,000", "is not a whole number of dong; group thousands as 45.000"),
        ("stock", "-1", "cannot be negative"),
        ("stock", "2.5", "has a fraction; write a whole number (45000 or 45.000)"),
        ("stock", "many", "is not a number; write a whole number such as 45000"),
        ("weight_g", "0", "must be more than 0"),
        ("weight_g", "12.5", "has a fraction; write a whole number of grams"),
        ("image_urls", "www.example.vn/a.jpg", "not a web address (http:// or https://): "),
    ],
)
def test_bad_cell_is_named_with_its_reason(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    errors = rejected(tmp_path, **{column: value})
    assert len(errors) == 1
    assert (errors[0].row, errors[0].column, errors[0].value) == (3, column, value)
    assert errors[0].reason.startswith(reason)


def test_bad_image_url_is_named_among_good_ones(tmp_path: Path) -> None:
    cell = "https://img.example/a.jpg|ftp://img.example/b.jpg"
    errors = rejected(tmp_path, image_urls=cell)
    assert errors == [
        RowError(
            3,
            "image_urls",
            cell,
            "not a web address (http:// or https://): ftp://img.example/b.jpg",
        )
    ]


def test_certified_after_expiry(tmp_path: Path) -> None:
    errors = rejected(tmp_path, certified_on="02/03/2027", expires_on="2027-03-01")
    assert errors == [
        RowError(3, "certified_on", "02/03/2027", "is after the certificate expires (2027-03-01)")
    ]


def test_duplicate_sku_names_the_first_row(tmp_path: Path) -> None:
    rows = [good_row(), good_row(sku="QN-BACHE-0002"), good_row(name="Trà túi lọc")]
    path = write_csv(tmp_path / "catalog.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        validate_rows(read_rows(path), str(path))
    assert caught.value.errors == [
        RowError(4, "sku", "QN-BACHE-0001", "duplicate SKU, first used on row 2")
    ]


def test_every_bad_cell_of_every_row_is_listed(tmp_path: Path) -> None:
    rows = rows_of(6)
    rows[1].update(price_vnd="45000.5", stars="7")
    rows[4].update(group="", expires_on="soon")
    path = write_csv(tmp_path / "catalog.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        validate_rows(read_rows(path), str(path))
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "stars"),
        (3, "price_vnd"),
        (6, "expires_on"),
        (6, "group"),
    ]
    message = str(caught.value)
    assert message.startswith(f"{path}: 4 problem(s), nothing was imported")
    assert "row 6, column 'group', value '': is required" in message


# --- accepted spellings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dong"),
    [
        ("45000", 45_000),
        ("45.000", 45_000),
        ("45,000", 45_000),
        ("45 000", 45_000),
        ("45\u00a0000", 45_000),
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("45.000đ", 45_000),
        ("45.000 ₫", 45_000),
        ("1.250.000 VND", 1_250_000),
    ],
)
def test_whole_dong_spellings(tmp_path: Path, text: str, dong: int) -> None:
    path = write_csv(tmp_path / "c.csv", [good_row(price_vnd=text, stock="1.200")])
    [record] = validate_rows(read_rows(path), str(path))
    assert (record.price_vnd, record.stock) == (dong, 1200)


def test_cells_are_normalised(tmp_path: Path) -> None:
    row = good_row(
        group=" Beverage ",
        entity_kind="Cooperative",
        status="",
        stock="0",
        weight_g="",
        certified_on="",
        expires_on="30/06/2027",
        image_urls="https://a.example/1.jpg\nhttps://a.example/2,3.jpg, http://b.example/4.jpg",
    )
    path = write_csv(tmp_path / "c.csv", [row])
    [record] = validate_rows(read_rows(path), str(path))
    assert record.group == "beverage"
    assert record.entity_kind == "cooperative"
    assert record.status == "active"
    assert record.stock == 0
    assert record.weight_g is None
    assert record.certified_on is None
    assert record.expires_on == date(2027, 6, 30)
    assert record.image_urls == (
        "https://a.example/1.jpg",
        "https://a.example/2,3.jpg",
        "http://b.example/4.jpg",
    )


# --- file shapes ----------------------------------------------------------------------


def test_csv_with_bom_keeps_diacritics_byte_exact(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [good_row()], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    import_catalog(engine, path)
    with Session(engine) as session:
        product = session.get(Product, "QN-BACHE-0001")
        entity = session.get(Entity, "QN-E001")
        assert product is not None and entity is not None
        assert product.name.encode() == TEA.encode()
        assert entity.name == "HTX Trà hoa vàng Ba Chẽ"
        assert product.province == "Quảng Ninh"


def test_decomposed_input_is_stored_composed(engine: Engine, tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", TEA)
    assert nfd != TEA
    path = write_csv(tmp_path / "c.csv", [good_row(name=nfd, province="Qua\u0309ng Ninh")])
    import_catalog(engine, path)
    with Session(engine) as session:
        product = session.get(Product, "QN-BACHE-0001")
        assert product is not None
        assert product.name == TEA
        assert product.province == "Quảng Ninh"


def test_semicolon_csv(tmp_path: Path) -> None:
    rows = [good_row(price_vnd="45.000"), good_row(sku="QN-BACHE-0002", price_vnd="1.250.000")]
    path = write_csv(tmp_path / "c.csv", rows, delimiter=";")
    records = validate_rows(read_rows(path), str(path))
    assert [r.price_vnd for r in records] == [45_000, 1_250_000]
    assert records[0].name == TEA


def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([" SKU ", "Name", "entity_code", "province", "group", "stars", "certified_on",
                  "expires_on", "price_vnd", "stock", "weight_g", "barcode"])  # fmt: skip
    excel_datetime = datetime(2024, 3, 1)  # noqa: DTZ001 - Excel cells have no time zone
    sheet.append(["X-1", TEA, "QN-E001", "Quảng Ninh", "food", 4, excel_datetime,
                  date(2027, 3, 1), 45000, 12.0, None, "0893500123456"])  # fmt: skip
    sheet.append([None] * 12)
    sheet.append(["X-2", "Miến dong", "QN-E002", "Quảng Ninh", "food", 3, None,
                  "2027-03-01", 45000.5, 0, 250, None])  # fmt: skip
    path = tmp_path / "c.xlsx"
    workbook.save(path)
    rows = read_rows(path)
    assert [n for n, _ in rows] == [2, 4]
    first = rows[0][1]
    assert (first["sku"], first["name"], first["stars"]) == ("X-1", TEA, "4")
    assert (first["certified_on"], first["expires_on"]) == ("2024-03-01", "2027-03-01")
    assert (first["price_vnd"], first["stock"], first["weight_g"]) == ("45000", "12", "")
    assert first["barcode"] == "0893500123456"
    with pytest.raises(ImportRejected) as caught:
        validate_rows(rows, str(path))
    [error] = caught.value.errors
    assert (error.row, error.column, error.value) == (4, "price_vnd", "45000.5")


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_array_or_products_object(tmp_path: Path, wrapped: bool) -> None:
    items: list[dict[str, Any]] = [
        {
            **good_row(),
            "price_vnd": 45000,
            "stars": 4,
            "stock": 0,
            "image_urls": ["https://a/1.jpg"],
        },
        {**good_row(sku="QN-BACHE-0002"), "price_vnd": 45000.5, "weight_g": None},
    ]
    path = tmp_path / "c.json"
    data = {"products": items} if wrapped else items
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rows = read_rows(path)
    assert [n for n, _ in rows] == [1, 2]
    assert rows[0][1]["price_vnd"] == "45000"
    assert rows[0][1]["name"] == TEA
    with pytest.raises(ImportRejected) as caught:
        validate_rows(rows, str(path))
    [error] = caught.value.errors
    assert (error.row, error.column, error.value) == (2, "price_vnd", "45000.5")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.txt", b"sku\n", "unsupported file type '.txt'"),
        ("c.csv", b"", "is empty"),
        ("c.csv", "sku,name\nX,Trà".encode("cp1258"), "is not UTF-8 text"),
        (
            "c.csv",
            b"sku,name,stars\nX,Tea,4\n",
            "missing required column(s): entity_code, province",
        ),
        ("c.csv", ",".join(COLUMNS).encode() + b"\n", "has a header but no product rows"),
        (
            "c.csv",
            b"sku," + ",".join(COLUMNS).encode() + b"\n",
            "column(s) named twice in the header: sku",
        ),
        ("c.json", b'[{"sku": "X",}]', "is not valid JSON (line 1, column 14"),
        ("c.json", b'{"items": []}', "JSON must be an array of products"),
        ("c.json", b"[1, 2]", "item 1 of the JSON array is not an object"),
        ("c.json", b"[]", "has a header but no product rows"),
        ("c.xlsx", b"not a zip file", "is not a readable .xlsx workbook"),
    ],
)
def test_unreadable_files_are_named(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CatalogError) as caught:
        read_rows(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(CatalogError, match=r"nowhere\.csv: cannot read the file"):
        read_rows(path)


# --- the import itself ----------------------------------------------------------------


def test_one_bad_row_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    import_catalog(engine, write_csv(tmp_path / "first.csv", rows_of(3)))
    before = snapshot(engine)
    rows = rows_of(5, price_vnd="99.000")  # updates 3, adds 2
    rows[3]["stock"] = "-4"
    with pytest.raises(ImportRejected) as caught:
        import_catalog(engine, write_csv(tmp_path / "second.csv", rows))
    assert [(e.row, e.column) for e in caught.value.errors] == [(5, "stock")]
    assert snapshot(engine) == before


def test_upsert_report_across_two_imports(engine: Engine, tmp_path: Path) -> None:
    first = import_catalog(engine, write_csv(tmp_path / "a.csv", rows_of(3)))
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert first.added_skus == ("QN-BACHE-0001", "QN-BACHE-0002", "QN-BACHE-0003")
    assert first.entities_added == ("QN-E001",)
    rows = rows_of(4)[1:]  # 0001 absent, 0002 changed, 0003 same, 0004 new
    rows[0].update(price_vnd="190.000", stock="95")
    second = import_catalog(engine, write_csv(tmp_path / "b.csv", rows))
    assert second.added_skus == ("QN-BACHE-0004",)
    assert second.updated_skus == ("QN-BACHE-0002",)
    assert second.unchanged_skus == ("QN-BACHE-0003",)
    assert second.changed_columns == {"QN-BACHE-0002": ("price_vnd", "stock")}
    assert (second.added, second.updated, second.unchanged) == (1, 1, 1)
    with Session(engine) as session:
        skus = session.exec(select(Product.sku).order_by(Product.sku)).all()
        changed = session.get(Product, "QN-BACHE-0002")
    assert skus == ["QN-BACHE-0001", "QN-BACHE-0002", "QN-BACHE-0003", "QN-BACHE-0004"]
    assert changed is not None and (changed.price_vnd, changed.stock) == (190_000, 95)


def test_dry_run_reports_and_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    import_catalog(engine, write_csv(tmp_path / "a.csv", rows_of(2)))
    before = snapshot(engine)
    rows = rows_of(3)
    rows[0]["name"] = "Trà hoa vàng – hộp quà"
    report = import_catalog(engine, write_csv(tmp_path / "b.csv", rows), dry_run=True)
    assert report.dry_run
    assert (report.added_skus, report.updated_skus) == (("QN-BACHE-0003",), ("QN-BACHE-0001",))
    assert report.changed_columns == {"QN-BACHE-0001": ("name",)}
    assert snapshot(engine) == before


def test_entities_fill_blanks_but_never_erase(engine: Engine, tmp_path: Path) -> None:
    rows = rows_of(3, entity_name="", entity_kind="", district="")
    rows[1].update(entity_name="HTX Trà hoa vàng Ba Chẽ", district="Ba Chẽ")
    rows[2].update(entity_name="A later, different name", entity_kind="cooperative")
    import_catalog(engine, write_csv(tmp_path / "a.csv", rows))
    report = import_catalog(engine, write_csv(tmp_path / "b.csv", rows_of(1, entity_name="")))
    assert report.entities_updated == ()
    with Session(engine) as session:
        entity = session.get(Entity, "QN-E001")
    assert entity is not None
    assert (entity.name, entity.kind) == ("HTX Trà hoa vàng Ba Chẽ", "cooperative")
    assert (entity.province, entity.district) == ("Quảng Ninh", "Ba Chẽ")


def test_new_entities_with_different_blanks(engine: Engine, tmp_path: Path) -> None:
    rows = rows_of(3)
    rows[1].update(entity_code="QN-E002", entity_kind="", entity_name="")
    rows[2].update(entity_code="QN-E003", district="")
    report = import_catalog(engine, write_csv(tmp_path / "a.csv", rows))
    assert report.entities_added == ("QN-E001", "QN-E002", "QN-E003")
    rows[1].update(entity_kind="household")
    report = import_catalog(engine, write_csv(tmp_path / "b.csv", rows))
    assert report.entities_updated == ("QN-E002",)
    with Session(engine) as session:
        second = session.get(Entity, "QN-E002")
        third = session.get(Entity, "QN-E003")
    assert second is not None and (second.name, second.kind) == ("", "household")
    assert third is not None and (third.kind, third.district) == ("cooperative", "")


def test_twenty_thousand_rows_import_in_bulk(engine: Engine, tmp_path: Path) -> None:
    rows = [
        good_row(
            sku=f"AG-TRITON-{i:05d}", entity_code=f"AG-E{i % 300:03d}", price_vnd=str(45_000 + i)
        )
        for i in range(20_000)
    ]
    path = write_csv(tmp_path / "national.csv", rows)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    started = time.perf_counter()
    report = import_catalog(engine, path)
    again = import_catalog(engine, path)
    elapsed = time.perf_counter() - started
    assert (report.added, again.unchanged) == (20_000, 20_000)
    # Bulk, not per row: a handful of statements (executemany batches count once).
    assert len(statements) < 30, statements[:40]
    assert elapsed < 20, f"two imports of 20,000 rows took {elapsed:.1f}s"
