"""Score sets: named per-sample score arrays, aligned to the samples, from a prediction set.

The arrays of a set are stored as one ``(K, N)`` float64 ``.npy``, row ``k`` being the score
named ``score_names[k]``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.store.arrays import fresh_file, load_npy, save_npy
from alpick.store.db import utc_now
from alpick.store.embeddings import check_rows, sample_count
from alpick.store.filesets import commit_set, find_set
from alpick.store.names import check_name
from alpick.store.predictions import prediction_set
from alpick.store.records import ScoreSet

_COLUMNS = ("name", "prediction_set", "score_names", "rows", "file", "created_at")
_NO_SCORES = "run `alpick scores`"


def _record(row: tuple[Any, ...]) -> ScoreSet:
    name, preds, score_names, rows, file, created = row
    return ScoreSet(name, preds, json.loads(score_names), rows, file, created)


def save_scores(
    conn: sqlite3.Connection,
    state_dir: Path,
    name: str,
    prediction_set_name: str,
    scores: Mapping[str, NDArray[Any]],
) -> ScoreSet:
    """Save score arrays (each ``(N,)``, aligned to ``samples()``) as set ``name``.

    Raises:
        AlpickError: On a bad name, an unknown prediction set, no scores, an array of the
            wrong length, or non-finite values.
    """
    check_name("scores", name)
    prediction_set(conn, prediction_set_name)
    if not scores:
        raise AlpickError("no scores to save")
    names = [check_name("score", str(k)) for k in scores]
    n = sample_count(conn)
    rows = []
    for key, values in scores.items():
        row = np.asarray(values, dtype=np.float64)
        if row.shape != (n,):
            raise AlpickError(f"score {key!r} has shape {row.shape}, expected ({n},)")
        if not np.isfinite(row).all():
            raise AlpickError(f"score {key!r} contains NaN or infinite values")
        rows.append(row)
    file = fresh_file(state_dir / "scores", name, ".npy")
    save_npy(file, np.stack(rows))
    columns = {
        "prediction_set": prediction_set_name,
        "score_names": json.dumps(names),
        "rows": n,
        "created_at": utc_now(),
    }
    commit_set(
        conn, state_dir, "score_sets", name, file, columns,
        check=lambda c: check_rows(c, n, f"scores {name!r}"),
    )  # fmt: skip
    return score_set(conn, name)


def score_set(conn: sqlite3.Connection, name: str | None) -> ScoreSet:
    """The record of set ``name`` (``None``: the most recently saved).

    Raises:
        AlpickError: If there is no such set.
    """
    return _record(
        find_set(conn, "score_sets", _COLUMNS, name, kind="scores", none_hint=_NO_SCORES)
    )


def list_score_sets(conn: sqlite3.Connection) -> list[ScoreSet]:
    """All score sets, oldest first."""
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM score_sets ORDER BY id")
    return [_record(tuple(r)) for r in rows]


def load_scores(
    conn: sqlite3.Connection, state_dir: Path, name: str | None
) -> tuple[dict[str, NDArray[np.float64]], ScoreSet]:
    """Score name to ``(N,)`` array, and the record, of set ``name`` (``None``: the latest).

    Raises:
        AlpickError: If there is no such set, images were added since, or the file is damaged.
    """
    record = score_set(conn, name)
    n = sample_count(conn)
    if record.rows != n:
        raise AlpickError(
            f"scores {record.name!r} have {record.rows} rows but the project has {n} samples "
            "(images were added since); recompute them (run `alpick scores`)"
        )
    table = load_npy(state_dir / record.file)
    if table.shape != (len(record.score_names), n):
        raise AlpickError(f"scores file {state_dir / record.file} has shape {table.shape}")
    values = table.astype(np.float64, copy=False)
    return {k: values[i] for i, k in enumerate(record.score_names)}, record
