"""The report's words and numbers in the reader's language: Vietnamese or English.

Provincial staff paste these figures into reports upward, so numbers follow the
reader's conventions: Vietnamese writes ``40,7%`` and ``1.234`` (comma for decimals,
dot for thousands), English ``40.7%`` and ``1,234`` (the formats are
:mod:`ocopsync.i18n`'s, shared with the command line). The words live in one small table
per language here: a report is written in the language asked for (``report --lang``,
by default the language of messages), whatever the process's own.
"""

from __future__ import annotations

from datetime import date

from ocopsync.i18n import format_number, format_percent

LANGS = ("vi", "en")

_WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Báo cáo độ phủ sản phẩm OCOP trên sàn thương mại điện tử",
        "all_provinces": "Tất cả các tỉnh",
        "as_of": "Số liệu ngày",
        "generated": "Lập bởi ocopsync",
        "headline": "Tỷ lệ sản phẩm OCOP trên từng sàn so với chỉ tiêu",
        "headline_note": "Sản phẩm đủ điều kiện (còn hiệu lực, đang kinh doanh, không phải dịch vụ "
        "du lịch) đang được bày bán trên mỗi sàn.",
        "by_district": "Theo huyện và sàn",
        "trend": "Diễn biến theo thời gian",
        "by_stars": "Theo hạng sao",
        "by_group": "Theo nhóm sản phẩm",
        "gaps": "Sản phẩm chưa có trên sàn, theo chủ thể và lý do",
        "certificates": "Giấy chứng nhận OCOP hết hạn trong 90 ngày",
        "platform": "Sàn",
        "province": "Tỉnh",
        "district": "Huyện",
        "stars": "Hạng sao",
        "group": "Nhóm",
        "producer": "Chủ thể",
        "reason": "Lý do",
        "products": "Số sản phẩm",
        "examples": "Mã sản phẩm",
        "eligible": "Đủ điều kiện",
        "listed": "Đang bán",
        "share": "Tỷ lệ",
        "target": "Chỉ tiêu",
        "to_list": "Cần đưa thêm",
        "below": "dưới chỉ tiêu",
        "met": "đạt chỉ tiêu",
        "no_target": "chưa đặt chỉ tiêu",
        "date": "Ngày",
        "sku": "Mã",
        "name": "Tên sản phẩm",
        "expires_on": "Hết hạn",
        "days_left": "Còn (ngày)",
        "live_on": "Đang bán trên",
        "month": "Tháng",
        "none": "Không có",
        "no_history": "Chưa có số liệu lịch sử: mỗi lần đồng bộ lưu một bản.",
        "count": "Số lượng",
        "stars_n": "{n} sao",
        "summary": "Tổng quan",
        "history": "Xu hướng",
        "sheet_districts": "Huyện",
        "sheet_stars": "Hạng sao",
        "sheet_groups": "Nhóm",
        "sheet_gaps": "Còn thiếu",
        "sheet_certs": "Giấy chứng nhận",
    },
    "en": {
        "title": "OCOP product coverage on e-commerce platforms",
        "all_provinces": "All provinces",
        "as_of": "Figures as of",
        "generated": "Made by ocopsync",
        "headline": "Share of OCOP products on each platform against target",
        "headline_note": "Eligible products (certificate valid, active, not a tourism service) "
        "live on each platform.",
        "by_district": "By district and platform",
        "trend": "Over time",
        "by_stars": "By star rating",
        "by_group": "By product group",
        "gaps": "Products not on a platform, by producer and reason",
        "certificates": "OCOP certificates expiring within 90 days",
        "platform": "Platform",
        "province": "Province",
        "district": "District",
        "stars": "Stars",
        "group": "Group",
        "producer": "Producer",
        "reason": "Reason",
        "products": "Products",
        "examples": "SKUs",
        "eligible": "Eligible",
        "listed": "Listed",
        "share": "Share",
        "target": "Target",
        "to_list": "Still to list",
        "below": "below target",
        "met": "target met",
        "no_target": "no target set",
        "date": "Date",
        "sku": "SKU",
        "name": "Product",
        "expires_on": "Expires",
        "days_left": "Days left",
        "live_on": "Live on",
        "month": "Month",
        "none": "None",
        "no_history": "No history yet: every sync stores a snapshot.",
        "count": "Count",
        "stars_n": "{n} stars",
        "summary": "Summary",
        "history": "Trend",
        "sheet_districts": "Districts",
        "sheet_stars": "Stars",
        "sheet_groups": "Groups",
        "sheet_gaps": "Gaps",
        "sheet_certs": "Certificates",
    },
}

_PLATFORMS = {
    "vi": {"portal": "Cổng OCOP tỉnh"},
    "en": {"portal": "Provincial OCOP portal"},
}
_PLATFORM_NAMES = {
    "voso": "Voso",
    "postmart": "Postmart",
    "shopee": "Shopee",
    "lazada": "Lazada",
    "sendo": "Sendo",
}
_GROUPS = {
    "vi": {
        "food": "Thực phẩm",
        "beverage": "Đồ uống",
        "herbal": "Thảo dược",
        "textile": "Vải, may mặc",
        "handicraft": "Thủ công mỹ nghệ",
        "tourism": "Dịch vụ du lịch",
    },
    "en": {
        "food": "Food",
        "beverage": "Beverages",
        "herbal": "Herbal products",
        "textile": "Textiles",
        "handicraft": "Handicrafts",
        "tourism": "Tourism services",
    },
}
_REASONS = {
    "vi": {
        "no_shop": "chưa có gian hàng",
        "blocked": "thiếu dữ liệu",
        "rejected": "sàn từ chối",
        "unlisted": "đã gỡ (hết điều kiện)",
        "out_of_stock": "hết hàng",
        "not_synced": "chưa đồng bộ",
        "failed": "lỗi lần gần nhất",
    },
    "en": {
        "no_shop": "no shop",
        "blocked": "missing data",
        "rejected": "refused by the platform",
        "unlisted": "taken down (no longer eligible)",
        "out_of_stock": "out of stock",
        "not_synced": "not synced yet",
        "failed": "last attempt failed",
    },
}


class Labels:
    """Words and number formats of one language."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"--lang must be one of {', '.join(LANGS)}")
        self.lang = lang
        self._words = _WORDS[lang]

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def platform(self, name: str) -> str:
        return _PLATFORMS[self.lang].get(name) or _PLATFORM_NAMES.get(name, name)

    def group(self, name: str) -> str:
        return _GROUPS[self.lang].get(name, name)

    def reason(self, name: str) -> str:
        return _REASONS[self.lang].get(name, name)

    def stars(self, n: int) -> str:
        return self["stars_n"].format(n=n)

    def number(self, value: int) -> str:
        """``1.234`` in Vietnamese, ``1,234`` in English."""
        return format_number(value, self.lang)

    def percent(self, share: float | None, digits: int = 1) -> str:
        """``40,7%`` in Vietnamese, ``40.7%`` in English (share is 0..1)."""
        return format_percent(share, digits, self.lang)

    def day(self, value: date) -> str:
        """``24/11/2026`` in Vietnamese, ``2026-11-24`` in English (ISO: unambiguous)."""
        return value.strftime("%d/%m/%Y") if self.lang == "vi" else value.isoformat()

    def month(self, value: date) -> str:
        return value.strftime("%m/%Y") if self.lang == "vi" else value.strftime("%Y-%m")
