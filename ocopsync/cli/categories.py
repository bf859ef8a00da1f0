"""``ocopsync categories``: find, check and choose a marketplace's categories.

A first create on Shopee or Lazada needs a leaf category id, its mandatory attributes and
often a brand; nobody should type those by hand from a web page. This group browses the
tree (``categories PLATFORM [--search]``: accents optional, ``tra`` finds ``Trà``), shows a
category's attributes, brands and limits (``show``), proposes a leaf per OCOP group
(``suggest``), writes the chosen one into the database (``map``, over the config's
``options.category_map``), and fetches everything again (``refresh``).

Every answer comes through the discovery cache (:mod:`ocopsync.store.discovery`): a
fresh one costs no request, so a sync that reads the same cache never fetches the tree.

``PLATFORM`` is a platform name (the config's only connection of it, or ``--connection``)
or a connection name. A first argument that is not a subcommand browses, so
``ocopsync categories demo-shopee`` works as it always has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any, TypedDict, TypeVar

import typer
from typer.core import TyperGroup

from ocopsync import render
from ocopsync.catalog_headers import fold
from ocopsync.category_suggest import (
    category_doc,
    group_or_refuse,
    leaf_or_refuse,
    matching,
    path_of,
    suggestion_rows,
)
from ocopsync.cli.common import (
    CoverageFormat,
    app,
    connector_for,
    engine_for,
    guarded,
    settings,
)
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.connectors.registry import available_platforms
from ocopsync.errors import ConfigError, OcopsyncError
from ocopsync.i18n import _
from ocopsync.models import utcnow
from ocopsync.records import Category
from ocopsync.store import discovery as cache

T = TypeVar("T")
SHOWN_BRANDS = 20
"""Brands ``show`` lists without ``--all``: a category may accept thousands."""


class _When(TypedDict):
    """How a read goes through the cache: fresh enough, as of when, or fetched anyway."""

    max_age: timedelta
    now: datetime
    refresh: bool


def _when(conn: ConnectionSettings, refresh: bool) -> _When:
    return {"max_age": cache.max_age_of(conn.options), "now": clock(), "refresh": refresh}


def clock() -> datetime:
    """Now, in UTC: what decides whether a cached answer is stale (tests replace it)."""
    return utcnow()


class _BrowseByDefault(TyperGroup):
    """A group whose first argument, when it is no subcommand, is a platform to browse."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["browse", *args]
        return super().parse_args(ctx, args)


categories_app = typer.Typer(
    cls=_BrowseByDefault,
    no_args_is_help=True,
    epilog=_(
        "Examples: ocopsync categories shopee --search tra; ocopsync categories show "
        "shopee 100860; ocopsync categories suggest lazada; ocopsync categories map "
        "shopee beverage 100860."
    ),
    help=_(
        "Marketplace categories: browse the tree (categories PLATFORM [--search TEXT]), "
        "show a category's attributes, suggest and map a leaf per OCOP group, refresh the "
        "cache. PLATFORM is a platform (its only connection, or --connection) or a "
        "connection name."
    ),
)
app.add_typer(categories_app, name="categories")

PlatformArg = Annotated[
    str,
    typer.Argument(
        metavar="PLATFORM",
        show_default=False,
        help=_("A platform (shopee, lazada...) or a configured connection's name."),
    ),
]
ConnectionOpt = Annotated[
    str | None,
    typer.Option(
        "--connection", help=_("Which connection, when the config has several of the platform.")
    ),
]
FormatOpt = Annotated[
    CoverageFormat,
    typer.Option(
        "--format", "-f", help=_("table for people, json or csv for programs (on stdout).")
    ),
]


# --- choosing the connection (pure) ---------------------------------------------------


