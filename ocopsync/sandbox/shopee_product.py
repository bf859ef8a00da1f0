"""The Shopee sandbox's product routes beyond listing: discovery, models, content.

Handlers of ``get_attribute_tree``, ``get_attributes``, ``get_brand_list``,
``get_item_limit``, ``v2.logistics.get_channel_list``, ``get_model_list``,
``init_tier_variation``, ``update_tier_variation``, ``add_model`` and ``update_item``,
mixed into :class:`ocopsync.sandbox.shopee.ShopeeSandbox` (whose gateway checks faults,
signature, token and quota before any of them runs). The shapes, limits and error
codes, with their sources, are in :mod:`.shopee_attributes` and :mod:`.shopee_models`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ocopsync.sandbox import shopee_attributes as sa
from ocopsync.sandbox import shopee_models as sm
from ocopsync.sandbox import shopee_state as st
from ocopsync.sandbox.base import SandboxItem, SandboxShop


class ProductRoutes:
    """Needs the shop, the clock and the uploaded images of the sandbox it is mixed in."""

    shop: SandboxShop
    clock: Callable[[], float]
    images: set[str]

    async def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _page_size(self, request: Request) -> int | None:
        size = st.query_int(request.query_params.get("page_size"))
        return size if size is not None and 1 <= size <= st.MAX_PAGE_SIZE else None

    def _item(self, remote_id: Any) -> SandboxItem | None:
        """An item (never a model) by id."""
        number = st.query_int(remote_id) if isinstance(remote_id, str) else st.whole(remote_id)
        item = self.shop.get(str(number)) if number is not None else None
        return item if item is not None and not sm.is_model(item) else None

    def _leaf(self, raw: str | None) -> int | JSONResponse:
        leaf = st.query_int(raw)
        if leaf is None:
            return st.error(*st.param_error("category_id is required"))
        if leaf not in sa.ATTRIBUTES:
            return st.error("error_invalid_category", f"Invalid category ID {leaf}")
        return leaf

    async def get_attribute_tree(self, request: Request) -> Response:
        """Attributes of up to 20 leaves (see :mod:`.shopee_attributes`)."""
        query = request.query_params
        raw = st.list_param(query, "category_id_list") or st.list_param(query, "category_ids")
        if not 1 <= len(raw) <= sa.MAX_TREE_CATEGORIES:
            return st.error(*st.param_error("category_id_list must hold 1 to 20 ids"))
        leaves = []
        for value in raw:
            leaf = self._leaf(value)
            if isinstance(leaf, JSONResponse):
                return leaf
            leaves.append(leaf)
        return st.envelope(sa.attribute_tree(leaves, query.get("language", "vn")))

    async def get_attributes(self, request: Request) -> Response:
        leaf = self._leaf(request.query_params.get("category_id"))
        if isinstance(leaf, JSONResponse):
            return leaf
        return st.envelope(sa.attribute_list(leaf, request.query_params.get("language", "vi")))

    async def get_brand_list(self, request: Request) -> Response:
        query = request.query_params
        offset, size = st.query_int(query.get("offset")), self._page_size(request)
        if offset is None or offset < 0:
            return st.error("error_param", "invalid field Offset: value must  Not Null")
        if size is None:
            return st.error(*st.param_error("page_size must be between 1 and 100"))
        if query.get("status") not in ("1", "2"):
            return st.error("error_param", "status is required.")
        leaf = self._leaf(query.get("category_id"))
        if isinstance(leaf, JSONResponse):
            return leaf
        if query["status"] == "2":  # no pending brand in the sandbox
            return st.envelope({**sa.brand_page(leaf, 0, 0), "brand_list": []})
        return st.envelope(sa.brand_page(leaf, offset, size))

    async def get_item_limit(self, request: Request) -> Response:
        raw = request.query_params.get("category_id")
        if raw:
            leaf = self._leaf(raw)
            if isinstance(leaf, JSONResponse):
                return leaf
        return st.envelope(sa.item_limit())

    async def get_channel_list(self, request: Request) -> Response:
        return st.envelope(sa.channel_list())

    async def get_model_list(self, request: Request) -> Response:
        item = self._item(request.query_params.get("item_id", "").strip() or None)
        if item is None:
            return st.error("error_item_not_found", "Item_id is not found.")
        return st.envelope(sm.model_list(self.shop, item))

    async def update_item(self, request: Request) -> Response:
        """Name, description, images, attributes, brand, weight and dimension of one item,
        checked as add_item checks them; what is not sent is kept."""
        body = await self._body(request)
        if body is None or st.whole(body.get("item_id")) is None:
            return st.error(*st.param_error("item_id is required"))
        item = self._item(body["item_id"])
        if item is None:
            return st.error("error_item_not_found", "Item_id is not found.")
        leaf = int(item.data.get("category_id", st.CATEGORY_MAP["food"]))
        problem = self._update_problem(body, leaf)
        if problem:
            return st.error(*problem)
        now = self.clock()
        if "item_name" in body:
            item.name = body["item_name"]
            for model in sm.models_of(self.shop, item):
                model.name = body["item_name"]
        for key in ("description", "brand", "dimension"):
            if key in body:
                item.data[key] = body[key]
        if "weight" in body:
            item.data["weight"] = str(body["weight"])
        if "image" in body:
            item.data["image_ids"] = list(body["image"]["image_id_list"])
        if "attribute_list" in body:
            kept = {int(a["attribute_id"]): a for a in item.data.get("attribute_list") or []}
            kept |= {int(a["attribute_id"]): a for a in body["attribute_list"]}
            item.data["attribute_list"] = list(kept.values())
        item.updated_at = now
        return st.envelope(st.render_item(item))

    def _update_problem(self, body: dict[str, Any], leaf: int) -> st.Problem | None:
        for field in ("item_name", "description"):
            if field in body and (not isinstance(body[field], str) or not body[field].strip()):
                return st.param_error(f"{field} cannot be empty")
        if "image" in body:
            image_ids = (body.get("image") or {}).get("image_id_list")
            if not isinstance(image_ids, list) or not image_ids:
                return ("error_image_num_min", "At least one image is required.")
            if any(i not in self.images for i in image_ids):
                return ("error_param", "Image not exist.")
        if "weight" in body:
            weight = body["weight"]
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                return ("error_param", "Invalid Weight.")
        return (
            sa.content_problem(body)
            or (
                sa.attribute_problem(leaf, body["attribute_list"], creating=False)
                if "attribute_list" in body
                else None
            )
            or (sa.brand_problem(leaf, body["brand"]) if "brand" in body else None)
        )

    def _variation_target(self, body: dict[str, Any] | None) -> SandboxItem | JSONResponse:
        if body is None or st.whole(body.get("item_id")) is None:
            return st.error(*st.param_error("item_id is required"))
        item = self._item(body["item_id"])
        if item is None:
            return st.error("error_item_not_found", "Item_id is not found.")
        return item

    def _taken(self, item: SandboxItem) -> set[tuple[int, ...]]:
        return {tuple(m.data.get("tier_index", [])) for m in sm.models_of(self.shop, item)}

    def _sku_problem(self, entries: list[dict[str, Any]]) -> st.Problem | None:
        skus = [str(e.get("model_sku") or "") for e in entries if e.get("model_sku")]
        if len(set(skus)) != len(skus) or any(self.shop.by_sku(s) for s in skus):
            return ("error_repeated_mtsku", "A similar product has already been uploaded")
        return None

    async def init_tier_variation(self, request: Request) -> Response:
        body = await self._body(request)
        item = self._variation_target(body)
        if isinstance(item, JSONResponse):
            return item
        assert body is not None
        if "tier_variation" not in body and "standardise_tier_variation" in body:
            return st.error(*st.param_error("standardise_tier_variation is not supported here"))
        if sm.has_models(item):
            return st.error(*st.param_error("the item already has tier_variation"))
        tiers: list[dict[str, Any]] = body.get("tier_variation")  # type: ignore[assignment]
        problem = sm.tiers_problem(tiers)
        if problem is None:
            problem = sm.models_problem(body.get("model"), tiers, set()) or self._sku_problem(
                body["model"]
            )
        if problem:
            return st.error(*problem)
        now = self.clock()
        item.data["tier_variation"] = sm.stored_tiers(tiers)
        models = sm.add_models(self.shop, item, body["model"], now)
        item.price, item.stock = 0, 0
        return st.envelope(
            {
                "item_id": int(item.remote_id),
                "tier_variation": item.data["tier_variation"],
                "model": [sm.written_model(m) for m in models],
            }
        )

    async def update_tier_variation(self, request: Request) -> Response:
        body = await self._body(request)
        item = self._variation_target(body)
        if isinstance(item, JSONResponse):
            return item
        assert body is not None
        tiers: list[dict[str, Any]] = body.get("tier_variation")  # type: ignore[assignment]
        problem = sm.tier_update_problem(item, tiers, self._taken(item))
        if problem:
            return st.error(*problem)
        item.data["tier_variation"] = sm.stored_tiers(tiers)
        item.updated_at = self.clock()
        return st.envelope(
            {"item_id": int(item.remote_id), "tier_variation": item.data["tier_variation"]}
        )

    async def add_model(self, request: Request) -> Response:
        body = await self._body(request)
        item = self._variation_target(body)
        if isinstance(item, JSONResponse):
            return item
        assert body is not None
        tiers = item.data.get("tier_variation") or []
        if not tiers:
            return st.error(*sm.NO_TIERS)
        taken = self._taken(item)
        entries = body.get("model_list")
        if not isinstance(entries, list) or not 1 <= len(entries) <= st.MAX_MODELS:
            return st.error(*st.param_error("model_list must hold 1 to 50 models"))
        problem = sm.models_problem(entries, tiers, taken, existing=len(taken) or 1)
        if problem is None:
            problem = self._sku_problem(entries)
        if problem:
            return st.error(*problem)
        models = sm.add_models(self.shop, item, entries, self.clock())
        return st.envelope({"model": [sm.written_model(m) for m in models]})

    # -- seeding -----------------------------------------------------------------------
    def seed_models(
        self,
        item_sku: str,
        name: str,
        variants: list[tuple[str, str, int, int]],
        *,
        tier_name: str = "Phân loại",
        category_id: int | None = None,
        live: bool = True,
    ) -> tuple[str, dict[str, str]]:
        """Put an item with one tier of models in the shop, as a seller would have made it
        by hand: ``variants`` are ``(model_sku, label, price, stock)``. Returns the item
        id and each model SKU's model id."""
        now = self.clock()
        data = {"category_id": category_id or st.CATEGORY_MAP["food"], "create_time": now}
        status = "live" if live else "unlisted"
        item = self.shop.add(item_sku, name, 0, 0, status=status, data=data, now=now)
        options, entries = sm.seed_entries(variants)
        item.data["tier_variation"] = [{"name": tier_name, "option_list": options}]
        models = sm.add_models(self.shop, item, entries, now)
        return item.remote_id, {m.sku: m.remote_id for m in models}

    async def seed_models_endpoint(self, request: Request) -> Response:
        """``POST /shopee/_sandbox/seed-models`` with ``{"item_sku", "name", "tier_name"?,
        "variants": [{"sku", "label", "price", "stock"}]}``: :meth:`seed_models` over HTTP,
        for a served sandbox (the demo, a person trying adoption by hand)."""
        body = await self._body(request)
        raw = body.get("variants") if body else None
        try:
            if body is None or not isinstance(raw, list) or not raw:
                raise ValueError("no variants")
            variants = [
                (str(v["sku"]), str(v["label"]), int(v["price"]), int(v["stock"])) for v in raw
            ]
            item_id, models = self.seed_models(
                str(body["item_sku"]),
                str(body["name"]),
                variants,
                tier_name=str(body.get("tier_name") or "Phân loại"),
            )
        except (KeyError, TypeError, ValueError):
            message = 'body must be {"item_sku", "name", "variants": [{"sku", "label", ...}]}'
            return JSONResponse({"error": message}, status_code=422)
        return JSONResponse({"item_id": item_id, "models": models}, status_code=201)
