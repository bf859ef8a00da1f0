"""The connector contract every platform module implements.

A connector translates between our records (:class:`RemoteListing`,
:class:`ListingDraft`, updates) and one platform's API dialect. It holds no business
rules: what to list, at which price, is decided by ``reconcile``; how to retry is
decided by :mod:`.http`. Batch calls return one :class:`ItemResult` per item because
marketplaces accept part of a batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

    from ocopsync.config import ConnectionSettings
    from ocopsync.errors import ConnectorError

from ocopsync.records import (  # plain records, shared with the layers that must not know us
    AttributeOption,
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
    ListingDraft,
    ListingStatus,
    LogisticsChannel,
    OrderLine,
    OrderLineStatus,
    RemoteListing,
    Tokens,
    Variant,
)

__all__ = [
    "AttributeOption",
    "AttributeValue",
    "Brand",
    "Category",
    "CategoryAttribute",
    "ItemLimits",
    "ListingDraft",
    "ListingStatus",
    "LogisticsChannel",
    "OrderLine",
    "OrderLineStatus",
    "RemoteListing",
    "Tokens",
    "Variant",
]


@dataclass(frozen=True)
class Capabilities:
    """What one platform allows, declared as data (page and batch sizes, limits)."""

    page_size: int
    """Largest page the listing endpoint returns."""
    price_batch: int
    """Most price updates one request may carry (1 = one request per item)."""
    stock_batch: int
    """Most stock updates one request may carry."""
    status_batch: int
    """Most unlist/relist changes one request may carry."""
    can_create: bool = True
    rate_limit_per_s: float = 10.0
    """Requests per second we allow ourselves, to stay under the platform's quota."""
    needs_authorization: bool = False
    """True when a seller must authorize the shop (OAuth code -> tokens) first."""
    orders: bool = False
    """True when the platform's orders can be read (:meth:`Connector.list_order_lines`).

    Sales are then counted from order lines; without it they are inferred from stock."""
    orders_max_window: timedelta | None = None
    """Longest time range one orders query may span (Shopee: 15 days); None: no limit."""
    read_batch: int = 0
    """Most listings one :meth:`Connector.get_listings` request reads back by id (0: the
    connector cannot, and its writes are not verified)."""
    single_writes_in_flight: int = 1
    """With one item per price or stock request (``*_batch`` 1), how many such requests
    one :meth:`Connector.update_prices` / :meth:`Connector.update_stocks` call may be
    given and keep in flight at once, under the connection's rate limit: a platform
    without batch writes is otherwise bound by round trips, one listing at a time."""
    pages_ahead: bool = False
    """Listing pages are numbered or offset, so :meth:`Connector.list_listings` reads
    ``options.fetch_in_flight`` of them at once (:mod:`ocopsync.connectors.paging`);
    False for cursor paging, read one page after the other."""
    discovery: bool = False
    """True when the connector implements :class:`Discovery` (categories, attributes,
    brands, limits)."""
    variants: bool = False
    """True when a draft with ``variants`` can be created as one multi-variant listing."""
    content_updates: bool = False
    """True when the connector implements :class:`ContentUpdates`."""


@dataclass(frozen=True)
class PriceUpdate:
    remote_id: str
    sku: str
    price: int


@dataclass(frozen=True)
class StockUpdate:
    remote_id: str
    sku: str
    stock: int


