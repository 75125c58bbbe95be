"""The prediction format of the data platform's successor (LightlyOne), object detection.

One JSON per image::

    {"file_name": "sub/img.png",
     "predictions": [{"category_id": 0, "bbox": [x, y, w, h], "score": 0.9,
                      "probabilities": [0.9, 0.1]}]}      # probabilities optional

``bbox`` is in pixels (top-left corner, width, height). The folder layout under a datasource::

    .lightly/predictions/tasks.json             ["my_task", ...]
    .lightly/predictions/my_task/schema.json    {"task_type": "object-detection",
                                                 "categories": [{"id": 0, "name": "apple"}]}
    .lightly/predictions/my_task/sub/img.json   one file per image: its path, suffix .json

Category ids map to classes in order of id (class 0 = the smallest id); alpick writes id = class
index. Class probabilities, when every box has them, become ``Detections.class_probs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
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

PREDICTIONS_DIR = Path(".lightly") / "predictions"
TASK_TYPE = "object-detection"


def load_lightly_prediction(
    path: Path, category_ids: Mapping[int, int] | None = None
) -> tuple[str, Detections]:
    """Read one per-image prediction JSON.

    Args:
        path: The JSON file.
        category_ids: Category id -> class index (from the task's schema); by default the
            category id is the class index.

    Returns:
        The image's ``file_name`` and its detections (always with a confidence).

    Raises:
        AlpickError: For malformed JSON, a missing field, a bad ``bbox`` or ``score``, or an
            unknown category id.
    """
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict) or "predictions" not in data or "file_name" not in data:
        raise AlpickError(f"{path}: needs 'file_name' and 'predictions'")
    preds = data["predictions"]
    if not isinstance(preds, list):
        raise AlpickError(f"{path}: 'predictions' must be a list")
    n = len(preds)
    xywh = np.zeros((n, 4), np.float64)
    cls = np.zeros(n, np.int64)
    score = np.zeros(n, np.float64)
    probs: list[list[float]] = []
    for k, pred in enumerate(preds):
        what = f"{path}: prediction {k}"
        if not isinstance(pred, dict):
            raise AlpickError(f"{what}: expected an object")
        category = integer(pred.get("category_id"), f"{what}: category_id")
        if category_ids is not None and category not in category_ids:
            raise AlpickError(f"{what}: category_id {category} is not in the schema")
        if category < 0:
            raise AlpickError(f"{what}: category_id must be >= 0")
        cls[k] = category if category_ids is None else category_ids[category]
        xywh[k] = box_xywh(pred.get("bbox"), what)
        score[k] = number(pred.get("score"), f"{what}: score")
        if isinstance(pred.get("probabilities"), list):
            probs.append([number(p, f"{what}: probabilities") for p in pred["probabilities"]])
    class_probs = None
    if n and len(probs) == n:
        if len({len(p) for p in probs}) != 1:
            raise AlpickError(f"{path}: 'probabilities' lists of different lengths")
        class_probs = np.array(probs, np.float64)
    det = make_detections(str(path), xywh_to_xyxy(xywh), cls, score, class_probs)
    file_name = data["file_name"]
    if not isinstance(file_name, str) or not file_name:
        raise AlpickError(f"{path}: 'file_name' must be a non-empty string")
    parts = PurePosixPath(file_name.replace("\\", "/")).parts
    if file_name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise AlpickError(f"{path}: 'file_name' {file_name!r} leaves the images folder")
    return file_name, det


def save_lightly_prediction(path: Path, file_name: str, det: Detections) -> None:
    """Write one per-image prediction JSON (atomically); category id = class index.

    Raises:
        AlpickError: If ``det`` has no confidence.
    """
    write_json(path, _prediction_json(file_name, det))


def save_lightly_task(
    root: Path, task: str, dets: Mapping[str, Detections], classes: Classes
) -> Path:
    """Write a whole object-detection task under ``root/.lightly/predictions``.

    Adds ``task`` to ``tasks.json`` (keeping the tasks already there), writes ``schema.json``
    and one JSON per image.

    Args:
        root: The datasource folder (the one that holds, or will hold, ``.lightly``).
        task: The task name (a folder name).
        dets: Predictions (with confidence) per image path relative to the images root,
            e.g. ``"sub/img.png"``.
        classes: Class names; category id = class index.

    Returns:
        The task folder.

    Raises:
        AlpickError: If the task name is not a plain folder name, an image path is absolute or
            leaves the folder, or detections have no confidence.
    """
    if not task or task in (".", "..") or any(c in task for c in "/\\"):
        raise AlpickError(f"task name must be a plain folder name, got {task!r}")
    predictions = Path(root) / PREDICTIONS_DIR
    task_dir = predictions / task
    targets = {name: _json_path(name) for name in dets}
    if len(set(targets.values())) != len(targets):
        raise AlpickError("two images differ only in their suffix; their predictions would clash")
    # Everything is built and checked in memory first: a bad tasks.json or a box without a
    # confidence fails before any file is written.
    tasks_file = predictions / "tasks.json"
    tasks = read_json(tasks_file) if tasks_file.exists() else []
    if not isinstance(tasks, list):
        raise AlpickError(f"{tasks_file}: must be a JSON list of task names")
    payloads = {task_dir / targets[name]: _prediction_json(name, det) for name, det in dets.items()}
    categories = [{"id": i, "name": n} for i, n in enumerate(classes.names)]
    for path, payload in payloads.items():
        write_json(path, payload)
    write_json(task_dir / "schema.json", {"task_type": TASK_TYPE, "categories": categories})
    if task not in tasks:
        write_json(tasks_file, [*tasks, task])
    return task_dir


def load_lightly_task(root: Path, task: str) -> tuple[dict[str, Detections], Classes]:
    """Read an object-detection task written in the layout above.

    Args:
        root: The datasource folder holding ``.lightly``.
        task: The task name.

    Returns:
        Detections per image ``file_name`` (sorted by the JSON files' paths) and the classes
        from the schema.

    Raises:
        AlpickError: If the task or its schema is missing, the task is not object detection,
            or a file is malformed.
    """
    task_dir = Path(root) / PREDICTIONS_DIR / task
    classes, category_ids = load_lightly_schema(task_dir)
    out: dict[str, Detections] = {}
    for path in lightly_prediction_files(task_dir):
        name, det = load_lightly_prediction(path, category_ids)
        if name in out:
            raise AlpickError(f"{path}: file_name {name!r} appears twice in the task")
        out[name] = det
    return out, classes


def load_lightly_schema(task_dir: Path) -> tuple[Classes, dict[int, int]]:
    """The classes of a task folder's ``schema.json`` and its category id -> class index map.

    Raises:
        AlpickError: If the schema is missing, malformed, or not for object detection.
    """
    path = Path(task_dir) / "schema.json"
    if not Path(task_dir).is_dir():
        raise AlpickError(f"{task_dir}: no such prediction task")
    schema = read_json(path)
    if not isinstance(schema, dict) or schema.get("task_type") != TASK_TYPE:
        raise AlpickError(f"{path}: task_type must be {TASK_TYPE!r}")
    cats = schema.get("categories")
    if not isinstance(cats, list):
        raise AlpickError(f"{path}: 'categories' must be a list")
    pairs: list[tuple[int, str]] = []
    for k, cat in enumerate(cats):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise AlpickError(f"{path}: categories[{k}] needs 'id' and 'name'")
        where = f"{path}: categories[{k}]"
        pairs.append((integer(cat["id"], where), class_name(cat["name"], where)))
    pairs.sort()
    ids, names = [p[0] for p in pairs], [p[1] for p in pairs]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise AlpickError(f"{path}: repeated category id or name")
    return Classes(names), {c: i for i, c in enumerate(ids)}


def lightly_prediction_files(task_dir: Path) -> list[Path]:
    """The per-image JSON files of a task folder (all but ``schema.json``), sorted."""
    task_dir = Path(task_dir)
    files = [p for p in task_dir.rglob("*.json") if p.is_file()]
    return sorted(p for p in files if p.relative_to(task_dir) != Path("schema.json"))


def _json_path(image_path: str) -> Path:
    rel = PurePosixPath(image_path.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.name:
        raise AlpickError(f"image path must be relative and inside the folder: {image_path!r}")
    return Path(*rel.with_suffix(".json").parts)


def _prediction_json(file_name: str, det: Detections) -> dict[str, Any]:
    if det.confidence is None:
        raise AlpickError(f"{file_name}: a prediction needs a confidence for each box")
    boxes = np.asarray(floats(xyxy_to_xywh(det.xyxy))).reshape(-1, 4).tolist()
    scores = floats(det.confidence)
    probs = None
    if det.class_probs is not None:
        probs = np.asarray(floats(det.class_probs)).reshape(det.class_probs.shape).tolist()
    preds: list[dict[str, Any]] = []
    for k, (box, cls) in enumerate(zip(boxes, det.class_id.tolist(), strict=True)):
        pred: dict[str, Any] = {"category_id": cls, "bbox": box, "score": scores[k]}
        if probs is not None:
            pred["probabilities"] = probs[k]
        preds.append(pred)
    return {"file_name": file_name, "predictions": preds}
