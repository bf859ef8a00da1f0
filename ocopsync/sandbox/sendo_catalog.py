"""The Sendo sandbox's categories, category attributes and brands, as Sendo serves them.

Shapes from Sendo's seller help centre ("Kết nối API"):

- ``GET /api/partner/category/{id}`` (0 for the top) answers the children of ``id`` as
  ``result[]`` of ``{id, name, parent_id, level}``; products take a level-4 id
  (``cat_4_id``). A public Node.js client (code search: a Sendo integration that walks
  ``/category/0`` then each child) splits the names of deeper levels on ``|``, so a child's
  ``name`` is its path from the top ("Bách hóa Online|Thực phẩm khô"); we serve that.
- ``GET /api/partner/category/attribute/{cat_4_id}`` (help-seller article 17992424598681,
  "Get attribute - Lấy thông thuộc tính") answers ``result`` = ``{id, name, parent_id, level,
  is_config_variant, is_self_shipping, attribute: [{id, control_type ("CheckBox",
  "ComboBox"), name, is_required, is_checkout, attribute_values: [{id, value,
  is_selected}]}]}``. ``is_checkout`` marks an attribute a buyer picks (what variants
  differ by); ``is_config_variant`` says the category takes products configured by
  attribute set (variants).
- ``GET /api/partner/category/brand/{cat_id}`` (article 17992427930137, "Get brand - Lấy
  thông tin thương hiệu") answers ``result[]`` of ``{external_id, is_required_certificate_file,
  name, senmall_description}``.

Ours (not found): the tree itself, every id (except attribute ids 333 "Xuất xứ", 298
"Kích thước" and 284 "Màu sắc" with colour options 602-604, seen in public clients'
product samples), the ``TextBox`` control type for free text, and which attributes are
required. The level-4 ids mapped by default (:data:`GROUP_CATEGORIES`) take no required
attribute, so a product with none still lists there; their siblings (honey, fish sauce,
rice, coffee, liquor, essential oils, brocade, ceramics) require some, as a cooperative
meets on the real marketplace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMBO, CHECK, TEXT = "ComboBox", "CheckBox", "TextBox"


@dataclass(frozen=True)
class Attr:
    """One attribute of a level-4 category: ``values`` are ``(id, value)`` options."""

    id: int
    name: str
    control_type: str
    required: bool = False
    checkout: bool = False
    values: tuple[tuple[int, str], ...] = ()

    @property
    def code(self) -> str:
        """Sendo's ``attribute_code`` (e.g. ``xuat_xu``), as public clients derive it."""
        return ATTRIBUTE_CODES.get(self.id, f"attribute_{self.id}")


