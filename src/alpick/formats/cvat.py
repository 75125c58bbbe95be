"""CVAT for images 1.1 (XML): images with boxes in absolute pixels (``xtl``, ``ytl``, ``xbr``,
``ybr``: top-left and bottom-right corners, floats), labels named in ``meta/task/labels``.

A ``<box>`` may carry ``rotation`` (degrees, about the centre): alpick refuses rotated boxes, and
shapes other than boxes (polygons, polylines, points, ellipses, masks, cuboids). Image-level
``<tag>`` elements are ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from alpick.errors import AlpickError
from alpick.fileio import read_bytes
from alpick.formats.detections import Classes, Detections

_SHAPES = ("polygon", "polyline", "points", "ellipse", "mask", "cuboid", "skeleton")


@dataclass(frozen=True)
class CvatImage:
    """One image of a CVAT XML file.

    Attributes:
        where: ``FILE: image NAME (id I)``, for messages.
        name: The image's name (its path as given to CVAT).
        size: ``(width, height)``.
        boxes: ``(label, xtl, ytl, xbr, ybr)`` of each box, in pixels.
    """

    where: str
    name: str
    size: tuple[int, int]
    boxes: list[tuple[str, float, float, float, float]]


def _num(value: float) -> str:
    return f"{value:.9g}"  # 9 significant digits: every float32 corner round-trips


def format_cvat(
    images: Sequence[tuple[str, int, int, Detections]],
    classes: Classes,
    *,
    sources: Sequence[str] | None = None,
) -> str:
    """A CVAT for images 1.1 XML of ``images`` (name, width, height, boxes).

    ``sources`` gives each image's box ``source`` (``manual`` for labels, ``auto`` for
    pre-annotations; default ``manual``). Coordinates are written to float32 precision (CVAT
    itself writes 2 decimals).
    """
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<annotations>",
        "  <version>1.1</version>",
        "  <meta>",
        "    <task>",
        f"      <size>{len(images)}</size>",
        "      <labels>",
    ]
    for name in classes.names:
        lines.append(f"        <label><name>{_escape(name)}</name><attributes/></label>")
    lines += ["      </labels>", "    </task>", "  </meta>"]
    for k, (name, width, height, det) in enumerate(images):
        source = sources[k] if sources is not None else "manual"
        lines.append(
            f"  <image id={quoteattr(str(k))} name={quoteattr(name)} "
            f'width="{width}" height="{height}">'
        )
        for (x0, y0, x1, y1), cid in zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True):
            lines.append(
                f"    <box label={quoteattr(classes.name(int(cid)))} source={quoteattr(source)} "
                f'occluded="0" xtl="{_num(x0)}" ytl="{_num(y0)}" xbr="{_num(x1)}" '
                f'ybr="{_num(y1)}" z_order="0"></box>'
            )
        lines.append("  </image>")
    lines.append("</annotations>")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _float(element: ET.Element, name: str, where: str) -> float:
    text = element.get(name)
    try:
        value = float(text) if text is not None else float("nan")
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise AlpickError(f"{where}: {element.tag} attribute {name}={text!r} is not a number")
    return value


def load_cvat(path: Path) -> list[CvatImage]:
    """Read a CVAT for images 1.1 XML export.

    Raises:
        AlpickError: For a file that is not CVAT XML, a rotated box or another shape, or a bad
            attribute, naming the file and image.
    """
    try:
        root = ET.fromstring(read_bytes(path))
    except ET.ParseError as exc:
        raise AlpickError(f"{path}: not an XML file ({exc})") from None
    if root.tag != "annotations":
        raise AlpickError(f"{path}: not a CVAT for images XML (root <{root.tag}>)")
    images = []
    for element in root.iter("image"):
        name = element.get("name")
        where = f"{path}: image {name!r} (id {element.get('id')})"
        if not name:
            raise AlpickError(f"{path}: an <image> without a name")
        size = (int(_float(element, "width", where)), int(_float(element, "height", where)))
        boxes = []
        for child in element:
            if child.tag in _SHAPES:
                raise AlpickError(f"{where}: a <{child.tag}>; alpick imports boxes (<box>) only")
            if child.tag != "box":
                continue
            if abs(_float(child, "rotation", where) if child.get("rotation") else 0.0) > 1e-9:
                raise AlpickError(
                    f"{where}: a rotated box (rotation={child.get('rotation')}); alpick stores "
                    "axis-aligned boxes only: set its rotation to 0 in CVAT"
                )
            label = child.get("label")
            if not label:
                raise AlpickError(f"{where}: a <box> without a label")
            boxes.append(
                (
                    label,
                    _float(child, "xtl", where),
                    _float(child, "ytl", where),
                    _float(child, "xbr", where),
                    _float(child, "ybr", where),
                )
            )
        images.append(CvatImage(where, name, size, boxes))
    return images
