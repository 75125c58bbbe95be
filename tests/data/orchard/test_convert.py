"""The MinneApple converter, run on a generated orchard, gives exactly the generator's boxes."""

from pathlib import Path

import numpy as np

from alpick.data.minneapple import convert_minneapple
from alpick.data.orchard import generate_orchard, read_boxes
from alpick.formats import Classes
from alpick.formats.kitti import load_kitti


def test_converted_labels_are_the_mask_extents(tmp_path: Path) -> None:
    generate_orchard(tmp_path / "orchard", n_train=6, n_test=2, size=(96, 160), seed=3)
    report = convert_minneapple(tmp_path / "orchard" / "train", tmp_path / "raw")
    record = read_boxes(tmp_path / "orchard" / "train")
    assert report.images == len(record) == 6
    classes = Classes()
    total = 0
    for name, boxes in record.items():
        det = load_kitti(tmp_path / "raw" / "labels" / (Path(name).stem + ".txt"), classes)
        got = det.xyxy[np.lexsort(det.xyxy.T[::-1])]
        want = boxes[np.lexsort(boxes.T[::-1])].astype(np.float32)
        np.testing.assert_array_equal(got, want)
        total += len(boxes)
    assert report.boxes == total > 0
    assert classes.names == ["apple"]
    # the test split converts too (same layout), and images are all there
    test_report = convert_minneapple(tmp_path / "orchard" / "test", tmp_path / "test")
    assert test_report.images == 2
