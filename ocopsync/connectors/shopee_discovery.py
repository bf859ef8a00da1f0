"""Shopee discovery and content, as pure functions: queries, bodies and parsers.

What an integrator reads before a first create, and what a create or an update sends
of a product's attributes and brand. Shapes from the official per-API specs stored in
the public repository congminh1254/shopee-sdk (``schemas/v2.product.get_attribute_tree``,
``get_brand_list``, ``get_item_limit``, ``add_item``, ``v2.logistics.get_channel_list``,
``v2.media_space.upload_image``); see :mod:`ocopsync.connectors.shopee` for the list.

- get_attribute_tree: ``category_id_list`` (one id; the spec allows 20) and
  ``language=vn`` (the spec's VN languages are ``vn`` and ``en``); the answer's
  ``response.list[].attribute_tree[]`` gives ``attribute_id``, ``mandatory``, ``name``,
  ``attribute_info.input_type`` (1 single drop-down, 2 single combo box, 3 free text,
  4 multi drop-down, 5 multi combo box), ``input_validation_type`` (1 int, 2 string,
  3 float, 4 date), ``attribute_unit_list`` and ``attribute_value_list[]{value_id, name}``.
- get_brand_list: ``offset``, ``page_size`` (<= 100), ``category_id``, ``status=1``
  (normal brands), ``language=vi``; paged by ``has_next_page``/``next_offset``.
- get_item_limit: ``category_id``; each limit is ``{min_limit, max_limit}``.
- get_channel_list: ``logistics_channel_list[]{logistics_channel_id,
  logistics_channel_name, enabled, cod_enabled, weight_limit{item_max_weight}}`` (kg;
  0 or null means no limit).
- add_item / update_item ``attribute_list[]{attribute_id, attribute_value_list[]{value_id,
  original_value_name, value_unit}}``: value_id 0 with the text for a free or custom
  value, the option's id otherwise; ``brand{brand_id, original_brand_name}``, brand_id 0
  "No Brand" when there is none (add_item: "Original name of brand (No Brand if not
  brand)").

Our choices: a free value like ``"250 g"`` (a number and one of g, kg, mg, ml, l, cm,
m) is sent as ``original_value_name "250"`` and ``value_unit "g"``; several values of one key (a
multi-select) go in one entry, in the draft's order; the image size cap (10 MB) and
formats come from upload_image's spec, not from get_item_limit, which does not say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ocopsync.connectors.answers import Answer, as_answer
from ocopsync.records import (
    AttributeOption,
    AttributeValue,
    Brand,
    CategoryAttribute,
    ItemLimits,
    ListingDraft,
    LogisticsChannel,
)

PLATFORM = "shopee"
ATTRIBUTE_TREE_PATH = "/api/v2/product/get_attribute_tree"
BRAND_LIST_PATH = "/api/v2/product/get_brand_list"
ITEM_LIMIT_PATH = "/api/v2/product/get_item_limit"
CHANNEL_LIST_PATH = "/api/v2/logistics/get_channel_list"
UPDATE_ITEM_PATH = "/api/v2/product/update_item"
BRAND_PAGE_SIZE = 100
MAX_BRAND_PAGES = 100
"""A category with more than 10,000 brands is an answer we stop following."""
NO_BRAND_NAME = "No Brand"
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = ("jpg", "jpeg", "png")
MAX_VARIANTS = 20
"""Options of one tier (init_tier_variation ``error_tier_opt_too_many``: "larger than
20"); we create one tier, so one listing takes at most 20 variants."""
CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")

_INPUT_TYPES = {1: "single_select", 2: "single_select", 4: "multi_select", 5: "multi_select"}
_COMBO_BOXES = (2, 5)
"""Combo boxes: the listed values are suggestions, a custom one is sent with value_id 0."""
_VALIDATION_TYPES = {1: "int", 3: "float", 4: "date"}
_QUANTITY = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mg|g|kg|ml|l|cm|m)\s*$", re.IGNORECASE)


# -- queries ----------------------------------------------------------------------------
def attribute_tree_query(category_id: str) -> list[tuple[str, str]]:
    return [("category_id_list", category_id), ("language", "vn")]


def brand_query(category_id: str, offset: int) -> list[tuple[str, str]]:
    return [
        ("offset", str(offset)),
        ("page_size", str(BRAND_PAGE_SIZE)),
        ("category_id", category_id),
        ("status", "1"),
        ("language", "vi"),
    ]


def item_limit_query(category_id: str) -> list[tuple[str, str]]:
    return [("category_id", category_id)] if category_id else []


# -- parsers ----------------------------------------------------------------------------
def _input_type(info: Answer) -> str:
    kind = info.count("input_type")
    if kind in _INPUT_TYPES:
        return _INPUT_TYPES[kind]
    return _VALIDATION_TYPES.get(info.count("input_validation_type"), "text")


