"""What a cooperative's own workbook calls things: header aliases, value spellings, header rows.

Cooperatives keep products in the workbook they already have: a title row above the
header, Vietnamese headers (``Mã SP``, ``Giá bán``, ``Tồn kho``) and Vietnamese values
(``Đồ uống``, ``HTX``, ``4 sao``, ``Đang bán``). This module maps those onto the catalog
columns and values, accent- and case-insensitively, and finds the header row; it is
pure (no files, no database) so the tables can be tested line by line and documented in
the README as they are.

An alias is only built in when it cannot mean two things: ``Khối lượng`` without a unit
is not an alias of ``weight_g`` (a workbook in kilograms would be read 1,000 times too
light), and ``Mã hàng`` is left to ``[catalog.columns]`` because some workbooks use it
for the producer's code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ocopsync.errors import CatalogError
from ocopsync.i18n import _

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
    "stock_zero_at",
    "stock_last_units_to",
    "stock_max",
    "stock_share_pct",
    "attributes",
    "brand",
    "parent_sku",
    "variant",
)
"""Canonical column order of a catalog file (the sample catalog, `catalog list`). After
the product come its own oversell rules, over its connections' (all optional), then what
marketplaces ask at a create: ``attributes`` (``name=value`` pairs, ``;``-separated),
``brand``, and ``parent_sku``/``variant`` for rows that are variants of one listing."""

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

HEADER_SCAN_ROWS = 10
"""The header is the first of this many rows that names every required column: a
workbook's title, date and producer lines sit above it."""

HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "sku": ("Mã SP", "Mã sản phẩm", "Mã SKU", "SKU", "Seller SKU", "Product code"),
    "name": ("Tên sản phẩm", "Tên SP", "Tên sản phẩm OCOP", "Product name"),
    "entity_code": ("Mã chủ thể", "Mã cơ sở", "Producer code", "Entity code"),
    "entity_name": ("Tên chủ thể", "Chủ thể", "Tên cơ sở", "Producer", "Producer name"),
    "entity_kind": ("Loại hình", "Loại hình chủ thể", "Loại chủ thể", "Entity kind"),
    "province": ("Tỉnh", "Tỉnh/Thành phố", "Tỉnh/TP", "Tỉnh thành", "Province"),
    "district": ("Huyện", "Quận/Huyện", "Huyện/Thị xã", "Huyện/Thị xã/Thành phố", "District"),
    "group": ("Nhóm sản phẩm", "Nhóm", "Nhóm SP", "Ngành hàng", "Product group", "Group"),
    "stars": ("Hạng sao", "Số sao", "Xếp hạng", "Hạng OCOP", "Stars", "Star rating"),
    "certified_on": (
        "Ngày cấp",
        "Ngày chứng nhận",
        "Ngày cấp giấy chứng nhận",
        "Certified on",
        "Certification date",
    ),
    "expires_on": (
        "Ngày hết hạn",
        "Hết hạn",
        "Ngày hết hiệu lực",
        "Hiệu lực đến",
        "Expires on",
        "Expiry date",
    ),
    "price_vnd": (
        "Giá bán",
        "Giá",
        "Giá bán (VNĐ)",
        "Giá (VNĐ)",
        "Giá bán (đồng)",
        "Giá (đồng)",
        "Giá bán (đ)",
        "Đơn giá",
        "Đơn giá (VNĐ)",
        "Price",
        "Price (VND)",
    ),
    "stock": ("Tồn kho", "Số lượng", "Số lượng tồn", "Số lượng tồn kho", "Tồn", "Stock", "Qty"),
    "weight_g": (
        "Khối lượng (g)",
        "Khối lượng (gram)",
        "Khối lượng (gam)",
        "Trọng lượng (g)",
        "Trọng lượng (gram)",
        "Weight (g)",
    ),
    "barcode": ("Mã vạch", "Mã vạch (EAN)", "EAN", "GTIN", "Barcode"),
    "description": ("Mô tả", "Mô tả sản phẩm", "Description"),
    "image_urls": ("Ảnh", "Hình ảnh", "Ảnh sản phẩm", "Link ảnh", "Images", "Image URLs"),
    "status": ("Trạng thái", "Tình trạng", "Trạng thái bán", "Status"),
    "stock_zero_at": ("Ngừng bán khi còn",),
    "stock_last_units_to": ("Kênh bán những đơn vị cuối",),
    "stock_max": ("Tối đa mỗi sàn",),
    "stock_share_pct": ("Tỷ lệ mỗi sàn (%)",),
    "attributes": ("Thuộc tính", "Thuộc tính sản phẩm", "Attributes"),
    "brand": ("Thương hiệu", "Nhãn hiệu", "Brand"),
    "parent_sku": ("Mã SP cha", "Mã sản phẩm cha", "Mã nhóm biến thể", "Parent SKU"),
    "variant": ("Phân loại", "Biến thể", "Quy cách", "Variant"),
    STOCK_AT_EXPORT: (),
}
"""Built-in header names per column, as the README documents them; matched by :func:`key`,
so case, accents, spaces and punctuation do not matter ("TEN SAN PHAM", "gia_ban")."""

