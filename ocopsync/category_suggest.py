"""Proposing one leaf category per OCOP group from a marketplace tree's names (pure).

A cooperative does not know that Shopee files tea under 100860; it knows its products are
beverages. Each OCOP group has a list of keywords (Vietnamese without accents, and the
English a tree answered in English uses), the most telling first. A leaf scores by the
keywords in its own name (the best-ranked one decides, then how many), then by those in
its parents' names, so ``Trà`` under ``Đồ uống`` wins for beverage over ``Cà phê``, and
``Trang trí`` is not taken for ``trà``: keywords match whole words, never inside one.

It is a suggestion only: ``ocopsync categories map`` writes what a person chose, after
:func:`leaf_or_refuse` checked it (a parent or an unknown id is refused with what to use
instead) and :func:`group_or_refuse` read the group as a workbook would write it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ocopsync.catalog_headers import canonical_value, fold
from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.records import Category

GROUP_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "food": (
        "dac san", "do kho", "say kho", "thuc pham kho", "gao", "ngu coc", "mat ong",
        "nuoc mam", "gia vi", "banh", "keo", "mut", "thit", "thuc pham",
        "specialty", "dried food", "food staples", "rice", "honey", "sauce", "snack", "food",
    ),
    "beverage": (
        "tra", "ca phe", "ruou", "nuoc ep", "nuoc trai cay", "do uong", "nuoc giai khat",
        "tea", "coffee", "wine", "liquor", "juice", "beverage", "beverages", "drinks",
    ),
    "herbal": (
        "thao duoc", "duoc lieu", "y hoc co truyen", "tinh dau", "thuc pham chuc nang",
        "suc khoe", "herbal", "herb", "traditional medicine", "essential oil",
        "supplement", "supplements", "health",
    ),
    "textile": (
        "tho cam", "vai", "det", "may mac", "trang phuc truyen thong", "ao dai",
        "trang phuc", "thoi trang", "fabric", "textile", "textiles", "silk",
        "traditional wear", "garment", "clothes", "fashion",
    ),
    "handicraft": (
        "thu cong", "my nghe", "may tre", "may tre dan", "gom", "gom su", "son mai", "coi",
        "trang tri", "handicraft", "handicrafts", "craft", "rattan", "bamboo", "ceramics",
        "home decor",
    ),
}  # fmt: skip
"""The OCOP groups that go on marketplaces (tourism services do not) and their words."""

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Suggestion:
    """The leaf proposed for one OCOP group, and the runners-up a person may prefer."""

    group: str
    category: Category | None
    """None: no leaf's name or path holds any of the group's words."""
    path: str
    """The proposed leaf's ancestors and itself, ``Thực phẩm > Đồ uống > Trà``."""
    alternatives: tuple[Category, ...] = ()


def words(text: str) -> tuple[str, ...]:
    """``text`` folded (no accents, no case) and cut into words."""
    return tuple(_WORD.findall(fold(text)))


def _hits(name: Sequence[str], keywords: Sequence[tuple[str, ...]]) -> list[int]:
    """The ranks of the keywords that occur in ``name`` as whole words."""
    found = []
    for rank, keyword in enumerate(keywords):
        size = len(keyword)
        if any(tuple(name[i : i + size]) == keyword for i in range(len(name) - size + 1)):
            found.append(rank)
    return found


def ancestors(category: Category, by_id: Mapping[str, Category]) -> list[Category]:
    """The parents of ``category``, nearest first (a cycle in a bad tree stops the walk)."""
    chain: list[Category] = []
    seen = {category.category_id}
    parent = category.parent_id
    while parent is not None and parent in by_id and parent not in seen:
        seen.add(parent)
        chain.append(by_id[parent])
        parent = by_id[parent].parent_id
    return chain


def path_of(category: Category, by_id: Mapping[str, Category]) -> str:
    """``Top > Middle > Leaf``: what tells two leaves of the same name apart."""
    names = [c.name for c in reversed(ancestors(category, by_id))]
    return " > ".join([*names, category.name])


def _score(
    leaf: Category, by_id: Mapping[str, Category], keywords: Sequence[tuple[str, ...]]
) -> tuple[int, ...] | None:
    own = _hits(words(leaf.name), keywords)
    chain = ancestors(leaf, by_id)
    above = [r for a in chain for r in _hits(words(a.name), keywords)]
    # A grandparent's words alone say little ("Thực phẩm và Đồ uống" holds rice too).
    if not own and not (chain and _hits(words(chain[0].name), keywords)):
        return None
    worst = len(keywords)
    return (
        1 if own else 0,
        -min(own, default=worst),
        len(own),
        len(above),
        -min(above, default=worst),
    )


