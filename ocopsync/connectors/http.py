"""Shared HTTP machinery: one client per connection, one retry policy, one rate limiter.

Connectors build and sign requests and map platform codes; everything about *when*
to send is here, so no connector writes its own loop:

- transport failures and 5xx become :class:`TransientError`, HTTP 429 becomes
  :class:`RateLimitedError` carrying ``Retry-After``; a connector raises the same
  classes from its own error table for errors a platform reports in a 200 body;
- :meth:`PlatformHttp.call` retries only transient errors, with exponential backoff
  and jitter, except that a platform's hinted delay wins; attempts are bounded and
  our own error is re-raised, never tenacity's;
- :meth:`PlatformHttp.call_authed` refreshes the token once on
  :class:`AuthExpiredError` and repeats the call;
- a token bucket keeps each connection under its platform's request rate.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base

from ocopsync import __version__
from ocopsync.connectors.base import Capabilities, ConnectorContext
from ocopsync.errors import (
    AuthExpiredError,
    RateLimitedError,
    TransientError,
)

T = TypeVar("T")

USER_AGENT = f"ocopsync/{__version__}"
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
RETRY_AFTER_MAX_S = 120.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class _BackoffOrHint(wait_base):
    """Exponential backoff with full jitter, but a platform's Retry-After hint wins."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def __call__(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return min(exc.retry_after, RETRY_AFTER_MAX_S) * self.scale
        ceiling = min(BACKOFF_MAX_S, BACKOFF_INITIAL_S * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling) * self.scale


class RateLimiter:
    """A token bucket: at most ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate)))
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class PlatformHttp:
    """The HTTP side of one connection: client, limiter, retries, counters."""

    def __init__(self, ctx: ConnectorContext, *, platform: str, rate_limit_per_s: float) -> None:
        self.ctx = ctx
        self.platform = platform
        self.client = httpx.AsyncClient(
            base_url=ctx.settings.base_url,
            transport=ctx.transport,
            timeout=httpx.Timeout(ctx.timeout_s, connect=min(10.0, ctx.timeout_s)),
            headers={"User-Agent": USER_AGENT},
        )
        self.limiter = RateLimiter(rate_limit_per_s)
        self.requests_sent = 0
        """Every HTTP request attempted, retries included (benchmarks read this)."""

    def now(self) -> float:
        return self.ctx.clock() if self.ctx.clock else time.time()

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One attempt: rate-limited, transport failures and 429/5xx mapped to our errors."""
        await self.limiter.acquire()
        self.requests_sent += 1
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"timed out: {type(exc).__name__}", platform=self.platform
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"connection failed: {type(exc).__name__}", platform=self.platform
            ) from exc
        if response.status_code == 429:
            raise RateLimitedError(
                "rate limited (HTTP 429)",
                platform=self.platform,
                code="429",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 500:
            raise TransientError(
                f"server error HTTP {response.status_code}",
                platform=self.platform,
                code=str(response.status_code),
            )
        return response

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` (which builds, signs, sends and parses) under the retry policy."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.ctx.max_attempts),
            wait=_BackoffOrHint(self.ctx.retry_wait_scale),
            reraise=True,
        )
        async for attempt_state in retrying:
            with attempt_state:
                return await attempt()
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def call_authed(
        self, attempt: Callable[[], Awaitable[T]], refresh: Callable[[], Awaitable[None]]
    ) -> T:
        """Like :meth:`call`, but an expired token is refreshed once and the call repeated."""
        try:
            return await self.call(attempt)
        except AuthExpiredError:
            await refresh()
            return await self.call(attempt)

    async def aclose(self) -> None:
        await self.client.aclose()


class HttpConnector:
    """What every HTTP connector shares: its :class:`PlatformHttp` and its lifetime.

    Subclasses declare ``platform`` and ``capabilities`` and call :meth:`_start_http`
    from ``__init__``; ``options.rate_limit_per_s`` overrides the platform's default
    rate (benchmarks lift it, a cautious operator lowers it).
    """

    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    http: PlatformHttp

    def _start_http(self, ctx: ConnectorContext) -> None:
        default = self.capabilities.rate_limit_per_s
        rate = float(ctx.settings.options.get("rate_limit_per_s", default))
        self.http = PlatformHttp(ctx, platform=self.platform, rate_limit_per_s=rate)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()