@dataclass(frozen=True)
class Leaf:
    attributes: tuple[Attr, ...] = ()
    brands: tuple[tuple[int, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def config_variant(self) -> bool:
        return any(a.checkout for a in self.attributes)


ORIGINS = ((1418, "Mỹ"), (1420, "Việt Nam"), (1421, "Nhật Bản"), (1422, "Hàn Quốc"))
WEIGHTS = tuple(
    enumerate(("100 g", "200 g", "250 g", "300 g", "500 g", "1 kg", "2 kg", "5 kg"), start=26001)
)
VOLUMES = tuple(enumerate(("100 ml", "250 ml", "300 ml", "500 ml", "750 ml", "1 lít"), start=26101))
COLOURS = ((602, "Nâu"), (603, "Vàng"), (604, "Trắng"), (605, "Đỏ"), (606, "Xanh lá"))
SIZES = ((25212, "2XS"), (25216, "S"), (25217, "M"), (25218, "L"), (25219, "XL"))

ORIGIN = Attr(333, "Xuất xứ", COMBO, values=ORIGINS)
ORIGIN_REQUIRED = Attr(333, "Xuất xứ", COMBO, required=True, values=ORIGINS)
WEIGHT = Attr(1502, "Khối lượng", CHECK, checkout=True, values=WEIGHTS)
VOLUME = Attr(1503, "Dung tích", CHECK, checkout=True, values=VOLUMES)
COLOUR = Attr(284, "Màu sắc", CHECK, checkout=True, values=COLOURS)
SIZE = Attr(298, "Kích thước", CHECK, checkout=True, values=SIZES)
EXPIRY = Attr(1505, "Hạn sử dụng", TEXT)
MATERIAL = ((27001, "Tre"), (27002, "Mây"), (27003, "Lục bình"), (27004, "Gốm"), (27005, "Lụa"))

ATTRIBUTE_CODES = {333: "xuat_xu", 298: "kich_thuoc_1", 284: "mau_sac", 1502: "khoi_luong"}

OCOP_BRANDS = ((0, "No brand"), (90001, "OCOP Việt Nam"))

# (id, name, children); a leaf's children is its Leaf.
Tree = tuple[tuple[int, str, Any], ...]
TREE: Tree = (
    (1, "Bách hóa Online", (
        (11, "Thực phẩm khô", (
            (111, "Đặc sản vùng miền", (
                (1111, "Đồ khô", Leaf((ORIGIN, WEIGHT, EXPIRY), OCOP_BRANDS)),
                (1112, "Mật ong", Leaf((
                    ORIGIN_REQUIRED,
                    Attr(1510, "Loại mật ong", COMBO, required=True, values=(
                        (28001, "Mật ong hoa cà phê"), (28002, "Mật ong bạc hà"),
                        (28003, "Mật ong rừng"), (28004, "Mật ong hoa nhãn"))),
                    VOLUME,
                ), (*OCOP_BRANDS, (90011, "Mật ong Bạc Hà Hà Giang")))),
                (1113, "Nước mắm - Gia vị", Leaf((
                    ORIGIN_REQUIRED,
                    Attr(1511, "Độ đạm", TEXT, required=True),
                    VOLUME,
                ), (*OCOP_BRANDS, (90012, "Nước mắm Phú Quốc")))),
            )),
            (112, "Gạo - Ngũ cốc", (
                (1121, "Gạo đặc sản", Leaf((
                    ORIGIN_REQUIRED,
                    Attr(1512, "Loại gạo", COMBO, required=True, values=(
                        (28101, "Gạo ST25"), (28102, "Gạo nàng thơm"), (28103, "Gạo nếp"))),
                    WEIGHT,
                ), (*OCOP_BRANDS, (90013, "Gạo ST25 Sóc Trăng")))),
            )),
        )),
        (12, "Đồ uống", (
            (121, "Trà - Cà phê", (
                (1211, "Trà", Leaf((
                    Attr(1520, "Loại trà", COMBO, values=(
                        (28201, "Trà xanh"), (28202, "Trà shan tuyết"), (28203, "Trà hoa vàng"))),
                    WEIGHT,
                ), (*OCOP_BRANDS, (90021, "Trà Tân Cương Thái Nguyên")))),
                (1212, "Cà phê", Leaf((
                    ORIGIN_REQUIRED,
                    Attr(1521, "Loại cà phê", COMBO, required=True, values=(
                        (28301, "Robusta"), (28302, "Arabica"), (28303, "Culi"))),
                    WEIGHT,
                ), (*OCOP_BRANDS, (90022, "Cà phê Buôn Ma Thuột")))),
            )),
            (122, "Rượu - Nước ép", (
                (1221, "Rượu đặc sản", Leaf((
                    Attr(1522, "Nồng độ cồn", TEXT, required=True),
                    VOLUME,
                ), (*OCOP_BRANDS, (90023, "Rượu Bàu Đá")))),
            )),
        )),
    )),
    (2, "Sức khỏe", (
        (21, "Chăm sóc sức khỏe", (
            (211, "Thảo dược", (
                (2111, "Dược liệu", Leaf((Attr(1530, "Công dụng", TEXT), WEIGHT), OCOP_BRANDS)),
                (2112, "Tinh dầu", Leaf((ORIGIN_REQUIRED, VOLUME), (
                    *OCOP_BRANDS, (90031, "Tinh dầu tràm Huế")))),
            )),
        )),
    )),
    (3, "Thời trang", (
        (31, "Vải - Lụa", (
            (311, "Lụa tơ tằm", (
                (3111, "Khăn lụa", Leaf((
                    Attr(1540, "Chất liệu", COMBO, values=MATERIAL), COLOUR,
                ), (*OCOP_BRANDS, (90041, "Lụa Vạn Phúc")))),
                (3112, "Thổ cẩm", Leaf((
                    Attr(1540, "Chất liệu", COMBO, required=True, values=MATERIAL), COLOUR, SIZE,
                ), OCOP_BRANDS)),
            )),
        )),
    )),
    (4, "Nhà cửa", (
        (41, "Trang trí", (
            (411, "Thủ công mỹ nghệ", (
                (4111, "Mây tre", Leaf((Attr(1540, "Chất liệu", COMBO, values=MATERIAL),),
                                       OCOP_BRANDS)),
                (4112, "Gốm sứ", Leaf((
                    Attr(1540, "Chất liệu", COMBO, required=True, values=MATERIAL),
                    ORIGIN_REQUIRED, SIZE,
                ), (*OCOP_BRANDS, (90051, "Gốm Bát Tràng")))),
            )),
        )),
    )),
)  # fmt: skip


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    """Its own name; rendered as the path from the top (``A|B``), as Sendo does."""
    path: str
    parent_id: int
    level: int
    leaf: Leaf | None


def _flatten(tree: Tree, parent: Node | None = None) -> dict[int, Node]:
    found: dict[int, Node] = {}
    for cid, name, children in tree:
        level = parent.level + 1 if parent else 1
        path = f"{parent.path}|{name}" if parent else name
        node = Node(cid, name, path, parent.id if parent else 0, level, None)
        if isinstance(children, Leaf):
            found[cid] = Node(cid, name, path, node.parent_id, level, children)
        else:
            found[cid] = node
            found.update(_flatten(children, node))
    return found


CATEGORIES: dict[int, Node] = _flatten(TREE)
CHILDREN: dict[int, list[Node]] = {}
for _node in CATEGORIES.values():
    CHILDREN.setdefault(_node.parent_id, []).append(_node)
GROUP_CATEGORIES = {
    "food": 1111,
    "beverage": 1211,
    "herbal": 2111,
    "textile": 3111,
    "handicraft": 4111,
}
"""The level-4 ids a sandbox connection maps each OCOP group to (no required attribute)."""


def leaf(cat_id: Any) -> Leaf | None:
    """The level-4 category ``cat_id`` takes products in, or None."""
    if isinstance(cat_id, bool) or not isinstance(cat_id, int):
        return None
    node = CATEGORIES.get(cat_id)
    return node.leaf if node and node.level == 4 else None


def children_json(parent: int) -> list[dict[str, Any]]:
    return [
        {"id": n.id, "name": n.path, "parent_id": n.parent_id, "level": n.level}
        for n in CHILDREN.get(parent, [])
    ]


def attributes_json(cat_id: int) -> dict[str, Any] | None:
    """``result`` of ``GET /category/attribute/{cat_id}``; None for an unknown category."""
    node = CATEGORIES.get(cat_id)
    if node is None:
        return None
    found = node.leaf or Leaf()
    return {
        "id": node.id,
        "name": node.name,
        "parent_id": node.parent_id,
        "level": node.level,
        "is_config_variant": found.config_variant,
        "is_self_shipping": False,
        "attribute": [
            {
                "id": a.id,
                "control_type": a.control_type,
                "name": a.name,
                "is_required": a.required,
                "is_checkout": a.checkout,
                "attribute_values": [
                    {"id": vid, "value": value, "is_selected": False} for vid, value in a.values
                ],
            }
            for a in found.attributes
        ],
    }


def brands_json(cat_id: int) -> list[dict[str, Any]] | None:
    """``result`` of ``GET /category/brand/{cat_id}``; None for an unknown category."""
    node = CATEGORIES.get(cat_id)
    if node is None:
        return None
    found = node.leaf or Leaf()
    return [
        {
            "external_id": bid,
            "is_required_certificate_file": False,
            "name": name,
            "senmall_description": "",
        }
        for bid, name in found.brands
    ]
