"""Label sets: the v1 -> v2 migration keeps old labels; the newest set per image is current."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from alpick.formats.detections import Detections
from alpick.store import db
from alpick.store.migrations import MIGRATIONS
from alpick.store.project import ProjectStore


def test_a_version_1_project_is_migrated_and_keeps_its_labels(tmp_path: Path) -> None:
    state = tmp_path / ".alpick"
    state.mkdir()
    conn = sqlite3.connect(state / "alpick.db", isolation_level=None)
    db.migrate(conn, MIGRATIONS[:1])
    conn.executemany(
        "INSERT INTO settings VALUES (?, ?)",
        [("images", "i"), ("labels", "l"), ("label_format", "kitti")],
    )
    conn.execute("INSERT INTO samples VALUES (1, 'a.png', 10, 10, 'h')")
    conn.execute("INSERT INTO samples VALUES (2, 'b.png', 10, 10, 'h')")
    conn.execute("INSERT INTO classes VALUES (0, 'apple')")
    conn.execute("INSERT INTO labels VALUES (1, 0, 1, 2, 3, 4)")
    conn.close()
    with ProjectStore.open(tmp_path) as project:
        version = project._conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == len(MIGRATIONS) == 2
        assert project.labels()[1].xyxy.tolist() == [[1, 2, 3, 4]]
        assert len(project.labels()[2]) == 0
        first = project.save_label_set(
            {2: Detections(np.array([[0, 0, 5, 5]], np.float32), np.array([0]))},
            source="x",
            fmt="cvat",
        )
        second = project.save_label_set(
            {1: Detections.empty(), 2: Detections(np.array([[1, 1, 2, 2]], np.float32), [1])},
            source="y",
            fmt="label-studio",
            new_classes=["leaf"],
        )
        assert (first.id, second.id) == (1, 2) and second.boxes == 1
        labels = project.labels()
        assert len(labels[1]) == 0  # the newest set labels it empty
        assert labels[2].xyxy.tolist() == [[1, 1, 2, 2]] and labels[2].class_id.tolist() == [1]
        assert project.classes().names == ["apple", "leaf"]
        history = project.label_history(2)
        assert [v.set.source if v.set else None for v in history] == [None, "x", "y"]
        assert [len(v.boxes) for v in history] == [0, 1, 1]
        assert [s.id for s in project.label_sets()] == [1, 2]
