"""Plain records shared by the logic and the store layers (no I/O, no imports of either).

The stock ledger's :class:`Move` lives here so that pure planning can produce moves and
the store can apply them without one layer importing the other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
