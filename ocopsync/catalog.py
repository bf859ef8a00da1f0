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
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from ocopsync.catalog_files import (
    COLUMNS,
    EXPORT_COLUMNS,
    STOCK_AT_EXPORT,
    CellReader,
    read_rows,
    split_urls,
    write_rows,
)
from ocopsync.errors import CatalogError, ImportRejected, RowError
from ocopsync.ledger import Move, apply_moves, current_stock
from ocopsync.models import Entity, Product, utcnow

ENTITY_KINDS = ("enterprise", "cooperative", "household")
GROUPS = ("food", "beverage", "herbal", "textile", "handicraft", "tourism")
STATUSES = ("active", "discontinued")
MAX_SKU_LENGTH = 64


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
    stock_at_export: int | None = None
    """The row's ``stock_at_export`` cell (files ``catalog export`` wrote); not a product
    field, only the figure the row's stock is compared with to find what was edited."""
    row: int = field(default=0, compare=False)
    """Where it came from, so later checks can still point at the row."""


PRODUCT_FIELDS = tuple(c for c in COLUMNS if c not in ("sku", "entity_name", "entity_kind"))
"""Columns stored on the product itself (the entity columns live on Entity)."""

_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
_ENTITIES: Table = Entity.__table__  # type: ignore[attr-defined]
_ENTITY_FIELDS = ("name", "kind", "province", "district")
_PRODUCT_COLUMNS = [_PRODUCTS.c[name] for name in ("sku", *PRODUCT_FIELDS, "imported_stock")]


# --- validation ---------------------------------------------------------------------


def _check_row(number: int, raw: Mapping[str, str]) -> tuple[ProductRecord | None, list[RowError]]:
    c = CellReader(number, raw)
    sku = c.text("sku")
    if re.search(r"\s", sku):
        c.fail("sku", "must not contain spaces")
    if len(sku) > MAX_SKU_LENGTH:
        c.fail("sku", f"is {len(sku)} characters long; at most {MAX_SKU_LENGTH} allowed")
    stars_text = c.text("stars")
    stars = int(stars_text) if stars_text in ("3", "4", "5") else None
    if stars_text and stars is None:
        c.fail("stars", "must be 3, 4 or 5 (OCOP star rating)")
    certified_on, expires_on = c.day("certified_on"), c.day("expires_on")
    if certified_on and expires_on and certified_on > expires_on:
        c.fail("certified_on", f"is after the certificate expires ({expires_on.isoformat()})")
    urls = split_urls(c.text("image_urls"))
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://")) or " " in u]
    if bad:
        c.fail("image_urls", "not a web address (http:// or https://): " + ", ".join(bad))
    values: dict[str, Any] = {
        "sku": sku,
        "name": c.text("name"),
        "entity_code": c.text("entity_code"),
        "entity_name": c.text("entity_name"),
        "entity_kind": c.choice("entity_kind", ENTITY_KINDS),
        "province": c.text("province"),
        "district": c.text("district"),
        "group": c.choice("group", GROUPS),
        "stars": stars,
        "certified_on": certified_on,
        "expires_on": expires_on,
        "price_vnd": c.whole("price_vnd", minimum=1, noun="number of dong"),
        "stock": c.whole("stock", minimum=0),
        "weight_g": c.whole("weight_g", minimum=1, noun="number of grams"),
        "barcode": c.text("barcode"),
        "description": c.text("description"),
        "image_urls": urls,
        "status": c.choice("status", STATUSES, default="active"),
        "stock_at_export": c.whole(STOCK_AT_EXPORT, minimum=0),
    }
    if c.errors:
        return None, c.errors
    return ProductRecord(**values, row=number), []


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], source: str
) -> list[ProductRecord]:
    """Typed records for every row, or :class:`ImportRejected` listing every bad cell.

    Pure, so the CLI, the demo and tests can check rows without a database. Every
    row is checked even after the first failure: a person fixes the whole file at once.
    """
    records: list[ProductRecord] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for number, raw in rows:
        record, row_errors = _check_row(number, raw)
        errors.extend(row_errors)
        sku = unicodedata.normalize("NFC", raw.get("sku", "")).strip()
        if sku and sku in first_seen:
            reason = f"duplicate SKU, first used on row {first_seen[sku]}"
            errors.append(RowError(number, "sku", sku, reason))
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


