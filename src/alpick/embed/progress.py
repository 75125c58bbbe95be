"""A rich progress bar with images per second, shown only once a run lasts a few seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["Advance", "rate_progress"]

SHOW_AFTER_S = 2.0


class Advance(Protocol):
    """Report ``n`` more items done."""

    def __call__(self, n: int) -> None: ...


class _RateColumn(ProgressColumn):
    """Items per second over the whole run so far."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:6.1f} {self.unit}/s", style="progress.data.speed")


@contextmanager
def rate_progress(
    total: int,
    description: str,
    *,
    enabled: bool = True,
    unit: str = "img",
    show_after_s: float = SHOW_AFTER_S,
    console: Console | None = None,
) -> Iterator[Advance]:
    """A progress bar on stderr that appears only when the run is still going after a while.

    Args:
        total: How many items the run will do.
        description: The label in front of the bar.
        enabled: False for no output at all.
        unit: What an item is called in the rate column.
        show_after_s: Seconds before the bar appears; short runs print nothing.
        console: Where to draw; a stderr console by default.

    Yields:
        A function ``advance(n)`` to call as items finish.
    """
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    task = progress.add_task(description, total=total)
    start = time.monotonic()
    shown = False

    def advance(n: int) -> None:
        nonlocal shown
        progress.advance(task, n)
        if enabled and not shown and time.monotonic() - start >= show_after_s:
            progress.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            progress.stop()
