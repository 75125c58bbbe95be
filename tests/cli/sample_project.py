"""A small project for the tests that run every command against it, and its snapshot.

``snapshot`` is what "the project did not change" means: the database's SQL dump plus every
file and folder under the project (contents hashed), the database files and logs aside.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image

from alpick.api import Project

KITTI = "apple 0.00 0 0.00 {x} 2 {x2} 9 0 0 0 0 0 0 0"
N_IMAGES = 6


def make_project(root: Path) -> Path:
    """Images + KITTI labels, a project with tag ``t1``, a stored prediction set ``pred`` (and
    its scores), embeddings ``emb``; prediction folders ``pred/`` and ``badpred/``
    (confidence 7)."""
    for folder in ("data/raw/images", "data/raw/labels", "pred", "badpred"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(N_IMAGES):
        Image.new("RGB", (32, 24), (40 * i, 0, 0)).save(root / f"data/raw/images/im{i}.png")
        box = KITTI.format(x=1 + i, x2=8 + i)
        (root / f"data/raw/labels/im{i}.txt").write_text(box + "\n")
        (root / f"pred/im{i}.txt").write_text(f"{box} 0.{i + 1}\n")
        (root / f"badpred/im{i}.txt").write_text(f"{box} 7\n")
    with Project.create(root) as project:
        project.import_samples()
        project.create_tag("t1", project.sample_ids()[:2].tolist())
        project.score_predictions(root / "pred", "kitti")
        rng = np.random.default_rng(0)
        project.save_embeddings("emb", rng.normal(size=(N_IMAGES, 4)), model="test")
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Path -> content hash (``dir`` for folders) of everything under ``root``, plus the
    database dump under the key ``<db>``."""
    state: dict[str, str] = {}
    db = root / ".alpick" / "alpick.db"
    if db.is_file():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            state["<db>"] = "\n".join(conn.iterdump())
        finally:
            conn.close()
    for parent, dirs, files in os.walk(root):
        rel = Path(parent).relative_to(root)
        if rel.parts[:2] == (".alpick", "logs"):
            continue
        for d in dirs:
            state[(rel / d).as_posix()] = "dir"
        for f in files:
            if f.startswith("alpick.db"):
                continue
            state[(rel / f).as_posix()] = hashlib.sha1((Path(parent) / f).read_bytes()).hexdigest()
    state.pop(".alpick/logs", None)
    return state


def copy_project(template: Path, dest: Path) -> Path:
    """A fresh copy of a project made by :func:`make_project`."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


def _false_null(conn: sqlite3.Connection, problem: str) -> bool:
    """SQLite 3.40's integrity_check reports "NULL value in T.C" for NOT NULL columns of
    WITHOUT ROWID tables that hold no NULL (fixed in 3.41); such a report is checked here."""
    match = re.fullmatch(r"NULL value in (\w+)\.(\w+)", problem)
    if not match:
        return False
    table, column = match.groups()
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NULL").fetchone()[0] == 0


def check_integrity(root: Path) -> None:
    """The database passes SQLite's check and every stored set, tag and row can be read."""
    conn = sqlite3.connect(root / ".alpick" / "alpick.db")
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        assert [p for p in problems if not _false_null(conn, p)] in ([], ["ok"]), problems
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    with Project.open(root) as project:
        n = len(project.samples())
        for emb in project.embedding_sets():
            assert project.embeddings(emb.name)[0].shape[0] == n
        for pred in project.prediction_sets():
            project.predictions(pred.name)
        for score in project.score_sets():
            values, _ = project.scores(score.name)
            assert all(len(v) == n for v in values.values())
        for tag in project.tags():
            assert len(set(tag.sample_ids)) == len(tag.sample_ids)
