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


def _value_problem(spec: Attribute, entry: dict[str, Any]) -> str | None:
    if spec["type"] in ("select", "multi_select"):
        if entry.get("option_id") not in [o["id"] for o in spec["options"]]:
            return f"attribute {spec['key']}: option_id must be one of its options"
        return None
    value = entry.get("value")
    if not isinstance(value, str) or not value.strip():
        return f"attribute {spec['key']}: value is required"
    try:
        if spec["type"] == "integer":
            int(value)
        elif spec["type"] == "decimal":
            float(value)
    except ValueError:
        return f"attribute {spec['key']}: must be a number"
    return None


def attribute_problem(category_id: str, sent: Any) -> tuple[str, str] | None:
    """``(code, message)`` when ``sent`` does not fit ``category_id``; None when it does.

    A mandatory attribute left out is ``attribute_required``, anything else ``invalid``
    (both 422, as every portal refusal of a payload).
    """
    entries = [] if sent is None else sent
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return "invalid", "attributes must be a list of objects"
    specs = {a["key"]: a for a in attributes_of(category_id)}
    for entry in entries:
        key = entry.get("key")
        spec = specs.get(key) if isinstance(key, str) else None
        if spec is None:
            return "invalid", f"attribute {entry.get('key')!r} does not apply to {category_id}"
        if problem := _value_problem(spec, entry):
            return "invalid", problem
    given = [e.get("key") for e in entries]
    for spec in specs.values():
        if spec["required"] and spec["key"] not in given:
            message = f"attribute {spec['key']} ({spec['name']}) is required for {category_id}"
            return "attribute_required", message
    return None