def resolve_connection(
    s: Settings, name: str, connection: str | None, platforms: Sequence[str] = ()
) -> ConnectionSettings:
    """The connection ``PLATFORM [--connection C]`` names, or a ConfigError saying why not.

    A connection name wins over a platform name; a platform with several connections
    needs ``--connection`` (disabled ones are left aside when one enabled remains).
    """
    if connection:
        conn = s.connection(connection)
        if name not in (conn.name, conn.platform):
            raise ConfigError(
                _("connection {connection} is on {platform}, not {name}").format(
                    connection=conn.name, platform=conn.platform, name=name
                )
            )
        return conn
    for conn in s.connections:
        if conn.name == name:
            return conn
    of_platform = [c for c in s.connections if c.platform == name]
    if len(of_platform) > 1:
        enabled = [c for c in of_platform if c.enabled]
        of_platform = enabled if len(enabled) == 1 else of_platform
    if len(of_platform) == 1:
        return of_platform[0]
    if of_platform:
        raise ConfigError(
            _(
                "{count} connections are on {platform} ({names}): choose one with --connection"
            ).format(
                count=len(of_platform),
                platform=name,
                names=", ".join(c.name for c in of_platform),
            )
        )
    known = ", ".join(c.name for c in s.connections) or _("none configured")
    if name in platforms:
        raise ConfigError(
            _("the config has no {platform} connection (connections: {known})").format(
                platform=name, known=known
            )
        )
    raise ConfigError(
        _("no connection or platform named {name!r} (connections: {known})").format(
            name=name, known=known
        )
    )


def _connection(name: str, connection: str | None) -> ConnectionSettings:
    return resolve_connection(settings(), name, connection, available_platforms())


