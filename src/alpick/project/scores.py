"""Scores of a prediction folder, in a project or on its own: what ``alpick scores`` runs.

Inside a project the folder is read against the project's samples (an image without a
prediction file has no boxes), stored as a prediction set, scored, and the scores stored as a
score set of the same name. Outside a project the rows are the prediction files themselves and
nothing is stored. Everything is vectorised over the whole folder (bulk reader, one
:class:`~alpick.scores.BoxTable`, segment-reduced scores), so 100,000 KITTI files take seconds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.formats.labels_dir import load_prediction_dir
from alpick.project.predictions import (
    PredictionRead,
    check_prediction_folder,
    read_predictions,
    store_predictions,
    stored_detections,
)
from alpick.scores import BoxTable, compute_scores, score_name
from alpick.scores.reduce import check_reduction
from alpick.scores.registry import check_min_confidence
from alpick.store.project import ProjectStore
from alpick.store.records import PredictionSet, ScoreSet

Float64Array = NDArray[np.float64]


@dataclass(frozen=True)
class ScoreReport:
    """The scores of a prediction folder.

    Attributes:
        samples: One name per row: the image's relative path in a project, else the prediction
            file's path without suffix (COCO: the image file name).
        scores: Score name to ``(rows,)`` float64 values, in the order asked.
        boxes: Boxes read.
        kept: Boxes at or above the minimum confidence (the ones scored).
        prediction_set: The stored prediction set (``None`` outside a project).
        score_set: The stored score set (``None`` outside a project).
        without_file: Images of the project with no prediction file (KITTI and YOLO only).
        orphans: Prediction files that belong to no image of the project (KITTI and YOLO only).
    """

    samples: list[str]
    scores: dict[str, Float64Array]
    boxes: int
    kept: int
    prediction_set: PredictionSet | None = None
    score_set: ScoreSet | None = None
    without_file: int = 0
    orphans: tuple[str, ...] = ()


def check_score_names(names: Sequence[str] | None) -> list[str] | None:
    """The canonical names of ``names`` (``None``: all scores).

    Raises:
        ScoreError: For an unknown name; the message lists the valid ones.
    """
    return None if names is None else list(dict.fromkeys(score_name(n) for n in names))


def _score(
    detections: Sequence[Detections],
    names: Sequence[str] | None,
    reduction: str,
    min_confidence: float,
) -> tuple[dict[str, Float64Array], int, int]:
    table = BoxTable.from_detections(detections)
    scores = compute_scores(table, names, reduction=reduction, min_confidence=min_confidence)
    kept = int((table.confidence >= min_confidence).sum()) if min_confidence > 0 else table.n_boxes
    return scores, table.n_boxes, kept


def score_folder(
    pred_dir: Path,
    fmt: str = "kitti",
    *,
    names: Sequence[str] | None = None,
    reduction: str = "max",
    min_confidence: float = 0.0,
) -> ScoreReport:
    """Score a prediction folder on its own: one row per prediction file, nothing stored.

    Args:
        pred_dir: The folder (for KITTI: the ``*.txt`` files directly in it).
        fmt: One of ``kitti``, ``coco``, ``yolo``, ``lightly`` (YOLO needs a project).
        names: Score names (case-insensitive); ``None`` for all.
        reduction: ``max``, ``mean`` or ``sum`` of per-box uncertainties.
        min_confidence: Boxes below it are dropped before scoring.

    Raises:
        AlpickError: For an unknown format or score, a missing or empty folder, or a malformed
            file (``FILE:LINE`` where the format has lines).
    """
    fmt = check_prediction_folder(pred_dir, fmt)
    keys = check_score_names(names)
    check_min_confidence(min_confidence)
    samples, dets, _ = load_prediction_dir(Path(pred_dir), fmt)
    if not samples:
        raise AlpickError(f"{pred_dir}: no {fmt} prediction files")
    scores, boxes, kept = _score(dets, keys, reduction, min_confidence)
    return ScoreReport(samples, scores, boxes, kept)


@dataclass(frozen=True)
class ScoredFolder:
    """A prediction folder read, checked against the project and scored; nothing stored yet.

    Attributes:
        read: The folder, read and checked.
        scores: Score name to ``(samples,)`` float64 values.
        boxes: Boxes read.
        kept: Boxes at or above the minimum confidence (the ones scored).
        min_confidence: The minimum confidence the scores were computed with.
    """

    read: PredictionRead
    scores: dict[str, Float64Array]
    boxes: int
    kept: int
    min_confidence: float


def score_prediction_folder(
    project: ProjectStore,
    pred_dir: Path,
    fmt: str = "kitti",
    *,
    name: str | None = None,
    names: Sequence[str] | None = None,
    reduction: str = "max",
    min_confidence: float = 0.0,
    load: Callable[..., tuple[list[str], list[Detections], Classes]] = load_prediction_dir,
) -> ScoredFolder:
    """Read, check and score a prediction folder against the project; store nothing.

    :func:`store_scored_folder` then stores it as a prediction set and a score set of the same
    name (``alpick scores``): everything is read, checked and scored before anything is stored.
    Arguments as in :func:`score_folder` and :func:`import_predictions`; ``load`` as in
    :func:`read_predictions` (e.g. reading the folder on a Ray cluster).

    Raises:
        AlpickError: As :func:`import_predictions`, for an unknown score or reduction, a
            minimum confidence outside [0, 1], or confidences the scores cannot use.
    """
    keys = check_score_names(names)
    check_reduction(reduction)
    check_min_confidence(min_confidence)
    read = read_predictions(project, pred_dir, fmt, name=name, load=load)
    scores, boxes, kept = _score(read.detections, keys, reduction, min_confidence)
    return ScoredFolder(read, scores, boxes, kept, float(min_confidence))


def store_scored_folder(project: ProjectStore, scored: ScoredFolder) -> ScoreReport:
    """Store a scored folder as a prediction set and a score set of the same name, in one
    transaction (the caller's, when it has one open: ``ProjectStore.transaction``): a failure
    or a kill stores neither."""
    with project.transaction():
        imported = store_predictions(project, scored.read)
        record = imported.record
        score_set = project.save_scores(record.name, record.name, scored.scores)
    return ScoreReport(
        samples=[s.path for s in scored.read.samples],
        scores=scored.scores,
        boxes=scored.boxes,
        kept=scored.kept,
        prediction_set=record,
        score_set=score_set,
        without_file=imported.without_file,
        orphans=imported.orphans,
    )


def score_prediction_set(
    project: ProjectStore,
    prediction_set: str | None = None,
    *,
    names: Sequence[str] | None = None,
    reduction: str = "max",
    min_confidence: float = 0.0,
) -> tuple[dict[str, Float64Array], PredictionSet]:
    """Scores of a stored prediction set (``None``: the latest), one value per sample; not
    stored.

    Raises:
        AlpickError: If there is no such set, or for an unknown score or reduction.
    """
    dets, _, record = stored_detections(project, prediction_set)
    scores, _, _ = _score(dets, check_score_names(names), reduction, min_confidence)
    return scores, record


def format_scores_csv(samples: Sequence[str], scores: Mapping[str, NDArray[np.floating]]) -> str:
    """CSV text: header ``sample,<score>,...``, then one row per sample.

    Values are written as Python's shortest exact ``repr`` of the float64 (``0.9``,
    ``0.30000000000000004``), so reading them back gives the very same numbers; names with a
    comma, a quote or a line break are quoted (the ``csv`` module's minimal quoting).

    Raises:
        AlpickError: If a score array's length differs from the number of samples.
    """
    keys = list(scores)
    columns = [np.asarray(scores[k], dtype=np.float64).tolist() for k in keys]
    for key, col in zip(keys, columns, strict=True):
        if len(col) != len(samples):
            raise AlpickError(f"score {key!r} has {len(col)} values for {len(samples)} samples")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["sample", *keys])
    writer.writerows(zip([str(s) for s in samples], *columns, strict=True))
    return buf.getvalue()


def write_scores_csv(
    path: Path, samples: Sequence[str], scores: Mapping[str, NDArray[np.floating]]
) -> None:
    """Write :func:`format_scores_csv` to ``path`` atomically (temp file, then rename)."""
    write_text_atomic(Path(path), format_scores_csv(samples, scores))
