"""The master catalog: validation, atomic import, eligibility and queries.

This layer knows products and producers, never platforms: connectors and
reconcile read what it holds. A cooperative's spreadsheet is the source of
truth, so an import either takes the whole file or, if any cell is wrong,
nothing at all, and says which cells to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from ocopsync.catalog_cells import CellReader, split_urls
from ocopsync.catalog_files import (
    COLUMNS,
    EXPORT_COLUMNS,
    STOCK_AT_EXPORT,
    CatalogTable,
    read_table,
    write_rows,
)
from ocopsync.catalog_headers import (
    VALUE_ALIASES,
    describe_unknown,
    nearest_match,
    parse_stars,
    vietnamese_examples,
)
from ocopsync.catalog_headers import fold as fold  # re-exported: callers match names with it
from ocopsync.errors import CatalogError, ImportRejected, RowError
from ocopsync.i18n import _
from ocopsync.ledger import Move, apply_moves, current_stock
from ocopsync.models import Entity, Product, utcnow

ENTITY_KINDS = ("enterprise", "cooperative", "household")
GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")
STATUSES = ("active", "discontinued")
MAX_SKU_LENGTH = 64
MAX_PRICE_VND = 1_000_000_000
"""No OCOP product sells for more than a billion dong; a larger price is a typo (or a
pasted barcode), and 2**63 must be a row error, not an overflow in the database."""
MAX_STOCK = 10_000_000
"""Units of one product; a cooperative's whole warehouse is far below ten million."""
MAX_WEIGHT_G = 1_000_000
"""One tonne: the heaviest parcel no marketplace would ship anyway."""
_NO_MAPPING: Mapping[str, str] = MappingProxyType({})
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


@dataclass(frozen=True)
class ProductRecord:
    """One validated catalog row, typed; what an import writes and an export reads."""

    sku: str
    name: str
    entity_code: str
    province: str
    group: str
    stars: int
    expires_on: date
    price_vnd: int
    stock: int
    entity_name: str = ""
    entity_kind: str = ""
    district: str = ""
    certified_on: date | None = None
    weight_g: int | None = None
    barcode: str = ""
    description: str = ""
    image_urls: tuple[str, ...] = ()
    status: str = "active"
    stock_zero_at: int | None = None
    stock_last_units_to: str = ""
    stock_max: int | None = None
    stock_share_pct: int | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    brand: str = ""
    parent_sku: str = ""
    variant: str = ""
    stock_at_export: int | None = None
    """The row's ``stock_at_export`` cell (files ``catalog export`` wrote); not a product
    field, only the figure the row's stock is compared with to find what was edited."""
    row: int = field(default=0, compare=False)
    """Where it came from, so later checks can still point at the row."""
    present: frozenset[str] = field(default=frozenset(EXPORT_COLUMNS), compare=False)
    """The columns the file has for this row: a column absent from the file leaves that
    field of an existing product as it is (only a present, empty cell clears it)."""


PRODUCT_FIELDS = tuple(c for c in COLUMNS if c not in ("sku", "entity_name", "entity_kind"))
"""Columns stored on the product itself (the entity columns live on Entity)."""

_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
_ENTITIES: Table = Entity.__table__  # type: ignore[attr-defined]
_ENTITY_FIELDS = ("name", "kind", "province", "district")
_ENTITY_COLUMNS = dict(
    zip(_ENTITY_FIELDS, ("entity_name", "entity_kind", "province", "district"), strict=True)
)
_PRODUCT_COLUMNS = [_PRODUCTS.c[name] for name in ("sku", *PRODUCT_FIELDS, "imported_stock")]


# --- validation ---------------------------------------------------------------------


def _check_sku(c: CellReader) -> str:
    sku = c.text("sku")
    if re.search(r"\s", sku):
        c.fail("sku", _("must not contain spaces"))
    elif _INVISIBLE.search(sku):
        code = ord(_INVISIBLE.search(sku).group())  # type: ignore[union-attr]
        c.fail(
            "sku",
            _("must not contain control or invisible characters (U+{code:04X})").format(code=code),
        )
    return sku


