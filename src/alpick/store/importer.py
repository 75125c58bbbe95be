"""Importing images and their ground truth into the project.

Everything is read and checked first (image headers, hashes, every label file); only then does
one transaction add the new samples and classes and replace the labels. Any error leaves the
database as it was. Labels are re-read for every sample on each import: the label files are the
oracle's truth, and class ids only ever grow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from alpick.formats.detections import Classes, Detections
from alpick.store.db import transaction
from alpick.store.labels_io import load_labels
from alpick.store.records import ImportReport
from alpick.store.scan import find_images, read_images


def _label_rows(
    labels: dict[str, Detections], ids: dict[str, int], class_map: list[int]
) -> list[tuple[int, int, float, float, float, float]]:
    rows = []
    for path, det in labels.items():
        sid = ids[path]
        for (x0, y0, x1, y1), cid in zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True):
            rows.append((sid, class_map[cid], x0, y0, x1, y1))
    return rows


def import_samples(
    conn: sqlite3.Connection,
    images_dir: Path,
    labels_dir: Path,
    label_format: str,
    *,
    progress: bool = False,
    settings: Mapping[str, str] | None = None,
) -> ImportReport:
    """Add the images under ``images_dir`` not yet in the project; reload all labels.

    ``settings`` (``alpick init --reconfigure``) are written in the same transaction.

    Raises:
        AlpickError: If the images folder is missing, an image cannot be read, a label file has
            no image or bad content. Nothing is written then.
    """
    paths = find_images(images_dir)
    known = {
        path: (sid, w, h)
        for sid, path, w, h in conn.execute("SELECT id, path, width, height FROM samples")
    }
    new_paths = [p for p in paths if p not in known]
    infos = read_images(images_dir, new_paths, progress=progress)
    sizes = [(p, w, h) for p, (_, w, h) in known.items()]
    sizes += [(i.path, i.width, i.height) for i in infos]
    labels, file_classes = load_labels(labels_dir, label_format, sizes)

    db_classes = Classes([r[0] for r in conn.execute("SELECT name FROM classes ORDER BY id")])
    n_before = len(db_classes)
    class_map = [db_classes.id(name) for name in file_classes.names]
    with transaction(conn):
        conn.executemany(
            "UPDATE settings SET value = ? WHERE key = ?",
            [(v, k) for k, v in (settings or {}).items()],
        )
        conn.executemany(
            "INSERT INTO classes (id, name) VALUES (?, ?)",
            [(i, db_classes.names[i]) for i in range(n_before, len(db_classes))],
        )
        conn.executemany(
            "INSERT INTO samples (path, width, height, hash) VALUES (?, ?, ?, ?)",
            [(i.path, i.width, i.height, i.hash) for i in infos],
        )
        ids = {path: sid for sid, path in conn.execute("SELECT id, path FROM samples")}
        conn.execute("DELETE FROM labels")
        conn.executemany(
            "INSERT INTO labels (sample_id, class_id, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?, ?)",
            _label_rows(labels, ids, class_map),
        )
    added_boxes = [len(labels[i.path]) if i.path in labels else 0 for i in infos]
    return ImportReport(
        added=len(infos),
        unchanged=len(paths) - len(infos),
        total=len(ids),
        labelled=sum(1 for n in added_boxes if n),
        boxes=sum(added_boxes),
        classes=len(db_classes),
    )
