"""Catalog files on disk: CSV, XLSX and JSON in, the same three out. No database here.

Cooperatives keep their products in whatever a spreadsheet saves: Excel's
"CSV UTF-8" (with a BOM), a semicolon CSV from a European-locale Excel, the
workbook itself, or JSON from a script. Every reader yields the same thing, raw
text per cell with the row number a person sees; the cell readers at the end turn
that text into whole dong, dates and URL lists, or say why not, so validation (in
:mod:`ocopsync.catalog`) can name the exact cell to fix. Problems with the file as
a whole become a :class:`~ocopsync.errors.CatalogError` naming the file, never a
traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from ocopsync.errors import CatalogError, RowError

COLUMNS: tuple[str, ...] = (
    "sku",
    "name",
    "entity_code",
    "entity_name",
    "entity_kind",
    "province",
    "district",
    "group",
    "stars",
    "certified_on",
    "expires_on",
    "price_vnd",
    "stock",
    "weight_g",
    "barcode",
    "description",
    "image_urls",
    "status",
)
"""Canonical column order of a catalog file (the sample catalog, `catalog list`)."""

STOCK_AT_EXPORT = "stock_at_export"
"""The master stock when an export was written. Optional on import, in every format, and
never a product field: with it, the stock cell of an export is read as an edit of that
figure (stock - stock_at_export), so re-importing an untouched export moves nothing even
though platforms have sold units since."""

EXPORT_COLUMNS: tuple[str, ...] = (*COLUMNS, STOCK_AT_EXPORT)
"""What ``catalog export`` writes: the catalog columns, then ``stock_at_export``."""

REQUIRED: tuple[str, ...] = (
    "sku",
    "name",
    "entity_code",
    "province",
    "group",
    "stars",
    "expires_on",
    "price_vnd",
    "stock",
)
"""Columns a file must have; a row with one of them blank is refused."""

SUFFIXES = (".csv", ".xlsx", ".json")
_WHOLE = re.compile(r"\d+|\d{1,3}(?P<sep>[.,\u0020\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*")
_NUMBERISH = re.compile(r"\d[\d.,\u0020\u00a0\u202f]*\d|\d")
_URL_SPLIT = re.compile(r"\s*(?:\||[\r\n]+|,(?=\s*https?://))\s*", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"\s*(?:₫|đ|đồng|vnd|vnđ)$", re.IGNORECASE)

Row = tuple[int, dict[str, str]]


def read_rows(path: Path) -> list[Row]:
    """Every non-blank row of a catalog file as ``(row number, {column: raw text})``.

    Row numbers are what a person sees: the header is row 1 of a CSV or a sheet,
    so the first product is row 2; in JSON the first object is row 1.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CatalogError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .csv, .xlsx or .json"
        )
    try:
        if suffix == ".csv":
            rows = _read_csv(path)
        elif suffix == ".xlsx":
            rows = _read_xlsx(path)
        else:
            rows = _read_json(path)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not rows:
        raise CatalogError(f"{path}: has a header but no product rows")
    return rows


def _read_csv(path: Path) -> list[Row]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path}: is not UTF-8 text (byte {exc.start}); in Excel use 'Save as: CSV UTF-8'"
        ) from None
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise CatalogError(f"{path}: is empty; the first line must name the columns")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(header_line, ";,")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter))
    except csv.Error as exc:
        raise CatalogError(f"{path}: is not a readable CSV file ({exc})") from None
    return _rows_from_table(path, records[0], records[1:], first_row=2)


def _read_xlsx(path: Path) -> list[Row]:
    try:
        # Files saved by other tools make openpyxl warn about styles it ignores anyway.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CatalogError(f"{path}: is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        table = [[_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not table or not any(table[0]):
        raise CatalogError(f"{path}: the first sheet is empty; row 1 must name the columns")
    return _rows_from_table(path, table[0], table[1:], first_row=2)


def _read_json(path: Path) -> list[Row]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
        # Numbers stay as written, so validation judges "45000.5" exactly as a CSV cell.
        data = json.loads(text, parse_int=str, parse_float=str)
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if isinstance(data, dict) and "products" in data:
        data = data["products"]
    if not isinstance(data, list):
        raise CatalogError(f'{path}: JSON must be an array of products or {{"products": [...]}}')
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise CatalogError(f"{path}: item {number} of the JSON array is not an object")
    objects = [{str(k).strip().lower(): _json_text(v) for k, v in o.items()} for o in data]
    names = sorted({name for obj in objects for name in obj})
    if objects:
        _check_header(path, names)
    return [
        (number, {n: obj.get(n, "") for n in names})
        for number, obj in enumerate(objects, start=1)
        if any(v.strip() for v in obj.values())
    ]


