"""Sendo product bodies, product state and full variant-price items, as pure functions.

A product with config variants (``is_config_variant``) is reported as one listing per
variant: ``seller_sku`` the ``variant_sku``, price and stock the variant's, ``remote_id``
``"<product_id>:<variant_sku>"`` (Sendo has no variant id; the SKU is unique within a
product, help-seller 17992275087129) and ``group_id`` the product id. A product without
variants keeps its plain id. Status is the product's (Sendo has no per-variant flag).

Writes go through variant-price with full items (price, stock and availability together,
facts §8: public clients send them so; the docs do not say partial items are safe):
:func:`price_item` builds one from what the connector knows of the product
(:class:`ProductState`), read from the search, the detail, or a create.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ocopsync.connectors.answers import Answer, as_answer, described
from ocopsync.connectors.sendo_catalog import (
    ITEM_LIMITS,
    CategorySpec,
    attributes_body,
    detail_variants,
    selected_attributes,
    variant_axis,
    variant_entry,
)
from ocopsync.connectors.sendo_payloads import (
    PLATFORM,
    STATUS_SELLING,
    _int,
    available,
    description_html,
    listing_status,
    parse_product,
)
from ocopsync.i18n import _
from ocopsync.image_rules import host_allowed
from ocopsync.records import ListingDraft, RemoteListing

CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")


def category_for(draft: ListingDraft, options: Mapping[str, Any]) -> int | None:
    """The draft's level-4 ``cat_4_id``: ``draft.category_id``, else the group's mapping."""
    raw: Any = draft.category_id or dict(options.get("category_map") or {}).get(draft.group)
    if isinstance(raw, bool):
        return None
    value = _int(raw, -1)
    return value if value > 0 else None


def weight_g(options: Mapping[str, Any], draft: ListingDraft) -> int | None:
    value = draft.weight_g if draft.weight_g else _int(options.get("default_weight_g"), 0)
    return value if value and value > 0 else None


def picture_problems(urls: Sequence[str]) -> list[str]:
    """Sendo fetches pictures by URL itself, so each must be a public http(s) address."""
    problems = [
        f"image {url} is not a public http(s) URL (Sendo fetches pictures itself)"
        for url in urls
        if not host_allowed(url, None)
    ]
    distinct = list(dict.fromkeys(urls))
    if len(distinct) > ITEM_LIMITS.images_max:
        problems.append(f"{len(distinct)} images, Sendo takes at most {ITEM_LIMITS.images_max}")
    return problems


def missing_for_create(draft: ListingDraft, options: Mapping[str, Any]) -> list[str]:
    missing = []
    if category_for(draft, options) is None:
        missing.append(
            f"no category for group {draft.group!r} in options.category_map "
            "(Sendo needs a level-4 category id, cat_4_id)"
        )
    if not draft.image_urls:
        missing.append("no images: Sendo requires at least one picture (avatar.picture_url)")
    missing += picture_problems(draft.image_urls)
    if weight_g(options, draft) is None:
        missing.append(
            "no weight: Sendo requires the package weight (weight_g or default_weight_g)"
        )
    if draft.variants:
        skus = [v.sku for v in draft.variants]
        if len(set(skus)) != len(skus):
            missing.append("variant SKUs must differ within one Sendo product")
        if len(skus) > ITEM_LIMITS.variants_max:
            missing.append(f"{len(skus)} variants, Sendo takes {ITEM_LIMITS.variants_max}")
        if any(v.price < 1 for v in draft.variants):
            missing.append("no price: Sendo requires a price of at least 1 VND per variant")
        if any(not v.label.strip() for v in draft.variants):
            missing.append("a variant has no label (what the buyer picks, e.g. 500 g)")
    elif draft.price < 1:
        missing.append("no price: Sendo requires a price of at least 1 VND")
    return missing


def _brand(draft: ListingDraft) -> dict[str, Any]:
    brand_id = _int(draft.brand_id, 0)
    return {"brand_id": brand_id, "brand_name": draft.brand or None} if brand_id else {}


def variants_body(draft: ListingDraft, spec: CategorySpec | None) -> list[dict[str, Any]]:
    """``variants[]`` for ``draft.variants``; ValueError (our words) when no axis fits."""
    if not draft.variants:
        return []
    if spec is None:
        raise ValueError("the category's attributes are needed for variants")
    axis = variant_axis(spec, draft.variant_name, [v.label for v in draft.variants])
    if isinstance(axis, str):
        raise ValueError(axis)
    return [variant_entry(axis, v) for v in draft.variants]


def _stock_fields(variants: list[dict[str, Any]], price: int, stock: int) -> dict[str, Any]:
    if variants:
        price = min(v["variant_price"] for v in variants)
        stock = sum(v["variant_quantity"] for v in variants)
    stock = max(0, stock)
    return {
        "price": price,
        "stock_quantity": stock,
        "stock_availability": stock > 0,
        "is_config_variant": bool(variants),
        "variants": variants,
    }


def create_body(
    draft: ListingDraft, options: Mapping[str, Any], spec: CategorySpec | None = None
) -> dict[str, Any]:
    """POST /api/partner/product with id 0 (facts §3: id 0 creates, an id updates)."""
    variants = variants_body(draft, spec)
    return {
        "id": 0,
        "name": draft.name,
        "sku": draft.sku,
        **_stock_fields(variants, draft.price, draft.stock),
        "special_price": None,
        "promotion_from_date": None,
        "promotion_to_date": None,
        "cat_4_id": category_for(draft, options),
        "weight": weight_g(options, draft),
        "description": description_html(draft),
        "avatar": {"picture_url": draft.image_urls[0]},
        "pictures": [{"picture_url": url} for url in draft.image_urls[1:]],
        "attributes": attributes_body(draft.attributes, spec),
        **_brand(draft),
    }


def _promotion(detail: Answer) -> dict[str, Any]:
    """A running promotion, sent back with its dates (without them Sendo refuses a special
    price, and leaving it out would end the promotion on a content update)."""
    special = detail.count("special_price")
    start, end = (
        detail.get("promotion_from_date_timestamp"),
        detail.get("promotion_to_date_timestamp"),
    )
    if not special or not all(isinstance(t, int | float) for t in (start, end)):
        return {"special_price": None, "promotion_from_date": None, "promotion_to_date": None}
    return {
        "special_price": special,
        "promotion_from_date": datetime.fromtimestamp(start, UTC).isoformat(),
        "promotion_to_date": datetime.fromtimestamp(end, UTC).isoformat(),
    }


def update_body(
    detail: Answer,
    draft: ListingDraft,
    fields: Sequence[str],
    spec: CategorySpec | None,
    *,
    add_variants: bool = False,
) -> dict[str, Any]:
    """The whole product (Create Or Update replaces it) with ``fields`` of ``draft``, or
    with ``draft.variants`` added (``add_variants``); everything else as the detail has it."""
    variants = detail_variants(detail)
    if add_variants:
        have = {v["variant_sku"] for v in variants}
        variants += [v for v in variants_body(draft, spec) if v["variant_sku"] not in have]
    avatar = detail.get("avatar") if isinstance(detail.get("avatar"), dict) else {}
    pictures = [{"picture_url": avatar.get("picture_url")}, *(detail.get("pictures") or [])]
    body = {
        "id": _int(detail.ident("id")),
        "name": detail.scalar_text("name"),
        "sku": detail.scalar_text("sku"),
        "price": detail.count("price"),
        "stock_quantity": detail.count("stock_quantity"),
        "stock_availability": available(detail),
        "is_config_variant": bool(variants),
        "variants": variants,
        "cat_4_id": detail.count("cat_4_id"),
        "weight": detail.count("weight"),
        "description": detail.scalar_text("description"),
        "avatar": pictures[0],
        "pictures": pictures[1:],
        "attributes": selected_attributes(detail),
        "brand_id": detail.count("brand_id") or None,
    }
    body.update(_promotion(detail))
    if variants:
        body["price"] = min(v["variant_price"] for v in variants)
        body["stock_quantity"] = sum(v["variant_quantity"] for v in variants)
        body["stock_availability"] = body["stock_availability"] and body["stock_quantity"] > 0
    if "name" in fields:
        body["name"] = draft.name
    if "description" in fields:
        body["description"] = description_html(draft)
    if "image_urls" in fields and draft.image_urls:
        body["avatar"] = {"picture_url": draft.image_urls[0]}
        body["pictures"] = [{"picture_url": url} for url in draft.image_urls[1:]]
    if "attributes" in fields:
        body["attributes"] = attributes_body(draft.attributes, spec)
    return body


# -- what the connector knows of a product ---------------------------------------------------
@dataclass(frozen=True)
class VariantState:
    attributes: tuple[dict[str, Any], ...]
    price: int
    quantity: int


@dataclass(frozen=True)
class ProductState:
    """A product's price, stock and availability (and its variants'), as last seen."""

    pid: int
    price: int
    stock: int
    available: bool
    config: bool
    variants: dict[str, VariantState] = field(default_factory=dict)
    status: int = STATUS_SELLING

    def total(self) -> int:
        return sum(v.quantity for v in self.variants.values()) if self.config else self.stock


def state_of(product: Answer) -> ProductState:
    """What a search row or a product detail says (a row has no variants)."""
    variants = {
        v.text("variant_sku"): VariantState(
            tuple(p.mapping() for p in v.items("variant_attributes", optional=True)),
            v.count("variant_price"),
            v.count("variant_quantity"),
        )
        for v in product.items("variants", optional=True)
    }
    status = product.count("status" if product.has("status") else "product_status", 2)
    return ProductState(
        pid=_int(product.ident("id")),
        price=product.count("price"),
        stock=product.count("stock_quantity"),
        available=available(product),
        config=bool(product.get("is_config_variant")) or bool(variants),
        variants=variants,
        status=status,
    )


def split_id(remote_id: str) -> tuple[int | None, str]:
    """``(product id, variant SKU)`` of a remote id ("" for a product without variants)."""
    pid, _sep, sku = remote_id.partition(":")
    return (int(pid) if pid.isdigit() else None), sku


def listings_of(product: Answer) -> list[RemoteListing]:
    """One listing per variant of a config-variant detail; the product itself otherwise."""
    state = state_of(product)
    if not state.variants:
        listing = parse_product(product)
        return [] if listing is None else [listing]
    status = listing_status(state.status, state.available, state.total())
    if status is None:
        return []
    group = str(state.pid)
    return [
        RemoteListing(
            remote_id=f"{group}:{sku}",
            seller_sku=sku,
            name=product.scalar_text("name"),
            price=v.price,
            stock=v.quantity,
            status=status,
            group_id=group,
        )
        for sku, v in state.variants.items()
    ]


def search_rows(result: Any) -> tuple[list[tuple[Answer, ProductState]], str]:
    """Each row of one search page with its state, and the cursor ("" at the end)."""
    page = as_answer(result, PLATFORM, "result")
    rows = [(row, state_of(row)) for row in page.items("data", optional=True)]
    return rows, page.scalar_text("next_token") if rows else ""


def with_variant(
    state: ProductState, sku: str, *, price: int | None = None, quantity: int | None = None
) -> ProductState:
    """``state`` with one variant's price or quantity changed."""
    variant = state.variants[sku]
    variant = replace(
        variant,
        price=variant.price if price is None else price,
        quantity=variant.quantity if quantity is None else quantity,
    )
    variants = {**state.variants, sku: variant}
    return replace(state, variants=variants)


