"""``ocopsync connections list|authorize|check``: onboarding shops, checking credentials."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli.common import (
    Format,
    FormatOpt,
    connector_for,
    guarded,
    settings,
)
from ocopsync.config import ConnectionSettings
from ocopsync.errors import ConfigError, OcopsyncError, unexpected_failure
from ocopsync.i18n import _

connections_app = typer.Typer(
    help=_("Configured shops: onboarding and credential checks."), no_args_is_help=True
)


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes") if moment else ""


@connections_app.command("list", help=_("Configured connections (credentials are never shown)."))
@guarded
def connections_list(fmt: FormatOpt = Format.table) -> None:
    rows = [
        {
            "name": c.name,
            "platform": c.platform,
            "base_url": c.base_url,
            "entity": c.entity,
            "enabled": c.enabled,
            "min_stars": c.policy.min_stars,
            "price_markup_pct": c.policy.price_markup_pct,
            "stock_buffer": c.policy.stock_buffer,
        }
        for c in settings().connections
    ]
    if fmt is Format.json:
        render.emit_json(rows)
        return
    render.table(
        _("Connections"),
        [
            _("name"),
            _("platform"),
            _("entity"),
            _("base url"),
            _("min ★"),
            _("markup %"),
            _("buffer"),
        ],
        [
            (
                r["name"],
                r["platform"],
                r["entity"],
                r["base_url"],
                r["min_stars"],
                r["price_markup_pct"],
                r["stock_buffer"],
            )
            for r in rows
        ],
    )


@connections_app.command(
    "authorize",
    help=_("Onboard a shop: print the authorization link, or exchange --code for tokens."),
)
@guarded
def connections_authorize(
    name: Annotated[str, typer.Argument(help=_("Connection name from ocopsync.toml."))],
    code: Annotated[
        str | None,
        typer.Option(
            help=_(
                "The code the platform gave after the seller approved; "
                "exchanged for tokens that are stored."
            )
        ),
    ] = None,
    redirect_url: Annotated[
        str, typer.Option(help=_("Where the platform sends the seller back."))
    ] = "https://localhost/ocopsync/callback",
    shop_id: Annotated[
        str | None, typer.Option(help=_("Shop id from the redirect (Shopee)."))
    ] = None,
) -> None:
    """Onboard a shop: print the authorization link, or exchange --code for tokens."""
    conn = settings().connection(name)
    connector: Any = connector_for(conn)
    if not hasattr(connector, "exchange_code"):
        raise ConfigError(
            _(
                "{platform} connections need no authorization step: "
                "their keys in [connections.credentials] are enough"
            ).format(platform=conn.platform)
        )

    async def go() -> None:
        try:
            if code is None:
                render.stdout.print(
                    _("Open this link, approve the shop, then run again with --code CODE:")
                )
                typer.echo(connector.authorization_url(redirect_url))
                return
            extra = {"shop_id": shop_id} if shop_id else {}
            tokens = await connector.exchange_code(code, **extra)
            render.stdout.print(
                _("authorized {name}: access until {access}, refresh until {refresh}").format(
                    name=name,
                    access=_iso(tokens.access_expires_at) or _("unknown"),
                    refresh=_iso(tokens.refresh_expires_at) or _("unknown"),
                )
            )
        finally:
            await connector.aclose()

    asyncio.run(go())


def _failed(row: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """The check row of a connection that could not be checked: never OK.

    Our errors say what went wrong (a refused key, an answer we cannot read: a portal
    answering garbage is not a working portal); anything else is a bug, in one line."""
    detail = str(exc) if isinstance(exc, OcopsyncError) else unexpected_failure(_("check"), exc)
    return {**row, "ok": False, "detail": detail, "access_expires_at": "", "refresh_expires_at": ""}


async def check_one(conn: ConnectionSettings) -> dict[str, Any]:
    """One connection's credentials, checked with a call read as a sync reads it."""
    row: dict[str, Any] = {"connection": conn.name, "platform": conn.platform}
    try:
        connector = connector_for(conn)
    except Exception as exc:
        return _failed(row, exc)
    try:
        status = await connector.check()
    except Exception as exc:
        return _failed(row, exc)
    finally:
        await connector.aclose()
    return {
        **row,
        "ok": status.ok,
        "detail": status.detail,
        "access_expires_at": _iso(status.access_expires_at),
        "refresh_expires_at": _iso(status.refresh_expires_at),
    }


@connections_app.command(
    "check",
    help=_("Verify every connection's credentials and show when each authorization expires."),
)
@guarded
def connections_check(fmt: FormatOpt = Format.table) -> None:
    """Verify every connection's credentials and show when each authorization expires."""
    s = settings()

    async def check_all() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(check_one(c) for c in s.connections if c.enabled)))

    rows = asyncio.run(check_all())
    if fmt is Format.json:
        render.emit_json(rows)
    else:
        render.table(
            _("Credentials"),
            [
                _("connection"),
                _("platform"),
                "ok",
                _("detail"),
                _("access expires"),
                _("authorization expires"),
            ],
            [
                (
                    r["connection"],
                    r["platform"],
                    _("yes") if r["ok"] else _("NO"),
                    r["detail"],
                    r["access_expires_at"],
                    r["refresh_expires_at"],
                )
                for r in rows
            ],
        )
    failed = [r for r in rows if not r["ok"]]
    render.connection_errors(
        [{"connection": r["connection"], "error": r["detail"]} for r in failed]
    )
    if failed:
        raise typer.Exit(1)


# -- schedule ----------------------------------------------------------------------------
