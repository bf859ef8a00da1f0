"""Plain records shared by the logic, store and connector layers (no I/O, no imports).

What a platform shows (:class:`RemoteListing`, :class:`OrderLine`), what we would list
(:class:`ListingDraft`), tokens, statuses and the stock ledger's :class:`Move` live here,
so that ``reconcile`` and ``store`` never import ``connectors/base.py`` (and through it
httpx and the config) to speak about them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Move:
    """One change of one SKU's master stock, and what caused it."""

    sku: str
    delta: int
    kind: str
    """``import``, ``stocktake``, ``order``, ``inferred`` or ``resolved``."""
    connection: str = ""
    reference: str = ""
    """What explains it: an order line (``order_id/line_id``), a file, an operation."""
    run_id: int | None = None


class SalesSource(enum.StrEnum):
    """Where a connection's sales come from."""

    ORDERS = "orders"
    """Order lines read from the platform, each booked once by its id."""
    STOCK = "stock"
    """Inferred from stock: what we last set minus what the platform shows."""


class OpStatus(enum.StrEnum):
    """Where one journaled operation stands."""

    PLANNED = "planned"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    STALE = "stale"
    """In a saved plan, but what it was computed from changed: not sent."""
    NOT_APPLIED = "not_applied"
    """Accepted by the platform, but reading it back shows the value did not take."""
    NOT_SENT = "not_sent"
    """Planned by a run that died before sending it."""
    LANDED = "landed"
    """Sent by a run that died before its answer; the next observation saw it applied."""
    NOT_LANDED = "not_landed"
    UNCERTAIN = "uncertain"
    """Sent by a dead run; what was observed fits both outcomes."""


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ListingStatus(enum.StrEnum):
    """Where a remote listing stands, in our words (each platform maps its own)."""

    LIVE = "live"
    UNLISTED = "unlisted"
    PENDING = "pending"
    """Waiting for the platform's review; counts as listed, not yet live."""
    REJECTED = "rejected"


@dataclass(frozen=True)
class RemoteListing:
    """One listing as the platform reports it."""

    remote_id: str
    seller_sku: str
    name: str
    price: int
    stock: int
    status: ListingStatus


class OrderLineStatus(enum.StrEnum):
    """What one order line does to stock, in our words (each platform maps its statuses).

    ``active`` covers every state in which the units have left the shop (unpaid, paid,
    shipped, delivered); ``cancelled`` and ``returned`` give the units back.
    """

    ACTIVE = "active"
    CANCELLED = "cancelled"
    RETURNED = "returned"


@dataclass(frozen=True)
class OrderLine:
    """One line of one platform order: ``quantity`` units of one seller SKU."""

    order_id: str
    line_id: str
    """Unique within the order (the platform's item/line id, or the SKU when it has none)."""
    seller_sku: str
    quantity: int
    status: OrderLineStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ListingDraft:
    """Everything a platform may need to create a listing for one master product."""

    sku: str
    name: str
    description: str
    price: int
    stock: int
    group: str
    stars: int
    entity_code: str
    province: str
    weight_g: int | None = None
    barcode: str = ""
    image_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tokens:
    """Tokens a platform issued; persisted through a :class:`TokenStore`."""

    access_token: str
    refresh_token: str = ""
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show a secret, even in a traceback
        return (
            f"Tokens(access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r})"
        )


@dataclass(frozen=True)
class Category:
    """One node of a marketplace's category tree; only a leaf takes a listing."""

    category_id: str
    parent_id: str | None
    """None at the top of the tree."""
    name: str
    leaf: bool
