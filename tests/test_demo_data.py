"""The sample catalog: deterministic, valid, and varied enough for a meaningful demo."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from ocopsync.catalog import ProductRecord, import_catalog, is_eligible, validate_rows
from ocopsync.catalog_files import COLUMNS, read_rows
from ocopsync.demo_data import sample_catalog, write_sample_catalog
from ocopsync.models import make_engine

TODAY = date(2026, 11, 24)


def records(**kwargs: int) -> list[ProductRecord]:
    rows = sample_catalog(today=TODAY, **kwargs)
    return validate_rows(enumerate(rows, start=2), "sample")


def test_same_seed_same_catalog_other_seed_other_catalog() -> None:
    assert sample_catalog(today=TODAY) == sample_catalog(today=TODAY, seed=7)
    assert sample_catalog(today=TODAY, seed=8) != sample_catalog(today=TODAY, seed=7)


def test_rows_are_raw_text_in_canonical_columns() -> None:
    rows = sample_catalog(today=TODAY, size=50)
    assert len(rows) == 50
    assert all(list(row) == list(COLUMNS) for row in rows)
    assert all(isinstance(v, str) for row in rows for v in row.values())
    assert all(re.fullmatch(r"[A-Z]{2}-[A-Z]+-\d{4}", row["sku"]) for row in rows)
    prices = [row["price_vnd"] for row in sample_catalog(today=TODAY)]
    assert any("." in p for p in prices) and any(p.isdigit() for p in prices)


def test_sample_validates_and_is_varied() -> None:
    catalog = records()
    assert len(catalog) == 320
    assert len({r.sku for r in catalog}) == 320
    assert 40 <= len({r.entity_code for r in catalog}) <= 60
    provinces = Counter(r.province for r in catalog)
    assert {"Quảng Ninh", "Bến Tre", "Đồng Tháp", "Hà Tĩnh", "An Giang", "Sóc Trăng"} <= set(
        provinces
    )
    assert {r.district for r in catalog if r.province == "Quảng Ninh"} >= {
        "Ba Chẽ", "Bình Liêu", "Vân Đồn", "Đông Triều", "Hạ Long",
    }  # fmt: skip
    assert {r.entity_kind for r in catalog} == {"enterprise", "cooperative", "household"}
    stars = Counter(r.stars for r in catalog)
    assert stars[3] > stars[4] > stars[5] > 0
    assert all(45_000 <= r.price_vnd <= 1_200_000 for r in catalog)


def test_sample_has_every_kind_of_ineligible_product() -> None:
    catalog = records()
    expired = [r for r in catalog if r.expires_on < TODAY]
    discontinued = [r for r in catalog if r.status == "discontinued"]
    tourism = [r for r in catalog if r.group == "tourism"]
    assert 10 <= len(expired) <= 22
    assert 6 <= len(discontinued) <= 14
    assert 6 <= len(tourism) <= 10
    eligible = [r for r in catalog if is_eligible(r, min_stars=3, today=TODAY)]
    assert 270 <= len(eligible) < 300


def test_certificates_last_36_months() -> None:
    for record in records():
        assert record.certified_on is not None
        years = record.expires_on.year - record.certified_on.year
        assert years == 3
        assert record.expires_on.month == record.certified_on.month
        if record.expires_on >= TODAY:
            assert (TODAY - record.certified_on).days <= 3 * 365


def test_small_and_large_samples_validate() -> None:
    assert len(records(size=20)) == 20
    assert len(records(size=2_000, seed=3)) == 2_000


def test_written_sample_imports(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    write_sample_catalog(path, today=TODAY, size=120)
    assert len(read_rows(path)) == 120
    report = import_catalog(make_engine(f"sqlite:///{tmp_path}/t.db"), path)
    assert report.added == 120
