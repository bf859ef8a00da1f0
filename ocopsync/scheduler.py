"""APScheduler wiring for the nightly reconciliation: the schedule, and serving it.

``ocopsync schedule serve`` runs the same sync as ``ocopsync sync`` on the cron of
``[schedule]`` in ``ocopsync.toml``, one run at a time (a run that would overlap the
previous one is skipped, and the database lock guards against other machines too).

The cron expression means exactly what it means to cron (Vixie cron / cronie,
crontab(5)), although APScheduler 3 reads a crontab differently in two places:

- day of week: cron counts 0 (and 7) as Sunday, APScheduler 3 counts 0 as Monday and
  refuses a range such as ``0-6`` that it would read as ``sun-sat``. The day-of-week
  field is therefore parsed here, by cron's rules, into a set of days and handed to
  APScheduler as names (``mon,tue,...``), which mean the same to both;
- day of month *and* day of week both restricted (neither starts with ``*``): cron runs
  when *either* matches, APScheduler when both do. Such a line becomes two triggers
  whose next fire time is the earlier (APScheduler's ``OrTrigger``).

Minutes, hours, days of month and months are parsed by APScheduler itself, which
reads them as cron does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from ocopsync.config import Settings
from ocopsync.errors import ConfigError
from ocopsync.i18n import _

JOB_ID = "nightly-sync"

CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
"""Cron's day names, indexed by cron's day number (0 is Sunday; 7 is Sunday too)."""

_APSCHEDULER_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The names APScheduler accepts, in its own order (for a stable rendering)."""


def _day_number(token: str, expression: str) -> int:
    """One day of week as cron reads it: ``0``-``7`` or a three-letter name."""
    lowered = token.lower()
    if lowered in CRON_DAY_NAMES:
        return CRON_DAY_NAMES.index(lowered)
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(
        _("day of week {token!r} in {expression!r} is not 0-7 or sun..sat").format(
            token=token, expression=expression
        )
    )


def cron_weekdays(field: str) -> frozenset[int]:
    """The days a crontab day-of-week field selects, as cron numbers them (0 = Sunday).

    Accepts what cron accepts: ``*``, ``*/N``, a day (``1``, ``7``, ``mon``), a range
    (``1-5``, ``mon-fri``, ``0-6``, ``0-7``), a range with a step (``1-5/2``) and
    comma-separated lists of these. A range whose end comes before its start, a step
    of 0, or anything else is a ValueError naming it.
    """
    days: set[int] = set()
    for element in field.split(","):
        span, slash, step_text = element.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(
                    _("step {step!r} in day of week {field!r} is not a positive number").format(
                        step=step_text, field=field
                    )
                )
            step = int(step_text)
        if span == "*":
            first, last = 0, 7
        elif "-" in span:
            start, _dash, end = span.partition("-")
            first, last = _day_number(start, field), _day_number(end, field)
            if last < first:
                raise ValueError(
                    _("range {span!r} in day of week {field!r} ends before it starts").format(
                        span=span, field=field
                    )
                )
        elif slash:
            # Vixie cron refuses "1/2": a step needs a range or "*".
            raise ValueError(
                _("step in day of week {field!r} needs a range or '*' before it").format(
                    field=field
                )
            )
        else:
            first = last = _day_number(span, field)
        days.update(day % 7 for day in range(first, last + 1, step))
    return frozenset(days)


def apscheduler_weekdays(days: Iterable[int]) -> str:
    """Cron day numbers as an APScheduler 3 day-of-week expression (names, never numbers)."""
    wanted = {CRON_DAY_NAMES[day % 7] for day in days}
    return ",".join(name for name in _APSCHEDULER_NAMES if name in wanted)


def crontab_trigger(expression: str, timezone: str) -> CronTrigger | OrTrigger:
    """A trigger that fires when cron would run ``expression`` in ``timezone``."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            _("a crontab line has 5 fields (minute hour day month weekday), got {count}").format(
                count=len(fields)
            )
        )
    minute, hour, day, month, weekday = fields
    weekdays = apscheduler_weekdays(cron_weekdays(weekday))

    def cron(day_field: str, weekday_field: str) -> CronTrigger:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day_field,
            month=month,
            day_of_week=weekday_field,
            second=0,
            timezone=timezone,
        )

    if day.startswith("*") or weekday.startswith("*"):
        return cron(day, weekdays)
    # Both restricted: cron runs on either (crontab(5), "Note: The day of a command's
    # execution can be specified in the following two fields...").
    return OrTrigger([cron(day, "*"), cron("*", weekdays)])


def trigger_for(settings: Settings) -> CronTrigger | OrTrigger:
    """The trigger of ``[schedule]``; a ConfigError names a bad expression or zone."""
    try:
        return crontab_trigger(settings.schedule_cron, settings.schedule_timezone)
    except (ValueError, ZoneInfoNotFoundError, LookupError) as exc:
        raise ConfigError(
            _("[schedule] cron {cron!r} in timezone {zone!r} is not valid: {reason}").format(
                cron=settings.schedule_cron, zone=settings.schedule_timezone, reason=exc
            )
        ) from exc


def next_runs(settings: Settings, count: int = 5, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` times the nightly sync will start."""
    trigger = trigger_for(settings)
    moment = now or datetime.now(UTC)
    runs: list[datetime] = []
    previous = None
    for _i in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        runs.append(fire)
        previous, moment = fire, fire
    return runs


def build_scheduler(
    settings: Settings, job: Callable[[], object], *, run_now: bool = False
) -> BackgroundScheduler:
    """A scheduler with one job: ``job`` on the configured cron, never two at once.

    ``run_now`` makes the job's first run immediate: it is the same job, so a cron time
    that falls while it runs is skipped rather than run beside it. The scheduler runs
    jobs on its own threads, so the main thread stays free to wait for a signal.
    """
    scheduler = BackgroundScheduler(timezone=settings.schedule_timezone)
    extra: dict[str, Any] = {}
    if run_now:
        extra["next_run_time"] = datetime.now(UTC)
    scheduler.add_job(
        job,
        trigger_for(settings),
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
        **extra,
    )
    return scheduler


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve_until_stopped(
    scheduler: BackgroundScheduler, on_stop: Callable[[int], None] | None = None
) -> int:
    """Run ``scheduler`` until SIGTERM or SIGINT; return the signal's number.

    On the first signal no new run starts, and the run in flight is waited for to the
    end, so its journal is complete and its locks released (a half-finished run would
    be closed as ``interrupted`` by the next command, with its sent writes left to the
    next observation). A second signal while waiting ends the process at once, as that
    signal does by default.

    The signals are blocked in every thread and taken synchronously with ``sigwait``,
    so no handler runs in the middle of the scheduler's own code. Where there is no
    ``pthread_sigmask`` (Windows), Ctrl-C (KeyboardInterrupt) stops it the same way.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        scheduler.start()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        if on_stop is not None:
            on_stop(signal.SIGINT)
        scheduler.shutdown(wait=True)
        return int(signal.SIGINT)
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    previous_handlers = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        # Threads started from here on (the scheduler's, its workers') inherit the mask,
        # so the signal stays pending for sigwait below instead of reaching a worker.
        scheduler.start()
        received = signal.sigwait(STOP_SIGNALS)
        if on_stop is not None:
            on_stop(received)
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        scheduler.shutdown(wait=True)
        return int(received)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        for s, handler in previous_handlers.items():
            signal.signal(s, handler)
