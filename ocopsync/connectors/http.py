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
- a token bucket keeps each connection under its platform's request rate;
- every attempt is the boundary where reading an answer is translated once (as httpx's
  ``map_exceptions``): an :class:`UnexpectedAnswerError` raised by a reader that did not
  know the request is given it, and a ``KeyError``, ``TypeError``... raised after an
  answer arrived becomes one too, so nothing a platform says escapes as a traceback
  (readers use :class:`~ocopsync.connectors.answers.Answer`; this is the safety net);
- each connector's secrets (its credentials, and every token it loads or saves) are
  registered with :func:`ocopsync.errors.register_secret`, so no message shows them.
"""

from __future__ import annotations

import asyncio
import contextvars
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
from ocopsync.connectors.base import Capabilities, ConnectorContext, Tokens, TokenStore
from ocopsync.connectors.paging import in_flight_of
from ocopsync.errors import (
    AuthExpiredError,
    RateLimitedError,
    TransientError,
    UnexpectedAnswerError,
    register_secret,
)
from ocopsync.i18n import _

T = TypeVar("T")

USER_AGENT = f"ocopsync/{__version__}"
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
RETRY_AFTER_MAX_S = 120.0
READING_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)
"""What a reader that trusted an answer's shape raises when the answer breaks it."""
SECRET_CREDENTIALS = ("key", "secret", "token", "password")
"""A credential whose name holds one of these is masked by value in every message."""

_answered: contextvars.ContextVar[str] = contextvars.ContextVar("answered", default="")
"""``METHOD /path`` of the last answer received in this task's current attempt ("" for
none yet). Per task: concurrent calls of one connection (creates) never see each other's."""


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
        _answered.set(f"{method.upper()} {response.request.url.path}")
        return response

    async def _attempt(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """One attempt inside the answer boundary (see the module docstring)."""
        before = _answered.set("")
        try:
            return await attempt()
        except UnexpectedAnswerError as exc:
            call = _answered.get()
            if exc.call or not call:
                raise
            raise exc.at(call) from exc
        except READING_ERRORS as exc:
            call = _answered.get()
            if not call:  # nothing was answered yet: our own bug, not the platform's
                raise
            detail = _("could not be read ({kind}: {error})").format(
                kind=type(exc).__name__, error=exc
            )
            raise UnexpectedAnswerError(detail, platform=self.platform, call=call) from exc
        finally:
            _answered.reset(before)

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
                return await self._attempt(attempt)
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
    fetch_in_flight: int = 1
    """Listing pages read at once where paging allows it (:mod:`.paging`)."""

    def _start_http(self, ctx: ConnectorContext) -> None:
        default = self.capabilities.rate_limit_per_s
        rate = float(ctx.settings.options.get("rate_limit_per_s", default))
        self.http = PlatformHttp(ctx, platform=self.platform, rate_limit_per_s=rate)
        self.fetch_in_flight = in_flight_of(ctx.settings.options)
        for name, value in ctx.credentials.items():
            if any(word in name.lower() for word in SECRET_CREDENTIALS):
                register_secret(str(value))
        if not isinstance(ctx.token_store, SecretRegisteringStore):
            ctx.token_store = SecretRegisteringStore(ctx.token_store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()


class SecretRegisteringStore:
    """A :class:`TokenStore` that registers every token passing through it as a secret,
    so a platform that echoes a bare token into an error shows ``***`` instead."""

    def __init__(self, inner: TokenStore) -> None:
        self.inner = inner

    def load(self, connection: str) -> Tokens | None:
        tokens = self.inner.load(connection)
        if tokens is not None:
            _register(tokens)
        return tokens

    def save(self, connection: str, platform: str, tokens: Tokens) -> None:
        _register(tokens)
        self.inner.save(connection, platform, tokens)


def _register(tokens: Tokens) -> None:
    register_secret(tokens.access_token)
    register_secret(tokens.refresh_token)
