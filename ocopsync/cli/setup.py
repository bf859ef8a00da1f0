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


@app.command()
@guarded
def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing ocopsync.toml.")] = False,
) -> None:
    """Write a commented ocopsync.toml and create the database."""
    target = Path(state.config or "ocopsync.toml")
    if target.exists() and not force:
        render.stderr.print(f"{target} exists; keeping it (use --force to overwrite)")
    else:
        target.write_text(example_config_text(), encoding="utf-8")
        render.stdout.print(f"wrote {target}")
    s = load_settings(target)
    record_connections(engine_for(s), s.connections)
    shown = make_url(s.database_url).render_as_string(hide_password=True)
    render.stdout.print(f"database ready: {shown}")


@app.command()
@guarded
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo writes its catalog, config and database.")
    ] = Path("ocopsync-demo"),
    size: Annotated[
        int, typer.Option(min=20, max=20_000, help="Products in the sample catalog.")
    ] = 320,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sample catalog + sandbox platforms on loopback + sync + coverage, in one go."""
    from ocopsync.demo import run_demo

    run_demo(directory, size=size, today=today(), as_json=fmt is Format.json)


# -- catalog ---------------------------------------------------------------------------
