from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import (
    format_kitti,
    load_kitti,
    load_kitti_dir,
    parse_kitti,
    save_kitti,
)

from .strategies import assert_same, classes, detections

GT = "apple 0.00 0 0.00 {} {} {} {} 0.00 0.00 0.00 0.00 0.00 0.00 0.00"


def gt(x0: float, y0: float, x1: float, y1: float, name: str = "apple") -> str:
    return GT.format(x0, y0, x1, y1).replace("apple", name, 1)


# --- round trips ---------------------------------------------------------------------------


@given(det=detections())
def test_round_trip_text(det: Detections) -> None:
    names = classes()
    back = parse_kitti(format_kitti(det, names), names)
    assert_same(back, det, atol=0.0051, conf_atol=5.1e-7)


@given(det=detections())
def test_round_trip_fresh_classes_keeps_names(det: Detections) -> None:
    names = classes()
    fresh = Classes()
    back = parse_kitti(format_kitti(det, names), fresh)
    assert_same(back, det, atol=0.0051, conf_atol=5.1e-7, got_classes=fresh, want_classes=names)


@settings(max_examples=25)
@given(det=detections(confidence=True))
def test_round_trip_file(tmp_path_factory: pytest.TempPathFactory, det: Detections) -> None:
    path = tmp_path_factory.mktemp("kitti") / "a.txt"
    names = classes()
    save_kitti(path, det, names)
    assert_same(load_kitti(path, names), det, atol=0.0051, conf_atol=5.1e-7)
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]  # no temp file left


def test_columns_written() -> None:
    names = Classes(["apple"])
    det = Detections(np.array([[1, 2, 3, 4]]), np.array([0]))
    assert len(format_kitti(det, names).split()) == 15
    det = Detections(np.array([[1, 2, 3, 4]]), np.array([0]), np.array([0.5]))
    line = format_kitti(det, names)
    assert line.split() == [
        "apple",
        *["0.00", "0", "0.00", "1.00", "2.00", "3.00", "4.00"],
        *["0.00"] * 7,
        "0.500000",
    ]


def test_class_name_with_space_cannot_be_written() -> None:
    det = Detections(np.array([[1, 2, 3, 4]]), np.array([0]))
    with pytest.raises(AlpickError, match="no spaces"):
        format_kitti(det, Classes(["green apple"]))


# --- reading rules -------------------------------------------------------------------------


def test_single_line_file_is_one_box(tmp_path: Path) -> None:
    # The tutorial's numpy helper silently dropped these.
    path = tmp_path / "one.txt"
    path.write_text(gt(1, 2, 3, 4))  # no final newline either
    det = load_kitti(path, Classes())
    assert len(det) == 1
    assert det.xyxy.tolist() == [[1, 2, 3, 4]]


def test_empty_and_missing_files_have_no_boxes(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("\n  \r\n\n")
    for name in ("empty", "blank", "missing"):
        det = load_kitti(tmp_path / f"{name}.txt", Classes())
        assert len(det) == 0
        assert det.confidence is None


def test_crlf_trailing_spaces_blank_lines() -> None:
    text = "\r\n" + gt(1, 2, 3, 4) + "   \r\n\r\n\t\n" + gt(5, 6, 7, 8, "pear") + "  \t"
    names = Classes()
    det = parse_kitti(text, names)
    assert det.xyxy.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert names.names == ["apple", "pear"]
    assert det.class_id.tolist() == [0, 1]


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + gt(1, 2, 3, 4).encode())
    names = Classes()
    load_kitti(path, names)
    assert names.names == ["apple"]


def test_sixteen_columns_give_confidence() -> None:
    det = parse_kitti(gt(1, 2, 3, 4) + " 0.875\n" + gt(2, 3, 4, 5) + " 0.125\n", Classes())
    assert det.confidence is not None
    assert det.confidence.tolist() == [0.875, 0.125]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (gt(1, 2, 3, 4) + "\n\napple 0 0 0 1 2 3\n", r"f\.txt:3: .*got 7"),
        (gt(1, 2, 3, 4) + " 0.5 9\n", r"f\.txt:1: .*got 17"),
        (gt(1, 2, 3, 4) + "\n" + gt(1, 2, "x3", 4) + "\n", r"f\.txt:2: .*not a number: 'x3'"),
        (gt(1, 2, 3, 4).replace("0.00 0 0.00", "0.00 zero 0.00"), r"f\.txt:1: .*'zero'"),
        (gt(1, 2, 3, 4) + " high\n", r"f\.txt:1: .*not a number: 'high'"),
        (gt(1, 2, "nan", 4), r"f\.txt:1: .*'nan'"),
        (gt(1, 2, 3, "1e39"), r"f\.txt:1: .*too large"),
        (gt(1, 2, 3, 4) + "\n" + gt(1, 2, 3, 4) + " 0.5\n", r"f\.txt:2: .*must not mix"),
    ],
)
def test_malformed_line_names_file_and_line(text: str, message: str) -> None:
    with pytest.raises(AlpickError, match=message):
        parse_kitti(text, Classes(), source="f.txt")


