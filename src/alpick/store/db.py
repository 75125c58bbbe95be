"""The SQLite connection: opening, version checks, migrations and transactions."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alpick.errors import AlpickError
from alpick.fileio import atomic_path
from alpick.store.migrations import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this alpick writes."""


def _plain(value: Any) -> Any:
    # numpy scalars and arrays (``.item()`` / ``.tolist()``) and paths become plain JSON values.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def to_json(value: Any) -> str:
    """``value`` as JSON text (numpy values and paths converted; NaN refused).

    Raises:
        TypeError, ValueError: If it cannot be written as strict JSON.
    """
    return json.dumps(value, allow_nan=False, default=_plain)


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_write_refusal(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return any(w in text for w in ("readonly", "read-only", "locked", "busy", "disk"))


def _write_error(exc: sqlite3.OperationalError) -> AlpickError:
    """A write that SQLite refused, as one line: a read-only project or a busy one."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return AlpickError(
            "the project is read-only (its .alpick folder or database cannot be written); "
            "this command changes it"
        )
    if "locked" in text or "busy" in text:
        return AlpickError(
            "the project is busy: another alpick command is writing to it; try again when it "
            "is done"
        )
    return AlpickError(f"cannot write the project database: {text}")


@dataclass
class _Frame:
    """What to do with files when the transaction (or savepoint) this frame stands for ends."""

    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)


# id(connection) -> the frames of its open transaction, outermost first. A connection cannot
# carry attributes nor be weakly referenced; its entry lives exactly as long as the transaction.
_OPEN: dict[int, list[_Frame]] = {}


def _run_all(actions: list[Callable[[], None]]) -> None:
    # File clean-up after the database has decided: best effort, a file left over is harmless.
    for action in actions:
        with suppress(OSError):
            action()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises.

    Inside an open transaction of the same connection the block is a savepoint of it: its
    writes are kept when the outermost transaction commits, undone if the block raises (the
    outer one goes on) or if the outer one rolls back. So a function that saves in a
    transaction of its own joins its caller's when there is one (``ProjectStore.transaction``).
    Files written beside the database follow it through :func:`on_commit` and
    :func:`on_rollback`.

    The connection must be in autocommit mode (``isolation_level=None``), as :func:`connect`
    makes it, so that the transaction boundaries are exactly these.
    """
    stack = _OPEN.get(id(conn))
    if stack is not None:
        with _savepoint(conn, stack):
            yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _write_error(exc) from None
    frame = _Frame()
    _OPEN[id(conn)] = [frame]
    try:
        yield conn
    except BaseException as exc:
        del _OPEN[id(conn)]
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        _run_all(frame.on_rollback)
        if isinstance(exc, sqlite3.OperationalError) and _is_write_refusal(exc):
            raise _write_error(exc) from None
        raise
    del _OPEN[id(conn)]
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        _run_all(frame.on_rollback)
        raise _write_error(exc) from None
    _run_all(frame.on_commit)


@contextmanager
def _savepoint(conn: sqlite3.Connection, stack: list[_Frame]) -> Iterator[None]:
    """A nested :func:`transaction`: a savepoint whose file actions join the parent's."""
    name = f"alpick_{len(stack)}"
    conn.execute(f"SAVEPOINT {name}")
    frame = _Frame()
    stack.append(frame)
    try:
        yield
    except BaseException:
        stack.pop()
        with suppress(sqlite3.Error):
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        _run_all(frame.on_rollback)
        raise
    stack.pop()
    conn.execute(f"RELEASE {name}")
    stack[-1].on_commit.extend(frame.on_commit)
    stack[-1].on_rollback.extend(frame.on_rollback)


def _frame(conn: sqlite3.Connection) -> _Frame:
    stack = _OPEN.get(id(conn))
    if not stack:
        raise RuntimeError("no transaction is open on this connection")
    return stack[-1]


def on_commit(conn: sqlite3.Connection, action: Callable[[], None]) -> None:
    """Run ``action`` once the open transaction of ``conn`` (the outermost) has committed, e.g.
    remove the file of a set it replaced. An ``OSError`` it raises is ignored."""
    _frame(conn).on_commit.append(action)


def on_rollback(conn: sqlite3.Connection, action: Callable[[], None]) -> None:
    """Run ``action`` if the open transaction of ``conn`` (or the savepoint it is in) is rolled
    back, e.g. remove a file written for it. An ``OSError`` it raises is ignored."""
    _frame(conn).on_rollback.append(action)


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise AlpickError(f"{path} is not an alpick database ({exc})") from None
    if version == 0 and tables:
        raise AlpickError(f"{path} is an SQLite database but not an alpick one")
    if version > SCHEMA_VERSION:
        raise AlpickError(
            f"database {path} written by a newer alpick (schema {version} > {SCHEMA_VERSION}); "
            "upgrade alpick"
        )
    return version


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema up to ``len(migrations)``, all pending steps in one transaction.

    Returns:
        The version the database had before.
    """
    target = len(migrations)
    with transaction(conn):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for step in migrations[version:target]:
            for statement in step:
                conn.execute(statement)
        if version < target:
            conn.execute(f"PRAGMA user_version = {target:d}")
    return version


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing alpick database, refusing newer schemas, migrating older ones.

    Raises:
        AlpickError: If the file is missing, not an alpick database, or from a newer alpick.
    """
    if not path.is_file():
        raise AlpickError(f"no alpick database at {path}")
    if path.stat().st_size == 0:
        raise AlpickError(
            f"{path} is empty (0 bytes): the project's database is lost; run `alpick init` to "
            "make it again from the images and labels (tags and stored sets are gone)"
        )
    if not writable(path):
        return _connect_read_only(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        version = _schema_version(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def writable(path: Path) -> bool:
    """Whether the database file and its folder can be written (a read-only mount or
    permissions say no; WAL mode writes beside the file even to read)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open a database that cannot be written: reading works, any write is a one-line error.

    ``immutable=1`` lets SQLite read a WAL database without creating its ``-shm`` file.
    """
    errors = []
    for query in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None)
        try:
            version = _schema_version(conn, path)
            conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, AlpickError) as exc:
            conn.close()
            errors.append(exc)
            continue
        if version < SCHEMA_VERSION:
            conn.close()
            raise AlpickError(
                f"{path} is read-only and from an older alpick: it needs an upgrade that writes "
                "to it; make it writable and run any alpick command once"
            )
        return conn
    raise AlpickError(f"{path}: cannot read the read-only project database ({errors[-1]})")


def create(path: Path, settings: dict[str, str]) -> None:
    """Create a database at ``path`` with the current schema and ``settings``, atomically.

    The database is built under a temporary name beside ``path`` and renamed into place, so a
    crash leaves either no database or a complete one.

    Raises:
        AlpickError: If ``path`` already exists.
    """
    if path.exists():
        raise AlpickError(f"{path} already exists")
    with atomic_path(path) as tmp:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            migrate(conn)
            with transaction(conn):
                conn.executemany("INSERT INTO settings VALUES (?, ?)", sorted(settings.items()))
        finally:
            conn.close()


#: Values per ``IN (...)`` list: under SQLite's smallest limit on bound parameters (999).
IN_CHUNK = 900


def select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` (which ends in ``IN ({})``) for all ``values``, a chunk at a time:
    indexed look-ups of just these values, not a scan of the table."""
    for lo in range(0, len(values), IN_CHUNK):
        chunk = values[lo : lo + IN_CHUNK]
        yield from conn.execute(sql.format(",".join("?" * len(chunk))), chunk)