IGNORED_HEADERS: tuple[str, ...] = ("STT", "TT", "Số TT", "Số thứ tự", "No", "No.", "#")
"""Row-number columns, which nearly every Vietnamese workbook starts with: not imported,
and not worth a warning either."""

GROUP_ALIASES: Mapping[str, tuple[str, ...]] = {
    "food": ("Thực phẩm",),
    "beverage": ("Đồ uống",),
    "herbal": ("Thảo dược", "Dược liệu", "Thảo dược, dược liệu"),
    "textile": ("Vải, may mặc", "Vải và may mặc", "May mặc", "Dệt may"),
    "handicraft": (
        "Thủ công mỹ nghệ",
        "Lưu niệm, nội thất, trang trí",
        "Lưu niệm - nội thất - trang trí",
        "Thủ công",
    ),
    "tourism": (
        "Du lịch cộng đồng",
        "Dịch vụ du lịch cộng đồng",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        "Du lịch",
    ),
}
"""The OCOP programme's six groups (Decision 148/QĐ-TTg) in the words workbooks use."""

KIND_ALIASES: Mapping[str, tuple[str, ...]] = {
    "enterprise": ("Doanh nghiệp", "DN", "Công ty", "Cty"),
    "cooperative": ("HTX", "Hợp tác xã", "Tổ hợp tác", "THT"),
    "household": ("Hộ kinh doanh", "Hộ", "HKD", "Hộ sản xuất", "Hộ gia đình"),
}

STATUS_ALIASES: Mapping[str, tuple[str, ...]] = {
    "active": ("Đang bán", "Đang kinh doanh", "Kinh doanh"),
    "discontinued": ("Ngừng bán", "Ngưng bán", "Dừng bán", "Ngừng kinh doanh", "Ngừng sản xuất"),
}