def test_inverted_box_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(gt(1, 2, 3, 4) + "\n" + gt(5, 2, 3, 4) + "\n")
    with pytest.raises(AlpickError, match=r"bad\.txt:2: .*inverted"):
        load_kitti(path, Classes())
    with pytest.raises(AlpickError, match=r":1: .*inverted"):
        parse_kitti(gt(1, 9, 3, 4), Classes())


def test_clipped_to_the_image() -> None:
    text = gt(-5, -1, 50, 20) + "\n" + gt(90, 95, 130, 140) + "\n"
    det = parse_kitti(text, Classes(), image_size=(100, 100))
    assert det.xyxy.tolist() == [[0, 0, 50, 20], [90, 95, 100, 100]]
    unclipped = parse_kitti(text, Classes())
    assert unclipped.xyxy[0].tolist() == [-5, -1, 50, 20]


@settings(max_examples=200)
@given(
    value=st.floats(-1e6, 1e6, allow_nan=False),
    style=st.sampled_from(["{:.2f}", "{!r}", "{:.6e}", "{:g}", "{:.0f}", "{:.10f}", "{:+.3f}"]),
)
def test_numbers_parse_exactly_like_float(value: float, style: str) -> None:
    text = style.format(value)
    det = parse_kitti(gt(-2e6, -2e6, text, 2e6), Classes())
    assert det.xyxy[0, 2] == np.float32(float(text))


def test_odd_number_spellings() -> None:
    det = parse_kitti(gt("-.5", "1.", "007", "+2.5e1"), Classes())
    assert det.xyxy.tolist() == [[-0.5, 1.0, 7.0, 25.0]]


# --- bulk reader ---------------------------------------------------------------------------


@settings(max_examples=25)
@given(dets=st.lists(detections(), min_size=1, max_size=6))
def test_bulk_reader_equals_per_file_reader(
    tmp_path_factory: pytest.TempPathFactory, dets: list[Detections]
) -> None:
    folder = tmp_path_factory.mktemp("bulk")
    names = classes()
    for i, det in enumerate(dets):
        text = format_kitti(det, names).replace("\n", "\r\n", i % 2)
        (folder / f"img_{i}.txt").write_text(text)
    bulk_classes, single_classes = Classes(), Classes()
    stems, bulk = load_kitti_dir(folder, bulk_classes, predictions=False)
    assert stems == [f"img_{i}" for i in range(len(dets))]
    for stem, det in zip(stems, bulk, strict=True):
        one = load_kitti(folder / f"{stem}.txt", single_classes)
        assert_same(det, one, atol=0, conf_atol=0)
    assert bulk_classes.names == single_classes.names


def test_bulk_reader_predictions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(gt(1, 2, 3, 4) + " 0.9\n")
    (tmp_path / "b.txt").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text(gt(10, 20, 300, 40) + " 0.1\n")
    (tmp_path / "notes.md").write_text("not a label")
    names, dets = load_kitti_dir(tmp_path, Classes())
    assert names == ["a", "b"]
    assert [len(d) for d in dets] == [1, 0]
    assert all(d.confidence is not None for d in dets)

    names, dets = load_kitti_dir(
        tmp_path, Classes(), names=["sub/c", "missing", "a"], image_sizes=[(100, 100), None, None]
    )
    assert [len(d) for d in dets] == [1, 0, 1]
    assert dets[0].xyxy.tolist() == [[10, 20, 100, 40]]
    assert dets[1].confidence is not None and len(dets[1].confidence) == 0


def test_bulk_reader_wants_confidence_for_predictions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(gt(1, 2, 3, 4) + "\n")
    with pytest.raises(AlpickError, match=r"a\.txt:1: .*16th column"):
        load_kitti_dir(tmp_path, Classes())
    _, dets = load_kitti_dir(tmp_path, Classes(), predictions=False)
    assert dets[0].confidence is None


def test_bulk_reader_errors_name_the_file(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(gt(1, 2, 3, 4) + " 0.5\n")
    (tmp_path / "3.txt").write_text(gt(1, 2, 3, 4) + " 0.5\n" + gt(1, 2, 3, 4) + " x\n")
    with pytest.raises(AlpickError, match=r"3\.txt:2: "):
        load_kitti_dir(tmp_path, Classes())


def test_bulk_reader_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="no such folder"):
        load_kitti_dir(tmp_path / "nope", Classes())
