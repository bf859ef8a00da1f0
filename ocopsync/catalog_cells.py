"""Cell text to typed values: whole dong, dates, URL lists, bounded text. No files here.

A spreadsheet gives text (or what openpyxl turned into text); these readers turn it into
what the catalog stores, or a :class:`~ocopsync.errors.RowError` saying why not, so
validation names the exact cell to fix. Every value has a bound: a 2**63 stock, a
1 MB description or a control character in a name is a row error, never an overflow
or a corrupted export further down.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

from ocopsync.catalog_headers import REQUIRED, key
from ocopsync.errors import RowError
from ocopsync.i18n import _

_NO_MAPPING: Mapping[str, str] = MappingProxyType({})

_WHOLE = re.compile(r"\d+|\d{1,3}(?P<sep>[.,\u0020\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*")
_NUMBERISH = re.compile(r"\d[\d.,\u0020\u00a0\u202f]*\d|\d")
_URL_SPLIT = re.compile(r"\s*(?:\||[\r\n]+|,(?=\s*https?://))\s*", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_SERIAL_RANGE = (18264, 73050)
"""Excel serial day numbers read as dates: 1950-01-01 to 2099-12-31. Outside it a number
in a date column is far likelier a typo than a certificate date."""
_EXCEL_EPOCH = date(1899, 12, 30)
_CURRENCY = re.compile(r"\s*(?:₫|đ|đồng|vnd|vnđ)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_DIGITS = 30

TEXT_LIMITS: Mapping[str, int] = {
    "sku": 64,
    "name": 500,
    "entity_name": 500,
    "description": 20_000,
    "image_urls": 20_000,
}
"""Longest text a cell may hold, in characters (others: 200). A 1 MB cell is a paste
gone wrong, and no marketplace takes descriptions anywhere near 20,000 characters."""
DEFAULT_TEXT_LIMIT = 200


def parse_whole(value: str, *, noun: str = "number") -> int:
    """A whole number written the way Vietnamese spreadsheets write it.

    "45.000", "45,000" and "45 000" are all forty-five thousand: a separator followed
    by exactly three digits groups thousands. Anything else after a separator is a
    fraction, refused (``ValueError`` with the reason) rather than guessed, because
    dong have no subunit and stock has no half units.
    """
    text = value.strip()
    if text[:1] in ("-", "\u2212") and _NUMBERISH.fullmatch(text[1:]):
        raise ValueError(_("cannot be negative"))
    if _WHOLE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) > _MAX_DIGITS:
            raise ValueError(_("has {count} digits; far too large").format(count=len(digits)))
        return int(digits)
    if not _NUMBERISH.fullmatch(text):
        raise ValueError(_("is not a number; write a whole {noun} such as 45000").format(noun=noun))
    tail = re.search(r"[.,](\d+)$", text)
    if tail and len(tail.group(1)) != 3:
        raise ValueError(
            _("has a fraction; write a whole {noun} (45000 or 45.000)").format(noun=noun)
        )
    raise ValueError(
        _("is not a whole {noun}; group thousands as 45.000 or 1.250.000").format(noun=noun)
    )


def parse_date(value: str) -> date | None:
    """YYYY-MM-DD, or DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY (how Vietnamese write dates by
    hand; never month first), or an Excel serial day number; else None."""
    if _ISO_DATE.fullmatch(value):  # the common case, without strptime's cost
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    stamped = _ISO_DATETIME.fullmatch(value)
    if stamped:
        return parse_date(stamped.group(1))
    if _SERIAL.fullmatch(value):
        serial = int(float(value))
        low, high = _SERIAL_RANGE
        return _EXCEL_EPOCH + timedelta(days=serial) if low <= serial <= high else None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def split_urls(value: str) -> tuple[str, ...]:
    """Image URLs as people paste them: one per line, "|"-separated, or ", "-separated."""
    return tuple(part for part in _URL_SPLIT.split(value) if part)


def shown(value: str) -> str:
    """A cell value short enough to print in an error (a 1 MB cell is not echoed)."""
    if len(value) <= 80:
        return value
    return _("{start}... ({count} characters)").format(start=value[:60], count=f"{len(value):,}")


class CellReader:
    """Typed values from one row's raw cells, collecting every problem as a RowError.

    It does not stop at the first bad cell: fixing a spreadsheet one error per run is
    what makes people give up on a tool. ``labels`` are the file's own header names,
    so an error about ``price_vnd`` in a workbook says ``Giá bán`` too.
    """

    def __init__(
        self, number: int, raw: Mapping[str, str], labels: Mapping[str, str] = _NO_MAPPING
    ) -> None:
        self.number = number
        self.cells = {k: unicodedata.normalize("NFC", v).strip() for k, v in raw.items()}
        self.labels = labels
        self.errors: list[RowError] = []

    def column(self, column: str) -> str:
        """How an error names ``column``: with the file's header when that differs."""
        label = self.labels.get(column)
        return f"{label} = {column}" if label else column

    def fail(self, column: str, reason: str) -> None:
        value = shown(self.cells.get(column, ""))
        self.errors.append(RowError(self.number, self.column(column), value, reason))

    def text(self, column: str, *, limited: bool = True) -> str:
        """The cell's text; a required one must not be blank, and text has a length limit
        (``limited=False`` for numbers, whose own check says what is wrong)."""
        value = self.cells.get(column, "")
        if not value and column in REQUIRED:
            self.fail(column, _("is required"))
        if not limited:
            return value
        limit = TEXT_LIMITS.get(column, DEFAULT_TEXT_LIMIT)
        if len(value) > limit:
            self.fail(
                column,
                _("is {length} characters long; at most {limit} allowed").format(
                    length=f"{len(value):,}" if len(value) > 9999 else len(value),
                    limit=f"{limit:,}" if limit > 9999 else limit,
                ),
            )
            return ""
        control = _CONTROL.search(value)
        if control and column != "sku":  # the SKU check says more
            self.fail(
                column,
                _("contains a control character (U+{code:04X}); remove it").format(
                    code=ord(control.group())
                ),
            )
        return value

    def choice(
        self,
        column: str,
        allowed: tuple[str, ...],
        aliases: Mapping[str, str],
        *,
        default: str = "",
        hint: str = "",
    ) -> str:
        """One of ``allowed``, from the value itself or a spelling ``aliases`` knows."""
        value = self.text(column)
        if not value:
            return default
        canonical = aliases.get(key(value), value.lower())
        if canonical not in allowed:
            reason = _("must be one of {allowed}").format(allowed=", ".join(allowed))
            if hint:
                reason += _(" (or {hint})").format(hint=hint)
            self.fail(column, reason)
        return canonical

    def whole(
        self, column: str, *, minimum: int, maximum: int, noun: str = "number", unit: str = ""
    ) -> int | None:
        """A whole number in ``minimum..maximum``: every number has a sane bound, so 2**63
        is a row error naming the bound, never an overflow further down."""
        value = self.text(column, limited=False)
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
                column,
                _("must be more than 0")
                if minimum == 1
                else _("must be at least {minimum}").format(minimum=minimum),
            )
            return None
        if number > maximum:
            self.fail(
                column,
                (
                    _("must be at most {maximum} {unit}")
                    if unit
                    else _("must be at most {maximum}")
                ).format(maximum=f"{maximum:,}", unit=unit),
            )
            return None
        return number

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.fail(
                column,
                _(
                    "is not a date; write YYYY-MM-DD or DD/MM/YYYY (DD-MM-YYYY and DD.MM.YYYY "
                    "work too)"
                ),
            )
        return parsed
