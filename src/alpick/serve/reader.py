"""Read access to a project for the web app: one SQLite connection per request, cached arrays.

The app never holds a connection between requests, so a running ``alpick select`` or
``alpick embed`` (a writer, in WAL mode) is never blocked and its commits show up on the next
request. Array files of sets are immutable once written (a replaced set gets a new file name),
so arrays are cached by file name; the sample table is cached by its size and largest id
(samples are only ever added).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.serve.errors import ApiError
from alpick.store import db as _db
from alpick.store import embeddings as _embeddings
from alpick.store import predictions as _predictions
from alpick.store import scores as _scores
from alpick.store.arrays import load_npy, load_npz

STATE_DIR = ".alpick"
DB_NAME = "alpick.db"

T = TypeVar("T")


@dataclass(frozen=True)
class SampleTable:
    """The samples as aligned columns; position ``row`` is the sample's row in arrays."""

    ids: NDArray[np.int64]
    paths: list[str]
    width: NDArray[np.int64]
    height: NDArray[np.int64]
    hashes: list[str]
    row_of: dict[int, int] = field(repr=False)

    def row(self, sample_id: int) -> int:
        """The row of ``sample_id``.

        Raises:
            ApiError: 404 if there is no such sample.
        """
        row = self.row_of.get(sample_id)
        if row is None:
            raise ApiError(404, f"no sample with id {sample_id}")
        return row

    def rows(self, sample_ids: list[int]) -> NDArray[np.int64]:
        """Rows of known ids (unknown ids are left out)."""
        return np.array([self.row_of[i] for i in sample_ids if i in self.row_of], dtype=np.int64)


@dataclass(frozen=True)
class PackedPredictions:
    """A prediction set as its flat arrays (see :mod:`alpick.store.arrays`)."""

    name: str
    classes: list[str]
    sample_ids: NDArray[np.int64]
    offsets: NDArray[np.int64]
    xyxy: NDArray[np.float32]
    class_id: NDArray[np.int64]
    confidence: NDArray[np.float32]
    class_probs: NDArray[np.float32] | None

    def boxes(self, sample_id: int) -> slice:
        """The box rows of ``sample_id`` (empty when it has none)."""
        i = int(np.searchsorted(self.sample_ids, sample_id))
        if i < len(self.sample_ids) and self.sample_ids[i] == sample_id:
            return slice(int(self.offsets[i]), int(self.offsets[i + 1]))
        return slice(0, 0)


@dataclass(frozen=True)
class EmbeddingView:
    """An embedding set ready for the map and for neighbours."""

    name: str
    unit: NDArray[np.float32]  # (N, D), rows L2-normalized
    coords: NDArray[np.float32]  # (N, 2), the PCA map of `alpick embed map`


