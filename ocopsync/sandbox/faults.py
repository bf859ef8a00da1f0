"""Fault injection shared by every sandbox platform, settable per run.

Each platform app asks :meth:`FaultInjector.draw` once per request and answers a
drawn fault in its own dialect (Shopee's ``error_rate_limit`` in a 200 body, HTTP
429 on the portal, ...). Draws come from a seeded RNG so a test or benchmark run
is repeatable.
"""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import Callable
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
    token_ttl_s: float | None = None
    """Override of the platform's access-token lifetime (e.g. 1 to force expiry mid-run)."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate"):
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
    """Raised inside an app to drop the connection; transports turn it into a network error."""


class FaultInjector:
    """Draws faults for one platform according to the current :class:`Faults`."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.set(faults or Faults())
        self.injected: dict[str, int] = {f.value: 0 for f in Fault}

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.faults)

    def draw(self) -> Fault | None:
        f = self.faults
        roll = self._rng.random()
        for fault, rate in (
            (Fault.DROP, f.drop_rate),
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
