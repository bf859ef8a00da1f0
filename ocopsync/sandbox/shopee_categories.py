"""The Shopee sandbox's category tree, as ``GET /api/v2/product/get_category`` answers it.

Shape from the official per-API spec stored in the public repository
congminh1254/shopee-sdk, ``schemas/v2.product.get_category.json`` (a Shop API; optional
``language``; the answer is ``response.category_list[]`` of ``category_id``,
``parent_category_id`` (0 at the top), ``original_category_name`` (English),
``display_category_name`` (in the asked language) and ``has_children``); only a leaf
takes an item (Shopee's "Creating product" guide, copied in lazykern/ecommerce-api-docs,
``data/processed/shopee/guides/api-best-practices/creating-product.md``).

The tree is ours: a small part of a marketplace tree covering the OCOP groups (food,
beverage, herbal, textile, handicraft), with Vietnamese display names. Its ids are
made up, except that the leaves in :data:`ocopsync.sandbox.shopee_state.CATEGORY_MAP`
are leaves here.
"""

from __future__ import annotations

from typing import Any

Node = tuple[int, str, str, tuple[Any, ...]]
"""``(category_id, original name, Vietnamese display name, children)``."""

TREE: tuple[Node, ...] = (
    (100010, "Food & Beverages", "Thực Phẩm và Đồ Uống", (
        (100244, "Food Staples", "Thực phẩm khô", (
            (100629, "Dried Food", "Đồ khô, đặc sản sấy", ()),
            (100630, "Rice", "Gạo", ()),
            (100631, "Honey", "Mật ong", ()),
            (100632, "Sauces & Condiments", "Nước mắm, gia vị", ()),
        )),
        (100245, "Beverages", "Đồ uống", (
            (100860, "Tea", "Trà", ()),
            (100861, "Coffee", "Cà phê", ()),
            (100862, "Juice", "Nước ép, nước trái cây", ()),
        )),
    )),
    (100001, "Health", "Sức Khỏe", (
        (100252, "Traditional Medicine", "Y học cổ truyền", (
            (101011, "Herbal Supplements", "Thảo dược", ()),
            (101012, "Essential Oils", "Tinh dầu", ()),
        )),
    )),
    (100017, "Women Clothes", "Thời Trang Nữ", (
        (100348, "Traditional Wear", "Trang Phục Truyền Thống", ()),
        (100349, "Fabric", "Vải, lụa, thổ cẩm", ()),
    )),
    (100636, "Home & Living", "Nhà Cửa & Đời Sống", (
        (100720, "Home Decor", "Trang trí nhà cửa", (
            (101186, "Handicrafts", "Đồ thủ công mỹ nghệ", ()),
            (101187, "Rattan & Bamboo", "Đồ mây tre đan", ()),
            (101188, "Ceramics", "Gốm sứ", ()),
        )),
    )),
)  # fmt: skip


def category_list(language: str = "vi") -> list[dict[str, Any]]:
    """The tree, flat and parents first, as ``response.category_list``."""
    found: list[dict[str, Any]] = []

    def walk(nodes: tuple[Node, ...], parent: int) -> None:
        for category_id, original, display, children in nodes:
            found.append(
                {
                    "category_id": category_id,
                    "parent_category_id": parent,
                    "original_category_name": original,
                    "display_category_name": display if language.startswith("vi") else original,
                    "has_children": bool(children),
                }
            )
            walk(children, category_id)

    walk(TREE, 0)
    return found
