"""The built-in detector: torchvision FCOS/RetinaNet on an EfficientNet-Lite0 feature pyramid.

Importing this package imports torch. Main entry points::

    from alpick.detector import TrainConfig, train_detector, load_detector, predict_images

See ``docs/detector.md`` for the architecture, the training recipe and the checkpoint format.
"""

from alpick.detector.checkpoint import Checkpoint, load_checkpoint
from alpick.detector.config import ModelConfig, TrainConfig, parse_size
from alpick.detector.model import build_detector
from alpick.detector.predict import LoadedDetector, load_detector, predict_images
from alpick.detector.train import TrainResult, resume_config, train_detector

__all__ = [
    "Checkpoint",
    "LoadedDetector",
    "ModelConfig",
    "TrainConfig",
    "TrainResult",
    "build_detector",
    "load_checkpoint",
    "load_detector",
    "parse_size",
    "predict_images",
    "resume_config",
    "train_detector",
]
