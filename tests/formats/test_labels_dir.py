from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.coco import save_coco_instances, save_coco_results
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import save_kitti
from alpick.formats.labels_dir import (
    LABEL_FORMATS,
    PREDICTION_FORMATS,
    find_orphan_label_files,
    load_label_dir,
    load_prediction_dir,
)
from alpick.formats.lightly_predictions import save_lightly_task
from alpick.formats.voc import save_voc
from alpick.formats.yolo import save_yolo, save_yolo_names

from .strategies import assert_same, classes, detections

IMAGES = [("a.png", 2000, 1500), ("sub/b.jpg", 2000, 1500), ("c.png", 2000, 1500)]
ATOL = {"kitti": 0.0051, "coco": 1e-3, "yolo": 5e-3, "voc": 1e-3, "lightly": 1e-3}


def write_labels(folder: Path, fmt: str, dets: dict[str, Detections], names: Classes) -> None:
    """Write labels or predictions for IMAGES in ``fmt`` (the test's own dispatch)."""
    sizes = {rel: (w, h) for rel, w, h in IMAGES}
    if fmt == "coco":
        folder.mkdir(parents=True, exist_ok=True)
        save_coco_instances(folder / "instances.json", dets, names, sizes)
        return
    if fmt == "lightly":
        save_lightly_task(folder, "task", dets, names)
        return
    for rel, det in dets.items():
        stem = str(Path(rel).with_suffix(""))
        w, h = sizes[rel]
        if fmt == "kitti":
            save_kitti(folder / f"{stem}.txt", det, names)
        elif fmt == "yolo":
            save_yolo(folder / f"{stem}.txt", det, width=w, height=h)
        else:
            save_voc(folder / f"{stem}.xml", det, names, filename=rel, width=w, height=h)
    if fmt == "yolo":
        save_yolo_names(folder / "classes.txt", names)


@settings(max_examples=10, deadline=None)
@given(
    fmt=st.sampled_from(LABEL_FORMATS),
    dets=st.lists(detections(confidence=False), min_size=3, max_size=3),
    skip=st.integers(0, 3),
)
def test_label_dir_round_trip(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, dets: list[Detections], skip: int
) -> None:
    folder = tmp_path_factory.mktemp(fmt)
    names = classes()
    by_rel = {rel: d for (rel, _, _), d in zip(IMAGES, dets, strict=True)}
    written = {k: v for i, (k, v) in enumerate(by_rel.items()) if i != skip or fmt == "coco"}
    write_labels(folder, fmt, written, names)
    fresh = Classes()
    got, got_classes = load_label_dir(folder, fmt.upper(), IMAGES, fresh)
    assert got_classes is fresh
    assert list(got) == [rel for rel, _, _ in IMAGES]
    for rel, det in by_rel.items():
        want = det if rel in written else Detections.empty()
        assert_same(got[rel], want, atol=ATOL[fmt], got_classes=fresh, want_classes=names)
    assert find_orphan_label_files(folder, fmt, IMAGES) == []


@settings(max_examples=10, deadline=None)
@given(
    fmt=st.sampled_from(PREDICTION_FORMATS),
    dets=st.lists(detections(confidence=True), min_size=3, max_size=3),
)
def test_prediction_dir_round_trip(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, dets: list[Detections]
) -> None:
    folder = tmp_path_factory.mktemp(fmt)
    names = classes()
    by_rel = {rel: d for (rel, _, _), d in zip(IMAGES, dets, strict=True)}
    if fmt == "coco":
        sizes = {rel: (w, h) for rel, w, h in IMAGES}
        save_coco_instances(
            folder / "gt.json", {k: Detections.empty() for k in by_rel}, names, sizes
        )
        save_coco_results(folder / "results.json", by_rel)
    else:
        write_labels(folder, fmt, by_rel, names)
    fresh = Classes()
    got_names, got, _ = load_prediction_dir(folder, fmt, images=IMAGES, classes=fresh)
    assert got_names == [rel for rel, _, _ in IMAGES]
    for det, want in zip(got, dets, strict=True):
        assert det.confidence is not None
        assert_same(det, want, atol=ATOL[fmt], got_classes=fresh, want_classes=names)


