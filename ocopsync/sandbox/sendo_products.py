"""What the Sendo sandbox accepts in a product body: numbers, nulls, attributes, variants.

Facts (help-seller "Create Or Update" 17992165478425, "Get Sku Detail" 17991973169433,
"Update By Field Masks" 17992521914649; product samples in public clients found by code
search, e.g. a Java ERP's Sendo product fixture and a Node.js multi-marketplace poster):

- ``price`` is documented as a decimal and public clients send ``120000.0``; every count
  (``stock_quantity``, ``weight``, ``variant_quantity``) is an int. A number that is whole
  (``5.0``) is taken as that int; a fractional one is refused (Vietnamese dong has no
  fractions, and a fractional stock means nothing) with our message "... must be a whole
  number"; Sendo's own wording is not known.
- optional fields may be ``null``: ``special_price``, ``promotion_from_date``,
  ``promotion_to_date``, ``brand_id``, ``height/length/width``, ``unit_id``, ``pictures``,
  ``attributes``, ``variants``, ``extended_shipping_package``, ``voucher``...
- ``attributes[]`` items are ``{attribute_id, attribute_name, attribute_code,
  attribute_is_custom, attribute_is_checkout, attribute_values: [{id, value, attribute_img,
  is_selected, is_custom}]}``; only the selected values count. A value of a ComboBox or
  CheckBox names one of the attribute's options by ``id``, or is a custom value
  (``is_custom: true``, its text in ``value``), as Sendo's own samples show
  ("attribute_custom_..." values); a TextBox takes one custom value.
- with ``is_config_variant: true``, ``variants[]`` items are ``{variant_attributes:
  [{attribute_id, attribute_code, option_id}], variant_sku, variant_price,
  variant_special_price, variant_quantity, variant_promotion_start_date,
  variant_promotion_end_date}``; ``variant_attribute_hash`` (the option ids joined by
  ``_``) is Sendo's, rendered on read. Variants pick options of the category's checkout
  attributes (``is_checkout``) only; ``variant_sku`` is unique within the product.
- ``brand_id`` is an ``external_id`` of the category's brand list (0: no brand).

Our choices (not found): a required attribute left without a selected value (and, for a
checkout attribute of a product with variants, not picked by every variant) is refused
with HTTP 400, ``error_details[0].code`` ``attribute_required``, ``property_name``
``attributes`` and the message "Thuộc tính bắt buộc chưa có giá trị: <name>"; an
unknown attribute, option or brand is a ``validation`` error; a ``variant_sku`` already
used by another product of the shop is refused (``sku_duplicate``), so that ``?sku=`` of a
variant finds one product; a product holds at most :data:`MAX_VARIANTS` variants and
:data:`MAX_PICTURES` pictures, and a name of at most :data:`NAME_MAX` characters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse

from ocopsync.sandbox.sendo_catalog import CHECK, COMBO, TEXT, Attr, Leaf, leaf

NAME_MAX = 255
MAX_PICTURES = 10
MAX_VARIANTS = 50
DESCRIPTION_MIN, DESCRIPTION_MAX, DESCRIPTION_IMAGES = 100, 100_000, 20
PRODUCT_DATES = ("promotion_from_date", "promotion_to_date")


class Invalid(Exception):
    """A request field Sendo would refuse: (property, message, code, HTTP status)."""

    def __init__(self, prop: str, message: str, code: str = "validation", status: int = 400):
        super().__init__(message)
        self.prop, self.message, self.code, self.status = prop, message, code, status


def whole(body: dict[str, Any], prop: str, minimum: int, *, optional: bool = False) -> int | None:
    """``body[prop]`` as an int: an int, or a float that is whole (``120000.0``)."""
    value = body.get(prop)
    if value is None and optional:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(prop, f"{prop} must be a whole number")
    if value < minimum:
        raise Invalid(prop, f"{prop} must be at least {minimum}")
    return value


def required_whole(body: dict[str, Any], prop: str, minimum: int) -> int:
    value = whole(body, prop, minimum)
    assert value is not None
    return value


def text(body: dict[str, Any], prop: str) -> str:
    value = body.get(prop)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(prop, f"{prop} is required")
    return value


def flag(body: dict[str, Any], prop: str) -> bool:
    value = body.get(prop)
    if not isinstance(value, bool):
        raise Invalid(prop, f"{prop} must be true or false")
    return value


def listed(body: dict[str, Any], prop: str) -> list[Any]:
    """An optional array: ``null`` or missing is empty."""
    value = body.get(prop)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(prop, f"{prop} must be an array")
    return value


def promotion(body: dict[str, Any], prefix: str = "", dates: tuple[str, str] = ("", "")) -> int:
    """The special price (0: none); one above zero needs both promotion dates (§3)."""
    special = whole(body, f"{prefix}special_price", 0, optional=True) or 0
    if special and any(body.get(d) in (None, "") for d in dates):
        raise Invalid(dates[0], f"{prefix}special_price needs {dates[0]} and {dates[1]}")
    return special


def promotion_window(body: dict[str, Any], dates: tuple[str, str]) -> list[int] | None:
    """The promotion's start and end as Unix seconds (ISO 8601 or seconds), or None."""
    window = []
    for prop in dates:
        value = body.get(prop)
        if value in (None, ""):
            return None
        try:
            stamp = (
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
            )
        except ValueError as exc:
            raise Invalid(prop, f"{prop} must be a date-time") from exc
        window.append(int(stamp))
    return window


