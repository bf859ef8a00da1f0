"""Crontab lines mean exactly what they mean to cron, whatever APScheduler 3 counts.

Expected times are worked out by hand from the calendar: 2026-11-27 is a Friday, so
Sat 28, Sun 29, Mon 30 November, Tue 1 December, ... (Asia/Ho_Chi_Minh, UTC+7, no DST).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ocopsync import scheduler
from ocopsync.config import parse_settings
from ocopsync.errors import ConfigError

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FRIDAY_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=VN)


def vn(day: str, at: str = "03:00") -> str:
    return f"{day}T{at}:00+07:00"


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        # Monday to Friday: the weekend is skipped.
        (
            "0 3 * * 1-5",
            [
                vn("2026-11-30"),
                vn("2026-12-01"),
                vn("2026-12-02"),
                vn("2026-12-03"),
                vn("2026-12-04"),
                vn("2026-12-07"),
            ],
        ),
        # Saturday and Sunday only.
        (
            "0 3 * * 0,6",
            [
                vn("2026-11-28"),
                vn("2026-11-29"),
                vn("2026-12-05"),
                vn("2026-12-06"),
                vn("2026-12-12"),
                vn("2026-12-13"),
            ],
        ),
        # Every day (APScheduler alone reads 0-6 as sun-sat and refuses it).
        (
            "0 3 * * 0-6",
            [
                vn("2026-11-28"),
                vn("2026-11-29"),
                vn("2026-11-30"),
                vn("2026-12-01"),
                vn("2026-12-02"),
                vn("2026-12-03"),
            ],
        ),
        # Sunday to Wednesday.
        (
            "0 3 * * 0-3",
            [
                vn("2026-11-29"),
                vn("2026-11-30"),
                vn("2026-12-01"),
                vn("2026-12-02"),
                vn("2026-12-06"),
                vn("2026-12-07"),
            ],
        ),
        # 7 is Sunday too.
        ("0 3 * * 7", [vn("2026-11-29"), vn("2026-12-06"), vn("2026-12-13")]),
        # Friday to Sunday, written with 7.
        (
            "30 2 * * 5-7",
            [
                vn("2026-11-28", "02:30"),
                vn("2026-11-29", "02:30"),
                vn("2026-12-04", "02:30"),
                vn("2026-12-05", "02:30"),
            ],
        ),
        # Every other day counted from Sunday: Sun, Tue, Thu, Sat.
        (
            "0 3 * * */2",
            [
                vn("2026-11-28"),
                vn("2026-11-29"),
                vn("2026-12-01"),
                vn("2026-12-03"),
                vn("2026-12-05"),
                vn("2026-12-06"),
            ],
        ),
        # Names, in any case.
        (
            "0 3 * * mon-fri",
            [
                vn("2026-11-30"),
                vn("2026-12-01"),
                vn("2026-12-02"),
                vn("2026-12-03"),
                vn("2026-12-04"),
                vn("2026-12-07"),
            ],
        ),
        ("0 3 * * SAT", [vn("2026-11-28"), vn("2026-12-05")]),
        # A range with a step: Monday, Wednesday, Friday.
        (
            "0 3 * * 1-5/2",
            [vn("2026-11-30"), vn("2026-12-02"), vn("2026-12-04"), vn("2026-12-07")],
        ),
        # Day of month and day of week both given: cron runs on either.
        (
            "0 3 1 * 1",
            [vn("2026-11-30"), vn("2026-12-01"), vn("2026-12-07"), vn("2026-12-14")],
        ),
        # ...but one starting with "*" restricts the other (Vixie cron): the 1st, 11th,
        # 21st or 31st that is a Monday.
        ("0 3 */10 * 1", [vn("2026-12-21"), vn("2027-01-11")]),
    ],
)
def test_next_runs_are_crons(cron: str, expected: list[str]) -> None:
    s = parse_settings({"schedule": {"cron": cron, "timezone": "Asia/Ho_Chi_Minh"}})
    runs = scheduler.next_runs(s, len(expected), now=FRIDAY_NOON)
    assert [r.astimezone(VN).isoformat() for r in runs] == expected


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", {0, 1, 2, 3, 4, 5, 6}),
        ("*/2", {0, 2, 4, 6}),
        ("*/7", {0}),
        ("0", {0}),
        ("7", {0}),
        ("0-7", {0, 1, 2, 3, 4, 5, 6}),
        ("1-5", {1, 2, 3, 4, 5}),
        ("0,6", {0, 6}),
        ("6,0", {0, 6}),
        ("0-3", {0, 1, 2, 3}),
        ("5-7", {5, 6, 0}),
        ("1-5/2", {1, 3, 5}),
        ("mon-fri", {1, 2, 3, 4, 5}),
        ("Sun,wed", {0, 3}),
        ("1,3-4,sat", {1, 3, 4, 6}),
    ],
)
def test_day_of_week_field_by_crons_rules(field: str, days: set[int]) -> None:
    assert scheduler.cron_weekdays(field) == days


@pytest.mark.parametrize(
    ("days", "expression"),
    [
        ({0}, "sun"),
        ({1}, "mon"),
        ({0, 6}, "sat,sun"),
        ({1, 2, 3, 4, 5}, "mon,tue,wed,thu,fri"),
        (set(range(7)), "mon,tue,wed,thu,fri,sat,sun"),
    ],
)
def test_days_are_handed_to_apscheduler_as_names(days: set[int], expression: str) -> None:
    # APScheduler 3 counts 0 as Monday; names mean the same to both.
    assert scheduler.apscheduler_weekdays(days) == expression


@pytest.mark.parametrize(
    "cron",
    [
        "0 3 * * 8",
        "0 3 * * 5-1",
        "0 3 * * fri-sun",
        "0 3 * * */0",
        "0 3 * * 1/2",
        "0 3 * * funday",
        "0 3 * * 1,,2",
        "0 3 * * -1",
        "0 25 * * *",
        "0 3 * *",
    ],
)
def test_what_cron_refuses_is_a_config_error(cron: str) -> None:
    s = parse_settings({"schedule": {"cron": cron, "timezone": "Asia/Ho_Chi_Minh"}})
    with pytest.raises(ConfigError, match=r"\[schedule\] cron"):
        scheduler.trigger_for(s)