def parse_attribute(entry: Answer) -> CategoryAttribute:
    has_info = isinstance(entry.get("attribute_info"), dict)
    info = entry.obj("attribute_info") if has_info else entry.child("attribute_info", {})
    units = [str(u) for u in info.maybe("attribute_unit_list", list) or [] if u]
    return CategoryAttribute(
        key=entry.ident("attribute_id"),
        name=entry.scalar_text("name"),
        mandatory=bool(entry.maybe("mandatory", bool)),
        input_type=_input_type(info),
        options=tuple(
            AttributeOption(value.ident("value_id"), value.scalar_text("name"))
            for value in entry.items("attribute_value_list", optional=True)
        ),
        unit=units[0] if units else "",
        custom_values=info.maybe("input_type", int) in _COMBO_BOXES,
    )


def parse_attribute_tree(resp: Any, category_id: str) -> list[CategoryAttribute]:
    """The attributes of ``category_id`` in a get_attribute_tree answer."""
    page = as_answer(resp, PLATFORM, "response")
    for entry in page.items("list", optional=True):
        if entry.ident("category_id") == category_id:
            return [parse_attribute(a) for a in entry.items("attribute_tree", optional=True)]
    return []


def parse_brand_page(resp: Any) -> tuple[list[Brand], bool, int]:
    """Brands of one page, whether there is another, and its offset."""
    page = as_answer(resp, PLATFORM, "response")
    brands = [
        Brand(
            b.ident("brand_id"),
            b.scalar_text("display_brand_name") or b.scalar_text("original_brand_name"),
        )
        for b in page.items("brand_list", optional=True)
    ]
    return brands, bool(page.maybe("has_next_page", bool)), page.count("next_offset")


def _limit(page: Answer, key: str, bound: str, default: int) -> int:
    limits = page.get(key)
    if not isinstance(limits, dict):
        return default
    return round(page.obj(key).number(bound, default))


def parse_item_limits(resp: Any) -> ItemLimits:
    page = as_answer(resp, PLATFORM, "response")
    return ItemLimits(
        name_max=_limit(page, "item_name_length_limit", "max_limit", 0),
        description_max=_limit(page, "item_description_length_limit", "max_limit", 0),
        images_max=_limit(page, "item_image_count_limit", "max_limit", 9),
        image_max_bytes=IMAGE_MAX_BYTES,
        image_formats=IMAGE_FORMATS,
        price_min=_limit(page, "price_limit", "min_limit", 0),
        price_max=_limit(page, "price_limit", "max_limit", 0),
        variants_max=MAX_VARIANTS,
    )


def parse_channels(resp: Any) -> list[LogisticsChannel]:
    page = as_answer(resp, PLATFORM, "response")
    channels = []
    for entry in page.items("logistics_channel_list", optional=True):
        limit = entry.get("weight_limit")
        max_kg = entry.obj("weight_limit").number("item_max_weight") if limit else 0.0
        channels.append(
            LogisticsChannel(
                channel_id=entry.ident("logistics_channel_id"),
                name=entry.scalar_text("logistics_channel_name"),
                enabled=bool(entry.maybe("enabled", bool)),
                cod=bool(entry.maybe("cod_enabled", bool)),
                max_weight_g=round(max_kg * 1000) if max_kg > 0 else None,
            )
        )
    return channels


# -- bodies -----------------------------------------------------------------------------
def attribute_problems(attributes: Sequence[AttributeValue]) -> list[str]:
    """Attributes a Shopee create cannot carry (a key that is not an attribute_id)."""
    return [
        f"attribute {a.key!r} is not a Shopee attribute_id (get_attribute_tree)"
        for a in attributes
        if not a.key.isdigit() or (a.value_id and not a.value_id.isdigit())
    ]


def attribute_value(value: AttributeValue) -> dict[str, Any]:
    if value.value_id and value.value_id != "0":
        return {"value_id": int(value.value_id), "original_value_name": value.value}
    quantity = _QUANTITY.match(value.value)
    if quantity:
        number = quantity.group(1).replace(",", ".")
        return {"value_id": 0, "original_value_name": number, "value_unit": quantity.group(2)}
    return {"value_id": 0, "original_value_name": value.value}


def attribute_list(attributes: Sequence[AttributeValue]) -> list[dict[str, Any]]:
    """``attribute_list`` for add_item/update_item: one entry per attribute_id."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for value in attributes:
        grouped.setdefault(int(value.key), []).append(attribute_value(value))
    return [
        {"attribute_id": key, "attribute_value_list": values} for key, values in grouped.items()
    ]


def brand_of(draft: ListingDraft) -> dict[str, Any]:
    """``brand``: the draft's brand id and name, or 0 "No Brand" when it has none."""
    if draft.brand_id and draft.brand_id != "0":
        return {"brand_id": int(draft.brand_id), "original_brand_name": draft.brand}
    return {"brand_id": 0, "original_brand_name": NO_BRAND_NAME}


def content_body(
    item_id: int, draft: ListingDraft, fields: Sequence[str], image_ids: Sequence[str]
) -> dict[str, Any]:
    """update_item's body for the ``fields`` of ``draft`` (the rest is left as it is)."""
    body: dict[str, Any] = {"item_id": item_id}
    if "name" in fields:
        body["item_name"] = draft.name
    if "description" in fields:
        body["description"] = draft.description
    if "image_urls" in fields:
        body["image"] = {"image_id_list": list(image_ids)}
    if "attributes" in fields:
        body["attribute_list"] = attribute_list(draft.attributes)
    return body
