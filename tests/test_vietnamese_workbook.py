"""A cooperative's own workbook imports exactly: title rows, Vietnamese headers and values,
Excel date cells and serial numbers, a notes sheet beside the products.

The workbook is built here with openpyxl the way a provincial OCOP office's template
looks; then the alias and value tables are checked line by line.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine
from typer.testing import CliRunner

from ocopsync.catalog import import_catalog
from ocopsync.catalog_cells import parse_date
from ocopsync.catalog_files import read_table
from ocopsync.catalog_headers import (
    HEADER_ALIASES,
    canonical_value,
    find_header,
    key,
    nearest,
    parse_stars,
)
from ocopsync.cli import app
from ocopsync.config import Settings
from ocopsync.errors import CatalogError, ImportRejected
from ocopsync.models import make_engine

runner = CliRunner()

HEADER = ["STT", "Mã SP", "Tên sản phẩm", "Mã chủ thể", "Tên chủ thể", "Loại hình",
          "Tỉnh/Thành phố", "Quận/Huyện", "Nhóm sản phẩm", "Hạng sao", "Ngày cấp",
          "Ngày hết hạn", "Giá bán (VNĐ)", "Tồn kho", "Khối lượng (g)", "Mã vạch", "Mô tả",
          "Ảnh", "Trạng thái"]  # fmt: skip


def serial(day: date) -> int:
    """The Excel serial number of ``day`` (days since 1899-12-30)."""
    return (day - date(1899, 12, 30)).days


MIDNIGHT = datetime(2024, 3, 1)  # noqa: DTZ001 - Excel cells have no time zone
ROWS: list[list[Any]] = [
    [1, "QN-BACHE-0001", "Trà hoa vàng Ba Chẽ", "QN-E001", "HTX Trà hoa vàng Ba Chẽ", "HTX",
     "Quảng Ninh", "Ba Chẽ", "Đồ uống", "4 sao", MIDNIGHT, "31-05-2028", "180.000", 120, 50,
     "8935001234567", "Trà hoa vàng sấy lạnh, hộp 50g.", "https://img.example/tra.jpg",
     "Đang bán"],
    [2, "QN-BINHLIEU-0001", "Miến dong Bình Liêu", "QN-E002", "Công ty CP Miến dong Bình Liêu",
     "Doanh nghiệp", "Quảng Ninh", "Bình Liêu", "Thực phẩm", "5*", serial(date(2023, 7, 15)),
     "31.05.2028", 45000, 1200, 500, None, "Miến dong, gói 500g", None, "Ngừng bán"],
    [3, "QN-DAMHA-0001", "Chổi chít Đầm Hà", "QN-E003", "Hộ ông Nguyễn Văn An", "Hộ kinh doanh",
     "Quảng Ninh", "Đầm Hà", "Thủ công mỹ nghệ", 3, None, date(2027, 12, 31), 65000.0, 0, 300,
     None, None, None, None],
    [4, "QN-TIENYEN-0001", "Khăn thổ cẩm Tiên Yên", "QN-E003", None, "Hộ", "Quảng Ninh",
     "Tiên Yên", "Vải, may mặc", "3 sao", "15/01/2025", "14/01/2028", "250,000", 15, 200, None,
     "Dệt tay", "https://img.example/khan-1.jpg\nhttps://img.example/khan-2.jpg", "đang bán"],
    [5, "QN-VANDON-0001", "Rượu ba kích Vân Đồn", "QN-E004", "HTX Dược liệu Vân Đồn",
     "Hợp tác xã", "Quảng Ninh", "Vân Đồn", "Thảo dược", "4*", "2025-06-01",
     serial(date(2028, 6, 1)), "320.000đ", 40, 750, "8935009876543", None, None, "Đang bán"],
    [6, "QN-BINHLIEU-TOUR", "Du lịch cộng đồng Bình Liêu", "QN-E002", None, "DN", "Quảng Ninh",
     "Bình Liêu", "Du lịch cộng đồng", 4, None, "31/12/2027", "1.500.000", 0, None, None, None,
     None, None],
]  # fmt: skip

EXPECTED = [
    {"sku": "QN-BACHE-0001", "name": "Trà hoa vàng Ba Chẽ", "entity_code": "QN-E001",
     "entity_name": "HTX Trà hoa vàng Ba Chẽ", "entity_kind": "cooperative",
     "province": "Quảng Ninh", "district": "Ba Chẽ", "group": "beverage", "stars": 4,
     "certified_on": "2024-03-01", "expires_on": "2028-05-31", "price_vnd": 180_000,
     "stock": 120, "weight_g": 50, "barcode": "8935001234567",
     "description": "Trà hoa vàng sấy lạnh, hộp 50g.",
     "image_urls": "https://img.example/tra.jpg", "status": "active"},
    {"sku": "QN-BINHLIEU-0001", "name": "Miến dong Bình Liêu", "entity_code": "QN-E002",
     "entity_name": "Công ty CP Miến dong Bình Liêu", "entity_kind": "enterprise",
     "province": "Quảng Ninh", "district": "Bình Liêu", "group": "food", "stars": 5,
     "certified_on": "2023-07-15", "expires_on": "2028-05-31", "price_vnd": 45_000,
     "stock": 1200, "weight_g": 500, "barcode": "", "description": "Miến dong, gói 500g",
     "image_urls": "", "status": "discontinued"},
    {"sku": "QN-BINHLIEU-TOUR", "name": "Du lịch cộng đồng Bình Liêu", "entity_code": "QN-E002",
     "entity_name": "Công ty CP Miến dong Bình Liêu", "entity_kind": "enterprise",
     "province": "Quảng Ninh", "district": "Bình Liêu", "group": "tourism", "stars": 4,
     "certified_on": "", "expires_on": "2027-12-31", "price_vnd": 1_500_000, "stock": 0,
     "weight_g": None, "barcode": "", "description": "", "image_urls": "",
     "status": "active"},
    {"sku": "QN-DAMHA-0001", "name": "Chổi chít Đầm Hà", "entity_code": "QN-E003",
     "entity_name": "Hộ ông Nguyễn Văn An", "entity_kind": "household", "province": "Quảng Ninh",
     "district": "Đầm Hà", "group": "handicraft", "stars": 3, "certified_on": "",
     "expires_on": "2027-12-31", "price_vnd": 65_000, "stock": 0, "weight_g": 300,
     "barcode": "", "description": "", "image_urls": "", "status": "active"},
    {"sku": "QN-TIENYEN-0001", "name": "Khăn thổ cẩm Tiên Yên", "entity_code": "QN-E003",
     "entity_name": "Hộ ông Nguyễn Văn An", "entity_kind": "household", "province": "Quảng Ninh",
     "district": "Tiên Yên", "group": "textile", "stars": 3, "certified_on": "2025-01-15",
     "expires_on": "2028-01-14", "price_vnd": 250_000, "stock": 15, "weight_g": 200,
     "barcode": "", "description": "Dệt tay",
     "image_urls": "https://img.example/khan-1.jpg|https://img.example/khan-2.jpg",
     "status": "active"},
    {"sku": "QN-VANDON-0001", "name": "Rượu ba kích Vân Đồn", "entity_code": "QN-E004",
     "entity_name": "HTX Dược liệu Vân Đồn", "entity_kind": "cooperative",
     "province": "Quảng Ninh", "district": "Vân Đồn", "group": "herbal", "stars": 4,
     "certified_on": "2025-06-01", "expires_on": "2028-06-01", "price_vnd": 320_000,
     "stock": 40, "weight_g": 750, "barcode": "8935009876543", "description": "",
     "image_urls": "", "status": "active"},
]  # fmt: skip
for _product in EXPECTED:  # no oversell rules of its own in this workbook
    _product.update(
        stock_zero_at=None,
        stock_last_units_to="",
        stock_max=None,
        stock_share_pct=None,
        attributes="",
        brand="",
        parent_sku="",
        variant="",
    )


def build_workbook(
    path: Path,
    *,
    header: list[str] | None = None,
    rows: list[list[Any]] | None = None,
    notes_first: bool = True,
) -> Path:
    """The provincial template: a notes sheet, then the products under a title block."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Hướng dẫn"
    notes.append(["Hướng dẫn nhập liệu"])
    notes.append(["Mã SP: mã do HTX đặt, không có dấu cách"])
    notes.append(["Giá bán tính bằng đồng; ngày ghi DD/MM/YYYY"])
    sheet = workbook.create_sheet("Sản phẩm OCOP")
    sheet.append(["DANH SÁCH SẢN PHẨM OCOP TỈNH QUẢNG NINH NĂM 2026"])
    sheet.merge_cells("A1:S1")
    sheet.append(["(Kèm theo báo cáo ngày 01/12/2026 của Sở Nông nghiệp và Môi trường)"])
    sheet.append([])
    sheet.append(header or HEADER)
    for row in ROWS if rows is None else rows:
        sheet.append(row)
    for cell in sheet["K"][4:]:  # Ngày cấp: the first product's is a real date cell
        if isinstance(cell.value, datetime):
            cell.number_format = "DD/MM/YYYY"
    if not notes_first:
        workbook.move_sheet("Hướng dẫn", offset=1)
    workbook.save(path)
    return path


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    config = tmp_path / "ocopsync.toml"
    config.write_text(f'[database]\nurl = "{engine.url}"\n', encoding="utf-8")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


