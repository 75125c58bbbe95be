"""``alpick scores --ray``: per-image prediction files read by Ray tasks, scored by the driver.

Reading and parsing the files is the work that grows with the pool; the tasks do it in blocks
and send the boxes back. Class names new to the project are numbered as one process would
number them: each block reports its names in order of first appearance, and the driver adds
them block by block in pool order. The driver then checks, scores and stores as without Ray.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alpick.distributed.blocks import (
    Batch,
    boxes_column,
    first_error,
    returned_boxes,
    run_pool,
    unreadable_note,
)
from alpick.distributed.cluster import RayOptions, require_ray
from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections

#: The formats with one file per image (the others are one file for the whole pool).
PER_IMAGE_FORMATS = ("kitti", "yolo")
#: Files per batch a task reads (the bulk KITTI reader is vectorised over a batch).
FILES_PER_BATCH = 4096


class ReadWorker:
    """A Ray actor: reads the prediction files of one batch of images at a time."""

    def __init__(self, pred_dir: str, fmt: str, classes: list[str], threads: int) -> None:
        self.pred_dir, self.fmt, self.classes = Path(pred_dir), fmt, classes

    def __call__(self, batch: Batch) -> Batch:
        from alpick.formats.labels_dir import load_prediction_dir

        images = [
            (str(p), int(w), int(h))
            for p, w, h in zip(batch["path"], batch["width"], batch["height"], strict=True)
        ]
        n = len(images)
        classes = Classes(list(self.classes))
        dets = None
        try:
            _, dets, classes = load_prediction_dir(
                self.pred_dir, self.fmt, images=images, classes=classes
            )
            error = ""
        except AlpickError as exc:
            error = str(exc) + unreadable_note(str(self.pred_dir))
        return {
            "index": batch["index"],
            "packed": boxes_column(batch, dets, classes=list(classes.names)),
            "error": np.array([error] * n, dtype=object),
        }


def ray_prediction_loader(options: RayOptions, *, progress: bool = True) -> Any:
    """A drop-in for :func:`alpick.formats.labels_dir.load_prediction_dir` (with ``images``)
    that reads the files on Ray."""
    require_ray()

    def load(
        pred_dir: Path,
        fmt: str,
        *,
        images: Sequence[tuple[str, int, int]] | None = None,
        classes: Classes | None = None,
    ) -> tuple[list[str], list[Detections], Classes]:
        fmt = fmt.lower()
        if fmt not in PER_IMAGE_FORMATS or images is None:
            raise AlpickError(
                f"--ray reads per-image prediction files ({', '.join(PER_IMAGE_FORMATS)}) in a "
                f"project; score {fmt} predictions without --ray"
            )
        classes = Classes() if classes is None else classes
        blocks: dict[int, tuple[list[str], list[int], list[Detections]]] = {}
        errors: list[tuple[int, str]] = []

        def take(batch: Batch) -> None:
            error = first_error(batch)
            if error is not None:
                errors.append(error)
                return
            for index, boxes, packed in returned_boxes(batch):
                blocks[index[0]] = (packed["classes"], index, boxes)

        run_pool(
            options,
            {
                "path": np.array([p for p, _, _ in images], dtype=object),
                "width": np.array([w for _, w, _ in images], dtype=np.int64),
                "height": np.array([h for _, _, h in images], dtype=np.int64),
            },
            ReadWorker,
            {"pred_dir": str(Path(pred_dir).resolve()), "fmt": fmt, "classes": classes.names},
            batch_size=FILES_PER_BATCH,
            on_batch=take,
            what="reading predictions",
            progress=progress,
        )
        if errors:
            raise AlpickError(min(errors)[1])
        dets: list[Any] = [None] * len(images)
        for first in sorted(blocks):  # class ids: as one pass in pool order numbers them
            names, index, block = blocks[first]
            remap = np.asarray(classes.ids(names), dtype=np.int64)
            for i, det in zip(index, block, strict=True):
                dets[i] = _renumber(det, remap)
        return [p for p, _, _ in images], dets, classes

    return load


def _renumber(det: Detections, remap: Any) -> Detections:
    """``det`` with class ids mapped through ``remap`` (block-local id -> project id)."""
    if not len(det) or np.array_equal(remap, np.arange(len(remap))):
        return det
    return Detections.unchecked(det.xyxy, remap[det.class_id], det.confidence, det.class_probs)
