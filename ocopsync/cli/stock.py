"""CLI commands for the master stock: what is held back, and resolving it."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import Format, FormatOpt, connector_for, engine_for, guarded, settings
from ocopsync.errors import CatalogError
from ocopsync.held_stock import confirm_drop, held_listings, resolve
from ocopsync.i18n import _

stock_app = typer.Typer(
    help=_("The master stock: units held back after a lost write, and resolving them."),
    no_args_is_help=True,
)


@stock_app.command(
    "held", help=_("Units held back from every platform because a lost write could not be decided.")
)
@guarded
def stock_held(
    sku: Annotated[str | None, typer.Option(help=_("Only this SKU."))] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    rows = held_listings(engine_for(settings()), sku)
    if fmt is Format.json:
        render.emit_json(
            [
                {"connection": r.connection, "sku": r.sku, "units": r.units, "detail": r.detail}
                for r in rows
            ]
        )
        return
    if not rows:
        render.stdout.print(_("Nothing is held: every unit is offered."))
        return
    render.table(
        _("Held units (offered nowhere until resolved)"),
        [_("sku"), _("connection"), _("units"), _("why")],
        [(r.sku, r.connection, r.units, r.detail) for r in rows],
    )


@stock_app.command(
    "resolve", help=_("Decide units held after a lost write: sold, or still on the shelf.")
)
@guarded
def stock_resolve(
    sku: Annotated[str, typer.Argument(help=_("The SKU whose held units you decide."))],
    connection: Annotated[str, typer.Option(help=_("The connection they are held on."))],
    sold: Annotated[
        bool,
        typer.Option(
            "--sold/--kept",
            help=_(
                "--sold: they were sold (the master stock drops); "
                "--kept: they are still here (offered again everywhere)."
            ),
        ),
    ],
) -> None:
    held = resolve(engine_for(settings()), sku, connection, sold=sold)
    verb = _("booked as sold") if sold else _("released to every platform")
    render.stdout.print(
        _(
            "{units} unit(s) of {sku} on {connection} {verb}; the next sync pushes the stock."
        ).format(units=held.units, sku=sku, connection=connection, verb=verb),
        markup=False,
    )


@stock_app.command(
    "confirm", help=_("Explain a drop no order explains (an edit in the seller centre).")
)
@guarded
def stock_confirm(
    sku: Annotated[str, typer.Argument(help=_("The SKU whose stock fell with no order."))],
    connection: Annotated[str, typer.Option(help=_("The connection where it fell."))],
    lost: Annotated[
        bool,
        typer.Option(
            "--lost/--restore",
            help=_(
                "--lost: the units are gone (the master drops by them); "
                "--restore: the platform is wrong (the next sync raises it again)."
            ),
        ),
    ],
) -> None:
    conn = settings().connection(connection)

    async def shown_now() -> int:
        connector = connector_for(conn)
        try:
            found = await connector.find_by_sku(sku)
        finally:
            await connector.aclose()
        if found is None:
            raise CatalogError(
                _("{sku} is not listed on {connection}").format(sku=sku, connection=connection)
            )
        return found.stock

    shown = asyncio.run(shown_now())
    done = confirm_drop(engine_for(settings()), sku, connection, shown, lost=lost)
    if lost:
        text = _("{units} unit(s) of {sku} booked as gone; the next sync pushes the rest.").format(
            units=done.booked, sku=sku
        )
    else:
        text = _("{sku} on {connection} will be raised again by the next sync.").format(
            sku=sku, connection=connection
        )
    render.stdout.print(text, markup=False)