def listed(cli: Any) -> list[dict[str, Any]]:
    code, out, err = cli("catalog", "list", "--format", "json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


# --- the workbook, end to end ----------------------------------------------------------


@pytest.mark.parametrize("notes_first", [True, False])
def test_the_workbook_imports_exactly(cli: Any, tmp_path: Path, notes_first: bool) -> None:
    book = build_workbook(tmp_path / "OCOP Quảng Ninh 2026.xlsx", notes_first=notes_first)
    code, out, err = cli("catalog", "import", str(book))
    assert code == 0, err
    assert "(sheet 'Sản phẩm OCOP', header on row 4): 6 added, 0 updated" in out
    assert err == ""  # STT is known, not imported, and no reason for a warning
    assert listed(cli) == EXPECTED

    code, out, _ = cli("catalog", "import", str(book), "--format", "json")
    doc = json.loads(out)
    assert (doc["sheet"], doc["header_row"], doc["warnings"]) == ("Sản phẩm OCOP", 4, [])
    assert (doc["added"], doc["updated"], doc["unchanged"]) == (0, 0, 6)


def test_export_of_the_workbook_reimports_as_unchanged(cli: Any, tmp_path: Path) -> None:
    cli("catalog", "import", str(build_workbook(tmp_path / "book.xlsx")))
    for suffix in (".csv", ".xlsx", ".json"):
        export = tmp_path / f"export{suffix}"
        assert cli("catalog", "export", str(export))[0] == 0
        code, out, err = cli("catalog", "import", str(export))
        assert (code, err) == (0, "")
        assert "0 added, 0 updated, 6 unchanged" in out, suffix
    assert listed(cli) == EXPECTED


def test_errors_name_the_workbooks_own_headers(cli: Any, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][12] = "miễn phí"  # Giá bán of the product on sheet row 6
    rows[3][9] = "6 sao"
    rows[4][11] = "31/02/2028"
    book = build_workbook(tmp_path / "book.xlsx", rows=rows)
    code, _, err = cli("catalog", "import", str(book))
    assert code == 1
    message = " ".join(err.split())
    assert "3 problem(s), nothing was imported" in message
    assert "row 6, column 'Giá bán (VNĐ) = price_vnd', value 'miễn phí': is not a number" in message
    assert "row 8, column 'Hạng sao = stars', value '6 sao': must be 3, 4 or 5" in message
    assert "row 9, column 'Ngày hết hạn = expires_on', value '31/02/2028': is not a date" in message
    assert listed(cli) == []


def test_the_sheet_can_be_named(cli: Any, tmp_path: Path) -> None:
    book = build_workbook(tmp_path / "book.xlsx")
    code, out, _ = cli("catalog", "import", str(book), "--sheet", "san pham ocop", "--dry-run")
    assert code == 0 and "would import" in out and "6 added" in out
    code, _, err = cli("catalog", "import", str(book), "--sheet", "Hướng dẫn")
    assert code == 1
    message = " ".join(err.split())
    assert "no header row in the first 10 rows of sheet 'Hướng dẫn'" in message
    assert "headers seen on row 1: 'Hướng dẫn nhập liệu'" in message
    assert "missing required column(s): sku, name" in message


def test_a_vietnamese_value_nobody_mapped_is_refused_with_the_choices(
    cli: Any, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][8] = "Đồ uống có cồn"
    rows[0][5] = "Công ty cổ phần"
    code, _, err = cli("catalog", "import", str(build_workbook(tmp_path / "b.xlsx", rows=rows)))
    message = " ".join(err.split())
    assert code == 1
    assert (
        "row 5, column 'Nhóm sản phẩm = group', value 'Đồ uống có cồn': must be one of food, "
        "beverage, herbal, textile, handicraft, tourism (or Thực phẩm / Đồ uống / Thảo dược / "
        "Vải, may mặc / Thủ công mỹ nghệ / Du lịch cộng đồng)"
    ) in message
    assert "column 'Loại hình = entity_kind', value 'Công ty cổ phần'" in message


def test_a_column_absent_from_the_workbook_is_left_as_it_is(cli: Any, tmp_path: Path) -> None:
    cli("catalog", "import", str(build_workbook(tmp_path / "full.xlsx")))
    keep = [i for i, name in enumerate(HEADER) if name not in ("Mô tả", "Trạng thái", "Ảnh")]
    header = [HEADER[i] for i in keep]
    rows = [[r[i] for i in keep] for r in ROWS]
    rows[0][header.index("Giá bán (VNĐ)")] = "185.000"
    book = build_workbook(tmp_path / "prices.xlsx", header=header, rows=rows)
    code, out, _ = cli("catalog", "import", str(book), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["changes"] == [
        {"sku": "QN-BACHE-0001", "fields": [{"field": "price_vnd", "from": 180000, "to": 185000}]}
    ]
    expected = [dict(p) for p in EXPECTED]
    expected[0]["price_vnd"] = 185_000
    assert listed(cli) == expected  # descriptions, images, statuses all kept


def test_user_mapping_names_a_header_the_table_does_not_know(
    engine: Engine, tmp_path: Path
) -> None:
    header = ["Mã hàng" if h == "Mã SP" else h for h in HEADER]
    book = build_workbook(tmp_path / "book.xlsx", header=header)
    with pytest.raises(CatalogError) as caught:
        import_catalog(engine, book)
    assert "missing required column(s): sku" in str(caught.value)
    assert "'Mã hàng'" in str(caught.value)
    report = import_catalog(engine, book, columns={"MÃ HÀNG": "sku"})
    assert report.added == 6
    with pytest.raises(CatalogError, match="maps to 'skus', which is no catalog column"):
        import_catalog(engine, book, columns={"Mã hàng": "skus"})


def _settings_fields() -> set[str]:
    fields = getattr(Settings, "__dataclass_fields__", None) or getattr(
        Settings, "model_fields", {}
    )
    return set(fields)


@pytest.mark.skipif(
    "catalog_columns" not in _settings_fields(),
    reason="[catalog.columns] is read by config.py (a separate change)",
)
def test_user_mapping_from_the_config(cli: Any, engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(
        f'[database]\nurl = "{engine.url}"\n\n[catalog.columns]\n"Mã hàng" = "sku"\n',
        encoding="utf-8",
    )
    header = ["Mã hàng" if h == "Mã SP" else h for h in HEADER]
    code, out, err = cli(
        "catalog", "import", str(build_workbook(tmp_path / "b.xlsx", header=header))
    )
    assert code == 0, err
    assert "6 added" in out


def test_rows_under_a_title_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    table = read_table(build_workbook(tmp_path / "book.xlsx"))
    assert (table.sheet, table.header.row) == ("Sản phẩm OCOP", 4)
    assert [n for n, _ in table.rows] == [5, 6, 7, 8, 9, 10]
    assert table.header.labels()["price_vnd"] == "Giá bán (VNĐ)"
    assert table.rows[1][1]["certified_on"] == str(serial(date(2023, 7, 15)))


def test_csv_with_a_title_row_and_vietnamese_headers(engine: Engine, tmp_path: Path) -> None:
    lines = [
        "DANH SÁCH SẢN PHẨM OCOP;;;;;;;;",
        ";;;;;;;;",
        "Mã SP;Tên sản phẩm;Mã chủ thể;Tỉnh;Nhóm;Số sao;Ngày hết hạn;Giá;Số lượng",
        "QN-1;Trà hoa vàng;QN-E001;Quảng Ninh;Đồ uống;4 sao;31.05.2028;180.000;12",
    ]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = import_catalog(engine, path)
    assert (report.added, report.header_row, report.sheet) == (1, 3, None)
    bad = [*lines[:3], lines[3].replace(";12", ";12 hộp")]
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_catalog(make_engine(f"sqlite:///{tmp_path}/other.db"), path)
    [error] = caught.value.errors
    assert (error.row, error.column) == (4, "Số lượng = stock")


# --- the tables, line by line ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [(alias, column) for column, aliases in HEADER_ALIASES.items() for alias in aliases]
    + [
        ("MÃ SP", "sku"),
        ("ma sp", "sku"),
        ("  Tên   sản phẩm ", "name"),
        ("TINH/THANH PHO", "province"),
        ("Tỉnh - Thành phố", "province"),
        ("quan huyen", "district"),
        ("price_vnd", "price_vnd"),
        ("Giá bán (vnd)", "price_vnd"),
        ("Khoi luong (g)", "weight_g"),
        ("Ngay het han", "expires_on"),
    ],
)
def test_header_aliases(header: str, column: str) -> None:
    found, _ = find_header([(1, [header, *_other_required(column)])], {})
    assert found is not None, header
    assert found.columns[0] == column


def _other_required(column: str) -> list[str]:
    from ocopsync.catalog_headers import REQUIRED

    return [c for c in REQUIRED if c != column]


def test_no_alias_means_two_columns() -> None:
    seen: dict[str, str] = {}
    for column, aliases in HEADER_ALIASES.items():
        for alias in (column, *aliases):
            assert seen.setdefault(key(alias), column) == column, alias


@pytest.mark.parametrize("header", ["Khối lượng", "Khối lượng (kg)", "Mã hàng", "Tên", "Hàng"])
def test_ambiguous_headers_are_not_guessed(header: str) -> None:
    found, candidate = find_header([(1, [header])], {})
    assert found is None and candidate is not None
    assert candidate.unknown == (header,)


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("weigth_g", "weight_g"),
        ("expire_on", "expires_on"),
        ("Tên sảnphẩm", "Tên sản phẩm = name"),
        ("Ngay het han su dung", "Ngày hết hạn = expires_on"),
        ("zzz", None),
    ],
)
def test_nearest_known_name(header: str, hint: str | None) -> None:
    assert nearest(header) == hint


