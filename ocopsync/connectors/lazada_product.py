"""CreateProduct and UpdateProduct payloads as pure functions: attributes, brand,
variants (one SKU each) and content edits.

Shapes from the Create Product and Update Product guides and the custom sales
attributes guide as copied in lazykern/ecommerce-api-docs
(``data/processed/lazada/guides/api-best-practice/product-operation/product-management/
create-a-product.md``, ``update-a-product.md``, ``.../product-operation/
custom-sales-attributes.md``):

- ``Attributes`` holds the product name, description, ``brand_id`` (or ``brand``, the
  name, "will be deprecated") and every attribute whose ``attribute_type`` is "normal";
  an attribute of type "sku" goes into each ``Sku``;
- a product sold in several sizes declares a custom variation,
  ``variation.variation1 = {name, hasImage: false, customize: true, options: {option:
  [...]}}`` (name at most 15 characters, options at most 20, at most 50 of them), and
  each ``Sku`` names its option in ``saleProp`` ``{<name>: <option>}``;
- UpdateProduct adds SKUs to a product with ``ItemId`` and ``AssociatedSku``, "One of the
  seller SKUs in the target product" (the guide's own example; its field table says a
  SKU id: the seller SKU is what its worked example sends), and edits content with
  ``ItemId`` plus ``Attributes`` (which "must be preserved but can be left out of any
  field") and ``Images`` (replacing them all).

An attribute is sent as its text, and for an option that text is its ``en_name`` (the
attributes guide: "if you need to fill in the enumeration when creating a product
please use the value of this field"): an :class:`~ocopsync.records.AttributeValue`
with a ``value_id`` is sent as that option's ``en_name`` when the category's attributes
have been read (:class:`CategoryRules`), else as its text.

Our choices: without a brand the product is "No Brand" (the guide's payloads); without
a ``country_origin`` it is "Vietnam", as OCOP certifies Vietnamese products only;
without ``draft.variant_name`` the variation is "Phân loại" ("option", what Vietnamese
sellers call it); content updates send normal attributes only (a SKU attribute would
need every SkuId of the product).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocopsync.connectors.answers import as_answer
from ocopsync.i18n import _
from ocopsync.records import AttributeValue, ListingDraft, Variant

PLATFORM = "lazada"
DEFAULT_PACKAGE_CM = (20, 15, 10)
NO_BRAND = "No Brand"
ORIGIN_KEY = "country_origin"
ORIGIN = "Vietnam"
DEFAULT_VARIATION = "Phân loại"
SKU_LEVEL = frozenset({"package_content", "color_family", "size"})
"""Attributes known to go into each Sku even before the category's are read."""
CONTENT_FIELDS = frozenset({"name", "description", "image_urls", "attributes"})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def weight_kg(grams: int) -> str:
    return f"{grams / 1000:.3f}".rstrip("0").rstrip(".") or "0"


def variation_name(draft: ListingDraft) -> str:
    return draft.variant_name.strip() or DEFAULT_VARIATION


def variant_problems(draft: ListingDraft) -> list[str]:
    """Why Lazada would refuse ``draft.variants`` (the custom sales attributes rules)."""
    if not draft.variants:
        return []
    problems = []
    name = variation_name(draft)
    labels = [v.label.strip() for v in draft.variants]
    if len(name) > 15:
        problems.append(
            _("variant name {name!r} is longer than Lazada's 15 characters").format(name=name)
        )
    if len(labels) > 50:
        problems.append(
            _("{count} variants: Lazada takes at most 50 options").format(count=len(labels))
        )
    long = [label for label in labels if len(label) > 20 or not label]
    if long:
        problems.append(
            _("variant label {label!r} must have 1 to 20 characters on Lazada").format(
                label=long[0]
            )
        )
    if len(set(labels)) != len(labels):
        problems.append(_("two variants share a label: Lazada needs one option per SKU"))
    if any(v.price <= 0 for v in draft.variants):
        problems.append(_("every variant needs a price above 0 on Lazada"))
    return problems