def _check_row(
    number: int, raw: Mapping[str, str], labels: Mapping[str, str] = _NO_MAPPING
) -> tuple[ProductRecord | None, list[RowError]]:
    c = CellReader(number, raw, labels)
    sku = _check_sku(c)
    stars_text = c.text("stars")
    stars = parse_stars(stars_text) if stars_text else None
    if stars_text and stars is None:
        c.fail("stars", _("must be 3, 4 or 5 (OCOP star rating); 4 sao and 4* work too"))
    certified_on, expires_on = c.day("certified_on"), c.day("expires_on")
    if certified_on and expires_on and certified_on > expires_on:
        c.fail(
            "certified_on",
            _("is after the certificate expires ({date})").format(date=expires_on.isoformat()),
        )
    urls = split_urls(c.text("image_urls"))
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://")) or " " in u]
    if bad:
        c.fail(
            "image_urls",
            _("not a web address (http:// or https://): {urls}").format(urls=", ".join(bad)),
        )
    values: dict[str, Any] = {
        "sku": sku,
        "name": c.text("name"),
        "entity_code": c.text("entity_code"),
        "entity_name": c.text("entity_name"),
        "entity_kind": _choice(c, "entity_kind", ENTITY_KINDS),
        "province": c.text("province"),
        "district": c.text("district"),
        "group": _choice(c, "group", GROUPS),
        "stars": stars,
        "certified_on": certified_on,
        "expires_on": expires_on,
        "price_vnd": c.whole(
            "price_vnd",
            minimum=1,
            maximum=MAX_PRICE_VND,
            noun=_("number of dong"),
            unit=_("dong"),
        ),
        "stock": c.whole("stock", minimum=0, maximum=MAX_STOCK, unit=_("units")),
        "weight_g": c.whole(
            "weight_g", minimum=1, maximum=MAX_WEIGHT_G, noun=_("number of grams"), unit="g"
        ),
        "barcode": c.text("barcode"),
        "description": c.text("description"),
        "image_urls": urls,
        "status": _choice(c, "status", STATUSES, default="active"),
        "stock_zero_at": c.whole("stock_zero_at", minimum=0, maximum=MAX_STOCK, unit=_("units")),
        "stock_last_units_to": c.text("stock_last_units_to"),
        "stock_max": c.whole("stock_max", minimum=0, maximum=MAX_STOCK, unit=_("units")),
        "stock_share_pct": c.whole("stock_share_pct", minimum=1, maximum=100, unit="%"),
        "stock_at_export": c.whole(STOCK_AT_EXPORT, minimum=0, maximum=MAX_STOCK, unit=_("units")),
        "attributes": _attributes(c),
        "brand": c.text("brand"),
        "parent_sku": c.text("parent_sku"),
        "variant": c.text("variant"),
    }
    if bool(values["parent_sku"]) != bool(values["variant"]):
        column = "variant" if values["parent_sku"] else "parent_sku"
        c.fail(column, _("parent_sku and variant go together: a variant row needs both"))
    elif values["parent_sku"] and values["parent_sku"] == sku:
        c.fail("parent_sku", _("must differ from the row's own SKU (it names the group)"))
    if c.errors:
        return None, c.errors
    return ProductRecord(**values, row=number, present=frozenset(raw)), []


ATTRIBUTE_SEPARATORS = re.compile(r"[;\n]+")


