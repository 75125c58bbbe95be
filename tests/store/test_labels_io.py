from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.store.labels_io import check_format, check_label_files, load_labels


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


LINE = "apple 0.00 0 0.00 {} {} {} {} 1.0 1.0 1.0 0 0 0 0"


def test_kitti_folder_with_subfolders_crlf_and_blank_lines(tmp_path: Path) -> None:
    _write(
        tmp_path / "a.txt",
        LINE.format(1, 2, 3, 4) + "\r\n\r\n" + LINE.format(0, 0, 9, 9) + "  \r\n",
    )
    _write(tmp_path / "s/b.txt", "")
    images = [("a.png", 10, 10), ("s/b.jpg", 10, 10), ("c.png", 5, 5)]
    labels, classes = load_labels(tmp_path, "kitti", images)
    assert labels["a.png"].xyxy.tolist() == [[1, 2, 3, 4], [0, 0, 9, 9]]
    assert len(labels["s/b.jpg"]) == 0 and len(labels["c.png"]) == 0
    assert classes.names == ["apple"]


def test_missing_labels_folder(tmp_path: Path) -> None:
    labels, classes = load_labels(tmp_path / "none", "kitti", [("a.png", 1, 1)])
    assert labels == {} and classes.names == []  # no folder: no boxes, and no entry to make


def test_label_without_image(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", "")
    _write(tmp_path / "sub/ghost.txt", "")
    _write(tmp_path / "notes.md", "ignored: not a label suffix")
    with pytest.raises(AlpickError, match=r"sub/ghost.txt has no image"):
        load_labels(tmp_path, "kitti", [("a.png", 1, 1)])


def test_yolo_classes_file_is_not_an_orphan(tmp_path: Path) -> None:
    _write(tmp_path / "classes.txt", "apple\n")
    check_label_files(tmp_path, "yolo", [])
    with pytest.raises(AlpickError, match="has no image"):
        check_label_files(tmp_path, "kitti", [])


def test_malformed_values_name_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", LINE.format(1, 2, 3, 4) + "\n" + LINE.format("x", 2, 3, 4))
    with pytest.raises(AlpickError, match=r"a\.txt:2: KITTI: not a number: 'x'"):
        load_labels(tmp_path, "kitti", [("a.png", 10, 10)])


def test_check_format() -> None:
    assert check_format("KITTI") == "kitti"
    with pytest.raises(AlpickError, match="choose from kitti, coco, yolo, voc"):
        check_format("csv")


def test_coco_folder_without_a_json_means_no_boxes(tmp_path: Path) -> None:
    labels, classes = load_labels(tmp_path, "coco", [("a.png", 1, 1)])
    assert labels == {} and classes.names == []
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(AlpickError, match=r"x\.json"):
        load_labels(tmp_path, "coco", [("a.png", 1, 1)])
