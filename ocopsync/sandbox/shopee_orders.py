"""The Shopee sandbox's order routes: ``v2.order.get_order_list`` and ``get_order_detail``.

Mixed into :class:`ocopsync.sandbox.shopee.ShopeeSandbox`, whose module docstring gives
the shapes, limits and sources; the checks and rendering are in :mod:`.shopee_state`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ocopsync.sandbox import shopee_state as st
from ocopsync.sandbox.base import OrderBook, SandboxShop


class OrderRoutes:
    """Needs the shop and the order book of the sandbox it is mixed in."""

    shop: SandboxShop
    orders: OrderBook

    async def get_order_list(self, request: Request) -> Response:
        query = st.order_list_query(request.query_params)
        if isinstance(query, tuple):
            return st.error(*query)
        between = (
            self.orders.created_between
            if query.field == "create_time"
            else self.orders.updated_between
        )
        orders = [
            o
            for o in between(query.time_from, query.time_to)
            if query.status in ("", st.order_status(o))
        ]
        return st.envelope(st.order_list_page(orders, query))

    async def get_order_detail(self, request: Request) -> Response:
        wanted = list(dict.fromkeys(st.list_param(request.query_params, "order_sn_list")))
        if not 1 <= len(wanted) <= st.MAX_ORDER_SNS:
            return st.error(*st.param_error("order_sn_list must hold 1 to 50 order_sn"))
        found = [self.orders.orders[sn] for sn in wanted if sn in self.orders.orders]
        if not found:
            return st.error(*st.ORDER_NOT_FOUND)
        optional = set(st.list_param(request.query_params, "response_optional_fields"))
        missing = [sn for sn in wanted if sn not in self.orders.orders]
        warning = [f"order_sn not found: {','.join(missing)}"] if missing else ""
        orders = [st.render_order(o, self.shop, optional) for o in found]
        return st.envelope({"order_list": orders}, warning)
