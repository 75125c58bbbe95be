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

#: Formats ``evaluate_folders`` reads.
EVAL_FORMATS = ("kitti",)


def evaluate_folders(
    predictions: Path, labels: Path, fmt: str = "kitti", *, json_out: Path | None = None
) -> EvalResult:
    """COCO metrics (AP, AP50, AP75, AP by size, AR) of ``predictions`` against ``labels``.

    A label file without a prediction file is an image with no detections; a prediction file
    without a label file is an image with no objects. With ``json_out`` the metrics are also
    written there as JSON (atomically), with the two folders.

    Raises:
        AlpickError: For an unknown format, a missing folder, or two empty folders.
    """
    from alpick.evaluate.coco import coco_metrics

    fmt = fmt.lower()
    if fmt not in EVAL_FORMATS:
        raise AlpickError(f"unknown format {fmt!r} for evaluate; choose one of {EVAL_FORMATS}")
    gt, preds, names = read_kitti_folders(labels, predictions)
    if not gt and not preds:
        raise AlpickError(f"no label or prediction files in {labels} or {predictions}")
    result = coco_metrics(gt, preds, names or ["object"])
    if json_out is not None:
        from alpick.formats.jsonio import write_json

        payload = {"predictions": str(predictions), "labels": str(labels), **result.to_dict()}
        write_json(json_out, payload, indent=2)
    return result


def read_kitti_folders(
    labels: Path, predictions: Path
) -> tuple[dict[str, Detections], dict[str, Detections], list[str]]:
    """Ground truth and predictions by file stem, with one class list shared by both."""
    from alpick.formats.detections import Classes
    from alpick.formats.kitti import load_kitti_dir

    for folder in (labels, predictions):
        if not folder.is_dir():
            raise AlpickError(f"{folder}: no such folder")
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
