"""The bad-input matrix of ``catalog import``: every file a user or an adversary could give.

Each case goes through the CLI and must give exit status 1, one message on stderr that
names the file (and the row and column where there is one), no traceback, and a
database left byte for byte as it was: the SQLite file is checkpointed and hashed
before and after, and its content is compared as an SQL dump too.
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import io
import json
import sqlite3
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.models import make_engine
from tests.conftest import CATALOG_COLUMNS, product

runner = CliRunner()
SKU, OTHER = "QN-TEA-001", "QN-TEA-002"


# --- helpers --------------------------------------------------------------------------


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def good_rows() -> list[dict[str, str]]:
    return [product(SKU, stock=12), product(OTHER, stock=30, description="Miến dong")]


def with_cell(column: str, value: str) -> bytes:
    """The good catalog with one cell of its second product (row 3) replaced."""
    rows = good_rows()
    rows[1][column] = value
    return csv_text(rows).encode()


def renamed_header(old: str, new: str) -> bytes:
    rows = [{(new if k == old else k): v for k, v in r.items()} for r in good_rows()]
    return csv_text(rows).encode()


def workbook_bytes(fill: Callable[[Workbook], None]) -> bytes:
    workbook = Workbook()
    fill(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def two_header_sheets(workbook: Workbook) -> None:
    for index, title in enumerate(("Đợt 1", "Đợt 2")):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(CATALOG_COLUMNS)
        sheet.append([product(f"QN-{index}")[c] for c in CATALOG_COLUMNS])


def header_with_typos(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet.append(["DANH SÁCH SẢN PHẨM OCOP"])
    sheet.append(["Mã SP", "Tên SP", "Mã chủ thể", "Tỉnh", "Nhóm", "Hạng sao", "Ngày hết hạn",
                  "Gia ban le", "Ton kho hien tai"])  # fmt: skip


def db_state(path: Path) -> tuple[str, str]:
    """(sha256 of the SQLite file, sha256 of its SQL dump), with the WAL folded in first.

    The CLI's engines are garbage, but may hold connections until collected; a
    checkpoint with TRUNCATE then moves every committed page into the main file, so the
    file's bytes are the whole database. A failed import writes nothing to the WAL, so
    the second checkpoint has nothing to copy and the bytes must be identical.
    """
    gc.collect()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(dump.encode()).hexdigest()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database holding the good catalog, imported through the CLI."""
    path = tmp_path / "ocopsync.db"
    config = tmp_path / "ocopsync.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{path}"\n', encoding="utf-8")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)
    monkeypatch.delenv("OCOPSYNC_LANG", raising=False)
    good = tmp_path / "good.csv"
    good.write_text(csv_text(good_rows()), encoding="utf-8")
    code, _out, err = cli("catalog", "import", str(good))
    assert code == 0, err
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_refused(db: Path, path: Path, *args: str, expect: tuple[str, ...]) -> str:
    """Import ``path``: exit 1, one error naming the file and ``expect``, nothing changed."""
    before = db_state(db)
    code, out, err = cli("catalog", "import", str(path), *args)
    assert code == 1, (out, err)
    assert "Traceback" not in err + out
    message = " ".join(err.split())  # Rich may wrap a long line
    assert err.count("error:") == 1, err
    assert path.name in message, err
    for fragment in expect:
        assert " ".join(fragment.split()) in message, (fragment, err)
    assert db_state(db) == before
    return message


# --- the matrix -----------------------------------------------------------------------

NEVER_CLOSED = csv_text(good_rows()).replace(",Trà hoa vàng,", ',"Trà hoa vàng, hộp 50g,', 1)
CLOSED_LATER = (
    csv_text([*good_rows(), product("QN-TEA-003", description="Miến, dong")])
    .replace(",Trà hoa vàng,", ',"Trà hoa vàng,', 1)
)  # fmt: skip


def _third_line(text: str, change: Callable[[str], str]) -> str:
    lines = text.split("\n")
    lines[2] = change(lines[2])
    return "\n".join(lines)


