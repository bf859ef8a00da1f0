"""The Lazada sandbox's categories: the tree (GetCategoryTree) and each leaf's attributes
(GetCategoryAttributes), as the real gateway answers them.

Shapes from Lazada's API pages as copied in the public repository
lazykern/ecommerce-api-docs (``data/raw/lazada/apis/product-api/getcategorytree.json``,
``getcategoryattributes.json``) and its guide
``data/processed/lazada/guides/api-best-practice/product-operation/product-management/get-category-attributes.md``:

- ``/category/tree/get`` (no access token, optional ``language_code``): ``data`` is the
  list of top categories, each with ``category_id``, ``name``, ``leaf`` (only a leaf
  takes a product), ``var`` and, above a leaf, ``children``;
- ``/category/attributes/get`` (no access token, ``primary_category_id``, optional
  ``language_code``): ``data`` is a list of ``{id, name, label, is_mandatory (0/1),
  attribute_type ("normal": goes in ``Attributes``; "sku": in each ``Sku``),
  input_type (text, richText, numeric, date, img, singleSelect, multiSelect,
  enumInput, multiEnumInput), is_sale_prop (0/1), options [{id, name, en_name}],
  advanced {is_key_prop}}``. A create sends an option's ``en_name`` (the guide: "if you
  need to fill in the enumeration when creating a product please use the value of this
  field"). Errors: an unknown category is ``4227`` "Query category is null"; a category
  without attributes ``57``.

Ours: the tree is a small part of a marketplace tree for the OCOP groups, with
Vietnamese names and made-up ids (the leaves of
:data:`ocopsync.sandbox.lazada.CATEGORY_MAP` are leaves here), and the attributes are
realistic for Vietnamese food, drinks, herbs, cloth and crafts. Labels are Vietnamese
whatever ``language_code`` asks for. A parent category answers ``57`` (real Lazada's
answer for a parent is NF). Which attribute is mandatory where is our choice: brand and
name everywhere (as on Lazada), origin (``country_origin``, "Xuất xứ") for what is
eaten or drunk, shelf life for honey, alcohol content for traditional spirits,
material for traditional dress and rattan/bamboo work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Node = tuple[int, str, bool, tuple[Any, ...]]
"""``(category_id, Vietnamese name, var, children)``."""

TREE: tuple[Node, ...] = (
    (10000300, "Thực phẩm & Đồ uống", False, (
        (10000330, "Thực phẩm khô & Đặc sản", False, (
            (10000339, "Đặc sản vùng miền", True, ()),
            (10000340, "Gạo & Ngũ cốc", True, ()),
            (10000341, "Mật ong", True, ()),
        )),
        (10000331, "Đồ uống", False, (
            (10000342, "Trà", True, ()),
            (10000343, "Cà phê", True, ()),
            (10000344, "Rượu truyền thống", True, ()),
        )),
    )),
    (10000360, "Sức khỏe & Làm đẹp", False, (
        (10000365, "Thực phẩm chức năng", False, (
            (10000366, "Thảo dược", True, ()),
            (10000367, "Tinh dầu", True, ()),
        )),
    )),
    (10000460, "Thời trang", False, (
        (10000467, "Vải, lụa & Thổ cẩm", True, ()),
        (10000468, "Áo dài & Trang phục truyền thống", True, ()),
    )),
    (10000540, "Nhà cửa & Đời sống", False, (
        (10000544, "Đồ thủ công mỹ nghệ", True, ()),
        (10000545, "Mây tre đan", True, ()),
        (10000546, "Gốm sứ", True, ()),
    )),
)  # fmt: skip


def _leaves(nodes: tuple[Node, ...]) -> list[int]:
    found: list[int] = []
    for category_id, _name, _var, children in nodes:
        found.extend(_leaves(children) if children else [category_id])
    return found


def _parents(nodes: tuple[Node, ...]) -> list[int]:
    found: list[int] = []
    for category_id, _name, _var, children in nodes:
        if children:
            found += [category_id, *_parents(children)]
    return found


LEAVES = frozenset(_leaves(TREE))
PARENTS = frozenset(_parents(TREE))


def category_tree() -> list[dict[str, Any]]:
    """The tree as ``data``: nested, ``children`` only above a leaf."""

    def render(node: Node) -> dict[str, Any]:
        category_id, name, var, children = node
        shown: dict[str, Any] = {
            "category_id": category_id,
            "name": name,
            "leaf": not children,
            "var": var,
        }
        if children:
            shown["children"] = [render(c) for c in children]
        return shown

    return [render(n) for n in TREE]


# -- attributes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """One category attribute as the sandbox knows it (and checks a create against)."""

    attr_id: int
    name: str
    label: str
    input_type: str
    attribute_type: str = "normal"
    mandatory: bool = False
    sale_prop: bool = False
    key_prop: bool = False
    options: tuple[tuple[int, str, str], ...] = ()
    """``(id, Vietnamese name, en_name)``: what a select allows."""

    @property
    def closed(self) -> bool:
        """True when only an option may be sent (singleSelect/multiSelect, §guide)."""
        return self.input_type in ("singleSelect", "multiSelect") and bool(self.options)

    def render(self) -> dict[str, Any]:
        return {
            "advanced": {"is_key_prop": int(self.key_prop)},
            "is_sale_prop": int(self.sale_prop),
            "name": self.name,
            "input_type": self.input_type,
            "options": [{"name": n, "en_name": en, "id": i} for i, n, en in self.options],
            "is_mandatory": int(self.mandatory),
            "attribute_type": self.attribute_type,
            "label": self.label,
            "id": self.attr_id,
        }


ORIGINS = (
    (1001, "Việt Nam", "Vietnam"),
    (1002, "Thái Lan", "Thailand"),
    (1003, "Trung Quốc", "China"),
    (1004, "Hàn Quốc", "South Korea"),
    (1005, "Nhật Bản", "Japan"),
)
SHELF_LIFE = (
    (2001, "3 tháng", "3 Months"),
    (2002, "6 tháng", "6 Months"),
    (2003, "12 tháng", "12 Months"),
    (2004, "18 tháng", "18 Months"),
    (2005, "24 tháng", "24 Months"),
    (2006, "36 tháng", "36 Months"),
)
MATERIALS = (
    (3001, "Lụa tơ tằm", "Silk"),
    (3002, "Cotton", "Cotton"),
    (3003, "Thổ cẩm", "Brocade"),
    (3004, "Lanh", "Linen"),
    (3005, "Mây", "Rattan"),
    (3006, "Tre", "Bamboo"),
    (3007, "Cói", "Sedge"),
    (3008, "Gốm", "Ceramic"),
    (3009, "Gỗ", "Wood"),
)
SIZES = ((4001, "S", "S"), (4002, "M", "M"), (4003, "L", "L"), (4004, "XL", "XL"))

# The attributes every leaf has (ids from the guide's sample where it shows them).
COMMON = (
    Attr(100005571, "name", "Tên sản phẩm", "text", mandatory=True),
    Attr(100005530, "description", "Mô tả chi tiết", "richText"),
    Attr(100005505, "short_description", "Mô tả ngắn", "richText"),
    Attr(20000, "brand", "Thương hiệu", "singleSelect", mandatory=True),
    Attr(100005650, "model", "Mẫu mã", "text"),
    Attr(40000, "__images__", "Hình ảnh", "img", "sku"),
    Attr(100005496, "package_content", "Trong hộp có gì", "text", "sku"),
    Attr(100006711, "package_weight", "Cân nặng gói hàng (kg)", "numeric", "sku", True),
    Attr(100006712, "package_length", "Chiều dài gói hàng (cm)", "numeric", "sku", True),
    Attr(100006713, "package_width", "Chiều rộng gói hàng (cm)", "numeric", "sku", True),
    Attr(100006714, "package_height", "Chiều cao gói hàng (cm)", "numeric", "sku", True),
    Attr(100005701, "price", "Giá", "numeric", "sku", True),
    Attr(100005702, "special_price", "Giá khuyến mãi", "numeric", "sku"),
    Attr(100005703, "quantity", "Số lượng", "numeric", "sku", True),
    Attr(100005704, "SellerSku", "SKU người bán", "text", "sku", True),
)


def _origin(mandatory: bool) -> Attr:
    return Attr(
        100006411, "country_origin", "Xuất xứ", "singleSelect", mandatory=mandatory,
        key_prop=True, options=ORIGINS,
    )  # fmt: skip


def _shelf_life(mandatory: bool) -> Attr:
    return Attr(
        100006412, "shelf_life", "Hạn sử dụng", "singleSelect", mandatory=mandatory,
        options=SHELF_LIFE,
    )  # fmt: skip


def _material(mandatory: bool) -> Attr:
    return Attr(
        100006413, "material", "Chất liệu", "singleSelect", mandatory=mandatory,
        key_prop=True, options=MATERIALS,
    )  # fmt: skip


NET_WEIGHT = Attr(100006414, "net_weight", "Khối lượng tịnh (g)", "numeric")
ALCOHOL = Attr(100006415, "alcohol_content", "Nồng độ cồn (%)", "numeric", mandatory=True)
SIZE = Attr(100005682, "size", "Kích cỡ", "multiEnumInput", "sku", sale_prop=True, options=SIZES)

FOOD = (_origin(True), _shelf_life(False), NET_WEIGHT)
BY_LEAF: dict[int, tuple[Attr, ...]] = {
    10000339: FOOD,
    10000340: FOOD,
    10000341: (_origin(True), _shelf_life(True), NET_WEIGHT),
    10000342: FOOD,
    10000343: FOOD,
    10000344: (_origin(True), _shelf_life(False), NET_WEIGHT, ALCOHOL),
    10000366: FOOD,
    10000367: (_origin(False), NET_WEIGHT),
    10000467: (_origin(False), _material(False), SIZE),
    10000468: (_origin(False), _material(True), SIZE),
    10000544: (_origin(False), _material(False)),
    10000545: (_origin(False), _material(True)),
    10000546: (_origin(False), _material(False)),
}


def attributes_of(category_id: int) -> tuple[Attr, ...]:
    """Every attribute of a leaf (empty for anything else)."""
    if category_id not in LEAVES:
        return ()
    return COMMON + BY_LEAF.get(category_id, ())
