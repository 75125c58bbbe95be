"""COCO box metrics through pycocotools: AP@[.5:.95], AP50, AP75, AP by size, AR@1/10/100.

These are the numbers the MinneApple benchmark publishes. The COCO objects are built in memory
(no JSON files) and pycocotools' printing is silenced. Where COCOeval has nothing to average
(e.g. no ground truth of a size range) it says -1; here that is NaN (printed as "-").
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.formats.detections import Detections, xyxy_to_xywh

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# (name, 1 = precision / 0 = recall, IoU threshold or None for .5:.95, area range, max dets)
_SUMMARY: tuple[tuple[str, int, float | None, str, int], ...] = (
    ("AP", 1, None, "all", 100),
    ("AP50", 1, 0.5, "all", 100),
    ("AP75", 1, 0.75, "all", 100),
    ("APs", 1, None, "small", 100),
    ("APm", 1, None, "medium", 100),
    ("APl", 1, None, "large", 100),
    ("AR1", 0, None, "all", 1),
    ("AR10", 0, None, "all", 10),
    ("AR100", 0, None, "all", 100),
    ("ARs", 0, None, "small", 100),
    ("ARm", 0, None, "medium", 100),
    ("ARl", 0, None, "large", 100),
)
METRICS = tuple(s[0] for s in _SUMMARY)
TABLE_METRICS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100")


@dataclass
class EvalResult:
    """COCO metrics of a prediction set against ground truth.

    Attributes:
        metrics: Over all classes: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``, ``AR1``,
            ``AR10``, ``AR100``, ``ARs``, ``ARm``, ``ARl``, each in [0, 1] or NaN when undefined.
        per_class: The same per class name (empty unless asked for).
        classes: Class names, index = class id.
        n_images: Images evaluated (with ground truth, predictions, or both).
        n_ground_truth: Ground-truth boxes.
        n_predictions: Predicted boxes.
    """

    metrics: dict[str, float]
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    n_images: int = 0
    n_ground_truth: int = 0
    n_predictions: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (NaN becomes ``None``)."""

        def clean(d: Mapping[str, float]) -> dict[str, float | None]:
            return {k: None if math.isnan(v) else round(float(v), 6) for k, v in d.items()}

        return {
            "metrics": clean(self.metrics),
            "per_class": {name: clean(m) for name, m in self.per_class.items()},
            "classes": list(self.classes),
            "n_images": self.n_images,
            "n_ground_truth": self.n_ground_truth,
            "n_predictions": self.n_predictions,
        }

    def to_table(self) -> Table:
        """A rich table: one row for all classes, then one per class when there are several."""
        from rich import box
        from rich.table import Table

        table = Table(
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            title=f"COCO box metrics — {self.n_images} images, {self.n_ground_truth} boxes, "
            f"{self.n_predictions} predictions",
        )
        table.add_column("class")
        for name in TABLE_METRICS:
            table.add_column(name, justify="right")
        rows = [("all", self.metrics)]
        if len(self.per_class) > 1:
            rows += list(self.per_class.items())
        for name, m in rows:
            table.add_row(name, *(_fmt(m.get(k, math.nan)) for k in TABLE_METRICS))
        return table

    def print(self, console: Console | None = None) -> None:
        """Print :meth:`to_table` (to stdout by default)."""
        from rich.console import Console

        (console or Console()).print(self.to_table())


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def _summarize(coco_eval: Any, k: int | None) -> dict[str, float]:
    """COCOeval.summarize's 12 numbers, over all classes or for class index ``k`` only."""
    params = coco_eval.params
    out: dict[str, float] = {}
    for name, is_ap, iou, area, max_dets in _SUMMARY:
        a = params.areaRngLbl.index(area)
        m = params.maxDets.index(max_dets)
        values: NDArray[np.float64] = (
            coco_eval.eval["precision"] if is_ap else coco_eval.eval["recall"]
        )
        if iou is not None:
            values = values[np.isclose(params.iouThrs, iou)]
        if is_ap:
            values = values[:, :, :, a, m] if k is None else values[:, :, k, a, m]
        else:
            values = values[:, :, a, m] if k is None else values[:, k, a, m]
        valid = values[values > -1]
        out[name] = float(np.mean(valid)) if valid.size else math.nan
    return out


