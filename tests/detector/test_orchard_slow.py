"""The detector on the synthetic orchard: the full default training pool, default settings.

Slow (tens of minutes on 2 CPU cores): run with ``pytest -m slow``. Skipped when the orchard
generator (``alpick.data.orchard``) is not installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpick.detector.config import TrainConfig
from alpick.detector.predict import load_detector, predict_images
from alpick.detector.train import train_detector
from alpick.evaluate.coco import coco_metrics
from alpick.formats.detections import Detections

# Measured on this default orchard (seed 0, 300 train / 100 test) with the defaults of
# TrainConfig() (fitted: 256x448, P2-P3, square anchors; stem + stage 1 frozen and cached,
# flips; lr 2e-3, batch 1, 1,800 steps = 6 epochs), 2 torch threads: AP50 0.598 (AP 0.287;
# 2026-11-30; docs/detector.md). The floor leaves a margin of 0.05 for seeds, thread counts and
# CPU types, and sits far above an untrained or broken detector (AP50 ~0.00-0.02).
AP50_FLOOR = 0.55
SETTINGS = {"seed": 0, "checkpoint_every": 0}


def _samples(split: Path, boxes: dict[str, np.ndarray]) -> list[tuple[Path, Detections]]:
    return [
        (split / "images" / name, Detections(b.astype(np.float32), np.zeros(len(b), np.int64)))
        for name, b in sorted(boxes.items())
    ]


@pytest.mark.slow
def test_orchard_ap50_floor(tmp_path: Path) -> None:
    orchard = pytest.importorskip("alpick.data.orchard")
    root = tmp_path / "orchard"
    orchard.generate_orchard(root, n_train=300, n_test=100, seed=0)
    train = _samples(root / "train", orchard.read_boxes(root / "train"))
    test = _samples(root / "test", orchard.read_boxes(root / "test"))
    result = train_detector(
        train, ["apple"], tmp_path / "run", config=TrainConfig(**SETTINGS), progress=False
    )
    preds = predict_images(load_detector(result.checkpoint), [p for p, _ in test], progress=False)
    gt = {p.name: d for p, d in test}
    metrics = coco_metrics(
        gt, {p.name: d for (p, _), d in zip(test, preds, strict=True)}, ["apple"]
    )
    print(metrics.to_dict()["metrics"])
    assert metrics.metrics["AP50"] >= AP50_FLOOR
