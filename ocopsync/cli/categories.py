"""``ocopsync categories CONNECTION``: browse a marketplace's category tree.

Shows each category's id, name, parent and whether it is a leaf (only a leaf takes a
listing, so only a leaf belongs in ``category_map``). ``--search`` matches names without
accents or case: ``tra`` finds ``Trà``.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.catalog_headers import fold
from ocopsync.cli.common import Format, app, connector_for, guarded, settings
from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.records import Category


def matching(categories: list[Category], search: str | None) -> list[Category]:
    """The categories whose name holds ``search``, ignoring accents and case."""
    if not search:
        return categories
    wanted = fold(search.strip())
    return [c for c in categories if wanted in fold(c.name)]


@app.command(help=_("Browse a marketplace's category tree: ids, names, parents and leaves."))
@guarded
def categories(
    connection: Annotated[str, typer.Argument(help=_("A configured connection's name."))],
    search: Annotated[
        str | None,
        typer.Option(help=_("Only categories whose name holds this text (accents optional).")),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    conn = settings().connection(connection)
    connector: Any = connector_for(conn)
    if not hasattr(connector, "list_categories"):
        raise ConfigError(
            _("{platform} connections have no category tree to browse").format(
                platform=conn.platform
            )
        )

    async def go() -> list[Category]:
        try:
            found: list[Category] = await connector.list_categories()
            return found
        finally:
            await connector.aclose()

    everything = asyncio.run(go())
    names = {c.category_id: c.name for c in everything}
    shown = matching(everything, search)
    if fmt is Format.json:
        render.emit_json({"connection": connection, "categories": [asdict(c) for c in shown]})
        return
    render.table(
        _("Categories of {connection} ({count})").format(connection=connection, count=len(shown)),
        [_("id"), _("name"), _("parent"), _("leaf")],
        [
            [
                c.category_id,
                c.name,
                f"{c.parent_id} {names.get(c.parent_id, '')}".strip() if c.parent_id else "",
                _("yes") if c.leaf else _("no"),
            ]
            for c in shown
        ],
    )
