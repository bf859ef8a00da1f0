"""Attributes in a platform's terms: every resolution rule as a table, and the catalog
column that feeds them."""

from __future__ import annotations

import pytest

from ocopsync.attributes import NO_BRAND, ProductFacts, allowed_text, brand_id, fold, resolve
from ocopsync.catalog import format_attributes, parse_attributes
from ocopsync.records import AttributeOption, AttributeValue, CategoryAttribute

FACTS = ProductFacts(province="Quảng Ninh", weight_g=250, stars=4, brand="")

TEA_TYPE = CategoryAttribute(
    "100101",
    "Loại trà",
    mandatory=True,
    input_type="single_select",
    options=(AttributeOption("1", "Trà xanh"), AttributeOption("2", "Trà hoa")),
)
ORIGIN = CategoryAttribute(
    "100037",
    "Xuất xứ",
    mandatory=True,
    input_type="single_select",
    options=(AttributeOption("10", "Việt Nam"), AttributeOption("11", "Trung Quốc")),
)
SHELF = CategoryAttribute("100095", "Hạn sử dụng", mandatory=False, input_type="text")
WEIGHT = CategoryAttribute("net_weight", "Khối lượng", mandatory=True, input_type="int", unit="g")
STARS = CategoryAttribute(
    "ocop",
    "Hạng OCOP",
    mandatory=False,
    input_type="single_select",
    options=(AttributeOption("3", "3 sao"), AttributeOption("4", "4 sao")),
)
BRAND = CategoryAttribute("brand", "Brand", mandatory=True, input_type="text")
PLACE = CategoryAttribute("place", "Nơi sản xuất", mandatory=False, input_type="text")
INGREDIENTS = CategoryAttribute(
    "ing",
    "Thành phần",
    mandatory=False,
    input_type="multi_select",
    options=(AttributeOption("a", "Trà"), AttributeOption("b", "Gừng")),
)


@pytest.mark.parametrize(
    ("spec", "given", "defaults", "expected"),
    [
        # the catalog's pair, matched without accents or case
        (TEA_TYPE, [("loai tra", "trà hoa")], {}, [AttributeValue("100101", "Trà hoa", "2")]),
        # by the platform's key too
        (SHELF, [("100095", "12 tháng")], {}, [AttributeValue("100095", "12 tháng")]),
        # a per-category default when the catalog has none
        (TEA_TYPE, [], {"Loại trà": "Trà xanh"}, [AttributeValue("100101", "Trà xanh", "1")]),
        # the catalog wins over the default
        (TEA_TYPE, [("Loại trà", "Trà hoa")], {"Loại trà": "Trà xanh"},
         [AttributeValue("100101", "Trà hoa", "2")]),
        # fixed mappings: origin, weight, stars, brand, place
        (ORIGIN, [], {}, [AttributeValue("100037", "Việt Nam", "10")]),
        (WEIGHT, [], {}, [AttributeValue("net_weight", "250")]),
        (STARS, [], {}, [AttributeValue("ocop", "4 sao", "4")]),
        (BRAND, [], {}, [AttributeValue("brand", NO_BRAND)]),
        (PLACE, [], {}, [AttributeValue("place", "Quảng Ninh")]),
        # a multi-select takes comma-separated values
        (INGREDIENTS, [("Thành phần", "Trà, gừng")], {},
         [AttributeValue("ing", "Trà", "a"), AttributeValue("ing", "Gừng", "b")]),
    ],
)  # fmt: skip
def test_resolution(
    spec: CategoryAttribute,
    given: list[tuple[str, str]],
    defaults: dict[str, str],
    expected: list[AttributeValue],
) -> None:
    found = resolve([spec], given, facts=FACTS, defaults=defaults)
    assert list(found.values) == expected
    assert found.missing == ()


def test_a_missing_mandatory_attribute_is_named_with_what_it_allows() -> None:
    found = resolve([TEA_TYPE, SHELF], [], facts=FACTS)
    assert found.values == ()
    assert len(found.missing) == 1
    assert "Loại trà" in found.missing[0] and "Trà xanh, Trà hoa" in found.missing[0]


def test_a_value_the_category_does_not_allow_is_refused_not_sent() -> None:
    found = resolve([TEA_TYPE], [("Loại trà", "Trà sữa")], facts=FACTS)
    assert found.values == ()
    assert "'Trà sữa' is not allowed" in found.missing[0]


def test_an_optional_attribute_with_a_wrong_value_is_left_out_and_reported() -> None:
    found = resolve([STARS], [("Hạng OCOP", "7 sao")], facts=FACTS)
    assert found.values == () and found.missing == ()
    assert found.ignored == ("Hạng OCOP=7 sao",)


def test_a_combo_box_takes_the_sellers_own_value_as_text() -> None:
    combo = CategoryAttribute(
        "100999", "Loại trà", True, "single_select", TEA_TYPE.options, custom_values=True
    )
    own = resolve([combo], [("Loại trà", "Trà Shan tuyết")], facts=FACTS)
    assert own.values == (AttributeValue("100999", "Trà Shan tuyết"),) and own.missing == ()
    listed = resolve([combo], [("Loại trà", "trà xanh")], facts=FACTS)
    assert listed.values == (AttributeValue("100999", "Trà xanh", "1"),), (
        "a listed one keeps its id"
    )


def test_a_number_attribute_refuses_text() -> None:
    found = resolve([WEIGHT], [("Khối lượng", "nửa cân")], facts=FACTS)
    assert found.values == () and "not allowed" in found.missing[0]


def test_a_brand_column_fills_a_brand_attribute_and_finds_its_id() -> None:
    facts = ProductFacts("Quảng Ninh", 250, 4, brand="Ba Chẽ")
    assert resolve([BRAND], [], facts=facts).values == (AttributeValue("brand", "Ba Chẽ"),)
    assert brand_id([("7", "BA CHE"), ("0", "No brand")], "Ba Chẽ") == "7"
    assert brand_id([("7", "Other")], "Ba Chẽ") == ""


def test_allowed_text_is_short() -> None:
    many = CategoryAttribute(
        "k", "K", True, "single_select", tuple(AttributeOption(str(i), f"v{i}") for i in range(12))
    )
    assert allowed_text(many).endswith(" and 4 more")
    assert fold("Xuất  xứ (tỉnh)") == "xuat xu tinh"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", ()),
        ("Xuất xứ=Việt Nam", (("Xuất xứ", "Việt Nam"),)),
        ("Xuất xứ = Việt Nam; Hạn sử dụng=12 tháng",
         (("Xuất xứ", "Việt Nam"), ("Hạn sử dụng", "12 tháng"))),
        ("Thành phần=Trà, Gừng\nLoại=Trà hoa", (("Thành phần", "Trà, Gừng"), ("Loại", "Trà hoa"))),
        ("Công thức=a=b", (("Công thức", "a=b"),)),
    ],
)  # fmt: skip
def test_attribute_cells(cell: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_attributes(cell) == expected
    if expected:
        assert parse_attributes(format_attributes(expected)) == expected


@pytest.mark.parametrize("cell", ["Xuất xứ", "=Việt Nam", "Xuất xứ=", "a=1; A=2"])
def test_unreadable_attribute_cells_say_why(cell: str) -> None:
    assert isinstance(parse_attributes(cell), str)
