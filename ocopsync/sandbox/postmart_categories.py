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
    found: list[dict[str, Any]] = []

    def walk(nodes: tuple[Node, ...], parent: str | None, level: int) -> None:
        for code, name, children in nodes:
            leaf = not children
            found.append(
                {"id": code, "parent_id": parent, "name": name, "level": level, "is_leaf": leaf}
            )
            walk(children, code, level + 1)

    walk(TREE, None, 1)
    return found


LEAVES = frozenset(c["id"] for c in category_list() if c["is_leaf"])
KNOWN = frozenset(c["id"] for c in category_list())


def attributes_of(code: str) -> list[Attribute]:
    return [*COMMON, *OWN.get(code, ())]


def brands_of(code: str) -> list[dict[str, Any]]:
    return [{"id": i, "name": n} for i, n in BRANDS.get(code, ())]


def _value_problem(spec: Attribute, entry: dict[str, Any]) -> str | None:
    where = f"attributes.{spec['code']}"
    if spec["type"] in ("select", "multi_select"):
        if entry.get("option_id") not in [o["id"] for o in spec["options"]]:
            return f"{where}: option_id must be one of the attribute's options"
        return None
    value = entry.get("value")
    if not isinstance(value, str) or not value.strip():
        return f"{where}: a value is required"
    try:
        if spec["type"] == "integer":
            int(value)
        elif spec["type"] == "decimal":
            float(value)
    except ValueError:
        return f"{where}: expected a number"
    return None


def attribute_problem(code: str, sent: Any) -> tuple[str, str] | None:
    """``(error code, message)`` when ``sent`` does not fit category ``code``, else None.

    A mandatory attribute left out is ``attribute_required``; anything else that does
    not fit is ``validation_failed``. Both are 422s.
    """
    entries = [] if sent is None else sent
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return "validation_failed", "attributes: expected a list of objects"
    specs = {a["code"]: a for a in attributes_of(code)}
    for entry in entries:
        key = entry.get("code")
        spec = specs.get(key) if isinstance(key, str) else None
        if spec is None:
            return "validation_failed", f"attributes: {entry.get('code')!r} is not in {code}"
        if problem := _value_problem(spec, entry):
            return "validation_failed", problem
    given = [e.get("code") for e in entries]
    for spec in specs.values():
        if spec["required"] and spec["code"] not in given:
            message = f"attributes.{spec['code']} ({spec['name']}) is required in category {code}"
            return "attribute_required", message
    return None
