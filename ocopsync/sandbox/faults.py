"""Fault injection shared by every sandbox platform, settable per run.

Each platform app asks :meth:`FaultInjector.draw` once per request and answers a
drawn fault in its own dialect (Shopee's ``error_rate_limit`` in a 200 body, HTTP
429 on the portal, ...). Draws come from a seeded RNG so a test or benchmark run
is repeatable.

A dropped connection comes in two kinds, because a client must survive both: dropped
*before* the platform handled the request (nothing happened, a retry is safe) and
dropped *after* it (the listing exists or the stock is written, only the answer was
lost, so a blind retry of a create duplicates it). The before kind is raised as
:class:`ConnectionDropped` from the handler; the after kind cannot be raised there,
since the handler must still run, so :meth:`FaultInjector.draw` marks the request's
:class:`RequestDrop` (see :func:`watch_drops`) and the app wrapper (``SandboxApp``)
discards the finished answer and raises :class:`AnswerDropped` instead.
"""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from typing import Any


class Fault(enum.StrEnum):
    DROP = "drop"
    ERROR = "error"
    RATE_LIMIT = "rate_limit"


@dataclass
class Faults:
    """What to inject; every rate is a share of requests between 0 and 1."""

    error_rate: float = 0.0
    """Requests answered with the platform's transient server error."""
    rate_limit_rate: float = 0.0
    """Requests answered with the platform's own rate-limit signal."""
    latency_s: float = 0.0
    """Delay added before every answer."""
    drop_rate: float = 0.0
    """Requests whose connection is dropped with no answer at all."""
    drop_after_share: float = 0.5
    """Of the dropped requests, the share dropped *after* the platform handled them (the
    change is made, the answer lost); the rest are dropped before anything happens."""
    token_ttl_s: float | None = None
    """Override of the platform's access-token lifetime (e.g. 1 to force expiry mid-run)."""
    ignore_write_rate: float = 0.0
    """Requests answered with success while their price, stock and status changes are
    silently not applied: the commonest silent failure of marketplace integrations."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (
            "error_rate",
            "rate_limit_rate",
            "drop_rate",
            "drop_after_share",
            "ignore_write_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency_s < 0:
            raise ValueError("latency_s cannot be negative")

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        return cls(**data)


class ConnectionDropped(Exception):
    """Raised inside an app to drop the connection; transports turn it into a network error.

    Raised by ``SandboxPlatform.arrive`` before the handler runs; its subclass
    :class:`AnswerDropped` is raised once the handler has run. Servers and transports
    catch this base class, so both kinds reach the client as the same network error.
    """


class AnswerDropped(ConnectionDropped):
    """The handler ran to completion (its change is made) but its answer was discarded."""


class DropKind(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


@dataclass
class RequestDrop:
    """Whether, and how, the connection of the request in flight is to be dropped.

    The app wrapper opens one per request with :func:`watch_drops`; the platform's
    :meth:`FaultInjector.draw` fills it in. It is a mutable object in a context
    variable (not a value set on the variable) so that a handler run in a copied
    context, e.g. a sync endpoint in Starlette's thread pool, still reaches the wrapper.
    """

    kind: DropKind | None = None
    ignore_writes: bool = False
    """Set when this request's changes to items are to be accepted and not applied."""


_request_drop: ContextVar[RequestDrop | None] = ContextVar("ocopsync_request_drop", default=None)


@contextmanager
def watch_drops() -> Iterator[RequestDrop]:
    """Open the drop record of one request; the caller reads it once the app is done."""
    record = RequestDrop()
    token = _request_drop.set(record)
    try:
        yield record
    finally:
        _request_drop.reset(token)


class FaultInjector:
    """Draws faults for one platform according to the current :class:`Faults`."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.set(faults or Faults())
        self.injected: dict[str, int] = {f.value: 0 for f in Fault}
        self.dropped_after = 0
        """Of ``injected["drop"]``, the drops made after the handler ran."""
        self.ignored_writes = 0

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        # a draw of its own, so adding it left every seeded run drawing the same faults
        self._ignore_rng = random.Random(faults.seed + 1)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.faults)

    def draw(self) -> Fault | None:
        """The fault this request meets, or None to handle it normally.

        A drop after the handler returns None (the handler must run) and marks the
        request's :class:`RequestDrop`. Outside :func:`watch_drops` nothing could
        discard the answer, so such a drop falls back to a drop before. One roll
        decides everything, so adding the split left seeded runs drawing the same
        faults on the same requests.
        """
        f = self.faults
        if f.ignore_write_rate and self._ignore_rng.random() < f.ignore_write_rate:
            record = _request_drop.get()
            if record is not None:
                record.ignore_writes = True
                self.ignored_writes += 1
        roll = self._rng.random()
        if roll < f.drop_rate:
            self.injected[Fault.DROP.value] += 1
            record = _request_drop.get()
            after = roll >= f.drop_rate * (1.0 - f.drop_after_share)
            if after and record is not None:
                record.kind = DropKind.AFTER
                self.dropped_after += 1
                return None
            if record is not None:
                record.kind = DropKind.BEFORE
            return Fault.DROP
        roll -= f.drop_rate
        for fault, rate in (
            (Fault.ERROR, f.error_rate),
            (Fault.RATE_LIMIT, f.rate_limit_rate),
        ):
            if roll < rate:
                self.injected[fault.value] += 1
                return fault
            roll -= rate
        return None

    async def delay(self) -> None:
        if self.faults.latency_s > 0:
            await asyncio.sleep(self.faults.latency_s)


class ShopRateLimiter:
    """The platform's per-shop quota: a token bucket per shop on the sandbox clock."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, shop: str) -> bool:
        if self.rate <= 0:
            return True
        now = self.clock()
        tokens, updated = self._buckets.get(shop, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        if tokens < 1:
            self._buckets[shop] = (tokens, now)
            return False
        self._buckets[shop] = (tokens - 1, now)
        return True

    def retry_after(self, shop: str) -> float:
        tokens, _ = self._buckets.get(shop, (0.0, 0.0))
        return max(0.0, (1 - tokens) / self.rate) if self.rate > 0 else 0.0


def writes_ignored() -> bool:
    """True while handling a request whose item changes are to be silently dropped."""
    record = _request_drop.get()
    return record is not None and record.ignore_writes
