"""Label sets: labels brought back from a labelling tool, versioned, never overwritten.

Each import is one label set (source, format, time) holding the images it labels and their boxes
(an image may have none: labelled empty). An image's *current* labels are those of the newest
set that has it, else the ground truth read from the project's label files (the SQL view
``current_labels``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alpick.formats.detections import Detections
from alpick.store.db import transaction, utc_now


@dataclass(frozen=True)
class LabelSet:
    """One import of labels.

    Attributes:
        id: Its number (1, 2, ...; newer sets have larger ids).
        source: The file or folder imported.
        format: Its format (``label-studio``, ``cvat``, ``coco``, ``yolo``, ``voc``).
        images: How many images it labels.
        boxes: How many boxes it holds.
        created_at: When it was imported (ISO 8601 UTC).
    """

    id: int
    source: str
    format: str
    images: int
    boxes: int
    created_at: str


@dataclass(frozen=True)
class LabelVersion:
    """The labels of one image as one source gave them.

    Attributes:
        set: The label set, or ``None`` for the ground truth of the project's label files.
        boxes: The image's boxes (project class ids).
    """

    set: LabelSet | None
    boxes: Detections


def save_label_set(
    conn: sqlite3.Connection,
    *,
    source: str,
    fmt: str,
    labels: Mapping[int, Detections],
    new_classes: Sequence[str] = (),
) -> LabelSet:
    """Store ``labels`` (sample id -> boxes in project class ids) as a new label set, adding
    ``new_classes`` to the end of the class list first; all in one transaction."""
    rows = [
        (sid, cid, x0, y0, x1, y1)
        for sid, det in labels.items()
        for (x0, y0, x1, y1), cid in zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True)
    ]
    created = utc_now()
    with transaction(conn):
        first = conn.execute("SELECT coalesce(max(id) + 1, 0) FROM classes").fetchone()[0]
        conn.executemany(
            "INSERT INTO classes (id, name) VALUES (?, ?)",
            [(first + i, name) for i, name in enumerate(new_classes)],
        )
        cur = conn.execute(
            "INSERT INTO label_sets (source, format, images, boxes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (source, fmt, len(labels), len(rows), created),
        )
        set_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO label_set_images (set_id, sample_id) VALUES (?, ?)",
            [(set_id, sid) for sid in sorted(labels)],
        )
        conn.executemany(
            "INSERT INTO label_set_boxes (set_id, sample_id, class_id, x0, y0, x1, y1) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(set_id, *r) for r in rows],
        )
    return LabelSet(set_id, source, fmt, len(labels), len(rows), created)


def list_label_sets(conn: sqlite3.Connection) -> list[LabelSet]:
    """All label sets, oldest first."""
    rows = conn.execute(
        "SELECT id, source, format, images, boxes, created_at FROM label_sets ORDER BY id"
    )
    return [LabelSet(*r) for r in rows]


def _boxes(rows: list[tuple[float, ...]]) -> Detections:
    if not rows:
        return Detections.empty()
    return Detections(
        np.asarray([r[1:5] for r in rows], np.float32),
        np.asarray([int(r[0]) for r in rows], np.int64),
    )


def label_history(conn: sqlite3.Connection, sample_id: int) -> list[LabelVersion]:
    """The labels of one image, oldest first: the label files' (when it has boxes there or no
    set has it), then each label set that has it."""
    sets = {s.id: s for s in list_label_sets(conn)}
    base = conn.execute(
        "SELECT class_id, x0, y0, x1, y1 FROM labels WHERE sample_id = ? ORDER BY rowid",
        (sample_id,),
    ).fetchall()
    history = [LabelVersion(None, _boxes(base))]
    set_ids = [
        r[0]
        for r in conn.execute(
            "SELECT set_id FROM label_set_images WHERE sample_id = ? ORDER BY set_id",
            (sample_id,),
        )
    ]
    for set_id in set_ids:
        rows = conn.execute(
            "SELECT class_id, x0, y0, x1, y1 FROM label_set_boxes "
            "WHERE set_id = ? AND sample_id = ? ORDER BY rowid",
            (set_id, sample_id),
        ).fetchall()
        history.append(LabelVersion(sets[set_id], _boxes(rows)))
    return history
