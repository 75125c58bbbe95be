"""What the Ray jobs send back: a batch's boxes as flat arrays, one payload per batch (no
cluster needed)."""

from __future__ import annotations

import numpy as np
import pytest

from alpick.distributed.blocks import (
    boxes_column,
    first_row,
    flatten_detections,
    payloads,
    returned_boxes,
    unflatten_detections,
)
from alpick.formats.detections import Detections


def _det(n: int, *, conf: bool = True, width: int | None = None, seed: int = 0) -> Detections:
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)).astype(np.float32) * 50
    return Detections(
        np.concatenate([xy, xy + 5], axis=1),
        rng.integers(0, 3, n),
        rng.random(n).astype(np.float32) if conf else None,
        None if width is None else rng.random((n, width)).astype(np.float32),
    )


def _same(a: Detections, b: Detections) -> None:
    for name in ("xyxy", "class_id", "confidence", "class_probs"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and x.shape == y.shape, name
            np.testing.assert_array_equal(x, y)


CASES = {
    "predictions": [_det(3, seed=1), Detections.empty(with_confidence=True), _det(1, seed=2)],
    "with class probabilities": [_det(2, width=4), _det(0, width=4), _det(5, width=4, seed=3)],
    "labels (no confidence)": [_det(2, conf=False), Detections.empty(), _det(0)],
    "mixed probabilities": [_det(2, width=4), _det(3, seed=5)],
    "two widths": [_det(2, width=4), _det(1, width=2)],
    "no boxes at all": [Detections.empty(), Detections.empty(with_confidence=True)],
    "empty batch": [],
}


@pytest.mark.parametrize("case", list(CASES))
def test_flat_detections_come_back_exactly(case: str) -> None:
    dets = CASES[case]
    back = unflatten_detections(flatten_detections(dets))
    assert len(back) == len(dets)
    for a, b in zip(dets, back, strict=True):
        _same(a, b)


def test_flat_detections_are_a_few_arrays() -> None:
    flat = flatten_detections([_det(k % 4, seed=k) for k in range(1000)])
    assert "list" not in flat
    assert all(isinstance(v, np.ndarray) for v in flat.values())
    assert len(flat["xyxy"]) == sum(k % 4 for k in range(1000))


def test_one_payload_per_batch_wherever_the_rows_are_cut() -> None:
    column = first_row({"index": np.arange(5, 10)}, 5)
    assert column[0] is not None and list(column[1:]) == [None] * 4
    halves = [{"packed": column[:2]}, {"packed": column[2:]}]  # Ray cut the batch in two
    found = [p for half in halves for p in payloads(half, "packed")]
    assert len(found) == 1 and found[0]["index"].tolist() == [5, 6, 7, 8, 9]
    assert first_row("x", 0).shape == (0,)


def test_a_workers_boxes_come_back_with_their_indices_and_extras() -> None:
    dets = CASES["predictions"]
    batch = {"index": np.array([7, 8, 9])}
    result = {"index": batch["index"], "packed": boxes_column(batch, dets, classes=["apple"])}
    (index, boxes, packed), *rest = list(returned_boxes(result))
    assert rest == [] and index == [7, 8, 9] and packed["classes"] == ["apple"]
    for a, b in zip(dets, boxes, strict=True):
        _same(a, b)
    failed = {"index": batch["index"], "packed": boxes_column(batch, None)}
    assert list(returned_boxes(failed)) == []
