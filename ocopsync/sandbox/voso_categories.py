"""The Voso sandbox's category tree, leaf attributes and brands (ocopsync's own dialect).

NOT VOSO'S: Voso publishes no API (shared/platforms/voso.md), so the tree, the attribute
ids and the brands are ours, shaped after what marketplaces ask a seller for (a leaf
only takes a listing; some leaves require attributes, e.g. the alcohol content of a
rice wine, the registration number of a health supplement, the material of a garment
or a ceramic). The leaves the sandbox's ``category_map`` names (10452, 10461, 10477,
10503, 10528) take only optional attributes, so a create that sends none keeps working;
the mandatory ones sit on their siblings. :func:`attribute_problem` is the one check a
create and a content update both go through; it answers ``(code, message)``.
"""

from __future__ import annotations

from typing import Any

from ocopsync.sandbox import dialect_categories
from ocopsync.sandbox.dialect_categories import AttributeRules, flat_tree

Node = tuple[int, str, tuple[Any, ...]]
"""``(category_id, Vietnamese name, children)``; no children: a leaf."""

TREE: tuple[Node, ...] = (
    (10400, "Thực phẩm", (
        (10450, "Đặc sản vùng miền", (
            (10452, "Đặc sản khô, sấy", ()),
            (10453, "Bánh kẹo truyền thống", ()),
            (10454, "Nước mắm, gia vị", ()),
        )),
        (10455, "Gạo, nông sản", ()),
        (10456, "Mật ong", ()),
    )),
    (10460, "Đồ uống", (
        (10461, "Trà, cà phê", ()),
        (10462, "Rượu đặc sản", ()),
        (10463, "Nước ép, nước trái cây", ()),
    )),
    (10470, "Sức khỏe", (
        (10477, "Dược liệu, thảo mộc", ()),
        (10478, "Thực phẩm bảo vệ sức khỏe", ()),
        (10479, "Tinh dầu", ()),
    )),
    (10500, "Thời trang", (
        (10503, "Vải, thổ cẩm", ()),
        (10504, "Áo dài, trang phục truyền thống", ()),
    )),
    (10520, "Nhà cửa & Đời sống", (
        (10525, "Thủ công mỹ nghệ", (
            (10528, "Mây tre đan", ()),
            (10529, "Gốm sứ", ()),
            (10530, "Sơn mài, đồ gỗ", ()),
        )),
    )),
)  # fmt: skip

Attribute = dict[str, Any]


def _attribute(
    attribute_id: int,
    name: str,
    input_type: str,
    *,
    required: bool = False,
    unit: str | None = None,
    values: tuple[tuple[int, str], ...] = (),
) -> Attribute:
    return {
        "attribute_id": attribute_id,
        "name": name,
        "is_required": required,
        "input_type": input_type,
        "unit": unit,
        "values": [{"value_id": v, "name": n} for v, n in values],
    }


STARS = ((1003, "3 sao"), (1004, "4 sao"), (1005, "5 sao"))
COMMON = (
    _attribute(10001, "Xuất xứ", "TEXT"),
    _attribute(10002, "Xếp hạng OCOP", "SINGLE_SELECT", values=STARS),
)
MATERIAL_CLOTH = ((2101, "Lụa tơ tằm"), (2102, "Cotton"), (2103, "Thổ cẩm"), (2104, "Lanh"))
MATERIAL_CERAMIC = ((2201, "Gốm đất nung"), (2202, "Sứ"), (2203, "Gốm men rạn"))
OWN: dict[int, tuple[Attribute, ...]] = {
    10452: (_attribute(10010, "Khối lượng tịnh", "INTEGER", unit="g"),),
    10461: (_attribute(10010, "Khối lượng tịnh", "INTEGER", unit="g"),),
    10462: (
        _attribute(20011, "Nồng độ cồn", "DECIMAL", required=True, unit="%"),
        _attribute(20012, "Dung tích", "INTEGER", required=True, unit="ml"),
    ),
    10478: (_attribute(20021, "Số đăng ký công bố", "TEXT", required=True),),
    10504: (
        _attribute(20031, "Chất liệu", "SINGLE_SELECT", required=True, values=MATERIAL_CLOTH),
        _attribute(
            20032, "Kích cỡ", "MULTI_SELECT", values=((2111, "S"), (2112, "M"), (2113, "L"))
        ),
    ),
    10529: (
        _attribute(20041, "Chất liệu", "SINGLE_SELECT", required=True, values=MATERIAL_CERAMIC),
        _attribute(20042, "Ngày sản xuất", "DATE"),
    ),
}
BRANDS: dict[int, tuple[tuple[int, str], ...]] = {
    10461: (
        (501, "Trà Tân Cương"),
        (502, "Cà phê Buôn Ma Thuột"),
        (503, "Trà Shan tuyết Hà Giang"),
    ),
    10462: ((511, "Rượu Bàu Đá"), (512, "Rượu Làng Vân"), (513, "Rượu San Lùng")),
    10529: ((521, "Gốm Bát Tràng"), (522, "Gốm Chu Đậu"), (523, "Gốm Bàu Trúc")),
    10454: ((531, "Nước mắm Phú Quốc"), (532, "Nước mắm Cát Hải")),
}


def category_list() -> list[dict[str, Any]]:
    """The tree, flat and parents first: what ``GET /v1/categories`` answers as ``data``."""
    return flat_tree(TREE, "category_id")


LEAVES = frozenset(c["category_id"] for c in category_list() if c["is_leaf"])
KNOWN = frozenset(c["category_id"] for c in category_list())


def attributes_of(category_id: int) -> list[Attribute]:
    return [*COMMON, *OWN.get(category_id, ())]


def brands_of(category_id: int) -> list[dict[str, Any]]:
    return [{"brand_id": b, "name": n} for b, n in BRANDS.get(category_id, ())]


RULES = AttributeRules(
    key="attribute_id",
    key_type=int,
    required="is_required",
    input_type="input_type",
    selects=("SINGLE_SELECT", "MULTI_SELECT"),
    integer="INTEGER",
    decimal="DECIMAL",
    options="values",
    option_id="value_id",
    chosen="value_id",
    shape_code="VALIDATION_ERROR",
    shape_message="attributes must be a list of objects",
    invalid_code="INVALID_ATTRIBUTE",
    required_code="ATTRIBUTE_REQUIRED",
    unknown="attribute {sent!r} is not one of category {category}",
    not_an_option="attribute {key} ({name}) takes one of its value_id",
    no_value="attribute {key} ({name}) needs a text value",
    not_a_number="attribute {key} ({name}) must be a number",
    missing="attribute {key} ({name}) is required in category {category}",
)
"""Our dialect's attribute fields, codes and messages."""


def attribute_problem(category_id: int, sent: Any) -> tuple[str, str] | None:
    """``(code, message)`` for attributes that do not fit ``category_id``; None if they do.

    ``ATTRIBUTE_REQUIRED`` names the first mandatory attribute missing; an unknown id or
    a value that does not fit is ``INVALID_ATTRIBUTE``. Both are 400s.
    """
    return dialect_categories.attribute_problem(
        RULES, category_id, attributes_of(category_id), sent
    )
