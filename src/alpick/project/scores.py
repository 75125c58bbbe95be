"""Scores of a prediction folder, in a project or on its own: what ``alpick scores`` runs.

Inside a project the folder is read against the project's samples (an image without a
prediction file has no boxes), stored as a prediction set, scored, and the scores stored as a
score set of the same name. Outside a project the rows are the prediction files themselves and
nothing is stored. Everything is vectorised over the whole folder (bulk reader, one
:class:`~alpick.scores.BoxTable`, segment-reduced scores), so 100,000 KITTI files take seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.formats.labels_dir import PREDICTION_FORMATS, load_prediction_dir
from alpick.scores import BoxTable, compute_scores, score_name
from alpick.scores.reduce import check_reduction
from alpick.store.names import check_name
from alpick.store.project import Project
from alpick.store.records import PredictionSet, ScoreSet

Float64Array = NDArray[np.float64]

#: Per-file formats whose prediction of image ``a/b.png`` is the file ``a/b.txt``.
_TXT_FORMATS = ("kitti", "yolo")


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


def _txt_files(folder: Path) -> set[str]:
    """Relative paths without ``.txt`` of the text files under ``folder`` (recursive)."""
    found: set[str] = set()
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(parent).relative_to(folder).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.update(prefix + f[:-4] for f in files if f.endswith(".txt") and f[0] != ".")
    return found


def _check_folder(pred_dir: Path, fmt: str) -> str:
    low = fmt.lower()
    if low not in PREDICTION_FORMATS:
        raise AlpickError(
            f"unknown prediction format {fmt!r}; valid: {', '.join(PREDICTION_FORMATS)}"
        )
    if not Path(pred_dir).is_dir():
        raise AlpickError(f"{pred_dir}: no such folder")
    if not any(Path(pred_dir).iterdir()):
        raise AlpickError(f"{pred_dir}: the folder is empty (no prediction files)")
    return low


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
    fmt = _check_folder(pred_dir, fmt)
    keys = check_score_names(names)
    samples, dets, _ = load_prediction_dir(Path(pred_dir), fmt)
    if not samples:
        raise AlpickError(f"{pred_dir}: no {fmt} prediction files")
    scores, boxes, kept = _score(dets, keys, reduction, min_confidence)
    return ScoreReport(samples, scores, boxes, kept)


def import_predictions(
    project: Project, pred_dir: Path, fmt: str = "kitti", *, name: str | None = None
) -> tuple[PredictionSet, list[Detections], int, tuple[str, ...]]:
    """Read a prediction folder against the project's samples and store it as a prediction set.

    Args:
        project: The project.
        pred_dir: The folder; the prediction of image ``a/b.png`` is ``a/b.txt`` (KITTI, YOLO).
        fmt: One of ``kitti``, ``coco``, ``yolo``, ``lightly``.
        name: The set's name (default: the folder's name); a set of that name is replaced.

    Returns:
        The record, the detections of each sample (in ``samples()`` order), the number of
        images without a prediction file and the prediction files that match no image (both
        KITTI and YOLO only; 0 and empty otherwise).

    Raises:
        AlpickError: For an unknown format, a missing or empty folder, a folder none of whose
            files names an image of the project, a bad set name, or a malformed file.
    """
    pred_dir = Path(pred_dir)
    fmt = _check_folder(pred_dir, fmt)
    name = name if name is not None else pred_dir.resolve().name
    check_name("predictions", name)
    samples = project.samples()
    if not samples:
        raise AlpickError("the project has no images (run `alpick init`)")
    images = [(s.path, s.width, s.height) for s in samples]
    without = 0
    orphans: tuple[str, ...] = ()
    if fmt in _TXT_FORMATS:
        files = _txt_files(pred_dir) - {"classes"}
        stems = [os.path.splitext(s.path)[0] for s in samples]
        matched = files.intersection(stems)
        if not matched:
            example = f" (e.g. {sorted(files)[0]}.txt)" if files else ""
            raise AlpickError(
                f"{pred_dir}: no prediction file names an image of the project{example}; "
                f"the prediction of {samples[0].path} would be {stems[0]}.txt"
            )
        without = len(samples) - len(matched)
        orphans = tuple(sorted(f + ".txt" for f in files - matched))
    _, dets, classes = load_prediction_dir(pred_dir, fmt, images=images, classes=project.classes())
    record = project.save_predictions(
        name,
        {s.id: d for s, d in zip(samples, dets, strict=True)},
        classes,
        source=str(pred_dir.resolve()),
    )
    return record, dets, without, orphans


def score_prediction_dir(
    project: Project,
    pred_dir: Path,
    fmt: str = "kitti",
    *,
    name: str | None = None,
    names: Sequence[str] | None = None,
    reduction: str = "max",
    min_confidence: float = 0.0,
) -> ScoreReport:
    """Import a prediction folder as a prediction set, score it, store the scores.

    The score set gets the prediction set's name. Arguments as in :func:`score_folder` and
    :func:`import_predictions`.

    Raises:
        AlpickError: As :func:`import_predictions`, or for an unknown score or reduction
            (checked before anything is stored).
    """
    keys = check_score_names(names)
    check_reduction(reduction)
    record, dets, without, orphans = import_predictions(project, pred_dir, fmt, name=name)
    scores, boxes, kept = _score(dets, keys, reduction, min_confidence)
    score_set = project.save_scores(record.name, record.name, scores)
    return ScoreReport(
        samples=[s.path for s in project.samples()],
        scores=scores,
        boxes=boxes,
        kept=kept,
        prediction_set=record,
        score_set=score_set,
        without_file=without,
        orphans=orphans,
    )


def stored_detections(
    project: Project, prediction_set: str | None = None
) -> tuple[list[Detections], Classes, PredictionSet]:
    """The boxes of a stored prediction set, one entry per sample in ``samples()`` order.

    Args:
        project: The project.
        prediction_set: The set's name; ``None`` for the latest.

    Raises:
        AlpickError: If there is no such set.
    """
    by_id, classes, record = project.predictions(prediction_set)
    empty = Detections.empty(with_confidence=True)
    return [by_id.get(int(i), empty) for i in project.sample_ids()], classes, record


def score_prediction_set(
    project: Project,
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


def _quote(name: str) -> str:
    if any(c in name for c in ',"\r\n'):
        return '"' + name.replace('"', '""') + '"'
    return name


def format_scores_csv(samples: Sequence[str], scores: Mapping[str, NDArray[np.floating]]) -> str:
    """CSV text: header ``sample,<score>,...``, then one row per sample.

    Values are written as Python's shortest exact ``repr`` of the float64 (``0.9``,
    ``0.30000000000000004``), so reading them back gives the very same numbers. Built in
    one pass over the rows with one ``%`` format each (100,000 rows x 7 scores: about 0.2 s).

    Raises:
        AlpickError: If a score array's length differs from the number of samples.
    """
    keys = list(scores)
    columns = [np.asarray(scores[k], dtype=np.float64).tolist() for k in keys]
    for key, col in zip(keys, columns, strict=True):
        if len(col) != len(samples):
            raise AlpickError(f"score {key!r} has {len(col)} values for {len(samples)} samples")
    header = ",".join(["sample", *(_quote(k) for k in keys)])
    line = ",".join(["%s"] + ["%r"] * len(keys))
    names = [_quote(str(s)) for s in samples]
    body = "\n".join(line % row for row in zip(names, *columns, strict=True))
    return header + "\n" + body + ("\n" if body else "")


def write_scores_csv(
    path: Path, samples: Sequence[str], scores: Mapping[str, NDArray[np.floating]]
) -> None:
    """Write :func:`format_scores_csv` to ``path`` atomically (temp file, then rename)."""
    write_text_atomic(Path(path), format_scores_csv(samples, scores))