_STARS = re.compile(r"([345])\s*(?:sao|\*|★|stars?)?")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` without accents or case, for matching what a person types.

    Only for comparing: stored text always keeps its diacritics. "đ" is a letter of
    its own, not d plus a mark, so NFD leaves it alone and it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D").casefold()


def key(text: str) -> str:
    """The matching key of a header or a value: folded, punctuation and spaces as one space.

    ``Tỉnh/Thành phố``, ``tinh thanh pho`` and ``TỈNH - THÀNH PHỐ`` share a key, and so do
    ``price_vnd`` and ``Price (VND)``.
    """
    return _NOT_WORD.sub(" ", fold(text)).strip()


def _lookup(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in (canonical, *aliases):
            found.setdefault(key(alias), canonical)
    return found


_HEADERS = _lookup(HEADER_ALIASES)
_IGNORED = frozenset(key(h) for h in IGNORED_HEADERS)
_GROUPS = _lookup(GROUP_ALIASES)
_KINDS = _lookup(KIND_ALIASES)
_STATUSES = _lookup(STATUS_ALIASES)
VALUE_ALIASES: Mapping[str, Mapping[str, str]] = {
    "group": _GROUPS,
    "entity_kind": _KINDS,
    "status": _STATUSES,
}
"""Per column, value key -> canonical value (``Đồ uống`` -> beverage)."""


def canonical_value(column: str, value: str) -> str:
    """The catalog's value for a cell of ``group``, ``entity_kind`` or ``status``; the
    lower-cased cell itself when it is no known spelling (validation then refuses it)."""
    return VALUE_ALIASES[column].get(key(value), value.lower())


def parse_stars(value: str) -> int | None:
    """3, 4 or 5 from ``4``, ``4 sao``, ``4*`` or ``4 ★``; None for anything else."""
    found = _STARS.fullmatch(fold(value).strip())
    return int(found.group(1)) if found else None


def vietnamese_examples(column: str) -> str:
    """The first Vietnamese spelling of each value, for an error message."""
    table = {"group": GROUP_ALIASES, "entity_kind": KIND_ALIASES, "status": STATUS_ALIASES}
    return " / ".join(aliases[0] for aliases in table[column].values())


# --- header rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """A header row read: which cell holds which column, and what was not understood."""

    row: int
    """The row number a person sees (1 for the first line or sheet row)."""
    cells: tuple[str, ...]
    """The header cells as written, stripped."""
    columns: tuple[str | None, ...]
    """Per cell, the catalog column it maps to; ``""`` for a column known not to be
    imported (``STT``), None for a blank or unknown one."""

    @property
    def present(self) -> frozenset[str]:
        return frozenset(c for c in self.columns if c)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in REQUIRED if c not in self.present)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(t for t, c in zip(self.cells, self.columns, strict=True) if t and c is None)

    def labels(self) -> dict[str, str]:
        """Column -> the header text a person reads, where it is not the column's own name."""
        return {
            c: t for t, c in zip(self.cells, self.columns, strict=True) if c and key(t) != key(c)
        }


def user_mapping(columns: Mapping[str, str]) -> dict[str, str]:
    """``[catalog.columns]`` as header key -> column; a target that is no column is refused."""
    mapped: dict[str, str] = {}
    for header, column in columns.items():
        target = column.strip().lower()
        if target not in EXPORT_COLUMNS:
            raise CatalogError(
                _(
                    "catalog.columns: {header!r} maps to {column!r}, which is no catalog column; "
                    "use one of {known}"
                ).format(header=header, column=column, known=", ".join(EXPORT_COLUMNS))
            )
        mapped[key(header)] = target
    return mapped


def read_header(row: int, cells: Sequence[str], mapping: Mapping[str, str]) -> Header:
    """Map one row's cells to columns: the user's mapping first, then the built-in table."""
    texts = tuple(unicodedata.normalize("NFC", c).strip() for c in cells)
    return Header(row, texts, tuple(_column(t, mapping) for t in texts))


def _column(text: str, mapping: Mapping[str, str]) -> str | None:
    if not text:
        return None
    found = key(text)
    column = mapping.get(found) or _HEADERS.get(found)
    if column is None and found in _IGNORED:
        return ""
    return column


def find_header(
    rows: Iterable[tuple[int, Sequence[str]]], mapping: Mapping[str, str]
) -> tuple[Header | None, Header | None]:
    """The header (the first row naming every required column), else the best candidate.

    Returns ``(header, None)`` when found, or ``(None, candidate)``: the row that named
    the most columns, so an error can show what was seen and what is missing.
    """
    best: Header | None = None
    for number, cells in rows:
        header = read_header(number, cells, mapping)
        if not header.missing:
            return header, None
        if best is None or len(header.present) > len(best.present):
            best = header
    return None, best


def check_header(header: Header, source: str) -> None:
    """Refuse a header that names one column twice (which of the two would win?)."""
    seen: dict[str, str] = {}
    twice: list[str] = []
    for text, column in zip(header.cells, header.columns, strict=True):
        if not column:
            continue
        if column in seen:
            same = key(text) == key(seen[column]) == key(column)
            twice.append(column if same else f"{column} ({seen[column]!r} and {text!r})")
        seen.setdefault(column, text)
    if twice:
        raise CatalogError(
            _("{source}: column(s) named twice in the header: {columns}").format(
                source=source, columns=", ".join(twice)
            )
        )


def _known_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for column, aliases in HEADER_ALIASES.items():
        for alias in (column, *aliases):
            names.setdefault(key(alias), alias)
    return names


_KNOWN = _known_names()


def nearest_match(text: str) -> tuple[str, str] | None:
    """The known header name closest to ``text`` (difflib) and its column, if any is close."""
    found = difflib.get_close_matches(key(text), list(_KNOWN), n=1, cutoff=0.6)
    return (_KNOWN[found[0]], _HEADERS[found[0]]) if found else None


def nearest(text: str) -> str | None:
    """:func:`nearest_match` as a person reads it: ``weight_g``, ``Giá bán = price_vnd``."""
    match = nearest_match(text)
    if match is None:
        return None
    name, column = match
    return name if name == column else f"{name} = {column}"


def describe_unknown(names: Iterable[str]) -> str:
    """``'weigth_g' (did you mean weight_g?), 'Ghi chú'``: unknown headers with hints."""
    parts = []
    for name in names:
        hint = nearest(name)
        parts.append(
            _("{name!r} (did you mean {hint}?)").format(name=name, hint=hint)
            if hint
            else repr(name)
        )
    return ", ".join(parts)


def no_header_message(source: str, where: str, candidate: Header | None) -> str:
    """Why no header row was found: what the likeliest row holds, and what is missing."""
    lines = [
        _(
            "{source}: no header row in the first {count} rows{where}; the header must name "
            "the required columns {required}"
        ).format(source=source, count=HEADER_SCAN_ROWS, where=where, required=", ".join(REQUIRED))
    ]
    if candidate is None or not any(candidate.cells):
        lines.append(_("  no header cells seen: the file or sheet is empty"))
        return "\n".join(lines)
    seen = ", ".join(repr(c) for c in candidate.cells if c)
    lines.append(_("  headers seen on row {row}: {seen}").format(row=candidate.row, seen=seen))
    lines.append(
        _("  missing required column(s): {missing}").format(missing=", ".join(candidate.missing))
    )
    if candidate.unknown:
        lines.append(
            _("  unknown header(s): {unknown}").format(unknown=describe_unknown(candidate.unknown))
        )
    return "\n".join(lines)