def price_item(state: ProductState, changed: Sequence[str]) -> dict[str, Any]:
    """The full variant-price item for ``state``: price, stock and availability together;
    for a config-variant product, each variant in ``changed`` with its price and quantity."""
    if not state.config:
        return {
            "product_id": state.pid,
            "is_config_variant": False,
            "price": state.price,
            "stock_quantity": max(0, state.stock),
            "stock_availability": state.available,
        }
    variants = [
        {
            "variant_attributes": list(state.variants[sku].attributes),
            "variant_sku": sku,
            "variant_price": state.variants[sku].price,
            "variant_quantity": max(0, state.variants[sku].quantity),
        }
        for sku in dict.fromkeys(changed)
    ]
    prices = [v.price for v in state.variants.values()]
    return {
        "product_id": state.pid,
        "is_config_variant": True,
        "price": min(prices) if prices else state.price,
        "stock_quantity": state.total(),
        "stock_availability": state.available,
        "variants": variants,
    }


def detail_answer(result: Answer) -> Answer | None:
    """A ``GET /product`` result (None: no product)."""
    return None if result.value is None or result.value == {} else result


def created_id(result: Answer) -> str:
    """The id a create answered: the ``result`` itself, or its ``id``; never empty or 0."""
    new_id = result.get("id") if isinstance(result.value, dict) else result.value
    if isinstance(new_id, bool) or not isinstance(new_id, str | int) or new_id in ("", 0):
        raise result.fail(_("should be a product id, got {got}").format(got=described(new_id)))
    return str(new_id)