def parse_attributes(text: str) -> tuple[tuple[str, str], ...] | str:
    """``Xuất xứ=Việt Nam; Hạn sử dụng=12 tháng`` as pairs, or why it cannot be read.

    Pairs are ``;``- or line-separated; a value may hold commas (several values of a
    multi-select attribute: ``Thành phần=Trà, Gừng``). A name given twice is refused:
    which of the two a platform should get is the seller's call, not ours.
    """
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in ATTRIBUTE_SEPARATORS.split(text):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            return _("write each attribute as name=value, separated by ';' (not {part!r})").format(
                part=part.strip()
            )
        if fold(name) in seen:
            return _("attribute {name!r} is given twice").format(name=name)
        seen.add(fold(name))
        pairs.append((name, value))
    return tuple(pairs)


def format_attributes(pairs: Iterable[Iterable[str]]) -> str:
    """The cell text :func:`parse_attributes` reads back."""
    return "; ".join("=".join(pair) for pair in pairs)


def _attributes(c: CellReader) -> tuple[tuple[str, str], ...]:
    parsed = parse_attributes(c.text("attributes"))
    if isinstance(parsed, str):
        c.fail("attributes", parsed)
        return ()
    return parsed


def _choice(c: CellReader, column: str, allowed: tuple[str, ...], default: str = "") -> str:
    """A value of ``allowed``, spelled as the catalog or as a Vietnamese workbook does."""
    hint = vietnamese_examples(column)
    return c.choice(column, allowed, VALUE_ALIASES[column], default=default, hint=hint)


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    source: str,
    labels: Mapping[str, str] = _NO_MAPPING,
) -> list[ProductRecord]:
    """Typed records for every row, or :class:`ImportRejected` listing every bad cell.

    Pure, so the CLI, the demo and tests can check rows without a database. Every
    row is checked even after the first failure: a person fixes the whole file at once.
    ``labels`` are the file's header names for columns it calls otherwise (``Giá bán``),
    so every error names the column as the person sees it.
    """
    records: list[ProductRecord] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    sku_column = f"{labels['sku']} = sku" if "sku" in labels else "sku"
    for number, raw in rows:
        record, row_errors = _check_row(number, raw, labels)
        errors.extend(row_errors)
        sku = unicodedata.normalize("NFC", raw.get("sku", "")).strip()
        if sku and sku in first_seen:
            reason = _("duplicate SKU, first used on row {row}").format(row=first_seen[sku])
            errors.append(RowError(number, sku_column, sku, reason))
        elif sku:
            first_seen[sku] = number
        if record is not None:
            records.append(record)
    if errors:
        raise ImportRejected(source, errors)
    return records


# --- import -------------------------------------------------------------------------


@dataclass(frozen=True)
class StockChange:
    """How far an import moves one existing product's master stock, and why.

    An import never writes the master stock as a figure: it books this delta through
    the ledger, relatively, so units a concurrent sync booked are kept.
    """

    sku: str
    before: int
    """The master stock the import found."""
    after: int
    delta: int
    why: str
    """``file changed 12 -> 62``, ``stocktake``, ``export edited 9 -> 14`` or, for a
    product imported before stock tracking, ``first tracked import: file figure 12 taken``."""
    kind: str = "import"
    """The ledger kind: ``import`` or ``stocktake``."""

    def as_dict(self) -> dict[str, object]:
        """The ``stock_moves`` item of ``catalog import --format json`` (a stable shape)."""
        return {
            "sku": self.sku,
            "master_before": self.before,
            "master_after": self.after,
            "delta": self.delta,
            "why": self.why,
        }


