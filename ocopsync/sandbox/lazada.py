"""Emulator of Lazada Open Platform: the API gateway, the auth server, the consent page.

Mirrors the platform's two hosts under one prefix: ``/lazada/rest`` is the API gateway
(``api.lazada.vn/rest``), ``/lazada/auth/rest`` the token server (``auth.lazada.com/rest``)
and ``/lazada/auth/oauth/authorize`` the seller's consent page, which answers at once
with a 302 to ``redirect_uri?code=<code>`` so a person can walk through onboarding.

Like the gateway it checks, in order: the API path, ``app_key`` (``InvalidAppKey``), the
system parameters (``MissingParameter``), the HMAC-SHA256 ``sign`` recomputed from every
query and form parameter (``IncompleteSignature``), the ``timestamp`` within 7200 s
(``IllegalTimestamp``), the access token (``IllegalAccessToken``) and the seller's quota
(``ApiCallLimit``, "this ban will last 1 seconds"). Errors are HTTP 200 with the error
envelope, as SDK test doubles answer. The catalog rules are in :mod:`.lazada_state`
(reads, price and stock, images), :mod:`.lazada_writes` (CreateProduct, UpdateProduct)
and :mod:`.lazada_checks` (brand, category attributes, variations).

Sandbox credentials (each overridable by ``OCOPSYNC_SANDBOX_LAZADA_<KEY>``): app key
``100002``, app secret ``sandbox-lazada-secret``, authorization code
``sandbox-lazada-code``. Unlike a real code (30 minutes, single use), the sandbox's
fixed code can be exchanged any number of times. Access tokens live 7 days (an app in
"Test" status) unless ``Faults.token_ttl_s``; refresh tokens 30 days, a lifetime that
refreshing does not reset; a refresh token is single use. Images come in through
``/image/migrate`` (a URL) or ``/image/upload`` (a multipart ``image``, left out of the
signature as the official Python SDK leaves it). Ids handed out by :meth:`seed`,
:meth:`seed_product` (a product of several SKUs, as a seller makes by hand) and
:meth:`snapshot` are the ones the connector keeps, ``<item_id>:<sku_id>`` per SKU.

Orders placed through the buyer routes (``/lazada/_sandbox/orders``) are read with
GetOrders and GetMultipleOrderItems, behind the same checks and faults as every other
seller API; order ids are Lazada-like numbers (see :mod:`.lazada_orders` for the rules
and their sources). ``/category/tree/get``, ``/category/attributes/get`` and
``/category/brands/query`` answer without an access token (a token, when sent, is
checked), as their API pages say ("No Authorization Required"); their data and sources
are in :mod:`.lazada_categories` and :mod:`.lazada_brands`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ocopsync.sandbox.base import IssuedToken, SandboxPlatform, TokenIssuer, sandbox_credential
from ocopsync.sandbox.faults import Fault
from ocopsync.sandbox.lazada_brands import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, brands_page
from ocopsync.sandbox.lazada_categories import LEAVES, attributes_of, category_tree
from ocopsync.sandbox.lazada_orders import LazadaOrderDesk, order_id_for
from ocopsync.sandbox.lazada_payload import LazadaError, whole
from ocopsync.sandbox.lazada_state import MAX_IMAGE_BYTES, LazadaCatalog
from ocopsync.sandbox.lazada_writes import create, update

ACCESS_TTL_S = 7 * 24 * 3600
REFRESH_TTL_S = 30 * 24 * 3600
TIMESTAMP_WINDOW_S = 7200
SELLER = {"seller_id": "200100001", "user_id": "300100001", "short_code": "VN1SBXOCOP"}
ACCOUNT = "sandbox.seller@ocop.vn"
CATEGORY_MAP = {
    "food": 10000339,
    "beverage": 10000342,
    "herbal": 10000366,
    "textile": 10000467,
    "handicraft": 10000544,
}

Api = Callable[[LazadaCatalog, dict[str, str]], dict[str, Any]]


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise LazadaError(
            "MissingParameter",
            f'The input parameter "{name}" that is mandatory for processing this request '
            "is not supplied",
        )
    return value


def _item_get(catalog: LazadaCatalog, params: dict[str, str]) -> dict[str, Any]:
    item = catalog.product(_required(params, "item_id"))
    if item is None:
        raise LazadaError("208", "Item not exist")
    return catalog.render(item)


def _category_attributes(params: dict[str, str]) -> list[dict[str, Any]]:
    """GetCategoryAttributes (:mod:`.lazada_categories`): 4227 for an unknown id, 57 for a
    category without attributes (a parent, our reading)."""
    category = whole(_required(params, "primary_category_id"))
    if category is None or not attributes_of(category):
        if category is not None and category not in LEAVES and _known(category):
            raise LazadaError("57", "E057: No attribute sets linked to that category.")
        raise LazadaError("4227", "Query category is null")
    return [a.render() for a in attributes_of(category)]


def _known(category: int) -> bool:
    def walk(nodes: list[dict[str, Any]]) -> bool:
        return any(n["category_id"] == category or walk(n.get("children", [])) for n in nodes)

    return walk(category_tree())


def _brands(params: dict[str, str]) -> dict[str, Any]:
    """GetBrandByPages (:mod:`.lazada_brands`)."""
    start = whole(params.get("startRow", "0"))
    size = whole(params.get("pageSize", str(DEFAULT_PAGE_SIZE)))
    if start is None or start < 0 or size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise LazadaError(
            "5", f"Invalid Request Format: startRow >= 0, pageSize 1..{MAX_PAGE_SIZE}"
        )
    return brands_page(start, size)


SELLER_APIS: dict[str, Api] = {
    "/products/get": lambda c, p: c.list_products(p),
    "/product/item/get": _item_get,
    "/product/create": lambda c, p: create(c, _required(p, "payload")),
    "/product/update": lambda c, p: update(c, _required(p, "payload")),
    "/product/price_quantity/update": lambda c, p: c.update_price_quantity(_required(p, "payload")),
    "/product/deactivate": lambda c, p: c.deactivate(_required(p, "apiRequestBody")),
    "/image/migrate": lambda c, p: c.migrate_image(_required(p, "payload")),
}
UPLOAD_API = "/image/upload"
"""UploadImage: a multipart ``image`` file, not part of the signature (§2.3)."""
ORDER_APIS: dict[str, Callable[[LazadaOrderDesk, dict[str, str]], Any]] = {
    "/orders/get": lambda d, p: d.list_orders(p),
    "/orders/items/get": lambda d, p: d.order_items(p),
}
PUBLIC_APIS: dict[str, Callable[[dict[str, str]], Any]] = {
    "/category/tree/get": lambda p: category_tree(),
    "/category/attributes/get": _category_attributes,
    "/category/brands/query": _brands,
}
"""Seller-gateway APIs that need no access token (GetCategoryTree, GetCategoryAttributes,
GetBrandByPages: "No Authorization Required" on their pages)."""
AUTH_APIS = ("/auth/token/create", "/auth/token/refresh")


async def read_params(request: Request, files: dict[str, bytes]) -> dict[str, str]:
    """Every query and form parameter, as the gateway signs them (§2.3); the files of a
    multipart body go into ``files`` (they are not signed)."""
    params = dict(request.query_params)
    if request.method != "POST":
        return params
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        async with request.form(max_part_size=MAX_IMAGE_BYTES * 4) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = await value.read()
                else:
                    params[key] = value
        return params
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LazadaError("5", "Invalid Request Format: body is not UTF-8") from exc
    if kind == "application/json":
        try:
            body = json.loads(text or "{}")
        except ValueError as exc:
            raise LazadaError("5", "Invalid Request Format: body is not JSON") from exc
        if not isinstance(body, dict):
            raise LazadaError("5", "Invalid Request Format: body must be a JSON object")
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    elif text:
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def expected_signs(api: str, params: dict[str, str], secret: str) -> set[str]:
    """The sign computed the SDK way (every param) and the Java/C# way (non-empty ones)."""
    names = sorted(k for k in params if k != "sign")
    texts = {
        api + "".join(k + params[k] for k in names),
        api + "".join(k + params[k] for k in names if params[k] != ""),
    }
    return {
        hmac.new(secret.encode(), t.encode(), hashlib.sha256).hexdigest().upper() for t in texts
    }


