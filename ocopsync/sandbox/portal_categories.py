"""The portal sandbox's category tree: the OCOP product groups and their subgroups.

A provincial portal lists every certified product whatever it is, so its tree is the
OCOP classification itself rather than a marketplace's: the top nodes are the five
shippable OCOP groups under the ids the portal's ``group`` field already takes (``food``,
``beverage``, ``herbal``, ``textile``, ``handicraft``; community tourism services are
not goods and are left out), and the leaves are subgroups after the national
classification (Decision 490/QĐ-TTg of 2018 names the groups and their kinds, e.g.
"Đồ uống có cồn, đồ uống không cồn"; the 1048/QĐ-TTg criteria split food into fresh,
raw or pre-processed, and processed: both as reproduced on tailieuluat.com and
brandsvip.com.vn). The subgroup ids (``beverage-alcohol``...) and the attributes are our
choice. A product filed under a group alone is accepted (the portal has always taken
that); a subgroup files it precisely, and then that subgroup's mandatory attributes
apply: a spirit's alcohol content and production licence, a herbal remedy's
registration number. The portal has no brands. :func:`attribute_problem` is the one
check a create and a content update go through.
"""

from __future__ import annotations

from typing import Any

from ocopsync.sandbox import dialect_categories
from ocopsync.sandbox.dialect_categories import AttributeRules

GROUPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("food", "Thực phẩm", (
        ("food-fresh", "Thực phẩm tươi sống"),
        ("food-raw", "Thực phẩm thô, sơ chế"),
        ("food-processed", "Thực phẩm chế biến"),
    )),
    ("beverage", "Đồ uống", (
        ("beverage-alcohol", "Đồ uống có cồn"),
        ("beverage-soft", "Đồ uống không cồn"),
    )),
    ("herbal", "Thảo dược", (
        ("herbal-medicine", "Thực phẩm chức năng, thuốc dược liệu"),
        ("herbal-cosmetic", "Mỹ phẩm từ thảo dược"),
        ("herbal-other", "Tinh dầu, thảo dược khác"),
    )),
    ("textile", "Vải và may mặc", (
        ("textile-garment", "Vải, may mặc"),
    )),
    ("handicraft", "Lưu niệm, nội thất, trang trí", (
        ("handicraft-wood", "Đồ gỗ"),
        ("handicraft-rattan", "Mây tre đan, cói"),
        ("handicraft-ceramic", "Gốm sứ, thủy tinh"),
    )),
)  # fmt: skip

Attribute = dict[str, Any]


def _attribute(
    key: str,
    name: str,
    kind: str,
    *,
    required: bool = False,
    unit: str = "",
    options: tuple[tuple[str, str], ...] = (),
) -> Attribute:
    return {
        "key": key,
        "name": name,
        "type": kind,
        "required": required,
        "unit": unit,
        "options": [{"id": i, "name": n} for i, n in options],
    }


COMMON = (
    _attribute("xuat_xu", "Xuất xứ", "text"),
    _attribute("so_quyet_dinh_ocop", "Số quyết định công nhận OCOP", "text"),
)
CLOTH = (("lua", "Lụa"), ("tho-cam", "Thổ cẩm"), ("cotton", "Cotton"))
CERAMIC = (("gom", "Gốm"), ("su", "Sứ"), ("thuy-tinh", "Thủy tinh"))
OWN: dict[str, tuple[Attribute, ...]] = {
    "beverage-alcohol": (
        _attribute("nong_do_con", "Nồng độ cồn", "decimal", required=True, unit="%"),
        _attribute("giay_phep_san_xuat", "Giấy phép sản xuất rượu", "text", required=True),
    ),
    "herbal-medicine": (_attribute("so_cong_bo", "Số công bố", "text", required=True),),
    "herbal-cosmetic": (_attribute("so_cong_bo", "Số phiếu công bố", "text", required=True),),
    "textile-garment": (_attribute("chat_lieu", "Chất liệu", "select", options=CLOTH),),
    "handicraft-ceramic": (
        _attribute("chat_lieu", "Chất liệu", "select", required=True, options=CERAMIC),
    ),
}


def category_list() -> list[dict[str, Any]]:
    """Groups, each followed by its subgroups: the ``items`` of ``GET /api/v1/categories``."""
    found: list[dict[str, Any]] = []
    for group, name, subgroups in GROUPS:
        found.append({"id": group, "parent_id": None, "name": name, "leaf": False})
        found += [{"id": s, "parent_id": group, "name": n, "leaf": True} for s, n in subgroups]
    return found


GROUP_OF = {c["id"]: c["parent_id"] or c["id"] for c in category_list()}
"""Every node's group (a group is its own)."""
LEAVES = frozenset(c["id"] for c in category_list() if c["leaf"])


def attributes_of(category_id: str) -> list[Attribute]:
    return [*COMMON, *OWN.get(category_id, ())]


RULES = AttributeRules(
    key="key",
    key_type=str,
    required="required",
    input_type="type",
    selects=("select", "multi_select"),
    integer="integer",
    decimal="decimal",
    options="options",
    option_id="id",
    chosen="option_id",
    shape_code="invalid",
    shape_message="attributes must be a list of objects",
    invalid_code="invalid",
    required_code="attribute_required",
    unknown="attribute {sent!r} does not apply to {category}",
    not_an_option="attribute {key}: option_id must be one of its options",
    no_value="attribute {key}: value is required",
    not_a_number="attribute {key}: must be a number",
    missing="attribute {key} ({name}) is required for {category}",
)
"""Our dialect's attribute fields, codes and messages."""


def attribute_problem(category_id: str, sent: Any) -> tuple[str, str] | None:
    """``(code, message)`` when ``sent`` does not fit ``category_id``; None when it does.

    A mandatory attribute left out is ``attribute_required``, anything else ``invalid``
    (both 422, as every portal refusal of a payload).
    """
    return dialect_categories.attribute_problem(
        RULES, category_id, attributes_of(category_id), sent
    )
