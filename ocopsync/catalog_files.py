"""Catalog files on disk: CSV, XLSX and JSON in, the same three out. No database here.

Cooperatives keep their products in whatever a spreadsheet saves: Excel's
"CSV UTF-8" (with a BOM), a semicolon CSV from a European-locale Excel, Excel's
"Unicode text" (UTF-16), the workbook itself with a title row above the header and
a notes sheet beside it, or JSON from a script. Every reader yields the same thing,
raw text per cell keyed by catalog column, with the row number a person sees; the
cell readers at the end turn that text into whole dong, dates and URL lists, or say
why not, so validation (in :mod:`ocopsync.catalog`) can name the exact cell to fix.

Nothing is guessed that could lose data: a CSV quote left open is an error naming the
row where it opened (never two products swallowed into one description), a row with
more or fewer cells than its header is refused, and a file in a legacy code page is
refused rather than decoded into wrong letters. Problems with the file as a whole
become a :class:`~ocopsync.errors.CatalogError` naming the file, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ocopsync.catalog_headers import (
    COLUMNS,
    EXPORT_COLUMNS,
    HEADER_SCAN_ROWS,
    REQUIRED,
    STOCK_AT_EXPORT,
    Header,
    check_header,
    describe_unknown,
    find_header,
    fold,
    no_header_message,
    read_header,
    user_mapping,
)
from ocopsync.errors import CatalogError
from ocopsync.i18n import _

__all__ = [
    "COLUMNS",
    "EXPORT_COLUMNS",
    "REQUIRED",
    "STOCK_AT_EXPORT",
    "CatalogTable",
    "read_rows",
    "read_table",
    "write_rows",
]

SUFFIXES = (".csv", ".xlsx", ".json")
_DELIMITERS = (",", ";", "\t")
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
"""A cell a spreadsheet would run as a formula (OWASP: = + - @ tab CR), or one that
already looks escaped, so that unescaping on import gives back exactly what was written."""
_UNESCAPE = re.compile(r"'+[=+\-@\t\r]")
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Row = tuple[int, dict[str, str]]
_NO_MAPPING: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class CatalogTable:
    """A catalog file read: its rows, the header they were read under, and from where."""

    rows: list[Row]
    header: Header
    sheet: str | None = None
    """The workbook sheet read (XLSX only)."""
    notes: tuple[str, ...] = ()
    """What a person should know about how the file was read (its encoding, say)."""


def read_rows(
    path: Path, *, columns: Mapping[str, str] = _NO_MAPPING, sheet: str | None = None
) -> list[Row]:
    """Every non-blank row of a catalog file as ``(row number, {column: raw text})``;
    the rows of :func:`read_table`, for callers that need nothing else."""
    return read_table(path, columns=columns, sheet=sheet).rows


def read_table(
    path: Path, *, columns: Mapping[str, str] = _NO_MAPPING, sheet: str | None = None
) -> CatalogTable:
    """A catalog file: rows keyed by catalog column, under the header row found in it.

    Row numbers are what a person sees: a CSV's records or a sheet's rows counted from 1,
    so under a header on row 1 the first product is row 2; in JSON the first object is
    row 1. ``columns`` maps header text to a column (``[catalog.columns]``), ahead of the
    built-in aliases; ``sheet`` names the workbook sheet to read.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CatalogError(
            _("{path}: unsupported file type {suffix!r}; use .csv, .xlsx or .json").format(
                path=path, suffix=path.suffix or "(none)"
            )
        )
    if sheet is not None and suffix != ".xlsx":
        raise CatalogError(_("{path}: --sheet applies to .xlsx workbooks only").format(path=path))
    mapping = user_mapping(columns)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(
            _("{path}: cannot read the file ({reason})").format(
                path=path, reason=exc.strerror or exc
            )
        ) from None
    if suffix == ".csv":
        table = _read_csv(path, data, mapping)
    elif suffix == ".xlsx":
        table = _read_xlsx(path, data, mapping, sheet)
    else:
        table = _read_json(path, data, mapping)
    if not table.rows:
        raise CatalogError(_("{path}: has a header but no product rows").format(path=path))
    return table


# --- text files ---------------------------------------------------------------------


