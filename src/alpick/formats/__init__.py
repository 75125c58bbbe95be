"""Label, prediction and embedding formats: one module per format, free functions.

Every loader returns :class:`Detections` (pixels, x0 y0 x1 y1); predictions carry a confidence.
``labels_dir`` picks the right reader for a whole folder by format name.
"""

from alpick.formats.coco import (
    CocoIndex,
    load_coco_index,
    load_coco_instances,
    load_coco_results,
    save_coco_instances,
    save_coco_results,
)
from alpick.formats.detections import Classes, Detections, xywh_to_xyxy, xyxy_to_xywh
from alpick.formats.embeddings_csv import load_embeddings_csv, save_embeddings_csv
from alpick.formats.kitti import format_kitti, load_kitti, load_kitti_dir, parse_kitti, save_kitti
from alpick.formats.labels_dir import (
    LABEL_FORMATS,
    PREDICTION_FORMATS,
    find_orphan_label_files,
    load_label_dir,
    load_prediction_dir,
)
from alpick.formats.lightly_predictions import (
    load_lightly_prediction,
    load_lightly_task,
    save_lightly_prediction,
    save_lightly_task,
)
from alpick.formats.voc import format_voc, load_voc, save_voc
from alpick.formats.yolo import (
    format_yolo,
    load_yolo,
    load_yolo_names,
    parse_yolo,
    save_yolo,
    save_yolo_names,
)

__all__ = [
    "LABEL_FORMATS",
    "PREDICTION_FORMATS",
    "Classes",
    "CocoIndex",
    "Detections",
    "find_orphan_label_files",
    "format_kitti",
    "format_voc",
    "format_yolo",
    "load_coco_index",
    "load_coco_instances",
    "load_coco_results",
    "load_embeddings_csv",
    "load_kitti",
    "load_kitti_dir",
    "load_label_dir",
    "load_lightly_prediction",
    "load_lightly_task",
    "load_prediction_dir",
    "load_voc",
    "load_yolo",
    "load_yolo_names",
    "parse_kitti",
    "parse_yolo",
    "save_coco_instances",
    "save_coco_results",
    "save_embeddings_csv",
    "save_kitti",
    "save_lightly_prediction",
    "save_lightly_task",
    "save_voc",
    "save_yolo",
    "save_yolo_names",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
