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


@dataclass(frozen=True, slots=True)
class RemoteListing:
    """One listing as the platform reports it.

    A listing sold in several variants (Shopee models, Lazada SKUs, Sendo variants) is
    reported as one record per variant: ``seller_sku`` is the variant's SKU, ``remote_id``
    an id the same connector's writes understand (e.g. ``"item_id:model_id"``), and
    ``group_id`` the platform's id of the listing they share ("" when it has none).
    """

    remote_id: str
    seller_sku: str
    name: str
    price: int
    stock: int
    status: ListingStatus
    group_id: str = ""


class OrderLineStatus(enum.StrEnum):
    """What one order line does to stock, in our words (each platform maps its statuses).

    ``active`` covers every state in which the units have left the shop (unpaid, paid,
    shipped, delivered); ``cancelled`` and ``returned`` give the units back.
    """

    ACTIVE = "active"
    CANCELLED = "cancelled"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One resolved attribute of a listing, in the platform's own terms.

    ``key`` is the platform's attribute id or name (Shopee ``attribute_id``, Lazada's
    attribute ``name``); ``value`` the text; ``value_id`` the id of one of the attribute's
    allowed values when it has a list ("" for free text).
    """

    key: str
    value: str
    value_id: str = ""


@dataclass(frozen=True)
class Variant:
    """One variant (size, weight) of a listing: a catalog row sharing a ``parent_sku``."""

    sku: str
    label: str
    """What the buyer picks, e.g. ``"500 g"``."""
    price: int
    stock: int
    weight_g: int | None = None
    barcode: str = ""


@dataclass(frozen=True, slots=True)
class ListingDraft:
    """Everything a platform may need to create a listing for one master product.

    With ``variants``, ``sku`` is the shared ``parent_sku`` and the listing is created with
    one model/SKU per variant (``price``/``stock`` of the draft are then unused);
    ``group_remote_id`` set means "add these variants to that existing listing".
    """

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
    category_id: str = ""
    """The platform's leaf category (from the connection's ``category_map``); "" to let
    the connector choose from its own options."""
    attributes: tuple[AttributeValue, ...] = ()
    """Resolved for the draft's category: catalog ``attributes``, fixed mappings (origin,
    weight, OCOP stars) and per-category defaults."""
    brand: str = ""
    brand_id: str = ""
    """The platform's id for ``brand`` (from its brand list); "" for "no brand"."""
    variant_name: str = ""
    """What the variants differ by, e.g. ``"Khối lượng"`` (Shopee's tier name)."""
    variants: tuple[Variant, ...] = ()
    group_remote_id: str = ""


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


@dataclass(frozen=True)
class AttributeOption:
    """One allowed value of a category attribute."""

    value_id: str
    name: str


@dataclass(frozen=True)
class CategoryAttribute:
    """One attribute a category takes, as the platform describes it."""

    key: str
    """The platform's attribute id (Shopee, Sendo, our dialects) or name (Lazada): what a
    create sends."""
    name: str
    """What people read (Vietnamese where the platform gives it)."""
    mandatory: bool
    input_type: str
    """``text``, ``int``, ``float``, ``date``, ``single_select``, ``multi_select`` (our
    words; each connector maps its platform's)."""
    options: tuple[AttributeOption, ...] = ()
    """Allowed values for a select; empty for free input."""
    unit: str = ""
    custom_values: bool = False
    """The options are suggestions and any text is taken too (Shopee's combo boxes)."""


@dataclass(frozen=True)
class Brand:
    """One brand a category accepts."""

    brand_id: str
    name: str


@dataclass(frozen=True)
class LogisticsChannel:
    """One shipping channel a shop may enable on a listing (Shopee ``logistic_id``)."""

    channel_id: str
    name: str
    enabled: bool
    cod: bool = False
    max_weight_g: int | None = None


@dataclass(frozen=True)
class ItemLimits:
    """What the platform allows in one listing (Shopee ``get_item_limit``, or documented)."""

    name_max: int
    description_max: int
    images_max: int
    image_max_bytes: int
    image_formats: tuple[str, ...] = ("jpg", "jpeg", "png")
    price_min: int = 0
    price_max: int = 0
    """0: no limit known."""
    variants_max: int = 0


def draft_from_dict(fields: dict[str, Any]) -> ListingDraft:
    """A :class:`ListingDraft` back from ``asdict`` or its JSON (a saved plan's listing)."""
    values = dict(fields)
    values["image_urls"] = tuple(values.get("image_urls", ()))
    values["attributes"] = tuple(
        a if isinstance(a, AttributeValue) else AttributeValue(**a)
        for a in values.get("attributes", ())
    )
    values["variants"] = tuple(
        v if isinstance(v, Variant) else Variant(**v) for v in values.get("variants", ())
    )
    return ListingDraft(**values)