def _decode(path: Path, data: bytes) -> tuple[str, tuple[str, ...]]:
    """The file's text, from UTF-8 (BOM or not) or UTF-16 with a BOM; nothing else.

    A legacy code page (Windows-1258, TCVN3) cannot be told apart from another by its
    bytes, and a wrong guess stores every name with wrong letters: it is refused with
    the way out instead.
    """
    if data.startswith(_ZIP):
        raise CatalogError(
            _(
                "{path}: is a ZIP archive (an .xlsx workbook?), not CSV or JSON text; "
                "give it the .xlsx extension"
            ).format(path=path)
        )
    if data.startswith(_OLE):
        raise CatalogError(
            _(
                "{path}: is an old Excel .xls workbook, not text; in Excel use "
                "'Save as: Excel Workbook (.xlsx)' or 'CSV UTF-8'"
            ).format(path=path)
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), (_("read as UTF-16 text"),)
        except UnicodeDecodeError:
            raise CatalogError(
                _("{path}: starts as UTF-16 text but is not valid UTF-16").format(path=path)
            ) from None
    if b"\x00" in data[:4096]:
        raise CatalogError(
            _(
                "{path}: contains NUL bytes: not a text file, or UTF-16 without a byte order "
                "mark; in Excel use 'Save as: CSV UTF-8'"
            ).format(path=path)
        )
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CatalogError(
            _(
                "{path}: is not UTF-8 text (byte 0x{byte:02X} on line {line}); it was probably "
                "saved in a legacy code page such as Windows-1258; in Excel use "
                "'Save as: CSV UTF-8'"
            ).format(path=path, byte=data[exc.start], line=line)
        ) from None


def _read_csv(path: Path, data: bytes, mapping: Mapping[str, str]) -> CatalogTable:
    text, notes = _decode(path, data)
    if not text.strip():
        raise CatalogError(
            _("{path}: is empty; the first line must name the columns").format(path=path)
        )
    header, delimiter = _csv_header(path, text, mapping)
    records = _csv_records(path, text, delimiter, header)
    rows: list[Row] = []
    width = len(header.cells)
    for number, line, cells in records[header.row :]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < width or any(c.strip() for c in cells[width:]):
            raise CatalogError(_cell_count(path, line, number, len(cells), header))
        row = {c: _unescape(cells[i]) for i, c in enumerate(header.columns) if c}
        rows.append((number, row))
    return CatalogTable(rows, header, notes=notes)


def _csv_header(path: Path, text: str, mapping: Mapping[str, str]) -> tuple[Header, str]:
    """The header row and the delimiter under which it names every required column."""
    best: Header | None = None
    for delimiter in _DELIMITERS:
        head = _csv_head(text, delimiter)
        header, candidate = find_header(enumerate(head, start=1), mapping)
        if header is not None:
            check_header(header, str(path))
            return header, delimiter
        if candidate and (best is None or len(candidate.present) > len(best.present)):
            best = candidate
    raise CatalogError(no_header_message(str(path), "", best))


