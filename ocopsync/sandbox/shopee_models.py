"""Items with models (variants) in the Shopee sandbox: tiers, models, their checks.

Shapes from the official per-API specs stored in congminh1254/shopee-sdk
(``schemas/v2.product.init_tier_variation.json``, ``add_model.json``,
``get_model_list.json``, ``update_price.json``, ``update_stock.json``):

- ``init_tier_variation``: ``item_id``, ``tier_variation[]{name, option_list[]{option,
  image{image_id}}}`` and ``model[]{tier_index[], original_price, model_sku,
  seller_stock[]{stock}}`` (at most 50 models); answers ``item_id``,
  ``tier_variation`` and ``model[]{tier_index, model_id, model_sku, price_info[],
  seller_stock[]}``. Errors used: ``error_tier_opt_too_many`` "Count of
  tier_variation option is larger than 20.", ``error_model_count_over_limit`` "The count
  of model is too large. Should be under 20 (50 for TW)", ``error_model_tier_index_bound``
  "Invalid item iter_index." (sic), ``error_model_duplicate_tier_variation_index``
  "Item have duplicate tier_index.", ``error_model_duplicate_name`` "Item
  tier_variation have duplicate name.", ``error_nil_name_new_item_model`` "Item
  tier_variation name cannot be empty.", ``error_param`` "The level of
  tier-variation over 2.". The spec's newer ``standardise_tier_variation`` is not
  emulated (our connector sends ``tier_variation``); sending only it is refused.
- ``add_model``: ``item_id``, ``model_list[1..50]{tier_index, original_price,
  model_sku, seller_stock}``; answers ``model[]`` as above; an item without tiers is
  ``error_param`` "Item without tier_variation. Please use init_tier_variation api to
  upgrade the structure.", a tier_index out of the options ``error_param`` "Model
  tier_index error.". A new option therefore needs ``update_tier_variation`` first
  (``item_id``, ``tier_variation``, the same number of tiers; options may be added or
  renamed, never removed: our rule, the spec page was not read).
- ``get_model_list``: ``item_id``; answers ``tier_variation[]`` and ``model[]{model_id,
  model_sku, model_status, tier_index[], price_info[]{currency, original_price,
  current_price}, stock_info_v2{summary_info, seller_stock[]}}``; for an item without
  models both lists are empty (our choice).
- update_price / update_stock take the item's ``model_id``; on an item with models
  model_id 0 is ``Wrong model_id.``, as is a model of another item.

Each model is kept as its own :class:`SandboxItem` (``data["parent"]`` = the item id,
``data["tier_index"]``), so that a buyer's order, the stock a sale takes and the
sandbox's snapshot work by model SKU like any other listing; the item keeps
``data["tier_variation"]`` and ``data["model_ids"]``, and no price or stock of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocopsync.sandbox.base import SandboxItem, SandboxShop
from ocopsync.sandbox.shopee_attributes import (
    MAX_MODELS,
    MAX_OPTIONS,
    PRICE_LIMIT,
    TIER_NAME_MAX,
    TIER_OPTION_MAX,
)

Problem = tuple[str, str]
MAX_TIERS = 2
MODEL_SKU_MAX = 100
NO_TIERS: Problem = (
    "error_param",
    "Item without tier_variation. Please use init_tier_variation api to upgrade the structure.",
)
TIER_INDEX_ERROR: Problem = ("error_param", "Model tier_index error.")
INDEX_BOUND: Problem = ("error_model_tier_index_bound", "Invalid item iter_index.")
DUPLICATE_INDEX: Problem = (
    "error_model_duplicate_tier_variation_index",
    "Item have duplicate tier_index.",
)


def is_model(item: SandboxItem) -> bool:
    return "parent" in item.data


def has_models(item: SandboxItem) -> bool:
    return bool(item.data.get("model_ids"))


def models_of(shop: SandboxShop, item: SandboxItem) -> list[SandboxItem]:
    found = (shop.get(i) for i in item.data.get("model_ids", []))
    return [m for m in found if m is not None]


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def tiers_problem(tiers: Any) -> Problem | None:
    """Why a ``tier_variation`` list is refused (None: it is fine)."""
    if not isinstance(tiers, list) or not tiers:
        return ("error_param", "Wrong parameters, detail: tier_variation is required.")
    if len(tiers) > MAX_TIERS:
        return ("error_param", "The level of tier-variation over 2.")
    names: set[str] = set()
    for tier in tiers:
        name = tier.get("name") if isinstance(tier, dict) else None
        if not isinstance(name, str) or not name.strip():
            return ("error_nil_name_new_item_model", "Item tier_variation name cannot be empty.")
        if len(name) > TIER_NAME_MAX:
            return ("error_tier_var_name_too_long", f"tier_variation name {name} is too long")
        if name in names:
            return ("error_model_duplicate_name", "Item tier_variation have duplicate name.")
        names.add(name)
        options = tier.get("option_list")
        if not isinstance(options, list) or not options:
            return ("error_param", "Wrong parameters, detail: option_list is required.")
        if len(options) > MAX_OPTIONS:
            return ("error_tier_opt_too_many", "Count of tier_variation option is larger than 20.")
        labels = [o.get("option") if isinstance(o, dict) else None for o in options]
        for label in labels:
            if not isinstance(label, str) or not label.strip():
                return ("error_param", "Wrong parameters, detail: option is required.")
            if len(label) > TIER_OPTION_MAX:
                return ("error_tier_opt_val_too_long", f"option {label} is too long")
        if len(set(labels)) != len(labels):
            return ("error_model_duplicate_name", "Item tier_variation have duplicate name.")
    return None


def stored_tiers(tiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What we keep of a checked ``tier_variation``: names and option labels."""
    return [
        {"name": t["name"], "option_list": [{"option": o["option"]} for o in t["option_list"]]}
        for t in tiers
    ]