class Reader:
    """Everything the app reads from one project.

    Args:
        root: The project folder (holding ``.alpick``).
        metadata: A CSV of per-image metadata (default: see :func:`find_metadata`).
    """

    def __init__(self, root: Path, *, metadata: Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.state_dir = self.root / STATE_DIR
        self.db_path = self.state_dir / DB_NAME
        if not self.db_path.is_file():
            raise AlpickError(f"no alpick project in {self.root} (run `alpick init`)")
        from alpick.serve.metadata import find_metadata

        self.metadata_path = metadata or find_metadata(self.root)
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._cache: dict[str, tuple[Any, Any]] = {}
        with self.connect() as conn:
            self.settings: dict[str, str] = dict(conn.execute("SELECT key, value FROM settings"))
        self.images_dir = (self.root / self.settings["images"]).resolve()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection for one request, closed after it."""
        conn = _db.connect(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def _cached(self, kind: str, key: Any, make: Callable[[], T]) -> T:
        # One lock per kind: a slow projection of the embeddings never holds up the grid.
        with self._lock:
            lock = self._locks.setdefault(kind, threading.Lock())
        with lock:
            hit = self._cache.get(kind)
            if hit is not None and hit[0] == key:
                return hit[1]
            value = make()
            self._cache[kind] = (key, value)
            return value

    def warm(self) -> None:
        """Fill the caches (samples, boxes, latest predictions, scores and map) ahead of the
        first requests; errors are left for the requests to report."""
        try:
            with self.connect() as conn:
                table = self.samples(conn)
                self.gt_counts(conn, table)
                self.predictions(conn, None)
                self.scores(conn)
                self.embeddings(conn, None)
        except (ApiError, AlpickError, OSError, sqlite3.Error):
            pass

    # --- samples and labels -------------------------------------------------------------------

    def samples(self, conn: sqlite3.Connection) -> SampleTable:
        """The sample table (cached until samples are added)."""
        key = tuple(conn.execute("SELECT count(*), max(id) FROM samples").fetchone())

        def make() -> SampleTable:
            rows = conn.execute("SELECT id, path, width, height, hash FROM samples ORDER BY id")
            ids, paths, widths, heights, hashes = [], [], [], [], []
            for sid, path, w, h, digest in rows:
                ids.append(sid)
                paths.append(path)
                widths.append(w)
                heights.append(h)
                hashes.append(digest)
            return SampleTable(
                np.array(ids, dtype=np.int64),
                paths,
                np.array(widths, dtype=np.int64),
                np.array(heights, dtype=np.int64),
                hashes,
                {sid: i for i, sid in enumerate(ids)},
            )

        return self._cached("samples", key, make)

    def classes(self, conn: sqlite3.Connection) -> list[str]:
        """Ground-truth class names in id order."""
        return [r[0] for r in conn.execute("SELECT name FROM classes ORDER BY id")]

    def gt_counts(self, conn: sqlite3.Connection, table: SampleTable) -> NDArray[np.int64]:
        """Ground-truth boxes per row ``(N,)``."""
        total = conn.execute(
            "SELECT count(*), (SELECT coalesce(max(id), 0) FROM label_sets) FROM current_labels"
        ).fetchone()

        def make() -> NDArray[np.int64]:
            counts = np.zeros(len(table.ids), dtype=np.int64)
            for sid, n in conn.execute(
                "SELECT sample_id, count(*) FROM current_labels GROUP BY sample_id"
            ):
                row = table.row_of.get(sid)
                if row is not None:
                    counts[row] = n
            return counts

        return self._cached("gt_counts", (len(table.ids), int(table.ids[-1:].sum()), *total), make)

    def annotated(self, table: SampleTable) -> int:
        """How many samples are annotated: their image is in ``data/train/images`` (where
        ``alpick annotate`` copies them), by relative path."""
        folder = self.root / "data" / "train" / "images"
        if not folder.is_dir():
            return 0

        def make() -> int:
            found: set[str] = set()
            for parent, _, files in os.walk(folder):
                rel = Path(parent).relative_to(folder).as_posix()
                prefix = "" if rel == "." else rel + "/"
                found.update(prefix + name for name in files)
            return sum(1 for p in table.paths if p in found)

        key = (folder.stat().st_mtime_ns, len(table.ids))
        return self._cached("annotated", key, make)

    def gt_boxes(self, conn: sqlite3.Connection, sample_ids: list[int]) -> dict[int, list[Any]]:
        """Ground-truth boxes ``[x0, y0, x1, y1, class_id]`` of each sample id."""
        out: dict[int, list[Any]] = {i: [] for i in sample_ids}
        for start in range(0, len(sample_ids), 500):
            part = sample_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                "SELECT sample_id, x0, y0, x1, y1, class_id FROM current_labels "
                f"WHERE sample_id IN ({marks}) ORDER BY sample_id, set_id, seq",
                part,
            )
            for sid, x0, y0, x1, y1, cls in rows:
                out[sid].append([round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1), cls])
        return out

    def image_file(self, conn: sqlite3.Connection, sample_id: int) -> tuple[Path, str]:
        """The image file of a sample (its stored relative path under the images folder) and
        the hash of its bytes.

        Raises:
            ApiError: 404 for an unknown sample or a missing file; 403 if the stored path
                resolves outside the images folder (a symlink or a ``..`` pointing out).
        """
        row = None
        if -(2**63) <= sample_id < 2**63:
            row = conn.execute(
                "SELECT path, hash FROM samples WHERE id = ?", (sample_id,)
            ).fetchone()
        if row is None:
            raise ApiError(404, f"no sample with id {sample_id}")
        rel, digest = str(row[0]), str(row[1])
        if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            raise ApiError(403, f"sample {sample_id} lies outside the images folder")
        path = (self.images_dir / rel).resolve()
        if not path.is_relative_to(self.images_dir):
            raise ApiError(403, f"sample {sample_id} lies outside the images folder")
        if not path.is_file():
            raise ApiError(404, f"the image of sample {sample_id} is missing")
        return path, digest

    # --- sets -----------------------------------------------------------------------------------

    def predictions(self, conn: sqlite3.Connection, name: str | None) -> PackedPredictions | None:
        """Prediction set ``name`` (``None``: the latest; no sets: ``None``).

        Raises:
            ApiError: 404 for an unknown name.
        """
        sets = _predictions.list_prediction_sets(conn)
        if not sets:
            if name:
                raise ApiError(404, f"no prediction set {name!r}")
            return None
        record = sets[-1] if not name else next((s for s in sets if s.name == name), None)
        if record is None:
            raise ApiError(404, f"no prediction set {name!r}")

        def make() -> PackedPredictions:
            arrays = load_npz(self.state_dir / record.file)
            probs = arrays.get("class_probs")
            return PackedPredictions(
                record.name,
                list(record.classes),
                arrays["sample_ids"].astype(np.int64),
                arrays["offsets"].astype(np.int64),
                arrays["xyxy"].astype(np.float32),
                arrays["class_id"].astype(np.int64),
                arrays["confidence"].astype(np.float32),
                None if probs is None else probs.astype(np.float32),
            )

        return self._cached("predictions", (record.name, record.file), make)

    def computed_scores(
        self, conn: sqlite3.Connection, prediction_set: str, min_confidence: float = 0.0
    ) -> dict[str, NDArray[np.float64]]:
        """The scores of a prediction set computed here (none stored), ``(N,)`` each.

        Raises:
            ApiError: 404 for an unknown prediction set.
        """
        from alpick.serve.scoring import prediction_scores

        pred = self.predictions(conn, prediction_set)
        assert pred is not None
        table = self.samples(conn)
        key = (pred.name, id(pred), len(table.ids), float(min_confidence))
        return self._cached(
            "computed_scores",
            key,
            lambda: prediction_scores(pred, table, min_confidence=min_confidence),
        )

    def scores(self, conn: sqlite3.Connection) -> dict[str, NDArray[np.float64]]:
        """Every score of every current score set, as ``"set/score"`` to ``(N,)``.

        Sets made before images were added (fewer rows than samples) are left out. When the
        latest prediction set has no score set of its name, its scores are computed here and
        listed as ``"predictions/score"``.
        """
        n = _embeddings.sample_count(conn)
        sets = [s for s in _scores.list_score_sets(conn) if s.rows == n]
        stored = self._stored_scores(conn, n, sets)
        latest = _predictions.list_prediction_sets(conn)[-1:]
        if latest and not any(s.name == latest[0].name for s in sets):
            computed = self.computed_scores(conn, latest[0].name)
            return {**stored, **{f"{latest[0].name}/{k}": v for k, v in computed.items()}}
        return stored

    def _stored_scores(
        self, conn: sqlite3.Connection, n: int, sets: list[Any]
    ) -> dict[str, NDArray[np.float64]]:

        def make() -> dict[str, NDArray[np.float64]]:
            out: dict[str, NDArray[np.float64]] = {}
            for s in sets:
                try:
                    table = load_npy(self.state_dir / s.file).astype(np.float64, copy=False)
                except AlpickError:
                    continue
                if table.shape != (len(s.score_names), n):
                    continue
                for i, key in enumerate(s.score_names):
                    out[f"{s.name}/{key}"] = table[i]
            return out

        return self._cached("scores", tuple((s.name, s.file) for s in sets), make)

    def score(self, conn: sqlite3.Connection, key: str) -> NDArray[np.float64]:
        """One score ``"set/score"``.

        Raises:
            ApiError: 404 if there is no such score.
        """
        table = self.scores(conn)
        if key not in table:
            known = ", ".join(table) or "none"
            raise ApiError(404, f"unknown score {key!r} (scores: {known})")
        return table[key]

    def embeddings(self, conn: sqlite3.Connection, name: str | None) -> EmbeddingView:
        """Embedding set ``name`` (``None``: the latest), normalized and projected to 2-D.

        Raises:
            ApiError: 404 if there is none or it is out of date (images added since).
        """
        from alpick.embed.map2d import pca_2d

        try:
            record = _embeddings.embedding_set(conn, name or None)
        except AlpickError as exc:
            raise ApiError(404, str(exc)) from None
        n = _embeddings.sample_count(conn)
        if record.rows != n:
            raise ApiError(
                404, f"embeddings {record.name!r} have {record.rows} rows for {n} samples"
            )

        def make() -> EmbeddingView:
            matrix = load_npy(self.state_dir / record.file).astype(np.float32, copy=False)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            unit = matrix / np.where(norms > 0, norms, 1.0)
            coords = np.nan_to_num(pca_2d(matrix)).astype(np.float32)
            return EmbeddingView(record.name, unit.astype(np.float32), coords)

        return self._cached("embeddings", (record.name, record.file), make)

    # --- metadata -------------------------------------------------------------------------------

    def metadata(self, table: SampleTable) -> dict[str, list[str]]:
        """Metadata column to one string per row (``""`` where the CSV has no row for it)."""
        from alpick.serve.metadata import read_metadata

        path = self.metadata_path
        if path is None or not path.is_file():
            return {}
        key = (str(path), path.stat().st_mtime_ns, len(table.ids))
        return self._cached("metadata", key, lambda: read_metadata(path, table))
