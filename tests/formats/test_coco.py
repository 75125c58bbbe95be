from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.coco import (
    load_coco_index,
    load_coco_instances,
    load_coco_results,
    save_coco_instances,
    save_coco_results,
)
from alpick.formats.detections import Classes, Detections

from .strategies import assert_same, classes, detections

ATOL = 1e-3  # float32 shortest decimals, x + w recomputed


@settings(max_examples=30)
@given(dets=st.lists(detections(), min_size=1, max_size=4), conf=st.booleans())
def test_instances_round_trip(
    tmp_path_factory: pytest.TempPathFactory, dets: list[Detections], conf: bool
) -> None:
    path = tmp_path_factory.mktemp("coco") / "instances.json"
    dets = [Detections(d.xyxy, d.class_id, d.confidence if conf else None) for d in dets]
    if conf:
        dets = [
            d if d.confidence is not None else Detections(d.xyxy, d.class_id, np.full(len(d), 0.5))
            for d in dets
        ]
    names = classes()
    by_name = {f"dir/img_{i}.png": d for i, d in enumerate(dets)}
    sizes = {name: (2000 + i, 1500) for i, name in enumerate(by_name)}
    save_coco_instances(path, by_name, names, sizes)
    got, got_classes, got_sizes = load_coco_instances(path)
    assert got_classes.names == names.names
    assert got_sizes == sizes
    assert list(got) == list(by_name)
    any_box = any(len(d) for d in dets)
    for name, det in by_name.items():
        want = det if (conf and any_box) else Detections(det.xyxy, det.class_id)
        assert_same(got[name], want, atol=ATOL)


@settings(max_examples=30)
@given(dets=st.lists(detections(confidence=True), min_size=1, max_size=4))
def test_results_round_trip(
    tmp_path_factory: pytest.TempPathFactory, dets: list[Detections]
) -> None:
    path = tmp_path_factory.mktemp("coco") / "results.json"
    by_name = {f"img_{i}.png": d for i, d in enumerate(dets)}
    ids = {name: 10 * (i + 1) for i, name in enumerate(by_name)}
    save_coco_results(path, by_name, ids)
    got = load_coco_results(path, {v: k for k, v in ids.items()}, classes())
    assert list(got) == list(by_name)
    for name, det in by_name.items():
        assert_same(got[name], det, atol=ATOL)
        assert got[name].confidence is not None


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_categories_ordered_by_id_and_crowd_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.json",
        {
            "images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 50}],
            "categories": [{"id": 9, "name": "pear"}, {"id": 3, "name": "apple"}],
            "annotations": [
                {"id": 1, "image_id": 7, "category_id": 9, "bbox": [1, 2, 3, 4]},
                {"id": 2, "image_id": 7, "category_id": 3, "bbox": [10, 20, 5, 5], "iscrowd": 0},
                {"id": 3, "image_id": 7, "category_id": 3, "bbox": [0, 0, 99, 49], "iscrowd": 1},
            ],
        },
    )
    dets, names, sizes = load_coco_instances(path)
    assert names.names == ["apple", "pear"]
    assert sizes == {"a.jpg": (100, 50)}
    assert dets["a.jpg"].xyxy.tolist() == [[1, 2, 4, 6], [10, 20, 15, 25]]
    assert dets["a.jpg"].class_id.tolist() == [1, 0]
    assert dets["a.jpg"].confidence is None
    index = load_coco_index(path)
    assert index.category_ids == {3: 0, 9: 1}
    assert index.image_ids == {7: "a.jpg"}


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        ({"image_id": 8, "category_id": 1, "bbox": [0, 0, 1, 1]}, "unknown image_id 8"),
        ({"image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1]}, "unknown category_id 5"),
        ({"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1]}, "negative width"),
        ({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1]}, r"\[x, y, w, h\]"),
        ({"image_id": 1, "category_id": 1, "bbox": [0, "a", 1, 1]}, "expected a number"),
        ({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e39, 1]}, "finite"),
    ],
)
def test_bad_annotation(tmp_path: Path, ann: dict[str, object], message: str) -> None:
    path = write(
        tmp_path / "i.json",
        {
            "images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}],
            "categories": [{"id": 1, "name": "apple"}],
            "annotations": [ann],
        },
    )
    with pytest.raises(AlpickError, match=message):
        load_coco_instances(path)


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"images": [\n}')
    with pytest.raises(AlpickError, match=r"bad\.json:2: not valid JSON"):
        load_coco_instances(tmp_path / "bad.json")
    with pytest.raises(AlpickError, match="no such file"):
        load_coco_instances(tmp_path / "missing.json")
    write(tmp_path / "list.json", [])
    with pytest.raises(AlpickError, match="not a COCO instances file"):
        load_coco_instances(tmp_path / "list.json")
    write(tmp_path / "dict.json", {"images": []})
    with pytest.raises(AlpickError, match="must be a JSON list"):
        load_coco_results(tmp_path / "dict.json", {}, Classes())


def test_mixed_scores_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.json",
        {
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "categories": [{"id": 1, "name": "apple"}],
            "annotations": [
                {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5},
                {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]},
            ],
        },
    )
    with pytest.raises(AlpickError, match="some annotations have a 'score'"):
        load_coco_instances(path)


def test_results_need_confidence(tmp_path: Path) -> None:
    det = Detections(np.array([[0, 0, 1, 1]]), np.array([0]))
    with pytest.raises(AlpickError, match="need a confidence"):
        save_coco_results(tmp_path / "r.json", {"a.png": det})
