"""APScheduler wiring for the nightly reconciliation: nothing here but the schedule.

``ocopsync schedule serve`` runs the same sync as ``ocopsync sync`` on the cron of
``[schedule]`` in ``ocopsync.toml``, one run at a time (a run that would overlap the
previous one is skipped, and the database lock guards against other machines too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfoNotFoundError

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from ocopsync.config import Settings
from ocopsync.errors import ConfigError

JOB_ID = "nightly-sync"


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NUMBER = re.compile(r"(?<![/\d])\d+")


def crontab_weekdays_as_names(expression: str) -> str:
    """Write the day-of-week field with names: cron counts 0 (or 7) as Sunday, while
    APScheduler 3 counts 0 as Monday, so "30 2 * * 1" would otherwise run on Tuesdays."""
    fields = expression.split()
    if len(fields) != 5:
        return expression  # let APScheduler say what is wrong with it

    def name(match: re.Match[str]) -> str:
        number = int(match.group())
        return _WEEKDAYS[number] if number < len(_WEEKDAYS) else match.group()

    fields[4] = _DAY_NUMBER.sub(name, fields[4])
    return " ".join(fields)


def trigger_for(settings: Settings) -> CronTrigger:
    """The cron trigger of ``[schedule]``; a ConfigError names a bad expression or zone."""
    try:
        return CronTrigger.from_crontab(
            crontab_weekdays_as_names(settings.schedule_cron), timezone=settings.schedule_timezone
        )
    except (ValueError, ZoneInfoNotFoundError, LookupError) as exc:
        raise ConfigError(
            f"[schedule] cron {settings.schedule_cron!r} in timezone "
            f"{settings.schedule_timezone!r} is not valid: {exc}"
        ) from exc


def next_runs(settings: Settings, count: int = 5, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` times the nightly sync will start."""
    trigger = trigger_for(settings)
    moment = now or datetime.now(UTC)
    runs: list[datetime] = []
    previous = None
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        runs.append(fire)
        previous, moment = fire, fire
    return runs


def build_scheduler(settings: Settings, job: Callable[[], object]) -> BlockingScheduler:
    """A scheduler with one job: ``job`` on the configured cron, never two at once."""
    scheduler = BlockingScheduler(timezone=settings.schedule_timezone)
    scheduler.add_job(
        job,
        trigger_for(settings),
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
