"""The frozen-stage feature cache: the same numbers as the full forward pass, computed once."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from alpick.detector.config import TrainConfig
from alpick.detector.features import FeatureCache, flip_targets, prefix_fingerprint
from alpick.detector.model import build_detector, forward_cached, normalize_images
from alpick.detector.predict import load_detector, predict_images
from alpick.detector.train import train_detector
from alpick.formats.detections import Detections

Samples = list[tuple[Path, Detections]]
MODEL = TrainConfig(input_size=(64, 96), levels=(2, 3, 4, 5), aspect_ratios=(1.0,), fpn_width=32)


@pytest.mark.parametrize("freeze", [0, 1, 2, 3, 4, 5])
def test_prefix_then_trunk_equals_the_backbone(freeze: int) -> None:
    torch.manual_seed(0)
    backbone = build_detector(MODEL.model_config(), 1).backbone.eval()
    x = torch.randn(2, 3, 96, 64)
    split = backbone.split_at(freeze)
    with torch.no_grad():
        full, cut = backbone(x), backbone.trunk(backbone.prefix(x, split), split)
    assert list(full) == list(cut)
    for key in full:
        torch.testing.assert_close(full[key], cut[key], rtol=0, atol=0)


@pytest.mark.parametrize("arch", ["retinanet", "fcos"])
def test_forward_cached_equals_forward(arch: str) -> None:
    torch.manual_seed(0)
    model = build_detector(replace(MODEL, arch=arch).model_config(), 2)
    images = [torch.rand(3, 96, 64) for _ in range(2)]
    split = model.backbone.split_at(3)
    targets = [{"boxes": torch.tensor([[5.0, 6.0, 30.0, 40.0]]), "labels": torch.tensor([1])}] * 2
    model.train()
    cached = model.backbone.prefix(normalize_images(model, images), split)
    losses, again = model(images, targets), forward_cached(model, cached, split, (64, 96), targets)
    assert isinstance(again, dict) and set(losses) == set(again)
    for key in losses:
        torch.testing.assert_close(losses[key], again[key])
    model.eval()
    model.score_thresh = 0.0
    with torch.no_grad():
        want = model(images)
        got = forward_cached(model, model.backbone.prefix(normalize_images(model, images), split),
                             split, (64, 96))  # fmt: skip
    assert isinstance(got, list)
    for w, g in zip(want, got, strict=True):
        for key in ("boxes", "scores", "labels", "class_probs"):
            torch.testing.assert_close(w[key], g[key])


def test_flip_targets_mirrors_boxes() -> None:
    target = {"boxes": torch.tensor([[10.0, 1.0, 20.0, 5.0]]), "labels": torch.tensor([0])}
    flipped, kept = flip_targets([target, target], [True, False], 64)
    assert flipped["boxes"].tolist() == [[44.0, 1.0, 54.0, 5.0]]
    assert kept["boxes"].tolist() == [[10.0, 1.0, 20.0, 5.0]]


def test_cache_computes_each_image_once(discs: Samples, tmp_path: Path) -> None:
    model = build_detector(MODEL.model_config(), 1).eval()
    split = model.backbone.freeze(3)
    cache = FeatureCache(batch_size=3)
    filled: list[int] = []
    paths = [p for p, _ in discs[:4]]
    first = cache.get(model, split, (64, 96), paths, on_fill=filled.append)
    assert sum(filled) == 4 and len(cache) == 4
    again = cache.get(model, split, (64, 96), paths[::-1], on_fill=filled.append)
    assert sum(filled) == 4  # nothing recomputed
    assert again[0] is first[3]
    assert cache.nbytes == 4 * FeatureCache.bytes_per_image(model, split, (64, 96))
    # a changed file, or other frozen weights, are other entries
    changed = tmp_path / "changed.png"
    changed.write_bytes(paths[0].read_bytes())
    cache.get(model, split, (64, 96), [changed])
    os.utime(changed, ns=(1, 1))
    cache.get(model, split, (64, 96), [changed])
    assert len(cache) == 6
    with pytest.warns(UserWarning, match="random"):
        other = build_detector(MODEL.model_config(), 1, weights="random")
    assert prefix_fingerprint(other, split) != prefix_fingerprint(model, split)
    assert not FeatureCache(max_bytes=10).fits(model, split, (64, 96), 1)


def test_predictions_with_and_without_cache_agree(tiny_run: object, discs: Samples) -> None:
    detector = load_detector(tiny_run.checkpoint)  # type: ignore[attr-defined]
    paths = [p for p, _ in discs]
    plain = predict_images(detector, paths, progress=False, confidence_threshold=0.0)
    cache = FeatureCache()
    for _ in range(2):  # filling the cache, then from it
        cached = predict_images(detector, paths, progress=False, confidence_threshold=0.0,
                                cache=cache)  # fmt: skip
        for a, b in zip(plain, cached, strict=True):
            np.testing.assert_array_equal(a.xyxy, b.xyxy)
            np.testing.assert_array_equal(a.class_probs, b.class_probs)


def test_training_with_a_shared_cache_equals_a_fresh_one(
    discs: Samples, tiny: dict[str, object], tmp_path: Path
) -> None:
    config = TrainConfig(steps=4, **tiny)  # type: ignore[arg-type]
    shared = FeatureCache()
    train_detector(discs[:4], ["disc"], tmp_path / "a", config=config, progress=False, cache=shared)
    n = len(shared)
    b = train_detector(discs[:4], ["disc"], tmp_path / "b", config=config, progress=False,
                       cache=shared)  # fmt: skip
    assert len(shared) == n  # the second run computed nothing new
    c = train_detector(discs[:4], ["disc"], tmp_path / "c", config=config, progress=False)
    wb = torch.load(b.checkpoint, weights_only=True)["model"]
    wc = torch.load(c.checkpoint, weights_only=True)["model"]
    for key in wb:
        torch.testing.assert_close(wb[key], wc[key])


def test_without_cache_it_trains_from_images_with_all_augmentations(
    discs: Samples, tiny: dict[str, object], tmp_path: Path
) -> None:
    config = TrainConfig(steps=2, feature_cache=False, freeze=1, **tiny)  # type: ignore[arg-type]
    result = train_detector(discs[:4], ["disc"], tmp_path, config=config, progress=False)
    assert result.history[-1]["data_share"] > 0  # images decoded by the loader


def test_warm_start_begins_at_the_other_runs_weights(
    discs: Samples, tiny: dict[str, object], tmp_path: Path
) -> None:
    from alpick.detector.train import init_config
    from alpick.errors import AlpickError

    first = train_detector(discs[:4], ["disc"], tmp_path / "a", progress=False,
                           config=TrainConfig(steps=3, **tiny))  # type: ignore[arg-type]  # fmt: skip
    config = init_config(first.checkpoint, steps=1, lr=1e-12, batch_size=2, checkpoint_every=0)
    assert config.input_size == (64, 64) and config.fpn_width == 32  # the run's model settings
    warm = train_detector(discs[4:8], ["disc"], tmp_path / "b", config=config, progress=False,
                          init=first.checkpoint)  # fmt: skip
    a = torch.load(first.checkpoint, weights_only=True)["model"]
    b = torch.load(warm.checkpoint, weights_only=True)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)  # lr ~0: unchanged
    with pytest.raises(AlpickError, match="classes"):
        train_detector(discs[:2], ["other"], tmp_path / "c", config=config, progress=False,
                       init=first.checkpoint)  # fmt: skip


def test_cached_targets_are_scaled_to_the_input_size(tmp_path: Path) -> None:
    """Images of another size than the network input: boxes scale with them (and flip)."""
    from PIL import Image

    from alpick.detector import train as train_module

    path = tmp_path / "wide.png"
    Image.new("RGB", (256, 128)).save(path)
    det = Detections(np.array([[64.0, 32.0, 128.0, 96.0]], np.float32), np.zeros(1, np.int64))
    config = TrainConfig(input_size=(128, 64), levels=(3, 4), aspect_ratios=(1.0,), fpn_width=32,
                         head_convs=1, steps=1, hflip=1.0)  # fmt: skip
    model = build_detector(config.model_config(), 1)
    split = model.backbone.freeze(1)
    source = train_module._training_data(
        model, split, [(path, det)], config, torch.device("cpu"), None, False
    )
    (forward, _), _ = next(source(0))
    data = forward.func.__self__  # type: ignore[attr-defined]
    assert data.input_size == (128, 64)
    assert data.targets[0]["boxes"].tolist() == [[32.0, 16.0, 64.0, 48.0]]
