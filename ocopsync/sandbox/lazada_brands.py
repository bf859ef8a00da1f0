"""The Lazada sandbox's brands, as ``/category/brands/query`` (GetBrandByPages) answers.

From its API page as copied in lazykern/ecommerce-api-docs
(``data/raw/lazada/apis/product-api/getbrandbypages.json``): GET or POST, no
authorization required; ``startRow`` is the number of brands to skip and ``pageSize``
the most to return ("If you omit this parameter, the default of 40 is used. The
Maximum is 200"); a Go SDK also sends ``languageCode``. The answer's ``data`` is
``{enable_total, start_row, page_index, module: [{brand_id, name, global_identifier,
name_en}], total_page, page_size, total_record}``. The list is the venture's, not a
category's: the page takes no category. Create and update name a brand by ``brand_id``
(``brand``, its name, "will be deprecated"), per the Create Product guide
(``.../product-management/create-a-product.md``).

Ours: the brands (No Brand, some OCOP producers' brands, then one per product and
province so that a client must page), their ids (No Brand's 30768 is the id the guide's
payload shows next to "No Brand"), and the refusals: ``pageSize`` outside 1..200 or a
negative ``startRow`` answers code ``5`` "Invalid Request Format" (real codes NF).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

NO_BRAND_ID = 30768
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 40

PRODUCERS = (
    "Trà Tân Cương Thái Nguyên", "Mật ong Bạc Hà", "Nước mắm Phú Quốc", "Gạo ST25",
    "Cà phê Buôn Ma Thuột", "Rượu Bàu Đá", "Lụa Vạn Phúc", "Gốm Bát Tràng",
    "Mây tre đan Phú Vinh", "Thổ cẩm Sa Pa", "Chè Shan Tuyết Hà Giang", "Tinh dầu quế Yên Bái",
)  # fmt: skip
PRODUCTS = ("Trà", "Mật ong", "Gạo", "Nước mắm", "Cà phê", "Miến", "Nấm", "Rượu")
PROVINCES = (
    "Quảng Ninh", "Hà Giang", "Lào Cai", "Sơn La", "Thái Nguyên", "Bắc Giang", "Nghệ An",
    "Quảng Nam", "Đắk Lắk", "Lâm Đồng", "An Giang", "Đồng Tháp", "Bến Tre", "Sóc Trăng",
    "Cà Mau", "Kiên Giang", "Hòa Bình", "Yên Bái", "Cao Bằng", "Phú Thọ",
    "Ninh Bình", "Thanh Hóa", "Huế", "Gia Lai", "Tây Ninh", "Vĩnh Long",
)  # fmt: skip


def _identifier(name: str) -> str:
    """A global identifier like the docs' ``3m``: lower case ASCII, no spaces."""
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if c.isalnum()).lower()


def _brands() -> tuple[tuple[int, str], ...]:
    names = [*PRODUCERS, *(f"{p} {q}" for p in PRODUCTS for q in PROVINCES)]
    return ((NO_BRAND_ID, "No Brand"), *((40000 + n, name) for n, name in enumerate(names)))


BRANDS = _brands()
BRAND_IDS = {brand_id: name for brand_id, name in BRANDS}
BRAND_NAMES = {name.casefold(): brand_id for brand_id, name in BRANDS}


def brands_page(start_row: int, page_size: int) -> dict[str, Any]:
    """One page of brands as ``data`` (callers check the bounds first)."""
    module = [
        {
            "brand_id": brand_id,
            "name": name,
            "global_identifier": _identifier(name),
            "name_en": unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode(),
        }
        for brand_id, name in BRANDS[start_row : start_row + page_size]
    ]
    return {
        "enable_total": True,
        "start_row": start_row,
        "page_index": start_row // page_size,
        "module": module,
        "total_page": math.ceil(len(BRANDS) / page_size),
        "page_size": page_size,
        "total_record": len(BRANDS),
    }