@dataclass(frozen=True)
class CategoryRules:
    """What a create must know of its category's attributes (GetCategoryAttributes)."""

    sku_keys: frozenset[str] = frozenset()
    """Attributes of ``attribute_type`` "sku": they go into each Sku."""
    en_names: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """``(attribute, option id)`` -> the option's ``en_name``."""

    def text(self, attribute: AttributeValue) -> str:
        """What to send for ``attribute``: its options' ``en_name`` when known."""
        ids = [i.strip() for i in attribute.value_id.split(",") if i.strip()]
        names = [self.en_names.get((attribute.key.strip(), i)) for i in ids]
        if ids and all(names):
            return ",".join(n for n in names if n)
        return attribute.value.strip()


def split_attributes(
    draft: ListingDraft, rules: CategoryRules
) -> tuple[dict[str, str], dict[str, str]]:
    """``(normal, sku-level)`` attributes of the draft, by their Lazada name."""
    normal: dict[str, str] = {}
    per_sku: dict[str, str] = {}
    for attribute in draft.attributes:
        key = attribute.key.strip()
        if not key or not attribute.value.strip():
            continue
        target = per_sku if key in rules.sku_keys or key in SKU_LEVEL else normal
        target[key] = rules.text(attribute)
    return normal, per_sku


def brand_fields(draft: ListingDraft) -> dict[str, str]:
    if draft.brand_id.strip():
        return {"brand_id": draft.brand_id.strip()}
    return {"brand": draft.brand.strip() or NO_BRAND}


