"""Write a file so that readers see the old version or the whole new one, never a part.

The one way alpick writes a file: a temporary file with a fresh name in the same folder, flushed
to disk (``fsync``), then moved over the target with ``os.replace``. On any failure, Ctrl-C
included, the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from alpick.errors import AlpickError


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    The caller writes the temporary file (and closes it) inside the ``with`` block; it is then
    flushed to disk and renamed over ``path``. Parent folders are created. On an exception
    (Ctrl-C included) the temporary file is removed and ``path`` is untouched. The temporary
    name ends in ``.tmp``: writers that pick a format from the suffix (matplotlib, Pillow) must
    be told the format.

    Example:
        >>> with atomic_path(Path("last.pt")) as tmp:  # doctest: +SKIP
        ...     torch.save(state, tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name (not mkstemp's file): the writer creates it with the usual permissions.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; it replaces ``path`` on success.

    ``mode`` is ``"w"`` (text; UTF-8 unless ``encoding`` is given) or ``"wb"``; other keyword
    arguments go to :func:`open` (e.g. ``newline=""`` for the ``csv`` module).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes a new file: mode 'w' or 'wb', not {mode!r}")
    if mode == "w":
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 (``\\n`` line endings) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def read_text(path: Path) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped).

    Raises:
        AlpickError: If the file is missing or cannot be read, naming it.
    """
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AlpickError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AlpickError(f"{path}: cannot read: {exc}") from None
