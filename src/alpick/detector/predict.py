"""Run a trained detector on images: boxes in each image's own pixels, with class probabilities."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from alpick.detector.checkpoint import load_checkpoint, load_model_state
from alpick.detector.config import ModelConfig
from alpick.detector.data import load_rgb, resize_image
from alpick.detector.defaults import image_sizes
from alpick.detector.features import FeatureCache, prefix_fingerprint, stack_entries
from alpick.detector.model import build_detector, forward_cached
from alpick.device import resolve_device
from alpick.errors import AlpickError
from alpick.formats.detections import Detections
from alpick.progress import progress_bar


@dataclass
class LoadedDetector:
    """A detector ready to predict.

    Attributes:
        model: The torch model, in eval mode, on ``device``.
        classes: Class names, index = class id.
        config: Its architecture settings (input size included).
        device: Where it runs.
        checkpoint: The file it came from.
    """

    model: nn.Module
    classes: list[str]
    config: ModelConfig
    device: torch.device
    checkpoint: Path
    freeze: int = 0


def load_detector(run_or_ckpt: Path, *, device: str = "auto") -> LoadedDetector:
    """Load a detector from a checkpoint file or a run folder (its ``last.pt``).

    Raises:
        AlpickError: Missing or corrupt checkpoint, or weights that do not fit.
    """
    ckpt = load_checkpoint(run_or_ckpt)
    model = build_detector(ckpt.model_config, len(ckpt.classes), pretrained=False)
    load_model_state(model, ckpt)
    dev = resolve_device(device)
    model.to(dev).eval()
    freeze = int(ckpt.train_config.get("freeze", 0))
    return LoadedDetector(model, ckpt.classes, ckpt.model_config, dev, ckpt.path, freeze)


class _Images(Dataset[tuple[Tensor, tuple[int, int]]]):
    def __init__(self, paths: Sequence[Path], size: tuple[int, int]) -> None:
        self.paths, self.size = list(paths), size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[Tensor, tuple[int, int]]:
        img = load_rgb(Path(self.paths[index]))
        return resize_image(img, self.size).float().div_(255), img.size


def _collate(
    batch: list[tuple[Tensor, tuple[int, int]]],
) -> tuple[list[Tensor], list[tuple[int, int]]]:
    return [b[0] for b in batch], [b[1] for b in batch]


def _to_detections(
    out: dict[str, Tensor], input_size: tuple[int, int], image_size: tuple[int, int]
) -> Detections:
    sx, sy = image_size[0] / input_size[0], image_size[1] / input_size[1]
    scale = torch.tensor([sx, sy, sx, sy], dtype=torch.float32)
    boxes = out["boxes"].float().cpu() * scale
    det = Detections(
        xyxy=boxes.numpy(),
        class_id=out["labels"].cpu().numpy().astype(np.int64),
        confidence=out["scores"].float().cpu().numpy(),
        class_probs=out["class_probs"].float().cpu().numpy(),
    )
    return det.clip(*image_size)


@torch.inference_mode()
def predict_images(
    detector: LoadedDetector,
    paths: Sequence[Path],
    *,
    confidence_threshold: float = 0.001,
    top_k: int = 200,
    batch_size: int = 8,
    num_workers: int = 0,
    progress: bool = True,
    cache: FeatureCache | None = None,
) -> list[Detections]:
    """Detect objects in each image.

    Args:
        detector: From :func:`load_detector`.
        paths: Images of any size and mode (converted to RGB, resized to the input size).
        confidence_threshold: Drop boxes scoring at most this (TLT's default 0.001).
        top_k: Keep at most this many boxes per image after NMS.
        batch_size: Images per forward pass.
        num_workers: DataLoader workers decoding images.
        progress: Show a progress bar (on standard error).
        cache: Start from the frozen stages' outputs kept there (computed and kept for images
            not in it yet); the detections are the same as without it.

    Returns:
        One :class:`Detections` per path, in order: ``xyxy`` in the image's original pixels,
        ``confidence`` ``(N,)`` and ``class_probs`` ``(N, C)`` (captured before NMS), sorted by
        confidence, highest first.

    Raises:
        AlpickError: An unreadable image (named), or bad arguments.
    """
    if not 0 <= confidence_threshold < 1:
        raise AlpickError(f"confidence threshold must be in [0, 1), got {confidence_threshold}")
    if top_k < 1 or batch_size < 1:
        raise AlpickError("top_k and batch_size must be at least 1")
    model: Any = detector.model
    model.eval()
    model.score_thresh = confidence_threshold
    model.detections_per_img = top_k
    model.topk_candidates = max(1000, top_k)
    size = detector.config.input_size
    results: list[Detections] = []
    with progress_bar(len(paths), "predict", enabled=progress) as advance:
        for outputs, sizes in _forward_batches(detector, paths, batch_size, num_workers, cache):
            results.extend(_to_detections(o, size, s) for o, s in zip(outputs, sizes, strict=True))
            advance(len(sizes))
    return results


def _forward_batches(
    detector: LoadedDetector,
    paths: Sequence[Path],
    batch_size: int,
    num_workers: int,
    cache: FeatureCache | None,
) -> Iterator[tuple[list[dict[str, Tensor]], list[tuple[int, int]]]]:
    """The model's outputs per batch of images, with the images' original sizes."""
    model: Any = detector.model
    size = detector.config.input_size
    if cache is None:
        loader = DataLoader(
            _Images(paths, size),
            batch_size=batch_size,
            num_workers=num_workers,
            collate_fn=_collate,
        )
        for images, sizes in loader:
            yield model([im.to(detector.device) for im in images]), sizes
        return
    split = model.backbone.split_at(detector.freeze)
    fingerprint = prefix_fingerprint(model, split)
    for start in range(0, len(paths), batch_size):
        chunk = list(paths[start : start + batch_size])
        entries = cache.get(model, split, size, chunk, fingerprint=fingerprint)
        batch = stack_entries(
            entries, detector.device, channels_last=getattr(model, "channels_last", False)
        )
        outputs = forward_cached(model, batch, split, size)
        sizes = [(int(w), int(h)) for w, h in image_sizes(chunk)]
        yield outputs, sizes  # type: ignore[misc]
