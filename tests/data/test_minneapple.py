from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from alpick.data.minneapple import convert_minneapple, mask_boxes
from alpick.errors import AlpickError
from alpick.formats.detections import Classes
from alpick.formats.kitti import load_kitti

H, W = 20, 30


def known_mask() -> np.ndarray:
    mask = np.zeros((H, W), np.uint16)
    mask[2:5, 3:8] = 1  # box 3, 2, 8, 5
    mask[10:13, 0:4] = 300  # > 255: needs a 16-bit PNG; touches the left border
    mask[18:20, 27:30] = 7  # bottom-right corner
    mask[5:11, 15] = 9  # one pixel wide: degenerate
    mask[0, 20:25] = 12  # one pixel high: degenerate
    mask[15, 10] = 11  # a single pixel: degenerate
    return mask


def make_split(root: Path, masks: dict[str, np.ndarray] | None, n: int = 2) -> Path:
    (root / "images").mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (W, H), (i, 100, 0)).save(root / "images" / f"{i:03d}.png")
    if masks is not None:
        (root / "masks").mkdir()
        for name, mask in masks.items():
            Image.fromarray(mask).save(root / "masks" / name)
    return root


def test_known_ids(tmp_path: Path) -> None:
    mask = known_mask()
    src = make_split(tmp_path / "src", {"000.png": mask, "001.png": np.zeros((H, W), np.uint8)})
    assert Image.open(src / "masks" / "000.png").mode.startswith("I")  # really 16-bit
    report = convert_minneapple(src, tmp_path / "out")
    assert (report.images, report.boxes, report.degenerate, report.labelled) == (2, 3, 3, True)
    det = load_kitti(tmp_path / "out" / "labels" / "000.txt", Classes())
    assert det.xyxy.tolist() == [[3, 2, 8, 5], [27, 18, 30, 20], [0, 10, 4, 13]]  # ids 1, 7, 300
    assert (tmp_path / "out" / "labels" / "001.txt").read_text() == ""
    assert sorted(os.listdir(tmp_path / "out" / "images")) == ["000.png", "001.png"]
    assert sorted(os.listdir(tmp_path / "out")) == ["images", "labels"]  # no temp folders left


def test_mask_boxes_extent() -> None:
    ids, boxes = mask_boxes(known_mask())
    assert ids.tolist() == [1, 7, 9, 11, 12, 300]
    assert boxes.tolist() == [
        [3, 2, 8, 5],
        [27, 18, 30, 20],
        [15, 5, 16, 11],
        [10, 15, 11, 16],
        [20, 0, 25, 1],
        [0, 10, 4, 13],
    ]
    split = np.zeros((6, 6), np.uint8)
    split[0, 0] = split[4, 5] = 2  # one id in two places: one box around both
    assert mask_boxes(split)[1].tolist() == [[0, 0, 6, 5]]
    ids, boxes = mask_boxes(np.zeros((4, 4), np.uint8))
    assert ids.shape == (0,) and boxes.shape == (0, 4)


@settings(max_examples=50)
@given(
    arrays(
        np.uint16,
        st.tuples(st.integers(1, 12), st.integers(1, 12)),
        elements=st.sampled_from([0, 1, 2, 256, 65535]),
    )
)
def test_mask_boxes_equal_brute_force(mask: np.ndarray) -> None:
    ids, boxes = mask_boxes(mask)
    want_ids = sorted(set(mask.ravel().tolist()) - {0})
    assert ids.tolist() == want_ids
    for i, box in zip(want_ids, boxes.tolist(), strict=True):
        ys, xs = np.nonzero(mask == i)
        assert box == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_images_only(tmp_path: Path) -> None:
    src = make_split(tmp_path / "src", None, n=3)
    report = convert_minneapple(src, tmp_path / "out", link=False)
    assert (report.images, report.boxes, report.labelled) == (3, 0, False)
    assert len(os.listdir(tmp_path / "out" / "images")) == 3
    assert os.listdir(tmp_path / "out" / "labels") == []


def test_hard_links_or_copies(tmp_path: Path) -> None:
    src = make_split(tmp_path / "src", None, n=1)
    convert_minneapple(src, tmp_path / "linked")
    convert_minneapple(src, tmp_path / "copied", link=False)
    original = os.stat(src / "images" / "000.png")
    assert os.stat(tmp_path / "linked" / "images" / "000.png").st_ino == original.st_ino
    assert os.stat(tmp_path / "copied" / "images" / "000.png").st_ino != original.st_ino


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        ({"000.png": np.zeros((H, W), np.uint8)}, "no mask for image '001'"),
        (
            {
                "000.png": np.zeros((H, W), np.uint8),
                "001.png": np.zeros((H, W), np.uint8),
                "x.png": np.zeros((H, W), np.uint8),
            },
            "mask without an image",
        ),
        (
            {"000.png": np.zeros((H, W + 1), np.uint8), "001.png": np.zeros((H, W), np.uint8)},
            "30x20",
        ),
        (
            {
                "000.png": np.full((H, W, 3), [1, 2, 3], np.uint8),
                "001.png": np.zeros((H, W), np.uint8),
            },
            "single-channel",
        ),
    ],
)
def test_bad_masks_leave_nothing(
    tmp_path: Path, masks: dict[str, np.ndarray], message: str
) -> None:
    src = make_split(tmp_path / "src", {k: v.astype(np.uint8) for k, v in masks.items()})
    with pytest.raises(AlpickError, match=message):
        convert_minneapple(src, tmp_path / "out")
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_output_must_be_fresh(tmp_path: Path) -> None:
    src = make_split(tmp_path / "src", None, n=1)
    (tmp_path / "out" / "labels").mkdir(parents=True)
    (tmp_path / "out" / "labels" / "old.txt").write_text("")
    with pytest.raises(AlpickError, match="already holds files"):
        convert_minneapple(src, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == ["labels"]


def test_bad_source_and_class(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="expected SRC/images"):
        convert_minneapple(tmp_path, tmp_path / "out")
    (tmp_path / "images").mkdir()
    with pytest.raises(AlpickError, match="no images"):
        convert_minneapple(tmp_path, tmp_path / "out")
    with pytest.raises(AlpickError, match="one word"):
        convert_minneapple(tmp_path, tmp_path / "out", class_name="green apple")
