"""Sendo's categories, attributes and brands, and the attribute/variant JSON of a product.

Pure, as :mod:`.sendo_payloads` is. The calls (help-seller "Kết nối API"):

- ``GET /api/partner/category/{id}`` (0: the top) -> ``result[]`` of ``{id, name,
  parent_id, level}``; products take a level-4 id. Below the top a name is the path
  (``A|B|C``, as a public Node.js client splits it); we keep the last part.
- ``GET /api/partner/category/attribute/{cat_4_id}`` (article 17992424598681) ->
  ``result.attribute[]`` of ``{id, control_type, name, is_required, is_checkout,
  attribute_values: [{id, value, is_selected}]}`` and ``result.is_config_variant``.
- ``GET /api/partner/category/brand/{cat_4_id}`` (article 17992427930137) -> ``result[]``
  of ``{external_id, name, is_required_certificate_file, senmall_description}``.

A product's ``attributes[]`` entry is ``{attribute_id, attribute_name, attribute_code,
attribute_is_custom, attribute_is_checkout, attribute_values: [{id, value, attribute_img,
is_selected, is_custom}]}`` (article 17992521914649 and public clients); a value that is
one of the attribute's options is sent with its ``id``, any other (free text, or a value
the list lacks) as a custom value (``id`` 0, ``is_custom`` true). A variant's
``variant_attributes[]`` is ``{attribute_id, attribute_code, option_id}``: a variant
picks one option of a checkout attribute (``is_checkout``), found by its label.
``attribute_code`` is not in the attribute answer: public clients derive it from the name
(no accents, ``_`` between words), and so do we.

Item limits: Sendo documents the description (100..100,000 characters of HTML, at most
20 ``<img>``); the name length, the picture count and the variant count are not found:
we take 255 characters, 10 pictures and 50 variants (the sandbox enforces the same).
Sendo fetches pictures by URL itself, so the byte size is not ours to check; we keep
5 MB as a bound for what we would ever download.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ocopsync.connectors.answers import Answer, as_answer
from ocopsync.records import (
    AttributeOption,
    AttributeValue,
    Brand,
    Category,
    CategoryAttribute,
    ItemLimits,
    Variant,
)

PLATFORM = "sendo"
LEAF_LEVEL = 4
ITEM_LIMITS = ItemLimits(
    name_max=255,
    description_max=100_000,
    images_max=10,
    image_max_bytes=5_000_000,
    image_formats=("jpg", "jpeg", "png"),
    price_min=1,
    variants_max=50,
)
INPUT_TYPES = {"ComboBox": "single_select", "CheckBox": "multi_select", "TextBox": "text"}


def fold(text: str) -> str:
    """Lowercase, no accents (đ too), single spaces: how labels and names are matched."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.split(r"[^0-9a-z]+", text)).strip()


def attribute_code(name: str) -> str:
    return fold(name).replace(" ", "_")


@dataclass(frozen=True)
class SendoAttribute:
    """One attribute of a category, with what a product body needs to name it."""

    id: int
    name: str
    control_type: str
    required: bool
    checkout: bool
    options: tuple[tuple[int, str], ...]

    def option_for(self, label: str) -> int | None:
        wanted = fold(label)
        return next((oid for oid, value in self.options if fold(value) == wanted), None)


@dataclass(frozen=True)
class CategorySpec:
    """What ``/category/attribute/{id}`` says of one category."""

    config_variant: bool
    attributes: tuple[SendoAttribute, ...]

    def by_id(self, key: str) -> SendoAttribute | None:
        return next((a for a in self.attributes if str(a.id) == key), None)


def _name(node: Answer) -> str:
    return node.scalar_text("name").split("|")[-1].strip()


def parse_children(result: Any) -> list[tuple[Category, int]]:
    """The children of one ``/category/{id}`` answer, each with its level."""
    found = []
    for node in as_answer(result, PLATFORM, "result").each():
        level = node.count("level")
        parent = node.ident("parent_id") if node.has("parent_id") else ""
        category = Category(
            category_id=node.ident("id"),
            parent_id=None if parent in ("", "0") else parent,
            name=_name(node),
            leaf=level >= LEAF_LEVEL,
        )
        found.append((category, level))
    return found


