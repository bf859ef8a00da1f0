"""The Lazada sandbox's category tree, as ``GET /category/tree/get`` answers it.

Shape from Lazada's GetCategoryTree page
(https://open.lazada.com/apps/doc/api?path=%2Fcategory%2Ftree%2Fget), as copied in the
public repository lazykern/ecommerce-api-docs (``data/raw/lazada/apis/``):
no access token needed, optional ``language_code``; ``data`` is the list of top
categories, each with ``category_id``, ``name``, ``leaf`` (only a leaf takes a
product), ``var`` (the category supports variations) and, above a leaf, ``children``.

The tree is ours: a small part of a marketplace tree covering the OCOP groups (food,
beverage, herbal, textile, handicraft), with Vietnamese names. Its ids are made up,
except that the leaves in :data:`ocopsync.sandbox.lazada.CATEGORY_MAP` are leaves here.
"""

from __future__ import annotations

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