def _selected(attr: Attr, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The selected values of one ``attributes[]`` entry, checked against the attribute."""
    values = [v for v in listed(entry, "attribute_values") if isinstance(v, dict)]
    chosen = [v for v in values if v.get("is_selected") is True]
    options = dict(attr.values)
    kept = []
    for value in chosen:
        custom = value.get("is_custom") is True or attr.control_type == TEXT
        label = value.get("value")
        if custom:
            if not isinstance(label, str) or not label.strip():
                raise Invalid("attributes", f"{attr.name}: a custom value needs its text")
            kept.append({"id": 0, "value": label.strip(), "is_custom": True})
            continue
        vid = whole(value, "id", 1)
        if vid not in options:
            raise Invalid("attributes", f"{attr.name}: {vid} is not one of its values")
        kept.append({"id": vid, "value": options[vid], "is_custom": False})
    if len(kept) > 1 and attr.control_type in (COMBO, TEXT):
        raise Invalid("attributes", f"{attr.name} takes one value")
    return kept


def attributes(body: dict[str, Any], found: Leaf, cat: int) -> dict[int, list[dict[str, Any]]]:
    """Selected values by attribute id; refuses unknown attributes and wrong values."""
    by_id = {a.id: a for a in found.attributes}
    chosen: dict[int, list[dict[str, Any]]] = {}
    for entry in listed(body, "attributes"):
        if not isinstance(entry, dict):
            raise Invalid("attributes", "each attribute must be an object")
        aid = whole(entry, "attribute_id", 1)
        attr = by_id.get(aid) if aid is not None else None
        if attr is None:
            raise Invalid("attributes", f"attribute {aid} is not an attribute of category {cat}")
        values = _selected(attr, entry)
        if values:
            chosen[attr.id] = values
    return chosen


def variants(body: dict[str, Any], found: Leaf, cat: int) -> list[dict[str, Any]]:
    """The checked ``variants[]`` of a config-variant product (empty for a simple one)."""
    config = body.get("is_config_variant")
    if config is None:
        config = False
    if not isinstance(config, bool):
        raise Invalid("is_config_variant", "is_config_variant must be true or false")
    raw = listed(body, "variants")
    if not config:
        if raw:
            raise Invalid("is_config_variant", "variants need is_config_variant true")
        return []
    if not found.config_variant:
        raise Invalid("is_config_variant", f"category {cat} does not take variants")
    if not 1 <= len(raw) <= MAX_VARIANTS:
        raise Invalid("variants", f"a product takes 1 to {MAX_VARIANTS} variants")
    checkout = {a.id: a for a in found.attributes if a.checkout}
    kept: list[dict[str, Any]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise Invalid("variants", "each variant must be an object")
        sku = text(entry, "variant_sku")
        picks = []
        for pick in listed(entry, "variant_attributes"):
            aid = whole(pick, "attribute_id", 1) if isinstance(pick, dict) else None
            attr = checkout.get(aid) if aid is not None else None
            if attr is None or not isinstance(pick, dict):
                raise Invalid("variants", f"{sku}: attribute {aid} is not a checkout attribute")
            option = whole(pick, "option_id", 1)
            if option not in dict(attr.values):
                raise Invalid("variants", f"{sku}: {option} is not a value of {attr.name}")
            picks.append(
                {"attribute_id": attr.id, "attribute_code": attr.code, "option_id": option}
            )
        if not picks:
            raise Invalid("variants", f"{sku}: variant_attributes is required")
        kept.append(
            {
                "variant_sku": sku,
                "variant_price": required_whole(entry, "variant_price", 1),
                "variant_quantity": required_whole(entry, "variant_quantity", 0),
                "variant_special_price": promotion(
                    entry,
                    "variant_",
                    ("variant_promotion_start_date", "variant_promotion_end_date"),
                ),
                "variant_attributes": picks,
            }
        )
    skus = [v["variant_sku"] for v in kept]
    if len(set(skus)) != len(skus):
        raise Invalid("variants", "variant_sku must be unique within the product")
    hashes = [variant_hash(v) for v in kept]
    if len(set(hashes)) != len(hashes):
        raise Invalid("variants", "two variants pick the same options")
    return kept


def variant_hash(variant: dict[str, Any]) -> str:
    """Sendo's ``variant_attribute_hash``: the picked option ids, sorted, joined by ``_``."""
    return "_".join(str(o) for o in sorted(p["option_id"] for p in variant["variant_attributes"]))


def require_attributes(
    found: Leaf, chosen: dict[int, list[dict[str, Any]]], kept: list[dict[str, Any]]
) -> None:
    """Refuse a product that leaves a required attribute without a value."""
    for attr in found.attributes:
        if not attr.required or attr.id in chosen:
            continue
        picked = kept and all(
            any(p["attribute_id"] == attr.id for p in v["variant_attributes"]) for v in kept
        )
        if attr.checkout and picked:
            continue
        raise Invalid(
            "attributes",
            f"Thuộc tính bắt buộc chưa có giá trị: {attr.name}",
            "attribute_required",
        )


def pictures(body: dict[str, Any]) -> list[str]:
    """``avatar`` then ``pictures`` URLs; each must be a public http(s) address."""
    urls = []
    for picture in [body.get("avatar"), *listed(body, "pictures")]:
        url = picture.get("picture_url") if isinstance(picture, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Invalid("avatar.picture_url", "pictures need an http(s) picture_url")
        urls.append(url)
    distinct = list(dict.fromkeys(urls))
    if len(distinct) > MAX_PICTURES:
        raise Invalid("pictures", f"a product takes at most {MAX_PICTURES} pictures")
    return distinct


def validate_product(body: dict[str, Any], sku_taken: Callable[[str], bool]) -> dict[str, Any]:
    """The platform fields of a full product (create or update), or Invalid.

    ``sku_taken(sku)`` says whether another product of the shop already uses ``sku``.
    """
    name = text(body, "name")
    if len(name) > NAME_MAX:
        raise Invalid("name", f"name may hold at most {NAME_MAX} characters")
    text(body, "sku")
    price = required_whole(body, "price", 1)
    stock = required_whole(body, "stock_quantity", 0)
    available = flag(body, "stock_availability")
    cat = body.get("cat_4_id")
    found = leaf(cat)
    if found is None:
        raise Invalid("cat_4_id", "cat_4_id must be a level-4 category id")
    assert isinstance(cat, int)
    weight = required_whole(body, "weight", 1)
    description = text(body, "description")
    if not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
        raise Invalid("description", "description must be 100 to 100000 characters of HTML")
    if description.lower().count("<img") > DESCRIPTION_IMAGES:
        raise Invalid("description", "description may hold at most 20 images")
    urls = pictures(body)
    for prop in ("height", "length", "width", "unit_id"):
        whole(body, prop, 0, optional=True)
    special = promotion(body, "", PRODUCT_DATES)
    brand_id = whole(body, "brand_id", 0, optional=True) or 0
    if brand_id and brand_id not in dict(found.brands):
        raise Invalid("brand_id", f"brand {brand_id} is not a brand of category {cat}")
    chosen = attributes(body, found, cat)
    kept = variants(body, found, cat)
    require_attributes(found, chosen, kept)
    for variant in kept:
        if sku_taken(variant["variant_sku"]):
            raise Invalid(
                "variants", f"sku {variant['variant_sku']} already exists", "sku_duplicate", 409
            )
    if kept:
        price = min(v["variant_price"] for v in kept)
        stock = sum(v["variant_quantity"] for v in kept)
    if available and stock <= 0:
        raise Invalid("stock_availability", "stock_availability must be false when stock <= 0")
    return {
        "price": price,
        "stock": stock,
        "available": available,
        "data": {
            "cat_4_id": cat,
            "weight": weight,
            "description": description,
            "avatar": urls[0],
            "pictures": urls[1:],
            "special_price": special,
            "promotion": promotion_window(body, PRODUCT_DATES) if special else None,
            "brand_id": brand_id,
            "brand_name": dict(found.brands).get(brand_id) if brand_id else None,
            "attributes": {str(k): v for k, v in chosen.items()},
            "variants": kept,
        },
    }


def render_attributes(found: Leaf | None, chosen: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """A detail's ``attributes[]``: every attribute of the category, selected values flagged."""
    rendered = []
    for attr in found.attributes if found else ():
        picked = chosen.get(str(attr.id), [])
        ids = {v["id"] for v in picked if not v["is_custom"]}
        values = [
            {"id": vid, "value": value, "attribute_img": None, "is_selected": vid in ids,
             "is_custom": False}
            for vid, value in attr.values
        ]  # fmt: skip
        values += [
            {"id": 0, "value": v["value"], "attribute_img": None, "is_selected": True,
             "is_custom": True}
            for v in picked
            if v["is_custom"]
        ]  # fmt: skip
        rendered.append(
            {
                "attribute_id": attr.id,
                "attribute_type": 2 if attr.control_type == CHECK else 3,
                "attribute_name": attr.name,
                "attribute_is_required": attr.required,
                "attribute_code": attr.code,
                "attribute_is_custom": False,
                "attribute_is_checkout": attr.checkout,
                "attribute_is_image": False,
                "attribute_values": values,
            }
        )
    return rendered


def render_variant(variant: dict[str, Any]) -> dict[str, Any]:
    special = variant.get("variant_special_price") or None
    return {
        "variant_attributes": [dict(p) for p in variant["variant_attributes"]],
        "variant_is_promotion": 1 if special else 0,
        "variant_sku": variant["variant_sku"],
        "variant_price": variant["variant_price"],
        "variant_special_price": special,
        "variant_quantity": variant["variant_quantity"],
        "variant_promotion_start_date_timestamp": None,
        "variant_promotion_end_date_timestamp": None,
        "variant_is_flash_sales": None,
        "variant_campaign_status": None,
        "variant_attribute_hash": variant_hash(variant),
        "message": None,
    }


def envelope(result: Any) -> JSONResponse:
    return JSONResponse({"result": result, "success": True, "error": None, "status_code": 200})


def failure(
    status: int, code: str, message: str, prop: str = "", headers: dict[str, str] | None = None
) -> JSONResponse:
    detail = {"property_name": prop, "message": message, "value": None, "code": code}
    error = {"message": message, "details": message, "error_details": [detail]}
    body = {"result": None, "success": False, "error": error, "status_code": status}
    return JSONResponse(body, status_code=status, headers=headers)
