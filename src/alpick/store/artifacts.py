"""The project's derived data: embedding, prediction and score sets, and training runs, and the
one transaction several saves can share.

A mixin of :class:`alpick.store.project.ProjectStore`, kept apart to keep each module to one idea.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.formats.detections import Classes, Detections
from alpick.store import db as _db
from alpick.store import embeddings as _embeddings
from alpick.store import predictions as _predictions
from alpick.store import runs as _runs
from alpick.store import scores as _scores
from alpick.store.records import EmbeddingSet, PredictionSet, Run, ScoreSet


class Artifacts:
    """Embeddings, predictions, scores and runs of a project (needs ``_conn``, ``state_dir``)."""

    _conn: sqlite3.Connection
    state_dir: Path

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for every write inside the block: all of them are kept, or none.

        Each save (sets, tags, label sets, runs) joins it as a savepoint; the array files
        written for the sets are removed if the block raises, and the files of sets they
        replaced only once it has committed. Reads inside the block see its writes. Keep the
        block to the writes: other commands wait for the project while it is open.

        Raises:
            AlpickError: If the project is read-only or another command is writing to it.
        """
        with _db.transaction(self._conn):
            yield

    def save_embeddings(
        self,
        name: str,
        array: NDArray[Any],
        *,
        model: str,
        meta: Mapping[str, Any] | None = None,
    ) -> EmbeddingSet:
        """Save a ``(N, D)`` matrix aligned to :meth:`samples` (replacing a set of that name).

        Raises:
            AlpickError: On a bad name or shape, or non-finite values.
        """
        return _embeddings.save_embeddings(
            self._conn, self.state_dir, name, array, model=model, meta=meta
        )

    def embeddings(
        self, name: str | None = None, *, partial: bool = False
    ) -> tuple[NDArray[np.float32], EmbeddingSet]:
        """The ``(N, D)`` matrix of set ``name`` (``None``: the latest) and its record.

        With ``partial``, a set with fewer rows than samples (made before images were added;
        its rows are the first samples) is returned as it is, for extending it.

        Raises:
            AlpickError: If there are none, the name is unknown, or images were added since
                (unless ``partial``).
        """
        return _embeddings.load_embeddings(self._conn, self.state_dir, name, partial=partial)

    def embedding_sets(self) -> list[EmbeddingSet]:
        """All embedding sets, oldest first."""
        return _embeddings.list_embedding_sets(self._conn)

    def save_predictions(
        self,
        name: str,
        detections: Mapping[int, Detections],
        classes: Classes,
        *,
        source: str = "",
    ) -> PredictionSet:
        """Save predicted boxes per sample id (absent = no boxes), replacing a set of that name.

        Raises:
            AlpickError: On a bad name, unknown sample ids, boxes without confidence.
        """
        return _predictions.save_predictions(
            self._conn, self.state_dir, name, detections, classes, source=source
        )

    def predictions(
        self, name: str | None = None
    ) -> tuple[dict[int, Detections], Classes, PredictionSet]:
        """Boxes per sample id, class names and record of set ``name`` (``None``: the latest).

        Raises:
            AlpickError: If there are none or the name is unknown.
        """
        return _predictions.load_predictions(self._conn, self.state_dir, name)

    def prediction_sets(self) -> list[PredictionSet]:
        """All prediction sets, oldest first."""
        return _predictions.list_prediction_sets(self._conn)

    def save_scores(
        self, name: str, prediction_set: str, scores: Mapping[str, NDArray[Any]]
    ) -> ScoreSet:
        """Save per-sample score arrays, each ``(N,)`` aligned to :meth:`samples`.

        Raises:
            AlpickError: On a bad name, unknown prediction set, wrong length or non-finite values.
        """
        return _scores.save_scores(self._conn, self.state_dir, name, prediction_set, scores)

    def scores(self, name: str | None = None) -> tuple[dict[str, NDArray[np.float64]], ScoreSet]:
        """Score name to ``(N,)`` array, and the record, of set ``name`` (``None``: the latest).

        Raises:
            AlpickError: If there are none, the name is unknown, or images were added since.
        """
        return _scores.load_scores(self._conn, self.state_dir, name)

    def score_sets(self) -> list[ScoreSet]:
        """All score sets, oldest first."""
        return _scores.list_score_sets(self._conn)

    def record_run(self, name: str, path: str, config: Mapping[str, Any]) -> Run:
        """Record a detector training run (again: update its path and config)."""
        return _runs.record_run(self._conn, name, path, config)

    def runs(self) -> list[Run]:
        """All recorded runs, oldest first."""
        return _runs.list_runs(self._conn)