def _sku(
    sku: str,
    price: int,
    stock: int,
    weight_g: int,
    package_cm: Sequence[int],
    content: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    length, width, height = (str(v) for v in package_cm)
    return {
        "SellerSku": sku,
        "quantity": str(stock),
        "price": str(price),
        "package_weight": weight_kg(weight_g),
        "package_length": length,
        "package_width": width,
        "package_height": height,
        "package_content": content,
        **extra,
    }


def _variant_skus(
    draft: ListingDraft,
    variants: Iterable[Variant],
    *,
    name: str,
    weight_g: int,
    package_cm: Sequence[int],
    per_sku: dict[str, str],
) -> list[dict[str, Any]]:
    return [
        _sku(
            v.sku,
            v.price,
            v.stock,
            v.weight_g or weight_g,
            package_cm,
            f"1 x {draft.name} {v.label}",
            {**per_sku, "saleProp": {name: v.label.strip()}},
        )
        for v in variants
    ]


def _variation(name: str, options: Iterable[str]) -> dict[str, Any]:
    unique = list(dict.fromkeys(o.strip() for o in options))
    return {
        "variation1": {
            "name": name,
            "hasImage": False,
            "customize": True,
            "options": {"option": unique},
        }
    }


def create_payload(
    draft: ListingDraft,
    *,
    category_id: str,
    images: Iterable[str],
    weight_g: int,
    package_cm: Sequence[int] = DEFAULT_PACKAGE_CM,
    rules: CategoryRules | None = None,
) -> str:
    """CreateProduct for ``draft``: one Sku, or one per variant under a custom variation."""
    normal, per_sku = split_attributes(draft, rules or CategoryRules())
    attributes = {
        "name": draft.name,
        "description": draft.description or draft.name,
        **brand_fields(draft),
        ORIGIN_KEY: ORIGIN,
        **normal,
    }
    product: dict[str, Any] = {
        "PrimaryCategory": category_id,
        "Images": {"Image": list(images)},
        "Attributes": attributes,
    }
    if draft.variants:
        name = variation_name(draft)
        product["variation"] = _variation(name, (v.label for v in draft.variants))
        skus = _variant_skus(
            draft,
            draft.variants,
            name=name,
            weight_g=weight_g,
            package_cm=package_cm,
            per_sku=per_sku,
        )
    else:
        content = f"1 x {draft.name}"
        skus = [_sku(draft.sku, draft.price, draft.stock, weight_g, package_cm, content, per_sku)]
    product["Skus"] = {"Sku": skus}
    return _json({"Request": {"Product": product}})


def add_skus_payload(
    draft: ListingDraft,
    *,
    item_id: str,
    associated_sku: str,
    variation: tuple[str, list[str]] | None,
    weight_g: int,
    package_cm: Sequence[int] = DEFAULT_PACKAGE_CM,
    rules: CategoryRules | None = None,
) -> str:
    """UpdateProduct adding ``draft.variants`` to product ``item_id``, under the
    product's own custom variation when it has one (``(name, options)``)."""
    name, options = variation or (variation_name(draft), [])
    _normal, per_sku = split_attributes(draft, rules or CategoryRules())
    skus = _variant_skus(
        draft, draft.variants, name=name, weight_g=weight_g, package_cm=package_cm, per_sku=per_sku
    )
    product = {
        "ItemId": item_id,
        "AssociatedSku": associated_sku,
        "Attributes": {},
        "variation": _variation(name, [*options, *(v.label for v in draft.variants)]),
        "Skus": {"Sku": skus},
    }
    return _json({"Request": {"Product": product}})


def content_payload(
    item_id: str,
    draft: ListingDraft,
    fields: Collection[str],
    images: Sequence[str],
    rules: CategoryRules | None = None,
) -> str:
    """UpdateProduct carrying ``fields`` of ``draft`` (normal attributes only)."""
    attributes: dict[str, str] = {}
    if "name" in fields:
        attributes["name"] = draft.name
    if "description" in fields:
        attributes["description"] = draft.description or draft.name
    if "attributes" in fields:
        normal, _per_sku = split_attributes(draft, rules or CategoryRules())
        attributes.update(normal)
        if draft.brand_id.strip() or draft.brand.strip():
            attributes.update(brand_fields(draft))
    product: dict[str, Any] = {"ItemId": item_id, "Attributes": attributes}
    if "image_urls" in fields and images:
        product["Images"] = {"Image": list(images)}
    return _json({"Request": {"Product": product}})


def existing_variation(body: Any) -> tuple[str, list[str]] | None:
    """The custom variation of a GetProduct answer (``data.variation.VariationN``)."""
    data = as_answer(body, PLATFORM).obj("data")
    raw = data.get("variation")
    if not isinstance(raw, dict):
        return None
    for node in raw.values():
        if isinstance(node, dict) and node.get("customize") in (True, "true") and node.get("name"):
            options = node.get("options")
            values = options.get("option") if isinstance(options, dict) else options
            return str(node["name"]), [str(o) for o in values or []]
    return None


def first_seller_sku(body: Any) -> str:
    """A SellerSku of a GetProduct answer (what ``AssociatedSku`` names)."""
    skus = as_answer(body, PLATFORM).obj("data").items("skus")
    if not skus:
        raise as_answer(body, PLATFORM).fail("the product has no SKU", "data.skus")
    return skus[0].text("SellerSku")


def product_variation(body: Any) -> tuple[str, tuple[str, list[str]] | None]:
    """What adding SKUs needs of a GetProduct answer: a SellerSku, the custom variation."""
    return first_seller_sku(body), existing_variation(body)


def created_ids(body: Any) -> tuple[str, dict[str, str]]:
    """``(item_id, {seller_sku: "<item_id>:<sku_id>"})`` of a CreateProduct answer."""
    data = as_answer(body, PLATFORM).obj("data")
    item_id = data.ident("item_id")
    ids = {
        entry.scalar_text("seller_sku"): f"{item_id}:{entry.ident('sku_id')}"
        for entry in data.items("sku_list", optional=True)
        if entry.get("sku_id") not in (None, "")
    }
    return item_id, ids
