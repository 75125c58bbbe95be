"""Loading the ground-truth labels of the project's images at import time.

The readers live in :mod:`alpick.formats.labels_dir`; this module checks the format name, refuses
label files that belong to no image, and treats a missing labels folder as "no boxes yet".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.labels_dir import LABEL_FORMATS, find_orphan_label_files, load_label_dir

__all__ = ["LABEL_FORMATS", "check_format", "check_label_files", "label_suffix", "load_labels"]

_PER_IMAGE_SUFFIX = {"kitti": ".txt", "yolo": ".txt", "voc": ".xml"}

Image = tuple[str, int, int]


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


def check_label_files(labels_dir: Path, fmt: str, images: Sequence[Image]) -> None:
    """Refuse labels that have no image: per-image files, or images named in a COCO file.

    Raises:
        AlpickError: Naming the first such label (and how many there are).
    """
    orphans = find_orphan_label_files(labels_dir, fmt, images)
    if not orphans:
        return
    more = f" (and {len(orphans) - 1} more)" if len(orphans) > 1 else ""
    if fmt == "coco":
        raise AlpickError(
            f"COCO labels in {labels_dir} name image {orphans[0]!r}, which is not in the "
            f"images folder{more}"
        )
    raise AlpickError(f"label file {labels_dir / orphans[0]} has no image{more}")


def load_labels(
    labels_dir: Path, fmt: str, images: Sequence[Image]
) -> tuple[dict[str, Detections], Classes]:
    """Ground truth of ``images`` (relative path, width, height) from ``labels_dir``.

    A missing labels folder (or, for COCO, a folder without a ``.json``) means no image has
    boxes. For COCO, ``labels_dir`` may also be the ``.json`` file itself.

    Returns:
        Boxes per image path (every path present, empty when unlabelled; no path at all when
        there is no labels folder) and the class names.

    Raises:
        AlpickError: On a label without an image or bad label content (file and line).
    """
    fmt = check_format(fmt)
    if not labels_dir.exists() or (
        fmt == "coco" and labels_dir.is_dir() and not any(labels_dir.glob("*.json"))
    ):
        return {}, Classes()  # a million empty entries would cost a re-scan seconds
    check_label_files(labels_dir, fmt, images)
    return load_label_dir(labels_dir, fmt, images)