def _annotations(
    det: Detections, image_id: int, start_id: int, n_classes: int, key: str
) -> list[dict[str, Any]]:
    if len(det) and int(det.class_id.max()) >= n_classes:
        raise AlpickError(f"{key}: class id {int(det.class_id.max())} has no name")
    xywh = xyxy_to_xywh(det.xyxy)
    anns = []
    for i in range(len(det)):
        x, y, w, h = (float(v) for v in xywh[i])
        ann: dict[str, Any] = {
            "id": start_id + i,
            "image_id": image_id,
            "category_id": int(det.class_id[i]) + 1,
            "bbox": [x, y, w, h],
            "area": w * h,
            "iscrowd": 0,
        }
        if det.confidence is not None:
            ann["score"] = float(det.confidence[i])
        anns.append(ann)
    return anns


def coco_metrics(
    ground_truth: Mapping[str, Detections],
    predictions: Mapping[str, Detections],
    classes: Sequence[str],
    *,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    per_class: bool = True,
) -> EvalResult:
    """COCO box metrics of ``predictions`` against ``ground_truth``.

    Args:
        ground_truth: Image key → its true boxes. A key with no boxes is an image without objects.
        predictions: Image key → predicted boxes with confidences. Images missing here have no
            predictions; keys missing from ``ground_truth`` are images without objects.
        classes: Class names, index = class id.
        sizes: Image key → (width, height); when given, predictions are clipped to the image.
        per_class: Also compute the metrics per class.

    Returns:
        An :class:`EvalResult`.

    Raises:
        AlpickError: A prediction without confidences, or a class id beyond ``classes``.

    Example:
        >>> gt = {"a": Detections(np.array([[0, 0, 10, 10]]), np.array([0]))}
        >>> pr = {"a": Detections(np.array([[0, 0, 10, 10]]), np.array([0]), np.array([0.9]))}
        >>> coco_metrics(gt, pr, ["apple"]).metrics["AP50"]
        1.0
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not classes:
        raise AlpickError("no classes to evaluate")
    keys = sorted(set(ground_truth) | set(predictions))
    images = []
    for i, key in enumerate(keys, start=1):
        w, h = sizes[key] if sizes and key in sizes else (0, 0)
        images.append({"id": i, "file_name": key, "width": int(w), "height": int(h)})
    categories = [{"id": i + 1, "name": str(n)} for i, n in enumerate(classes)]
    gt_anns: list[dict[str, Any]] = []
    dt_anns: list[dict[str, Any]] = []
    for i, key in enumerate(keys, start=1):
        if key in ground_truth:
            gt_anns += _annotations(ground_truth[key], i, len(gt_anns) + 1, len(classes), key)
        if key in predictions:
            pred = predictions[key]
            if pred.confidence is None:
                raise AlpickError(f"{key}: predictions need confidences")
            if sizes and key in sizes:
                pred = pred.clip(*sizes[key])
            dt_anns += _annotations(pred, i, len(dt_anns) + 1, len(classes), key)

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "categories": categories, "annotations": gt_anns}
        gt.createIndex()
        dt = COCO()
        dt.dataset = {"images": images, "categories": categories, "annotations": dt_anns}
        dt.createIndex()
        coco_eval = COCOeval(gt, dt, iouType="bbox")
        coco_eval.params.imgIds = [im["id"] for im in images]
        coco_eval.params.catIds = [c["id"] for c in categories]
        if images:
            coco_eval.evaluate()
            coco_eval.accumulate()

    if not images:
        nan = dict.fromkeys(METRICS, math.nan)
        return EvalResult(nan, {}, list(classes), 0, 0, 0)
    result = EvalResult(
        metrics=_summarize(coco_eval, None),
        classes=[str(c) for c in classes],
        n_images=len(images),
        n_ground_truth=len(gt_anns),
        n_predictions=len(dt_anns),
    )
    if per_class:
        result.per_class = {str(n): _summarize(coco_eval, k) for k, n in enumerate(classes)}
    return result
