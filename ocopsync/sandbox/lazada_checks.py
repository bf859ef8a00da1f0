"""What the Lazada emulator checks in a CreateProduct or UpdateProduct payload beyond its
shape: brand, category attributes, variations, images.

Codes and their meanings are those of CreateProduct's error table (its API page as
copied in lazykern/ecommerce-api-docs, ``data/raw/lazada/apis/product-api/createproduct.json``):
``4108`` CHK_BASIC_REQUIRED "Basic attributes Mandatory verification", ``4110``
BIZ_CHECK_CAT_PROP_MANDATORY "Category attribute This parameter is mandatory", ``4107``
CHECK_CAT_PROP_INVALID_NUMBER, ``4115`` CHK_CATPROP_CPV_NOT_ENUM "The CPV attribute is not
one of the options provided by the category", ``4112`` CHK_SKU_PROPS_DUPLICATE, ``4113``
CHK_SKU_PROPS_NOT_IDENTICAL "Sales attribute is not filled in", ``4142``
THD_BRAND_ID_IS_NOT_VALID_IN_CATEGORY, ``4143`` BIZ_CHECK_SALEPROP_ATTRIBUTE_INVALID,
``4169`` CHK_IMAGE_MAX_ITEMS "Upload a maximum of 8 pictures", ``4105``
BIZ_CHECK_SELLER_SKU_DUPLICATE. Variation rules and their symbolic codes
(``VARIATION_SIZE_LIMIT`` 2, names at most 15 characters, at most 50 options of at most
20, ``SKU_VARIATION_NAME_MISSING``, ``SKU_VARIATION_OPTION_NOT_EXIST``,
``VARIATION_CATEGORY_ATTRIBUTE_INVALID``) are from the custom sales attributes guide
(``data/processed/lazada/guides/api-best-practice/product-operation/custom-sales-attributes.md``).

The error envelope's ``detail`` items, ``{field, message, code}``, follow a third-party
test fixture of a real 4108 answer found by string search (``"field": "p-100005514",
"message": "C004: cannot be blank...", "code": "CHK_BASIC_REQUIRED"``); our messages
name the attribute and its Vietnamese label. Our choices (NF): the first failing rule
answers (its code at the top, every failing attribute of that rule in ``detail``);
``type`` is ISV; an option is matched by its ``en_name`` (what the guide says to send) or
its localized ``name``; a multiSelect value is a comma-separated list; unknown
attributes are ignored, as the gateway's "auto-fill" guide suggests it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ocopsync.sandbox.lazada_brands import BRAND_IDS, BRAND_NAMES
from ocopsync.sandbox.lazada_categories import Attr, attributes_of

MAX_IMAGES = 8
MAX_VARIATIONS = 2
MAX_VARIATION_NAME = 15
MAX_OPTIONS = 50
MAX_OPTION = 20
CORE = frozenset(
    {"name", "brand", "SellerSku", "price", "quantity", "special_price", "__images__"}
    | {"package_weight", "package_length", "package_width", "package_height"}
)
"""Attributes whose absence :meth:`LazadaCatalog.create` already refuses on its own
terms (500 with detail, as before), or that the brand rule checks."""


class Refusal(Exception):
    """A refusal with Lazada's code and the items of ``detail``."""

    def __init__(self, code: str, message: str, detail: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def _item(field: str, message: str, code: str) -> dict[str, str]:
    return {"field": field, "message": message, "code": code}


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    return "" if value is None else str(value).strip()


def brand_of(attributes: dict[str, Any], *, required: bool) -> tuple[int, str] | None:
    """``(brand_id, name)`` from ``brand_id`` (preferred) or ``brand`` (deprecated)."""
    given_id, given_name = _text(attributes.get("brand_id")), _text(attributes.get("brand"))
    if given_id:
        if not given_id.isdigit() or int(given_id) not in BRAND_IDS:
            raise Refusal(
                "4142",
                "THD_BRAND_ID_IS_NOT_VALID_IN_CATEGORY: The brand is invalid in the category",
                [_item("brand_id", f"brand_id {given_id} is not a brand of this venture", "4142")],
            )
        return int(given_id), BRAND_IDS[int(given_id)]
    if given_name:
        found = BRAND_NAMES.get(given_name.casefold())
        if found is None:
            raise Refusal(
                "4142",
                "THD_BRAND_ID_IS_NOT_VALID_IN_CATEGORY: The brand is invalid in the category",
                [_item("brand", f"brand {given_name!r} is not a brand of this venture", "4142")],
            )
        return found, BRAND_IDS[found]
    if required:
        raise Refusal(
            "4108",
            "CHK_BASIC_REQUIRED: Basic attributes Mandatory verification",
            [_item("brand", "brand_id is mandatory (Thương hiệu)", "CHK_BASIC_REQUIRED")],
        )
    return None


def images_problem(images: list[str]) -> None:
    if len(images) > MAX_IMAGES:
        raise Refusal(
            "4169",
            "CHK_IMAGE_MAX_ITEMS: Upload a maximum of 8 pictures",
            [_item("Images", f"{len(images)} images, at most {MAX_IMAGES}", "4169")],
        )


def _values(attr: Attr, value: str) -> list[str]:
    return [v.strip() for v in value.split(",")] if attr.input_type == "multiSelect" else [value]


def _value_problem(attr: Attr, value: str) -> tuple[str, str] | None:
    """``(code, message)`` when ``value`` is not one ``attr`` takes."""
    if attr.closed:
        allowed = {n for _i, n, _e in attr.options} | {e for _i, _n, e in attr.options}
        wrong = [v for v in _values(attr, value) if v not in allowed]
        if wrong:
            choices = ", ".join(e for _i, _n, e in attr.options)
            return "4115", f"{attr.name} ({attr.label}): {wrong[0]!r} is not one of {choices}"
    if attr.input_type == "numeric":
        try:
            float(value)
        except ValueError:
            return "4107", f"{attr.name} ({attr.label}): {value!r} is not a number"
    return None


def attribute_problems(
    category: int, attributes: dict[str, Any], skus: Iterable[dict[str, Any]], *, creating: bool
) -> None:
    """Refuse missing mandatory category attributes (create only), then bad values."""
    spec = attributes_of(category)
    skus = list(skus)
    if creating:
        missing = [
            _item(a.name, f"{a.name} is mandatory ({a.label})", "BIZ_CHECK_CAT_PROP_MANDATORY")
            for a in spec
            if a.mandatory
            and a.name not in CORE
            and (
                not _text(attributes.get(a.name))
                if a.attribute_type == "normal"
                else any(not _text(s.get(a.name)) for s in skus)
            )
        ]
        if missing:
            raise Refusal(
                "4110",
                "BIZ_CHECK_CAT_PROP_MANDATORY: Category attribute This parameter is mandatory",
                missing,
            )
    wrong: dict[str, list[dict[str, str]]] = {}
    for attr in spec:
        if attr.name in CORE:
            continue
        sources = [attributes] if attr.attribute_type == "normal" else skus
        for source in sources:
            value = _text(source.get(attr.name))
            problem = _value_problem(attr, value) if value else None
            if problem:
                wrong.setdefault(problem[0], []).append(_item(attr.name, problem[1], problem[0]))
    for code, title in (
        (
            "4115",
            "CHK_CATPROP_CPV_NOT_ENUM: The CPV attribute is not one of the options "
            "provided by the category",
        ),
        ("4107", "CHECK_CAT_PROP_INVALID_NUMBER: The category attribute value is invalid"),
    ):
        if code in wrong:
            raise Refusal(code, title, wrong[code])


def declared_variations(product: dict[str, Any]) -> dict[str, tuple[bool, list[str]]]:
    """``variation.variationN`` as ``{name: (customize, options)}`` (either case of N)."""
    raw = product.get("variation")
    if not isinstance(raw, dict):
        return {}
    found: dict[str, tuple[bool, list[str]]] = {}
    for node, body in raw.items():
        if not isinstance(body, dict):
            raise Refusal(
                "VARIATION_CONTENT_EMPTY",
                f"The Variation Content is Empty, The Variation Node is: {node}",
                [],
            )
        name = _text(body.get("name"))
        if not name:
            raise Refusal(
                "VARIATION_NAME_EMPTY",
                f"The Variation Name is Empty, The Variation Node is: {node}",
                [],
            )
        options = body.get("options")
        values = options.get("option") if isinstance(options, dict) else options
        values = [_text(v) for v in (values if isinstance(values, list) else [values])]
        found[name] = (str(body.get("customize")).lower() == "true", [v for v in values if v])
    return found


def variation_problems(
    category: int,
    variations: dict[str, tuple[bool, list[str]]],
    skus: list[dict[str, Any]],
    existing: Iterable[dict[str, str]] = (),
) -> None:
    """The variation rules of the custom sales attributes guide, over every SKU the
    product will have (``existing``: the sale props of the SKUs it has already)."""
    standard = {a.name for a in attributes_of(category) if a.sale_prop}
    if len(variations) > MAX_VARIATIONS:
        raise Refusal(
            "VARIATION_SIZE_LIMIT",
            f"The Variations Size Exceeds Maximum Size Limit, The Size Limit is: {MAX_VARIATIONS}",
            [],
        )
    for name, (customize, options) in variations.items():
        if len(name) > MAX_VARIATION_NAME:
            raise Refusal(
                "VARIATION_NAME_LENGTH_LIMIT",
                "The Variation Name's Content Exceeds "
                f"Maximum Length Limit, The Length Limit is: {MAX_VARIATION_NAME}, "
                f"The Name is: {name}",
                [],
            )
        if not customize and name not in standard:
            raise Refusal(
                "VARIATION_CATEGORY_ATTRIBUTE_INVALID",
                f"This attribute {name} is not found in the category attribute library.",
                [],
            )
        if not options:
            raise Refusal("VARIATION_OPTIONS_EMPTY", "The Variation Options Is Empty", [])
        if len(options) > MAX_OPTIONS or any(len(o) > MAX_OPTION for o in options):
            raise Refusal(
                "OPTIONS_SIZE_LIMIT",
                f"The Variation Options Exceeds Maximum Size "
                f"Limit ({MAX_OPTIONS} options of at most {MAX_OPTION} characters), "
                f"The Name is: {name}",
                [],
            )
    combos = [tuple(sorted(e.items())) for e in existing]
    for sku in skus:
        seller_sku = _text(sku.get("SellerSku"))
        raw = sku.get("saleProp")
        props = {str(k): _text(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        for name, (_customize, options) in variations.items():
            if not props.get(name):
                raise Refusal(
                    "SKU_VARIATION_NAME_MISSING",
                    f"The SKU Variation Name is "
                    f"Missing, The SellerSKU is: {seller_sku}, The Missing SKU "
                    f"Variation Name is: {name}",
                    [],
                )
            if props[name] not in options:
                raise Refusal(
                    "SKU_VARIATION_OPTION_NOT_EXIST",
                    f"The SKU Variation Option "
                    f"is Not Exist, The SellerSKU is: {seller_sku}, The SKU Variation "
                    f"Name is: {name}, The SKU Variation Option is: {props[name]}",
                    [],
                )
        for name in props.keys() - variations.keys():
            if name not in standard:
                raise Refusal(
                    "4143",
                    "BIZ_CHECK_SALEPROP_ATTRIBUTE_INVALID: The selling "
                    "attributes are not defined in the variation",
                    [_item(name, f"{name} is no sale property here", "4143")],
                )
        combos.append(tuple(sorted(props.items())))
    if len(combos) > 1 and any(not c for c in combos):
        raise Refusal(
            "4113",
            "CHK_SKU_PROPS_NOT_IDENTICAL: Sales attribute is not filled in",
            [
                _item(
                    "saleProp", "every SKU of a multi-SKU product needs its sale properties", "4113"
                )
            ],
        )
    if len(set(combos)) != len(combos):
        raise Refusal(
            "4112",
            "CHK_SKU_PROPS_DUPLICATE: Duplicate Sku attributes",
            [_item("saleProp", "two SKUs have the same sale properties", "4112")],
        )


def seller_sku_problems(skus: list[dict[str, Any]]) -> None:
    names = [_text(s.get("SellerSku")) for s in skus]
    if len(set(names)) != len(names):
        raise Refusal(
            "4105",
            "BIZ_CHECK_SELLER_SKU_DUPLICATE: SellerSku repeat",
            [_item("SellerSku", "SellerSku repeats in the payload", "4105")],
        )
