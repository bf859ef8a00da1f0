"""A realistic sample catalog, so `ocopsync demo` and the tests have something true-to-life.

Producers, places and product kinds come from public OCOP reporting (Ba Chẽ golden
flower tea, Bình Liêu dong vermicelli, Bến Tre coconut candy, Lê Gia fish sauce,
Phúc Trạch pomelo, Tri Tôn palm sugar, Nga Sơn sedge mats...). Prices, stock,
barcodes and dates are invented. The rows are raw text as a cooperative's
spreadsheet holds them, prices in mixed "45000" / "45.000" styles and dates in
both accepted formats, so the demo exercises the same import path as real files.
A few rows are deliberately ineligible (expired, discontinued, tourism) so that
plans and coverage reports have something to explain.
"""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from pathlib import Path

from ocopsync.catalog import fold
from ocopsync.catalog_files import COLUMNS, write_rows

_IMAGES = "https://img.ocop.example"
_KIND = {"HTX": "cooperative", "Công ty": "enterprise", "Hộ kinh doanh": "household"}

# Packaging per kind of goods: (label pattern, price multiplier, weight multiplier).
# "{w}" is the pack's weight; a product's base price and weight are its first pack.
_PACKS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "g": (("gói {w}", 1.0, 1.0), ("hộp {w}", 1.9, 2.0), ("túi {w}", 3.6, 4.0)),
    "ml": (("chai 500ml", 1.0, 1.0), ("chai 1 lít", 1.8, 2.0), ("hộp quà 2 chai", 2.3, 2.2)),
    "tea": (("hộp {w}", 1.0, 1.0), ("hộp {w}", 1.9, 2.0), ("hộp quà {w}", 3.6, 4.0)),
    "fruit": (("loại 1", 1.0, 1.0), ("thùng 4 quả", 3.8, 4.0), ("thùng 8 quả", 7.2, 8.0)),
    "item": (("", 1.0, 1.0), ("cỡ lớn", 1.7, 1.6), ("bộ quà tặng", 2.4, 2.2)),
    "tour": (("trọn gói 1 ngày", 1.0, 0.0), ("2 ngày 1 đêm", 2.2, 0.0), ("nhóm 4 khách", 3.4, 0.0)),
}

# (name, group, base price in dong, base weight in grams, pack kind)
Template = tuple[str, str, int, int, str]

