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

from ocopsync.catalog_files import COLUMNS, CellReader, read_rows, split_urls, write_rows
from ocopsync.errors import CatalogError, ImportRejected, RowError
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
    row: int = field(default=0, compare=False)
    """Where it came from, so later checks can still point at the row."""


PRODUCT_FIELDS = tuple(c for c in COLUMNS if c not in ("sku", "entity_name", "entity_kind"))
"""Columns stored on the product itself (the entity columns live on Entity)."""

_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
_ENTITIES: Table = Entity.__table__  # type: ignore[attr-defined]
_ENTITY_FIELDS = ("name", "kind", "province", "district")
_PRODUCT_COLUMNS = [_PRODUCTS.c[name] for name in ("sku", *PRODUCT_FIELDS)]


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
class ImportReport:
    """What an import did (or, in a dry run, would do), product by product."""

    source: str
    dry_run: bool
    added_skus: tuple[str, ...] = ()
    updated_skus: tuple[str, ...] = ()
    unchanged_skus: tuple[str, ...] = ()
    changed_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For each updated SKU, the product columns whose value differs."""
    entities_added: tuple[str, ...] = ()
    entities_updated: tuple[str, ...] = ()

    @property
    def added(self) -> int:
        return len(self.added_skus)

    @property
    def updated(self) -> int:
        return len(self.updated_skus)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_skus)


def import_catalog(engine: Engine, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Upsert every product of ``path`` into the master catalog, all or nothing.

    The whole file is read and validated before the database is touched; one bad
    cell anywhere raises :class:`ImportRejected` and changes nothing. Products are
    matched by SKU and entities by code, in one transaction. An import never deletes
    or discontinues products that are absent from the file: a cooperative may well
    import one spreadsheet per product line, and taking a product off sale is an
    explicit ``status = discontinued``, never an accident of a shorter file.
    """
    records = validate_rows(read_rows(path), str(path))
    producers = _producers(records)
    with Session(engine) as session:
        # Core statements, not ORM objects: one SELECT per table and executemany
        # writes keep a 20,000-row national file to seconds.
        conn = session.connection()
        products = {r.sku: r._asdict() for r in conn.execute(core_select(*_PRODUCT_COLUMNS))}
        entities = {r.code: r._asdict() for r in conn.execute(core_select(_ENTITIES))}
        report = _compare(str(path), dry_run, records, products, producers, entities)
        if dry_run:
            return report
        blank = dict.fromkeys(_ENTITY_FIELDS, "")
        by_code = {c: {**blank, **entities.get(c, {}), **v} for c, v in producers.items()}
        _write(conn, _ENTITIES, report.entities_added, report.entities_updated, by_code, "code")
        now = utcnow()
        wanted = {r.sku: {**_product_values(r), "updated_at": now} for r in records}
        _write(conn, _PRODUCTS, report.added_skus, report.updated_skus, wanted, "sku")
        session.commit()
    return report


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
) -> ImportReport:
    """The report of what importing ``records`` changes; pure, so a dry run is exact."""
    added: list[str] = []
    unchanged: list[str] = []
    changed: dict[str, tuple[str, ...]] = {}
    for record in records:
        stored = products.get(record.sku)
        if stored is None:
            added.append(record.sku)
            continue
        wanted = _product_values(record)
        columns = tuple(n for n in PRODUCT_FIELDS if stored[n] != wanted[n])
        if columns:
            changed[record.sku] = columns
        else:
            unchanged.append(record.sku)
    return ImportReport(
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
    )


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
    """Write what ``list_products(**filters)`` selects, in a file import reads back as-is."""
    with Session(engine) as session:
        entities = {e.code: e for e in session.exec(select(Entity))}
        rows = [
            product_as_row(p, entities.get(p.entity_code))
            for p in list_products(session, **filters)
        ]
    write_rows(path, rows)
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
