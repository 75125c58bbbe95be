"""Pascal VOC XML: one ``<annotation>`` per image with ``<size>`` and ``<object>`` boxes.

VOC counts pixels from 1 and its ``xmax`` is the last pixel inside the box, so a box covering
pixel columns 0..9 (alpick: x0 = 0, x1 = 10) is ``xmin = 1, xmax = 10``. Reading subtracts 1
from ``xmin``/``ymin`` (as detectron2 does) and writing adds it back. Objects marked
``<difficult>1</difficult>`` are real objects that are hard to see; they are **kept** by default
(the oracle labelled them), ``include_difficult=False`` leaves them out. VOC holds ground truth:
a confidence is not written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from alpick.errors import AlpickError
from alpick.fileio import read_bytes, write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.formats.jsonio import make_detections


def load_voc(
    path: Path, classes: Classes, *, include_difficult: bool = True
) -> tuple[Detections, tuple[int, int]]:
    """Read one VOC XML file.

    Args:
        path: The ``.xml`` file.
        classes: Class names; new names are appended.
        include_difficult: Keep objects marked difficult (default: yes).

    Returns:
        The boxes (pixels, x0 y0 x1 y1) and the image ``(width, height)`` from ``<size>``
        (``(0, 0)`` when the file has none).

    Raises:
        AlpickError: If the file is missing or not valid XML (naming the line), or an object
            has no name, a missing or non-numeric coordinate, or xmax < xmin - 1.
    """
    path = Path(path)
    root = _parse(path)
    width, height = _size(root, path)
    boxes: list[tuple[float, float, float, float]] = []
    names: list[str] = []
    for k, obj in enumerate(root.iter("object")):
        what = f"object {k + 1}"
        name = (obj.findtext("name") or "").strip()
        if not name:
            raise AlpickError(f"{path}: {what}: no <name>")
        if not include_difficult and (obj.findtext("difficult") or "0").strip() == "1":
            continue
        box = obj.find("bndbox")
        if box is None:
            raise AlpickError(f"{path}: {what}: no <bndbox>")
        xmin, ymin, xmax, ymax = (_number(box, t, path, what) for t in _BOX_TAGS)
        # A float32 box written back (xmin + 1) may come out a rounding error below xmax.
        if xmax < xmin - 1 - 1e-3 or ymax < ymin - 1 - 1e-3:
            raise AlpickError(f"{path}: {what}: inverted box ({xmin}, {ymin}, {xmax}, {ymax})")
        boxes.append((min(xmin - 1, xmax), min(ymin - 1, ymax), xmax, ymax))
        names.append(name)
    xyxy = np.array(boxes, np.float64).reshape(-1, 4)
    det = make_detections(str(path), xyxy, classes.ids(names))
    return det, (width, height)


def read_voc_image(path: Path) -> tuple[str, int, int]:
    """The image one VOC file describes: its ``<filename>`` (``""`` when it has none) and its
    ``<size>`` (``(0, 0)`` when it has none); the objects are not read.

    Raises:
        AlpickError: If the file is missing, not valid XML or not VOC, or ``<size>`` is
            malformed.
    """
    path = Path(path)
    root = _parse(path)
    return (root.findtext("filename") or "").strip(), *_size(root, path)


def _parse(path: Path) -> ET.Element:
    try:
        root = ET.fromstring(read_bytes(path))
    except ET.ParseError as exc:
        raise AlpickError(f"{path}:{exc.position[0]}: not valid XML: {exc}") from None
    except OSError as exc:
        raise AlpickError(f"{path}: cannot read: {exc}") from None
    if root.tag != "annotation":
        raise AlpickError(f"{path}: not a VOC file (root element <{root.tag}>)")
    return root


def _size(root: ET.Element, path: Path) -> tuple[int, int]:
    size = root.find("size")
    if size is None:
        return 0, 0
    return int(_number(size, "width", path, "size")), int(_number(size, "height", path, "size"))


def format_voc(det: Detections, classes: Classes, *, filename: str, width: int, height: int) -> str:
    """VOC XML text for ``det`` (see the module notes on the pixel convention)."""
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = filename
    size = ET.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(int(value))
    boxes = det.xyxy.copy()
    boxes[:, :2] += 1
    for (xmin, ymin, xmax, ymax), cls in zip(boxes, det.class_id.tolist(), strict=True):
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = classes.name(cls)
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        bndbox = ET.SubElement(obj, "bndbox")
        for tag, value in zip(_BOX_TAGS, (xmin, ymin, xmax, ymax), strict=True):
            ET.SubElement(bndbox, tag).text = _text(value)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def save_voc(
    path: Path, det: Detections, classes: Classes, *, filename: str, width: int, height: int
) -> None:
    """Write ``det`` to ``path`` as VOC XML (atomically; see :func:`format_voc`)."""
    text = format_voc(det, classes, filename=filename, width=width, height=height)
    write_text_atomic(Path(path), text)


_BOX_TAGS = ("xmin", "ymin", "xmax", "ymax")


def _number(parent: ET.Element | None, tag: str, path: Path, what: str) -> float:
    text = parent.findtext(tag) if parent is not None else None
    if text is None:
        raise AlpickError(f"{path}: {what}: no <{tag}>")
    try:
        value = float(text.strip())
    except ValueError:
        raise AlpickError(f"{path}: {what}: <{tag}> is not a number: {text.strip()!r}") from None
    if not np.isfinite(value):
        raise AlpickError(f"{path}: {what}: <{tag}> is not finite: {text.strip()!r}")
    return value


def _text(value: np.float32) -> str:
    """Whole numbers without a decimal point, others as the shortest exact float32 decimal."""
    value = np.float32(value)
    return str(int(value)) if value == np.round(value) else str(value)