# (province, province code, district, producer, its products)
Producer = tuple[str, str, str, str, tuple[Template, ...]]
_PRODUCERS: tuple[Producer, ...] = (
    ("Quảng Ninh", "QN", "Ba Chẽ", "HTX Trà hoa vàng Ba Chẽ", (
        ("Trà hoa vàng Ba Chẽ", "beverage", 180_000, 50, "tea"),
        ("Trà hoa vàng túi lọc", "beverage", 95_000, 40, "tea"),
        ("Nụ trà hoa vàng sấy lạnh", "beverage", 350_000, 50, "tea"))),
    ("Quảng Ninh", "QN", "Ba Chẽ", "HTX Nông lâm nghiệp Thanh Sơn", (
        ("Ba kích tím Ba Chẽ khô", "herbal", 120_000, 200, "g"),
        ("Rượu ba kích tím", "beverage", 180_000, 600, "ml"))),
    ("Quảng Ninh", "QN", "Ba Chẽ", "Công ty CP Dược liệu Ba Chẽ", (
        ("Cao trà hoa vàng", "herbal", 450_000, 100, "item"),
        ("Viên ngậm ba kích", "herbal", 150_000, 60, "item"))),
    ("Quảng Ninh", "QN", "Ba Chẽ", "Hộ kinh doanh Nguyễn Văn Hải", (
        ("Mật ong rừng Ba Chẽ", "food", 250_000, 700, "ml"),)),
    ("Quảng Ninh", "QN", "Bình Liêu", "HTX Dịch vụ Nông nghiệp Bình Liêu", (
        ("Miến dong Bình Liêu", "food", 45_000, 250, "g"),
        ("Miến dong sợi nhỏ Bình Liêu", "food", 52_000, 250, "g"))),
    ("Quảng Ninh", "QN", "Bình Liêu", "HTX Miến dong Hoành Mô", (
        ("Miến dong Hoành Mô", "food", 48_000, 250, "g"),)),
    ("Quảng Ninh", "QN", "Bình Liêu", "Hộ kinh doanh Thổ cẩm Dao Thanh Phán", (
        ("Khăn thổ cẩm Dao Thanh Phán", "textile", 180_000, 150, "item"),
        ("Túi thổ cẩm thêu tay", "textile", 250_000, 300, "item"),
        ("Áo thổ cẩm dân tộc Dao", "textile", 650_000, 500, "item"))),
    ("Quảng Ninh", "QN", "Bình Liêu", "HTX Du lịch cộng đồng Bình Liêu", (
        ("Trải nghiệm đường biên giới Bình Liêu", "tourism", 450_000, 0, "tour"),
        ("Homestay bản Sông Moóc", "tourism", 350_000, 0, "tour"))),
    ("Quảng Ninh", "QN", "Vân Đồn", "Công ty TNHH Hải sản Vân Đồn", (
        ("Ruốc hàu Vân Đồn", "food", 150_000, 100, "g"),
        ("Sá sùng khô Vân Đồn", "food", 450_000, 100, "g"))),
    ("Quảng Ninh", "QN", "Vân Đồn", "Hộ kinh doanh Hoàng Thị Hương", (
        ("Ruốc hàu bà Hương", "food", 140_000, 100, "g"),
        ("Hàu sữa sấy khô", "food", 220_000, 200, "g"))),
    ("Quảng Ninh", "QN", "Vân Đồn", "HTX Nước mắm Cái Rồng", (
        ("Nước mắm Cái Rồng", "food", 85_000, 600, "ml"),)),
    ("Quảng Ninh", "QN", "Đông Triều", "HTX Gạo Chim rơi Đông Triều", (
        ("Gạo Chim rơi", "food", 70_000, 2_000, "g"),)),
    ("Quảng Ninh", "QN", "Đông Triều", "HTX Nếp cái hoa vàng Đông Triều", (
        ("Gạo nếp cái hoa vàng Đông Triều", "food", 85_000, 2_000, "g"),)),
    ("Quảng Ninh", "QN", "Đông Triều", "Công ty CP Gốm Đông Triều", (
        ("Bình gốm men rạn Đông Triều", "handicraft", 450_000, 1_500, "item"),
        ("Bộ ấm chén gốm Đông Triều", "handicraft", 650_000, 1_800, "item"))),
    ("Quảng Ninh", "QN", "Đông Triều", "Hộ kinh doanh Nguyễn Thị Lan", (
        ("Rượu mơ Yên Tử", "beverage", 220_000, 800, "ml"),)),
    ("Quảng Ninh", "QN", "Hạ Long", "Công ty TNHH Chả mực Hạ Long", (
        ("Chả mực giã tay Hạ Long", "food", 380_000, 500, "g"),)),
    ("Quảng Ninh", "QN", "Hạ Long", "Công ty CP Nước mắm Kim Hoa", (
        ("Nước mắm Kim Hoa", "food", 120_000, 600, "ml"),
        ("Nước mắm Kim Hoa cốt nhĩ 40 độ đạm", "food", 250_000, 600, "ml"))),
    ("Bến Tre", "BT", "Mỏ Cày Nam", "Công ty TNHH Kẹo dừa Mỏ Cày", (
        ("Kẹo dừa sữa Bến Tre", "food", 45_000, 400, "g"),
        ("Kẹo dừa sầu riêng", "food", 52_000, 400, "g"),
        ("Kẹo dừa lá dứa", "food", 48_000, 400, "g"))),
    ("Bến Tre", "BT", "Mỏ Cày Nam", "Hộ kinh doanh Kẹo dừa Tư Hoa", (
        ("Kẹo dừa đậu phộng", "food", 45_000, 400, "g"),
        ("Kẹo dừa ca cao", "food", 50_000, 400, "g"))),
    ("Bến Tre", "BT", "Mỏ Cày Nam", "HTX Thủ công mỹ nghệ dừa Mỏ Cày", (
        ("Bộ chén gáo dừa", "handicraft", 120_000, 400, "item"),
        ("Giỏ xơ dừa trang trí", "handicraft", 95_000, 300, "item"))),
    ("Bến Tre", "BT", "Châu Thành", "Công ty CP Thực phẩm Dừa Châu Thành", (
        ("Dầu dừa tinh khiết", "food", 95_000, 300, "ml"),
        ("Thạch dừa", "food", 45_000, 500, "g"))),
    ("Bến Tre", "BT", "Chợ Lách", "HTX Sầu riêng Cái Mơn", (
        ("Sầu riêng đông lạnh Ri6", "food", 350_000, 1_000, "g"),
        ("Sầu riêng đông lạnh Monthong", "food", 420_000, 1_000, "g"))),
    ("Bến Tre", "BT", "Chợ Lách", "HTX Bưởi da xanh Chợ Lách", (
        ("Bưởi da xanh Chợ Lách", "food", 85_000, 1_500, "fruit"),)),
    ("Bến Tre", "BT", "Chợ Lách", "HTX Du lịch cộng đồng Cồn Phú Đa", (
        ("Tour miệt vườn Cồn Phú Đa", "tourism", 390_000, 0, "tour"),)),
    ("Bến Tre", "BT", "Giồng Trôm", "Hộ kinh doanh Lê Văn Tám", (
        ("Bánh phồng Sơn Đốc", "food", 45_000, 500, "g"),)),
    ("Bến Tre", "BT", "Ba Tri", "HTX Nông nghiệp Ba Tri", (
        ("Tôm khô Ba Tri", "food", 450_000, 250, "g"),)),
    ("Đồng Tháp", "DT", "Tháp Mười", "HTX Sen Tháp Mười", (
        ("Trà tim sen Tháp Mười", "beverage", 95_000, 100, "tea"),
        ("Hạt sen sấy", "food", 85_000, 200, "g"),
        ("Mứt sen Tháp Mười", "food", 65_000, 250, "g"))),
    ("Đồng Tháp", "DT", "Lai Vung", "Hộ kinh doanh Nem Lai Vung Bà Năm", (
        ("Nem Lai Vung", "food", 45_000, 300, "g"),)),
    ("Đồng Tháp", "DT", "Cao Lãnh", "HTX Xoài Mỹ Xương", (
        ("Xoài cát Hòa Lộc sấy dẻo", "food", 65_000, 200, "g"),)),
    ("Đồng Tháp", "DT", "Sa Đéc", "Công ty TNHH Bột Sa Đéc", (
        ("Hủ tiếu Sa Đéc", "food", 45_000, 500, "g"),
        ("Bột gạo Sa Đéc", "food", 45_000, 1_000, "g"))),
    ("Đồng Tháp", "DT", "Sa Đéc", "HTX Du lịch Làng hoa Sa Đéc", (
        ("Tham quan làng hoa Sa Đéc", "tourism", 250_000, 0, "tour"),)),
    ("Hà Tĩnh", "HT", "Hương Khê", "HTX Bưởi Phúc Trạch Hương Khê", (
        ("Bưởi Phúc Trạch", "food", 75_000, 1_300, "fruit"),)),
    ("Hà Tĩnh", "HT", "Hương Khê", "Hộ kinh doanh Phan Văn Đức", (
        ("Bưởi Phúc Trạch loại đặc biệt", "food", 95_000, 1_500, "fruit"),)),
    ("Hà Tĩnh", "HT", "Vũ Quang", "HTX Cam Vũ Quang", (
        ("Cam Vũ Quang", "food", 60_000, 1_000, "fruit"),)),
    ("Hà Tĩnh", "HT", "Can Lộc", "Công ty TNHH Kẹo cu đơ Can Lộc", (
        ("Kẹo cu đơ Hà Tĩnh", "food", 45_000, 400, "g"),)),
    ("An Giang", "AG", "Tri Tôn", "HTX Thốt nốt Tri Tôn", (
        ("Đường thốt nốt nguyên chất", "food", 55_000, 500, "g"),
        ("Nước thốt nốt đóng chai", "beverage", 45_000, 400, "ml"))),
    ("An Giang", "AG", "Tịnh Biên", "Công ty TNHH Thốt nốt Tịnh Biên", (
        ("Đường thốt nốt dạng viên", "food", 60_000, 500, "g"),)),
    ("An Giang", "AG", "Tịnh Biên", "HTX Dệt thổ cẩm Văn Giáo", (
        ("Khăn choàng thổ cẩm Khmer", "textile", 250_000, 200, "item"),
        ("Xà rông thổ cẩm", "textile", 450_000, 400, "item"))),
    ("An Giang", "AG", "Châu Đốc", "Hộ kinh doanh Mắm Châu Đốc Út Hiền", (
        ("Mắm thái Châu Đốc", "food", 120_000, 500, "g"),
        ("Mắm cá linh Châu Đốc", "food", 110_000, 500, "g"))),
    ("Sóc Trăng", "ST", "Mỹ Xuyên", "Công ty TNHH Bánh pía Vũng Thơm", (
        ("Bánh pía sầu riêng trứng muối", "food", 85_000, 500, "g"),
        ("Bánh pía đậu xanh", "food", 65_000, 500, "g"),
        ("Bánh in Sóc Trăng", "food", 45_000, 300, "g"))),
    ("Sóc Trăng", "ST", "Mỹ Xuyên", "Hộ kinh doanh Lâm Thị Huệ", (
        ("Bánh pía kim sa", "food", 90_000, 500, "g"),
        ("Lạp xưởng Sóc Trăng", "food", 180_000, 500, "g"))),
    ("Sóc Trăng", "ST", "Vĩnh Châu", "HTX Hành tím Vĩnh Châu", (
        ("Hành tím sấy Vĩnh Châu", "food", 65_000, 200, "g"),)),
    ("Sóc Trăng", "ST", "Châu Thành", "Công ty TNHH Gạo thơm Sóc Trăng", (
        ("Gạo ST25", "food", 180_000, 5_000, "g"),)),
    ("Thanh Hóa", "TH", "Hoằng Hóa", "Công ty TNHH Thực phẩm & TMDV Lê Gia", (
        ("Nước mắm Lê Gia cốt đặc biệt 40N", "food", 195_000, 600, "ml"),
        ("Mắm tôm Lê Gia", "food", 65_000, 300, "g"),
        ("Mắm tép Lê Gia", "food", 75_000, 300, "g"))),
    ("Thanh Hóa", "TH", "Nga Sơn", "HTX Chiếu cói Nga Sơn", (
        ("Chiếu cói Nga Sơn in hoa", "handicraft", 250_000, 2_500, "item"),
        ("Chiếu cói cạp vải", "handicraft", 320_000, 2_800, "item"),
        ("Thảm cói tròn", "handicraft", 180_000, 900, "item"))),
    ("Thanh Hóa", "TH", "Nga Sơn", "Hộ kinh doanh Mai Văn Thành", (
        ("Túi xách cói Nga Sơn", "handicraft", 180_000, 400, "item"),
        ("Hộp cói đựng đồ", "handicraft", 120_000, 500, "item"))),
    ("Ninh Bình", "NB", "Kim Sơn", "HTX Thủ công mỹ nghệ cói Kim Sơn", (
        ("Giỏ cói Kim Sơn", "handicraft", 145_000, 500, "item"),)),
    ("Hà Nội", "HN", "Chương Mỹ", "HTX Mây tre đan Phú Vinh", (
        ("Khay mây tre đan Phú Vinh", "handicraft", 180_000, 600, "item"),
        ("Giỏ mây đan tay", "handicraft", 250_000, 700, "item"),
        ("Đèn tre trang trí", "handicraft", 450_000, 900, "item"))),
    ("Yên Bái", "YB", "Mù Cang Chải", "HTX Nông lâm sản Mù Cang Chải", (
        ("Mật ong hoa sơn tra", "food", 280_000, 700, "ml"),
        ("Sơn tra sấy khô", "herbal", 120_000, 500, "g"))),
    ("Yên Bái", "YB", "Mù Cang Chải", "HTX Dệt thổ cẩm H'Mông Mù Cang Chải", (
        ("Váy thổ cẩm H'Mông", "textile", 850_000, 800, "item"),
        ("Khăn thổ cẩm H'Mông", "textile", 220_000, 200, "item"))),
)  # fmt: skip


