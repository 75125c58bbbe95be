"""A stand-in detector for tests and examples of the loop's Python API.

It "learns" nothing: it predicts the true boxes of an image, jittered, with a confidence that
grows with the number of training images. It shows the shape of a :class:`DetectorAdapter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from alpick.formats.detections import Detections


class OracleNoiseDetector:
    """Predicts the oracle's boxes plus noise; more training images -> less noise.

    Args:
        truth: The true boxes of every image it may be asked about, by path.
        seed: Seed of the noise.
    """

    def __init__(self, truth: Mapping[Path, Detections], *, seed: int = 0) -> None:
        self.truth = dict(truth)
        self.seed = seed

    def train(
        self,
        images: Sequence[Path],
        labels: Sequence[Detections],
        classes: Sequence[str],
        out_dir: Path,
        *,
        seed: int,
    ) -> int:
        return len(images)

    def predict(self, model: int, images: Sequence[Path]) -> list[Detections]:
        skill = model / (model + 20.0)
        out = []
        for k, path in enumerate(images):
            rng = np.random.default_rng([self.seed, model, k])
            gt = self.truth[path]
            n = len(gt)
            jitter = rng.normal(0.0, 8.0 * (1.0 - skill), size=(n, 4)).astype(np.float32)
            xyxy = gt.xyxy + jitter
            xyxy[:, 2:] = np.maximum(xyxy[:, 2:], xyxy[:, :2] + 1)
            conf = np.clip(skill + rng.normal(0, 0.2, n), 0.01, 1.0).astype(np.float32)
            out.append(Detections(xyxy, gt.class_id, conf))
        return out
