"""The loop's adapters for alpick's own detector and for COCO evaluation."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alpick.formats.detections import Detections
from alpick.simulate.runner import ImageSet

if TYPE_CHECKING:
    from alpick.detector.config import TrainConfig
    from alpick.detector.features import FeatureCache
    from alpick.detector.predict import LoadedDetector


class BuiltinDetector:
    """:class:`~alpick.simulate.runner.DetectorAdapter` for alpick's torchvision detector.

    Every ``train`` starts from the pretrained backbone (a fresh run, as in the tutorial), or
    with a warm-starting simulation from the previous round's model (its ``last.pt``, kept until
    the next round has trained; if it is gone, e.g. after a crash, the round starts fresh). With
    ``config.feature_cache`` (the default) the frozen backbone stages run once per image for the
    whole simulation: every round, strategy and seed of this process trains and predicts from
    the same cache.

    Args:
        config: Training settings; the seed is replaced by the loop's per-round seed.
        confidence_threshold: Lowest confidence kept by ``predict`` (TLT's 0.001 by default).
        top_k: Boxes kept per image by ``predict``.
        keep_checkpoints: Keep each round's ``.pt`` files (they are large; off by default).
        warm_start: Keep each round's ``last.pt`` until the next round has started from it
            (set it when the simulation warm-starts).
        progress: Show training and prediction progress bars.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        confidence_threshold: float = 0.001,
        top_k: int = 200,
        keep_checkpoints: bool = False,
        progress: bool = False,
        warm_start: bool = False,
    ) -> None:
        self.config = config
        self.confidence_threshold = confidence_threshold
        self.top_k = top_k
        self.keep_checkpoints = keep_checkpoints
        self.progress = progress
        self.warm_start = warm_start
        self.cache: FeatureCache | None = None
        if config.feature_cache:
            from alpick.detector.features import FeatureCache

            self.cache = FeatureCache()

    def train(
        self,
        images: Sequence[Path],
        labels: Sequence[Detections],
        classes: Sequence[str],
        out_dir: Path,
        *,
        seed: int,
        previous: Path | None = None,
    ) -> LoadedDetector:
        from alpick.detector.predict import load_detector
        from alpick.detector.train import train_detector

        if out_dir.exists():
            shutil.rmtree(out_dir)  # a round cut short earlier: start it again
        start = None
        if previous is not None and (previous / "last.pt").is_file():
            start = previous / "last.pt"
        result = train_detector(
            list(zip(images, labels, strict=True)),
            list(classes),
            out_dir,
            config=replace(self.config, seed=seed),
            progress=self.progress,
            cache=self.cache,
            init=start,
        )
        detector = load_detector(result.checkpoint, device=self.config.device)
        if not self.keep_checkpoints:
            # a warm start needs this round's last.pt in the next round; the previous one's
            # is no longer needed
            keep = {"last.pt"} if previous is not None or self.warm_start else set()
            for ckpt in out_dir.glob("*.pt"):
                if ckpt.name not in keep:
                    ckpt.unlink()
            if previous is not None:
                for ckpt in previous.glob("*.pt"):
                    ckpt.unlink()
        return detector

    def predict(self, model: LoadedDetector, images: Sequence[Path]) -> list[Detections]:
        from alpick.detector.predict import predict_images

        return predict_images(
            model,
            list(images),
            confidence_threshold=self.confidence_threshold,
            top_k=self.top_k,
            batch_size=max(8, self.config.batch_size),
            progress=self.progress,
            cache=self.cache,
        )


def coco_evaluator(
    test: ImageSet, predictions: Sequence[Detections], classes: Sequence[str]
) -> dict[str, float]:
    """AP, AP50 and AP75 on the test split, and AP50 per ``condition`` when the metadata has it."""
    from alpick.evaluate.coco import coco_metrics

    def metrics(index: Sequence[int]) -> dict[str, float]:
        gt = {str(i): test.labels[i] for i in index}
        pred = {str(i): predictions[i] for i in index}
        return coco_metrics(gt, pred, list(classes), per_class=False).metrics

    everything = metrics(range(len(test)))
    out = {k: float(everything[k]) for k in ("AP", "AP50", "AP75")}
    if "condition" in test.metadata:
        column = np.asarray(test.metadata["condition"]).astype(str)
        for condition in sorted(set(column.tolist())):
            index = np.flatnonzero(column == condition).tolist()
            out[f"AP50/{condition}"] = float(metrics(index)["AP50"])
    return out
