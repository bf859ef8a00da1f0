"""Reading Shopee orders (``v2.order.get_order_list`` then ``get_order_detail``).

Mixed into :class:`ocopsync.connectors.shopee.ShopeeConnector`, whose module docstring
gives the facts and choices (15-day windows, ``update_time``, 50 order_sn a detail
call); the requests and the parsing are the pure functions of
:mod:`ocopsync.connectors.shopee_payloads`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar

from ocopsync.connectors import shopee_payloads as sp
from ocopsync.connectors.answers import Answer
from ocopsync.records import OrderLine

T = TypeVar("T")


class OrderReading:
    """Needs the connector's signed, retried Shop API GET."""

    async def _shop_read(
        self, path: str, query: Sequence[tuple[str, str]], parse: Callable[[Answer], T]
    ) -> T:
        raise NotImplementedError

    async def list_order_lines(self, since: datetime, until: datetime) -> AsyncIterator[OrderLine]:
        """Details are read 50 order_sn at a time as list pages arrive, so a long range
        never holds more than one batch of orders in memory."""
        batch: list[str] = []
        async for order_sn in self._order_sns(since, until):
            batch.append(order_sn)
            if len(batch) == sp.ORDER_DETAIL_BATCH:
                for line in await self._order_lines(batch):
                    yield line
                batch = []
        if batch:
            for line in await self._order_lines(batch):
                yield line

    async def _order_sns(self, since: datetime, until: datetime) -> AsyncIterator[str]:
        """Each order updated in the range once, window by window (15 days at most)."""
        seen: set[str] = set()
        for time_from, time_to in sp.order_windows(since, until):
            cursor = ""
            while True:
                query = sp.order_list_query(time_from, time_to, cursor)
                parse = partial(sp.parse_order_page, cursor=cursor)
                order_sns, cursor = await self._shop_read(sp.ORDER_LIST_PATH, query, parse)
                for order_sn in order_sns:
                    if order_sn not in seen:
                        seen.add(order_sn)
                        yield order_sn
                if not cursor:
                    break

    async def _order_lines(self, order_sns: list[str]) -> list[OrderLine]:
        parse = partial(sp.parse_order_details, asked=order_sns)
        return await self._shop_read(sp.ORDER_DETAIL_PATH, sp.order_detail_query(order_sns), parse)
