"""A product's attributes in one platform's terms, and what is missing for a create.

Pure. A marketplace category lists the attributes it takes
(:class:`~ocopsync.records.CategoryAttribute`: key, name, mandatory, allowed values);
the catalog gives ``name=value`` pairs in the seller's words. :func:`resolve` matches
them, in this order, the first that gives a value winning:

1. the catalog's own pair, matched by the attribute's name or key, ignoring accents,
   case and punctuation (``xuat xu`` is ``Xuất xứ``); a value the category does not
   allow is reported, never replaced by the next source;
2. the connection's per-category defaults (``options.attribute_defaults``), by the
   same matching;
3. fixed mappings from catalog columns every OCOP product has: origin from the province
   (``Việt Nam`` for a country attribute), weight from ``weight_g``, the OCOP star
   rating, and the brand column (``No Brand`` when empty) for a brand attribute.

A value for an attribute with allowed values must be one of them (matched the same
way); several values of a multi-select are comma-separated. A mandatory attribute left
without a valid value is reported with its name and what it allows, so the plan can
block the create with words a cooperative can act on, and nothing is sent.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ocopsync.i18n import _
from ocopsync.records import AttributeValue, CategoryAttribute

NO_BRAND = "No Brand"
"""What Shopee and Lazada call a product sold without a brand."""

ROLES: Mapping[str, tuple[str, ...]] = {
    "country": ("xuat xu", "quoc gia xuat xu", "country of origin", "country origin", "origin"),
    "place": ("noi san xuat", "xuat xu tinh", "tinh thanh", "place of origin", "vung mien"),
    "weight": (
        "khoi luong",
        "trong luong",
        "khoi luong tinh",
        "weight",
        "net weight",
        "package weight",
    ),
    "stars": ("hang ocop", "xep hang ocop", "so sao ocop", "ocop", "ocop rating", "hang sao"),
    "brand": ("thuong hieu", "brand", "nhan hieu"),
}
"""Attribute names (folded) a fixed mapping fills, per role."""

MAX_ALLOWED_SHOWN = 8


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase, no accents (đ too), words separated by one space: how names are matched."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.split(r"[^0-9a-z]+", text)).strip()


@dataclass(frozen=True)
class ProductFacts:
    """What the fixed mappings read from a catalog row."""

    province: str
    weight_g: int | None
    stars: int
    brand: str = ""


@dataclass(frozen=True)
class Resolution:
    values: tuple[AttributeValue, ...]
    missing: tuple[str, ...]
    """One line per mandatory attribute without a valid value (name and allowed values)."""
    ignored: tuple[str, ...] = ()
    """Catalog pairs whose value this category does not allow (on an optional attribute)."""


def _lookup(pairs: Mapping[str, str], spec: CategoryAttribute) -> str | None:
    for name in (spec.name, spec.key):
        found = pairs.get(fold(name))
        if found:
            return found
    return None


@functools.lru_cache(maxsize=1 << 12)
def _role(spec: CategoryAttribute) -> str | None:
    names = {fold(spec.name), fold(spec.key)}
    for role, aliases in ROLES.items():
        if names & set(aliases):
            return role
    return None


def roles_used(specs: Sequence[CategoryAttribute]) -> frozenset[str]:
    """The fixed mappings a category's attributes read (``place``, ``weight``,
    ``stars``...): a product fact no attribute reads cannot change the resolution."""
    return frozenset(role for spec in specs if (role := _role(spec)) is not None)


def _fixed(spec: CategoryAttribute, facts: ProductFacts) -> str | None:
    role = _role(spec)
    if role == "country":
        return "Việt Nam"
    if role == "place":
        return facts.province or None
    if role == "weight" and facts.weight_g:
        unit = fold(spec.unit)
        if unit in ("kg", "kilogram"):
            return f"{facts.weight_g / 1000:g}"
        return str(facts.weight_g) if spec.input_type in ("int", "float") else f"{facts.weight_g} g"
    if role == "stars" and facts.stars:
        return f"{facts.stars} sao"
    if role == "brand":
        return facts.brand or NO_BRAND
    return None


def _option_for(spec: CategoryAttribute, wanted: str) -> AttributeValue | None:
    """The allowed value matching ``wanted`` (by folded name, then by digits for stars)."""
    target = fold(wanted)
    for option in spec.options:
        if fold(option.name) == target or option.value_id == wanted:
            return AttributeValue(spec.key, option.name, option.value_id)
    digits = re.sub(r"\D", "", wanted)
    if digits and _role(spec) == "stars":
        for option in spec.options:
            if re.sub(r"\D", "", option.name) == digits:
                return AttributeValue(spec.key, option.name, option.value_id)
    if _role(spec) == "country" and target in ("viet nam", "vietnam"):
        for option in spec.options:
            if fold(option.name) in ("viet nam", "vietnam", "vn"):
                return AttributeValue(spec.key, option.name, option.value_id)
    return None


def _values_for(spec: CategoryAttribute, text: str) -> list[AttributeValue] | None:
    """The attribute's values for ``text``, or None when the category does not allow it."""
    if spec.input_type in ("int", "float"):
        number = text.replace(",", ".").strip()
        number = re.sub(r"\s*(g|gr|gram|gam|kg|ml|l)$", "", number, flags=re.IGNORECASE)
        try:
            float(number)
        except ValueError:
            return None
        if spec.input_type == "int" and not re.fullmatch(r"-?\d+", number):
            return None
        return [AttributeValue(spec.key, number)]
    if not spec.options:
        return [AttributeValue(spec.key, text)]
    parts = [p.strip() for p in text.split(",")] if spec.input_type == "multi_select" else [text]
    found = [
        _option_for(spec, p) or (AttributeValue(spec.key, p) if spec.custom_values else None)
        for p in parts
        if p
    ]
    if not found or any(f is None for f in found):
        return None
    return [f for f in found if f is not None]


