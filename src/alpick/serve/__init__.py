"""alpick.serve: a local web app over a project (``alpick serve``; the ``serve`` extra).

Importing this package is light; FastAPI and uvicorn are imported by :mod:`alpick.serve.app`
and :mod:`alpick.serve.server` only.
"""

from __future__ import annotations

__all__ = ["MISSING_EXTRA"]

MISSING_EXTRA = "alpick serve needs the serve extra: pip install 'alpick[serve]'"
"""The one-line error when FastAPI or uvicorn is not installed."""
