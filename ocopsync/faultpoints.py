"""Named points in the code where the crash tests kill the process or force an interleaving.

Only tests use these. ``OCOPSYNC_CRASH_AT=name`` (or ``name:N`` for the N-th time the
point is reached) makes the process SIGKILL itself there, so a crash test can stop a
real sync at an exact commit point; :func:`set_hook` lets an in-process test run code
at a point (a barrier that forces two lock breakers to interleave). Unset, a point
costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

_hooks: dict[str, Callable[[], None]] = {}
_counts: dict[str, int] = {}
_crash_at: tuple[str, int] | None = None


def _parse(value: str) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, nth = value.partition(":")
    return name, int(nth) if nth.isdigit() else 1


_crash_at = _parse(os.environ.get("OCOPSYNC_CRASH_AT", ""))

POINTS = (
    "run.started",
    "observe.before_commit",
    "observe.after_commit",
    "apply.stock_pending_committed",
    "apply.stock_sent",
    "apply.stock_recorded",
    "apply.price_sent",
    "apply.create_sent",
    "apply.created_recorded",
    "run.before_finish",
    "lock.stale_read",
)
"""Every point the code reaches, so a crash test can try each one."""


def reach(name: str) -> None:
    """The code is at ``name``: run a test's hook, or die here if a crash test asked."""
    hook = _hooks.get(name)
    if hook is not None:
        hook()
    if _crash_at is not None and _crash_at[0] == name:
        _counts[name] = _counts.get(name, 0) + 1
        if _counts[name] >= _crash_at[1]:
            os.kill(os.getpid(), signal.SIGKILL)


def set_hook(name: str, hook: Callable[[], None] | None) -> None:
    """Run ``hook`` every time ``name`` is reached (None removes it). Tests only."""
    if hook is None:
        _hooks.pop(name, None)
    else:
        _hooks[name] = hook
