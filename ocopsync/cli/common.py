"""What every command module shares: the root app, global options, error guard, formats.

Errors of ours become one readable line on stderr and an exit status (1 bad input or
config, 3 a sync ran but some operations failed); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, ParamSpec, TypeVar

import click
import typer
from rich.markup import escape
from sqlalchemy import Engine

from ocopsync import __version__, render
from ocopsync.config import ConnectionSettings, Settings, load_settings
from ocopsync.connectors.base import Connector, ConnectorContext
from ocopsync.connectors.registry import connector_class
from ocopsync.errors import OcopsyncError, unexpected_failure
from ocopsync.i18n import _, resolve_language, set_language
from ocopsync.models import make_engine
from ocopsync.store import DbTokenStore

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help=_(
        "Keep one master catalog of OCOP products listed, priced and stocked on every "
        "marketplace (Voso, Postmart, Shopee, Lazada, Sendo, the provincial portal)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Format(StrEnum):
    table = "table"
    json = "json"


class CoverageFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class State:
    config: str | None = None
    debug: bool = False


state = State()

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help=_("table for people, json for programs (one document on stdout).")
    ),
]
PlatformOpt = Annotated[str | None, typer.Option(help=_("Only connections of this platform."))]
EntityOpt = Annotated[
    str | None, typer.Option(help=_("Only this entity's products (entity_code)."))
]
ConnectionOpt = Annotated[str | None, typer.Option("--connection", help=_("Only this connection."))]


CLI_EXITS: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    click.exceptions.Exit,
    click.ClickException,
    *((typer.TyperException,) if hasattr(typer, "TyperException") else ()),
)
"""Exceptions that are an exit status or a usage error, not a failure (recent Typer
vendors its own click, so both families are named)."""


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every error into one line on stderr and an exit status, never a traceback.

    Ours say what to fix (exit 1, or theirs); anything else is a bug, reported in one
    redacted line (exit 1) whose traceback ``--debug`` shows, together with the
    ``ocopsync`` debug log (e.g. the traceback of a connection that failed unexpectedly).
    What is printed is escaped: a message's ``[error_sign]`` is text, not Rich markup.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _debug_log(state.debug)
        try:
            return func(*args, **kwargs)
        except CLI_EXITS:
            raise  # exit statuses and usage errors: Typer prints and exits as it should
        except OcopsyncError as exc:
            if state.debug:
                raise
            _error_line(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            render.print_error(_("interrupted"))
            raise typer.Exit(130) from None
        except Exception as exc:
            if state.debug:
                raise
            _error_line(unexpected_failure(_("ocopsync stopped"), exc))
            raise typer.Exit(1) from None

    return wrapper


def _error_line(text: str) -> None:
    render.stderr.print(f"[bold red]error:[/] {escape(text)}", markup=True, highlight=False)


class _DebugHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The ``ocopsync`` debug log on whatever ``sys.stderr`` is now (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def _debug_log(enabled: bool) -> None:
    """``--debug`` shows the ``ocopsync`` debug log (tracebacks of connections that failed
    unexpectedly) on stderr; without it, nothing of it, even in a process that ran with
    it before."""
    logger = logging.getLogger("ocopsync")
    ours = [h for h in logger.handlers if isinstance(h, _DebugHandler)]
    if enabled and not ours:
        handler = _DebugHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    elif not enabled:
        for handler in ours:
            logger.removeHandler(handler)
    logger.setLevel(logging.DEBUG if enabled else logging.NOTSET)


_warned: set[str] = set()
"""Warnings already printed: a command may read the settings several times."""


def settings() -> Settings:
    """The validated config; its warnings (plaintext credentials...) go to stderr once."""
    s = load_settings(state.config)
    for note in s.warnings:
        if note not in _warned:
            _warned.add(note)
            render.stderr.print(
                _("warning: {note}").format(note=note), markup=False, highlight=False
            )
    return s


def engine_for(s: Settings) -> Engine:
    return make_engine(s.database_url)


VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Certificates expire by the Vietnamese calendar; Vietnam has no daylight saving time."""


def today() -> date:
    return datetime.now(VIETNAM).date()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ocopsync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            envvar="OCOPSYNC_CONFIG",
            help=_("Config file (default ./ocopsync.toml)."),
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks."))] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="vi|en",
            help=_(
                "Language of messages: vi (Vietnamese) or en (English); default "
                "OCOPSYNC_LANG, else the locale (LANG=vi_VN.UTF-8 is Vietnamese)."
            ),
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=_("Print the version and exit.")
        ),
    ] = False,
) -> None:
    # Every invocation decides again (tests run many in one process); the --help texts
    # were already chosen by ocopsync.cli from the same command line.
    try:
        set_language(resolve_language(lang))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--lang") from None
    state.config = config
    state.debug = debug
    # httpx logs every URL at INFO, and some platforms (Shopee) carry tokens in the query.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def connector_for(conn: ConnectionSettings) -> Connector:
    """A connector for one configured connection, its tokens in the database."""
    s = settings()
    ctx = ConnectorContext(
        settings=conn,
        credentials=conn.resolved_credentials(),
        token_store=DbTokenStore(engine_for(s)),
    )
    connector: Connector = connector_class(conn.platform)(ctx)
    return connector


def execute_sync(
    *,
    platform: str | None,
    entity: str | None,
    connection: str | None,
    apply: bool,
    trigger: str = "cli",
    quiet: bool = False,
    saved_plan: Any = None,
) -> Any:
    """Run one plan or sync as ``sync`` and ``schedule serve`` both do."""
    from ocopsync.progress import progress_harness
    from ocopsync.sync import SyncRequest, run

    s = settings()
    engine = engine_for(s)
    request = SyncRequest(
        today=today(),
        platform=platform,
        entity=entity,
        connection=connection,
        apply=apply,
        trigger=trigger,
        saved_plan=saved_plan,
    )
    with progress_harness(enabled=apply and not quiet) as harness:
        return asyncio.run(run(engine, s, request, harness))
