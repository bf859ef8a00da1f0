"""Several page requests of one shop in flight, their answers handed on in page order.

Why: a no-op run is bound by round trips. Read one page after the other, a shop of
17,000 items on Shopee is 520 sequential calls, each a full round trip to Singapore.
Where the platform pages by page number or offset, every request is known once the
first answer gives the total, so the next few can be on their way while one is
parsed. Cursor paging (Voso, Sendo) and Lazada's sliding ``create_after`` window
cannot be read ahead; they stay one page at a time.

Every request still waits for the connection's rate limiter, so going several at once
never goes faster than the platform's quota; it only stops the limiter idling while
an answer travels. ``options.fetch_in_flight`` sets how many (default
:data:`DEFAULT_IN_FLIGHT`; 1 reads one page at a time, as before).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")

DEFAULT_IN_FLIGHT = 4
"""Page requests in flight per shop: enough to keep a 50 requests/s quota busy at a
round trip of 80 ms, few enough to stay far under any platform's connection limits."""
MAX_IN_FLIGHT = 16


def in_flight_of(options: Mapping[str, object]) -> int:
    """``options.fetch_in_flight``, within 1..MAX_IN_FLIGHT (the config checks it too)."""
    raw = options.get("fetch_in_flight", DEFAULT_IN_FLIGHT)
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else DEFAULT_IN_FLIGHT
    return max(1, min(MAX_IN_FLIGHT, value))


async def in_order(calls: Iterable[Callable[[], Awaitable[T]]], in_flight: int) -> AsyncIterator[T]:
    """Each call's result, in the order of ``calls``, with at most ``in_flight`` calls
    started and not yet handed on.

    A call that fails raises when its turn comes, after every result before it; the
    calls still running are then cancelled (and awaited, so none is left behind), as
    they are when the caller stops reading early.
    """
    running: deque[asyncio.Future[T]] = deque()
    try:
        for call in calls:
            running.append(asyncio.ensure_future(call()))
            if len(running) >= max(1, in_flight):
                yield await running.popleft()
        while running:
            yield await running.popleft()
    finally:
        for future in running:
            future.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
