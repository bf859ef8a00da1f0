"""What Lazada tells an integrator before a first create, as pure functions: category
attributes, brands and the documented item limits.

Sources (API pages and guides as copied in the public repository
lazykern/ecommerce-api-docs):

- GetCategoryAttributes ``GET /category/attributes/get`` (``primary_category_id``,
  ``language_code``; no access token): ``data[]`` of ``{id, name, label, is_mandatory,
  attribute_type, input_type, is_sale_prop, options[{id, name, en_name}], advanced
  {is_key_prop}}`` (``data/raw/lazada/apis/product-api/getcategoryattributes.json`` and
  the guide ``.../product-management/get-category-attributes.md``). ``attribute_type``
  "normal" goes into ``Attributes``, "sku" into each ``Sku``; a create sends an option's
  ``en_name``;
- GetBrandByPages ``/category/brands/query`` (``startRow`` = brands to skip,
  ``pageSize`` at most 200, default 40; no access token): ``data{module[{brand_id, name,
  global_identifier, name_en}], total_record, ...}``
  (``data/raw/lazada/apis/product-api/getbrandbypages.json``). The list is the
  venture's: it takes no category;
- limits (:data:`ITEM_LIMITS`): name at most 255 characters, description at most 25000
  and images at most 8 (Create Product guide, ``.../product-management/create-a-product.md``;
  ``4169`` CHK_IMAGE_MAX_ITEMS "Upload a maximum of 8 pictures" in CreateProduct's error
  table); images JPG or PNG of at most 1 MB for ``/image/migrate`` and ``/image/upload``
  (MigrateImage's error ``303`` "The size of the migrated image exceeds the 1M limit";
  its other note of 3145728 B is not taken: the smaller cap is safe for both); at most
  50 options per variation (custom sales attributes guide, ``OPTIONS_SIZE_LIMIT``), so
  at most 50 variants under our one variation. No price limits are documented (0).

Our choices: attributes the connector fills from the draft itself (name, description,
brand, price, stock, SellerSku, package size and weight, images; :data:`FILLED`) are
not reported, so a plan never asks a catalog for them; ``input_type`` maps to our words
as :data:`INPUT_TYPES` says (``enumInput``/``multiEnumInput`` accept custom values, so
they are text inputs whose options are suggestions); an option's ``name`` in our record
is the localized one (Vietnamese, as asked with ``language_code=vi_VN``), which people
read and write, and a create sends its ``en_name`` instead, found by the option's id
(:class:`~.lazada_product.CategoryRules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocopsync.connectors.answers import as_answer
from ocopsync.records import AttributeOption, Brand, CategoryAttribute, ItemLimits

PLATFORM = "lazada"
CATEGORY_ATTRIBUTES = "/category/attributes/get"
BRANDS = "/category/brands/query"
BRAND_PAGE = 200
"""GetBrandByPages' largest ``pageSize``."""
LANGUAGE = "vi_VN"
MAX_IMAGE_BYTES = 1024 * 1024
MAX_VARIATION_NAME = 15
MAX_OPTION = 20
MAX_VARIANTS = 50
ITEM_LIMITS = ItemLimits(
    name_max=255,
    description_max=25000,
    images_max=8,
    image_max_bytes=MAX_IMAGE_BYTES,
    image_formats=("jpg", "jpeg", "png"),
    variants_max=MAX_VARIANTS,
)
FILLED = frozenset(
    {"name", "description", "brand", "brand_id", "SellerSku", "price", "special_price"}
    | {"quantity", "package_weight", "package_length", "package_width", "package_height"}
    | {"package_content", "__images__", "color_thumbnail"}
)
INPUT_TYPES = {
    "text": "text",
    "richtext": "text",
    "enuminput": "text",
    "multienuminput": "text",
    "numeric": "float",
    "date": "date",
    "singleselect": "single_select",
    "multiselect": "multi_select",
}


@dataclass(frozen=True)
class LazadaAttribute:
    """One attribute of a category: our record, and where a create puts it."""

    record: CategoryAttribute
    sku_level: bool
    sale_prop: bool
    en_names: Mapping[str, str] = field(default_factory=dict)
    """option id -> ``en_name``: the text a create sends for that option."""


def category_attributes(body: Any) -> list[LazadaAttribute]:
    """The attributes of a GetCategoryAttributes answer, minus :data:`FILLED` and images."""
    found = []
    for entry in as_answer(body, PLATFORM).items("data"):
        name = entry.text("name")
        kind = entry.scalar_text("input_type").lower()
        if name in FILLED or kind == "img":
            continue
        raw = entry.items("options", optional=True)
        options = tuple(
            AttributeOption(o.ident("id"), o.scalar_text("name") or o.scalar_text("en_name"))
            for o in raw
        )
        en_names = {o.ident("id"): o.scalar_text("en_name") or o.scalar_text("name") for o in raw}
        record = CategoryAttribute(
            key=name,
            name=entry.scalar_text("label") or name,
            mandatory=entry.count("is_mandatory") == 1,
            input_type=INPUT_TYPES.get(kind, "text"),
            options=options,
        )
        found.append(
            LazadaAttribute(
                record,
                sku_level=entry.scalar_text("attribute_type") == "sku",
                sale_prop=entry.count("is_sale_prop") == 1,
                en_names=en_names,
            )
        )
    return found


def brands_query(start_row: int) -> dict[str, str]:
    return {"startRow": str(start_row), "pageSize": str(BRAND_PAGE), "languageCode": LANGUAGE}


def brands_page(body: Any) -> tuple[list[Brand], int]:
    """The brands of one GetBrandByPages page and ``total_record`` (0 when absent)."""
    data = as_answer(body, PLATFORM).obj("data")
    brands = [
        Brand(b.ident("brand_id"), b.text("name")) for b in data.items("module", optional=True)
    ]
    return brands, data.count("total_record")
