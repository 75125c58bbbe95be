"""Folders of labels and predictions in any supported format: the one entry point the store uses.

Images are given as ``(relative path, width, height)``. For the per-image formats the label file
of image ``a/b.png`` is ``a/b.txt`` (KITTI, YOLO) or ``a/b.xml`` (VOC) under the folder; a missing
file means no boxes. COCO keeps one JSON for the whole folder. Boxes are clipped to the image.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import numpy as np

from alpick.errors import AlpickError
from alpick.formats.coco import load_coco_index, load_coco_instances, load_coco_results
from alpick.formats.detections import Classes, Detections
from alpick.formats.jsonio import read_json
from alpick.formats.kitti import load_kitti_dir
from alpick.formats.lightly_predictions import (
    PREDICTIONS_DIR,
    TASK_TYPE,
    lightly_prediction_files,
    load_lightly_prediction,
    load_lightly_schema,
)
from alpick.formats.registry import LABEL_FORMATS, PREDICTION_FORMATS
from alpick.formats.voc import load_voc
from alpick.formats.yolo import load_yolo, load_yolo_names

YOLO_NAME_FILES = ("classes.txt", "data.yaml", "data.yml")

__all__ = [
    "LABEL_FORMATS",
    "PREDICTION_FORMATS",
    "YOLO_NAME_FILES",
    "coco_file",
    "find_orphan_label_files",
    "load_label_dir",
    "load_prediction_dir",
]

Image = tuple[str, int, int]


def load_label_dir(
    labels_dir: Path,
    fmt: str,
    images: Sequence[Image],
    classes: Classes | None = None,
) -> tuple[dict[str, Detections], Classes]:
    """Ground-truth boxes of every image from a labels folder.

    Args:
        labels_dir: The labels folder (for COCO, the folder of one ``.json``, or the file).
        fmt: One of :data:`LABEL_FORMATS` (case-insensitive).
        images: ``(relative path, width, height)`` of each image.
        classes: Class names to extend (default: a new list). YOLO class indices refer to it,
            unless the folder has a ``classes.txt`` or ``data.yaml``.

    Returns:
        Detections per image relative path (every image, clipped to it) and the classes.

    Raises:
        AlpickError: For an unknown format, a missing folder, two images sharing one label
            file, or a malformed label file.
    """
    fmt = _check_format(fmt, LABEL_FORMATS, "label")
    if fmt != "coco":
        labels_dir = _check_dir(labels_dir)
    classes = Classes() if classes is None else classes
    stems = _stems(images)
    sizes = [(w, h) for _, w, h in images]
    # Read unclipped, refuse boxes entirely outside their image, then clip.
    if fmt == "kitti":
        _, dets = load_kitti_dir(labels_dir, classes, names=stems, predictions=False)
    elif fmt == "yolo":
        remap = _yolo_classes(labels_dir, classes)
        dets = [
            _remap(load_yolo(labels_dir / f"{s}.txt", width=w, height=h), remap)
            for s, (w, h) in zip(stems, sizes, strict=True)
        ]
        if remap is None:  # no names file: an index is its class; unnamed ones get the number
            top = max((int(d.class_id.max()) for d in dets if len(d)), default=-1)
            classes.ids(str(i) for i in range(len(classes), top + 1))
    elif fmt == "voc":
        dets = []
        for stem in stems:
            path = labels_dir / f"{stem}.xml"
            dets.append(load_voc(path, classes)[0] if path.exists() else Detections.empty())
    else:
        coco_dets, coco_classes, _ = load_coco_instances(coco_file(labels_dir))
        by_name = _match_names(list(coco_dets), images)
        remap = np.asarray(classes.ids(coco_classes.names), np.int64)
        dets = [
            _remap(coco_dets[by_name[rel]], remap) if rel in by_name else Detections.empty()
            for rel, _, _ in images
        ]
    _check_inside(labels_dir, images, dets)
    dets = [d.clip(w, h) if len(d) else d for d, (w, h) in zip(dets, sizes, strict=True)]
    return {rel: det for (rel, _, _), det in zip(images, dets, strict=True)}, classes


def _check_inside(labels_dir: Path, images: Sequence[Image], dets: Sequence[Detections]) -> None:
    """Refuse a label box (of positive size) entirely outside its image: clipped, it would
    become a box of no area."""
    for (rel, w, h), det in zip(images, dets, strict=True):
        if not len(det) or w <= 0 or h <= 0:
            continue
        x0, y0, x1, y1 = det.xyxy.T
        sized = (x1 > x0) & (y1 > y0)
        outside = sized & ((x0 >= w) | (y0 >= h) | (x1 <= 0) | (y1 <= 0))
        bad = np.flatnonzero(outside)
        if len(bad):
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            box = ", ".join(f"{v:g}" for v in det.xyxy[bad[0]].tolist())
            raise AlpickError(
                f"{labels_dir}: box {int(bad[0]) + 1} ({box}) of the label of {rel} lies "
                f"entirely outside the {w}x{h} image{more}"
            )


def load_prediction_dir(
    pred_dir: Path,
    fmt: str,
    *,
    images: Sequence[Image] | None = None,
    classes: Classes | None = None,
) -> tuple[list[str], list[Detections], Classes]:
    """Predictions (boxes with confidence) from a folder.

    Args:
        pred_dir: The predictions folder. For ``lightly`` it may be the datasource folder,
            its ``.lightly/predictions`` or one task folder; for ``coco`` it holds one
            instances-style JSON with scores, or one results list next to the instances
            JSON that names its images and categories.
        fmt: One of :data:`PREDICTION_FORMATS` (case-insensitive).
        images: ``(relative path, width, height)`` of each image. With them there is one entry
            per image, in order, named by its relative path; the prediction of ``a/b.png`` is
            ``a/b.txt`` (``a/b.json`` for lightly), and an image without one has no boxes.
            Without them there is one entry per prediction file, named by its path without
            suffix.
        classes: Class names to extend (default: a new list).

    Returns:
        Names, detections (each with a confidence array) and classes.

    Raises:
        AlpickError: For an unknown format, a missing folder, YOLO without image sizes, a box
            without a confidence, or a malformed file.
    """
    fmt = _check_format(fmt, PREDICTION_FORMATS, "prediction")
    pred_dir = _check_dir(pred_dir)
    classes = Classes() if classes is None else classes
    if fmt == "kitti":
        if images is None:
            names, dets = load_kitti_dir(pred_dir, classes, predictions=True)
            return names, dets, classes
        _, dets = load_kitti_dir(
            pred_dir,
            classes,
            names=_stems(images),
            predictions=True,
            image_sizes=[(w, h) for _, w, h in images],
        )
        return [rel for rel, _, _ in images], dets, classes
    if fmt == "yolo":
        if images is None:
            raise AlpickError(
                "YOLO predictions are normalised: reading them needs the image sizes "
                "(run inside a project)"
            )
        remap = _yolo_classes(pred_dir, classes)
        dets = []
        for (_, w, h), stem in zip(images, _stems(images), strict=True):
            path = pred_dir / f"{stem}.txt"
            det = load_yolo(path, width=w, height=h).clip(w, h)
            dets.append(_as_prediction(_remap(det, remap), str(path)))
        return [rel for rel, _, _ in images], dets, classes
    if fmt == "lightly":
        return _lightly(pred_dir, images, classes)
    return _coco(pred_dir, images, classes)


def find_orphan_label_files(labels_dir: Path, fmt: str, images: Sequence[Image]) -> list[str]:
    """Label files (or, for COCO, image file names) that belong to no image, sorted.

    Hidden files and folders (names starting with ``.``) are not label files.

    Raises:
        AlpickError: For an unknown format or a missing folder.
    """
    fmt = _check_format(fmt, LABEL_FORMATS, "label")
    if fmt == "coco":
        index = load_coco_index(coco_file(labels_dir))
        matched = _match_names(list(index.sizes), images)
        return sorted(set(index.sizes) - set(matched.values()))
    labels_dir = _check_dir(labels_dir)
    suffix = ".xml" if fmt == "voc" else ".txt"
    wanted = {f"{stem}{suffix}" for stem in _stems(images)}
    found = [
        p.relative_to(labels_dir)
        for p in labels_dir.rglob("*")
        if p.suffix.lower() == suffix and not p.is_dir()
    ]
    found = [p for p in found if not any(part.startswith(".") for part in p.parts)]
    for p in found:
        if p.suffix != suffix:
            raise AlpickError(
                f"label file {labels_dir / p}: alpick reads {suffix} files (lower case); "
                f"rename it to {p.with_suffix(suffix).name}"
            )
        if not (labels_dir / p).is_file():
            raise AlpickError(f"label file {labels_dir / p} is not a regular file")
    visible = (p.as_posix() for p in found)
    ignored = set(YOLO_NAME_FILES) if fmt == "yolo" else set()
    return sorted(f for f in visible if f not in wanted and f not in ignored)


def _check_format(fmt: str, valid: tuple[str, ...], kind: str) -> str:
    low = fmt.lower()
    if low not in valid:
        raise AlpickError(f"unknown {kind} format {fmt!r}; valid: {', '.join(valid)}")
    return low


def _check_dir(path: Path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise AlpickError(f"{path}: no such folder")
    return path


def _stems(images: Sequence[Image]) -> list[str]:
    """Relative paths without suffix; two images may not share one."""
    stems = [posixpath.splitext(rel.replace("\\", "/"))[0] for rel, _, _ in images]
    if len(set(stems)) != len(stems):
        seen: dict[str, str] = {}
        for (rel, _, _), stem in zip(images, stems, strict=True):
            if stem in seen:
                raise AlpickError(f"{seen[stem]} and {rel} would share one label file ({stem}.*)")
            seen[stem] = rel
    return stems


def coco_file(labels: Path) -> Path:
    """The COCO instances file: ``labels`` itself when it is a ``.json``, else the one inside."""
    labels = Path(labels)
    if labels.is_file() and labels.suffix.lower() == ".json":
        return labels
    return _single_json(_check_dir(labels))


def _single_json(folder: Path) -> Path:
    found = sorted(p for p in folder.glob("*.json") if p.is_file())
    if len(found) != 1:
        raise AlpickError(f"{folder}: expected one COCO .json file, found {len(found)}")
    return found[0]


def _match_names(file_names: list[str], images: Sequence[Image]) -> dict[str, str]:
    """Image relative path -> COCO file name: the same path, else the same unique base name."""
    rels = [rel for rel, _, _ in images]
    known = set(rels)
    out = {name: name for name in file_names if name in known}
    base: dict[str, list[str]] = {}
    for rel in rels:
        base.setdefault(PurePosixPath(rel).name, []).append(rel)
    for name in file_names:
        candidates = base.get(PurePosixPath(name.replace("\\", "/")).name, [])
        if name not in out and len(candidates) == 1 and candidates[0] not in out:
            out[candidates[0]] = name
    return out


def _remap(det: Detections, remap: np.ndarray | None) -> Detections:
    if remap is None or len(det) == 0:
        return det
    if int(det.class_id.max()) >= len(remap):
        raise AlpickError(f"class index {int(det.class_id.max())} beyond the {len(remap)} names")
    return Detections(det.xyxy, remap[det.class_id], det.confidence, det.class_probs)


def _yolo_classes(folder: Path, classes: Classes) -> np.ndarray | None:
    """Class index remapping from a YOLO names file in ``folder`` into ``classes`` (or None)."""
    for name in YOLO_NAME_FILES:
        if (folder / name).is_file():
            return np.asarray(classes.ids(load_yolo_names(folder / name).names), np.int64)
    return None


def _as_prediction(det: Detections, source: str) -> Detections:
    if det.confidence is not None:
        return det
    if len(det):
        raise AlpickError(f"{source}: predictions need a confidence for each box")
    return Detections.empty(with_confidence=True)


def _lightly(
    pred_dir: Path, images: Sequence[Image] | None, classes: Classes
) -> tuple[list[str], list[Detections], Classes]:
    task_dir = _lightly_task_dir(pred_dir)
    task_classes, category_ids = load_lightly_schema(task_dir)
    remap = np.asarray(classes.ids(task_classes.names), np.int64)
    if images is None:
        files = lightly_prediction_files(task_dir)
        names = [p.relative_to(task_dir).with_suffix("").as_posix() for p in files]
    else:
        files = [task_dir / f"{stem}.json" for stem in _stems(images)]
        names = [rel for rel, _, _ in images]
    dets = []
    for k, path in enumerate(files):
        if not path.exists():
            dets.append(Detections.empty(with_confidence=True))
            continue
        file_name, det = load_lightly_prediction(path, category_ids)
        if images is not None and file_name.replace("\\", "/") != names[k]:
            raise AlpickError(
                f"{path}: 'file_name' is {file_name!r}, but this file holds the predictions "
                f"of {names[k]!r}"
            )
        if det.class_probs is not None and det.class_probs.shape[1] != len(task_classes):
            raise AlpickError(
                f"{path}: 'probabilities' have {det.class_probs.shape[1]} values, but the "
                f"schema has {len(task_classes)} categories"
            )
        det = _remap(det, remap)
        dets.append(det if images is None else det.clip(images[k][1], images[k][2]))
    return names, dets, classes


def _lightly_task_dir(pred_dir: Path) -> Path:
    if (pred_dir / "schema.json").is_file():
        return pred_dir
    root = pred_dir / PREDICTIONS_DIR if (pred_dir / PREDICTIONS_DIR).is_dir() else pred_dir
    tasks_file = root / "tasks.json"
    if not tasks_file.is_file():
        raise AlpickError(f"{pred_dir}: no lightly predictions (no schema.json or tasks.json)")
    tasks = read_json(tasks_file)
    if not isinstance(tasks, list):
        raise AlpickError(f"{tasks_file}: must be a JSON list of task names")
    detection = [str(t) for t in tasks if _is_detection_task(root / str(t))]
    if len(detection) != 1:
        raise AlpickError(
            f"{tasks_file}: expected one object-detection task, found {len(detection)} "
            f"({', '.join(detection) or 'none'}); pass the task folder itself"
        )
    return root / detection[0]


def _is_detection_task(task_dir: Path) -> bool:
    schema_file = task_dir / "schema.json"
    if not schema_file.is_file():
        return False
    schema = read_json(schema_file)
    return isinstance(schema, dict) and schema.get("task_type") == TASK_TYPE


def _coco(
    pred_dir: Path, images: Sequence[Image] | None, classes: Classes
) -> tuple[list[str], list[Detections], Classes]:
    files = sorted(p for p in pred_dir.glob("*.json") if p.is_file())
    parsed = [(p, read_json(p)) for p in files]
    instances = [p for p, d in parsed if isinstance(d, dict)]
    results = [p for p, d in parsed if isinstance(d, list)]
    if len(instances) != 1 or len(results) > 1:
        raise AlpickError(
            f"{pred_dir}: expected one COCO instances .json (with scores), or one results list "
            f"next to the instances file naming its images; found {len(instances)} instances "
            f"and {len(results)} results files"
        )
    if results:
        index = load_coco_index(instances[0])
        by_file = load_coco_results(
            results[0], index.image_ids, index.classes, category_ids=index.category_ids
        )
        coco_classes = index.classes
    else:
        by_file, coco_classes, _ = load_coco_instances(instances[0])
        source = str(instances[0])
        by_file = {k: _as_prediction(d, f"{source}: {k}") for k, d in by_file.items()}
    remap = np.asarray(classes.ids(coco_classes.names), np.int64)
    if images is None:
        names = list(by_file)
        return names, [_remap(by_file[n], remap) for n in names], classes
    matched = _match_names(list(by_file), images)
    dets = [
        _remap(by_file[matched[rel]], remap).clip(w, h)
        if rel in matched
        else Detections.empty(with_confidence=True)
        for rel, w, h in images
    ]
    return [rel for rel, _, _ in images], dets, classes
