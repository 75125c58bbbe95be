"""The one exception type users see: a clear, one-line message."""

from __future__ import annotations


class AlpickError(Exception):
    """A user-facing error: bad input, missing project, unknown tag, ...

    The CLI prints ``error: <message>`` on one line and exits with status 1; no traceback.
    """