@pytest.mark.parametrize(
    ("column", "value", "canonical"),
    [
        ("group", "Thực phẩm", "food"),
        ("group", "THỰC PHẨM", "food"),
        ("group", "Đồ uống", "beverage"),
        ("group", "do uong", "beverage"),
        ("group", "Thảo dược", "herbal"),
        ("group", "Vải, may mặc", "textile"),
        ("group", "Vải và may mặc", "textile"),
        ("group", "Thủ công mỹ nghệ", "handicraft"),
        ("group", "Lưu niệm - nội thất - trang trí", "handicraft"),
        ("group", "Du lịch cộng đồng", "tourism"),
        ("group", "Beverage", "beverage"),
        ("group", "drinks", "drinks"),
        ("entity_kind", "Doanh nghiệp", "enterprise"),
        ("entity_kind", "DN", "enterprise"),
        ("entity_kind", "HTX", "cooperative"),
        ("entity_kind", "Hợp tác xã", "cooperative"),
        ("entity_kind", "Hộ kinh doanh", "household"),
        ("entity_kind", "Hộ", "household"),
        ("entity_kind", "company", "company"),
        ("status", "Đang bán", "active"),
        ("status", "ĐANG BÁN", "active"),
        ("status", "Ngừng bán", "discontinued"),
        ("status", "paused", "paused"),
    ],
)
def test_value_aliases(column: str, value: str, canonical: str) -> None:
    assert canonical_value(column, value) == canonical


