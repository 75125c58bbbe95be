import sqlite3
from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.store import db
from alpick.store.migrations import MIGRATIONS


def _make(tmp_path: Path) -> Path:
    path = tmp_path / "alpick.db"
    db.create(path, {"images": "data/raw/images"})
    return path


def test_create_sets_version_wal_and_tables(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "samples",
        "classes",
        "labels",
        "tags",
        "tag_members",
        "embedding_sets",
        "prediction_sets",
        "score_sets",
        "runs",
        "settings",
    } <= tables
    assert dict(conn.execute("SELECT key, value FROM settings")) == {"images": "data/raw/images"}
    conn.close()


def test_create_refuses_existing(tmp_path: Path) -> None:
    path = _make(tmp_path)
    with pytest.raises(AlpickError, match="already exists"):
        db.create(path, {})
    assert not list(tmp_path.glob(".*.tmp"))


def test_newer_schema_is_refused_without_writing(tmp_path: Path) -> None:
    path = _make(tmp_path)
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 5}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    new, cur = db.SCHEMA_VERSION + 5, db.SCHEMA_VERSION
    with pytest.raises(AlpickError, match=rf"newer alpick \(schema {new} > {cur}\); upgrade"):
        db.connect(path)
    assert path.read_bytes() == before


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "alpick.db"
    path.write_bytes(b"this is not sqlite at all, not even close" * 20)
    with pytest.raises(AlpickError, match="not an alpick database"):
        db.connect(path)


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "alpick.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE other (x)")
    raw.commit()
    raw.close()
    with pytest.raises(AlpickError, match="not an alpick one"):
        db.connect(path)


def test_missing_database(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="no alpick database"):
        db.connect(tmp_path / "nope.db")


def test_migrations_apply_in_order_and_upgrade_old_databases(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    assert db.migrate(conn, MIGRATIONS) == 0
    extra = [*MIGRATIONS, ["ALTER TABLE samples ADD COLUMN note TEXT"]]
    assert db.migrate(conn, extra) == len(MIGRATIONS)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(extra)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(samples)")]
    assert "note" in columns
    assert db.migrate(conn, extra) == len(extra)  # nothing left to do


def test_failing_migration_rolls_back_every_step(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    broken = [*MIGRATIONS, ["CREATE TABLE t2 (x)", "THIS IS NOT SQL"]]
    with pytest.raises(sqlite3.OperationalError):
        db.migrate(conn, broken)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM classes").fetchone()[0] == 0
    with db.transaction(conn):
        conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
    assert conn.execute("SELECT count(*) FROM classes").fetchone()[0] == 1


def test_to_json_handles_numpy_and_refuses_nan() -> None:
    import numpy as np

    assert db.to_json({"a": np.int64(3), "b": np.arange(2), "p": Path("x")}) == (
        '{"a": 3, "b": [0, 1], "p": "x"}'
    )
    with pytest.raises(ValueError):
        db.to_json({"x": float("nan")})
    with pytest.raises(TypeError):
        db.to_json({"x": object()})


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM classes").fetchone()[0])


def test_a_nested_transaction_joins_the_outer_one(tmp_path: Path) -> None:
    """A save that opens its own transaction inside a caller's is a savepoint of it: the
    caller's rollback undoes it too."""
    conn = db.connect(_make(tmp_path))
    with pytest.raises(RuntimeError), db.transaction(conn):
        with db.transaction(conn):
            conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
        assert _count(conn) == 1  # the outer block sees the inner one's write
        raise RuntimeError("boom")
    assert _count(conn) == 0
    with db.transaction(conn):
        with db.transaction(conn):
            conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
        conn.execute("INSERT INTO classes (id, name) VALUES (1, 'pear')")
    assert _count(conn) == 2


def test_a_failed_nested_block_is_undone_and_the_outer_one_goes_on(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))
    with db.transaction(conn):
        conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
        with pytest.raises(RuntimeError), db.transaction(conn):
            conn.execute("INSERT INTO classes (id, name) VALUES (1, 'pear')")
            raise RuntimeError("boom")
    assert [r[0] for r in conn.execute("SELECT name FROM classes")] == ["apple"]


def test_file_actions_follow_the_outermost_transaction(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))
    done: list[str] = []
    with pytest.raises(RuntimeError), db.transaction(conn):
        with db.transaction(conn):
            db.on_commit(conn, lambda: done.append("commit a"))
            db.on_rollback(conn, lambda: done.append("rollback a"))
        assert done == []  # the savepoint released: nothing decided yet
        raise RuntimeError("boom")
    assert done == ["rollback a"]
    done.clear()
    with db.transaction(conn):
        with pytest.raises(RuntimeError), db.transaction(conn):
            db.on_commit(conn, lambda: done.append("commit b"))
            db.on_rollback(conn, lambda: done.append("rollback b"))
            raise RuntimeError("boom")
        assert done == ["rollback b"]  # the savepoint rolled back: at once, and only it
        db.on_commit(conn, lambda: done.append("commit c"))
        db.on_rollback(conn, lambda: done.append("rollback c"))
    assert done == ["rollback b", "commit c"]


def test_file_actions_need_an_open_transaction(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))
    with pytest.raises(RuntimeError, match="no transaction"):
        db.on_commit(conn, lambda: None)


def test_a_failed_file_action_does_not_undo_the_commit(tmp_path: Path) -> None:
    conn = db.connect(_make(tmp_path))

    def fail() -> None:
        raise FileNotFoundError("gone")

    with db.transaction(conn):
        conn.execute("INSERT INTO classes (id, name) VALUES (0, 'apple')")
        db.on_commit(conn, fail)
    assert _count(conn) == 1
    with db.transaction(conn):  # the connection is free again
        conn.execute("INSERT INTO classes (id, name) VALUES (1, 'pear')")
    assert _count(conn) == 2