def suggest(
    tree: Sequence[Category], groups: Iterable[str], *, alternatives: int = 2
) -> list[Suggestion]:
    """One :class:`Suggestion` per group (in the order given), leaves only.

    A group without keywords (not an OCOP group we know) gets no proposal rather than a
    guess. Ties keep the tree's order, so the same tree always gives the same answer.
    """
    by_id = {c.category_id: c for c in tree}
    leaves = [c for c in tree if c.leaf]
    found: list[Suggestion] = []
    for group in groups:
        keywords = [words(k) for k in GROUP_KEYWORDS.get(group, ())]
        scored = [
            (score, index, leaf)
            for index, leaf in enumerate(leaves)
            if (score := _score(leaf, by_id, keywords)) is not None
        ]
        scored.sort(key=lambda s: (tuple(-v for v in s[0]), s[1]))
        if not scored:
            found.append(Suggestion(group, None, ""))
            continue
        best = scored[0][2]
        rest = tuple(leaf for _score_, _index, leaf in scored[1 : 1 + alternatives])
        found.append(Suggestion(group, best, path_of(best, by_id), rest))
    return found


def leaves_under(category_id: str, tree: Sequence[Category]) -> list[Category]:
    """Every leaf below ``category_id``, in tree order: what to offer for a parent."""
    by_id = {c.category_id: c for c in tree}
    return [
        c for c in tree if c.leaf and any(a.category_id == category_id for a in ancestors(c, by_id))
    ]


SHOWN_LEAVES = 10
"""Leaves offered when ``map`` is given a parent category."""


def matching(categories: list[Category], search: str | None) -> list[Category]:
    """The categories whose name holds ``search``, ignoring accents and case."""
    if not search:
        return categories
    wanted = fold(search.strip())
    return [c for c in categories if wanted in fold(c.name)]


def leaf_or_refuse(tree: Sequence[Category], category_id: str, connection: str) -> Category:
    """The leaf ``category_id`` of ``tree``; a ConfigError offering what to use instead.

    A parent is refused with the leaves under it (only a leaf takes a listing); an unknown
    id with the categories whose name holds it (someone typed ``Trà``, not ``100860``).
    """
    wanted = category_id.strip()
    by_id = {c.category_id: c for c in tree}
    found = by_id.get(wanted)
    if found is None:
        alike = [c for c in matching(list(tree), wanted) if c.leaf]
        hint = (
            _("leaves named like it: {leaves}").format(leaves=_listed(alike))
            if alike
            else _("find one with: ocopsync categories {connection} --search TEXT").format(
                connection=connection
            )
        )
        raise ConfigError(
            _("{connection} has no category {category_id}; {hint}").format(
                connection=connection, category_id=wanted, hint=hint
            )
        )
    if not found.leaf:
        raise ConfigError(
            _(
                "category {category_id} ({name}) is not a leaf and cannot take a listing; "
                "leaves under it: {leaves}"
            ).format(
                category_id=found.category_id,
                name=found.name,
                leaves=_listed(leaves_under(found.category_id, tree)),
            )
        )
    return found


def _listed(categories: Sequence[Category]) -> str:
    shown = "; ".join(f"{c.category_id} {c.name}" for c in categories[:SHOWN_LEAVES])
    more = len(categories) - SHOWN_LEAVES
    return shown + (_("; and {count} more").format(count=more) if more > 0 else "")


def category_doc(category: Category, tree: Sequence[Category]) -> dict[str, Any]:
    by_id = {c.category_id: c for c in tree}
    return {**asdict(category), "path": path_of(category, by_id)}


LISTED_GROUPS = tuple(GROUP_KEYWORDS)
"""The OCOP groups sold on marketplaces (community tourism services are not goods)."""


def suggestion_rows(
    tree: Sequence[Category],
    catalog_groups: dict[str, int],
    database_map: dict[str, str],
    config_map: dict[str, str],
) -> list[dict[str, Any]]:
    """One row per group: the proposed leaf, and the mapping in force beside it."""
    groups = [*LISTED_GROUPS, *(g for g in catalog_groups if g not in GROUP_KEYWORDS)]
    groups = [g for g in groups if g != "tourism"]
    by_id = {c.category_id: c for c in tree}
    rows = []
    for s in suggest(tree, groups):
        current_id = database_map.get(s.group) or config_map.get(s.group) or ""
        current = by_id.get(current_id)
        rows.append(
            {
                "group": s.group,
                "products": catalog_groups.get(s.group, 0),
                "suggested": None if s.category is None else category_doc(s.category, tree),
                "alternatives": [category_doc(c, tree) for c in s.alternatives],
                "current": None
                if not current_id
                else {
                    "category_id": current_id,
                    "name": current.name if current else "",
                    "leaf": bool(current and current.leaf),
                    "in_tree": current is not None,
                    "source": "database" if s.group in database_map else "config",
                },
            }
        )
    return rows


def group_or_refuse(text: str) -> str:
    """The OCOP group ``text`` names (``Đồ uống`` is beverage), if it goes on marketplaces."""
    group = canonical_value("group", text)
    if group == "tourism":
        raise ConfigError(_("community tourism services are not listed on marketplaces"))
    if group not in GROUP_KEYWORDS:
        raise ConfigError(
            _("unknown OCOP group {group!r} (known: {known})").format(
                group=text, known=", ".join(LISTED_GROUPS)
            )
        )
    return group
