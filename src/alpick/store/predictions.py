"""Prediction sets: predicted boxes (with confidence, maybe class probabilities) per sample."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.store.arrays import fresh_file, load_npz, pack_detections, save_npz, unpack_detections
from alpick.store.db import utc_now
from alpick.store.filesets import commit_set, find_set
from alpick.store.names import check_name
from alpick.store.records import PredictionSet

_COLUMNS = ("name", "source", "classes", "samples", "boxes", "file", "created_at")
_NO_PREDICTIONS = "run `alpick predict` or `alpick scores --predictions DIR`"


def _record(row: tuple[Any, ...]) -> PredictionSet:
    name, source, classes, samples, boxes, file, created = row
    return PredictionSet(name, source, json.loads(classes), samples, boxes, file, created)


def _check_samples(conn: sqlite3.Connection, sample_ids: list[int]) -> None:
    known = {r[0] for r in conn.execute("SELECT id FROM samples")}
    missing = [i for i in sample_ids if i not in known]
    if missing:
        raise AlpickError(f"predictions name unknown sample id(s) {missing[:5]}")


def save_predictions(
    conn: sqlite3.Connection,
    state_dir: Path,
    name: str,
    detections: Mapping[int, Detections],
    classes: Classes,
    *,
    source: str = "",
) -> PredictionSet:
    """Save predicted boxes per sample id as set ``name``, replacing one of that name atomically.

    Samples absent from ``detections`` have no boxes.

    Raises:
        AlpickError: On a bad name, an unknown sample id, a box without confidence or a class
            id without a name.
    """
    check_name("predictions", name)
    ids = [int(i) for i in detections]
    _check_samples(conn, ids)
    arrays, boxes = pack_detections({int(k): v for k, v in detections.items()}, len(classes))
    file = fresh_file(state_dir / "predictions", name, ".npz")
    save_npz(file, arrays)
    columns = {
        "source": str(source),
        "classes": json.dumps(list(classes.names)),
        "samples": len(ids),
        "boxes": boxes,
        "created_at": utc_now(),
    }
    commit_set(
        conn,
        state_dir,
        "prediction_sets",
        name,
        file,
        columns,
        check=lambda c: _check_samples(c, ids),
    )
    return prediction_set(conn, name)


def prediction_set(conn: sqlite3.Connection, name: str | None) -> PredictionSet:
    """The record of set ``name`` (``None``: the most recently saved).

    Raises:
        AlpickError: If there is no such set.
    """
    row = find_set(
        conn, "prediction_sets", _COLUMNS, name, kind="predictions", none_hint=_NO_PREDICTIONS
    )
    return _record(row)


def list_prediction_sets(conn: sqlite3.Connection) -> list[PredictionSet]:
    """All prediction sets, oldest first."""
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM prediction_sets ORDER BY id")
    return [_record(tuple(r)) for r in rows]


def load_predictions(
    conn: sqlite3.Connection, state_dir: Path, name: str | None
) -> tuple[dict[int, Detections], Classes, PredictionSet]:
    """Detections per sample id, the class names and the record of set ``name`` (``None``:
    the latest).

    Raises:
        AlpickError: If there is no such set or its file is damaged.
    """
    record = prediction_set(conn, name)
    detections = unpack_detections(load_npz(state_dir / record.file))
    return detections, Classes(list(record.classes)), record
