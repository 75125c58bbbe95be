"""Prediction sets of a project: import a prediction folder, read a stored set, export one.

A prediction folder is read against the project's samples (an image without a prediction file
has no boxes) and stored as a named prediction set; a stored set is written back out as TLT's
KITTI files or the platform successor's layout.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.labels_dir import PREDICTION_FORMATS, load_prediction_dir
from alpick.store.names import check_name
from alpick.store.project import ProjectStore
from alpick.store.records import PredictionSet, Sample

#: Per-file formats whose prediction of image ``a/b.png`` is the file ``a/b.txt``.
TXT_FORMATS = ("kitti", "yolo")
#: Formats :func:`export_predictions` writes.
EXPORT_FORMATS = ("kitti", "lightly")


@dataclass(frozen=True)
class PredictionImport:
    """What :func:`import_predictions` stored.

    Attributes:
        record: The stored prediction set.
        detections: The boxes of each sample, in ``samples()`` order.
        without_file: Images with no prediction file (KITTI and YOLO only; else 0).
        orphans: Prediction files that match no image (KITTI and YOLO only; else empty).
    """

    record: PredictionSet
    detections: list[Detections]
    without_file: int
    orphans: tuple[str, ...]


def check_prediction_folder(pred_dir: Path, fmt: str) -> str:
    """The lower-cased format, after checking that ``pred_dir`` is a non-empty folder.

    Raises:
        AlpickError: For an unknown format, or a missing or empty folder.
    """
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


def _txt_files(folder: Path) -> set[str]:
    """Relative paths without ``.txt`` of the text files under ``folder`` (recursive)."""
    found: set[str] = set()
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = Path(parent).relative_to(folder).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.update(prefix + f[:-4] for f in files if f.endswith(".txt") and f[0] != ".")
    return found


def _match_txt_files(pred_dir: Path, samples: list[Sample]) -> tuple[int, tuple[str, ...]]:
    """Images without a prediction file, and prediction files of no image.

    Raises:
        AlpickError: If no file names an image of the project.
    """
    files = _txt_files(pred_dir) - {"classes"}
    stems = [os.path.splitext(s.path)[0] for s in samples]
    matched = files.intersection(stems)
    if not matched:
        example = f" (e.g. {sorted(files)[0]}.txt)" if files else ""
        raise AlpickError(
            f"{pred_dir}: no prediction file names an image of the project{example}; "
            f"the prediction of {samples[0].path} would be {stems[0]}.txt"
        )
    return len(samples) - len(matched), tuple(sorted(f + ".txt" for f in files - matched))


@dataclass(frozen=True)
class PredictionRead:
    """A prediction folder read and checked against the project, not stored yet.

    Attributes:
        name: The set's name (checked).
        samples: The project's samples, in ``samples()`` order.
        detections: The boxes of each sample, in that order.
        classes: The class names the boxes' ids index.
        source: The folder, resolved.
        without_file: Images with no prediction file (KITTI and YOLO only; else 0).
        orphans: Prediction files that match no image (KITTI and YOLO only; else empty).
    """

    name: str
    samples: list[Sample]
    detections: list[Detections]
    classes: Classes
    source: str
    without_file: int
    orphans: tuple[str, ...]


def read_predictions(
    project: ProjectStore,
    pred_dir: Path,
    fmt: str = "kitti",
    *,
    name: str | None = None,
    load: Callable[..., tuple[list[str], list[Detections], Classes]] = load_prediction_dir,
) -> PredictionRead:
    """Read and check a prediction folder against the project's samples; store nothing.

    ``load`` reads the files (:func:`~alpick.formats.labels_dir.load_prediction_dir`, or a
    drop-in that reads them elsewhere, e.g. on a Ray cluster).

    Raises:
        AlpickError: As :func:`import_predictions`.
    """
    pred_dir = Path(pred_dir)
    fmt = check_prediction_folder(pred_dir, fmt)
    name = name if name is not None else pred_dir.resolve().name
    check_name("predictions", name)
    samples = project.samples()
    if not samples:
        raise AlpickError("the project has no images (run `alpick init`)")
    without, orphans = _match_txt_files(pred_dir, samples) if fmt in TXT_FORMATS else (0, ())
    images = [(s.path, s.width, s.height) for s in samples]
    _, dets, classes = load(pred_dir, fmt, images=images, classes=project.classes())
    for sample, det in zip(samples, dets, strict=True):
        conf = det.confidence
        if conf is not None and len(conf) and not ((conf >= 0) & (conf <= 1)).all():
            bad = next(float(c) for c in conf if not 0 <= c <= 1)
            raise AlpickError(
                f"{pred_dir}: the prediction of {sample.path} has confidence {bad!r}; "
                "confidences must be in [0, 1]"
            )
    return PredictionRead(name, samples, dets, classes, str(pred_dir.resolve()), without, orphans)


def store_predictions(project: ProjectStore, read: PredictionRead) -> PredictionImport:
    """Store a checked prediction folder (:func:`read_predictions`) as a prediction set."""
    record = project.save_predictions(
        read.name,
        {s.id: d for s, d in zip(read.samples, read.detections, strict=True)},
        read.classes,
        source=read.source,
    )
    return PredictionImport(record, read.detections, read.without_file, read.orphans)


def import_predictions(
    project: ProjectStore, pred_dir: Path, fmt: str = "kitti", *, name: str | None = None
) -> PredictionImport:
    """Read a prediction folder against the project's samples and store it as a prediction set.

    Everything is read and checked before anything is stored.

    Args:
        project: The project.
        pred_dir: The folder; the prediction of image ``a/b.png`` is ``a/b.txt`` (KITTI, YOLO).
        fmt: One of ``kitti``, ``coco``, ``yolo``, ``lightly``.
        name: The set's name (default: the folder's name); a set of that name is replaced.

    Raises:
        AlpickError: For an unknown format, a missing or empty folder, a folder none of whose
            files names an image of the project, a bad set name, or a malformed file.
    """
    return store_predictions(project, read_predictions(project, pred_dir, fmt, name=name))


def stored_detections(
    project: ProjectStore, prediction_set: str | None = None
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


def write_kitti_folder(
    out: Path, stems: list[str], detections: list[Detections], classes: Classes
) -> None:
    """One KITTI file (16 columns: TLT's inference format) per image, empty ones included.

    Each file is written atomically, so an interrupted run leaves no half-written file; other
    files in ``out`` are kept.
    """
    from alpick.fileio import write_text_atomic
    from alpick.formats.kitti import format_kitti

    texts = [format_kitti(det, classes) for det in detections]  # every check before writing
    for stem, text in zip(stems, texts, strict=True):
        write_text_atomic(out / f"{stem}.txt", text)


def export_predictions(
    project: ProjectStore,
    out_dir: Path,
    *,
    name: str | None = None,
    fmt: str = "lightly",
    task: str | None = None,
) -> tuple[PredictionSet, int, Path]:
    """Write a prediction set (``None``: the latest) for every image, empty ones too.

    Args:
        project: The project.
        out_dir: The folder to write into.
        name: The prediction set.
        fmt: ``lightly`` (``.lightly/predictions/<task>/``) or ``kitti`` (TLT's files).
        task: The lightly task name (default: the set's name).

    Returns:
        The set's record, the number of images written and where they went.

    Raises:
        AlpickError: For an unknown format or prediction set.
    """
    from alpick.formats.lightly_predictions import save_lightly_task

    if fmt not in EXPORT_FORMATS:
        raise AlpickError(
            f"unknown export format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})"
        )
    dets, classes, record = project.predictions(name)
    none = Detections.empty(with_confidence=True)
    by_path = {s.path: dets.get(s.id, none) for s in project.samples()}
    if fmt == "lightly":
        where = save_lightly_task(out_dir, task or record.name, by_path, classes)
    else:
        stems = [os.path.splitext(p)[0] for p in by_path]
        write_kitti_folder(out_dir, stems, list(by_path.values()), classes)
        where = out_dir
    return record, len(by_path), where
