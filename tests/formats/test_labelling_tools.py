"""Label Studio and CVAT readers and writers: coordinates, refusals, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alpick.errors import AlpickError
from alpick.formats.cvat import format_cvat, load_cvat
from alpick.formats.detections import Classes, Detections
from alpick.formats.labelstudio import labeling_config, load_label_studio_export, rectangle_results


def test_cvat_round_trip_keeps_float32_corners(tmp_path: Path) -> None:
    det = Detections(np.array([[0.1, 2.5, 10.333333, 20.0]], np.float32), np.array([1]))
    classes = Classes(["a", "b & c"])
    path = tmp_path / "c.xml"
    path.write_text(format_cvat([("x/y.png", 40, 30, det)], classes))
    (image,) = load_cvat(path)
    assert image.name == "x/y.png" and image.size == (40, 30)
    label, *box = image.boxes[0]
    assert label == "b & c"
    assert np.array(box, np.float32).tolist() == det.xyxy[0].tolist()
    assert "<name>b &amp; c</name>" in path.read_text()


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ('<polygon label="a" points="1,1;2,2;3,1"/>', "boxes (<box>) only"),
        ('<box label="a" xtl="1" ytl="1" xbr="x" ybr="2"/>', "xbr='x' is not a number"),
        ('<box label="a" xtl="1" ytl="1" xbr="3" ybr="2" rotation="90"/>', "rotated box"),
        ('<box xtl="1" ytl="1" xbr="3" ybr="2"/>', "without a label"),
    ],
)
def test_cvat_refusals(tmp_path: Path, inner: str, message: str) -> None:
    path = tmp_path / "c.xml"
    path.write_text(
        f'<annotations><image id="3" name="a.png" width="9" height="9">{inner}</image>'
        "</annotations>"
    )
    with pytest.raises(AlpickError, match=r"image 'a\.png' \(id 3\)") as info:
        load_cvat(path)
    assert message in str(info.value)


def test_cvat_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "c.xml"
    path.write_text("<annotations>")
    with pytest.raises(AlpickError, match="not an XML file"):
        load_cvat(path)


def test_label_studio_percent_coordinates_and_config() -> None:
    det = Detections(
        np.array([[10, 5, 30, 25]], np.float32), np.array([0]), np.array([0.5], np.float32)
    )
    (result,) = rectangle_results(det, Classes(["apple"]), width=200, height=50, prefix="p")
    assert result["value"] == {
        "x": 5.0,
        "y": 10.0,
        "width": 10.0,
        "height": 40.0,
        "rotation": 0,
        "rectanglelabels": ["apple"],
    }
    assert result["score"] == 0.5 and result["original_width"] == 200
    assert """<Label value='a "b"'/>""" in labeling_config(['a "b"'])  # valid XML quoting


def test_label_studio_export_errors(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"tasks": []}))
    with pytest.raises(AlpickError, match="a list of tasks"):
        load_label_studio_export(path)
    bad = {"data": {}, "annotations": [{"result": [{"type": "rectanglelabels", "value": {}}]}]}
    path.write_text(json.dumps([bad]))
    with pytest.raises(AlpickError, match="task 1: a rectangle must have exactly one label"):
        load_label_studio_export(path)
    value = {"x": "1", "y": 0, "width": 1, "height": 1, "rectanglelabels": ["a"]}
    bad["annotations"][0]["result"][0]["value"] = value
    path.write_text(json.dumps([bad]))
    with pytest.raises(AlpickError, match="x must be a number"):
        load_label_studio_export(path)


def test_label_studio_json_min_is_named(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"image": "/data/x.png", "label": []}]))
    with pytest.raises(AlpickError, match="JSON-MIN export; export as JSON"):
        load_label_studio_export(path)