# --- labels: specifics ---------------------------------------------------------------------


def test_kitti_labels_missing_files_and_clipping(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("apple 0 0 0 -3 10 2500 20 0 0 0 0 0 0 0\n")
    dets, names = load_label_dir(tmp_path, "kitti", IMAGES)
    assert names.names == ["apple"]
    assert dets["sub/b.jpg"].xyxy.tolist() == [[0, 10, 2000, 20]]
    assert len(dets["a.png"]) == 0 and dets["a.png"].confidence is None


def test_yolo_names_remap_into_given_classes(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("pear\napple\n")
    (tmp_path / "a.txt").write_text("1 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1\n")
    names = Classes(["apple"])
    dets, _ = load_label_dir(tmp_path, "yolo", IMAGES[:1], names)
    assert names.names == ["apple", "pear"]
    assert dets["a.png"].class_id.tolist() == [0, 1]


def test_yolo_without_names_keeps_indices(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("3 0.5 0.5 0.1 0.1\n")
    dets, names = load_label_dir(tmp_path, "yolo", IMAGES[:1])
    assert dets["a.png"].class_id.tolist() == [3]
    assert names.name(3) == "3"


def test_coco_matches_paths_then_base_names(tmp_path: Path) -> None:
    det = Detections([[1, 2, 3, 4]], [0])
    save_coco_instances(
        tmp_path / "x.json",
        {"a.png": det, "b.jpg": det, "zzz.png": det},
        Classes(["pear"]),
        {"a.png": (10, 10), "b.jpg": (10, 10), "zzz.png": (10, 10)},
    )
    names = Classes(["apple"])
    dets, _ = load_label_dir(tmp_path, "coco", IMAGES, names)
    assert names.names == ["apple", "pear"]
    assert dets["a.png"].class_id.tolist() == [1]
    assert len(dets["sub/b.jpg"]) == 1
    assert len(dets["c.png"]) == 0
    assert find_orphan_label_files(tmp_path, "coco", IMAGES) == ["zzz.png"]
    # The .json itself may be given instead of its folder.
    from_file, _ = load_label_dir(tmp_path / "x.json", "coco", IMAGES, Classes(["apple"]))
    assert {k: len(v) for k, v in from_file.items()} == {k: len(v) for k, v in dets.items()}
    assert find_orphan_label_files(tmp_path / "x.json", "COCO", IMAGES) == ["zzz.png"]


def test_coco_needs_exactly_one_json(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="found 0"):
        load_label_dir(tmp_path, "coco", IMAGES)
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(AlpickError, match="found 2"):
        load_label_dir(tmp_path, "coco", IMAGES)


def test_orphans(tmp_path: Path) -> None:
    for name in ("a.txt", "sub/b.txt", "sub/old.txt", "d.txt", "classes.txt", "notes.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    assert find_orphan_label_files(tmp_path, "kitti", IMAGES) == [
        "classes.txt",
        "d.txt",
        "sub/old.txt",
    ]
    assert find_orphan_label_files(tmp_path, "yolo", IMAGES) == ["d.txt", "sub/old.txt"]
    assert find_orphan_label_files(tmp_path, "voc", IMAGES) == []


def test_hidden_files_are_not_orphans(tmp_path: Path) -> None:
    for name in ("._a.txt", ".cache/x.txt", "sub/.hidden/y.txt", "d.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert find_orphan_label_files(tmp_path, "kitti", IMAGES) == ["d.txt"]


def test_unknown_format_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="valid: kitti, coco, yolo, voc"):
        load_label_dir(tmp_path, "csv", IMAGES)
    with pytest.raises(AlpickError, match="valid: kitti, coco, yolo, lightly"):
        load_prediction_dir(tmp_path, "voc")
    with pytest.raises(AlpickError, match="no such folder"):
        load_label_dir(tmp_path / "nope", "kitti", IMAGES)


def test_images_sharing_a_label_file(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="share one label file"):
        load_label_dir(tmp_path, "kitti", [("a.png", 1, 1), ("a.jpg", 1, 1)])


# --- predictions: specifics ----------------------------------------------------------------


def test_kitti_predictions_without_images(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("apple 0 0 0 1 2 3 4 0 0 0 0 0 0 0 0.5\n")
    (tmp_path / "y.txt").write_text("")
    names, dets, classes_ = load_prediction_dir(tmp_path, "kitti")
    assert names == ["x", "y"]
    assert classes_.names == ["apple"]
    assert [d.confidence.tolist() for d in dets if d.confidence is not None] == [[0.5], []]


def test_yolo_predictions_need_sizes_and_confidence(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(AlpickError, match="image sizes"):
        load_prediction_dir(tmp_path, "yolo")
    with pytest.raises(AlpickError, match="confidence"):
        load_prediction_dir(tmp_path, "yolo", images=IMAGES)


def test_images_without_prediction_are_empty_with_confidence(tmp_path: Path) -> None:
    for fmt in ("kitti", "yolo"):
        folder = tmp_path / fmt
        folder.mkdir()
        _, dets, _ = load_prediction_dir(folder, fmt, images=IMAGES)
        assert all(d.confidence is not None and len(d) == 0 for d in dets)


def test_lightly_folder_forms(tmp_path: Path) -> None:
    det = Detections([[1, 2, 3, 4]], [0], [0.9])
    save_lightly_task(tmp_path, "boxes", {"sub/b.jpg": det}, Classes(["apple"]))
    pred = tmp_path / ".lightly" / "predictions"
    for folder in (tmp_path, pred, pred / "boxes"):
        names, dets, _ = load_prediction_dir(folder, "lightly")
        assert names == ["sub/b"]
        assert dets[0].confidence is not None and dets[0].confidence.tolist() == [
            pytest.approx(0.9)
        ]
    names, dets, _ = load_prediction_dir(tmp_path, "lightly", images=IMAGES)
    assert names == [rel for rel, _, _ in IMAGES]
    assert [len(d) for d in dets] == [0, 1, 0]
    save_lightly_task(tmp_path, "more", {"sub/b.jpg": det}, Classes(["apple"]))
    with pytest.raises(AlpickError, match="one object-detection task, found 2"):
        load_prediction_dir(tmp_path, "lightly")
    with pytest.raises(AlpickError, match="no lightly predictions"):
        load_prediction_dir(tmp_path / ".lightly", "lightly")


def test_coco_predictions_forms(tmp_path: Path) -> None:
    det = Detections([[1, 2, 3, 4]], [0], [0.9])
    sizes = {"a.png": (9, 9)}
    save_coco_instances(tmp_path / "p.json", {"a.png": det}, Classes(["apple"]), sizes)
    names, dets, _ = load_prediction_dir(tmp_path, "coco")
    assert names == ["a.png"] and dets[0].confidence is not None
    save_coco_instances(
        tmp_path / "p.json",
        {"a.png": Detections(det.xyxy, det.class_id)},
        Classes(["apple"]),
        sizes,
    )
    with pytest.raises(AlpickError, match="confidence"):
        load_prediction_dir(tmp_path, "coco")
    save_coco_results(tmp_path / "r.json", {"a.png": det})
    names, dets, _ = load_prediction_dir(tmp_path, "coco", images=IMAGES)
    assert [len(d) for d in dets] == [1, 0, 0]
    (tmp_path / "r2.json").write_text(json.dumps([]))
    with pytest.raises(AlpickError, match="2 results files"):
        load_prediction_dir(tmp_path, "coco")
    assert np.all(dets[0].xyxy == det.xyxy)
