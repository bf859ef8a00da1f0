"""Emulator of Shopee Open Platform v2, for the listing-sync APIs ocopsync uses.

Speaks the dialect of ``shared/platforms/shopee.md``: shop authorization
(``/api/v2/shop/auth_partner`` redirects to ``redirect?code=..&shop_id=..``), tokens
(``auth/token/get``, ``auth/access_token/get``; access 4 h, refresh 30 days and single
use), HMAC-SHA256 signatures recomputed here from the raw query, a ±300 s timestamp
window, the ``{request_id, error, message, warning, response}`` envelope, the product
APIs with their page and batch limits, ``media_space/upload_image``, and
``product/get_category`` (the tree and its sources are in :mod:`.shopee_categories`).
Discovery (``get_attribute_tree``, ``get_attributes``, ``get_brand_list``,
``get_item_limit``, ``v2.logistics.get_channel_list``), items with models
(``init_tier_variation``, ``update_tier_variation``, ``add_model``,
``get_model_list``, price and stock per ``model_id``) and ``update_item`` are routed
from :mod:`.shopee_product`; their shapes, limits, refusals and sources are in
:mod:`.shopee_attributes` and :mod:`.shopee_models`. add_item refuses a create missing
a mandatory attribute, an attribute value not allowed, or a brand where it is mandatory,
with Shopee's own codes. :meth:`ShopeeSandbox.seed_models` puts an item with models in
the shop, as a cooperative would have made it by hand.

``media_space/upload_image`` takes the Public API signature (its spec) and the Shop API
one (``access_token`` and ``shop_id`` in the query, signed over them), as three public
clients send it and the gateway is reported to accept; a file that is not JPG/PNG or is
over 10 MB is ``error_param`` "Wrong parameters, detail: ..." (the spec's only error
for parameters; its text is ours).

Costs (benchmarks): a page of get_item_list is cut from a list kept per status set
until an item is added or a status changes, and ``search_item?item_sku=`` is one look
into the shop's SKU index (the SKU matched whole, a model's SKU finding its item), so
neither grows with the shop.

Where the docs are silent, the choices listed in :mod:`ocopsync.connectors.shopee`
apply: 403 for sign/auth errors, 400 for parameter and product errors, 429
``error_rate_limit`` for the per-shop quota, 500 ``error_server`` for injected faults;
an expired token answers ``invalid_acceess_token`` "Invalid access_token."; a repeated
``item_sku`` on add_item answers ``error_repeated_mtsku``. The signature is accepted
over the API path (``/api/v2/...``, as documented) or over the full request path with
the sandbox's ``/shopee`` prefix (SDKs that sign ``url.pathname``). The authorization
code is a fixed documented value, reusable so a person can walk through it twice.

Orders (facts §8): ``GET /api/v2/order/get_order_list`` (Shop API) takes
``time_range_field`` (create_time | update_time), ``time_from``/``time_to`` (epoch s),
``page_size`` 1..100, ``cursor``, optional ``order_status`` and
``response_optional_fields=order_status``, and answers ``more``, ``next_cursor`` (empty
after the last page) and ``order_list[].order_sn``; a range longer than 15 days, or one
that ends before it starts, is ``order.order_list_invalid_time`` "Start time must be
earlier than end time and diff in 15days." ``GET /api/v2/order/get_order_detail`` takes
``order_sn_list`` (comma separated, 1..50) and ``response_optional_fields`` (we render
``item_list`` and ``total_amount``); each order has ``order_sn``, ``order_status``,
``create_time``, ``update_time`` and the other default fields, each ``item_list`` entry
``item_id``, ``item_name``, ``item_sku``, ``model_id``, ``model_name``, ``model_sku``,
``model_quantity_purchased``, prices and promotion fields. No order found at all is
``error_not_found`` "Wrong parameters, detail: the order is not found."; some not found
is a warning (a list of strings, as the detail spec types it). Sources: the official
per-API specs stored in congminh1254/shopee-sdk, ``schemas/v2.order.get_order_list.json``
and ``schemas/v2.order.get_order_detail.json`` (parameters, limits, error example, and
the order_sn samples ``201218V2Y6E59M``); status meanings from the same SDK's typedoc
``schemas_order.OrderStatus`` (``TO_RETURN``: "the buyer requested to return the order
and order's return is processing"; ``IN_CANCEL``: "cancelation is under processing").

Our guesses there (not in the docs): order ids are ``YYMMDD`` (Vietnam's date) plus 8
uppercase letters/digits; the cursor is an offset written as a string; both ends of
the time range are inclusive and an empty range (from == to) is allowed. Neutral
statuses map to Shopee's one status per order: an active order is READY_TO_SHIP,
a wholly cancelled one CANCELLED, and any returned line puts the order in TO_RETURN,
because get_order_detail carries no status per item (per-item returns live in the
returns API, ``v2.returns.*``, which this sandbox does not emulate); the lines of a
partial cancellation stay listed under READY_TO_SHIP. A line of a model names its item
(``item_id``, ``item_sku``) and the model (``model_id``, ``model_sku``, ``model_name``);
a line of an item without models is ``model_id`` 0 with the SKU in ``item_sku`` and an
empty ``model_sku``.
The gateway (faults, signature, token, quota) checks these routes like every other.

Sandbox credentials: partner_id ``100001``, partner_key ``sandbox-shopee-key``, shop_id
``200001``, code ``sandbox-shopee-code`` (each overridable by
``OCOPSYNC_SANDBOX_SHOPEE_<KEY>``). A 1x1 PNG for product images is served at
``/shopee/_sandbox/image.png``; :meth:`ShopeeSandbox.connection_options` lets the
connector download images from the sandbox's own host only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox import shopee_models as sm
from ocopsync.sandbox import shopee_state as st
from ocopsync.sandbox.base import (
    IssuedToken,
    SandboxItem,
    SandboxPlatform,
    SandboxShop,
    TokenIssuer,
)
from ocopsync.sandbox.base import sandbox_credential as credential
from ocopsync.sandbox.faults import Fault
from ocopsync.sandbox.shopee_categories import category_list
from ocopsync.sandbox.shopee_orders import OrderRoutes
from ocopsync.sandbox.shopee_product import ProductRoutes

ACCESS_TTL_S = 4 * 3600
REFRESH_TTL_S = 30 * 24 * 3600

Handler = Callable[[Request], Awaitable[Response]]


class ShopeeSandbox(ProductRoutes, OrderRoutes, SandboxPlatform):
    name = "shopee"
    rate_limit_per_s = 200.0
    rate_limit_burst = 400

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shop = SandboxShop(first_id=800_000_000)  # Shopee item ids are large ints
        self.partner_id = credential("shopee", "partner_id", "100001")
        self.partner_key = credential("shopee", "partner_key", "sandbox-shopee-key")
        self.shop_id = credential("shopee", "shop_id", "200001")
        self.code = credential("shopee", "code", "sandbox-shopee-code")
        self.issuer = TokenIssuer(self.clock, ACCESS_TTL_S, REFRESH_TTL_S, "shopee")
        self.images: set[str] = {st.PLACEHOLDER_IMAGE_ID}
        self._listed: dict[tuple[str, ...], tuple[list[SandboxItem], list[SandboxItem]]] = {}

    def credentials(self) -> dict[str, str]:
        return {
            "partner_id": self.partner_id,
            "partner_key": self.partner_key,
            "shop_id": self.shop_id,
        }

    def authorization_code(self) -> str:
        return self.code

    def connection_options(self, root: str) -> dict[str, Any]:
        return {
            "category_map": dict(st.CATEGORY_MAP),
            "logistic_ids": list(st.LOGISTIC_IDS[:1]),
            "placeholder_image_id": st.PLACEHOLDER_IMAGE_ID,
            "default_weight_g": 500,
            # Download product images only from the sandbox (its 1x1 PNG), never from
            # the internet; other image URLs fall back to the placeholder.
            "image_hosts": [urllib.parse.urlsplit(root).hostname or "127.0.0.1"],
        }

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def dump_state(self) -> dict[str, Any]:
        """The shared state, plus the images uploaded (new items may refer to them)."""
        return {**super().dump_state(), "images": sorted(self.images)}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.images = {st.PLACEHOLDER_IMAGE_ID, *state.get("images", [])}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v2/shop/auth_partner", self.auth_partner, methods=["GET"]),
            Route("/_sandbox/seed-models", self.seed_models_endpoint, methods=["POST"]),
            self._api("/api/v2/auth/token/get", self.token_get, shop=False),
            self._api("/api/v2/auth/access_token/get", self.token_refresh, shop=False),
            self._api("/api/v2/media_space/upload_image", self.upload_image, shop=None),
            self._api("/api/v2/product/get_item_list", self.get_item_list, method="GET"),
            self._api("/api/v2/product/get_item_base_info", self.get_base_info, method="GET"),
            self._api("/api/v2/product/search_item", self.search_item, method="GET"),
            self._api("/api/v2/product/get_category", self.get_category, method="GET"),
            self._api("/api/v2/product/get_attribute_tree", self.get_attribute_tree, method="GET"),
            self._api("/api/v2/product/get_attributes", self.get_attributes, method="GET"),
            self._api("/api/v2/product/get_brand_list", self.get_brand_list, method="GET"),
            self._api("/api/v2/product/get_item_limit", self.get_item_limit, method="GET"),
            self._api("/api/v2/logistics/get_channel_list", self.get_channel_list, method="GET"),
            self._api("/api/v2/product/get_model_list", self.get_model_list, method="GET"),
            self._api("/api/v2/product/init_tier_variation", self.init_tier_variation),
            self._api("/api/v2/product/update_tier_variation", self.update_tier_variation),
            self._api("/api/v2/product/add_model", self.add_model),
            self._api("/api/v2/product/update_item", self.update_item),
            self._api("/api/v2/product/add_item", self.add_item),
            self._api("/api/v2/product/update_price", self.update_price),
            self._api("/api/v2/product/update_stock", self.update_stock),
            self._api("/api/v2/product/unlist_item", self.unlist_item),
            self._api("/api/v2/order/get_order_list", self.get_order_list, method="GET"),
            self._api("/api/v2/order/get_order_detail", self.get_order_detail, method="GET"),
        ]

    def new_order_id(self) -> str:
        return st.new_order_sn(self.clock(), self.orders.orders)

    # -- the gateway -------------------------------------------------------------------
    def _api(
        self, path: str, handler: Handler, *, shop: bool | None = True, method: str = "POST"
    ) -> Route:
        """Faults, common parameters, signature, token and quota, as a gateway checks them.

        ``shop=None``: signed either way (upload_image: the spec says Public API, three
        public clients sign it as a Shop API, and the gateway is reported to take both);
        a request carrying ``access_token`` is checked as a Shop API call."""

        async def guarded(request: Request) -> Response:
            fault = await self.arrive()
            if fault is Fault.ERROR:
                return st.error("error_server", "Something wrong. Please try later.")
            as_shop = shop if shop is not None else "access_token" in request.query_params
            problem = self._gateway_problem(request, path, shop=as_shop)
            if problem:
                return st.error(*problem)
            query = request.query_params
            caller = query["shop_id"] if as_shop else f"partner-{query['partner_id']}"
            if fault is Fault.RATE_LIMIT or not self.quota.allow(caller):
                return st.error("error_rate_limit", st.RATE_LIMIT_MESSAGE)
            return await handler(request)

        return Route(path, guarded, methods=[method])

    def _gateway_problem(self, request: Request, path: str, *, shop: bool) -> st.Problem | None:
        query = request.query_params
        partner_id = query.get("partner_id", "")
        if not partner_id:
            return ("error_param", "There is no partner_id in query.")
        if partner_id != self.partner_id:
            return ("invalid_partner_id", "Invalid partner_id.")
        timestamp = st.query_int(query.get("timestamp"))
        if timestamp is None:
            return ("error_param", "Invalid timestamp")
        if abs(self.clock() - timestamp) > st.TIMESTAMP_WINDOW_S:
            return ("error_param", "Timestamp is expired.")
        sign = query.get("sign", "")
        if not sign:
            return ("error_param", "There is no sign in query.")
        token = shop_id = ""
        if shop:
            token, shop_id = query.get("access_token", ""), query.get("shop_id", "")
            if not token:
                return ("error_param", "There is no access_token in query.")
            if not shop_id:
                return ("error_param", "There is no shop_id in query.")
        tail = f"{query['timestamp']}{token}{shop_id}"
        if not any(
            hmac.compare_digest(self._sign(f"{partner_id}{p}{tail}"), sign)
            for p in (path, request.url.path)
        ):
            return ("error_sign", "Wrong sign.")
        return self._token_problem(token, shop_id) if shop else None

    def _sign(self, base: str) -> str:
        return hmac.new(self.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()

    def _token_problem(self, token: str, shop_id: str) -> st.Problem | None:
        state = self.issuer.check(token)
        if state == "invalid":
            return ("error_auth", "Invalid access_token.")
        if state == "expired":
            return ("invalid_acceess_token", "Invalid access_token.")  # sic, facts §4
        if shop_id != self.shop_id or self.issuer.subject_of(token) != shop_id:
            return ("error_auth", "Invalid partner_id or shopid.")
        return None

    # -- authorization -----------------------------------------------------------------
    async def auth_partner(self, request: Request) -> Response:
        """What a seller's browser sees: after "login", a redirect carrying the code."""
        self.requests += 1
        problem = self._gateway_problem(request, "/api/v2/shop/auth_partner", shop=False)
        redirect = request.query_params.get("redirect", "")
        if problem is None and not redirect.startswith(("http://", "https://")):
            problem = st.param_error("redirect must be an http(s) URL")
        if problem:
            return st.error(*problem)
        joiner = "&" if urllib.parse.urlsplit(redirect).query else "?"
        query = urllib.parse.urlencode({"code": self.code, "shop_id": self.shop_id})
        return RedirectResponse(f"{redirect}{joiner}{query}", status_code=302)

    def _token_fields(self, body: dict[str, Any] | None, request: Request) -> st.Problem | None:
        if body is None:
            return st.param_error("body must be a JSON object")
        if str(body.get("partner_id")) != request.query_params["partner_id"]:
            return st.param_error("partner_id in the body must match the query")
        if str(body.get("shop_id")) != self.shop_id:
            return ("error_auth", "Invalid partner_id or shopid.")
        return None

    def _issued(self, token: IssuedToken) -> dict[str, Any]:
        expire_in = round(token.access_expires_at - self.clock())
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expire_in": max(0, expire_in),
        }

    async def token_get(self, request: Request) -> Response:
        body = await self._body(request)
        problem = self._token_fields(body, request)
        if problem:
            return st.error(*problem)
        assert body is not None
        if body.get("code") != self.code:
            return st.error("invalid_code", "Invalid code.")
        token = self.issuer.issue(self.shop_id, self.faults.faults.token_ttl_s)
        return st.top_level({**self._issued(token), "shop_id_list": [], "merchant_id_list": []})

    async def token_refresh(self, request: Request) -> Response:
        body = await self._body(request)
        problem = self._token_fields(body, request)
        if problem:
            return st.error(*problem)
        assert body is not None
        token = self.issuer.refresh(
            str(body.get("refresh_token", "")), self.faults.faults.token_ttl_s
        )
        if token is None:
            return st.error("error_auth", "Invalid refresh_token.")
        return st.top_level(
            {
                **self._issued(token),
                "partner_id": int(self.partner_id),
                "shop_id": int(self.shop_id),
            }
        )

    # -- media ---------------------------------------------------------------------------
    async def upload_image(self, request: Request) -> Response:
        fields: dict[str, bytes] = {}
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form(max_part_size=st.MAX_IMAGE_BYTES + 1) as form:
                for key, value in form.multi_items():
                    fields[key] = (
                        await value.read() if isinstance(value, UploadFile) else (value.encode())
                    )
        problem = st.image_problem(fields)
        if problem:
            return st.error(*problem)
        image_id = f"vn-11134207-{secrets.token_hex(10)}"
        self.images.add(image_id)
        url = {"image_url_region": "VN", "image_url": st.image_url(image_id)}
        return st.envelope({"image_info": {"image_id": image_id, "image_url_list": [url]}})

    # -- reading -----------------------------------------------------------------------
    def _items(self, statuses: list[str]) -> list[SandboxItem]:
        """Items (not models) in these statuses, in creation order.

        Kept per status set until the shop's visible list changes (an item added or a
        status changed), so paging a large shop costs O(page) per call, not O(shop).
        A status set through ``data["item_status"]`` (tests ban items that way) does not
        move that list, so :meth:`get_item_list` checks the page it cuts and rebuilds
        when one of its items no longer fits."""
        if "SELLER_DELETE" in statuses:  # deleted items are not in the visible list
            wanted = set(statuses)
            return [
                i
                for i in self.shop.items.values()
                if not sm.is_model(i) and st.status_of(i) in wanted
            ]
        visible = self.shop.visible()
        key = tuple(sorted(statuses))
        cached = self._listed.get(key)
        if cached is None or cached[0] is not visible:
            wanted = set(statuses)
            items = [i for i in visible if not sm.is_model(i) and st.status_of(i) in wanted]
            cached = (visible, items)
            self._listed[key] = cached
        return cached[1]

    def _statuses(self, request: Request, default: tuple[str, ...]) -> list[str] | None:
        statuses = st.list_param(request.query_params, "item_status") or list(default)
        return statuses if set(statuses) <= set(st.ITEM_STATUSES) else None

    async def get_item_list(self, request: Request) -> Response:
        offset = st.query_int(request.query_params.get("offset"))
        size = self._page_size(request)
        statuses = self._statuses(request, ())
        if offset is None or offset < 0:
            return st.error(*st.param_error("offset must be a whole number >= 0"))
        if size is None:
            return st.error(*st.param_error("page_size must be between 1 and 100"))
        if not statuses:
            return st.error(*st.param_error("item_status must list known statuses"))
        items = self._items(statuses)
        if any(st.status_of(i) not in statuses for i in items[offset : offset + size]):
            self._listed.clear()
            items = self._items(statuses)
        return st.envelope(st.item_list_page(items, offset, size))

    async def get_base_info(self, request: Request) -> Response:
        ids = st.list_param(request.query_params, "item_id_list")
        if not 1 <= len(ids) <= st.MAX_IDS or not all(i.isdigit() for i in ids):
            return st.error(*st.param_error("item_id_list must hold 1 to 50 item ids"))
        known = {i: self.shop.items.get(i) for i in ids}
        found = [item for item in known.values() if item is not None and not sm.is_model(item)]
        if not found:
            return st.error("error_item_not_found", "Item_id is not found.")
        missing = [i for i, item in known.items() if item is None or sm.is_model(item)]
        warning = f"item_id not found: {','.join(missing)}" if missing else ""
        return st.envelope({"item_list": [st.render_item(i) for i in found]}, warning)

    async def search_item(self, request: Request) -> Response:
        """By ``item_sku`` the SKU is matched whole (our choice: the docs do not say how
        loosely Shopee matches) through the shop's SKU index, a model's SKU finding its
        item; by ``item_name`` any item whose name holds the text."""
        query = request.query_params
        size = self._page_size(request)
        offset = st.query_int(query.get("offset") or "0")
        statuses = self._statuses(request, st.ITEM_STATUSES[:4])
        sku, name = query.get("item_sku", ""), query.get("item_name", "")
        if size is None or offset is None or offset < 0 or not statuses:
            return st.error(*st.param_error("page_size 1..100, offset and item_status"))
        if not sku and not name:
            return st.error("error_param", "request must set one of [item_name,attribute_status]")
        if sku:
            hit = self.shop.by_sku(sku)
            if hit is not None and sm.is_model(hit):
                hit = self._item(hit.data["parent"])
            matches = [hit] if hit is not None and st.status_of(hit) in statuses else []
        else:
            wanted = name.casefold()
            matches = [i for i in self._items(statuses) if wanted in i.name.casefold()]
        return st.envelope(st.search_page(matches, offset, size))

    async def get_category(self, request: Request) -> Response:
        """The category tree, flat (see :mod:`.shopee_categories`)."""
        language = request.query_params.get("language", "vi")
        return st.envelope({"category_list": category_list(language)})

    # -- writing -----------------------------------------------------------------------
    async def add_item(self, request: Request) -> Response:
        body = await self._body(request)
        if body is None:
            return st.error(*st.param_error("body must be a JSON object"))
        problem = st.add_item_problem(body, self.images)
        if problem:
            return st.error(*problem)
        sku = str(body.get("item_sku") or "")
        if sku and self.shop.by_sku(sku):
            return st.error("error_repeated_mtsku", "A similar product has already been uploaded")
        now = self.clock()
        data = {
            "category_id": int(body["category_id"]),
            "description": body["description"],
            "weight": str(body["weight"]),
            "image_ids": list(body["image"]["image_id_list"]),
            "logistic_info": body["logistic_info"],
            "attribute_list": body.get("attribute_list") or [],
            "brand": body.get("brand"),
            "dimension": body.get("dimension"),
            "create_time": now,
        }
        item = self.shop.add(
            sku,
            body["item_name"],
            int(body["original_price"]),
            st.total_stock(body.get("seller_stock")) or 0,
            status="unlisted" if body.get("item_status") == "UNLIST" else "live",
            data=data,
            now=now,
        )
        return st.envelope(st.render_item(item))

    def _target(
        self, body: dict[str, Any] | None, key: str
    ) -> tuple[SandboxItem, list[dict[str, Any]]] | JSONResponse:
        """The item a one-item update names and its model entries, or the error answer."""
        if body is None or st.whole(body.get("item_id")) is None:
            return st.error(*st.param_error("item_id is required"))
        entries = body.get(key)
        if not isinstance(entries, list) or not 1 <= len(entries) <= st.MAX_MODELS:
            return st.error(*st.param_error(f"{key} must hold 1 to 50 models"))
        if not all(isinstance(e, dict) for e in entries):
            return st.error(*st.param_error(f"{key} entries must be objects"))
        models = [str(e.get("model_id")) for e in entries]
        if len(set(models)) != len(models):
            return st.error("error_param", "Repeat model_id.")
        item = self._item(body["item_id"])
        if item is None:
            return st.error("error_item_not_found", "Item_id is not found.")
        return item, entries

    async def _update_models(
        self, request: Request, key: str, field: str, answer_key: str
    ) -> Response:
        """update_price / update_stock: one item, each model entry succeeding or failing;
        model_id 0 is the item itself only when it has no models."""
        target = self._target(await self._body(request), key)
        if isinstance(target, JSONResponse):
            return target
        item, entries = target
        success, failure = [], []
        for entry in entries:
            listing, reason = sm.price_or_stock_target(self.shop, item, entry)
            value, reason = (None, reason) if listing is None else st.model_value(entry, key)
            if listing is None or value is None:
                failure.append({"model_id": entry.get("model_id"), "failed_reason": reason})
                continue
            setattr(listing, field, value)
            listing.updated_at = item.updated_at = self.clock()
            model_id = int(listing.remote_id) if listing is not item else 0
            success.append({"model_id": model_id, answer_key: value})
        return st.envelope({"success_list": success, "failure_list": failure})

    async def update_price(self, request: Request) -> Response:
        return await self._update_models(request, "price_list", "price", "original_price")

    async def update_stock(self, request: Request) -> Response:
        return await self._update_models(request, "stock_list", "stock", "stock")

    async def unlist_item(self, request: Request) -> Response:
        body = await self._body(request)
        entries = body.get("item_list") if body else None
        if not isinstance(entries, list) or not 1 <= len(entries) <= st.MAX_IDS:
            return st.error(*st.param_error("item_list must hold 1 to 50 items"))
        success, failure = [], []
        for entry in entries:
            item_id = entry.get("item_id") if isinstance(entry, dict) else None
            item = self._item(item_id)
            unlist = entry.get("unlist") if isinstance(entry, dict) else None
            reason = st.unlist_problem(item, unlist)
            if reason or item is None:
                failure.append({"item_id": item_id, "failed_reason": reason})
                continue
            status, now = ("unlisted" if unlist else "live"), self.clock()
            for listing in [item, *sm.models_of(self.shop, item)]:
                listing.status, listing.updated_at = status, now
            success.append({"item_id": int(item.remote_id), "unlist": unlist})
        if not success:
            message = f"All items failed to unlist: {failure[0]['failed_reason']}"
            return st.error("error_unlist_item_all_failed", message, failure_list=failure)
        return st.envelope({"success_list": success, "failure_list": failure})


SANDBOX = ShopeeSandbox