@dataclass(frozen=True)
class FieldChange:
    """One attribute an import changes, old -> new, as ``terraform plan`` shows it."""

    column: str
    before: object
    after: object
    note: str = ""
    """Why, where the new value is not simply the file's (stock: ``file changed 12 -> 62``)."""

    def as_dict(self) -> dict[str, object]:
        return {"field": self.column, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do), product by product."""

    source: str
    dry_run: bool
    added_skus: tuple[str, ...] = ()
    updated_skus: tuple[str, ...] = ()
    unchanged_skus: tuple[str, ...] = ()
    changed_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For each updated SKU, the product columns whose value differs ("stock" when the
    import moves the master stock)."""
    entities_added: tuple[str, ...] = ()
    entities_updated: tuple[str, ...] = ()
    stock_moves: tuple[StockChange, ...] = ()
    """Every existing product whose master stock the import moves (an added product
    starts at its file figure and is counted in ``added_skus`` instead)."""
    stocktake: bool = False
    changes: Mapping[str, tuple[FieldChange, ...]] = field(default_factory=dict)
    """For each updated SKU, every field it changes, old -> new (stock as the master)."""
    entity_changes: Mapping[str, tuple[FieldChange, ...]] = field(default_factory=dict)
    """For each updated entity code, every field it changes."""
    sheet: str | None = None
    """The workbook sheet that was read (XLSX only)."""
    header_row: int | None = 1
    """The row of the header (a title block may sit above it); None for JSON."""
    warnings: tuple[str, ...] = ()
    """What was read but not imported (unknown columns), and how the file was read."""

    @property
    def added(self) -> int:
        return len(self.added_skus)

    @property
    def updated(self) -> int:
        return len(self.updated_skus)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_skus)


@dataclass(frozen=True)
class _StockPlan:
    """What the import writes besides the report says: the ``imported_stock`` figures.

    ``absolute`` holds the SKUs whose delta is measured against the master itself
    (stocktake, or a product imported before stock tracking); they are re-read once
    their rows are locked, so a sale booked meanwhile is not undone.
    """

    imported_stock: Mapping[str, int | None]
    """The new figure of every existing product in the file."""
    touch: frozenset[str]
    """Existing SKUs whose row must be written even if nothing shown changed (a new
    ``imported_stock``, or a lock taken before the master is re-read)."""
    absolute: frozenset[str]


def read_catalog(
    path: Path,
    *,
    columns: Mapping[str, str] = _NO_MAPPING,
    sheet: str | None = None,
    strict: bool = False,
) -> tuple[CatalogTable, list[ProductRecord], tuple[str, ...]]:
    """Read and validate a catalog file: its table, its records and the warnings to show.

    Unknown columns are never imported; they are a warning naming each with the nearest
    known name (``weigth_g``: did you mean weight_g?), or with ``strict`` an error, so a
    typo in a header can never pass as "1 updated".
    """
    table = read_table(path, columns=columns, sheet=sheet)
    header = table.header
    warnings = list(table.notes)
    if header.unknown:
        near = (nearest_match(name) for name in header.unknown)
        absent = sorted({m[1] for m in near if m and m[1] not in header.present})
        message = _("{source}: unknown column(s), not imported: {columns}").format(
            source=path, columns=describe_unknown(header.unknown)
        )
        if absent:
            message += _(
                "; not in the file, so left as they are on existing products: {absent}"
            ).format(absent=", ".join(absent))
        if strict:
            raise CatalogError(message + _(" (--strict: nothing was imported)"))
        warnings.append(message)
    records = validate_rows(table.rows, str(path), header.labels())
    return table, records, tuple(warnings)


