"""COCO metrics of predictions against ground truth (pycocotools; imported when used)."""

from alpick.evaluate.coco import METRICS, EvalResult, coco_metrics

__all__ = ["METRICS", "EvalResult", "coco_metrics"]
