"""``ocopsync coverage``: the share of eligible products live on each platform.

A group, so ``coverage --by district`` keeps working and ``coverage gaps`` sits beside
it: with no subcommand the group's own options print the figures (now, at a future
date with ``--at``, or over time with ``--history``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

import typer

from ocopsync import render
from ocopsync.cli.common import CoverageFormat, EntityOpt, app, engine_for, guarded, settings, today
from ocopsync.i18n import N_, _

coverage_app = typer.Typer(
    help=_("Share of eligible products in scope that are live on each platform."),
    no_args_is_help=False,
)
app.add_typer(coverage_app, name="coverage")

HEADERS = (
    N_("platform"), N_("province"), N_("district"), N_("stars"), N_("group"), N_("entity"),
    N_("entity_name"), N_("entity_code"), N_("eligible"), N_("listed"), N_("share"),
    N_("target"), N_("to list"), N_("date"), N_("sku"), N_("name"), N_("reason"),
    N_("detail"), N_("day"), N_("week"), N_("month"),
)  # fmt: skip
"""Column names and --by/--every values, for the catalog: printed through ``_(name)``."""

ProvinceOpt = Annotated[str | None, typer.Option(help=_("Only this province."))]
FormatOpt = Annotated[CoverageFormat, typer.Option("--format", "-f")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("must be a date YYYY-MM-DD"), param_hint=option) from None


def _dims(by: str) -> list[str]:
    return {
        "platform": [],
        "district": ["province", "district"],
        "entity": ["entity", "entity_name"],
    }.get(by, [by])


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def print_rows(title: str, by: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """The coverage table; a row below its target is marked ``▼`` with the products to list."""
    columns = ["platform", *_dims(by), "eligible", "listed", "share"]
    with_targets = any("target" in r for r in rows)
    if with_targets:
        columns += ["target", "to list"]
    render.table(
        title,
        [_(c) for c in columns],
        [
            [
                *(r[c] for c in columns[: len(columns) - (3 if with_targets else 1)]),
                _pct(r["share"]) + (_(" ▼ below target") if r.get("gap") else ""),
                *(
                    [_pct(r.get("target")), "" if r.get("gap") is None else r["gap"]]
                    if with_targets
                    else []
                ),
            ]
            for r in rows
        ],
    )


@coverage_app.callback(
    invoke_without_command=True,
    help=_("Share of eligible products in scope that are live on each platform."),
)
@guarded
def coverage(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option(help=_("platform, province, district, stars, group or entity."))
    ] = "platform",
    province: ProvinceOpt = None,
    entity: EntityOpt = None,
    at: Annotated[
        str | None,
        typer.Option(help=_("Forecast for this date (YYYY-MM-DD) if no certificate is renewed.")),
    ] = None,
    history: Annotated[bool, typer.Option("--history", help=_("Figures over time."))] = False,
    since: Annotated[
        str | None, typer.Option(help=_("With --history: from this date (YYYY-MM-DD)."))
    ] = None,
    every: Annotated[str, typer.Option(help=_("With --history: day, week or month."))] = "day",
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from ocopsync import coverage as cov
    from ocopsync import coverage_history, coverage_store, coverage_targets

    if by not in cov.DIMENSIONS:
        raise typer.BadParameter(
            _("must be one of {allowed}").format(allowed=", ".join(cov.DIMENSIONS)),
            param_hint="--by",
        )
    if every not in coverage_history.EVERY:
        raise typer.BadParameter(
            _("must be one of {allowed}").format(allowed=", ".join(coverage_history.EVERY)),
            param_hint="--every",
        )
    when, start = _day(at, "--at"), _day(since, "--since")
    if history and when is not None:
        raise typer.BadParameter(_("--at is a forecast; --history is the past"), param_hint="--at")
    s = settings()
    engine = engine_for(s)
    names = coverage_store.entity_names(engine)
    if history:
        rows = cov.with_names(
            coverage_history.history(
                engine, by=by, every=every, since=start, province=province, entity=entity
            ),
            names,
        )
        _emit_history(by, every, rows, fmt)
        return
    rolled = cov.rollup(
        cov.cells(engine, s, today=when or today()), by, province=province, entity=entity
    )
    rows = cov.with_names(coverage_targets.rows_for(rolled, s, province=province), names)
    document: dict[str, Any] = {"by": by, "rows": rows}
    if when is not None:
        document = {"by": by, "at": when.isoformat(), "rows": rows}
    if fmt is CoverageFormat.json:
        render.emit_json(document)
    elif fmt is CoverageFormat.csv:
        render.emit_csv(rows)
    else:
        title = (
            _("Coverage by {by} on {day} if nothing is renewed").format(by=_(by), day=when)
            if when
            else _("Coverage by {by}").format(by=_(by))
        )
        print_rows(title, by, rows)


def _emit_history(by: str, every: str, rows: list[dict[str, Any]], fmt: CoverageFormat) -> None:
    if fmt is CoverageFormat.json:
        render.emit_json({"by": by, "every": every, "history": rows})
    elif fmt is CoverageFormat.csv:
        render.emit_csv(rows)
    elif not rows:
        render.stdout.print(_("No coverage snapshots yet: every sync stores one."))
    else:
        columns = ["date", "platform", *_dims(by), "eligible", "listed", "share"]
        render.table(
            _("Coverage by {by}, every {every}").format(by=_(by), every=_(every)),
            [_(c) for c in columns],
            [[*(r[c] for c in columns[:-1]), _pct(r["share"])] for r in rows],
        )


@coverage_app.command(
    help=_("Every eligible product not live on PLATFORM, with its producer and one reason.")
)
@guarded
def gaps(
    platform: Annotated[str, typer.Option(help=_("The platform whose gaps to list."))],
    province: ProvinceOpt = None,
    district: Annotated[str | None, typer.Option(help=_("Only this district."))] = None,
    entity: EntityOpt = None,
    fmt: FormatOpt = CoverageFormat.table,
) -> None:
    from ocopsync import gaps as gap_lists

    s = settings()
    doc = gap_lists.gap_report(
        engine_for(s),
        s,
        platform,
        today=today(),
        province=province,
        district=district,
        entity=entity,
    )
    if fmt is CoverageFormat.json:
        render.emit_json(doc)
        return
    if fmt is CoverageFormat.csv:
        render.emit_csv(doc["rows"])
        return
    columns = ["sku", "name", "entity_code", "entity_name", "district", "stars", "reason", "detail"]
    render.table(
        _("Not live on {platform}: {count} product(s)").format(
            platform=doc["platform"], count=len(doc["rows"])
        ),
        [_(c) for c in columns],
        [[r[c] for c in columns] for r in doc["rows"]],
    )
    counts = ", ".join(f"{k} {n}" for k, n in doc["by_reason"].items() if n)
    render.stdout.print(
        _("By reason: {counts}").format(counts=counts or _("none")), highlight=False
    )