@dataclass(frozen=True)
class StatusChange:
    remote_id: str
    sku: str
    status: ListingStatus
    """LIVE to relist, UNLISTED to unlist."""


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one item of a batch call."""

    sku: str
    remote_id: str
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class TokenStore(Protocol):
    """Where a connector reads and saves its tokens (the database, or memory in tests)."""

    def load(self, connection: str) -> Tokens | None: ...

    def save(self, connection: str, platform: str, tokens: Tokens) -> None: ...


class MemoryTokenStore:
    """A :class:`TokenStore` in a dict, for tests and one-off runs."""

    def __init__(self) -> None:
        self._tokens: dict[str, Tokens] = {}

    def load(self, connection: str) -> Tokens | None:
        return self._tokens.get(connection)

    def save(self, connection: str, platform: str, tokens: Tokens) -> None:
        self._tokens[connection] = tokens


@dataclass(frozen=True)
class CredentialStatus:
    """What ``connections check`` reports for one connection."""

    ok: bool
    detail: str
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


@runtime_checkable
class Connector(Protocol):
    """The contract. Construct with :class:`ConnectorContext`; use as an async context."""

    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def list_listings(self) -> AsyncIterator[RemoteListing]:
        """Every listing of the shop, paging under the hood."""
        ...

    def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        """Lines of every order created or updated in ``[since, until]`` (UTC), paging and
        splitting the range under the hood. Only called when ``capabilities.orders``."""
        ...

    async def get_listings(self, remote_ids: Sequence[str]) -> list[RemoteListing]:
        """The listings with these ids, in one request (at most ``read_batch``): how
        accepted writes are read back. Ids the platform no longer has are left out."""
        ...

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """The listing with this seller SKU, if the platform has one (adoption after a crash)."""
        ...

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        """What this platform needs to create ``draft`` that we do not have (empty: nothing).

        Pure and local (no request): the plan reports these, and a product that lacks
        them is never sent. E.g. "no category for group 'textile' in options.category_map".
        """
        ...

    async def create_listing(self, draft: ListingDraft) -> str:
        """Create a live listing; return the platform's id. Raise RejectedError if refused."""
        ...

    async def update_prices(self, updates: Sequence[PriceUpdate]) -> list[ItemResult]: ...

    async def update_stocks(self, updates: Sequence[StockUpdate]) -> list[ItemResult]: ...

    async def set_status(self, changes: Sequence[StatusChange]) -> list[ItemResult]: ...

    async def check(self) -> CredentialStatus:
        """Verify the credentials with one cheap call."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Discovery(Protocol):
    """What a marketplace tells an integrator before a first create (``categories``)."""

    async def list_categories(self) -> list[Category]:
        """The whole category tree, flattened (parents before children)."""
        ...

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        """The attributes a leaf category takes; which are mandatory; allowed values."""
        ...

    async def category_brands(self, category_id: str) -> list[Brand]:
        """The brands a leaf category accepts (every page)."""
        ...

    async def item_limits(self, category_id: str) -> ItemLimits:
        """Name/description lengths, image count and size, variant count for a category."""
        ...


@runtime_checkable
class Logistics(Protocol):
    """Shipping channels a listing must name (Shopee ``v2.logistics.get_channel_list``)."""

    async def logistics_channels(self) -> list[LogisticsChannel]: ...


@runtime_checkable
class ContentUpdates(Protocol):
    """Bringing a live listing's content (name, description, images, attributes) to the
    catalog's, through the platform's own update call."""

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """Send ``fields`` (among ``name``, ``description``, ``image_urls``,
        ``attributes``) of ``draft`` to the listing ``remote_id`` (the group's id for a
        multi-variant listing). Raise RejectedError when refused."""
        ...


class Authorizable(Protocol):
    """Connectors whose shops are onboarded by an OAuth-like code exchange."""

    def authorization_url(self, redirect_url: str) -> str: ...

    async def exchange_code(self, code: str, **extra: str) -> Tokens: ...


@dataclass
class ConnectorContext:
    """What a connector is built from. ``transport`` lets tests mount a sandbox in-process."""

    settings: ConnectionSettings
    credentials: dict[str, str]
    token_store: TokenStore = field(default_factory=MemoryTokenStore)
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] | None = None
    """Seconds since the epoch; tests pass a fake clock. None means time.time."""
    retry_wait_scale: float = 1.0
    """Multiplies every backoff wait; tests set 0 so retries take no wall time."""
    max_attempts: int = 5
    timeout_s: float = 30.0


ConnectorFactory = Callable[[ConnectorContext], Connector]


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split ``items`` into runs of at most ``size`` (the platform's batch limit)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [items[i : i + size] for i in range(0, len(items), size)]
