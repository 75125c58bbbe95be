from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.lightly_predictions import (
    load_lightly_prediction,
    load_lightly_task,
    save_lightly_prediction,
    save_lightly_task,
)

from .strategies import assert_same, classes, detections


@settings(max_examples=30)
@given(det=detections(confidence=True), probs=st.booleans())
def test_prediction_round_trip(
    tmp_path_factory: pytest.TempPathFactory, det: Detections, probs: bool
) -> None:
    if probs:
        rng = np.random.default_rng(len(det))
        det = Detections(det.xyxy, det.class_id, det.confidence, rng.random((len(det), 5)))
    path = tmp_path_factory.mktemp("lightly") / "img.json"
    save_lightly_prediction(path, "sub/img.png", det)
    name, back = load_lightly_prediction(path)
    assert name == "sub/img.png"
    assert_same(back, det, atol=1e-3)
    if probs and len(det):
        assert back.class_probs is not None and det.class_probs is not None
        np.testing.assert_array_equal(back.class_probs, det.class_probs)
    else:
        assert back.class_probs is None


@settings(max_examples=15)
@given(dets=st.lists(detections(confidence=True), min_size=1, max_size=4))
def test_task_round_trip(tmp_path_factory: pytest.TempPathFactory, dets: list[Detections]) -> None:
    root = tmp_path_factory.mktemp("lightly")
    names = classes()
    by_name = {f"{'sub/' if i % 2 else ''}img_{i}.png": d for i, d in enumerate(dets)}
    task_dir = save_lightly_task(root, "apples", by_name, names)
    assert task_dir == root / ".lightly" / "predictions" / "apples"
    got, got_classes = load_lightly_task(root, "apples")
    assert got_classes.names == names.names
    assert sorted(got) == sorted(by_name)
    for name, det in by_name.items():
        assert_same(got[name], det, atol=1e-3)


def test_layout(tmp_path: Path) -> None:
    det = Detections([[10, 20, 40, 60]], [1], [0.8])
    save_lightly_task(tmp_path, "t1", {"a/b.jpg": det}, Classes(["apple", "pear"]))
    save_lightly_task(tmp_path, "t2", {"a/b.jpg": det}, Classes(["apple", "pear"]))
    save_lightly_task(tmp_path, "t1", {"a/b.jpg": det}, Classes(["apple", "pear"]))
    pred = tmp_path / ".lightly" / "predictions"
    assert json.loads((pred / "tasks.json").read_text()) == ["t1", "t2"]
    assert json.loads((pred / "t1" / "schema.json").read_text()) == {
        "task_type": "object-detection",
        "categories": [{"id": 0, "name": "apple"}, {"id": 1, "name": "pear"}],
    }
    assert json.loads((pred / "t1" / "a" / "b.json").read_text()) == {
        "file_name": "a/b.jpg",
        "predictions": [{"category_id": 1, "bbox": [10.0, 20.0, 30.0, 40.0], "score": 0.8}],
    }


def test_schema_ids_map_to_classes(tmp_path: Path) -> None:
    task = tmp_path / ".lightly" / "predictions" / "t"
    task.mkdir(parents=True)
    (task / "schema.json").write_text(
        json.dumps(
            {
                "task_type": "object-detection",
                "categories": [{"id": 7, "name": "pear"}, {"id": 2, "name": "apple"}],
            }
        )
    )
    (task / "x.json").write_text(
        json.dumps(
            {
                "file_name": "x.png",
                "predictions": [{"category_id": 7, "bbox": [0, 0, 1, 2], "score": 0.5}],
            }
        )
    )
    got, names = load_lightly_task(tmp_path, "t")
    assert names.names == ["apple", "pear"]
    assert got["x.png"].class_id.tolist() == [1]
    assert got["x.png"].xyxy.tolist() == [[0, 0, 1, 2]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"predictions": []}, "needs 'file_name'"),
        ({"file_name": "a", "predictions": [{"category_id": 0, "bbox": [0, 0, 1, 1]}]}, "score"),
        (
            {
                "file_name": "a",
                "predictions": [{"category_id": -1, "bbox": [0, 0, 1, 1], "score": 1}],
            },
            ">= 0",
        ),
        (
            {"file_name": "a", "predictions": [{"category_id": 0, "bbox": [0, 0, 1], "score": 1}]},
            "bbox",
        ),
    ],
)
def test_malformed(tmp_path: Path, data: dict[str, object], message: str) -> None:
    (tmp_path / "p.json").write_text(json.dumps(data))
    with pytest.raises(AlpickError, match=message):
        load_lightly_prediction(tmp_path / "p.json")


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="no such prediction task"):
        load_lightly_task(tmp_path, "nope")
    with pytest.raises(AlpickError, match="needs a confidence"):
        save_lightly_task(tmp_path, "t", {"a.png": Detections([[0, 0, 1, 1]], [0])}, Classes())
    with pytest.raises(AlpickError, match="plain folder name"):
        save_lightly_task(tmp_path, "../t", {}, Classes())
    with pytest.raises(AlpickError, match="relative"):
        save_lightly_task(
            tmp_path, "t", {"../a.png": Detections.empty(with_confidence=True)}, Classes()
        )
    empty = Detections.empty(with_confidence=True)
    with pytest.raises(AlpickError, match="clash"):
        save_lightly_task(tmp_path, "t", {"a.png": empty, "a.jpg": empty}, Classes())
