"""Write a file so that readers see the old version or the whole new one, never a part.

The one way alpick writes a file: a temporary file with a fresh name in the same folder, flushed
to disk (``fsync``), then moved over the target with ``os.replace``. On any failure, Ctrl-C
included, the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AlpickError(f"{path}: cannot write: {_reason(exc)}") from None
    # A fresh name (not mkstemp's file): the writer creates it with the usual permissions.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        # Failures of the write itself (the temporary file or the rename) name the target;
        # an OSError about some other file (an input read inside the block) passes through.
        if exc.filename is None or str(exc.filename) in (str(tmp), str(path)):
            raise AlpickError(f"{path}: cannot write: {_reason(exc)}") from None
        raise
    finally:
        with contextlib.suppress(OSError):
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


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (as a file, folder or anything else)."""
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _probe_folder(folder: Path, target: Path) -> None:
    """Create and remove a file in ``folder``: the one test of writability that also holds
    for root, read-only mounts and /proc."""
    probe = folder / f".alpick-probe-{uuid.uuid4().hex}.tmp"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        where = "" if folder == target else f" (in {folder})"
        raise AlpickError(f"{target}: cannot write{where}: {_reason(exc)}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _check_parents(path: Path) -> None:
    base = _existing_ancestor(path.parent)
    if not base.is_dir():
        raise AlpickError(f"{path}: cannot write: {base} is not a folder")
    _probe_folder(base, path)


def check_output_file(path: Path) -> Path:
    """Refuse, before any work starts, a file that :func:`atomic_path` could not write.

    Checks that ``path`` is not a folder, that no parent is a file, and that the nearest
    existing folder accepts a new file (a real probe: it holds for root, read-only mounts and
    /proc). Creates nothing that stays.

    Raises:
        AlpickError: Naming ``path`` and the reason.
    """
    path = Path(path)
    if path.is_dir():
        raise AlpickError(f"{path}: cannot write: is a folder (give a file name)")
    if os.path.lexists(path) and not path.is_file():
        raise AlpickError(f"{path}: cannot write: not a regular file")
    _check_parents(path)
    return path


def check_output_dir(path: Path) -> Path:
    """Refuse, before any work starts, a folder that cannot be created or written into.

    Raises:
        AlpickError: Naming ``path`` and the reason (a file is there, a parent is a file, the
            place is read-only).
    """
    path = Path(path)
    if os.path.lexists(path):
        if not path.is_dir():
            raise AlpickError(f"{path}: cannot write: is a file, not a folder")
        _probe_folder(path, path)
    else:
        _check_parents(path)
    return path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 (``\\n`` line endings) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of ``path``, which must be a regular file.

    Opened without blocking, so a FIFO (or a device) is refused instead of hanging the reader.

    Raises:
        FileNotFoundError: If there is no such file.
        AlpickError: If it is not a regular file or cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise AlpickError(f"{os.fspath(path)}: cannot read: {_reason(exc)}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise AlpickError(
            f"{os.fspath(path)}: cannot read: not a regular file (a folder, FIFO or device)"
        )
    return fd


def read_fd(fd: int, path: str | os.PathLike[str]) -> bytes:
    """Everything from ``fd`` (closed afterwards)."""
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise AlpickError(f"{os.fspath(path)}: cannot read: {_reason(exc)}") from None
    finally:
        os.close(fd)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file ``path``.

    Raises:
        AlpickError: If it is missing, not a regular file (a FIFO would block) or unreadable.
    """
    try:
        fd = open_regular(path)
    except FileNotFoundError:
        raise AlpickError(f"{os.fspath(path)}: cannot read: no such file") from None
    return read_fd(fd, path)


def read_text(path: Path) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped).

    Raises:
        AlpickError: If the file is missing, not a regular file or cannot be read, naming it.
    """
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AlpickError(f"{path}: cannot read: {exc}") from None
