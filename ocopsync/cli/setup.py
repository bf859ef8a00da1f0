"""``ocopsync init`` and ``ocopsync demo``: getting started."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from ocopsync import render
from ocopsync.cli.common import (
    Format,
    FormatOpt,
    app,
    engine_for,
    guarded,
    state,
    today,
)
from ocopsync.config import load_settings
from ocopsync.i18n import _
from ocopsync.secrets import init_secret_key
from ocopsync.store import record_connections


# -- init and demo ----------------------------------------------------------------------
def example_config_text() -> str:
    packaged = Path(__file__).resolve().parent.parent / "data" / "ocopsync.example.toml"
    source = (
        packaged
        if packaged.is_file()
        else (Path(__file__).resolve().parents[2] / "config" / "ocopsync.example.toml")
    )
    return source.read_text(encoding="utf-8")


@app.command(help=_("Write a commented ocopsync.toml and create the database."))
@guarded
def init(
    force: Annotated[bool, typer.Option(help=_("Overwrite an existing ocopsync.toml."))] = False,
) -> None:
    target = Path(state.config or "ocopsync.toml")
    if target.exists() and not force:
        render.stderr.print(
            _("{path} exists; keeping it (use --force to overwrite)").format(path=target),
            markup=False,
        )
    else:
        target.write_text(example_config_text(), encoding="utf-8")
        render.stdout.print(_("wrote {path}").format(path=target), markup=False)
    s = load_settings(target)
    record_connections(engine_for(s), s.connections)
    shown = make_url(s.database_url).render_as_string(hide_password=True)
    render.stdout.print(_("database ready: {url}").format(url=shown), markup=False)
    render.stdout.print(init_secret_key(s.database_url), markup=False)


@app.command(
    help=_(
        "Sample catalog + sandbox platforms on loopback + sync + coverage, in one go.\n\nThe "
        "folder stays a working setup: its closing hint names the command that serves the "
        "same sandbox again (same port, shops and tokens) for plan, sync and coverage."
    )
)
@guarded
def demo(
    directory: Annotated[
        Path,
        typer.Option("--dir", help=_("Where the demo writes its catalog, config and database.")),
    ] = Path("ocopsync-demo"),
    size: Annotated[
        int, typer.Option(min=20, max=20_000, help=_("Products in the sample catalog."))
    ] = 320,
    port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help=_("Loopback port for the sandbox (another free one when it is taken; 0: any)."),
        ),
    ] = 8700,
    fmt: FormatOpt = Format.table,
) -> None:
    from ocopsync.demo import run_demo

    run_demo(directory, size=size, today=today(), as_json=fmt is Format.json, port=port)


# -- catalog ---------------------------------------------------------------------------
