from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from rich.console import Console

from alpick.errors import AlpickError
from alpick.evaluate.coco import METRICS, coco_metrics
from alpick.formats.detections import Detections, xyxy_to_xywh


def _det(boxes: list[list[float]], ids: list[int], conf: list[float] | None = None) -> Detections:
    return Detections(
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(ids, np.int64),
        None if conf is None else np.array(conf, np.float32),
    )


def _random_sets(seed: int) -> tuple[dict[str, Detections], dict[str, Detections]]:
    rng = np.random.default_rng(seed)
    gt, pred = {}, {}
    for i in range(15):
        n = int(rng.integers(0, 6))
        xy = rng.uniform(0, 300, (n, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(5, 150, (n, 2))], axis=1)
        ids = rng.integers(0, 2, n)
        gt[f"im{i}"] = _det(boxes.tolist(), ids.tolist())
        jitter = boxes + rng.normal(0, 5, boxes.shape)
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 1)
        fp = rng.uniform(0, 300, (2, 2))
        pred[f"im{i}"] = _det(
            np.concatenate([jitter, np.concatenate([fp, fp + 25], axis=1)]).tolist(),
            [*ids.tolist(), 0, 1],
            rng.uniform(0.01, 1, n + 2).tolist(),
        )
    return gt, pred


def _pycocotools_stats(gt: dict[str, Detections], pred: dict[str, Detections]) -> list[float]:
    """The reference: COCOeval.summarize() run the documented way."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    keys = sorted(gt)
    images = [{"id": i + 1} for i in range(len(keys))]
    anns, results = [], []
    for i, key in enumerate(keys):
        for box, c in zip(xyxy_to_xywh(gt[key].xyxy), gt[key].class_id, strict=True):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i + 1,
                    "category_id": int(c) + 1,
                    "bbox": box.tolist(),
                    "area": float(box[2] * box[3]),
                    "iscrowd": 0,
                }
            )
        p = pred[key]
        assert p.confidence is not None
        for box, c, s in zip(xyxy_to_xywh(p.xyxy), p.class_id, p.confidence, strict=True):
            results.append(
                {
                    "image_id": i + 1,
                    "category_id": int(c) + 1,
                    "bbox": box.tolist(),
                    "score": float(s),
                }
            )
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": anns, "categories": [{"id": 1}, {"id": 2}]}
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(results), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(v) for v in ev.stats]


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_cocoeval_summarize(seed: int) -> None:
    gt, pred = _random_sets(seed)
    ours = coco_metrics(gt, pred, ["a", "b"]).metrics
    ref = _pycocotools_stats(gt, pred)
    for name, value in zip(METRICS, ref, strict=True):
        if value == -1:
            assert math.isnan(ours[name]), name
        else:
            assert ours[name] == pytest.approx(value, abs=1e-12), name


def test_perfect_and_empty_predictions() -> None:
    gt = {"a": _det([[0, 0, 10, 10], [20, 20, 60, 70]], [0, 0]), "b": _det([], [])}
    perfect = {
        k: Detections(v.xyxy, v.class_id, np.ones(len(v), np.float32)) for k, v in gt.items()
    }
    m = coco_metrics(gt, perfect, ["apple"]).metrics
    assert m["AP"] == pytest.approx(1.0) and m["AP50"] == pytest.approx(1.0)
    assert m["APs"] == pytest.approx(1.0) and m["APm"] == pytest.approx(1.0)
    assert math.isnan(m["APl"])  # no large ground truth: COCOeval says -1, we say NaN
    none = coco_metrics(gt, {}, ["apple"])
    assert none.metrics["AP"] == 0.0 and none.n_predictions == 0 and none.n_images == 2


def test_images_without_ground_truth_count_false_positives() -> None:
    gt = {"a": _det([[0, 0, 10, 10]], [0])}
    pred = {"a": _det([[0, 0, 10, 10]], [0], [0.5]), "z": _det([[5, 5, 9, 9]], [0], [0.9])}
    result = coco_metrics(gt, pred, ["apple"])
    assert result.n_images == 2
    assert result.metrics["AP50"] < 1.0  # the confident box on image z is a false positive
    alone = coco_metrics(gt, {"a": pred["a"]}, ["apple"])
    assert alone.metrics["AP50"] == pytest.approx(1.0)


def test_nothing_at_all() -> None:
    result = coco_metrics({"a": Detections.empty()}, {}, ["apple"])
    assert all(math.isnan(v) for v in result.metrics.values())
    empty = coco_metrics({}, {}, ["apple"])
    assert empty.n_images == 0 and math.isnan(empty.metrics["AP50"])


def test_per_class_and_json() -> None:
    gt = {"a": _det([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 1])}
    pred = {"a": _det([[0, 0, 10, 10]], [0], [0.8])}
    result = coco_metrics(gt, pred, ["apple", "pear"])
    assert result.per_class["apple"]["AP50"] == pytest.approx(1.0)
    assert result.per_class["pear"]["AP50"] == 0.0
    assert result.metrics["AP50"] == pytest.approx(0.5)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["per_class"]["pear"]["APl"] is None
    assert coco_metrics(gt, pred, ["apple", "pear"], per_class=False).per_class == {}
    console = Console(file=io.StringIO(), width=100)
    result.print(console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "AP50" in text and "pear" in text and "-" in text


def test_sizes_clip_predictions() -> None:
    gt = {"a": _det([[90, 0, 100, 10]], [0])}
    pred = {"a": _det([[90, 0, 130, 10]], [0], [0.9])}
    assert coco_metrics(gt, pred, ["x"]).metrics["AP50"] == 0.0  # IoU 0.25 unclipped
    clipped = coco_metrics(gt, pred, ["x"], sizes={"a": (100, 50)})
    assert clipped.metrics["AP"] == pytest.approx(1.0)


def test_errors() -> None:
    gt = {"a": _det([[0, 0, 1, 1]], [0])}
    with pytest.raises(AlpickError, match="confidences"):
        coco_metrics(gt, {"a": _det([[0, 0, 1, 1]], [0])}, ["x"])
    with pytest.raises(AlpickError, match="class id 3"):
        coco_metrics({"a": _det([[0, 0, 1, 1]], [3])}, {}, ["x"])
    with pytest.raises(AlpickError, match="no classes"):
        coco_metrics(gt, {}, [])
