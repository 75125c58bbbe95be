from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.detector.predict import load_detector, predict_images
from alpick.errors import AlpickError


def test_predictions_in_original_pixels(tiny_run: object, tmp_path: Path) -> None:
    detector = load_detector(tiny_run.out_dir)  # type: ignore[attr-defined]
    assert detector.classes == ["disc"]
    assert detector.config.input_size == (64, 64)
    rng = np.random.default_rng(0)
    paths = []
    for i, (w, h) in enumerate([(320, 200), (48, 90), (64, 64)]):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(paths[-1])
    preds = predict_images(detector, paths, top_k=30, batch_size=2, progress=False)
    assert len(preds) == 3
    for pred, (w, h) in zip(preds, [(320, 200), (48, 90), (64, 64)], strict=True):
        assert 0 < len(pred) <= 30
        assert pred.confidence is not None and pred.class_probs is not None
        assert pred.class_probs.shape == (len(pred), 1)
        np.testing.assert_allclose(pred.class_probs[:, 0], pred.confidence, rtol=1e-6)
        assert (np.diff(pred.confidence) <= 0).all()  # highest first
        assert (pred.xyxy[:, [0, 2]] <= w).all() and (pred.xyxy[:, [1, 3]] <= h).all()
        assert (pred.xyxy >= 0).all()
    wide = preds[0].xyxy
    assert wide[:, 2].max() > 64  # scaled back from the 64x64 input to 320 wide


def test_threshold_and_top_k(tiny_run: object, discs: list) -> None:
    detector = load_detector(tiny_run.out_dir / "last.pt")  # type: ignore[attr-defined]
    paths = [p for p, _ in discs[:2]]
    few = predict_images(detector, paths, top_k=3, progress=False)
    assert all(len(p) <= 3 for p in few)
    all_boxes = predict_images(detector, paths, confidence_threshold=0.0, progress=False)
    cut = float(np.median(all_boxes[0].confidence))
    high = predict_images(detector, paths, confidence_threshold=cut, progress=False)
    assert all((p.confidence > cut).all() for p in high)
    assert len(high[0]) < len(all_boxes[0])


def test_errors(tiny_run: object, tmp_path: Path) -> None:
    detector = load_detector(tiny_run.out_dir)  # type: ignore[attr-defined]
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(AlpickError, match=r"bad\.png"):
        predict_images(detector, [bad], progress=False)
    with pytest.raises(AlpickError, match="confidence threshold"):
        predict_images(detector, [bad], confidence_threshold=1.5, progress=False)
    assert predict_images(detector, [], progress=False) == []