def _csv_head(text: str, delimiter: str) -> list[list[str]]:
    """The first rows as one delimiter splits them, tolerating what the full read refuses."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    head: list[list[str]] = []
    try:
        for cells in itertools.islice(reader, HEADER_SCAN_ROWS):
            head.append([_unescape(c) for c in cells])
    except csv.Error:
        pass  # the strict read that follows names the row
    return head


def _csv_records(
    path: Path, text: str, delimiter: str, header: Header
) -> list[tuple[int, int, list[str]]]:
    """Every record as (row, first line, cells), parsed strictly: a quote left open or
    text after a closing quote is an error naming the row where the quoted cell began."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, int, list[str]]] = []
    line = 1
    limit = csv.field_size_limit()
    # A 1 MB cell is read, so validation names its row and column and says how long
    # it is; the default limit would fail the whole file without saying where.
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        for cells in reader:
            records.append((len(records) + 1, line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        row = len(records) + 1
        raise CatalogError(
            _broken_row(path, text, delimiter, row, line, header, str(exc))
        ) from None
    finally:
        csv.field_size_limit(limit)
    return records


def _broken_row(
    path: Path, text: str, delimiter: str, row: int, line: int, header: Header, reason: str
) -> str:
    """What broke the CSV on ``row``: the quoted cell that began there, when one did."""
    found = _open_quote(text, _line_offset(text, line), delimiter)
    if found is None:
        return _(
            "{path}: row {row} (line {line}) cannot be read as CSV ({reason}); nothing was imported"
        ).format(path=path, row=row, line=line, reason=reason)
    field, problem = found
    named = field < len(header.cells) and row > header.row and header.cells[field]
    return _(
        "{path}: row {row} (line {line}), column {column!r}: a quoted cell begins here "
        "and {problem}; nothing was imported"
    ).format(path=path, row=row, line=line, column=named or f"#{field + 1}", problem=problem)


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _number, content in zip(range(line - 1), io.StringIO(text, newline=""), strict=False):
        offset += len(content)
    return offset


def _open_quote(text: str, start: int, delimiter: str) -> tuple[int, str] | None:
    """The cell (counted from 0) of the record at ``start`` whose quote is unbalanced, and
    how: never closed, or closed and followed by text. None when no quote is to blame."""
    i, field, n = start, 0, len(text)
    while i < n:
        if text[i] == '"':
            close = i + 1
            while (close := text.find('"', close)) != -1 and text[close + 1 : close + 2] == '"':
                close += 2  # a doubled quote is a quote inside the cell
            if close == -1:
                return field, _("its quote is never closed (an unbalanced quote)")
            after = text[close + 1 : close + 2]
            if after not in (delimiter, "\r", "\n", ""):
                return field, _(
                    "its quote closes on line {line}, followed by {text!r} instead of the "
                    "delimiter (an unbalanced quote swallows the rows after it)"
                ).format(line=text.count("\n", 0, close) + 1, text=after)
            i = close + 1
        else:
            ends = (text.find(c, i) for c in (delimiter, "\n", "\r"))
            i = min((p for p in ends if p != -1), default=n)
        if i >= n or text[i] in "\r\n":
            return None
        field, i = field + 1, i + 1
    return None


def _cell_count(path: Path, line: int, row: int, count: int, header: Header) -> str:
    return _(
        "{path}: row {row} (line {line}) has {count} cells but the header on row {header_row} "
        "has {width}: a delimiter too many or too few, or a quote opened on an earlier row; "
        "nothing was imported"
    ).format(
        path=path, row=row, line=line, count=count, header_row=header.row, width=len(header.cells)
    )


def _unescape(cell: str) -> str:
    """Undo the quote :func:`write_rows` puts before a cell a spreadsheet would run."""
    return cell[1:] if _UNESCAPE.match(cell) else cell


def _neutralise(cell: str) -> str:
    """OWASP CSV injection: a cell starting with = + - @ tab or CR gets a leading quote,
    so Excel shows ``=HYPERLINK(...)`` as text; a cell already starting with quotes before
    one of those gets one more, so :func:`_unescape` restores every cell exactly."""
    return "'" + cell if _ESCAPED.match(cell) else cell


# --- workbooks ----------------------------------------------------------------------


def _read_xlsx(
    path: Path, data: bytes, mapping: Mapping[str, str], wanted: str | None
) -> CatalogTable:
    if not data.startswith(_ZIP):
        raise CatalogError(_not_a_workbook(path, data))
    # Imported here, not at the top: openpyxl pulls in numpy, and every sync imports
    # this module (through coverage and eligibility) without ever reading a workbook.
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        # Files saved by other tools make openpyxl warn about styles it ignores anyway.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CatalogError(
            _("{path}: is not a readable .xlsx workbook ({reason})").format(path=path, reason=exc)
        ) from None
    try:
        name, header = _choose_sheet(path, workbook, mapping, wanted)
        check_header(header, f"{path}, sheet {name!r}")
        sheet = workbook[name]
        rows: list[Row] = []
        body = itertools.islice(sheet.iter_rows(min_row=1, values_only=True), header.row, None)
        for number, values in enumerate(body, start=header.row + 1):
            cells = [_cell_text(v) for v in values]
            row = {
                c: (cells[i] if i < len(cells) else "") for i, c in enumerate(header.columns) if c
            }
            if any(v.strip() for v in row.values()):
                rows.append((number, row))
    finally:
        workbook.close()
    return CatalogTable(rows, header, sheet=name)


def _not_a_workbook(path: Path, data: bytes) -> str:
    if data.startswith(_OLE):
        return _(
            "{path}: is not a readable .xlsx workbook: it is an old Excel .xls file; in "
            "Excel use 'Save as: Excel Workbook (.xlsx)'"
        ).format(path=path)
    if b"\x00" not in data[:4096]:
        return _(
            "{path}: is not a readable .xlsx workbook: it is text (CSV?); give it the "
            ".csv extension"
        ).format(path=path)
    return _("{path}: is not a readable .xlsx workbook (not a ZIP archive)").format(path=path)


def _choose_sheet(
    path: Path, workbook: Any, mapping: Mapping[str, str], wanted: str | None
) -> tuple[str, Header]:
    """The sheet named by ``--sheet`` (accents and case optional), else the only one whose
    first rows hold a header: a notes or instructions sheet beside it is left alone."""
    names: list[str] = list(workbook.sheetnames)
    if wanted is not None:
        matches = [n for n in names if n == wanted] or [
            n for n in names if fold(n.strip()) == fold(wanted.strip())
        ]
        if not matches:
            raise CatalogError(
                _("{path}: has no sheet named {sheet!r}; its sheets: {names}").format(
                    path=path, sheet=wanted, names=", ".join(map(repr, names))
                )
            )
        names = matches[:1]
    found: list[tuple[str, Header]] = []
    best: tuple[str, Header] | None = None
    for name in names:
        sheet = workbook[name]
        if not hasattr(sheet, "iter_rows"):  # a chart sheet
            continue
        # A list, so the generator runs out and closes its handle on the zip member.
        head = list(sheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True))
        rows = ((n, [_cell_text(v) for v in values]) for n, values in enumerate(head, start=1))
        header, candidate = find_header(rows, mapping)
        if header is not None:
            found.append((name, header))
        elif candidate and (best is None or len(candidate.present) > len(best[1].present)):
            best = (name, candidate)
    if len(found) > 1:
        raise CatalogError(
            _("{path}: sheets {names} each have a header row; choose one with --sheet").format(
                path=path, names=", ".join(repr(n) for n, _h in found)
            )
        )
    if not found:
        where = (
            _(" of sheet {sheet!r}").format(sheet=names[0])
            if len(names) == 1
            else _(" of any sheet ({names})").format(names=", ".join(map(repr, names)))
        )
        if best is not None and len(names) > 1:
            where += _("; closest: sheet {sheet!r}").format(sheet=best[0])
        raise CatalogError(no_header_message(str(path), where, best[1] if best else None))
    return found[0]


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


