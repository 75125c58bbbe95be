from __future__ import annotations

import io

from rich.console import Console

from alpick.progress import progress_bar


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=False, width=120)


def test_bar_shows_rate_after_the_delay() -> None:
    buffer = io.StringIO()
    with progress_bar(10, "embedding", show_after_s=0.0, console=_console(buffer)) as advance:
        advance(4)
        advance(6)
    text = buffer.getvalue()
    assert "embedding" in text and "10/10" in text and "img/s" in text


def test_short_or_disabled_runs_print_nothing() -> None:
    for kwargs in ({"show_after_s": 60.0}, {"enabled": False, "show_after_s": 0.0}):
        buffer = io.StringIO()
        with progress_bar(3, "x", console=_console(buffer), **kwargs) as advance:  # type: ignore[arg-type]
            advance(3)
        assert buffer.getvalue() == ""
