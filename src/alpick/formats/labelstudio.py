"""Label Studio: tasks JSON (with pre-annotations), the labelling config, and its JSON export.

Label Studio's rectangles are in **percent of the image size**: ``x``, ``y`` (top-left corner),
``width``, ``height`` in 0..100, with ``rotation`` in degrees (clockwise, about the top-left
corner) and the image size in ``original_width`` / ``original_height`` of each result. A task is
``{"data": {"image": REF, ...}, "annotations": [...], "predictions": [...]}``; an annotation or
prediction holds a ``result`` list. alpick writes ``data.alpick_path`` and ``data.alpick_id`` so
that an export maps back to the project's images whatever the image reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.jsonio import read_json

FROM_NAME = "label"
TO_NAME = "image"

# Result types that are shapes other than rectangles: refused (alpick stores boxes only).
_OTHER_SHAPES = (
    "polygonlabels",
    "keypointlabels",
    "brushlabels",
    "ellipselabels",
    "polygon",
    "keypoint",
    "brush",
    "ellipse",
    "rectangle",
)


def labeling_config(classes: Sequence[str]) -> str:
    """The labelling config XML: one image, a RectangleLabels control with ``classes``."""
    labels = "".join(f"    <Label value={quoteattr(name)}/>\n" for name in classes)
    return (
        "<View>\n"
        f'  <Image name="{TO_NAME}" value="$image" zoom="true"/>\n'
        f'  <RectangleLabels name="{FROM_NAME}" toName="{TO_NAME}">\n'
        f"{labels}"
        "  </RectangleLabels>\n"
        "</View>\n"
    )


def rectangle_results(
    det: Detections, classes: Classes, *, width: int, height: int, prefix: str
) -> list[dict[str, Any]]:
    """``det`` as Label Studio rectanglelabels results (percent coordinates; a box with a
    confidence carries it as ``score``)."""
    results = []
    conf = det.confidence
    for k, ((x0, y0, x1, y1), cid) in enumerate(
        zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True)
    ):
        item: dict[str, Any] = {
            "id": f"{prefix}{k}",
            "type": "rectanglelabels",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "original_width": width,
            "original_height": height,
            "image_rotation": 0,
            "value": {
                "x": x0 / width * 100.0,
                "y": y0 / height * 100.0,
                "width": (x1 - x0) / width * 100.0,
                "height": (y1 - y0) / height * 100.0,
                "rotation": 0,
                "rectanglelabels": [classes.name(int(cid))],
            },
        }
        if conf is not None:
            item["score"] = float(conf[k])
        results.append(item)
    return results


@dataclass(frozen=True)
class LsBox:
    """One rectangle of an annotation, as Label Studio wrote it (percent of the image).

    Attributes:
        label: Its class name.
        x, y, width, height: Top-left corner and size in percent of the image.
        rotation: Degrees.
        original_size: ``(original_width, original_height)`` when given.
    """

    label: str
    x: float
    y: float
    width: float
    height: float
    rotation: float
    original_size: tuple[int, int] | None


@dataclass(frozen=True)
class LsTask:
    """One task of a Label Studio export.

    Attributes:
        where: ``FILE: task N (id I)``, for messages.
        data: The task's ``data``.
        boxes: The rectangles of its latest non-cancelled annotation, or ``None`` when it has
            no such annotation.
    """

    where: str
    data: dict[str, Any]
    boxes: list[LsBox] | None


def _num(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlpickError(f"{where}: {what} must be a number, got {value!r}")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise AlpickError(f"{where}: {what} must be finite, got {value!r}")
    return number


def _box(item: Any, where: str) -> LsBox | None:
    if not isinstance(item, dict):
        raise AlpickError(f"{where}: a result must be an object")
    kind = str(item.get("type", "")).lower()
    if kind in _OTHER_SHAPES:
        raise AlpickError(
            f"{where}: a {kind} result; alpick imports rectangles (rectanglelabels) only"
        )
    if kind != "rectanglelabels":
        return None  # choices, text areas, ratings...: not boxes
    value = item.get("value")
    if not isinstance(value, dict):
        raise AlpickError(f"{where}: a rectanglelabels result without a 'value' object")
    names = value.get("rectanglelabels")
    if not isinstance(names, list) or len(names) != 1 or not isinstance(names[0], str):
        raise AlpickError(f"{where}: a rectangle must have exactly one label, got {names!r}")
    size = None
    if "original_width" in item and "original_height" in item:
        size = (
            int(_num(item["original_width"], where, "original_width")),
            int(_num(item["original_height"], where, "original_height")),
        )
    return LsBox(
        names[0],
        _num(value.get("x"), where, "x"),
        _num(value.get("y"), where, "y"),
        _num(value.get("width"), where, "width"),
        _num(value.get("height"), where, "height"),
        _num(value.get("rotation", 0), where, "rotation"),
        size,
    )


def _latest(annotations: list[Any], where: str) -> dict[str, Any] | None:
    done = [
        a
        for a in annotations
        if isinstance(a, dict) and not a.get("was_cancelled", False) and "result" in a
    ]
    if not done:
        return None

    def key(a: dict[str, Any]) -> tuple[str, int]:
        when = a.get("updated_at") or a.get("created_at") or ""
        ident = a.get("id")
        return (str(when), ident if isinstance(ident, int) else 0)

    return max(done, key=key)


def load_label_studio_export(path: Path) -> list[LsTask]:
    """Read Label Studio's JSON export (a list of tasks): the latest non-cancelled annotation
    of each task (predictions are ignored).

    Raises:
        AlpickError: For a file that is not a list of tasks, or a malformed result, naming the
            file and task.
    """
    data = read_json(path)
    if isinstance(data, dict) and "data" in data:
        data = [data]
    if not isinstance(data, list):
        raise AlpickError(f"{path}: expected a Label Studio JSON export (a list of tasks)")
    tasks = []
    for n, task in enumerate(data, start=1):
        ident = task.get("id") if isinstance(task, dict) else None
        where = f"{path}: task {n}" + (f" (id {ident})" if ident is not None else "")
        if isinstance(task, dict) and "data" not in task and "image" in task:
            raise AlpickError(
                f"{where}: this looks like Label Studio's JSON-MIN export; export as JSON"
            )
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise AlpickError(f"{where}: a task must be an object with a 'data' object")
        annotations = task.get("annotations", [])
        if not isinstance(annotations, list):
            raise AlpickError(f"{where}: 'annotations' must be a list")
        chosen = _latest(annotations, where)
        boxes = None
        if chosen is not None:
            result = chosen["result"]
            if not isinstance(result, list):
                raise AlpickError(f"{where}: an annotation's 'result' must be a list")
            found = [_box(item, where) for item in result]
            boxes = [b for b in found if b is not None]
        tasks.append(LsTask(where, task["data"], boxes))
    return tasks