def request_time(value: str) -> float | None:
    """Epoch seconds of ``timestamp``: epoch milliseconds or ISO 8601 (§2.3)."""
    if value.isdigit():
        return int(value) / 1000
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class LazadaSandbox(SandboxPlatform):
    name = "lazada"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app_key = sandbox_credential("lazada", "app_key", "100002")
        self.app_secret = sandbox_credential("lazada", "app_secret", "sandbox-lazada-secret")
        self.code = sandbox_credential("lazada", "authorization_code", "sandbox-lazada-code")
        self.issuer = TokenIssuer(self.clock, ACCESS_TTL_S, REFRESH_TTL_S, "lzd")
        self.catalog = LazadaCatalog(self.shop, self.clock)
        self.desk = LazadaOrderDesk(self.orders, self.shop)

    # -- what the rest of ocopsync asks of a sandbox -------------------------------------
    def credentials(self) -> dict[str, str]:
        return {"app_key": self.app_key, "app_secret": self.app_secret}

    def authorization_code(self) -> str:
        return self.code

    def base_url(self, root: str) -> str:
        return f"{root.rstrip('/')}/lazada/rest"

    def connection_options(self, root: str) -> dict[str, Any]:
        return {
            "auth_url": f"{root.rstrip('/')}/lazada/auth/rest",
            "category_map": dict(CATEGORY_MAP),
            "default_weight_g": 500,
        }

    def expire_tokens(self) -> None:
        self.issuer.expire_all()

    def dump_state(self) -> dict[str, Any]:
        """The shared state, plus when each item was created (paging past offset 10,000
        windows on it, and an update must not move an item in that order)."""
        return {**super().dump_state(), "created_ms": self.catalog.dump()}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.catalog.load(state.get("created_ms", {}))

    def new_order_id(self) -> str:
        """A Lazada-like numeric order id (15 digits); its items take the ids above it."""
        self._order_seq += 1
        return order_id_for(self._order_seq)

    def remote_id(self, remote_id: str) -> str:
        """The id ocopsync keeps for a SKU: ``<item_id>:<sku_id>`` (see the connector)."""
        item = self.shop.items[str(remote_id)]
        return f"{self.catalog.item_id_of(item)}:{self.catalog.sku_id(item)}"

    def seed(self, sku: str, name: str, price: int, stock: int, *, live: bool = True) -> str:
        return self.remote_id(super().seed(sku, name, price, stock, live=live))

    def seed_product(
        self, name: str, variant_name: str, skus: list[tuple[str, str, int, int]]
    ) -> str:
        """A product of several SKUs made by hand in Seller Center, one per ``(seller_sku,
        option, price, stock)`` under a custom variation ``variant_name``; its item id."""
        head: str | None = None
        for seller_sku, option, price, stock in skus:
            data: dict[str, Any] = {"sale_prop": {variant_name: option}}
            if head is not None:
                data["item_id"] = head
            item = self.shop.add(seller_sku, name, price, stock, data=data, now=self.clock())
            head = head or item.remote_id
        assert head is not None, "a product has at least one SKU"
        options = [option for _sku, option, _price, _stock in skus]
        self.shop.items[head].data["variation"] = [[variant_name, True, options]]
        return head

    def snapshot(self) -> dict[str, dict[str, Any]]:
        items = super().snapshot()
        for item in self.shop.visible():
            items[item.sku]["remote_id"] = self.remote_id(item.remote_id)
        return items

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/rest/{api:path}", self._seller_api, methods=["GET", "POST"]),
            Route("/auth/rest/{api:path}", self._auth_api, methods=["GET", "POST"]),
            Route("/auth/oauth/authorize", self._authorize, methods=["GET"]),
        ]

    # -- the gateway ---------------------------------------------------------------------
    async def _seller_api(self, request: Request) -> Response:
        return await self._gateway(request, seller=True)

    async def _auth_api(self, request: Request) -> Response:
        return await self._gateway(request, seller=False)

    async def _gateway(self, request: Request, *, seller: bool) -> Response:
        fault = await self.arrive()
        request_id = f"sandbox-{self.requests:010d}"
        try:
            if fault is Fault.ERROR:
                raise LazadaError(
                    "ServiceTimeout", "The service timed out, please try again", kind="ISP"
                )
            api = "/" + request.path_params["api"]
            known = SELLER_APIS.keys() | ORDER_APIS.keys() | PUBLIC_APIS.keys() | {UPLOAD_API}
            if api not in (known if seller else AUTH_APIS):
                raise LazadaError("InvalidApiPath", "The specified API path is invalid")
            files: dict[str, bytes] = {}
            params = await read_params(request, files)
            self._verify(api, params)
            public = api in PUBLIC_APIS and not params.get("access_token")
            shop = self._seller_of(params) if seller and not public else self.app_key
            if fault is Fault.RATE_LIMIT or not self.quota.allow(shop):
                raise LazadaError(
                    "ApiCallLimit",
                    "Api access frequency exceeds the limit. this ban will last 1 seconds",
                )
            if seller:
                if api in PUBLIC_APIS:
                    data = PUBLIC_APIS[api](params)
                elif api in ORDER_APIS:
                    data = ORDER_APIS[api](self.desk, params)
                elif api == UPLOAD_API:
                    data = self.catalog.upload_image(files)
                else:
                    data = SELLER_APIS[api](self.catalog, params)
                return JSONResponse({"code": "0", "data": data, "request_id": request_id})
            return JSONResponse({**self._token_api(api, params), "request_id": request_id})
        except LazadaError as exc:
            return JSONResponse(exc.body(request_id))

    def _verify(self, api: str, params: dict[str, str]) -> None:
        if _required(params, "app_key") != self.app_key:
            raise LazadaError("InvalidAppKey", "The specified App Key is invalid")
        for name in ("timestamp", "sign_method", "sign"):
            _required(params, name)
        signs = expected_signs(api, params, self.app_secret)
        given = params["sign"].upper()
        if params["sign_method"].lower() != "sha256" or not any(
            hmac.compare_digest(given, s) for s in signs
        ):
            raise LazadaError(
                "IncompleteSignature", "The request signature does not conform to lazada standards"
            )
        sent = request_time(params["timestamp"])
        if sent is None or abs(self.clock() - sent) > TIMESTAMP_WINDOW_S:
            raise LazadaError(
                "IllegalTimestamp",
                f"The timestamp is invalid or more than {TIMESTAMP_WINDOW_S} s away from UTC",
            )

    def _seller_of(self, params: dict[str, str]) -> str:
        token = _required(params, "access_token")
        if self.issuer.check(token) != "ok":
            raise LazadaError(
                "IllegalAccessToken", "The specified access token is invalid or expired"
            )
        return self.issuer.subject_of(token) or self.app_key

    # -- the token server ----------------------------------------------------------------
    def _access_ttl(self) -> float:
        ttl = self.faults.faults.token_ttl_s
        return ttl if ttl is not None else ACCESS_TTL_S

    def _token_api(self, api: str, params: dict[str, str]) -> dict[str, Any]:
        if api == "/auth/token/create":
            if _required(params, "code") != self.code:
                raise LazadaError("InvalidCode", "Invalid authorization code")
            return self._token_body(self.issuer.issue(SELLER["seller_id"], self._access_ttl()))
        renewed = self.issuer.refresh(
            _required(params, "refresh_token"), self._access_ttl(), rotate_refresh_expiry=False
        )
        if renewed is None:
            raise LazadaError(
                "IllegalRefreshToken", "The specified refresh token is invalid or expired"
            )
        return self._token_body(renewed)

    def _token_body(self, token: IssuedToken) -> dict[str, Any]:
        now = self.clock()
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_in": max(0, int(token.access_expires_at - now)),
            "refresh_expires_in": max(0, int(token.refresh_expires_at - now)),
            "country": "vn",
            "account_platform": "seller_center",
            "account": ACCOUNT,
            "account_id": SELLER["user_id"],
            "country_user_info": [{"country": "vn", **SELLER}],
            "code": "0",
        }

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        redirect = query.get("redirect_uri", "")
        if query.get("response_type") != "code" or query.get("client_id") != self.app_key:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "message": "response_type=code and client_id=<app_key>",
                },
                status_code=400,
            )
        if not redirect.startswith(("http://", "https://")):
            return JSONResponse(
                {"error": "invalid_request", "message": "redirect_uri must be an http(s) URL"},
                status_code=400,
            )
        answer = {"code": self.code, **({"state": query["state"]} if "state" in query else {})}
        joiner = "&" if "?" in redirect else "?"
        return RedirectResponse(f"{redirect}{joiner}{urlencode(answer)}", status_code=302)


SANDBOX = LazadaSandbox