# --- JSON ---------------------------------------------------------------------------


def _read_json(path: Path, data: bytes, mapping: Mapping[str, str]) -> CatalogTable:
    text, notes = _decode(path, data)
    try:
        # Numbers stay as written, so validation judges "45000.5" exactly as a CSV cell.
        parsed = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            _("{path}: is not valid JSON (line {line}, column {column}: {reason})").format(
                path=path, line=exc.lineno, column=exc.colno, reason=exc.msg
            )
        ) from None
    except RecursionError:
        raise CatalogError(_("{path}: is JSON nested too deeply").format(path=path)) from None
    if isinstance(parsed, dict) and "products" in parsed:
        parsed = parsed["products"]
    if not isinstance(parsed, list):
        raise CatalogError(
            _('{path}: JSON must be an array of products or {{"products": [...]}}').format(
                path=path
            )
        )
    for number, item in enumerate(parsed, start=1):
        if not isinstance(item, dict):
            raise CatalogError(
                _("{path}: item {number} of the JSON array is not an object").format(
                    path=path, number=number
                )
            )
    keys = list(dict.fromkeys(str(k) for obj in parsed for k in obj))
    header = read_header(0, keys, mapping)
    if parsed and header.missing:
        message = _("{path}: missing required column(s): {missing}; keys seen: {keys}").format(
            path=path, missing=", ".join(header.missing), keys=", ".join(map(repr, keys))
        )
        if header.unknown:
            message += _("; unknown: {unknown}").format(unknown=describe_unknown(header.unknown))
        raise CatalogError(message)
    check_header(header, str(path))
    column_of = dict(zip(header.cells, header.columns, strict=True))
    rows: list[Row] = []
    for number, obj in enumerate(parsed, start=1):
        row: dict[str, str] = {}
        for name, value in obj.items():
            column = column_of.get(unicodedata.normalize("NFC", str(name)).strip())
            if column:
                row[column] = _json_text(value)
        if any(v.strip() for v in row.values()):
            rows.append((number, row))
    return CatalogTable(rows, header, notes=notes)


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return "|".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


# --- writing ------------------------------------------------------------------------


def write_rows(path: Path, rows: list[dict[str, object]], columns: Sequence[str] = COLUMNS) -> None:
    """Write ``rows`` in ``columns`` order, in the format the extension names.

    CSV gets a BOM because Excel otherwise opens UTF-8 as a legacy code page and
    mangles every diacritic, and every cell a spreadsheet would run as a formula gets a
    leading quote (import takes it off again); JSON keeps Vietnamese readable
    (``ensure_ascii=False``); XLSX cells are typed text, so nothing there is a formula.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CatalogError(
            _("{path}: cannot export to {suffix!r}; use .csv, .xlsx or .json").format(
                path=path, suffix=path.suffix or "(none)"
            )
        )
    try:
        if suffix == ".csv":
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows([_neutralise(_text(row.get(c))) for c in columns] for row in rows)
        elif suffix == ".json":
            ordered = [{c: _plain(row.get(c)) for c in columns} for row in rows]
            path.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", "utf-8")
        else:
            _write_xlsx(path, rows, columns)
    except OSError as exc:
        raise CatalogError(
            _("{path}: cannot write the file ({reason})").format(
                path=path, reason=exc.strerror or exc
            )
        ) from None


def _write_xlsx(path: Path, rows: list[dict[str, object]], columns: Sequence[str]) -> None:
    from openpyxl import Workbook  # here, not at the top: see _read_xlsx

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_xlsx_value(sheet, row.get(c)) for c in columns])
    workbook.save(path)


def _xlsx_value(sheet: object, value: object) -> object:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

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