def allowed_text(spec: CategoryAttribute) -> str:
    """``A, B, C`` (the first few allowed values), or the type for free input."""
    if not spec.options:
        return {
            "int": _("a whole number"),
            "float": _("a number"),
            "date": _("a date"),
        }.get(spec.input_type, _("any text"))
    names = [o.name for o in spec.options[:MAX_ALLOWED_SHOWN]]
    more = len(spec.options) - len(names)
    shown = ", ".join(names)
    return shown + (_(" and {count} more").format(count=more) if more > 0 else "")


def resolve(
    specs: Sequence[CategoryAttribute],
    given: Iterable[Sequence[str]],
    *,
    facts: ProductFacts,
    defaults: Mapping[str, str] | None = None,
) -> Resolution:
    """The values to send for a category's attributes, and what a create still lacks.

    Memoised: a run resolves every product once per connection, and products of one
    cooperative share their category, attributes and facts, so most calls are repeats.
    """
    return _resolve(
        tuple(specs),
        tuple((str(name), str(value)) for name, value in given),
        facts,
        tuple(sorted((defaults or {}).items())),
    )


@functools.lru_cache(maxsize=1 << 14)
def _resolve(
    specs: tuple[CategoryAttribute, ...],
    given: tuple[tuple[str, str], ...],
    facts: ProductFacts,
    defaults: tuple[tuple[str, str], ...],
) -> Resolution:
    pairs = {fold(name): value for name, value in given if value}
    default_pairs = {fold(k): v for k, v in defaults if v}
    values: list[AttributeValue] = []
    missing: list[str] = []
    ignored: list[str] = []
    for spec in specs:
        chosen: list[AttributeValue] | None = None
        refused = ""
        own = _lookup(pairs, spec)
        if own:  # the seller's own value is never silently replaced by a default
            chosen = _values_for(spec, own)
            refused = "" if chosen is not None else own
        else:
            for source in (_lookup(default_pairs, spec), _fixed(spec, facts)):
                if source and (chosen := _values_for(spec, source)) is not None:
                    break
        if chosen:
            values.extend(chosen)
            continue
        if spec.mandatory:
            if refused:
                missing.append(
                    _("attribute {name}: {value!r} is not allowed (allowed: {allowed})").format(
                        name=spec.name, value=refused, allowed=allowed_text(spec)
                    )
                )
            else:
                missing.append(
                    _(
                        "mandatory attribute {name} ({allowed}): add {name}=... to the "
                        "product's attributes column or to options.attribute_defaults"
                    ).format(name=spec.name, allowed=allowed_text(spec))
                )
        elif refused:
            ignored.append(f"{spec.name}={refused}")
    return Resolution(tuple(values), tuple(missing), tuple(ignored))


def brand_id(brands: Sequence[tuple[str, str]], brand: str) -> str:
    """The id of ``brand`` among ``(brand_id, name)`` pairs ("" for no brand or unknown)."""
    if not brand:
        return ""
    wanted = fold(brand)
    return next((bid for bid, name in brands if fold(name) == wanted), "")
