"""``alpick predict --ray``: a trained detector run by a pool of Ray actors over the images.

The driver loads the run's checkpoint once and sends the model to the actors (the run folder
need not be on shared storage; the images must be). Each actor predicts on its batches with
:func:`alpick.detector.predict.predict_images`, the very batches a single process forms, so the
boxes are identical; the driver writes the KITTI files and the prediction set.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from alpick.detector.predict import LoadedDetector
    from alpick.formats.detections import Detections


class PredictWorker:
    """A Ray actor: the detector, and its boxes on one batch of image paths at a time."""

    def __init__(self, detector: LoadedDetector, settings: dict[str, Any], threads: int):
        import torch

        from alpick.device import resolve_device

        torch.set_num_threads(threads)
        detector.device = resolve_device("auto")
        detector.model.to(detector.device)
        self.detector, self.settings = detector, settings

    def __call__(self, batch: Batch) -> Batch:
        from alpick.detector.predict import predict_images

        paths = [str(p) for p in batch["path"]]
        n = len(paths)
        dets = None
        try:
            dets = predict_images(
                self.detector, [Path(p) for p in paths], progress=False, **self.settings
            )
            errors = [""] * n
        except AlpickError as exc:
            note = next((unreadable_note(p) for p in paths if unreadable_note(p)), "")
            errors = [str(exc) + note] * n
        return {
            "index": batch["index"],
            "packed": boxes_column(batch, dets),
            "error": np.array(errors, object),
        }


def ray_predictor(options: RayOptions) -> Any:
    """A drop-in for :func:`alpick.detector.predict.predict_images` that predicts on Ray."""
    require_ray()
    return partial(predict_on_ray, options=options)


def predict_on_ray(
    detector: LoadedDetector, paths: Sequence[Path], *, options: RayOptions, **settings: Any
) -> list[Detections]:
    """The boxes of each image, as :func:`~alpick.detector.predict.predict_images` with the
    same keyword settings (``confidence_threshold``, ``top_k``, ``batch_size``, ``progress``)
    gives them, computed on the cluster.

    Raises:
        AlpickError: No Ray, an unreachable cluster, bad settings, or an image a worker cannot
            read (named, with the worker when the file is not there for it).
    """
    progress = bool(settings.pop("progress", True))
    results: list[Any] = [None] * len(paths)
    errors: list[tuple[int, str]] = []

    def take(batch: Batch) -> None:
        error = first_error(batch)
        if error is not None:
            errors.append(error)
        for index, boxes, _ in returned_boxes(batch):
            for i, det in zip(index, boxes, strict=True):
                results[i] = det

    detector.model.to("cpu")
    run_pool(
        options,
        {"path": np.array([str(p) for p in paths], dtype=object)},
        PredictWorker,
        {"detector": detector, "settings": settings},
        batch_size=int(settings.get("batch_size", 8)),
        on_batch=take,
        what="predicting",
        progress=progress,
    )
    if errors:
        raise AlpickError(min(errors)[1])
    return results
