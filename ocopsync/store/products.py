"""What a run reads of the catalog: products and their master stock."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.models import (
    Product,
)


def all_stock(engine: Engine) -> dict[str, int]:
    """The master stock of every catalog SKU (orders of a shared shop may name any)."""
    with Session(engine) as session:
        return dict(session.exec(select(Product.sku, Product.stock)).all())


def load_products(engine: Engine, entity: str | None) -> list[Product]:
    with Session(engine) as session:
        query = select(Product)
        if entity:
            query = query.where(Product.entity_code == entity)
        products = list(session.exec(query.order_by(Product.sku)).all())
        session.expunge_all()
        return products
