"""Loading what a selection reads from a project: scores, predicted classes, metadata.

Each loader returns arrays aligned to the project's rows (``samples()`` order) plus a small
record of where they came from, which the new tag keeps.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import read_text
from alpick.formats.detections import Classes, Detections
from alpick.project.scores import ScoredFolder, score_prediction_set, stored_detections
from alpick.scores import score_name
from alpick.store.project import ProjectStore
from alpick.store.records import PredictionSet, Sample

#: The category of a sample without boxes in BALANCE on PREDICTIONS.
NO_PREDICTION = "none"
#: Header names taken as the image column of a metadata CSV (else its first column).
IMAGE_COLUMNS = ("image", "filename", "filenames", "file_name", "sample", "path")


def load_scores(
    project: ProjectStore,
    names: Sequence[str],
    *,
    prediction_set: str | None = None,
    min_confidence: float | None = None,
) -> tuple[dict[str, NDArray[np.float64]], dict[str, Any]]:
    """The scores ``names``, one value per sample, and where they came from.

    With ``min_confidence`` left ``None``, the newest score set computed from the prediction
    set (``prediction_set``, or the latest one) after it was saved and holding every name is
    used as stored (so ``alpick scores --min-confidence``/``--reduction`` carry over);
    otherwise the scores are computed from the prediction set with ``min_confidence`` (0 when
    ``None``) and the ``max`` reduction.

    Raises:
        AlpickError: For an unknown score name, or if there is no prediction set.
    """
    keys = list(dict.fromkeys(score_name(n) for n in names))
    record = prediction_set_record(project, prediction_set)
    if min_confidence is None:
        for s in reversed(project.score_sets()):
            if (
                s.prediction_set == record.name
                and s.created_at >= record.created_at
                and set(keys) <= set(s.score_names)
            ):
                stored, _ = project.scores(s.name)
                origin = {"prediction_set": record.name, "score_set": s.name}
                return {k: stored[k] for k in keys}, origin
    threshold = 0.0 if min_confidence is None else float(min_confidence)
    scores, _ = score_prediction_set(project, record.name, names=keys, min_confidence=threshold)
    return scores, {"prediction_set": record.name, "min_confidence": threshold}


def prediction_set_record(project: ProjectStore, prediction_set: str | None) -> PredictionSet:
    """The record of prediction set ``prediction_set`` (``None``: the latest).

    Raises:
        AlpickError: If there is none (the message says how to make one).
    """
    sets = project.prediction_sets()
    if prediction_set is None:
        if not sets:
            raise AlpickError(
                "no predictions to score (give --predictions DIR, or run `alpick scores`)"
            )
        return sets[-1]
    for s in sets:
        if s.name == prediction_set:
            return s
    known = ", ".join(s.name for s in sets) or "none yet"
    raise AlpickError(f"unknown prediction set {prediction_set!r} (prediction sets: {known})")


def majority_class(detections: Sequence[Detections], min_confidence: float = 0.0) -> NDArray[Any]:
    """The most frequent class id among each sample's boxes at or above ``min_confidence``.

    Ties go to the lowest class id; a sample without such boxes gets -1.

    Returns:
        ``(N,)`` int64 class ids.
    """
    n = len(detections)
    counts = np.fromiter((len(d) for d in detections), dtype=np.int64, count=n)
    out = np.full(n, -1, dtype=np.int64)
    if counts.sum() == 0:
        return out
    filled = [d for d in detections if len(d)]
    cls = np.concatenate([d.class_id for d in filled])
    conf = np.concatenate(
        [d.confidence if d.confidence is not None else np.ones(len(d)) for d in filled]
    )
    row = np.repeat(np.arange(n, dtype=np.int64), counts)
    keep = conf >= min_confidence
    row, cls = row[keep], cls[keep]
    if len(row) == 0:
        return out
    pairs, votes = np.unique(np.stack([row, cls], axis=1), axis=0, return_counts=True)
    # per row: most votes first, then the lowest class id
    order = np.lexsort((pairs[:, 1], -votes, pairs[:, 0]))
    pairs = pairs[order]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:, 0] != pairs[:-1, 0]
    out[pairs[first, 0]] = pairs[first, 1]
    return out


def predicted_classes(
    project: ProjectStore, *, prediction_set: str | None = None, min_confidence: float | None = None
) -> tuple[NDArray[np.str_], dict[str, Any]]:
    """Each sample's predicted class name (:func:`majority_class`; :data:`NO_PREDICTION`
    without boxes), for BALANCE on PREDICTIONS, and where it came from.

    Raises:
        AlpickError: If there is no such prediction set.
    """
    record = prediction_set_record(project, prediction_set)
    dets, classes, _ = stored_detections(project, record.name)
    return _class_names(dets, classes, record.name, min_confidence)


def _class_names(
    dets: Sequence[Detections], classes: Classes, set_name: str, min_confidence: float | None
) -> tuple[NDArray[np.str_], dict[str, Any]]:
    threshold = 0.0 if min_confidence is None else float(min_confidence)
    ids = majority_class(dets, threshold)
    names = np.array([*classes.names, NO_PREDICTION])
    return names[ids], {"prediction_set": set_name, "min_confidence": threshold}


def folder_scores(
    scored: ScoredFolder, names: Sequence[str], *, min_confidence: float | None = None
) -> tuple[dict[str, NDArray[np.float64]], dict[str, Any]]:
    """:func:`load_scores` of a prediction folder scored but not stored yet: the scores it
    will be stored with (``scored`` was computed with ``min_confidence``, 0 when ``None``),
    and where they come from, as :func:`load_scores` says it once the folder is stored."""
    keys = list(dict.fromkeys(score_name(n) for n in names))
    name = scored.read.name
    threshold = 0.0 if min_confidence is None else float(min_confidence)
    assert scored.min_confidence == threshold, "scored with another minimum confidence"
    if min_confidence is None:
        origin: dict[str, Any] = {"prediction_set": name, "score_set": name}
    else:
        origin = {"prediction_set": name, "min_confidence": threshold}
    return {k: scored.scores[k] for k in keys}, origin


def folder_classes(
    scored: ScoredFolder, *, min_confidence: float | None = None
) -> tuple[NDArray[np.str_], dict[str, Any]]:
    """:func:`predicted_classes` of a prediction folder read but not stored yet."""
    read = scored.read
    return _class_names(read.detections, read.classes, read.name, min_confidence)


def _image_column(header: list[str]) -> int:
    lowered = [h.strip().lower() for h in header]
    for name in IMAGE_COLUMNS:
        if name in lowered:
            return lowered.index(name)
    return 0


def _rows_by_sample(names: list[str], samples: Sequence[Sample]) -> dict[int, int]:
    """Metadata row of each sample row; rows naming no image of the project are left out."""
    by_path = {s.path: i for i, s in enumerate(samples)}
    by_base: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_base.setdefault(PurePosixPath(s.path).name, []).append(i)
    out: dict[int, int] = {}
    for k, raw in enumerate(names):
        name = raw.strip().replace("\\", "/").removeprefix("./")
        hit = by_path.get(name)
        if hit is None and len(by_base.get(PurePosixPath(name).name, ())) == 1:
            hit = by_base[PurePosixPath(name).name][0]
        if hit is None:
            continue
        if hit in out:
            raise AlpickError(f"metadata lists image {samples[hit].path} twice")
        out[hit] = k
    return out


def load_metadata(
    path: Path, samples: Sequence[Sample], columns: Sequence[str]
) -> dict[str, NDArray[np.str_]]:
    """Metadata columns from a CSV with a header, one row per image.

    The image column is the one named ``image`` (or ``filename``, ``file_name``, ``sample``,
    ``path``), else the first; it holds the image's relative path or its bare file name
    (when unique). Rows of images not in the project (say, the test split) are ignored; every
    sample of the project must have a row. Values stay strings: a WEIGHTS or THRESHOLD reads
    them as numbers, a BALANCE as categories.

    Args:
        path: The CSV file (UTF-8, a byte-order mark is fine).
        samples: The project's samples (the rows).
        columns: The columns wanted.

    Returns:
        Column name to ``(N,)`` strings, in ``samples`` order.

    Raises:
        AlpickError: If the file cannot be read, has no header, lacks a wanted column, lists a
            sample twice, or has no row for some sample.
    """
    try:
        table = list(csv.reader(io.StringIO(read_text(path), newline="")))
    except csv.Error as exc:
        raise AlpickError(f"cannot read metadata {path}: {exc}") from None
    if not table or not table[0]:
        raise AlpickError(f"metadata {path}: empty file (expected a header row)")
    header = [h.strip() for h in table[0]]
    rows = [r for r in table[1:] if any(cell.strip() for cell in r)]
    for k, r in enumerate(rows):
        if len(r) != len(header):
            raise AlpickError(
                f"metadata {path}: a row has {len(r)} values for {len(header)} columns "
                f"(row {k + 2} after blank lines are skipped)"
            )
    missing_cols = [c for c in columns if c not in header]
    if missing_cols:
        raise AlpickError(
            f"metadata {path} has no column {missing_cols[0]!r} (columns: {', '.join(header)})"
        )
    image_col = _image_column(header)
    found = _rows_by_sample([r[image_col] for r in rows], samples)
    if len(found) < len(samples):
        absent = [s.path for i, s in enumerate(samples) if i not in found]
        raise AlpickError(
            f"metadata {path} has no row for {len(absent)} of the project's "
            f"{len(samples)} images (e.g. {absent[0]}; image column: {header[image_col]!r})"
        )
    order = [found[i] for i in range(len(samples))]
    out: dict[str, NDArray[np.str_]] = {}
    for c in columns:
        j = header.index(c)
        out[c] = np.array([rows[k][j].strip() for k in order], dtype=str)
    return out
