"""One connection's view of a product to create: its category, attributes, brand, and
what would make the platform refuse it.

Pure. :class:`PlatformFacts` is what planning knows of one connection's marketplace
(the category mapping, and the discovery answers cached for the mapped categories);
:func:`for_connection` turns a catalog draft into that platform's draft and lists the
attributes a create would lack; :func:`create_problems` what the category's limits
refuse. The plan blocks such a create with words a cooperative can act on instead of
sending it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter

from ocopsync.attributes import ProductFacts, brand_id, resolve, roles_used
from ocopsync.i18n import _
from ocopsync.image_rules import image_problems
from ocopsync.records import AttributeValue, Brand, CategoryAttribute, ItemLimits, ListingDraft


@dataclass(frozen=True)
class PlatformFacts:
    """What planning knows of one connection's marketplace to build its creates."""

    connection: str
    platform: str
    discovery: bool
    """The connector can tell a category's attributes (capabilities.discovery)."""
    category_map: Mapping[str, str] = field(default_factory=dict)
    """OCOP group -> leaf id: ``categories map`` over ``options.category_map``."""
    attributes: Mapping[str, Sequence[CategoryAttribute]] = field(default_factory=dict)
    """Cached attributes per category id; a category absent here was never fetched."""
    brands: Mapping[str, Sequence[Brand]] = field(default_factory=dict)
    limits: Mapping[str, ItemLimits] = field(default_factory=dict)
    defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """``options.attribute_defaults``: category id or OCOP group -> name -> value."""


def for_connection(draft: ListingDraft, facts: PlatformFacts) -> tuple[ListingDraft, list[str]]:
    """``draft`` in this platform's terms, and why a create of it would be refused.

    ``draft.attributes`` come in as the catalog's ``name=value`` pairs (key = name) and
    go out resolved for the category (key = the platform's attribute id or name). A
    platform without discovery gets the catalog's pairs as they are.
    """
    return Shaper(facts).shape(draft)


class Shaper:
    """:func:`for_connection` over one connection's whole catalog, remembering each
    resolution: the products of one cooperative share their category, attributes and
    facts, so a national run of 17,000 products x 6 connections resolves a few hundred
    distinct cases, not 100,000."""

    def __init__(self, facts: PlatformFacts) -> None:
        self.facts = facts
        self._roles: dict[str, frozenset[str]] = {}
        self._resolved: dict[
            tuple[object, ...], tuple[tuple[AttributeValue, ...], str, tuple[str, ...]]
        ] = {}

    def shape(self, draft: ListingDraft) -> tuple[ListingDraft, list[str]]:
        facts = self.facts
        category = facts.category_map.get(draft.group, "")
        if not facts.discovery or not category:
            same = category == draft.category_id  # a copy per product x connection for nothing
            return (draft if same else _with(draft, category_id=category)), []
        roles = self._roles.get(category)
        if roles is None:
            roles = self._roles[category] = roles_used(facts.attributes.get(category) or ())
        key = (  # only the facts this category's attributes read: fewer distinct cases
            category,
            draft.group,
            draft.attributes,
            draft.province if "place" in roles else None,
            draft.weight_g if "weight" in roles else None,
            draft.stars if "stars" in roles else None,
            draft.brand,
        )
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(draft, category)
        values, brand, problems = found
        shaped = _with(draft, category_id=category, attributes=values, brand_id=brand)
        return shaped, list(problems)

    def _resolve(
        self, draft: ListingDraft, category: str
    ) -> tuple[tuple[AttributeValue, ...], str, tuple[str, ...]]:
        facts = self.facts
        problems: list[str] = []
        specs = facts.attributes.get(category)
        if specs is None:
            problems.append(
                _(
                    "the attributes of {platform} category {category} are not known yet: run "
                    "ocopsync categories refresh {connection}"
                ).format(platform=facts.platform, category=category, connection=facts.connection)
            )
        defaults = {**facts.defaults.get(draft.group, {}), **facts.defaults.get(category, {})}
        resolution = resolve(
            specs or (),
            [(a.key, a.value) for a in draft.attributes],
            facts=ProductFacts(draft.province, draft.weight_g, draft.stars, draft.brand),
            defaults=defaults,
        )
        problems.extend(resolution.missing)
        brands = [(b.brand_id, b.name) for b in facts.brands.get(category, ())]
        return resolution.values, brand_id(brands, draft.brand), tuple(problems)


def _with(draft: ListingDraft, **changes: object) -> ListingDraft:
    """``dataclasses.replace``, twice as fast (it checks every field's init flag and
    passes them all by keyword): the draft's values read in one C call and handed to
    ``__init__`` by position. A national run shapes 100,000 drafts."""
    values = list(_DRAFT_VALUES(draft))
    for name, value in changes.items():
        values[_DRAFT_INDEX[name]] = value
    return ListingDraft(*values)


_DRAFT_FIELDS = tuple(f.name for f in fields(ListingDraft))
_DRAFT_VALUES = attrgetter(*_DRAFT_FIELDS)
_DRAFT_INDEX = {name: index for index, name in enumerate(_DRAFT_FIELDS)}


def create_problems(draft: ListingDraft, facts: PlatformFacts) -> list[str]:
    """What the category's item limits refuse in ``draft`` (images, name, description,
    variants); checked for creates only, since only a create sends all of them."""
    limits = facts.limits.get(draft.category_id) if draft.category_id else None
    if limits is None:
        return []
    return _limit_problems(draft, limits, facts.platform)


def _limit_problems(draft: ListingDraft, limits: ItemLimits, platform: str) -> list[str]:
    problems = image_problems(
        draft.image_urls,
        max_count=limits.images_max,
        formats=limits.image_formats,
        platform=platform,
    )
    if limits.name_max and len(draft.name) > limits.name_max:
        problems.append(
            _("name has {count} characters, {platform} takes at most {most}").format(
                count=len(draft.name), platform=platform, most=limits.name_max
            )
        )
    if limits.description_max and len(draft.description) > limits.description_max:
        problems.append(
            _("description has {count} characters, {platform} takes at most {most}").format(
                count=len(draft.description), platform=platform, most=limits.description_max
            )
        )
    if limits.variants_max and len(draft.variants) > limits.variants_max:
        problems.append(
            _("{count} variants, {platform} takes at most {most}").format(
                count=len(draft.variants), platform=platform, most=limits.variants_max
            )
        )
    return problems


def defaults_of(options: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``options.attribute_defaults`` as text tables (anything else is ignored: the
    config's validation reports it)."""
    raw = options.get("attribute_defaults")
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(key): {str(k): str(v) for k, v in table.items()}
        for key, table in raw.items()
        if isinstance(table, Mapping)
    }