def import_catalog(
    engine: Engine, path: Path, *, dry_run: bool = False, stocktake: bool = False
) -> ImportReport:
    """Upsert every product of ``path`` into the master catalog, all or nothing.

    The whole file is read and validated before the database is touched; one bad
    cell anywhere raises :class:`ImportRejected` and changes nothing. Products are
    matched by SKU and entities by code, in one transaction. An import never deletes
    or discontinues products that are absent from the file: a cooperative may well
    import one spreadsheet per product line, and taking a product off sale is an
    explicit ``status = discontinued``, never an accident of a shorter file.

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
    """
    records = validate_rows(read_rows(path), str(path))
    producers = _producers(records)
    with Session(engine) as session:
        # Core statements, not ORM objects: one SELECT per table and executemany
        # writes keep a 20,000-row national file to seconds.
        conn = session.connection()
        products = {r.sku: r._asdict() for r in conn.execute(core_select(*_PRODUCT_COLUMNS))}
        entities = {e.code: e._asdict() for e in conn.execute(core_select(_ENTITIES))}
        report, plan = _compare(
            str(path), dry_run, records, products, producers, entities, stocktake=stocktake
        )
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
                report, _ = _compare(
                    str(path), dry_run, records, products, producers, entities, stocktake=stocktake
                )
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


