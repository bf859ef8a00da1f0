"""``ocopsync sandbox serve``: the emulated platforms on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ocopsync import render
from ocopsync.cli.common import (
    guarded,
)
from ocopsync.errors import ConfigError
from ocopsync.i18n import _

sandbox_app = typer.Typer(
    help=_("Emulated platforms on loopback, for trying things safely."), no_args_is_help=True
)


@sandbox_app.command(
    "serve",
    help=_(
        "Serve every emulated platform under /portal, /shopee, /lazada, /sendo, /voso, /postmart."
    ),
)
@guarded
def sandbox_serve(
    host: Annotated[str, typer.Option(help=_("Loopback address to bind."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("Port for every platform (one prefix each)."))] = 8700,
    faults: Annotated[
        str | None,
        typer.Option(
            help=_(
                "Fault injection as JSON, e.g. "
                '\'{"error_rate": 0.1, "rate_limit_rate": 0.05, "latency_s": 0.2, '
                '"drop_rate": 0.01, "drop_after_share": 0.5, "token_ttl_s": 60, "seed": 1}\'; '
                "drop_after_share is the share of drops made after the platform handled the "
                "request (the change is made, the answer lost)."
            )
        ),
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help=_(
                "Keep the shops, items, orders and issued tokens in this JSON file: loaded "
                "at start when it exists, written after every change and at shutdown, so a "
                "restarted sandbox is the same sandbox."
            ),
        ),
    ] = None,
) -> None:
    from ocopsync.sandbox import build_sandbox
    from ocopsync.sandbox.faults import Faults
    from ocopsync.sandbox.state import StateFileError, StateKeeper
    from ocopsync.serve import serve_foreground

    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise ConfigError(_("the sandbox serves on loopback only (127.0.0.1, localhost or ::1)"))
    try:
        fault_settings = Faults.from_mapping(json.loads(faults)) if faults else None
    except (ValueError, TypeError) as exc:
        raise ConfigError(_("--faults: {reason}").format(reason=exc)) from exc
    sandbox = build_sandbox(faults=fault_settings)
    keeper = StateKeeper(sandbox, state_file) if state_file else None
    if keeper is not None:
        try:
            loaded = keeper.load()
        except StateFileError as exc:
            raise ConfigError(str(exc)) from exc
        shown = _("state {path}: loaded") if loaded else _("state {path}: new")
        render.stdout.print(shown.format(path=state_file), markup=False, highlight=False)
    root = f"http://{host}:{port}"
    render.stdout.print(
        _("ocopsync sandbox on {root} (Ctrl-C stops it)").format(root=root), markup=False
    )
    for entry in sandbox.describe(root):
        creds = ", ".join(f"{k}={v}" for k, v in entry["credentials"].items())
        code = entry["authorization_code"]
        render.stdout.print(
            f"  {entry['platform']:<9} {entry['base_url']}  {creds}"
            + (_(", authorization code={code}").format(code=code) if code else ""),
            highlight=False,
            markup=False,
        )
    # The same server as the tests' serve_in_thread, so a dropped request closes the
    # socket here too instead of answering 500.
    started = False
    try:
        started = serve_foreground(
            keeper or sandbox.app, host, port, on_stop=keeper.save if keeper else None
        )
    finally:
        if keeper is not None and started:
            keeper.save()  # what changed since the last write, once the server has stopped
    if not started:
        raise ConfigError(
            _("the sandbox could not serve on {host}:{port} (is the port in use?)").format(
                host=host, port=port
            )
        )
