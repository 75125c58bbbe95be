"""Write a file so that readers see the old version or the whole new one, never a part; read
files safely (a FIFO is refused, not waited on), many at a time when that is faster.

The one way alpick writes a file: a temporary file with a fresh name in the same folder, flushed
to disk (``fsync``), then moved over the target with ``os.replace``. On any failure, Ctrl-C
included, the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from alpick.errors import AlpickError

T = TypeVar("T")
R = TypeVar("R")


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


#: Threads a :class:`ReadPool` reads with when threads are faster. Measured on this project's
#: 2-core machine: 1,000,000 prediction files of 88 bytes with a cold cache, 55 s on one thread,
#: 39 s on 2, 31 s on 4, 43 s on 16; 3,000 JPEGs of 270 KB read and hashed from the page cache,
#: 280 us a file on one thread, 163 us on 2, 194 us on 4.
READ_THREADS = 4
#: Every so many batches a :class:`ReadPool` tries the mode it is not using.
PROBE_EVERY = 16
_PER_THREAD = 64  # fewer items than this per thread: not worth a thread, and too few to time


class ReadPool:
    """Maps a file-reading function over batches of items, on one thread or on a few, whichever
    the batches so far showed to be faster.

    Work that waits on the disk, or hashes big files (both release the GIL), finishes sooner on
    a few threads; small files from the page cache are read faster on one, where threads only
    contend for the GIL (6 us a file on one thread, 12 us on four). Which case a run is in
    depends on the files and on the cache, so the pool times each batch: the first on one
    thread, the second on :data:`READ_THREADS`, then the faster mode, trying the other one every
    :data:`PROBE_EVERY` batches (a cache warms up and cools down). Results and errors are the
    same in both modes: results in order, and the first failing item in order raises.
    """

    def __init__(self, threads: int = READ_THREADS, probe_every: int = PROBE_EVERY) -> None:
        self.threads = max(1, int(threads))
        self.probe_every = max(2, int(probe_every))
        self.seconds_per_item: dict[bool, float | None] = {False: None, True: None}
        self._timed = 0

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(item) for item in items]``, on threads or not (see the class)."""
        k = min(self.threads, len(items) // _PER_THREAD)
        threaded = k > 1 and self._next_threaded()
        start = time.perf_counter()
        if threaded:
            step = -(-len(items) // k)
            parts = [items[i : i + step] for i in range(0, len(items), step)]
            with ThreadPoolExecutor(k) as pool:  # map raises the first part's error first
                out = [r for part in pool.map(partial(_map_all, fn), parts) for r in part]
        else:
            out = [fn(item) for item in items]
        if k > 1:
            self.seconds_per_item[threaded] = (time.perf_counter() - start) / len(items)
            self._timed += 1
        return out

    def _next_threaded(self) -> bool:
        serial, threaded = self.seconds_per_item[False], self.seconds_per_item[True]
        if serial is None or threaded is None:
            return serial is not None  # first one thread, then threads
        faster = threaded < serial
        return not faster if self._timed % self.probe_every == 0 else faster


def _map_all(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(item) for item in items]
