"""Progress for long syncs: a Rich bar on a terminal, silence under cron (no TTY)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from ocopsync.sync import Harness


@contextmanager
def progress_harness(*, enabled: bool, harness: Harness | None = None) -> Iterator[Harness]:
    """A :class:`Harness` whose callbacks drive one bar per connection on stderr."""
    harness = harness or Harness()
    if not enabled or not sys.stderr.isatty():
        yield harness
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        redirect_stdout=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_plan(counts: dict[str, int]) -> None:
            for name, total in counts.items():
                if total:
                    tasks[name] = bar.add_task(name, total=total)

        def advance(connection: str, count: int) -> None:
            if connection in tasks:
                bar.advance(tasks[connection], count)

        harness.on_plan = on_plan
        harness.progress = advance
        yield harness
