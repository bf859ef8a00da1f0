"""What ``ocopsync categories`` prints: one renderer per command, for every ``--format``.

The commands in :mod:`ocopsync.cli.categories` parse their arguments and fetch through
the discovery cache; what they found is turned into a table, JSON or CSV here, so every
command of the group formats the same way and the Typer module stays thin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ocopsync import render
from ocopsync.catalog_headers import fold
from ocopsync.category_suggest import category_doc, matching, path_of
from ocopsync.cli.common import CoverageFormat
from ocopsync.config import ConnectionSettings
from ocopsync.i18n import _
from ocopsync.records import Category

SHOWN_BRANDS = 20
"""Brands ``show`` lists without ``--all``: a category may accept thousands."""


# --- browse ---------------------------------------------------------------------------


def browse_output(
    conn: ConnectionSettings, everything: list[Category], search: str | None, fmt: CoverageFormat
) -> None:
    """The categories whose name holds ``search`` (all without it), with their paths."""
    by_id = {c.category_id: c for c in everything}
    shown = matching(everything, search)
    if fmt is CoverageFormat.json:
        render.emit_json({"connection": conn.name, "categories": [asdict(c) for c in shown]})
        return
    rows = [
        {
            "category_id": c.category_id,
            "name": c.name,
            "parent_id": c.parent_id or "",
            "parent": by_id[c.parent_id].name if c.parent_id in by_id else "",
            "leaf": c.leaf,
            "path": path_of(c, by_id),
        }
        for c in shown
    ]
    if fmt is CoverageFormat.csv:
        render.emit_csv(rows)
        return
    render.table(
        _("Categories of {connection} ({count})").format(connection=conn.name, count=len(shown)),
        [_("id"), _("name"), _("parent"), _("leaf")],
        [
            [
                r["category_id"],
                r["name"],
                f"{r['parent_id']} {r['parent']}".strip(),
                _("yes") if r["leaf"] else _("no"),
            ]
            for r in rows
        ],
    )


# --- show -----------------------------------------------------------------------------


def _allowed(options: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(o.name for o in options[:limit])
    more = len(options) - limit
    return shown + (_(" … (+{count})").format(count=more) if more > 0 else "")


def show_output(
    conn: ConnectionSettings,
    found: dict[str, Any],
    brand: str | None,
    all_brands: bool,
    fmt: CoverageFormat,
) -> None:
    """One leaf: mandatory attributes first, the brands matching ``brand`` (the first
    :data:`SHOWN_BRANDS` unless ``all_brands``) and the item limits."""
    attributes = sorted(found.get("attributes", []), key=lambda a: not a.mandatory)
    brands = found.get("brands")
    if brands is not None and brand:
        wanted = fold(brand.strip())
        brands = [b for b in brands if wanted in fold(b.name)]
    shown_brands = brands if all_brands or brands is None else brands[:SHOWN_BRANDS]
    limits = found.get("limits")
    if fmt is CoverageFormat.json:
        render.emit_json(
            {
                "connection": conn.name,
                "category": found["category"],
                "attributes": [asdict(a) for a in attributes] if "attributes" in found else None,
                "mandatory": [a.key for a in attributes if a.mandatory],
                "brands": None if shown_brands is None else [asdict(b) for b in shown_brands],
                "brands_total": None if brands is None else len(brands),
                "limits": None if limits is None else asdict(limits),
            }
        )
        return
    if fmt is CoverageFormat.csv:
        render.emit_csv(
            [
                {
                    "key": a.key,
                    "name": a.name,
                    "mandatory": a.mandatory,
                    "input_type": a.input_type,
                    "options": "|".join(o.name for o in a.options),
                    "option_ids": "|".join(o.value_id for o in a.options),
                    "unit": a.unit,
                }
                for a in attributes
            ]
        )
        return
    _print_details(conn, found, attributes, brands, shown_brands, limits)


def _limit_text(name: str, value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    if value == 0 and name in ("price_min", "price_max", "variants_max"):
        return _("not known")  # ItemLimits: 0 is "no limit known"
    return str(value)


def _print_details(
    conn: ConnectionSettings,
    found: dict[str, Any],
    attributes: Sequence[Any],
    brands: Sequence[Any] | None,
    shown_brands: Sequence[Any] | None,
    limits: Any,
) -> None:
    category = found["category"]
    render.stdout.print(
        _("{connection}: category {category_id} {path}").format(
            connection=conn.name, category_id=category["category_id"], path=category["path"]
        )
    )
    if "attributes" not in found:
        render.stdout.print(
            _("The {platform} connector does not read category attributes.").format(
                platform=conn.platform
            )
        )
    else:
        mandatory = sum(1 for a in attributes if a.mandatory)
        render.table(
            _("Attributes ({count}, {mandatory} mandatory)").format(
                count=len(attributes), mandatory=mandatory
            ),
            [_("mandatory"), _("key"), _("name"), _("type"), _("allowed values"), _("unit")],
            [
                [
                    _("* MANDATORY") if a.mandatory else "",
                    a.key,
                    a.name,
                    a.input_type,
                    _allowed(a.options),
                    a.unit,
                ]
                for a in attributes
            ],
        )
    if brands is not None and shown_brands is not None:
        render.table(
            _("Brands ({shown} of {count})").format(shown=len(shown_brands), count=len(brands)),
            [_("id"), _("name")],
            [[b.brand_id, b.name] for b in shown_brands],
        )
    if limits is not None:
        render.table(
            _("Item limits"),
            [_("limit"), _("value")],
            [[k, _limit_text(k, v)] for k, v in asdict(limits).items()],
        )


# --- suggest --------------------------------------------------------------------------


def _current_text(current: dict[str, Any] | None) -> str:
    if current is None:
        return ""
    if not current["in_tree"]:
        return _("{category_id} (not in the tree!)").format(category_id=current["category_id"])
    if not current["leaf"]:
        return _("{category_id} {name} (not a leaf!)").format(**current)
    return f"{current['category_id']} {current['name']}"


def suggest_output(
    conn: ConnectionSettings, rows: list[dict[str, Any]], fmt: CoverageFormat
) -> None:
    """Each group's suggested leaf beside the mapping in force, and how to map one."""
    if fmt is CoverageFormat.json:
        render.emit_json({"connection": conn.name, "suggestions": rows})
        return
    flat = [
        {
            "group": r["group"],
            "products": r["products"],
            "suggested_id": r["suggested"]["category_id"] if r["suggested"] else "",
            "suggested_path": r["suggested"]["path"] if r["suggested"] else "",
            "current_id": r["current"]["category_id"] if r["current"] else "",
            "current_source": r["current"]["source"] if r["current"] else "",
        }
        for r in rows
    ]
    if fmt is CoverageFormat.csv:
        render.emit_csv(flat)
        return
    render.table(
        _("Suggested categories on {connection}").format(connection=conn.name),
        [_("group"), _("products"), _("suggested"), _("also"), _("mapped now"), _("from")],
        [
            [
                r["group"],
                r["products"],
                f"{f['suggested_id']} {f['suggested_path']}".strip() or _("(nothing found)"),
                "; ".join(f"{a['category_id']} {a['name']}" for a in r["alternatives"]),
                _current_text(r["current"]),
                {"database": _("database"), "config": _("config")}.get(f["current_source"], ""),
            ]
            for r, f in zip(rows, flat, strict=True)
        ],
    )
    render.stdout.print(
        _("Map one with: ocopsync categories map {connection} GROUP CATEGORY_ID").format(
            connection=conn.name
        )
    )


