"""What the Shopee sandbox's leaf categories take: attributes, brands, limits, channels.

Answer shapes, from the official per-API specs stored in the public repository
congminh1254/shopee-sdk (``schemas/v2.<module>.<api>.json``):

- ``v2.product.get_attribute_tree`` (Shop API, GET): ``category_id_list`` (int[], at
  most 20; the spec's own request sample spells it ``category_ids=1234,5678``, so both
  are read), optional ``language`` (VN: ``vn`` or ``en``). Answers
  ``response.list[]{category_id, attribute_tree[]}``; each attribute has
  ``attribute_id``, ``mandatory``, ``name``, ``multi_lang[]{language, value}``,
  ``attribute_info{input_type, input_validation_type, format_type, date_format_type,
  attribute_unit_list, max_value_count}`` and ``attribute_value_list[]{value_id, name,
  value_unit, multi_lang}``. Enumerations from the spec: input_type 1 SINGLE_DROP_DOWN,
  2 SINGLE_COMBO_BOX, 3 FREE_TEXT_FILED, 4 MULTI_DROP_DOWN, 5 MULTI_COMBO_BOX;
  input_validation_type 0 none, 1 int, 2 string, 3 float, 4 date; format_type 1 normal,
  2 quantitative with unit. Unknown category: ``error_invalid_category`` "Invalid
  category ID {id}".
- ``v2.product.get_attributes`` (older; pyshopee2's ``get_attributes(category_id,
  language)`` calls it): not in the stored spec dump. Its answer,
  ``response.attribute_list[]{attribute_id, original_attribute_name,
  display_attribute_name, is_mandatory, input_validation_type, format_type,
  date_format_type, input_type, attribute_unit, attribute_value_list[]{value_id,
  original_value_name, display_value_name, value_unit}}``, with the text enumerations
  ``DROP_DOWN``/``COMBO_BOX``/``TEXT_FILED``/``MULTIPLE_SELECT``/
  ``MULTIPLE_SELECT_COMBO_BOX``, ``INT_TYPE``/``STRING_TYPE``/``ENUM_TYPE``/
  ``FLOAT_TYPE``/``DATE_TYPE``, ``NORMAL``/``QUANTITATIVE``, is as the v2 reference page
  described it and as third-party clients read it (field names, e.g.
  ``original_attribute_name`` read from ``attribute_list`` by public ERP code); the
  exact enumeration strings are our reading of that page, not verified here.
- ``v2.product.get_brand_list`` (GET): ``offset`` and ``page_size`` (1..100) and
  ``category_id`` and ``status`` (1 normal, 2 pending; "status is required.") all
  required, optional ``language``. Answers ``brand_list[]{brand_id,
  original_brand_name, display_brand_name}``, ``has_next_page``, ``next_offset``,
  ``is_mandatory``, ``input_type``. "No brand" is brand_id 0 (add_item's ``brand``:
  "Original name of brand (No Brand if not brand)"; the error ``Brand ID value should
  be "0".``).
- ``v2.product.get_item_limit`` (GET, optional ``category_id``): ``price_limit``,
  ``stock_limit``, ``item_name_length_limit``, ``item_image_count_limit``,
  ``item_description_length_limit``, ``tier_variation_name_length_limit``,
  ``tier_variation_option_length_limit`` (each ``{min_limit, max_limit}``),
  ``item_count_limit{max_limit}``, ``weight_limit{weight_mandatory}``,
  ``dimension_limit{dimension_mandatory}``. The values are the spec's samples where
  they fit VND (images 1..9, tier name 14, option 20); name 1..120, description
  1..3000 and price 1,000..120,000,000 VND are our choices.
- ``v2.logistics.get_channel_list`` (GET, no parameter): ``logistics_channel_list[]``
  of ``logistics_channel_id``, ``logistics_channel_name``, ``cod_enabled``,
  ``enabled``, ``fee_type``, ``weight_limit{item_max_weight, item_min_weight}`` (kg),
  ``item_max_dimension{height, width, length, unit}``, ``mask_channel_id``... The
  channel names are the VN carriers; ids are ours.
- add_item's refusals (``v2.product.add_item`` error_list): a mandatory attribute
  missing is ``error_less_required_attribute`` "Mandatory attribute information
  required"; an attribute the category does not take ``error_invalid_category_attribute``
  "Category and attribute not match."; a value_id not among the attribute's values
  ``error_invalid_attribute_value`` "Invalid attribute value."; value_id 0 without a
  name ``error_value_name_required`` "Value_name is required."; a value_id on a free
  text attribute ``error_value_id_must_equal_zero`` "Value_id must equal 0."; a brand
  missing where mandatory ``error_less_required_brand`` "Brand information required";
  a brand the category does not list ``error_invalid_brand`` "Invalid brand". Which
  check comes first is our choice (the order of this list).

The attributes, values and brands are ours (Vietnamese names, made-up ids). Our choice:
the leaves that :data:`.shopee_state.CATEGORY_MAP` maps take no mandatory attribute
and no mandatory brand, so a catalog without an ``attributes`` column still lists
there (the demo); their sibling leaves carry the mandatory ones. Where a category's
brand is mandatory, "No brand" (id 0) is not in its list and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Problem = tuple[str, str]

DROP_DOWN, COMBO_BOX, FREE_TEXT, MULTI_DROP_DOWN, MULTI_COMBO_BOX = 1, 2, 3, 4, 5
NO_VALIDATE, INT_TYPE, STRING_TYPE, FLOAT_TYPE, DATE_TYPE = 0, 1, 2, 3, 4
NORMAL, QUANTITATIVE = 1, 2
OLD_INPUT_TYPE = {
    DROP_DOWN: "DROP_DOWN",
    COMBO_BOX: "COMBO_BOX",
    FREE_TEXT: "TEXT_FILED",  # sic, Shopee's spelling
    MULTI_DROP_DOWN: "MULTIPLE_SELECT",
    MULTI_COMBO_BOX: "MULTIPLE_SELECT_COMBO_BOX",
}
OLD_VALIDATION = {
    NO_VALIDATE: "STRING_TYPE",
    INT_TYPE: "INT_TYPE",
    STRING_TYPE: "STRING_TYPE",
    FLOAT_TYPE: "FLOAT_TYPE",
    DATE_TYPE: "DATE_TYPE",
}
MAX_TREE_CATEGORIES = 20
MAX_BRAND_PAGE = 100
NO_BRAND_ID = 0
NO_BRAND_NAME = "No Brand"


@dataclass(frozen=True)
class Attribute:
    attribute_id: int
    name_vi: str
    name_en: str
    input_type: int
    validation: int = STRING_TYPE
    format_type: int = NORMAL
    units: tuple[str, ...] = ()
    values: tuple[tuple[int, str, str], ...] = ()
    """``(value_id, Vietnamese, English)``."""

    @property
    def takes_values(self) -> bool:
        return self.input_type != FREE_TEXT

    @property
    def custom_allowed(self) -> bool:
        return self.input_type in (COMBO_BOX, MULTI_COMBO_BOX, FREE_TEXT)

    @property
    def multiple(self) -> bool:
        return self.input_type in (MULTI_DROP_DOWN, MULTI_COMBO_BOX)


ORIGIN = Attribute(
    100134, "Xuất xứ", "Country of Origin", DROP_DOWN,
    values=(
        (1001, "Việt Nam", "Vietnam"), (1002, "Trung Quốc", "China"),
        (1003, "Thái Lan", "Thailand"), (1004, "Nhật Bản", "Japan"),
        (1005, "Hàn Quốc", "South Korea"),
    ),
)  # fmt: skip
SHELF_LIFE = Attribute(
    100095, "Hạn sử dụng", "Shelf Life", DROP_DOWN,
    values=(
        (2001, "1 tháng", "1 Month"), (2002, "3 tháng", "3 Months"),
        (2003, "6 tháng", "6 Months"), (2004, "12 tháng", "12 Months"),
        (2005, "24 tháng", "24 Months"),
    ),
)  # fmt: skip
WEIGHT = Attribute(
    100010, "Khối lượng", "Weight", FREE_TEXT, FLOAT_TYPE, QUANTITATIVE, units=("g", "kg")
)
VOLUME = Attribute(
    100011, "Dung tích", "Volume", FREE_TEXT, FLOAT_TYPE, QUANTITATIVE, units=("ml", "l")
)
EXPIRY_DATE = Attribute(100096, "Ngày hết hạn", "Expiry Date", FREE_TEXT, DATE_TYPE)
TEA_TYPE = Attribute(
    100999, "Loại trà", "Tea Type", COMBO_BOX,
    values=(
        (3001, "Trà xanh", "Green Tea"), (3002, "Trà đen", "Black Tea"),
        (3003, "Trà ô long", "Oolong Tea"), (3004, "Trà hoa", "Flower Tea"),
        (3005, "Trà thảo mộc", "Herbal Tea"),
    ),
)  # fmt: skip
COFFEE_TYPE = Attribute(
    101000, "Loại cà phê", "Coffee Type", DROP_DOWN,
    values=(
        (3101, "Robusta", "Robusta"), (3102, "Arabica", "Arabica"),
        (3103, "Culi", "Peaberry"), (3104, "Hỗn hợp", "Blend"),
    ),
)  # fmt: skip
PRODUCT_FORM = Attribute(
    101100, "Dạng sản phẩm", "Product Form", DROP_DOWN,
    values=(
        (3201, "Viên", "Capsule"), (3202, "Bột", "Powder"), (3203, "Cao", "Extract"),
        (3204, "Trà túi lọc", "Tea Bag"), (3205, "Dược liệu khô", "Dried Herb"),
    ),
)  # fmt: skip
FABRIC = Attribute(
    100200, "Chất liệu", "Material", MULTI_COMBO_BOX,
    values=(
        (4001, "Lụa", "Silk"), (4002, "Cotton", "Cotton"), (4003, "Lanh", "Linen"),
        (4004, "Thổ cẩm", "Brocade"), (4005, "Tơ tằm", "Mulberry Silk"),
    ),
)  # fmt: skip
CRAFT_MATERIAL = Attribute(
    100201, "Chất liệu", "Material", MULTI_DROP_DOWN,
    values=(
        (4101, "Mây", "Rattan"), (4102, "Tre", "Bamboo"), (4103, "Gỗ", "Wood"),
        (4104, "Gốm", "Ceramic"), (4105, "Cói", "Sedge"),
    ),
)  # fmt: skip

ATTRIBUTES: dict[int, tuple[tuple[Attribute, bool], ...]] = {
    # leaf -> ((attribute, mandatory), ...); the mapped leaves first of each group.
    100629: ((ORIGIN, False), (SHELF_LIFE, False), (WEIGHT, False), (EXPIRY_DATE, False)),
    100630: ((ORIGIN, True), (WEIGHT, True), (SHELF_LIFE, False)),
    100631: ((ORIGIN, True), (SHELF_LIFE, True), (WEIGHT, False)),
    100632: ((ORIGIN, True), (VOLUME, False), (SHELF_LIFE, False)),
    100860: ((TEA_TYPE, False), (ORIGIN, False), (SHELF_LIFE, False), (WEIGHT, False)),
    100861: ((COFFEE_TYPE, True), (ORIGIN, True), (WEIGHT, False)),
    100862: ((SHELF_LIFE, True), (VOLUME, False)),
    101011: ((PRODUCT_FORM, False), (ORIGIN, False), (SHELF_LIFE, False)),
    101012: ((ORIGIN, True), (VOLUME, True)),
    100348: ((FABRIC, False), (ORIGIN, False)),
    100349: ((FABRIC, True), (ORIGIN, False)),
    101186: ((CRAFT_MATERIAL, False), (ORIGIN, False)),
    101187: ((CRAFT_MATERIAL, True), (ORIGIN, False)),
    101188: ((ORIGIN, True),),
}
"""Every leaf of :mod:`.shopee_categories` is a key."""

_TEA_BRANDS = (
    "Trà Tân Cương Thái Nguyên", "Trà Shan Tuyết Hà Giang", "Trà hoa vàng Ba Chẽ",
    "Trà Bảo Lộc", "Trà sen Tây Hồ", "Trà Mộc Châu",
)  # fmt: skip
_COFFEE_BRANDS = (
    "Cà phê Buôn Ma Thuột", "Cà phê Cầu Đất", "Cà phê Khe Sanh", "Cà phê Sơn La",
    "Cà phê Di Linh", "Cà phê Ea H'leo", "Cà phê Krông Pắc",
)  # fmt: skip
BRAND_NAMES: dict[int, tuple[str, ...]] = {
    100629: ("Đặc sản Ba Miền", "Mứt Tết Hà Nội", "Khô Cà Mau"),
    100630: ("Gạo ST25 Sóc Trăng", "Gạo Điện Biên", "Gạo Tám Xoan Hải Hậu"),
    100631: ("Mật ong Hoa Cà Phê", "Mật ong rừng U Minh", "Mật ong Bạc Hà Hà Giang"),
    100632: ("Nước mắm Phú Quốc", "Nước mắm Cát Hải", "Nước mắm Nam Ô"),
    100860: _TEA_BRANDS,
    100861: _COFFEE_BRANDS,
    100862: ("Nước cốt chanh leo Gia Lai",),
    101011: ("Dược liệu Sa Pa", "Sâm Ngọc Linh"),
    101012: ("Tinh dầu Tràm Huế", "Tinh dầu Quế Trà My"),
    100348: ("Áo dài Huế", "Lụa Vạn Phúc"),
    100349: ("Lụa Vạn Phúc", "Thổ cẩm Mai Châu", "Lụa Tân Châu"),
    101186: ("Sơn mài Tương Bình Hiệp", "Tranh Đông Hồ"),
    101187: ("Mây tre Phú Vinh", "Cói Kim Sơn"),
    101188: ("Gốm Bát Tràng", "Gốm Chu Đậu", "Gốm Bàu Trúc"),
}
BRAND_MANDATORY = frozenset({100861, 101012})
"""Leaves whose brand is mandatory (and which therefore do not list "No brand")."""


def _brand_id(leaf: int, index: int) -> int:
    return 3_000_000 + (leaf % 10_000) * 100 + index


def brands_of(leaf: int) -> list[dict[str, Any]]:
    """The brand list of a leaf, "No brand" first where it is allowed."""
    brands = [
        {"brand_id": _brand_id(leaf, n), "original_brand_name": name, "display_brand_name": name}
        for n, name in enumerate(BRAND_NAMES.get(leaf, ()), start=1)
    ]
    if leaf not in BRAND_MANDATORY:
        no_brand = {"original_brand_name": NO_BRAND_NAME, "display_brand_name": "No brand"}
        brands.insert(0, {"brand_id": NO_BRAND_ID, **no_brand})
    return brands


def brand_page(leaf: int, offset: int, size: int) -> dict[str, Any]:
    brands = brands_of(leaf)
    page = brands[offset : offset + size]
    more = offset + size < len(brands)
    return {
        "brand_list": page,
        "has_next_page": more,
        "next_offset": offset + len(page) if more else 0,
        "is_mandatory": leaf in BRAND_MANDATORY,
        "input_type": "DROP_DOWN",
    }


def _english(language: str) -> bool:
    return language.lower().startswith("en")


def tree_attribute(attribute: Attribute, mandatory: bool, language: str) -> dict[str, Any]:
    """One ``attribute_tree`` entry (get_attribute_tree)."""
    english = _english(language)
    values = [
        {
            "value_id": value_id,
            "name": en if english else vi,
            "value_unit": "",
            "child_attribute_list": [],
            "multi_lang": [{"language": "en", "value": en}, {"language": "vi", "value": vi}],
        }
        for value_id, vi, en in attribute.values
    ]
    return {
        "attribute_id": attribute.attribute_id,
        "mandatory": mandatory,
        "name": attribute.name_en if english else attribute.name_vi,
        "attribute_value_list": values,
        "attribute_info": {
            "input_type": attribute.input_type,
            "input_validation_type": attribute.validation,
            "format_type": attribute.format_type,
            "date_format_type": 0,
            "attribute_unit_list": list(attribute.units),
            "max_value_count": len(attribute.values) if attribute.multiple else 1,
        },
        "multi_lang": [
            {"language": "en", "value": attribute.name_en},
            {"language": "vi", "value": attribute.name_vi},
        ],
    }


def attribute_tree(leaves: Sequence[int], language: str) -> dict[str, Any]:
    return {
        "list": [
            {
                "category_id": leaf,
                "attribute_tree": [
                    tree_attribute(a, mandatory, language) for a, mandatory in ATTRIBUTES[leaf]
                ],
            }
            for leaf in leaves
        ]
    }


def old_attribute(attribute: Attribute, mandatory: bool, language: str) -> dict[str, Any]:
    """One ``attribute_list`` entry (the older get_attributes)."""
    english = _english(language)
    return {
        "attribute_id": attribute.attribute_id,
        "original_attribute_name": attribute.name_en,
        "display_attribute_name": attribute.name_en if english else attribute.name_vi,
        "is_mandatory": mandatory,
        "input_validation_type": OLD_VALIDATION[attribute.validation],
        "format_type": "QUANTITATIVE" if attribute.format_type == QUANTITATIVE else "NORMAL",
        "date_format_type": "YEAR_MONTH_DATE",
        "input_type": OLD_INPUT_TYPE[attribute.input_type],
        "attribute_unit": list(attribute.units),
        "attribute_value_list": [
            {
                "value_id": value_id,
                "original_value_name": en,
                "display_value_name": en if english else vi,
                "value_unit": "",
            }
            for value_id, vi, en in attribute.values
        ],
    }


def attribute_list(leaf: int, language: str) -> dict[str, Any]:
    return {"attribute_list": [old_attribute(a, m, language) for a, m in ATTRIBUTES[leaf]]}


# -- get_item_limit ---------------------------------------------------------------------
NAME_LIMIT = (1, 120)
DESCRIPTION_LIMIT = (1, 3000)
IMAGE_LIMIT = (1, 9)
PRICE_LIMIT = (1000, 120_000_000)
STOCK_LIMIT = (0, 999_999)
TIER_NAME_MAX = 14
TIER_OPTION_MAX = 20
MAX_OPTIONS = 20
"""Options of one tier (``error_tier_opt_too_many`` "... larger than 20")."""
MAX_MODELS = 50
"""Models of one item (init_tier_variation: "model number at most 50")."""


def _range(limits: tuple[int, int]) -> dict[str, int]:
    return {"min_limit": limits[0], "max_limit": limits[1]}


def item_limit() -> dict[str, Any]:
    return {
        "price_limit": _range(PRICE_LIMIT),
        "stock_limit": _range(STOCK_LIMIT),
        "item_name_length_limit": _range(NAME_LIMIT),
        "item_image_count_limit": _range(IMAGE_LIMIT),
        "item_description_length_limit": _range(DESCRIPTION_LIMIT),
        "tier_variation_name_length_limit": _range((0, TIER_NAME_MAX)),
        "tier_variation_option_length_limit": _range((0, TIER_OPTION_MAX)),
        "wholesale_price_threshold_percentage": _range((30, 100)),
        "item_count_limit": {"max_limit": 50001},
        "weight_limit": {"weight_mandatory": True},
        "dimension_limit": {"dimension_mandatory": False},
        "size_chart_limit": {"size_chart_mandatory": False},
    }


def content_problem(body: Mapping[str, Any]) -> Problem | None:
    """Name, description and image count against :func:`item_limit` (add/update_item)."""
    name = body.get("item_name")
    if isinstance(name, str) and len(name) > NAME_LIMIT[1]:
        return ("error_name_length_limit", "Exceeded item_name length limitation.")
    if isinstance(name, str) and len(name.strip()) < NAME_LIMIT[0]:
        return ("error_item_name_is_too_short", "Item_name length is less than min limit.")
    description = body.get("description")
    if isinstance(description, str) and len(description) > DESCRIPTION_LIMIT[1]:
        return ("error_param", "Wrong parameters, detail: description is too long.")
    images = (body.get("image") or {}).get("image_id_list") if "image" in body else None
    if isinstance(images, list) and len(images) > IMAGE_LIMIT[1]:
        return ("error_param", "Wrong parameters, detail: at most 9 images.")
    return None


# -- get_channel_list --------------------------------------------------------------------
CHANNELS: tuple[tuple[int, str, bool, bool, float], ...] = (
    (50011, "Giao Hàng Nhanh", True, True, 30.0),
    (50021, "Giao Hàng Tiết Kiệm", True, True, 20.0),
    (50018, "J&T Express", False, True, 50.0),
    (50010, "Viettel Post", False, True, 30.0),
)
"""``(id, name, enabled in the shop, cod, max kg)``; the enabled ones are
:data:`.shopee_state.LOGISTIC_IDS`."""


def channel_list() -> dict[str, Any]:
    return {
        "logistics_channel_list": [
            {
                "logistics_channel_id": channel_id,
                "logistics_channel_name": name,
                "cod_enabled": cod,
                "enabled": enabled,
                "fee_type": "SIZE_INPUT",
                "size_list": [],
                "weight_limit": {"item_max_weight": max_kg, "item_min_weight": 0.01},
                "item_max_dimension": {
                    "height": 150, "width": 150, "length": 150, "unit": "cm", "dimension_sum": 0,
                },
                "volume_limit": {"item_max_volume": 0, "item_min_volume": 0},
                "logistics_description": "",
                "force_enable": False,
                "mask_channel_id": 0,
            }
            for channel_id, name, enabled, cod, max_kg in CHANNELS
        ]
    }  # fmt: skip


# -- add_item / update_item checks -------------------------------------------------------
def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _value_problem(attribute: Attribute, entry: Any) -> Problem | None:
    if not isinstance(entry, dict):
        return ("error_param", "Invalid attribute. attribute_value_list entries are objects")
    value_id = _whole(entry.get("value_id"))
    name = entry.get("original_value_name")
    if value_id is None:
        return ("error_param", "Invalid attribute. value_id is required")
    if not attribute.takes_values:
        if value_id != 0:
            return ("error_value_id_must_equal_zero", "Value_id must equal 0.")
    elif value_id != 0:
        if value_id not in {v[0] for v in attribute.values}:
            return ("error_invalid_attribute_value", "Invalid attribute value.")
        return None
    elif not attribute.custom_allowed:
        return ("error_invalid_attribute_value", "Invalid attribute value.")
    if not isinstance(name, str) or not name.strip():
        return ("error_value_name_required", "Value_name is required.")
    if attribute.validation in (INT_TYPE, FLOAT_TYPE):
        try:
            float(name)
        except ValueError:
            return ("error_invalid_attribute_value", "Invalid attribute value.")
    unit = entry.get("value_unit")
    if attribute.units and unit not in (None, "", *attribute.units):
        # value_unit is optional in add_item's spec ("required": "False"): without
        # one the attribute's first unit is meant (our reading); a unit it lacks is refused.
        return ("error_invalid_attribute_value", "Invalid attribute value.")
    return None


def attribute_problem(leaf: int, attributes: Any, *, creating: bool) -> Problem | None:
    """Why ``attribute_list`` does not fit the leaf (None: it does).

    On update_item an attribute not sent keeps its value, so only a create checks that
    every mandatory one is there."""
    taken = {a.attribute_id: (a, m) for a, m in ATTRIBUTES.get(leaf, ())}
    given: set[int] = set()
    if attributes is None:
        attributes = []
    if not isinstance(attributes, list):
        return ("error_param", "Invalid attribute. attribute_list must be a list")
    for entry in attributes:
        attribute_id = _whole(entry.get("attribute_id")) if isinstance(entry, dict) else None
        if attribute_id is None or attribute_id not in taken:
            return ("error_invalid_category_attribute", "Category and attribute not match.")
        attribute, _mandatory = taken[attribute_id]
        values = entry.get("attribute_value_list")
        if not isinstance(values, list) or not values:
            continue  # an attribute with no value is as good as not sent
        if len(values) > 1 and not attribute.multiple:
            return ("error_param", "Invalid attribute. only one value allowed")
        for value in values:
            problem = _value_problem(attribute, value)
            if problem:
                return problem
        given.add(attribute_id)
    if creating and any(m and a.attribute_id not in given for a, m in taken.values()):
        return ("error_less_required_attribute", "Mandatory attribute information required")
    return None


def brand_problem(leaf: int, brand: Any) -> Problem | None:
    """Why ``brand`` does not fit the leaf (None: it does, or it is optional and absent)."""
    mandatory = leaf in BRAND_MANDATORY
    if brand is None:
        return ("error_less_required_brand", "Brand information required") if mandatory else None
    if not isinstance(brand, dict):
        return ("error_invalid_brand", "Invalid brand")
    brand_id = _whole(brand.get("brand_id"))
    if brand_id is None:
        return ("error_invalid_brand", "Brand ID required")
    if brand_id == NO_BRAND_ID and mandatory:
        return ("error_less_required_brand", "Brand information required")
    if brand_id not in {b["brand_id"] for b in brands_of(leaf)}:
        return ("error_invalid_brand", "Invalid brand")
    return None


def rendered_attributes(leaf: int, attributes: Any) -> list[dict[str, Any]]:
    """get_item_base_info's ``attribute_list`` for what add/update_item stored."""
    taken = {a.attribute_id: (a, m) for a, m in ATTRIBUTES.get(leaf, ())}
    found: list[dict[str, Any]] = []
    for entry in attributes or []:
        if int(entry["attribute_id"]) not in taken:
            continue
        attribute, mandatory = taken[int(entry["attribute_id"])]
        names = {v[0]: v[2] for v in attribute.values}
        values = [
            {
                "value_id": int(v.get("value_id") or 0),
                "original_value_name": names.get(int(v.get("value_id") or 0))
                or str(v.get("original_value_name") or ""),
                "value_unit": str(v.get("value_unit") or ""),
            }
            for v in entry.get("attribute_value_list") or []
        ]
        found.append(
            {
                "attribute_id": attribute.attribute_id,
                "original_attribute_name": attribute.name_en,
                "is_mandatory": mandatory,
                "attribute_value_list": values,
            }
        )
    return found
