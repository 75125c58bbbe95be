"""The built-in detector: torchvision FCOS/RetinaNet on an EfficientNet-Lite0 feature pyramid.

Main entry points (imported on first use, so ``alpick.detector.config``, ``.anchors`` and
``.defaults`` stay light)::

    from alpick.detector import TrainConfig, train_detector, load_detector, predict_images

See ``docs/detector.md`` for the architecture, the training recipe and the checkpoint format.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Checkpoint": "checkpoint",
    "load_checkpoint": "checkpoint",
    "ModelConfig": "config",
    "TrainConfig": "config",
    "parse_size": "config",
    "FeatureCache": "features",
    "build_detector": "model",
    "LoadedDetector": "predict",
    "load_detector": "predict",
    "predict_images": "predict",
    "TrainResult": "train",
    "resume_config": "train",
    "train_detector": "train",
    "fit_config": "defaults",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"alpick.detector.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'alpick.detector' has no attribute {name!r}")