def import_catalog(
    engine: Engine,
    path: Path,
    *,
    dry_run: bool = False,
    stocktake: bool = False,
    columns: Mapping[str, str] = _NO_MAPPING,
    sheet: str | None = None,
    strict: bool = False,
) -> ImportReport:
    """Upsert every product of ``path`` into the master catalog, all or nothing.

    The whole file is read and validated before the database is touched; one bad
    cell anywhere raises :class:`ImportRejected` and changes nothing. Products are
    matched by SKU and entities by code, in one transaction. An import never deletes
    or discontinues products that are absent from the file: a cooperative may well
    import one spreadsheet per product line, and taking a product off sale is an
    explicit ``status = discontinued``, never an accident of a shorter file. In the
    same spirit a column absent from the file leaves that field of existing products
    as it is; only a present, empty cell clears it.

    The stock column is a count as of the file, while platforms keep selling, so the
    master stock only moves by what the file changed (see :func:`_stock_change`):

    - a new product starts at the file's figure (a ledger move of that many units);
    - an existing product moves by ``file - imported_stock``, the file's figure against
      the figure of the last file imported for it, and ``imported_stock`` becomes the
      file's figure: re-importing an unchanged spreadsheet moves nothing;
    - a row with a ``stock_at_export`` figure (a file ``catalog export`` wrote) moves by
      ``stock - stock_at_export``, the edit made to the export; ``imported_stock`` stays;
    - a product imported by a release before stock tracking (``imported_stock`` NULL)
      takes the file's figure once, as a count, and remembers it from then on;
    - ``stocktake=True``: every figure is a physical count; the master becomes it.

    Every move goes through :func:`ocopsync.ledger.apply_moves`, relative to whatever
    the master holds when the transaction writes, so a sync booking sales at the same
    time keeps them. A move that would take the master below 0 rejects the file.

    ``columns`` maps the file's header names to catalog columns (``[catalog.columns]``),
    ``sheet`` names the workbook sheet, ``strict`` refuses unknown columns.
    """
    table, records, warnings = read_catalog(path, columns=columns, sheet=sheet, strict=strict)
    context = _Context(str(path), dry_run, stocktake, table, warnings)
    producers = _producers(records)
    with Session(engine) as session:
        # Core statements, not ORM objects: one SELECT per table and executemany
        # writes keep a 20,000-row national file to seconds.
        conn = session.connection()
        products = {r.sku: r._asdict() for r in conn.execute(core_select(*_PRODUCT_COLUMNS))}
        entities = {e.code: e._asdict() for e in conn.execute(core_select(_ENTITIES))}
        report, plan = _compare(context, records, products, producers, entities)
        if dry_run:
            return report
        blank = dict.fromkeys(_ENTITY_FIELDS, "")
        by_code = {c: {**blank, **entities.get(c, {}), **v} for c, v in producers.items()}
        _write(conn, _ENTITIES, report.entities_added, report.entities_updated, by_code, "code")
        _write_products(conn, records, report, plan)
        if plan.absolute:
            # Our UPDATE above locked these rows (PostgreSQL) or the database (SQLite):
            # the master read now cannot change before we commit.
            fresh = current_stock(conn, sorted(plan.absolute))
            if any(fresh[sku] != products[sku]["stock"] for sku in plan.absolute):
                for sku, stock in fresh.items():
                    products[sku] = {**products[sku], "stock": stock}
                report, _plan = _compare(context, records, products, producers, entities)
        reference = path.name
        by_sku = {r.sku: r for r in records}
        opening = "stocktake" if stocktake else "import"
        moves = [
            Move(sku, by_sku[sku].stock, opening, reference=reference) for sku in report.added_skus
        ]
        moves += [Move(c.sku, c.delta, c.kind, reference=reference) for c in report.stock_moves]
        apply_moves(conn, moves)
        session.commit()
    return report


@dataclass(frozen=True)
class _Context:
    """What every comparison of one import shares: the file and how it is imported."""

    source: str
    dry_run: bool
    stocktake: bool
    table: CatalogTable
    warnings: tuple[str, ...]

    def column(self, column: str) -> str:
        label = self.table.header.labels().get(column)
        return f"{label} = {column}" if label else column


