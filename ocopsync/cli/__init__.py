"""The ``ocopsync`` command line: thin Typer commands that parse, call a layer, render.

One module per command group; each imports only :mod:`ocopsync.cli.common` (and the
layers below), never another command module, so there is no cycle. This package puts
them together. Errors of ours become one readable line on stderr and an exit status (1
bad input or config, 3 a sync ran but some operations failed); ``--debug`` shows the
traceback.

Typer reads every ``--help`` text when a command module is imported, so the language
(``--lang``, ``OCOPSYNC_LANG``, the locale) is decided from the command line first, before
the command modules are imported; ``main_options`` decides it again for each invocation.
"""

from __future__ import annotations

# ruff: noqa: E402  (the language is set before the command modules are imported)
from ocopsync.i18n import language_from_argv, set_language

set_language(language_from_argv())

# isort: off
from ocopsync.cli import setup, sync, coverage, status, certificates, report, categories  # noqa: F401  (in this order)

# isort: on
from ocopsync.cli.catalog import catalog_app
from ocopsync.cli.common import app
from ocopsync.cli.connections import connections_app
from ocopsync.cli.runs import runs_app
from ocopsync.cli.sandbox import sandbox_app
from ocopsync.cli.schedule import schedule_app
from ocopsync.cli.stock import stock_app

app.add_typer(catalog_app, name="catalog")
app.add_typer(runs_app, name="runs")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(connections_app, name="connections")
app.add_typer(schedule_app, name="schedule")
app.add_typer(stock_app, name="stock")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ocopsync")


__all__ = ["app", "main"]
