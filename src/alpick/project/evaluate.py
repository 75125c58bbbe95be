"""``alpick evaluate``: COCO metrics of a prediction folder against a label folder.

No project is needed: images are matched by file stem, and class names that differ only in case
are one class.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.evaluate.coco import EvalResult
    from alpick.formats.detections import Classes, Detections

Image = tuple[str, int, int]
_SUFFIX = {"kitti": ".txt", "yolo": ".txt", "voc": ".xml"}


def _prediction_format(predictions: Path) -> str:
    """The prediction format of a folder, from its files."""
    from alpick.formats.detect import detect_label_format

    if (predictions / ".lightly").is_dir() or (predictions / "tasks.json").is_file():
        return "lightly"
    found = detect_label_format(predictions, option="--format")
    if found is None:
        raise AlpickError(f"{predictions}: no prediction files (.txt, .json) found")
    if found == "voc":
        raise AlpickError(f"{predictions}: VOC files hold labels, not predictions")
    return found


def _image_list(images: Path) -> list[Image]:
    from alpick.store.scan import find_images, read_images

    if not images.is_dir():
        raise AlpickError(f"{images}: no such images folder")
    infos = read_images(images, find_images(images))
    if not infos:
        raise AlpickError(f"{images}: no images (.png, .jpg) found")
    return [(i.path, i.width, i.height) for i in infos]


def _images_for(labels: Path, label_fmt: str, pred_fmt: str, images: Path | None) -> list[Image]:
    """The images to evaluate: the folder ``images``, else ``labels/../images``, else the
    names and sizes the labels themselves carry (COCO, VOC).

    Raises:
        AlpickError: When none of these gives them (YOLO and KITTI labels carry no sizes; a
            COCO image or VOC file without a size), saying to pass ``--images DIR``.
    """
    if images is not None:
        return _image_list(Path(images))
    folder = labels.parent / "images"
    if folder.is_dir():
        return _image_list(folder)
    if label_fmt == "coco":
        return _coco_images(labels)
    if label_fmt == "voc":
        return _voc_images(labels)
    why = {
        "yolo": "YOLO labels are fractions of the image sizes",
        "kitti": f"kitti labels and {pred_fmt} predictions are matched through the images",
    }[label_fmt]
    raise AlpickError(f"{why}: give --images DIR (no images folder at {folder.resolve()})")


def _coco_images(labels: Path) -> list[Image]:
    """The images a COCO instances file lists, with their sizes."""
    from alpick.formats.coco import load_coco_index
    from alpick.formats.labels_dir import coco_file

    path = coco_file(labels)
    found = []
    for name, (width, height) in load_coco_index(path).sizes.items():
        if width <= 0 or height <= 0:
            raise AlpickError(f"{path}: image {name!r} has no width and height: give --images DIR")
        found.append((name.replace("\\", "/"), width, height))
    return found


def _voc_images(labels: Path) -> list[Image]:
    """The images the VOC files of ``labels`` describe: ``a/b.xml`` is image ``a/b`` with the
    suffix of its ``<filename>`` (``.jpg`` when it has none), of its ``<size>``."""
    import posixpath

    from alpick.formats.voc import read_voc_image

    found = []
    for path in sorted(labels.rglob("*.xml")):
        rel = path.relative_to(labels)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        filename, width, height = read_voc_image(path)
        if width <= 0 or height <= 0:
            raise AlpickError(f"{path}: no image <size>: give --images DIR")
        suffix = posixpath.splitext(filename)[1] or ".jpg"
        found.append((rel.with_suffix(suffix).as_posix(), width, height))
    return found


def _labelled(labels: Path, fmt: str, images: list[Image]) -> list[Image]:
    """The images that have a label file (per-image formats); all of them for COCO."""
    import posixpath

    suffix = _SUFFIX.get(fmt)
    if suffix is None:
        return images
    return [im for im in images if (labels / (posixpath.splitext(im[0])[0] + suffix)).is_file()]


def evaluate_folders(
    predictions: Path,
    labels: Path,
    fmt: str | None = None,
    *,
    label_format: str | None = None,
    images: Path | list[Image] | None = None,
    json_out: Path | None = None,
) -> EvalResult:
    """COCO metrics (AP, AP50, AP75, AP by size, AR) of ``predictions`` against ``labels``.

    Formats are detected from the files when not given: labels in KITTI, COCO, YOLO or VOC;
    predictions in KITTI with a confidence, COCO results, YOLO with a confidence or the
    platform's JSON. KITTI against KITTI needs no images (files are matched by stem: a label
    file without a prediction file is an image with no detections, and the reverse an image
    with no objects); other formats need the images (``images``: the list of ``(path, width,
    height)``, or a folder, by default ``labels/../images``; without that folder, COCO and VOC
    labels give the images' names and sizes themselves), and only images with a label file
    are evaluated. With ``json_out`` the metrics are also written there as JSON (atomically).

    Raises:
        AlpickError: For an unknown format, a missing folder, no label or no prediction files.
    """
    from alpick.evaluate.coco import coco_metrics
    from alpick.formats.detect import detect_label_format
    from alpick.formats.labels_dir import LABEL_FORMATS, PREDICTION_FORMATS

    predictions, labels = Path(predictions), Path(labels)
    for folder in (labels, predictions):
        if not folder.exists():
            raise AlpickError(f"{folder}: no such folder")
    pred_fmt = fmt.lower() if fmt else _prediction_format(predictions)
    if pred_fmt not in PREDICTION_FORMATS:
        raise AlpickError(
            f"unknown prediction format {fmt!r}; choose one of {', '.join(PREDICTION_FORMATS)}"
        )
    label_fmt = (label_format or "").lower() or detect_label_format(labels)
    if label_fmt is None:
        raise AlpickError(f"{labels}: no label files (.txt, .xml, .json) found")
    if label_fmt not in LABEL_FORMATS:
        raise AlpickError(
            f"unknown label format {label_format!r}; choose one of {', '.join(LABEL_FORMATS)}"
        )
    if pred_fmt == label_fmt == "kitti" and images is None:
        gt, preds, names = read_kitti_folders(labels, predictions)
    else:
        if not isinstance(images, list):
            images = _images_for(labels, label_fmt, pred_fmt, images)
        gt, preds, names = _read_with_images(predictions, pred_fmt, labels, label_fmt, images)
    if not gt:
        raise AlpickError(f"{labels}: no {label_fmt} label files for the images")
    if not any(len(d) for d in gt.values()) and not any(len(d) for d in preds.values()):
        raise AlpickError(f"no boxes in {labels} or in {predictions}: nothing to evaluate")
    result = coco_metrics(gt, preds, names or ["object"])
    if json_out is not None:
        from alpick.formats.jsonio import write_json

        payload = {"predictions": str(predictions), "labels": str(labels), **result.to_dict()}
        write_json(json_out, payload, indent=2)
    return result


def _read_with_images(
    predictions: Path, pred_fmt: str, labels: Path, label_fmt: str, images: list[Image]
) -> tuple[dict[str, Detections], dict[str, Detections], list[str]]:
    """Ground truth and predictions of the labelled images, by relative path."""
    from alpick.formats.detections import Classes
    from alpick.formats.labels_dir import load_label_dir, load_prediction_dir

    images = _labelled(labels, label_fmt, images)
    if not images:
        return {}, {}, []
    classes = Classes()
    gt_dets, classes = load_label_dir(labels, label_fmt, images, classes)
    _, pr_dets, classes = load_prediction_dir(predictions, pred_fmt, images=images, classes=classes)
    remap, names = _fold_case(classes)
    gt = {n: _relabel(d, remap, keep_confidence=False) for n, d in gt_dets.items()}
    preds = {
        rel: _relabel(d, remap, keep_confidence=True)
        for (rel, _, _), d in zip(images, pr_dets, strict=True)
    }
    return gt, preds, names


def read_kitti_folders(
    labels: Path, predictions: Path
) -> tuple[dict[str, Detections], dict[str, Detections], list[str]]:
    """Ground truth and predictions by file stem, with one class list shared by both."""
    from alpick.formats.detections import Classes
    from alpick.formats.kitti import load_kitti_dir

    for folder in (labels, predictions):
        if not folder.is_dir():
            raise AlpickError(f"{folder}: not a folder")
    classes = Classes()
    gt_names, gt_dets = load_kitti_dir(labels, classes, predictions=False)
    pr_names, pr_dets = load_kitti_dir(predictions, classes, predictions=True)
    remap, names = _fold_case(classes)
    gt = {
        n: _relabel(d, remap, keep_confidence=False) for n, d in zip(gt_names, gt_dets, strict=True)
    }
    preds = {
        n: _relabel(d, remap, keep_confidence=True) for n, d in zip(pr_names, pr_dets, strict=True)
    }
    return gt, preds, names


def _fold_case(classes: Classes) -> tuple[list[int], list[str]]:
    """Map class ids so names differing only in case share one id."""
    index: dict[str, int] = {}
    names: list[str] = []
    remap = []
    for name in classes.names:
        key = name.lower()
        if key not in index:
            index[key] = len(names)
            names.append(name)
        remap.append(index[key])
    return remap, names


def _relabel(det: Detections, remap: list[int], *, keep_confidence: bool) -> Detections:
    import numpy as np

    from alpick.formats.detections import Detections

    ids = np.asarray(remap, np.int64)[det.class_id] if len(det) else det.class_id
    return Detections(det.xyxy, ids, det.confidence if keep_confidence else None)
