"""What one element of the Sendo sandbox's variant-price array may change, and how.

Sendo's docs (help-seller 17992275087129, "Update Price, Promotion, Stock") list the
fields (``product_id``, ``is_config_variant`` copied from the detail, ``price``,
``special_price``, ``promotion_start_date``, ``promotion_end_date``, ``stock_quantity``,
``stock_availability``, ``variants[]`` of ``{variant_attributes, variant_sku,
variant_price, variant_special_price, variant_quantity, variant_promotion_start_date,
variant_promotion_end_date}``) but not what an element that leaves some out does. Public
clients always send them together, so the sandbox refuses a partial element (our
choice): a simple product's carries ``price``, ``stock_quantity`` and
``stock_availability``; a config-variant product's carries ``stock_availability`` and,
per variant it changes, ``variant_sku``, ``variant_price`` and ``variant_quantity``
(variants left out keep their values; the product's price and stock follow from its
variants). ``special_price: null`` leaves a promotion as it is.
"""

from __future__ import annotations

from typing import Any

from ocopsync.sandbox.base import SandboxItem, SandboxShop
from ocopsync.sandbox.sendo_products import (
    Invalid,
    flag,
    promotion,
    promotion_window,
    required_whole,
    text,
)

PROMOTION_DATES = ("promotion_start_date", "promotion_end_date")
PRICE_FIELDS = {"product_id", "is_config_variant", "price", "stock_quantity", "stock_availability"}
PRICE_FIELDS |= {"special_price", *PROMOTION_DATES, "variants"}
VARIANT_FIELDS = {"variant_attributes", "variant_sku", "variant_price", "variant_quantity"}
VARIANT_FIELDS |= {"variant_special_price", "variant_promotion_start_date"}
VARIANT_FIELDS |= {"variant_promotion_end_date"}
FULL_ITEM = ("price", "stock_quantity", "stock_availability")


def variant_changes(item: SandboxItem, entry: dict[str, Any]) -> dict[str, Any]:
    """Checked changes of the variants one variant-price item names, by variant SKU."""
    own = {v["variant_sku"]: v for v in item.data.get("variants", [])}
    raw = entry.get("variants")
    if not isinstance(raw, list) or not raw:
        raise Invalid("variants", "a config-variant item carries its variants")
    changes: dict[str, Any] = {}
    for change in raw:
        if not isinstance(change, dict):
            raise Invalid("variants", "each variant must be an object")
        unknown = set(change) - VARIANT_FIELDS
        if unknown:
            raise Invalid("variants", f"unknown field(s): {', '.join(sorted(unknown))}")
        sku = text(change, "variant_sku")
        variant = own.get(sku)
        if variant is None:
            raise Invalid("variants", f"the product has no variant {sku}")
        picks = change.get("variant_attributes")
        if picks is not None:
            ids = sorted(str(p.get("option_id")) for p in picks if isinstance(p, dict))
            if ids != sorted(str(p["option_id"]) for p in variant["variant_attributes"]):
                raise Invalid("variants", f"{sku}: variant_attributes do not match")
        changes[sku] = {
            "variant_price": required_whole(change, "variant_price", 1),
            "variant_quantity": required_whole(change, "variant_quantity", 0),
            "variant_special_price": promotion(
                change,
                "variant_",
                ("variant_promotion_start_date", "variant_promotion_end_date"),
            ),
        }
    return changes


def price_change(shop: SandboxShop, entry: Any) -> tuple[SandboxItem, dict[str, Any]]:
    """The item and the validated changes of one variant-price element, or Invalid."""
    if not isinstance(entry, dict):
        raise Invalid("product_id", "each element must be an object")
    required_whole(entry, "product_id", 1)
    unknown = set(entry) - PRICE_FIELDS
    if unknown:
        raise Invalid(sorted(unknown)[0], f"unknown field(s): {', '.join(sorted(unknown))}")
    item = shop.get(entry["product_id"])
    if item is None:
        raise Invalid("product_id", "Sản phẩm không tồn tại", "product_not_found")
    if item.status == "pending":
        raise Invalid("product_id", "product is waiting for review", "product_locked")
    config = bool(item.data.get("variants"))
    if flag(entry, "is_config_variant") is not config:
        raise Invalid("is_config_variant", "is_config_variant must be the product's")
    change: dict[str, Any] = {"available": flag(entry, "stock_availability")}
    if config:
        variants = variant_changes(item, entry)
        merged = [{**v, **variants.get(v["variant_sku"], {})} for v in item.data["variants"]]
        change.update(variants=merged, stock=sum(v["variant_quantity"] for v in merged))
        change["price"] = min(v["variant_price"] for v in merged)
    else:
        left_out = [f for f in FULL_ITEM if f not in entry]
        if left_out:
            raise Invalid(left_out[0], "price, stock_quantity and stock_availability go together")
        change["price"] = required_whole(entry, "price", 1)
        change["stock"] = required_whole(entry, "stock_quantity", 0)
        if entry.get("special_price") is not None:  # null: the promotion stays as it is
            change["special_price"] = promotion(entry, "", PROMOTION_DATES)
            change["promotion"] = promotion_window(entry, PROMOTION_DATES)
    if change["available"] and change["stock"] <= 0:
        raise Invalid("stock_availability", "stock_availability must be false when stock <= 0")
    return item, change