def _stock(entries: Any) -> int | None:
    if not isinstance(entries, list) or not entries:
        return None
    total = 0
    for entry in entries:
        stock = _whole(entry.get("stock")) if isinstance(entry, dict) else None
        if stock is None or stock < 0:
            return None
        total += stock
    return total


def models_problem(
    entries: Any, tiers: list[dict[str, Any]], taken: set[tuple[int, ...]], existing: int = 0
) -> Problem | None:
    """Why model entries (init_tier_variation ``model``, add_model ``model_list``) are
    refused, given the item's tiers and the tier indexes its models already use."""
    if not isinstance(entries, list) or not entries:
        return ("error_param", "Wrong parameters, detail: model list is required.")
    if existing + len(entries) > MAX_MODELS:
        return (
            "error_model_count_over_limit",
            "The count of model is too large. Should be under 20 (50 for TW)",
        )
    seen = set(taken)
    for entry in entries:
        if not isinstance(entry, dict):
            return ("error_param", "Wrong parameters, detail: models are objects.")
        index = entry.get("tier_index")
        if not isinstance(index, list) or not index:
            return ("error_model_nonempty_itemtier_empty_index", "Item tier_index is required.")
        numbers = tuple(_whole(i) for i in index)
        if len(numbers) != len(tiers) or any(
            n is None or not 0 <= n < len(t["option_list"])
            for n, t in zip(numbers, tiers, strict=False)
        ):
            return (
                TIER_INDEX_ERROR
                if existing
                else ("error_model_tier_index_bound", "Invalid item iter_index.")
            )
        key = tuple(n for n in numbers if n is not None)
        if key in seen:
            return DUPLICATE_INDEX
        seen.add(key)
        price = _whole(entry.get("original_price"))
        if price is None or not PRICE_LIMIT[0] <= price <= PRICE_LIMIT[1]:
            return ("error_invalid_price", "Invalid price, please use the correct format")
        sku = entry.get("model_sku", "")
        if not isinstance(sku, str) or len(sku) > MODEL_SKU_MAX:
            return ("error_param", "Wrong parameters, detail: model_sku is too long.")
        if _stock(entry.get("seller_stock")) is None:
            return (
                "error_param",
                "Wrong parameters, detail: seller_stock must be a list of {stock >= 0}.",
            )
    return None