def _run(conn: ConnectionSettings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(connector)`` for one connection, closing the connector however it ends."""
    connector: Any = connector_for(conn)

    async def go() -> T:
        try:
            return await work(connector)
        finally:
            await connector.aclose()

    return asyncio.run(go())


def _offers(connector: Any, method: str) -> bool:
    return callable(getattr(connector, method, None))


def _require(connector: Any, method: str, conn: ConnectionSettings) -> None:
    if not _offers(connector, method):
        raise ConfigError(
            _("{platform} connections have no category tree to browse").format(
                platform=conn.platform
            )
        )


async def _tree(
    connector: Any, conn: ConnectionSettings, *, refresh: bool = False
) -> list[Category]:
    _require(connector, "list_categories", conn)
    return await cache.cached_tree(
        engine_for(settings()),
        connector,
        conn.name,
        max_age=cache.max_age_of(conn.options),
        now=clock(),
        refresh=refresh,
    )


# --- browse ---------------------------------------------------------------------------


@categories_app.command(
    "browse", help=_("Browse the category tree: ids, names, parents and leaves.")
)
@guarded
def browse(
    platform: PlatformArg,
    search: Annotated[
        str | None,
        typer.Option(help=_("Only categories whose name holds this text (accents optional).")),
    ] = None,
    connection: ConnectionOpt = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help=_("Ask the platform even if the cache is fresh."))
    ] = False,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    conn = _connection(platform, connection)
    everything = _run(conn, lambda c: _tree(c, conn, refresh=refresh))
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


async def _details(
    connector: Any, conn: ConnectionSettings, category_id: str, refresh: bool
) -> dict[str, Any]:
    """The category, and what the connector offers of its attributes, brands and limits."""
    tree = await _tree(connector, conn)
    category = leaf_or_refuse(tree, category_id, conn.name)
    engine = engine_for(settings())
    when = _when(conn, refresh)
    key = category.category_id
    found: dict[str, Any] = {"category": category_doc(category, tree)}
    if _offers(connector, "category_attributes"):
        found["attributes"] = await cache.cached_attributes(
            engine, connector, conn.name, key, **when
        )
    if _offers(connector, "category_brands"):
        found["brands"] = await cache.cached_brands(engine, connector, conn.name, key, **when)
    if _offers(connector, "item_limits"):
        found["limits"] = await cache.cached_limits(engine, connector, conn.name, key, **when)
    return found


@categories_app.command(
    "show",
    help=_(
        "One leaf category: its attributes (mandatory ones first, with allowed values and "
        "units), its brands and the platform's item limits."
    ),
)
@guarded
def show(
    platform: PlatformArg,
    category_id: Annotated[
        str, typer.Argument(metavar="CATEGORY_ID", help=_("The category's id (see browse)."))
    ],
    connection: ConnectionOpt = None,
    all_brands: Annotated[
        bool, typer.Option("--all", help=_("Every brand, not only the first ones."))
    ] = False,
    brand: Annotated[
        str | None,
        typer.Option(
            "--brand", help=_("Only brands whose name holds this text (accents optional).")
        ),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help=_("Ask the platform even if the cache is fresh."))
    ] = False,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    conn = _connection(platform, connection)
    found = _run(conn, lambda c: _details(c, conn, category_id, refresh))
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


@categories_app.command(
    "suggest",
    help=_(
        "Propose a leaf category per OCOP group from the tree's names, beside the mapping "
        "in force (database over config). Nothing is written: use map."
    ),
)
@guarded
def suggest_command(
    platform: PlatformArg,
    connection: ConnectionOpt = None,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    conn = _connection(platform, connection)
    tree = _run(conn, lambda c: _tree(c, conn))
    engine = engine_for(settings())
    config_map = {str(k): str(v) for k, v in (conn.options.get("category_map") or {}).items()}
    rows = suggestion_rows(
        tree, cache.groups_in_catalog(engine), cache.mappings(engine, conn.name), config_map
    )
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


@categories_app.command(
    "map",
    help=_(
        "Use CATEGORY_ID for GROUP's products on this connection: checked to be a leaf of "
        "the tree, then written into the database, where it wins over options.category_map."
    ),
)
@guarded
def map_command(
    platform: PlatformArg,
    group: Annotated[
        str,
        typer.Argument(
            metavar="GROUP", help=_("An OCOP group: food, beverage, herbal, textile, handicraft.")
        ),
    ],
    category_id: Annotated[
        str | None,
        typer.Argument(
            metavar="CATEGORY_ID", show_default=False, help=_("A leaf category's id (see suggest).")
        ),
    ] = None,
    clear: Annotated[
        bool,
        typer.Option(
            "--clear", help=_("Forget the database mapping of GROUP (the config's applies again).")
        ),
    ] = False,
    connection: ConnectionOpt = None,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    chosen = group_or_refuse(group)
    conn = _connection(platform, connection)
    engine = engine_for(settings())
    config_value = (conn.options.get("category_map") or {}).get(chosen)
    if clear or category_id is None:
        if not clear:
            raise ConfigError(_("give a CATEGORY_ID to map, or --clear to forget the mapping"))
        _clear(conn, chosen, cache.remove_mapping(engine, conn.name, chosen), config_value, fmt)
        return
    tree = _run(conn, lambda c: _tree(c, conn))
    leaf = leaf_or_refuse(tree, category_id, conn.name)
    previous_db = cache.save_mapping(engine, conn.name, chosen, leaf.category_id, now=clock())
    previous: dict[str, str] | None = None
    if previous_db is not None:
        previous = {"category_id": previous_db, "source": "database"}
    elif config_value is not None:
        previous = {"category_id": str(config_value), "source": "config"}
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


def _clear(
    conn: ConnectionSettings,
    group: str,
    removed: str | None,
    config_value: Any,
    fmt: CoverageFormat,
) -> None:
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


async def _refetch(connector: Any, conn: ConnectionSettings) -> list[str]:
    """Fetch the tree, then each mapped category's answers and the logistics channels,
    storing each; what failed, one line each (the rest is still stored)."""
    tree = await _tree(connector, conn, refresh=True)
    engine = engine_for(settings())
    when = _when(conn, True)
    config_map = conn.options.get("category_map") or {}
    mapped = cache.category_map(engine, conn.name, config_map)
    problems: list[str] = []
    fetches = (
        ("category_attributes", cache.cached_attributes),
        ("category_brands", cache.cached_brands),
        ("item_limits", cache.cached_limits),
    )
    for category_id in sorted(set(mapped.values())):
        groups = ", ".join(g for g, v in sorted(mapped.items()) if v == category_id)
        try:
            leaf_or_refuse(tree, category_id, conn.name)
        except ConfigError as exc:
            problems.append(f"{groups}: {exc}")
            continue
        for method, fetch in fetches:
            if not _offers(connector, method):
                continue
            try:
                await fetch(engine, connector, conn.name, category_id, **when)
            except OcopsyncError as exc:
                problems.append(f"{groups}: {category_id} {method}: {exc}")
    if _offers(connector, "logistics_channels"):
        try:
            await cache.cached_logistics(engine, connector, conn.name, **when)
        except OcopsyncError as exc:
            problems.append(f"logistics_channels: {exc}")
    return problems


@categories_app.command(
    "refresh",
    help=_(
        "Fetch the category tree again, and the attributes, brands and limits of every "
        "mapped category (and the logistics channels), into the cache."
    ),
)
@guarded
def refresh_command(
    platform: PlatformArg,
    connection: ConnectionOpt = None,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    conn = _connection(platform, connection)
    problems = _run(conn, lambda c: _refetch(c, conn))
    entries = cache.entries(engine_for(settings()), conn.name)
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
    if problems:
        raise typer.Exit(1)