def _write_products(
    conn: Connection, records: list[ProductRecord], report: ImportReport, plan: _StockPlan
) -> None:
    """Insert added products at stock 0 and update changed ones, never writing ``stock``.

    Stock is then set by ledger moves only, so the ledger's balance of a SKU is its
    master stock from the first import on.
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
    rows = [
        {
            **{n: v for n, v in _product_values(by_sku[sku]).items() if n != "stock"},
            "imported_stock": plan.imported_stock[sku],
            "updated_at": now,
            "_key": sku,
        }
        for sku in full
    ]
    written = set(full)
    bookkeeping = [
        {"imported_stock": plan.imported_stock[sku], "_key": sku}
        for sku in sorted(plan.touch - written)
    ]
    for batch in (rows, bookkeeping):
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
    source: str,
    dry_run: bool,
    records: list[ProductRecord],
    products: Mapping[str, Mapping[str, Any]],
    producers: Mapping[str, Mapping[str, str]],
    entities: Mapping[str, Mapping[str, Any]],
    *,
    stocktake: bool = False,
) -> tuple[ImportReport, _StockPlan]:
    """The report of what importing ``records`` changes; pure, so a dry run is exact.

    Refuses the file (:class:`ImportRejected`, before anything is written) when a move
    would take a master stock below 0: the file then claims fewer units than were sold
    since it was made, which only a person can settle.
    """
    added: list[str] = []
    unchanged: list[str] = []
    changed: dict[str, tuple[str, ...]] = {}
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
        move, figure, is_absolute = _stock_change(record, stored, stocktake=stocktake)
        imported[record.sku] = figure
        if is_absolute:
            absolute.add(record.sku)
        if is_absolute or figure != stored["imported_stock"]:
            touch.add(record.sku)
        if move is not None and move.after < 0:
            reason = (
                f"moves the master stock by {move.delta} ({move.why}) from {move.before} "
                f"to {move.after}, below 0; if the file is a physical count, import it "
                "with --stocktake"
            )
            errors.append(RowError(record.row, "stock", str(record.stock), reason))
        wanted = _product_values(record)
        columns = tuple(
            n
            for n in PRODUCT_FIELDS
            if (move is not None if n == "stock" else stored[n] != wanted[n])
        )
        if move is not None:
            moves.append(move)
        if columns:
            changed[record.sku] = columns
        else:
            unchanged.append(record.sku)
    if errors:
        raise ImportRejected(source, errors)
    report = ImportReport(
        source=source,
        dry_run=dry_run,
        added_skus=tuple(added),
        updated_skus=tuple(changed),
        unchanged_skus=tuple(unchanged),
        changed_columns=changed,
        entities_added=tuple(c for c in producers if c not in entities),
        entities_updated=tuple(
            c
            for c, values in producers.items()
            if c in entities and any(entities[c][k] != v for k, v in values.items())
        ),
        stock_moves=tuple(moves),
        stocktake=stocktake,
    )
    return report, _StockPlan(imported, frozenset(touch), frozenset(absolute))


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
        delta, why, kind, is_absolute = figure - master, "stocktake", "stocktake", True
    elif record.stock_at_export is not None:
        # The export's own figure, not imported_stock: the difference is the edit, and
        # the spreadsheet the cooperative keeps is still the last file's figure.
        delta, keep = figure - record.stock_at_export, last
        why = f"export edited {record.stock_at_export} -> {figure}"
    elif last is None:
        # Imported by a release before stock tracking: nothing says what the file's
        # figure was counted against, so it is taken as a count, once.
        delta, is_absolute = figure - master, True
        why = f"first tracked import: file figure {figure} taken"
    else:
        delta, why = figure - last, f"file changed {last} -> {figure}"
    move = StockChange(record.sku, master, master + delta, delta, why, kind) if delta else None
    return move, keep, is_absolute


def _product_values(record: ProductRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in PRODUCT_FIELDS}
    values["image_urls"] = list(record.image_urls)
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
    """What eligibility needs; both :class:`Product` and :class:`ProductRecord` fit."""

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
        return "discontinued"
    if product.expires_on < today:
        return f"certificate expired on {product.expires_on.isoformat()}"
    if product.stars < min_stars:
        return f"{product.stars} stars, connection needs {min_stars}"
    if product.group == "tourism":
        return "tourism services are not shippable goods"
    return None


def is_eligible(product: Certifiable, *, min_stars: int, today: date) -> bool:
    return ineligibility_reason(product, min_stars=min_stars, today=today) is None


# --- queries ------------------------------------------------------------------------


def fold(text: str) -> str:
    """``text`` without accents or case, for matching what a person types.

    Only for comparing: stored text always keeps its diacritics. "đ" is a letter of
    its own, not d plus a mark, so NFD leaves it alone and it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D").casefold()


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
        raise CatalogError(f"no product with SKU {sku!r}")
    return product


def product_as_row(product: Product, entity: Entity | None) -> dict[str, object]:
    """One product in catalog-file columns: what export writes and ``--format json`` shows."""
    row: dict[str, object] = {name: getattr(product, name) for name in ("sku", *PRODUCT_FIELDS)}
    row["entity_name"] = entity.name if entity else ""
    row["entity_kind"] = entity.kind if entity else ""
    row["certified_on"] = product.certified_on.isoformat() if product.certified_on else ""
    row["expires_on"] = product.expires_on.isoformat()
    row["image_urls"] = "|".join(product.image_urls)
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


def adjust_master_stock(session: Session, changes: Mapping[str, int]) -> None:
    """Set the master stock of each SKU; the caller commits.

    Sync calls this after platforms sold units. It lives here because the catalog
    owns the master stock, and it joins the caller's transaction so the stock and
    the journal entry that explains it commit together.
    """
    if any(stock < 0 for stock in changes.values()):
        raise ValueError("master stock cannot be negative")
    skus = list(changes)
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):  # stay under SQLite's bound-parameter limit
        chunk = skus[start : start + 500]
        found.update(
            (p.sku, p) for p in session.exec(select(Product).where(col(Product.sku).in_(chunk)))
        )
    missing = [s for s in skus if s not in found]
    if missing:
        raise CatalogError(f"no product with SKU {', '.join(map(repr, missing))}")
    now = utcnow()
    for sku, stock in changes.items():
        product = found[sku]
        if product.stock != stock:
            product.stock = stock
            product.updated_at = now
            session.add(product)