def add_models(
    shop: SandboxShop, item: SandboxItem, entries: list[dict[str, Any]], now: float
) -> list[SandboxItem]:
    """Create the model listings of checked entries under ``item``."""
    created = []
    for entry in entries:
        model = shop.add(
            str(entry.get("model_sku") or ""),
            item.name,
            int(entry["original_price"]),
            _stock(entry["seller_stock"]) or 0,
            status=item.status,
            data={"parent": item.remote_id, "tier_index": [int(i) for i in entry["tier_index"]]},
            now=now,
        )
        created.append(model)
    item.data["model_ids"] = [*item.data.get("model_ids", []), *(m.remote_id for m in created)]
    item.updated_at = now
    return created


def label_of(item: SandboxItem, model: SandboxItem) -> str:
    """The model's option labels joined, as Shopee shows ``model_name``."""
    tiers = item.data.get("tier_variation", [])
    labels = [
        tiers[t]["option_list"][i]["option"]
        for t, i in enumerate(model.data.get("tier_index", []))
        if t < len(tiers) and i < len(tiers[t]["option_list"])
    ]
    return ",".join(labels)


def written_model(model: SandboxItem) -> dict[str, Any]:
    """A model as init_tier_variation and add_model answer it."""
    return {
        "tier_index": list(model.data.get("tier_index", [])),
        "model_id": int(model.remote_id),
        "model_sku": model.sku,
        "price_info": [{"original_price": model.price}],
        "seller_stock": [{"stock": model.stock}],
    }


def model_status(model: SandboxItem) -> str:
    return "MODEL_NORMAL" if model.status == "live" else "MODEL_UNAVAILABLE"


def listed_model(item: SandboxItem, model: SandboxItem) -> dict[str, Any]:
    """A model as get_model_list answers it."""
    return {
        "model_id": int(model.remote_id),
        "model_sku": model.sku,
        "model_name": label_of(item, model),
        "model_status": model_status(model),
        "tier_index": list(model.data.get("tier_index", [])),
        "price_info": [
            {"currency": "VND", "original_price": model.price, "current_price": model.price}
        ],
        "stock_info_v2": {
            "summary_info": {"total_reserved_stock": 0, "total_available_stock": model.stock},
            "seller_stock": [{"stock": model.stock}],
        },
    }


def model_list(shop: SandboxShop, item: SandboxItem) -> dict[str, Any]:
    return {
        "tier_variation": item.data.get("tier_variation", []),
        "standardise_tier_variation": [],
        "model": [listed_model(item, m) for m in models_of(shop, item)],
    }


def tier_update_problem(
    item: SandboxItem, tiers: Any, used: set[tuple[int, ...]]
) -> Problem | None:
    """update_tier_variation: same number of tiers, no option in use removed."""
    problem = tiers_problem(tiers)
    if problem:
        return problem
    old = item.data.get("tier_variation") or []
    if not old:
        return NO_TIERS
    if len(tiers) != len(old):
        return ("error_param", "Wrong parameters, detail: the number of tiers cannot change.")
    for index in used:
        if any(i >= len(t["option_list"]) for i, t in zip(index, tiers, strict=False)):
            return ("error_param", "Wrong parameters, detail: an option in use cannot be removed.")
    return None


def seed_entries(
    variants: list[tuple[str, str, int, int]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One tier's options and its model entries for ``[(sku, label, price, stock)]``."""
    options = [{"option": label} for _sku, label, _price, _stock in variants]
    entries = [
        {
            "tier_index": [n],
            "model_sku": sku,
            "original_price": price,
            "seller_stock": [{"stock": stock}],
        }
        for n, (sku, _label, price, stock) in enumerate(variants)
    ]
    return options, entries


def price_or_stock_target(
    shop: SandboxShop, item: SandboxItem, entry: Mapping[str, Any]
) -> tuple[SandboxItem | None, str]:
    """The listing one price/stock entry writes: the item (model_id 0, no models) or
    one of its models; None and Shopee's reason otherwise."""
    model_id = _whole(entry.get("model_id"))
    if not has_models(item):
        return (item, "") if model_id == 0 else (None, "Wrong model_id.")
    if model_id is None or str(model_id) not in item.data["model_ids"]:
        return None, "Wrong model_id."
    model = shop.get(model_id)
    return (model, "") if model is not None else (None, "Wrong model_id.")