EXTRA_CELL = _third_line(csv_text(good_rows()), lambda line: line + ",extra")
MISSING_CELL = _third_line(csv_text(good_rows()), lambda line: line.rsplit(",", 1)[0])
N = len(CATALOG_COLUMNS)
ZIP_BYTES = workbook_bytes(lambda wb: wb.active.append(CATALOG_COLUMNS))

CASES: list[tuple[str, str, bytes, tuple[str, ...], tuple[str, ...]]] = [
    # id, file name, content, extra arguments, fragments the message must hold
    ("unbalanced quote never closed", "q.csv", NEVER_CLOSED.encode(), (),
     ("row 2 (line 2), column 'description'", "quote is never closed")),
    ("unbalanced quote swallowing rows", "q.csv", CLOSED_LATER.encode(), (),
     ("row 2 (line 2), column 'description'", "closes on line 4", "unbalanced quote")),
    ("a cell too many", "x.csv", EXTRA_CELL.encode(), (),
     (f"row 3 (line 3) has {N + 1} cells but the header on row 1 has {N}",)),
    ("a cell too few", "x.csv", MISSING_CELL.encode(), (),
     (f"row 3 (line 3) has {N - 1} cells but the header on row 1 has {N}",)),
    ("header typo with --strict", "t.csv", renamed_header("weight_g", "weigth_g"), ("--strict",),
     ("unknown column(s)", "'weigth_g' (did you mean weight_g?)", "--strict")),
    ("stock 2**63", "n.csv", with_cell("stock", str(2**63)), (),
     ("row 3, column 'stock'", "must be at most 10,000,000 units")),
    ("price 2**63", "n.csv", with_cell("price_vnd", str(2**63)), (),
     ("row 3, column 'price_vnd'", "must be at most 1,000,000,000 dong")),
    ("weight 2**63", "n.csv", with_cell("weight_g", str(2**63)), (),
     ("row 3, column 'weight_g'", "must be at most 1,000,000 g")),
    ("stock_at_export 2**63", "n.csv",
     csv_text([{**r, "stock_at_export": str(2**63)} for r in good_rows()]).encode(), (),
     ("row 2, column 'stock_at_export'", "must be at most 10,000,000")),
    ("a number of 5,000 digits", "n.csv", with_cell("stock", "9" * 5000), (),
     ("row 3, column 'stock'", "5000 digits; far too large")),
    ("stars 9", "n.csv", with_cell("stars", "9 sao"), (),
     ("row 3, column 'stars'", "must be 3, 4 or 5")),
    ("non-UTF-8 (cp1258)", "v.csv", csv_text(good_rows()).encode("cp1258", "replace"), (),
     ("is not UTF-8 text", "line 2", "Windows-1258", "CSV UTF-8")),
    ("UTF-16 without a byte order mark", "u.csv", csv_text(good_rows()).encode("utf-16-le"), (),
     ("contains NUL bytes", "UTF-16 without a byte order mark")),
    ("empty file", "e.csv", b"", (), ("is empty",)),
    ("blank lines only", "e.csv", b"\r\n  \n\n", (), ("is empty",)),
    ("BOM only", "e.csv", codecs.BOM_UTF8, (), ("is empty",)),
    ("header only", "h.csv", (",".join(CATALOG_COLUMNS) + "\n").encode(), (),
     ("has a header but no product rows",)),
    ("no header row", "h.csv", b"sku,name,stars\nX,Tea,4\n", (),
     ("no header row in the first 10 rows", "headers seen on row 1: 'sku', 'name', 'stars'",
      "missing required column(s): entity_code, province, group")),
    (".xlsx that is really CSV", "r.xlsx", csv_text(good_rows()).encode(), (),
     ("is not a readable .xlsx workbook: it is text (CSV?)", ".csv extension")),
    (".csv that is really a workbook", "r.csv", ZIP_BYTES, (),
     ("is a ZIP archive", ".xlsx extension")),
    (".json that is really a workbook", "r.json", ZIP_BYTES, (), ("is a ZIP archive",)),
    (".xlsx that is an old .xls", "o.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, (),
     ("old Excel .xls",)),
    (".xlsx that is a zip of something else", "z.xlsx",
     (lambda b: (zipfile.ZipFile(b, "w").writestr("a.txt", "x"), b.getvalue())[1])(io.BytesIO()),
     (), ("is not a readable .xlsx workbook",)),
    ("unsupported type", "c.txt", csv_text(good_rows()).encode(), (),
     ("unsupported file type '.txt'",)),
    ("JSON object without products", "j.json", b'{"items": []}', (),
     ("JSON must be an array of products",)),
    ("JSON array of numbers", "j.json", b"[1, 2]", (),
     ("item 1 of the JSON array is not an object",)),
    ("JSON products not a list", "j.json", json.dumps({"products": product(SKU)}).encode(), (),
     ("JSON must be an array of products",)),
    ("JSON missing required keys", "j.json", json.dumps([{"sku": SKU, "nam": "x"}]).encode(), (),
     ("missing required column(s): name, entity_code", "'nam' (did you mean name?)")),
    ("JSON nested object as a price", "j.json",
     json.dumps([{**product(SKU), "price_vnd": {"amount": 45000}}]).encode(), (),
     ("row 1, column 'price_vnd'", "is not a number")),
    ("JSON not JSON", "j.json", b"[{'sku': 1}]", (), ("is not valid JSON (line 1, column 3",)),
    ("JSON nested 100,000 deep", "j.json", b"[" * 100_000, (),
     ("is JSON nested too deeply",)),
    ("1 MB description", "b.csv", with_cell("description", "x" * 1_048_576), (),
     ("row 3, column 'description'", "is 1,048,576 characters long; at most 20,000 allowed")),
    ("1 MB SKU", "b.csv", with_cell("sku", "Q" * 1_048_576), (),
     ("row 3, column 'sku'", "at most 64 allowed")),
    ("SKU with a space", "s.csv", with_cell("sku", "QN TEA 002"), (),
     ("row 3, column 'sku', value 'QN TEA 002': must not contain spaces",)),
    ("SKU with a tab", "s.csv", with_cell("sku", "QN\tTEA"), (), ("must not contain spaces",)),
    ("SKU with a control character", "s.csv", with_cell("sku", "QN-\x07TEA"), (),
     ("row 3, column 'sku'", "control or invisible characters (U+0007)")),
    ("SKU with a zero-width space", "s.csv", with_cell("sku", "QN-\u200bTEA"), (),
     ("row 3, column 'sku'", "(U+200B)")),
    ("name with a control character", "s.csv", with_cell("name", "Trà\x1b[31m"), (),
     ("row 3, column 'name'", "control character (U+001B)")),
    ("duplicate SKU", "d.csv", with_cell("sku", SKU), (),
     ("row 3, column 'sku'", "duplicate SKU, first used on row 2")),
    ("--sheet on a CSV", "c.csv", csv_text(good_rows()).encode(), ("--sheet", "A"),
     ("--sheet applies to .xlsx workbooks only",)),
    ("two sheets with a header", "two.xlsx", workbook_bytes(two_header_sheets), (),
     ("sheets 'Đợt 1', 'Đợt 2' each have a header row; choose one with --sheet",)),
    ("unknown --sheet", "two.xlsx", workbook_bytes(two_header_sheets), ("--sheet", "Đợt 3"),
     ("has no sheet named 'Đợt 3'; its sheets: 'Đợt 1', 'Đợt 2'",)),
    ("workbook header with typos", "typo.xlsx", workbook_bytes(header_with_typos), (),
     ("no header row in the first 10 rows of sheet 'Sheet'",
      "headers seen on row 2: 'Mã SP', 'Tên SP'",
      "missing required column(s): price_vnd, stock",
      "'Gia ban le' (did you mean Giá bán (đ) = price_vnd?)",
      "'Ton kho hien tai' (did you mean Tồn kho = stock?)")),
    ("empty workbook", "empty.xlsx", workbook_bytes(lambda wb: None), (),
     ("no header row", "the file or sheet is empty")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "args", "expect"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input_is_refused_and_changes_nothing(
    db: Path,
    tmp_path: Path,
    name: str,
    content: bytes,
    args: tuple[str, ...],
    expect: tuple[str, ...],
) -> None:
    path = tmp_path / "input" / name
    path.parent.mkdir()
    path.write_bytes(content)
    assert_refused(db, path, *args, expect=expect)


def test_missing_file_is_refused(db: Path, tmp_path: Path) -> None:
    assert_refused(db, tmp_path / "nowhere.csv", expect=("cannot read the file",))


def test_every_bad_row_is_listed_once_in_one_message(db: Path, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0]["price_vnd"] = str(2**63)
    rows[1].update(stock="-1", group="Đồ ăn vặt")
    path = tmp_path / "many.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    message = assert_refused(
        db, path, expect=("3 problem(s), nothing was imported", "row 2, column 'price_vnd'")
    )
    assert "row 3, column 'group', value 'Đồ ăn vặt': must be one of food" in message
    assert "Thực phẩm / Đồ uống" in message


def test_a_hundred_thousand_rows_with_one_bad_last_row(db: Path, tmp_path: Path) -> None:
    columns = ["sku", "name", "entity_code", "province", "group", "stars", "expires_on",
               "price_vnd", "stock"]  # fmt: skip
    lines = [",".join(columns)]
    lines += [
        f"BIG-{i:06d},Trà {i},QN-E{i % 50:02d},Quảng Ninh,beverage,4,2029-01-01,{45000 + i},9"
        for i in range(99_999)
    ]
    lines.append("BIG-LAST,Trà cuối,QN-E01,Quảng Ninh,beverage,4,2029-01-01,45.000,many")
    path = tmp_path / "national.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    assert_refused(
        db,
        path,
        expect=("1 problem(s)", "row 100001, column 'stock', value 'many': is not a number"),
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"refusing 100,000 rows took {elapsed:.1f}s"


# --- not bad input: what is read, and how ----------------------------------------------


def test_utf16_with_bom_and_tabs_is_read(db: Path, tmp_path: Path) -> None:
    """Excel's "Unicode text" is UTF-16 with a BOM, tab-separated: a readable file."""
    rows = [product("QN-UTF16", name="Mắm tôm Hậu Lộc", stock=7)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CATALOG_COLUMNS, delimiter="\t")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "unicode.csv"
    path.write_bytes(buffer.getvalue().encode("utf-16"))  # with a BOM
    code, out, err = cli("catalog", "import", str(path))
    assert code == 0, err
    assert "1 added" in out and "read as UTF-16 text" in err
    code, doc, _ = cli("catalog", "show", "QN-UTF16", "--format", "json")
    assert json.loads(doc)["name"] == "Mắm tôm Hậu Lộc"


def test_a_header_typo_leaves_the_field_unchanged_and_warns(db: Path, tmp_path: Path) -> None:
    """The old failure: ``weigth_g`` said "1 updated" and blanked every weight."""
    path = tmp_path / "typo.csv"
    path.write_bytes(renamed_header("weight_g", "weigth_g"))
    code, out, err = cli("catalog", "import", str(path))
    assert code == 0, err
    assert "0 updated, 2 unchanged" in out
    warning = " ".join(err.split())
    assert "warning:" in warning and "'weigth_g' (did you mean weight_g?)" in warning
    assert "left as they are on existing products: weight_g" in warning
    code, doc, _ = cli("catalog", "show", SKU, "--format", "json")
    assert json.loads(doc)["weight_g"] == 250


def test_absent_column_keeps_present_empty_column_clears(db: Path, tmp_path: Path) -> None:
    rows = good_rows()
    without = [{k: v for k, v in r.items() if k not in ("description", "status")} for r in rows]
    path = tmp_path / "short.csv"
    path.write_text(csv_text(without), encoding="utf-8")
    code, out, _ = cli("catalog", "import", str(path))
    assert (code, "2 unchanged" in out) == (0, True)
    code, doc, _ = cli("catalog", "show", OTHER, "--format", "json")
    assert json.loads(doc)["description"] == "Miến dong"

    rows[1]["description"] = ""
    path.write_text(csv_text(rows), encoding="utf-8")
    code, out, _ = cli("catalog", "import", str(path), "--dry-run")
    assert "~ QN-TEA-002" in out and "description: 'Miến dong' -> ''" in out
    code, out, _ = cli("catalog", "import", str(path))
    assert "1 updated" in out
    code, doc, _ = cli("catalog", "show", OTHER, "--format", "json")
    assert json.loads(doc)["description"] == ""


def test_json_object_without_a_key_keeps_that_field(db: Path, tmp_path: Path) -> None:
    items = [product(SKU, stock=12, price_vnd=50000), product(OTHER, stock=30)]
    del items[0]["description"], items[1]["description"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    code, out, _ = cli("catalog", "import", str(path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["changes"] == [
        {"sku": SKU, "fields": [{"field": "price_vnd", "from": 45000, "to": 50000}]}
    ]
    _code, shown, _ = cli("catalog", "show", OTHER, "--format", "json")
    assert json.loads(shown)["description"] == "Miến dong"


def test_dry_run_shows_every_field_old_to_new(db: Path, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0].update(price_vnd="48.000", stock="20", entity_kind="HTX", status="Ngừng bán")
    rows.append(product("QN-TEA-003"))
    path = tmp_path / "next.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    before = db_state(db)
    code, out, _ = cli("catalog", "import", str(path), "--dry-run")
    assert code == 0
    assert db_state(db) == before
    assert "would import" in out and "1 added, 1 updated, 1 unchanged" in out
    assert "  + QN-TEA-003 (new product)" in out
    assert "  ~ QN-TEA-001\n      price_vnd: 45000 -> 48000\n" in out
    assert "      stock: 12 -> 20 (file changed 12 -> 20)\n" in out
    assert "      status: 'active' -> 'discontinued'\n" in out
    code, json_out, _ = cli("catalog", "import", str(path), "--dry-run", "--format", "json")
    doc = json.loads(json_out)
    assert doc["added_skus"] == ["QN-TEA-003"]
    assert doc["changes"] == [
        {
            "sku": SKU,
            "fields": [
                {"field": "price_vnd", "from": 45000, "to": 48000},
                {"field": "stock", "from": 12, "to": 20},
                {"field": "status", "from": "active", "to": "discontinued"},
            ],
        }
    ]
    assert doc["entity_changes"] == []
    assert db_state(db) == before


def test_dry_run_shows_entity_changes(db: Path, tmp_path: Path) -> None:
    rows = good_rows()
    for row in rows:
        row["entity_name"] = "HTX Trà hoa vàng Ba Chẽ (mới)"
    path = tmp_path / "renamed.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    code, out, _ = cli("catalog", "import", str(path), "--dry-run")
    assert code == 0
    assert "~ entity QN-HTX-BACHE" in out
    assert "entity_name: 'HTX Trà hoa vàng Ba Chẽ' -> 'HTX Trà hoa vàng Ba Chẽ (mới)'" in out


def test_square_brackets_in_a_message_survive(db: Path, tmp_path: Path) -> None:
    """Rich would read ``[b]`` as markup and eat it; a user's own header must show."""
    path = tmp_path / "brackets.csv"
    path.write_bytes(renamed_header("barcode", "[b]arcode"))
    code, _, err = cli("catalog", "import", str(path))
    assert code == 0 and "'[b]arcode'" in err


def test_the_database_check_sees_a_change(tmp_path: Path) -> None:
    """The helper hashes what the CLI wrote: a second import that changes data changes it."""
    path = tmp_path / "t.db"
    engine = make_engine(f"sqlite:///{path}")
    engine.dispose()
    first = db_state(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO entity (code, name, kind, province, district) VALUES "
                 "('X', '', '', '', '')")  # fmt: skip
    conn.commit()
    conn.close()
    assert db_state(path) != first
