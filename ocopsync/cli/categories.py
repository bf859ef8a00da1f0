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
``ocopsync categories demo-shopee`` works as it always has. Which connection is meant is
:mod:`.categories_connection`'s to decide, and what each command prints is
:mod:`.categories_show`'s; this module parses, fetches and hands over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypedDict, TypeVar

import typer
from typer.core import TyperGroup

from ocopsync.category_suggest import (
    category_doc,
    group_or_refuse,
    leaf_or_refuse,
    suggestion_rows,
)
from ocopsync.cli.categories_connection import resolve_connection
from ocopsync.cli.categories_show import (
    browse_output,
    clear_output,
    map_output,
    refresh_output,
    show_output,
    suggest_output,
)
from ocopsync.cli.common import (
    CoverageFormat,
    app,
    connector_for,
    engine_for,
    guarded,
    settings,
)
from ocopsync.config import ConnectionSettings
from ocopsync.connectors.registry import available_platforms
from ocopsync.errors import ConfigError, OcopsyncError
from ocopsync.i18n import _
from ocopsync.models import utcnow
from ocopsync.records import Category
from ocopsync.store import discovery as cache

T = TypeVar("T")


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


# --- fetching through the cache -------------------------------------------------------


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
    browse_output(conn, everything, search, fmt)


# --- show -----------------------------------------------------------------------------


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
    show_output(conn, found, brand, all_brands, fmt)


# --- suggest --------------------------------------------------------------------------


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
    suggest_output(conn, rows, fmt)


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
        removed = cache.remove_mapping(engine, conn.name, chosen)
        clear_output(conn, chosen, removed, config_value, fmt)
        return
    tree = _run(conn, lambda c: _tree(c, conn))
    leaf = leaf_or_refuse(tree, category_id, conn.name)
    previous_db = cache.save_mapping(engine, conn.name, chosen, leaf.category_id, now=clock())
    previous: dict[str, str] | None = None
    if previous_db is not None:
        previous = {"category_id": previous_db, "source": "database"}
    elif config_value is not None:
        previous = {"category_id": str(config_value), "source": "config"}
    map_output(conn, chosen, leaf, tree, previous, fmt)


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
    refresh_output(conn, entries, problems, fmt)
    if problems:
        raise typer.Exit(1)