def _write_products(
    conn: Connection, records: list[ProductRecord], report: ImportReport, plan: _StockPlan
) -> None:
    """Insert added products at stock 0 and update changed ones, never writing ``stock``.

    Stock is then set by ledger moves only, so the ledger's balance of a SKU is its
    master stock from the first import on. An update writes only the columns the file
    has: one it lacks keeps what the database holds.
    """
    now = utcnow()
    by_sku = {r.sku: r for r in records}
    if report.added_skus:
        conn.execute(
            insert(_PRODUCTS),
            [
                {
                    **_product_values(by_sku[sku]),
                    "sku": sku,
                    "stock": 0,
                    "imported_stock": by_sku[sku].stock,
                    "updated_at": now,
                }
                for sku in report.added_skus
            ],
        )
    full = [s for s in report.updated_skus if set(report.changed_columns[s]) - {"stock"}]
    batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for sku in full:
        record = by_sku[sku]
        values = {
            n: v for n, v in _product_values(record).items() if n != "stock" and n in record.present
        }
        row = {**values, "imported_stock": plan.imported_stock[sku], "updated_at": now}
        batches.setdefault(tuple(row), []).append({**row, "_key": sku})
    written = set(full)
    bookkeeping = [
        {"imported_stock": plan.imported_stock[sku], "_key": sku}
        for sku in sorted(plan.touch - written)
    ]
    for batch in (*batches.values(), bookkeeping):
        if batch:
            names = [n for n in batch[0] if n != "_key"]
            statement = update(_PRODUCTS).where(_PRODUCTS.c.sku == bindparam("_key"))
            conn.execute(statement.values({n: bindparam(n) for n in names}), batch)


def _write(
    conn: Connection,
    table: Table,
    added: Iterable[str],
    updated: Iterable[str],
    values: Mapping[str, Mapping[str, Any]],
    key: str,
) -> None:
    new = [{**values[k], key: k} for k in added]
    changed = [{**values[k], "_key": k} for k in updated]
    if new:
        conn.execute(insert(table), new)
    if changed:
        names = [n for n in changed[0] if n not in ("_key", key)]
        statement = update(table).where(table.c[key] == bindparam("_key"))
        conn.execute(statement.values({n: bindparam(n) for n in names}), changed)


def _compare(
    context: _Context,
    records: list[ProductRecord],
    products: Mapping[str, Mapping[str, Any]],
    producers: Mapping[str, Mapping[str, str]],
    entities: Mapping[str, Mapping[str, Any]],
) -> tuple[ImportReport, _StockPlan]:
    """The report of what importing ``records`` changes; pure, so a dry run is exact.

    Refuses the file (:class:`ImportRejected`, before anything is written) when a move
    would take a master stock below 0: the file then claims fewer units than were sold
    since it was made, which only a person can settle.
    """
    added: list[str] = []
    unchanged: list[str] = []
    changed: dict[str, tuple[str, ...]] = {}
    changes: dict[str, tuple[FieldChange, ...]] = {}
    moves: list[StockChange] = []
    imported: dict[str, int | None] = {}
    touch: set[str] = set()
    absolute: set[str] = set()
    errors: list[RowError] = []
    for record in records:
        stored = products.get(record.sku)
        if stored is None:
            added.append(record.sku)
            continue
        move, figure, is_absolute = _stock_change(record, stored, stocktake=context.stocktake)
        imported[record.sku] = figure
        if is_absolute:
            absolute.add(record.sku)
        if is_absolute or figure != stored["imported_stock"]:
            touch.add(record.sku)
        if move is not None and move.after < 0:
            reason = _(
                "moves the master stock by {delta} ({why}) from {before} to {after}, below 0; "
                "if the file is a physical count, import it with --stocktake"
            ).format(delta=move.delta, why=move.why, before=move.before, after=move.after)
            errors.append(RowError(record.row, context.column("stock"), str(record.stock), reason))
        fields = _field_changes(record, stored, move)
        if move is not None:
            moves.append(move)
        if fields:
            changed[record.sku] = tuple(f.column for f in fields)
            changes[record.sku] = fields
        else:
            unchanged.append(record.sku)
    if errors:
        raise ImportRejected(context.source, errors)
    entity_changes = {
        code: tuple(
            FieldChange(_ENTITY_COLUMNS[k], entities[code][k], v)
            for k, v in values.items()
            if entities[code][k] != v
        )
        for code, values in producers.items()
        if code in entities
    }
    header = context.table.header
    report = ImportReport(
        source=context.source,
        dry_run=context.dry_run,
        added_skus=tuple(added),
        updated_skus=tuple(changed),
        unchanged_skus=tuple(unchanged),
        changed_columns=changed,
        entities_added=tuple(c for c in producers if c not in entities),
        entities_updated=tuple(c for c, fields in entity_changes.items() if fields),
        stock_moves=tuple(moves),
        stocktake=context.stocktake,
        changes=changes,
        entity_changes={c: fields for c, fields in entity_changes.items() if fields},
        sheet=context.table.sheet,
        header_row=header.row or None,
        warnings=context.warnings,
    )
    return report, _StockPlan(imported, frozenset(touch), frozenset(absolute))


