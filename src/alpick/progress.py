"""The one progress bar: rich, on standard error, shown only once a run lasts a few seconds.

Standard output stays for results (``alpick scores --out -`` writes CSV there), so every bar
draws on standard error.
"""

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

__all__ = ["SHOW_AFTER_S", "Advance", "progress_bar"]

SHOW_AFTER_S = 2.0


class Advance(Protocol):
    """Report ``n`` more items done, and optionally a new label for the bar."""

    def __call__(self, n: int = 1, *, description: str | None = None) -> None: ...


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
def progress_bar(
    total: int,
    description: str,
    *,
    enabled: bool = True,
    unit: str | None = "img",
    show_after_s: float = SHOW_AFTER_S,
    transient: bool = False,
    console: Console | None = None,
) -> Iterator[Advance]:
    """A progress bar on stderr that appears only when the run is still going after a while.

    Args:
        total: How many items the run will do.
        description: The label in front of the bar.
        enabled: False for no output at all.
        unit: What an item is called in the rate column (``None``: no rate column).
        show_after_s: Seconds before the bar appears; short runs print nothing.
        transient: Remove the bar when the run ends.
        console: Where to draw; a stderr console by default.

    Yields:
        A function ``advance(n, description=None)`` to call as items finish.
    """
    columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn()]
    columns.append(MofNCompleteColumn())
    if unit is not None:
        columns.append(_RateColumn(unit))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    progress = Progress(*columns, console=console or Console(stderr=True), transient=transient)
    task = progress.add_task(description, total=total)
    start = time.monotonic()
    shown = False

    def advance(n: int = 1, *, description: str | None = None) -> None:
        nonlocal shown
        progress.update(task, advance=n, description=description)
        if enabled and not shown and time.monotonic() - start >= show_after_s:
            progress.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            progress.stop()
