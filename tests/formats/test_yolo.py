from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.yolo import (
    format_yolo,
    load_yolo,
    load_yolo_names,
    parse_yolo,
    save_yolo,
    save_yolo_names,
)

from .strategies import assert_same, detections


@given(
    det=detections(size=(1280.0, 720.0)),
    size=st.sampled_from([(1280, 720), (2000, 1500), (1, 1)]),
)
def test_round_trip(det: Detections, size: tuple[int, int]) -> None:
    w, h = size
    back = parse_yolo(format_yolo(det, width=w, height=h), width=w, height=h)
    # 6 decimals of a normalised value, twice (centre and half size).
    assert_same(back, det, atol=1.1e-6 * max(w, h) + 1e-4, conf_atol=5.1e-7)


@settings(max_examples=20)
@given(det=detections(confidence=True))
def test_round_trip_file(tmp_path_factory: pytest.TempPathFactory, det: Detections) -> None:
    path = tmp_path_factory.mktemp("yolo") / "a.txt"
    save_yolo(path, det, width=2000, height=1500)
    assert_same(load_yolo(path, width=2000, height=1500), det, atol=5e-3, conf_atol=5.1e-7)


def test_pixels() -> None:
    det = parse_yolo("0 0.5 0.5 0.25 0.5\r\n\n1 0.1 0.1 0.2 0.2  \n", width=200, height=100)
    assert det.xyxy.ravel().tolist() == pytest.approx([75, 25, 125, 75, 0, 0, 40, 20])
    assert det.class_id.tolist() == [0, 1]
    assert det.confidence is None
    det = parse_yolo("0 0.5 0.5 0.25 0.5 0.75", width=200, height=100)
    assert det.confidence is not None and det.confidence.tolist() == [0.75]


def test_missing_and_empty(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text("")
    assert len(load_yolo(tmp_path / "e.txt", width=9, height=9)) == 0
    assert len(load_yolo(tmp_path / "nope.txt", width=9, height=9)) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0.5 0.5 0.1\n", r"f:1: .*5 or 6 columns, got 4"),
        ("0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1 0.3\n", r"f:2: .*mix"),
        ("0 0.5 0.5 x 0.1\n", r"f:1: .*not a number: 'x'"),
        ("1.5 0.5 0.5 0.1 0.1\n", r"f:1: .*whole number"),
        ("-1 0.5 0.5 0.1 0.1\n", r"f:1: .*whole number"),
        ("\n0 0.5 0.5 -0.1 0.1\n", r"f:2: .*negative"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(AlpickError, match=message):
        parse_yolo(text, width=10, height=10, source="f")


def test_names(tmp_path: Path) -> None:
    save_yolo_names(tmp_path / "classes.txt", Classes(["apple", "pear"]))
    assert load_yolo_names(tmp_path / "classes.txt").names == ["apple", "pear"]
    (tmp_path / "data.yaml").write_text("nc: 2\nnames: ['a', 'b']\n")
    assert load_yolo_names(tmp_path / "data.yaml").names == ["a", "b"]
    (tmp_path / "d2.yaml").write_text("names:\n  1: b\n  0: a\n")
    assert load_yolo_names(tmp_path / "d2.yaml").names == ["a", "b"]
    (tmp_path / "d3.yaml").write_text("train: x\n")
    with pytest.raises(AlpickError, match="needs 'names'"):
        load_yolo_names(tmp_path / "d3.yaml")
    with pytest.raises(AlpickError, match="no such file"):
        load_yolo_names(tmp_path / "missing.txt")


def test_bad_size() -> None:
    det = Detections(np.zeros((0, 4)), np.zeros(0))
    with pytest.raises(AlpickError, match="positive"):
        format_yolo(det, width=0, height=5)
