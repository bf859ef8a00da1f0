"""Units held back by lost writes the evidence could not decide, and a person's decision.

Without an orders API, a stock write whose answer was lost can leave two readings of
how many units sold (see :mod:`ocopsync.stock`). The smaller is booked; the difference
is held: kept in the master stock and offered on no platform. A person who knows
(a shelf count, the seller centre's order list) resolves it: ``sold`` books the held
units as sold, ``kept`` releases them to every platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ocopsync.errors import CatalogError
from ocopsync.i18n import _
from ocopsync.ledger import apply_moves
from ocopsync.models import Listing
from ocopsync.records import Move


@dataclass(frozen=True)
class HeldUnits:
    connection: str
    sku: str
    units: int
    detail: str


def held_listings(engine: Engine, sku: str | None = None) -> list[HeldUnits]:
    with Session(engine) as session:
        query = select(Listing).where(col(Listing.uncertain_units) != 0)
        if sku:
            query = query.where(Listing.sku == sku)
        rows = session.exec(query.order_by(col(Listing.sku), col(Listing.connection))).all()
        return [HeldUnits(r.connection, r.sku, r.uncertain_units, r.uncertain_detail) for r in rows]


def resolve(engine: Engine, sku: str, connection: str, *, sold: bool) -> HeldUnits:
    """Book (``sold``) or release the units held for ``sku`` on ``connection``, in one
    transaction with the ledger's move."""
    with Session(engine) as session:
        row = session.exec(
            select(Listing).where(Listing.sku == sku, Listing.connection == connection)
        ).first()
        if row is None or not row.uncertain_units:
            raise CatalogError(
                _("nothing is held for {sku} on {connection} (see `ocopsync stock held`)").format(
                    sku=sku, connection=connection
                )
            )
        held = HeldUnits(connection, sku, row.uncertain_units, row.uncertain_detail)
        if sold:
            move = Move(sku, -row.uncertain_units, "resolved", connection, "held units sold")
            apply_moves(session.connection(), [move])
        row.uncertain_units, row.uncertain_detail = 0, ""
        session.add(row)
        session.commit()
        return held


@dataclass(frozen=True)
class ConfirmedDrop:
    connection: str
    sku: str
    expected: int
    shown: int
    booked: int
    """Units booked off the master (0 when the platform is to be raised back)."""


def confirm_drop(
    engine: Engine, sku: str, connection: str, shown: int, *, lost: bool
) -> ConfirmedDrop:
    """A person explains a drop no order explains: the units are gone (``lost``: an edit
    for damaged goods, a sale elsewhere) or the platform is wrong and may be raised again.

    Either way the platform's figure becomes the listing's baseline, so the next sync no
    longer caps the stock there; with ``lost`` the master drops by the units, in the same
    transaction.
    """
    with Session(engine) as session:
        row = session.exec(
            select(Listing).where(Listing.sku == sku, Listing.connection == connection)
        ).first()
        if row is None or row.last_stock is None:
            raise CatalogError(
                _("ocopsync keeps no stock baseline for {sku} on {connection}").format(
                    sku=sku, connection=connection
                )
            )
        expected = row.last_stock - row.booked_since_push
        if shown >= expected:
            raise CatalogError(
                _(
                    "{sku} on {connection} shows {shown}, not below the {expected} expected: "
                    "nothing to confirm"
                ).format(sku=sku, connection=connection, shown=shown, expected=expected)
            )
        booked = expected - shown if lost else 0
        if booked:
            move = Move(sku, -booked, "confirmed", connection, f"drop {expected} -> {shown}")
            apply_moves(session.connection(), [move])
        row.last_stock, row.booked_since_push = shown, 0
        session.add(row)
        session.commit()
        return ConfirmedDrop(connection, sku, expected, shown, booked)
