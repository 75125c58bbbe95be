"""Array files beside the database: atomic writes and the packed layout of prediction sets.

A prediction set is one ``.npz`` of flat arrays: ``sample_ids (S,)``, ``offsets (S+1,)`` (boxes
of sample ``i`` are rows ``offsets[i]:offsets[i+1]``), ``xyxy (B, 4)``, ``class_id (B,)``,
``confidence (B,)`` and, when known, ``class_probs (B, C)``. Loading it is a handful of reads
and ``S`` slices, not ``S`` files.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import atomic_open
from alpick.formats.detections import Detections


def fresh_file(folder: Path, name: str, suffix: str) -> Path:
    """A path in ``folder`` for a new array file of set ``name``, never an existing one.

    Raises:
        AlpickError: If the folder cannot be made (a file in its place, no permission).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in its place" if isinstance(exc, FileExistsError) else exc.strerror
        raise AlpickError(f"cannot make the project's folder {folder}: {reason}") from None
    path = folder / f"{name}{suffix}"
    while path.exists():
        path = folder / f"{name}.{secrets.token_hex(4)}{suffix}"
    return path


def save_npy(path: Path, array: NDArray[Any]) -> None:
    """Write ``array`` to ``path`` atomically (temp file in the same folder, then rename)."""
    with atomic_open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def save_npz(path: Path, arrays: Mapping[str, NDArray[Any]]) -> None:
    """Write ``arrays`` to ``path`` (uncompressed ``.npz``) atomically."""
    with atomic_open(path, "wb") as fh:
        np.savez(fh, allow_pickle=False, **arrays)


def load_npy(path: Path) -> NDArray[Any]:
    """Read an array file written by :func:`save_npy`.

    Raises:
        AlpickError: If it is missing or unreadable.
    """
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None


def load_npz(path: Path) -> dict[str, NDArray[Any]]:
    """Read all arrays of an ``.npz`` written by :func:`save_npz`.

    Raises:
        AlpickError: If it is missing or unreadable.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None


def pack_detections(
    detections: Mapping[int, Detections], n_classes: int
) -> tuple[dict[str, NDArray[Any]], int]:
    """Flatten per-sample detections into the prediction-set arrays.

    Args:
        detections: Sample id to its boxes; every box must carry a confidence. Class
            probabilities are kept only when every sample with boxes has them, with one width.
        n_classes: Number of class names; class ids must be below it.

    Returns:
        The arrays to save, and the total number of boxes.

    Raises:
        AlpickError: On a box without confidence, a class id out of range, or mixed
            class-probability widths.
    """
    ids = np.array(sorted(detections), dtype=np.int64)
    parts = [detections[int(i)] for i in ids]
    counts = np.array([len(p) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    filled = [p for p in parts if len(p)]
    for sid, part in zip(ids, parts, strict=True):
        if len(part) and part.confidence is None:
            raise AlpickError(f"predictions of sample {sid} have no confidence")
        if len(part) and int(part.class_id.max()) >= n_classes:
            raise AlpickError(
                f"predictions of sample {sid} use class id {int(part.class_id.max())} "
                f"but only {n_classes} classes are named"
            )
    arrays: dict[str, NDArray[Any]] = {
        "sample_ids": ids,
        "offsets": offsets,
        "xyxy": np.concatenate([p.xyxy for p in filled])
        if filled
        else np.zeros((0, 4), np.float32),
        "class_id": np.concatenate([p.class_id for p in filled])
        if filled
        else np.zeros(0, np.int64),
        "confidence": (
            np.concatenate([p.confidence for p in filled if p.confidence is not None])
            if filled
            else np.zeros(0, np.float32)
        ),
    }
    probs = [p.class_probs for p in filled]
    if filled and all(p is not None for p in probs):
        widths = {p.shape[1] for p in probs if p is not None}
        if len(widths) > 1:
            raise AlpickError(f"class probabilities have different widths: {sorted(widths)}")
        arrays["class_probs"] = np.concatenate([p for p in probs if p is not None])
    return arrays, int(offsets[-1])


def unpack_detections(arrays: Mapping[str, NDArray[Any]]) -> dict[int, Detections]:
    """Inverse of :func:`pack_detections`: sample id to its detections."""
    ids = arrays["sample_ids"].tolist()
    offsets = arrays["offsets"].tolist()
    xyxy = arrays["xyxy"].astype(np.float32, copy=False)
    class_id = arrays["class_id"].astype(np.int64, copy=False)
    confidence = arrays["confidence"].astype(np.float32, copy=False)
    probs = arrays.get("class_probs")
    out: dict[int, Detections] = {}
    for i, sid in enumerate(ids):
        a, b = offsets[i], offsets[i + 1]
        # validated when saved: no checks again, so 100,000 samples load fast
        out[sid] = Detections.unchecked(
            xyxy[a:b], class_id[a:b], confidence[a:b], None if probs is None else probs[a:b]
        )
    return out