def _field_changes(
    record: ProductRecord, stored: Mapping[str, Any], move: StockChange | None
) -> tuple[FieldChange, ...]:
    """Every product field ``record`` changes, in column order; stock as the master moves.

    A field the file has no column for is not compared: it stays as it is.
    """
    wanted = _product_values(record)
    found: list[FieldChange] = []
    for name in PRODUCT_FIELDS:
        if name == "stock":
            if move is not None:
                found.append(FieldChange("stock", move.before, move.after, move.why))
        elif name in record.present and stored[name] != wanted[name]:
            found.append(FieldChange(name, _shown(stored[name]), _shown(wanted[name])))
    return tuple(found)


def _shown(value: object) -> object:
    """A stored value as a report shows it and JSON carries it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "|".join(map(str, value))
    return value


def _stock_change(
    record: ProductRecord, stored: Mapping[str, Any], *, stocktake: bool
) -> tuple[StockChange | None, int | None, bool]:
    """The move of one existing product, its new ``imported_stock``, and whether the
    delta is measured against the master (absolute) rather than against a file figure.

    ``None`` for the move when it is 0: stock is then no reason to call a product
    updated, however much was sold since the file was made.
    """
    master: int = stored["stock"]
    last: int | None = stored["imported_stock"]
    figure = record.stock
    keep: int | None = figure
    kind, is_absolute = "import", False
    if stocktake:
        delta, why, kind, is_absolute = figure - master, _("stocktake"), "stocktake", True
    elif record.stock_at_export is not None:
        # The export's own figure, not imported_stock: the difference is the edit, and
        # the spreadsheet the cooperative keeps is still the last file's figure.
        delta, keep = figure - record.stock_at_export, last
        why = _("export edited {before} -> {after}").format(
            before=record.stock_at_export, after=figure
        )
    elif last is None:
        # Imported by a release before stock tracking: nothing says what the file's
        # figure was counted against, so it is taken as a count, once.
        delta, is_absolute = figure - master, True
        why = _("first tracked import: file figure {figure} taken").format(figure=figure)
    else:
        delta = figure - last
        why = _("file changed {before} -> {after}").format(before=last, after=figure)
    move = StockChange(record.sku, master, master + delta, delta, why, kind) if delta else None
    return move, keep, is_absolute


def _product_values(record: ProductRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in PRODUCT_FIELDS}
    values["image_urls"] = list(record.image_urls)
    values["attributes"] = [list(pair) for pair in record.attributes]
    return values


def _producers(records: Iterable[ProductRecord]) -> dict[str, dict[str, str]]:
    """Entity fields per code; the first non-blank value in the file wins.

    Blank cells are left out, so they never erase what the database already knows:
    a file that names the producer on its first row only keeps the name.
    """
    producers: dict[str, dict[str, str]] = {}
    for r in records:
        values = producers.setdefault(r.entity_code, {})
        given = (r.entity_name, r.entity_kind, r.province, r.district)
        for key, value in zip(_ENTITY_FIELDS, given, strict=True):
            if value:
                values.setdefault(key, value)
    return producers


# --- eligibility --------------------------------------------------------------------


class Certifiable(Protocol):
    """What eligibility needs: :class:`Product`, :class:`ProductRecord` and the rows a
    run plans with (:class:`ocopsync.store.CatalogProduct`) all fit."""

    @property
    def status(self) -> str: ...
    @property
    def expires_on(self) -> date: ...
    @property
    def stars(self) -> int: ...
    @property
    def group(self) -> str: ...


def ineligibility_reason(product: Certifiable, *, min_stars: int, today: date) -> str | None:
    """Why ``product`` must not be listed on a connection, or None if it may be.

    A certificate is valid through its expiry day, so a product expiring today is
    still eligible today.
    """
    if product.status != "active":
        return _("discontinued")
    if product.expires_on < today:
        return _("certificate expired on {date}").format(date=product.expires_on.isoformat())
    if product.stars < min_stars:
        return _("{stars} stars, connection needs {min_stars}").format(
            stars=product.stars, min_stars=min_stars
        )
    if product.group == "tourism":
        return _("tourism services are not shippable goods")
    return None


def is_eligible(product: Certifiable, *, min_stars: int, today: date) -> bool:
    return ineligibility_reason(product, min_stars=min_stars, today=today) is None


# --- queries ------------------------------------------------------------------------


def list_products(
    session: Session,
    *,
    entity: str | None = None,
    province: str | None = None,
    group: str | None = None,
    search: str | None = None,
) -> list[Product]:
    """Products ordered by SKU; province and search match accent-insensitively.

    Every word of ``search`` must occur in the name or the SKU, so "tra vang ba che"
    finds "Trà hoa vàng Ba Chẽ".
    """
    query = select(Product).order_by(col(Product.sku))
    if entity:
        query = query.where(Product.entity_code == entity.strip())
    if group:
        query = query.where(Product.group == group.strip().lower())
    products = list(session.exec(query))
    if province:
        wanted = fold(province.strip())
        products = [p for p in products if fold(p.province) == wanted]
    if search:
        words = fold(search).split()
        products = [p for p in products if all(w in fold(f"{p.name} {p.sku}") for w in words)]
    return products


def get_product(session: Session, sku: str) -> Product:
    product = session.get(Product, unicodedata.normalize("NFC", sku).strip())
    if product is None:
        raise CatalogError(_("no product with SKU {sku!r}").format(sku=sku))
    return product


def product_as_row(product: Product, entity: Entity | None) -> dict[str, object]:
    """One product in catalog-file columns: what export writes and ``--format json`` shows."""
    row: dict[str, object] = {name: getattr(product, name) for name in ("sku", *PRODUCT_FIELDS)}
    row["entity_name"] = entity.name if entity else ""
    row["entity_kind"] = entity.kind if entity else ""
    row["certified_on"] = product.certified_on.isoformat() if product.certified_on else ""
    row["expires_on"] = product.expires_on.isoformat()
    row["image_urls"] = "|".join(product.image_urls)
    row["attributes"] = format_attributes(product.attributes or [])
    return {name: row[name] for name in COLUMNS}


def export_catalog(engine: Engine, path: Path, **filters: str | None) -> int:
    """Write what ``list_products(**filters)`` selects, in a file import reads back as-is.

    The stock column holds the master stock now, and ``stock_at_export`` the same
    figure: platforms go on selling after the export is written, so on import the stock
    cell counts only as an edit of that figure (``stock - stock_at_export``). Re-importing
    an untouched export therefore moves nothing, and typing +50 into a stock cell adds 50.
    """
    with Session(engine) as session:
        entities = {e.code: e for e in session.exec(select(Entity))}
        rows = [
            {**product_as_row(p, entities.get(p.entity_code)), STOCK_AT_EXPORT: p.stock}
            for p in list_products(session, **filters)
        ]
    write_rows(path, rows, EXPORT_COLUMNS)
    return len(rows)
