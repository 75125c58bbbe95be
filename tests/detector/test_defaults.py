"""Settings fitted to the data: input size, anchors and levels, schedule; printed reasons."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.detector.config import TrainConfig
from alpick.detector.defaults import fit_anchors, fit_config, fit_input_size
from alpick.detector.predict import load_detector, predict_images
from alpick.detector.train import auto_steps, plan_schedule, train_detector
from alpick.formats.detections import Detections


def _boxes(wh: list[tuple[float, float]]) -> Detections:
    xyxy = np.array([[1, 1, 1 + w, 1 + h] for w, h in wh], np.float32).reshape(-1, 4)
    return Detections(xyxy, np.zeros(len(xyxy), np.int64))


def test_input_size_keeps_the_images_shape() -> None:
    orchard = np.array([[256, 448]] * 5, float)
    assert fit_input_size(orchard, [_boxes([(8, 8)])] * 5)[0] == (256, 448)
    tiles = np.array([[256, 256]] * 3, float)
    assert fit_input_size(tiles, [_boxes([(40, 40)])] * 3)[0] == (256, 256)
    odd = np.array([[250, 130]], float)  # multiples of 32, never under 64
    assert fit_input_size(odd, [_boxes([(20, 20)])])[0] == (256, 128)


def test_input_size_caps_the_long_side_unless_boxes_get_too_small() -> None:
    minneapple = np.array([[720, 1280]] * 4, float)
    size, why = fit_input_size(minneapple, [_boxes([(40, 40), (30, 30)])] * 4)
    assert size == (352, 640) and "capped at 640" in why
    size, why = fit_input_size(minneapple, [_boxes([(5, 5), (6, 6)])] * 4)
    assert size == (576, 1024) and "small boxes" in why  # 5 px boxes kept at >= 4 px


def test_anchor_levels_follow_the_box_sizes() -> None:
    rng = np.random.default_rng(0)
    small = rng.uniform(4, 19, size=(300, 1)).repeat(2, axis=1) * rng.uniform(0.9, 1.1, (300, 2))
    levels, ratios, why = fit_anchors(small)
    assert levels[0] == 2 and levels[-1] <= 3 and ratios == (1.0,)
    assert "k-means" in why
    large = rng.uniform(60, 200, size=(300, 1)).repeat(2, axis=1) * rng.uniform(0.9, 1.1, (300, 2))
    levels, ratios, _ = fit_anchors(large)
    assert levels[0] >= 4 and ratios == (1.0,)  # no expensive stride-4 head for big objects


def test_anchor_ratios_follow_the_box_shapes() -> None:
    rng = np.random.default_rng(1)
    w = rng.uniform(10, 30, 200)
    people = np.stack([w, w * rng.uniform(2.5, 3.5, 200)], axis=1)
    _, ratios, _ = fit_anchors(people)
    assert 3.0 in ratios and 1.0 not in ratios  # height / width
    mixed = np.concatenate([people, np.stack([w * 2, w], axis=1)])
    assert set(fit_anchors(mixed)[1]) >= {0.5, 3.0}


def test_too_few_boxes_fall_back_to_every_level() -> None:
    assert fit_anchors(np.array([[10.0, 10.0]]))[:2] == ((2, 3, 4, 5), (1.0,))


def test_schedule_is_in_steps_not_epochs() -> None:
    few, many = plan_schedule(TrainConfig(), 40), plan_schedule(TrainConfig(), 4000)
    assert few.epochs > 5 * many.epochs  # a small set gets many more passes
    assert few.steps == auto_steps(40, 1) == 1600  # at least 1,600 images seen
    assert many.steps == 6 * 4000  # six epochs
    # the same images whatever the batch: 4x fewer steps of batch 4
    assert auto_steps(40, 4) == 400 and auto_steps(4000, 4) == 6000
    assert auto_steps(100_000, 4) == 20_000  # at most 80,000 images
    four = TrainConfig(batch_size=4)
    assert plan_schedule(replace(four, epochs=3), 40) == type(few)(30, 10, 3, 3)
    assert plan_schedule(replace(four, steps=7), 40).epochs == 1
    assert plan_schedule(replace(four, steps=25, warmup_epochs=1.0), 40).warmup == 10


def test_fit_config_keeps_what_the_user_gave(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (300, 200)).save(path)
    samples = [(path, _boxes([(50, 50), (60, 40), (45, 55)]))]
    fitted, reasons = fit_config(TrainConfig(), samples)
    assert fitted.fitted and fitted.input_size == (288, 192)
    assert any(r.startswith("input size 288x192") for r in reasons)
    assert any("schedule" in r for r in reasons)
    given, reasons = fit_config(TrainConfig(input_size=(128, 128), levels=(3, 4)), samples)
    assert given.input_size == (128, 128) and given.levels == (3, 4)
    assert "given" in reasons[0]


def test_square_tiles_large_objects_many_classes(tmp_path: Path) -> None:
    """Unlike the orchard: 128 px square tiles, objects of 30-60 px, three classes."""
    rng = np.random.default_rng(0)
    colours = [(220, 30, 30), (30, 200, 30), (30, 30, 220)]
    samples = []
    for i in range(6):
        pixels = rng.integers(90, 140, size=(128, 128, 3), dtype=np.uint8)
        boxes, ids = [], []
        for k in range(2):
            size = int(rng.integers(30, 60))
            x, y = int(rng.integers(0, 128 - size)), int(rng.integers(0, 128 - size))
            cls = (i + k) % 3
            pixels[y : y + size, x : x + size] = colours[cls]
            boxes.append([x, y, x + size, y + size])
            ids.append(cls)
        Image.fromarray(pixels).save(tmp_path / f"t{i}.png")
        det = Detections(np.array(boxes, np.float32), np.array(ids, np.int64))
        samples.append((tmp_path / f"t{i}.png", det))
    config = TrainConfig(steps=3, batch_size=2, fpn_width=32, head_convs=1, checkpoint_every=0)
    result = train_detector(samples, ["r", "g", "b"], tmp_path / "run", config=config,
                            progress=False)  # fmt: skip
    detector = load_detector(result.checkpoint)
    assert detector.config.input_size == (128, 128)
    assert detector.config.levels[0] >= 3  # no stride-4 level for these objects
    preds = predict_images(detector, [p for p, _ in samples[:2]], progress=False)
    assert preds[0].class_probs is not None and preds[0].class_probs.shape[1] == 3


@pytest.mark.parametrize("name", ["batch_size", "lr", "freeze", "arch"])
def test_train_help_shows_the_config_defaults(name: str) -> None:
    from dataclasses import fields

    from typer.testing import CliRunner

    from alpick.cli.main import app

    text = " ".join(CliRunner().invoke(app, ["train", "--help"]).output.split())
    default = {f.name: f.default for f in fields(TrainConfig)}[name]
    assert f"(default {default})" in text
    assert "fcos (default)" not in text and "default 20" not in text
