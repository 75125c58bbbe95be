"""Label, prediction and embedding formats: one module per format, free functions.

Every loader returns :class:`Detections` (pixels, x0 y0 x1 y1); predictions carry a confidence.
``labels_dir`` picks the right reader for a whole folder by format name.

The names below are imported on first use (PEP 562), so importing a light submodule such as
``alpick.formats.registry`` does not load numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpick.lazy import lazy_exports

if TYPE_CHECKING:
    from alpick.formats.coco import (
        CocoIndex,
        load_coco_index,
        load_coco_instances,
        load_coco_results,
        save_coco_instances,
        save_coco_results,
    )
    from alpick.formats.detections import (
        Classes,
        Detections,
        xywh_to_xyxy,
        xyxy_to_xywh,
    )
    from alpick.formats.embeddings_csv import load_embeddings_csv, save_embeddings_csv
    from alpick.formats.kitti import (
        format_kitti,
        load_kitti,
        load_kitti_dir,
        parse_kitti,
        save_kitti,
    )
    from alpick.formats.labels_dir import (
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
    from alpick.formats.registry import LABEL_FORMATS, PREDICTION_FORMATS
    from alpick.formats.voc import (
        format_voc,
        load_voc,
        save_voc,
    )
    from alpick.formats.yolo import (
        format_yolo,
        load_yolo,
        load_yolo_names,
        parse_yolo,
        save_yolo,
        save_yolo_names,
    )

_MODULE_OF: dict[str, str] = {
    "LABEL_FORMATS": "registry",
    "PREDICTION_FORMATS": "registry",
    "CocoIndex": "coco",
    "load_coco_index": "coco",
    "load_coco_instances": "coco",
    "load_coco_results": "coco",
    "save_coco_instances": "coco",
    "save_coco_results": "coco",
    "Classes": "detections",
    "Detections": "detections",
    "xywh_to_xyxy": "detections",
    "xyxy_to_xywh": "detections",
    "load_embeddings_csv": "embeddings_csv",
    "save_embeddings_csv": "embeddings_csv",
    "format_kitti": "kitti",
    "load_kitti": "kitti",
    "load_kitti_dir": "kitti",
    "parse_kitti": "kitti",
    "save_kitti": "kitti",
    "find_orphan_label_files": "labels_dir",
    "load_label_dir": "labels_dir",
    "load_prediction_dir": "labels_dir",
    "load_lightly_prediction": "lightly_predictions",
    "load_lightly_task": "lightly_predictions",
    "save_lightly_prediction": "lightly_predictions",
    "save_lightly_task": "lightly_predictions",
    "format_voc": "voc",
    "load_voc": "voc",
    "save_voc": "voc",
    "format_yolo": "yolo",
    "load_yolo": "yolo",
    "load_yolo_names": "yolo",
    "parse_yolo": "yolo",
    "save_yolo": "yolo",
    "save_yolo_names": "yolo",
}

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


__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _MODULE_OF.items()})


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted([*globals(), *__all__])
