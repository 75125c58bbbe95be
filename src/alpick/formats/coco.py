"""COCO instances JSON (ground truth, or predictions when annotations carry ``score``) and COCO
results JSON (a list of ``{image_id, category_id, bbox, score}``).

Boxes are ``bbox = [x, y, w, h]`` in pixels. Categories become a :class:`Classes` list ordered by
category id (class 0 = the smallest id); alpick writes category ids as class index + 1. Crowd
annotations (``iscrowd: 1``) are regions, not objects: they are left out when reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections, xywh_to_xyxy, xyxy_to_xywh
from alpick.formats.jsonio import (
    box_xywh,
    class_name,
    floats,
    integer,
    make_detections,
    number,
    read_json,
    write_json,
)


@dataclass(frozen=True)
class CocoIndex:
    """The images and categories of a COCO instances file.

    Attributes:
        image_ids: COCO image id -> file name.
        sizes: File name -> ``(width, height)``.
        category_ids: COCO category id -> class index in ``classes``.
        classes: Category names ordered by category id.
    """

    image_ids: dict[int, str]
    sizes: dict[str, tuple[int, int]]
    category_ids: dict[int, int]
    classes: Classes


def load_coco_index(path: Path) -> CocoIndex:
    """Read only the ``images`` and ``categories`` of a COCO instances file.

    Raises:
        AlpickError: If the file is not a COCO instances file, or an image or category is
            malformed or repeated.
    """
    return _index(Path(path), read_json(path))


def load_coco_instances(
    path: Path,
) -> tuple[dict[str, Detections], Classes, dict[str, tuple[int, int]]]:
    """Read a COCO instances file.

    Returns:
        Detections per image file name (every listed image, with or without boxes), the
        classes ordered by category id, and ``(width, height)`` per file name. When the
        annotations carry ``score`` (predictions saved in this layout) the detections have
        a confidence.

    Raises:
        AlpickError: For malformed JSON, an annotation naming an unknown image or category, a
            bad ``bbox``, or scores on some annotations but not others.
    """
    path = Path(path)
    data = read_json(path)
    index = _index(path, data)
    anns = data.get("annotations", [])
    if not isinstance(anns, list):
        raise AlpickError(f"{path}: 'annotations' must be a list")
    anns = [a for a in anns if not (isinstance(a, dict) and a.get("iscrowd") in (1, True))]
    scored = [isinstance(a, dict) and "score" in a for a in anns]
    if any(scored) and not all(scored):
        raise AlpickError(f"{path}: some annotations have a 'score' and some do not")
    dets = _group(path, anns, index, with_score=bool(anns) and all(scored))
    return dets, index.classes, index.sizes


def save_coco_instances(
    path: Path,
    dets: Mapping[str, Detections],
    classes: Classes,
    sizes: Mapping[str, tuple[int, int]],
) -> None:
    """Write a COCO instances file (atomically).

    Images get ids 1..N in the order of ``dets``, categories ids 1..C in the order of
    ``classes``; detections with a confidence write it as ``score``.

    Raises:
        AlpickError: If an image has no size, or a class id is beyond ``classes``.
    """
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, (name, det) in enumerate(dets.items(), start=1):
        if name not in sizes:
            raise AlpickError(f"no image size for {name!r}")
        width, height = sizes[name]
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for ann in _annotations(det, classes, image_id, first_id=len(annotations) + 1):
            ann["area"] = ann["bbox"][2] * ann["bbox"][3]
            ann["iscrowd"] = 0
            annotations.append(ann)
    categories = [{"id": i + 1, "name": n} for i, n in enumerate(classes.names)]
    write_json(path, {"images": images, "annotations": annotations, "categories": categories})


def load_coco_results(
    path: Path,
    image_ids: Mapping[int, str],
    classes: Classes,
    *,
    category_ids: Mapping[int, int] | None = None,
) -> dict[str, Detections]:
    """Read a COCO results file (a list of ``{image_id, category_id, bbox, score}``).

    Args:
        path: The results JSON.
        image_ids: COCO image id -> image name; every image gets an entry (empty detections
            with a confidence array when it has no results).
        classes: The class list the category ids refer to.
        category_ids: COCO category id -> class index; by default id ``k`` is class ``k - 1``
            (how :func:`save_coco_results` and :func:`save_coco_instances` write them).

    Raises:
        AlpickError: For malformed JSON or entries, an unknown image id, or a category id that
            is not one of the classes.
    """
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise AlpickError(f"{path}: a COCO results file must be a JSON list")
    if category_ids is None:
        n = len(classes)
        category_ids = {k: k - 1 for k in range(1, n + 1)}
    index = CocoIndex(dict(image_ids), {}, dict(category_ids), classes)
    return _group(path, data, index, with_score=True)


def save_coco_results(
    path: Path,
    dets: Mapping[str, Detections],
    image_ids: Mapping[str, int] | None = None,
) -> None:
    """Write a COCO results file (atomically); category id = class index + 1.

    Args:
        path: Where to write.
        dets: Predictions (with confidence) per image name.
        image_ids: Image name -> COCO image id; by default 1..N in the order of ``dets``.

    Raises:
        AlpickError: If some detections have no confidence or an image has no id.
    """
    ids = image_ids or {name: i for i, name in enumerate(dets, start=1)}
    results: list[dict[str, Any]] = []
    for name, det in dets.items():
        if name not in ids:
            raise AlpickError(f"no COCO image id for {name!r}")
        if det.confidence is None:
            raise AlpickError(f"{name}: COCO results need a confidence for each box")
        results += _annotations(det, None, ids[name], first_id=None)
    write_json(path, results)


def _annotations(
    det: Detections, classes: Classes | None, image_id: int, *, first_id: int | None
) -> list[dict[str, Any]]:
    if classes is not None and len(det) and int(det.class_id.max()) >= len(classes):
        raise AlpickError(
            f"class id {int(det.class_id.max())} is beyond the {len(classes)} classes"
        )
    boxes = np.asarray(floats(xyxy_to_xywh(det.xyxy))).reshape(-1, 4).tolist()
    scores = floats(det.confidence) if det.confidence is not None else None
    out: list[dict[str, Any]] = []
    for k, (box, cls) in enumerate(zip(boxes, det.class_id.tolist(), strict=True)):
        ann: dict[str, Any] = {"image_id": image_id, "category_id": cls + 1, "bbox": box}
        if first_id is not None:
            ann = {"id": first_id + k, **ann}
        if scores is not None:
            ann["score"] = scores[k]
        out.append(ann)
    return out


def _index(path: Path, data: Any) -> CocoIndex:
    if not isinstance(data, dict) or "images" not in data:
        raise AlpickError(f"{path}: not a COCO instances file (no 'images')")
    images, categories = data["images"], data.get("categories", [])
    if not isinstance(images, list) or not isinstance(categories, list):
        raise AlpickError(f"{path}: 'images' and 'categories' must be lists")
    image_ids: dict[int, str] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for k, img in enumerate(images):
        what = f"{path}: images[{k}]"
        if not isinstance(img, dict) or not {"id", "file_name"} <= img.keys():
            raise AlpickError(f"{what}: needs 'id' and 'file_name'")
        image_id, name = integer(img["id"], what), str(img["file_name"])
        if image_id in image_ids or name in sizes:
            raise AlpickError(f"{what}: repeated image id {image_id} or file name {name!r}")
        image_ids[image_id] = name
        sizes[name] = (integer(img.get("width", 0), what), integer(img.get("height", 0), what))
    cats: list[tuple[int, str]] = []
    for k, cat in enumerate(categories):
        what = f"{path}: categories[{k}]"
        if not isinstance(cat, dict) or not {"id", "name"} <= cat.keys():
            raise AlpickError(f"{what}: needs 'id' and 'name'")
        cats.append((integer(cat["id"], what), class_name(cat["name"], what)))
    cats.sort()
    ids, names = [c[0] for c in cats], [c[1] for c in cats]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise AlpickError(f"{path}: repeated category id or name")
    return CocoIndex(image_ids, sizes, {c: i for i, c in enumerate(ids)}, Classes(names))


def _group(
    path: Path, anns: Sequence[Any], index: CocoIndex, *, with_score: bool
) -> dict[str, Detections]:
    """Detections per image name (every image of the index) from annotation/result dicts."""
    names = list(index.image_ids.values())
    position = {image_id: k for k, image_id in enumerate(index.image_ids)}
    n = len(anns)
    image = np.zeros(n, np.int64)
    cls = np.zeros(n, np.int64)
    xywh = np.zeros((n, 4), np.float64)
    score = np.zeros(n, np.float64)
    for k, ann in enumerate(anns):
        what = f"{path}: annotation {k}"
        if not isinstance(ann, dict):
            raise AlpickError(f"{what}: expected an object")
        image_id = integer(ann.get("image_id"), f"{what}: image_id")
        category_id = integer(ann.get("category_id"), f"{what}: category_id")
        if image_id not in position:
            raise AlpickError(f"{what}: unknown image_id {image_id}")
        if category_id not in index.category_ids:
            raise AlpickError(f"{what}: unknown category_id {category_id}")
        image[k] = position[image_id]
        cls[k] = index.category_ids[category_id]
        xywh[k] = box_xywh(ann.get("bbox"), what)
        if with_score:
            score[k] = number(ann.get("score"), f"{what}: score")
    order = np.argsort(image, kind="stable")
    bounds = np.searchsorted(image[order], np.arange(len(names) + 1))
    xyxy = xywh_to_xyxy(xywh[order])
    cls, score = cls[order], score[order]
    out: dict[str, Detections] = {}
    for k, name in enumerate(names):
        sl = slice(bounds[k], bounds[k + 1])
        conf = score[sl] if with_score else None
        out[name] = make_detections(f"{path}: {name}", xyxy[sl], cls[sl], conf)
    return out
