"""The Postmart sandbox's category tree, leaf attributes and brands (ocopsync's own dialect).

NOT POSTMART'S: Postmart publishes no API (shared/platforms/postmart.md), so the codes,
names and attributes are ours, in the style of the site (a farm-produce floor whose
category ids are slugs of their Vietnamese names). Only a leaf takes a product. The
leaves of the sandbox's ``category_map`` (``dac-san-vung-mien``, ``do-uong``,
``duoc-lieu``, ``thoi-trang-det-may``, ``thu-cong-my-nghe``) take only optional
attributes, so creates that send none keep working; mandatory ones sit on their
siblings (fresh fruit's storage, rice wine's alcohol content and volume, a health
supplement's registration number, a garment's or a ceramic's material). Brands exist
for a few leaves; most farm produce is sold under the producer's name (empty list).
:func:`attribute_problem` is the one check a create and a content update go through.
"""

from __future__ import annotations

from typing import Any

from ocopsync.sandbox import dialect_categories
from ocopsync.sandbox.dialect_categories import AttributeRules, flat_tree

Node = tuple[str, str, tuple[Any, ...]]
"""``(code, Vietnamese name, children)``; no children: a leaf."""

TREE: tuple[Node, ...] = (
    ("nong-san-thuc-pham", "Nông sản, thực phẩm", (
        ("dac-san-vung-mien", "Đặc sản vùng miền", ()),
        ("gao-ngu-coc", "Gạo, ngũ cốc", ()),
        ("trai-cay-tuoi", "Trái cây tươi", ()),
        ("mat-ong", "Mật ong", ()),
    )),
    ("thuc-uong", "Thức uống", (
        ("do-uong", "Trà, cà phê, đồ uống không cồn", ()),
        ("ruou-dac-san", "Rượu đặc sản", ()),
    )),
    ("suc-khoe-duoc-lieu", "Sức khỏe, dược liệu", (
        ("duoc-lieu", "Dược liệu, thảo mộc", ()),
        ("thuc-pham-chuc-nang", "Thực phẩm bảo vệ sức khỏe", ()),
    )),
    ("thoi-trang", "Thời trang", (
        ("thoi-trang-det-may", "Dệt may, thổ cẩm", ()),
        ("trang-phuc-truyen-thong", "Trang phục truyền thống", ()),
    )),
    ("do-dung-gia-dinh", "Đồ dùng gia đình", (
        ("thu-cong-my-nghe", "Thủ công mỹ nghệ", ()),
        ("gom-su", "Gốm sứ", ()),
    )),
)  # fmt: skip

Attribute = dict[str, Any]


def _attribute(
    code: str,
    name: str,
    kind: str,
    *,
    required: bool = False,
    unit: str = "",
    options: tuple[tuple[int, str], ...] = (),
) -> Attribute:
    return {
        "code": code,
        "name": name,
        "type": kind,
        "required": required,
        "unit": unit,
        "options": [{"id": i, "label": label} for i, label in options],
    }


STARS = ((3, "3 sao"), (4, "4 sao"), (5, "5 sao"))
COMMON = (
    _attribute("xuat-xu", "Xuất xứ", "text"),
    _attribute("hang-sao-ocop", "Xếp hạng OCOP", "select", options=STARS),
)
OWN: dict[str, tuple[Attribute, ...]] = {
    "trai-cay-tuoi": (
        _attribute(
            "bao-quan",
            "Cách bảo quản",
            "select",
            required=True,
            options=((31, "Nhiệt độ thường"), (32, "Ngăn mát"), (33, "Đông lạnh")),
        ),
    ),
    "ruou-dac-san": (
        _attribute("nong-do-con", "Nồng độ cồn", "decimal", required=True, unit="%"),
        _attribute("dung-tich", "Dung tích", "integer", required=True, unit="ml"),
    ),
    "thuc-pham-chuc-nang": (_attribute("so-cong-bo", "Số công bố", "text", required=True),),
    "trang-phuc-truyen-thong": (
        _attribute(
            "chat-lieu",
            "Chất liệu",
            "select",
            required=True,
            options=((41, "Lụa tơ tằm"), (42, "Thổ cẩm"), (43, "Cotton")),
        ),
    ),
    "gom-su": (
        _attribute(
            "chat-lieu",
            "Chất liệu",
            "select",
            required=True,
            options=((51, "Gốm đất nung"), (52, "Sứ"), (53, "Gốm men")),
        ),
        _attribute("ngay-san-xuat", "Ngày sản xuất", "date"),
    ),
    "do-uong": (_attribute("khoi-luong", "Khối lượng tịnh", "integer", unit="g"),),
}
BRANDS: dict[str, tuple[tuple[int, str], ...]] = {
    "ruou-dac-san": ((701, "Rượu Bàu Đá"), (702, "Rượu Làng Vân"), (703, "Rượu Kim Sơn")),
    "do-uong": ((711, "Trà Thái Nguyên"), (712, "Cà phê Cầu Đất")),
    "gom-su": ((721, "Gốm Bát Tràng"), (722, "Gốm Phù Lãng")),
}


def category_list() -> list[dict[str, Any]]:
    """The tree, flat and parents first, as ``data.items`` of the categories call."""
    return flat_tree(TREE, "id")


LEAVES = frozenset(c["id"] for c in category_list() if c["is_leaf"])
KNOWN = frozenset(c["id"] for c in category_list())


def attributes_of(code: str) -> list[Attribute]:
    return [*COMMON, *OWN.get(code, ())]


def brands_of(code: str) -> list[dict[str, Any]]:
    return [{"id": i, "name": n} for i, n in BRANDS.get(code, ())]


RULES = AttributeRules(
    key="code",
    key_type=str,
    required="required",
    input_type="type",
    selects=("select", "multi_select"),
    integer="integer",
    decimal="decimal",
    options="options",
    option_id="id",
    chosen="option_id",
    shape_code="validation_failed",
    shape_message="attributes: expected a list of objects",
    invalid_code="validation_failed",
    required_code="attribute_required",
    unknown="attributes: {sent!r} is not in {category}",
    not_an_option="attributes.{key}: option_id must be one of the attribute's options",
    no_value="attributes.{key}: a value is required",
    not_a_number="attributes.{key}: expected a number",
    missing="attributes.{key} ({name}) is required in category {category}",
)
"""Our dialect's attribute fields, codes and messages."""


def attribute_problem(code: str, sent: Any) -> tuple[str, str] | None:
    """``(error code, message)`` when ``sent`` does not fit category ``code``, else None.

    A mandatory attribute left out is ``attribute_required``; anything else that does
    not fit is ``validation_failed``. Both are 422s.
    """
    return dialect_categories.attribute_problem(RULES, code, attributes_of(code), sent)