def _rows_from_table(
    path: Path, header: Sequence[str], body: Iterable[Sequence[str]], *, first_row: int
) -> list[Row]:
    names = [h.strip().lower() for h in header]
    _check_header(path, [n for n in names if n])
    rows: list[Row] = []
    for number, cells in enumerate(body, start=first_row):
        row = {n: (cells[i] if i < len(cells) else "") for i, n in enumerate(names) if n}
        if any(v.strip() for v in row.values()):
            rows.append((number, row))
    return rows


def _check_header(path: Path, names: Iterable[str]) -> None:
    names = list(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"{path}: column(s) named twice in the header: {', '.join(duplicates)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise CatalogError(f"{path}: missing required column(s): {', '.join(missing)}")


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return "|".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


def write_rows(path: Path, rows: list[dict[str, object]], columns: Sequence[str] = COLUMNS) -> None:
    """Write ``rows`` in ``columns`` order, in the format the extension names.

    CSV gets a BOM because Excel otherwise opens UTF-8 as a legacy code page and
    mangles every diacritic; JSON keeps Vietnamese readable (``ensure_ascii=False``).
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CatalogError(
            f"{path}: cannot export to {path.suffix or '(none)'!r}; use .csv, .xlsx or .json"
        )
    try:
        if suffix == ".csv":
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows([_text(row.get(c)) for c in columns] for row in rows)
        elif suffix == ".json":
            ordered = [{c: _plain(row.get(c)) for c in columns} for row in rows]
            path.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", "utf-8")
        else:
            _write_xlsx(path, rows, columns)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot write the file ({exc.strerror or exc})") from None


def _write_xlsx(path: Path, rows: list[dict[str, object]], columns: Sequence[str]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_xlsx_value(sheet, row.get(c)) for c in columns])
    workbook.save(path)


def _xlsx_value(sheet: object, value: object) -> object:
    plain = _plain(value)
    if not isinstance(plain, str):
        return plain
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", plain))
    cell.data_type = "s"  # text stays text: a description starting with "=" is no formula
    return cell


def _plain(value: object) -> object:
    """A JSON-ready value: dates as YYYY-MM-DD, URL lists joined by "|"."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    return value


def _text(value: object) -> str:
    plain = _plain(value)
    return "" if plain is None else str(plain)


# --- cell text ----------------------------------------------------------------------


def parse_whole(value: str, *, noun: str = "number") -> int:
    """A whole number written the way Vietnamese spreadsheets write it.

    "45.000", "45,000" and "45 000" are all forty-five thousand: a separator followed
    by exactly three digits groups thousands. Anything else after a separator is a
    fraction, refused (``ValueError`` with the reason) rather than guessed, because
    dong have no subunit and stock has no half units.
    """
    text = value.strip()
    if text[:1] in ("-", "\u2212") and _NUMBERISH.fullmatch(text[1:]):
        raise ValueError("cannot be negative")
    if _WHOLE.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    if not _NUMBERISH.fullmatch(text):
        raise ValueError(f"is not a number; write a whole {noun} such as 45000")
    tail = re.search(r"[.,](\d+)$", text)
    if tail and len(tail.group(1)) != 3:
        raise ValueError(f"has a fraction; write a whole {noun} (45000 or 45.000)")
    raise ValueError(f"is not a whole {noun}; group thousands as 45.000 or 1.250.000")


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD or DD/MM/YYYY (how Vietnamese write dates by hand), else None."""
    if _ISO_DATE.fullmatch(value):  # the common case, without strptime's cost
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def split_urls(value: str) -> tuple[str, ...]:
    """Image URLs as people paste them: one per line, "|"-separated, or ", "-separated."""
    return tuple(part for part in _URL_SPLIT.split(value) if part)


class CellReader:
    """Typed values from one row's raw cells, collecting every problem as a RowError.

    It does not stop at the first bad cell: fixing a spreadsheet one error per run is
    what makes people give up on a tool.
    """

    def __init__(self, number: int, raw: Mapping[str, str]) -> None:
        self.number = number
        self.cells = {k: unicodedata.normalize("NFC", v).strip() for k, v in raw.items()}
        self.errors: list[RowError] = []

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, self.cells.get(column, ""), reason))

    def text(self, column: str) -> str:
        value = self.cells.get(column, "")
        if not value and column in REQUIRED:
            self.fail(column, "is required")
        return value

    def choice(self, column: str, allowed: tuple[str, ...], default: str = "") -> str:
        value = self.text(column).lower()
        if value and value not in allowed:
            self.fail(column, f"must be one of {', '.join(allowed)}")
        return value or default

    def whole(self, column: str, *, minimum: int, noun: str = "number") -> int | None:
        value = self.text(column)
        if not value:
            return None
        if column == "price_vnd":  # "45.000đ" is how prices are often typed
            value = _CURRENCY.sub("", value)
        try:
            number = parse_whole(value, noun=noun)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None
        if number < minimum:
            self.fail(
                column, "must be more than 0" if minimum == 1 else f"must be at least {minimum}"
            )
            return None
        return number

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.fail(column, "is not a date; write YYYY-MM-DD or DD/MM/YYYY")
        return parsed
