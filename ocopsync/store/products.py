"""What a run reads of the catalog: products and their master stock."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date
from sys import intern

from sqlalchemy import Engine, Table, Text, cast
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from ocopsync.models import (
    Product,
)

_PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]


def all_stock(engine: Engine) -> dict[str, int]:
    """The master stock of every catalog SKU (orders of a shared shop may name any)."""
    with Session(engine) as session:
        return dict(session.exec(select(Product.sku, Product.stock)).all())


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """One catalog row as a run plans with it: the columns planning reads, nothing else.

    Why not the ORM class: a national run reads 17,316 products, and an ORM instance each
    (instance state, pydantic private attributes, instrumented reads) cost half a second
    and tens of megabytes for values read once. Fits what eligibility needs
    (:class:`ocopsync.catalog.Certifiable`) like :class:`~ocopsync.models.Product` does.
    """

    sku: str
    name: str
    entity_code: str
    province: str
    group: str
    stars: int
    expires_on: date
    price_vnd: int
    stock: int
    weight_g: int | None
    barcode: str
    description: str
    image_urls: tuple[str, ...]
    status: str
    stock_zero_at: int | None
    stock_last_units_to: str
    stock_max: int | None
    stock_share_pct: int | None
    attributes: tuple[tuple[str, str], ...]
    brand: str
    parent_sku: str
    variant: str


_JSON_COLUMNS = ("image_urls", "attributes")
_COLUMNS = tuple(
    cast(_PRODUCTS.c[f.name], Text) if f.name in _JSON_COLUMNS else _PRODUCTS.c[f.name]
    for f in fields(CatalogProduct)
)
"""JSON columns as their text, decoded here (as :mod:`.listings` does, for the same
reason: SQLAlchemy's JSON processing cost three times a plain ``json.loads``)."""
_NAMES = [f.name for f in fields(CatalogProduct)]
_IMAGES, _ATTRIBUTES = _NAMES.index("image_urls"), _NAMES.index("attributes")
_REPEATED = tuple(_NAMES.index(n) for n in ("entity_code", "province", "group", "status"))
"""Columns of a few values repeated over the whole catalog: one string object each."""


def load_products(engine: Engine, entity: str | None) -> list[CatalogProduct]:
    """Every product (of ``entity`` when given) by SKU, from one select."""
    query = core_select(*_COLUMNS).order_by(_PRODUCTS.c.sku)
    if entity:
        query = query.where(_PRODUCTS.c.entity_code == entity)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    products = []
    for row in rows:
        values = list(row)
        values[_IMAGES] = tuple(json.loads(values[_IMAGES] or "[]"))
        values[_ATTRIBUTES] = tuple(
            (str(name), str(value)) for name, value in json.loads(values[_ATTRIBUTES] or "[]")
        )
        for at in _REPEATED:
            values[at] = intern(values[at])
        products.append(CatalogProduct(*values))
    return products