@pytest.mark.parametrize(
    ("text", "stars"),
    [("4", 4), ("4 sao", 4), ("4 Sao", 4), ("4*", 4), ("5 ★", 5), ("3 stars", 3),
     ("4.5", None), ("6 sao", None), ("2", None), ("bốn", None), ("", None)],
)  # fmt: skip
def test_stars(text: str, stars: int | None) -> None:
    assert parse_stars(text) == stars


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2028-05-31", date(2028, 5, 31)),
        ("31/05/2028", date(2028, 5, 31)),
        ("31-05-2028", date(2028, 5, 31)),
        ("31.05.2028", date(2028, 5, 31)),
        ("1/6/2028", date(2028, 6, 1)),
        ("2028-05-31 00:00:00", date(2028, 5, 31)),
        (str(serial(date(2028, 5, 31))), date(2028, 5, 31)),
        (f"{serial(date(2028, 5, 31))}.75", date(2028, 5, 31)),
        ("05/31/2028", None),  # month first is not how Vietnam writes dates
        ("31.13.2028", None),
        ("99999", None),  # a serial past 2099: a typo, not a date
        ("12345", None),
        ("2028", None),
    ],
)
def test_dates(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_keys_fold_accents_case_and_punctuation() -> None:
    assert key("Tỉnh/Thành phố") == key("tinh - thanh pho") == "tinh thanh pho"
    assert key("Đơn giá (VNĐ)") == "don gia vnd"
