"""Shopee items with models (variants), as pure functions: ids, bodies, parsers.

Shapes from the official per-API specs stored in congminh1254/shopee-sdk
(``schemas/v2.product.init_tier_variation``, ``add_model``, ``get_model_list``,
``update_price``, ``update_stock``): an item with models has ``has_model`` true and no
``price_info`` in get_item_base_info (facts §3); its models, read with
``get_model_list?item_id=``, carry ``model_id``, ``model_sku``, ``price_info[]`` and
``stock_info_v2.seller_stock[]``; price and stock are written per ``model_id`` (0 only
for an item without models).

Our choices: a model is reported as its own :class:`RemoteListing` with ``remote_id``
``"<item_id>:<model_id>"`` and ``group_id`` the item id; a plain item keeps its bare
item id (what is already stored stays valid). A create with variants makes one tier
named ``draft.variant_name`` (else ``"Phân loại"``, Shopee VN's usual word for
"variation") with one option per variant label, in the draft's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocopsync.connectors.answers import Answer, as_answer
from ocopsync.records import ListingDraft, ListingStatus, RemoteListing, Variant

PLATFORM = "shopee"
MODEL_LIST_PATH = "/api/v2/product/get_model_list"
INIT_TIER_PATH = "/api/v2/product/init_tier_variation"
UPDATE_TIER_PATH = "/api/v2/product/update_tier_variation"
ADD_MODEL_PATH = "/api/v2/product/add_model"
DEFAULT_TIER_NAME = "Phân loại"
ADD_MODEL_BATCH = 50


def split_id(remote_id: str) -> tuple[str, int] | None:
    """``(item_id, model_id)`` of ``"item"`` (model 0) or ``"item:model"``; None if neither."""
    item, _, model = remote_id.partition(":")
    if not item.isdigit() or (model and not model.isdigit()):
        return None
    return item, int(model) if model else 0


def composite(item_id: str, model_id: str) -> str:
    return f"{item_id}:{model_id}"


def _stock(model: Answer) -> int:
    info = model.get("stock_info_v2")
    if not isinstance(info, dict):
        return sum(s.count("stock") for s in model.items("seller_stock", optional=True))
    stock_info = model.obj("stock_info_v2")
    seller = stock_info.items("seller_stock", optional=True)
    if seller:
        return sum(s.count("stock") for s in seller)
    summary = stock_info.get("summary_info")
    return stock_info.obj("summary_info").count("total_available_stock") if summary else 0


def parse_models(resp: Any, item: RemoteListing) -> list[RemoteListing]:
    """One RemoteListing per model of a get_model_list answer, under ``item``.

    A model whose ``model_status`` is not MODEL_NORMAL is reported unlisted when its
    item is live (a buyer cannot pick it)."""
    page = as_answer(resp, PLATFORM, "response")
    listings = []
    for model in page.items("model", optional=True):
        prices = model.items("price_info", optional=True)
        status = item.status
        normal = model.scalar_text("model_status", "MODEL_NORMAL") == "MODEL_NORMAL"
        if status is ListingStatus.LIVE and not normal:
            status = ListingStatus.UNLISTED
        listings.append(
            RemoteListing(
                remote_id=composite(item.remote_id, model.ident("model_id")),
                seller_sku=model.scalar_text("model_sku"),
                name=item.name,
                price=round(prices[0].number("original_price")) if prices else 0,
                stock=_stock(model),
                status=status,
                group_id=item.remote_id,
            )
        )
    return listings


def parse_tiers(resp: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The item's ``tier_variation`` (names and option labels) and its models' ids by SKU."""
    page = as_answer(resp, PLATFORM, "response")
    tiers = [
        {
            "name": tier.scalar_text("name"),
            "option_list": [
                {"option": o.scalar_text("option")}
                for o in tier.items("option_list", optional=True)
            ],
        }
        for tier in page.items("tier_variation", optional=True)
    ]
    models = {
        m.scalar_text("model_sku"): m.ident("model_id") for m in page.items("model", optional=True)
    }
    return tiers, models


def _model(variant: Variant, index: int) -> dict[str, Any]:
    model: dict[str, Any] = {
        "tier_index": [index],
        "model_sku": variant.sku,
        "original_price": variant.price,
        "seller_stock": [{"stock": variant.stock}],
    }
    if variant.weight_g:
        model["weight"] = round(variant.weight_g / 1000, 3)
    return model


def tier_body(item_id: int, draft: ListingDraft) -> dict[str, Any]:
    """init_tier_variation: one tier, one option and one model per variant."""
    return {
        "item_id": item_id,
        "tier_variation": [
            {
                "name": draft.variant_name or DEFAULT_TIER_NAME,
                "option_list": [{"option": v.label} for v in draft.variants],
            }
        ],
        "model": [_model(v, n) for n, v in enumerate(draft.variants)],
    }


def added_models(
    tiers: list[dict[str, Any]], existing: dict[str, str], variants: Sequence[Variant]
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """What adding ``variants`` to an item with one tier needs: the tier list to send
    first (None when every label is already an option) and the add_model entries, for
    the variants whose SKU is not a model yet."""
    options = [o["option"] for o in tiers[0]["option_list"]] if tiers else []
    new = [v for v in variants if v.sku not in existing]
    grown = list(options)
    for variant in new:
        if variant.label not in grown:
            grown.append(variant.label)
    entries = [_model(v, grown.index(v.label)) for v in new]
    if grown == options or not tiers:
        return None, entries
    tier = {"name": tiers[0]["name"], "option_list": [{"option": o} for o in grown]}
    return [tier, *tiers[1:]], entries


def models_created(resp: Any) -> dict[str, str]:
    """Model ids by SKU from an init_tier_variation or add_model answer."""
    page = as_answer(resp, PLATFORM, "response")
    return {
        m.scalar_text("model_sku"): m.scalar_text("model_id")
        for m in page.items("model", optional=True)
    }


def variant_problems(draft: ListingDraft, max_variants: int) -> list[str]:
    """What stops a Shopee create with variants (checked before anything is sent)."""
    problems = []
    if len(draft.variants) > max_variants:
        problems.append(f"{len(draft.variants)} variants, Shopee takes at most {max_variants}")
    labels = [v.label for v in draft.variants]
    if any(not label.strip() for label in labels):
        problems.append("every variant needs a label (Shopee's option name)")
    if len(set(labels)) != len(labels):
        problems.append("two variants share a label; Shopee options must differ")
    skus = [v.sku for v in draft.variants]
    if len(set(skus)) != len(skus):
        problems.append("two variants share a SKU")
    return problems