# --- map ------------------------------------------------------------------------------


def map_output(
    conn: ConnectionSettings,
    chosen: str,
    leaf: Category,
    tree: list[Category],
    previous: dict[str, str] | None,
    fmt: CoverageFormat,
) -> None:
    """The mapping just written, and the one it replaced when that differs."""
    mapped = category_doc(leaf, tree)
    if fmt is CoverageFormat.json:
        render.emit_json(
            {"connection": conn.name, "group": chosen, "category": mapped, "previous": previous}
        )
        return
    if fmt is CoverageFormat.csv:
        render.emit_csv([{"connection": conn.name, "group": chosen, **mapped}])
        return
    render.stdout.print(
        _("{connection}: {group} -> {category_id} {path}").format(
            connection=conn.name, group=chosen, category_id=leaf.category_id, path=mapped["path"]
        )
    )
    if previous is not None and previous["category_id"] != leaf.category_id:
        render.stdout.print(
            _("(was {category_id}, from the {source})").format(
                category_id=previous["category_id"],
                source=_("database") if previous["source"] == "database" else _("config"),
            )
        )


def clear_output(
    conn: ConnectionSettings,
    group: str,
    removed: str | None,
    config_value: Any,
    fmt: CoverageFormat,
) -> None:
    """After ``map --clear``: what was removed and what is in force now (CSV asked gives
    the same JSON object: there is no row to write)."""
    now_in_force = None if config_value is None else str(config_value)
    if fmt is not CoverageFormat.table:
        render.emit_json(
            {
                "connection": conn.name,
                "group": group,
                "removed": removed,
                "category_id": now_in_force,
                "source": None if now_in_force is None else "config",
            }
        )
        return
    if removed is None:
        render.stdout.print(
            _("{connection}: {group} had no mapping in the database").format(
                connection=conn.name, group=group
            )
        )
    render.stdout.print(
        _("{connection}: {group} -> {category_id} (from the config)").format(
            connection=conn.name, group=group, category_id=now_in_force
        )
        if now_in_force is not None
        else _("{connection}: {group} has no category now").format(
            connection=conn.name, group=group
        )
    )


# --- refresh --------------------------------------------------------------------------


def refresh_output(
    conn: ConnectionSettings, entries: Sequence[Any], problems: list[str], fmt: CoverageFormat
) -> None:
    """What the cache now holds, then each fetch that failed on stderr."""
    rows = [
        {
            "kind": e.kind,
            "key": e.key,
            "records": e.records,
            "fetched_at": e.fetched_at.isoformat(timespec="seconds"),
        }
        for e in entries
    ]
    if fmt is CoverageFormat.json:
        render.emit_json({"connection": conn.name, "entries": rows, "errors": problems})
    elif fmt is CoverageFormat.csv:
        render.emit_csv(rows)
    else:
        render.table(
            _("Discovery cache of {connection}").format(connection=conn.name),
            [_("what"), _("category"), _("records"), _("fetched at")],
            [list(r.values()) for r in rows],
        )
    for problem in problems:
        render.print_error(problem)
