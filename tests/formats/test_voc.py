from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.voc import load_voc, read_voc_image, save_voc

from .strategies import assert_same, classes, detections

VOC = """<annotation>
  <filename>a.jpg</filename>
  <size><width>100</width><height>80</height><depth>3</depth></size>
  <object><name>apple</name><difficult>0</difficult>
    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object>
  <object><name>pear</name><difficult>1</difficult>
    <bndbox><xmin>50.5</xmin><ymin>30</ymin><xmax>60</xmax><ymax>40</ymax></bndbox></object>
</annotation>
"""


@settings(max_examples=30)
@given(det=detections(confidence=False))
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, det: Detections) -> None:
    path = tmp_path_factory.mktemp("voc") / "a.xml"
    names = classes()
    save_voc(path, det, names, filename="a.png", width=2000, height=1500)
    fresh = Classes()
    back, size = load_voc(path, fresh)
    assert size == (2000, 1500)
    assert_same(back, det, atol=1e-3, got_classes=fresh, want_classes=names)


def test_pixel_convention_and_difficult(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(VOC)
    names = Classes()
    det, size = load_voc(path, names)
    assert size == (100, 80)
    assert names.names == ["apple", "pear"]
    assert det.xyxy.tolist() == [[0, 0, 10, 20], [49.5, 29, 60, 40]]
    det, _ = load_voc(path, names, include_difficult=False)
    assert det.class_id.tolist() == [0]


def test_confidence_is_not_written(tmp_path: Path) -> None:
    det = Detections([[0, 0, 1, 1]], [0], [0.5])
    save_voc(tmp_path / "a.xml", det, Classes(["apple"]), filename="a", width=5, height=5)
    assert load_voc(tmp_path / "a.xml", Classes())[0].confidence is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<annotation><object>", r"a\.xml:1: not valid XML"),
        ("<foo/>", "not a VOC file"),
        ("<annotation><object><bndbox/></object></annotation>", "no <name>"),
        ("<annotation><object><name>a</name></object></annotation>", "no <bndbox>"),
        (
            "<annotation><object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
            "<xmax>x</xmax><ymax>2</ymax></bndbox></object></annotation>",
            "not a number",
        ),
        (
            "<annotation><object><name>a</name><bndbox><xmin>9</xmin><ymin>1</ymin>"
            "<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>",
            "inverted",
        ),
    ],
)
def test_malformed(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "a.xml").write_text(text)
    with pytest.raises(AlpickError, match=message):
        load_voc(tmp_path / "a.xml", Classes())


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="no such file"):
        load_voc(tmp_path / "a.xml", Classes())


def test_the_image_a_file_describes(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(VOC)
    assert read_voc_image(path) == ("a.jpg", 100, 80)
    path.write_text("<annotation><object><name>x</name></object></annotation>")
    assert read_voc_image(path) == ("", 0, 0)
    path.write_text("<annotation><size><width>wide</width></size></annotation>")
    with pytest.raises(AlpickError, match="<width> is not a number"):
        read_voc_image(path)
