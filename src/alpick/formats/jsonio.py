"""Reading and writing the JSON formats: clear errors, atomic writes, compact float32 values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import read_text, write_text_atomic
from alpick.formats.detections import Detections

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def make_detections(
    what: str,
    xyxy: Any,
    class_id: Any,
    confidence: Any = None,
    class_probs: Any = None,
) -> Detections:
    """A :class:`Detections`, its validation errors reported as ``AlpickError`` naming ``what``."""
    try:
        return Detections(xyxy, class_id, confidence, class_probs)
    except ValueError as exc:
        raise AlpickError(f"{what}: {exc}") from None


def read_json(path: Path) -> Any:
    """The parsed content of a JSON file.

    Raises:
        AlpickError: If the file is missing, unreadable or not valid JSON (naming the line).
    """
    path = Path(path)
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AlpickError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Write ``data`` as JSON to ``path`` atomically."""
    write_text_atomic(Path(path), json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def floats(values: NDArray[np.float32]) -> list[float]:
    """Float32 values as the shortest decimals that read back to the same float32."""
    return [float(str(v)) for v in np.asarray(values, np.float32).reshape(-1)]


def number(value: Any, what: str) -> float:
    """``value`` as a finite float.

    Raises:
        AlpickError: Naming ``what`` if it is not a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlpickError(f"{what}: expected a number, got {value!r}")
    try:
        out = float(value)
    except OverflowError:
        out = float("inf")
    if not np.isfinite(out) or abs(out) > _FLOAT32_MAX:
        raise AlpickError(f"{what}: expected a finite number, got {value!r}")
    return out


def integer(value: Any, what: str) -> int:
    """``value`` as an int (``3`` or ``3.0``).

    Raises:
        AlpickError: Naming ``what`` if it is not a whole number.
    """
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise AlpickError(f"{what}: expected a whole number, got {value!r}")
    return int(value)


def class_name(value: Any, what: str) -> str:
    """A class name: a non-empty string (a JSON ``null`` or number is not one).

    Raises:
        AlpickError: Otherwise, naming ``what``.
    """
    if not isinstance(value, str) or not value.strip():
        raise AlpickError(f"{what}: a class name must be a non-empty string, got {value!r}")
    return value


def box_xywh(value: Any, what: str) -> tuple[float, float, float, float]:
    """A ``[x, y, w, h]`` list with ``w, h >= 0``.

    Raises:
        AlpickError: Naming ``what`` if it is not four finite numbers with w, h >= 0.
    """
    if not isinstance(value, list) or len(value) != 4:
        raise AlpickError(f"{what}: bbox must be [x, y, w, h], got {value!r}")
    x, y, w, h = (number(v, f"{what}: bbox") for v in value)
    if w < 0 or h < 0:
        raise AlpickError(f"{what}: bbox has a negative width or height: {value!r}")
    return x, y, w, h
