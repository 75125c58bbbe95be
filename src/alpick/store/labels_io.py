"""Loading the ground-truth labels of the project's images at import time.

The readers live in ``alpick.formats``; this module picks the folder reader, checks that every
label file belongs to an image, and (until the formats package lands) carries a minimal KITTI
reader of its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections

LABEL_FORMATS = ("kitti", "coco", "yolo", "voc")
"""Label formats ``alpick init`` accepts."""

_PER_IMAGE_SUFFIX = {"kitti": ".txt", "yolo": ".txt", "voc": ".xml"}
_NOT_LABEL_FILES = {"yolo": {"classes.txt"}}


def check_format(fmt: str) -> str:
    """``fmt`` lower-cased, if it is a known label format.

    Raises:
        AlpickError: If it is not one of :data:`LABEL_FORMATS`.
    """
    low = fmt.lower()
    if low not in LABEL_FORMATS:
        raise AlpickError(f"unknown label format {fmt!r} (choose from {', '.join(LABEL_FORMATS)})")
    return low


def label_suffix(fmt: str) -> str | None:
    """The suffix of a per-image label file in ``fmt`` (``.txt``, ``.xml``), or ``None``."""
    return _PER_IMAGE_SUFFIX.get(fmt)


def check_label_files(labels_dir: Path, fmt: str, image_paths: Sequence[str]) -> None:
    """Refuse per-image label files that have no image.

    Raises:
        AlpickError: Naming the first label file (and how many there are) without an image.
    """
    suffix = label_suffix(fmt)
    if suffix is None or not labels_dir.is_dir():
        return
    stems = {os.path.splitext(p)[0] for p in image_paths}
    skip = _NOT_LABEL_FILES.get(fmt, set())
    orphans = []
    for folder, dirs, files in os.walk(labels_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(folder).relative_to(labels_dir).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for name in sorted(files):
            stem, ext = os.path.splitext(name)
            if ext.lower() != suffix or name.startswith(".") or (not prefix and name in skip):
                continue
            if prefix + stem not in stems:
                orphans.append(prefix + name)
    if orphans:
        more = f" (and {len(orphans) - 1} more)" if len(orphans) > 1 else ""
        raise AlpickError(f"label file {labels_dir / orphans[0]} has no image{more}")


def load_labels(
    labels_dir: Path, fmt: str, images: Sequence[tuple[str, int, int]]
) -> tuple[dict[str, Detections], Classes]:
    """Ground truth of ``images`` (relative path, width, height) from ``labels_dir``.

    A missing labels folder (or file, for COCO) means no image has boxes.

    Returns:
        Boxes per image path (every path present, empty when unlabelled) and the class names.

    Raises:
        AlpickError: On a label file without an image or bad label content (file and line).
    """
    fmt = check_format(fmt)
    if not labels_dir.exists():
        return {p: Detections.empty() for p, _, _ in images}, Classes()
    check_label_files(labels_dir, fmt, [p for p, _, _ in images])
    boxes, classes = _load_labels(labels_dir, fmt, images)
    return {p: boxes.get(p, Detections.empty()) for p, _, _ in images}, classes


def _load_labels(
    labels_dir: Path, fmt: str, images: Sequence[tuple[str, int, int]]
) -> tuple[dict[str, Detections], Classes]:
    try:
        from alpick.formats.labels_dir import load_label_dir  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        # fallback until formats land; integrator removes
        if fmt != "kitti":
            raise AlpickError(f"label format {fmt!r} is not available yet") from None
        return _fallback_load_kitti_dir(labels_dir, images)
    result: tuple[dict[str, Detections], Classes] = load_label_dir(labels_dir, fmt, images)
    return result


# --- fallback until formats land; integrator removes (everything below) ---------------------


def _fallback_load_kitti_dir(
    labels_dir: Path, images: Sequence[tuple[str, int, int]]
) -> tuple[dict[str, Detections], Classes]:
    classes = Classes()
    out: dict[str, Detections] = {}
    for path, width, height in images:
        file = labels_dir / Path(path).with_suffix(".txt")
        if file.is_file():
            out[path] = _fallback_read_kitti(file, classes).clip(width, height)
    return out, classes


def _fallback_read_kitti(file: Path, classes: Classes) -> Detections:
    rows: list[list[float]] = []
    ids: list[int] = []
    text = file.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (15, 16):
            raise AlpickError(f"{file}:{number}: expected 15 or 16 columns, got {len(fields)}")
        try:
            x0, y0, x1, y1 = (float(v) for v in fields[4:8])
        except ValueError:
            raise AlpickError(f"{file}:{number}: box coordinates must be numbers") from None
        if not np.isfinite([x0, y0, x1, y1]).all():
            raise AlpickError(f"{file}:{number}: box coordinates must be finite")
        if x1 < x0 or y1 < y0:
            raise AlpickError(f"{file}:{number}: box has x1 < x0 or y1 < y0")
        rows.append([x0, y0, x1, y1])
        ids.append(classes.id(fields[0]))
    if not rows:
        return Detections.empty()
    return Detections(np.array(rows, np.float32), np.array(ids, np.int64))