def parse_spec(result: Any) -> CategorySpec:
    answer = as_answer(result, PLATFORM, "result")
    attributes = []
    for entry in answer.items("attribute", optional=True):
        options = tuple(
            (value.count("id"), value.scalar_text("value"))
            for value in entry.items("attribute_values", optional=True)
        )
        attributes.append(
            SendoAttribute(
                id=entry.count("id"),
                name=entry.scalar_text("name"),
                control_type=entry.scalar_text("control_type"),
                required=bool(entry.get("is_required")),
                checkout=bool(entry.get("is_checkout")),
                options=options,
            )
        )
    return CategorySpec(bool(answer.get("is_config_variant")), tuple(attributes))


def category_attributes(spec: CategorySpec) -> list[CategoryAttribute]:
    return [
        CategoryAttribute(
            key=str(a.id),
            name=a.name,
            mandatory=a.required,
            input_type=INPUT_TYPES.get(a.control_type, "text"),
            options=tuple(AttributeOption(str(oid), value) for oid, value in a.options),
        )
        for a in spec.attributes
    ]


def parse_brands(result: Any) -> list[Brand]:
    return [
        Brand(entry.ident("external_id"), entry.scalar_text("name"))
        for entry in as_answer(result, PLATFORM, "result").each()
    ]


def _value(attr: SendoAttribute | None, value: AttributeValue) -> dict[str, Any]:
    option = int(value.value_id) if value.value_id.isdigit() else None
    if option is None and attr is not None and attr.control_type != "TextBox":
        option = attr.option_for(value.value)
    return {
        "id": option or 0,
        "value": value.value,
        "attribute_img": None,
        "is_selected": True,
        "is_custom": option is None,
    }


def attributes_body(
    values: Sequence[AttributeValue], spec: CategorySpec | None
) -> list[dict[str, Any]]:
    """``attributes[]`` for a product body: one entry per attribute, its values selected."""
    grouped: dict[str, list[AttributeValue]] = {}
    for value in values:
        grouped.setdefault(value.key, []).append(value)
    body = []
    for key, chosen in grouped.items():
        attr = spec.by_id(key) if spec else None
        name = attr.name if attr else key
        body.append(
            {
                "attribute_id": int(key) if key.isdigit() else key,
                "attribute_name": name,
                "attribute_code": attribute_code(name),
                "attribute_is_custom": False,
                "attribute_is_checkout": attr.checkout if attr else False,
                "attribute_values": [_value(attr, v) for v in chosen],
            }
        )
    return body


def selected_attributes(detail: Answer) -> list[dict[str, Any]]:
    """A product detail's ``attributes[]`` cut to what it selected, to send back as is."""
    kept = []
    for entry in detail.items("attributes", optional=True):
        raw = entry.mapping()
        values = [v for v in raw.get("attribute_values") or [] if isinstance(v, dict)]
        chosen = [v for v in values if v.get("is_selected") is True]
        if chosen:
            kept.append({**raw, "attribute_values": chosen})
    return kept


def variant_axis(spec: CategorySpec, name: str, labels: Sequence[str]) -> SendoAttribute | str:
    """The checkout attribute the variants differ by, or why none fits (our words)."""
    axes = [a for a in spec.attributes if a.checkout]
    if not axes:
        return "the category takes no variants (no checkout attribute)"
    named = [a for a in axes if fold(a.name) == fold(name)] if name else []
    for attr in named or axes:
        if all(attr.option_for(label) is not None for label in labels):
            return attr
    shown = "; ".join(f"{a.name}: {', '.join(v for _i, v in a.options)}" for a in named or axes)
    return f"variant labels {', '.join(labels)} are not all options of {shown}"


def variant_entry(axis: SendoAttribute, variant: Variant) -> dict[str, Any]:
    """One ``variants[]`` item of a product body, full (price and quantity together)."""
    return {
        "variant_attributes": [
            {
                "attribute_id": axis.id,
                "attribute_code": attribute_code(axis.name),
                "option_id": axis.option_for(variant.label),
            }
        ],
        "variant_sku": variant.sku,
        "variant_price": variant.price,
        "variant_special_price": None,
        "variant_quantity": max(0, variant.stock),
        "variant_promotion_start_date": None,
        "variant_promotion_end_date": None,
    }


def detail_variants(detail: Answer) -> list[dict[str, Any]]:
    """A product detail's variants as a product body sends them back (full items)."""
    return [
        {
            "variant_attributes": [p.mapping() for p in v.items("variant_attributes")],
            "variant_sku": v.text("variant_sku"),
            "variant_price": v.count("variant_price"),
            "variant_special_price": v.get("variant_special_price"),
            "variant_quantity": v.count("variant_quantity"),
            "variant_promotion_start_date": None,
            "variant_promotion_end_date": None,
        }
        for v in detail.items("variants", optional=True)
    ]