def _slug(text: str) -> str:
    return "".join(ch for ch in fold(text).upper() if ch.isalnum())


def _add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 29-31st clamps to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _weight_label(grams: float) -> str:
    if grams >= 1000:
        return f"{grams / 1000:g}kg".replace(".", ",")
    return f"{grams:g}g"


def _ean13(rng: random.Random) -> str:
    """A valid EAN-13 under GS1 Vietnam's 893 prefix."""
    body = "893" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _money(amount: int, rng: random.Random) -> str:
    """Whole dong as people type them: "45000", "45.000", now and then "45,000"."""
    style = rng.random()
    if style < 0.5:
        return str(amount)
    separator = "." if style < 0.9 else ","
    return f"{amount:,}".replace(",", separator)


def _day(value: date, rng: random.Random) -> str:
    return value.strftime("%d/%m/%Y") if rng.random() < 0.15 else value.isoformat()


def sample_catalog(*, today: date, seed: int = 7, size: int = 320) -> list[dict[str, str]]:
    """``size`` catalog rows as raw CSV text, the same for the same ``today`` and ``seed``.

    About 5% of certificates expired before ``today``, 3% of products are
    discontinued and 2-3% are tourism services, so every ineligibility reason shows
    up in a demo.
    """
    rng = random.Random(seed)
    picks = list(range(size))
    rng.shuffle(picks)
    expired = set(picks[: round(size * 0.05)])
    discontinued = set(picks[round(size * 0.05) : round(size * 0.08)])
    rows: list[dict[str, str]] = []
    serials: dict[str, int] = {}
    for entity_number, producer, k in _assignments(rng, size):
        _province, code, district, _name, templates = producer
        prefix = f"{code}-{_slug(district)}"
        serials[prefix] = serials.get(prefix, 0) + 1
        row = _product_row(rng, producer, templates[k % len(templates)], k // len(templates))
        row["sku"] = f"{prefix}-{serials[prefix]:04d}"
        row["entity_code"] = f"{code}-E{entity_number:03d}"
        certified = today - timedelta(days=rng.randint(0, 1080))
        if len(rows) in expired:
            certified = _add_months(today, -36) - timedelta(days=rng.randint(1, 200))
        row["certified_on"] = _day(certified, rng)
        row["expires_on"] = _day(_add_months(certified, 36), rng)
        row["status"] = "discontinued" if len(rows) in discontinued else "active"
        urls = range(1, rng.randint(1, 3) + 1)
        row["image_urls"] = "|".join(f"{_IMAGES}/{row['sku'].lower()}/{i}.jpg" for i in urls)
        rows.append({column: row.get(column, "") for column in COLUMNS})
    return rows


def _assignments(rng: random.Random, size: int) -> list[tuple[int, Producer, int]]:
    """(entity number, producer, its k-th product) for each row, grouped by producer.

    Every producer of goods gets at least one product so the demo shows them all;
    the rest are spread at random, and about 2.5% of rows are tourism services.
    """
    tourism = [p for p in _PRODUCERS if p[4][0][1] == "tourism"]
    goods = [p for p in _PRODUCERS if p[4][0][1] != "tourism"]
    n_tourism = round(size * 0.025)
    chosen = [goods[i] if i < len(goods) else rng.choice(goods) for i in range(size - n_tourism)]
    chosen += [tourism[i % len(tourism)] for i in range(n_tourism)]
    chosen.sort(key=_PRODUCERS.index)
    made: dict[int, int] = {}
    result: list[tuple[int, Producer, int]] = []
    for producer in chosen:
        number = _PRODUCERS.index(producer) + 1
        made[number] = made.get(number, -1) + 1
        result.append((number, producer, made[number]))
    return result


def _product_row(
    rng: random.Random,
    producer: Producer,
    template: Template,
    variant: int,
) -> dict[str, str]:
    province, _code, district, entity_name, _templates = producer
    name, group, base_price, base_weight, pack_kind = template
    packs = _PACKS[pack_kind]
    label, price_mult, weight_mult = packs[variant % len(packs)]
    grams = base_weight * weight_mult
    label = label.format(w=_weight_label(grams))
    if variant >= len(packs):
        label = f"{label} - lô {variant // len(packs) + 1}".lstrip(" -")
    price = min(max(round(base_price * price_mult * rng.uniform(0.92, 1.1), -3), 45_000), 1_200_000)
    low, high = rng.choices(((0, 0), (1, 60), (20, 400), (800, 2500)), weights=(4, 20, 61, 15))[0]
    stock = rng.randint(low, high)
    kind = next(kind for prefix, kind in _KIND.items() if entity_name.startswith(prefix))
    stars = rng.choices(("3", "4", "5"), weights=(70, 25, 5))[0]
    return {
        "name": f"{name} - {label}" if label else name,
        "entity_name": entity_name,
        "entity_kind": kind,
        "province": province,
        "district": district,
        "group": group,
        "stars": stars,
        "price_vnd": _money(int(price), rng),
        "stock": _money(stock, rng) if stock >= 1000 else str(stock),
        "weight_g": str(int(grams)) if grams else "",
        "barcode": _ean13(rng) if group != "tourism" and rng.random() < 0.6 else "",
        "description": f"{name}: sản phẩm OCOP {stars} sao của {entity_name}, {district}.",
    }


def write_sample_catalog(path: Path, *, today: date, seed: int = 7, size: int = 320) -> None:
    """Write :func:`sample_catalog` to ``path`` (CSV, XLSX or JSON by extension)."""
    rows: list[dict[str, object]] = [
        dict(r) for r in sample_catalog(today=today, seed=seed, size=size)
    ]
    write_rows(path, rows)
