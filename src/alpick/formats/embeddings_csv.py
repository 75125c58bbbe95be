"""Embeddings CSV as ``lightly-embed`` writes it.

::

    filenames,embedding_0,embedding_1,...,embedding_{D-1},labels
    img_001.png,0.1234,-0.5,...,0.02,0

One row per image: its file name (relative to the images folder), ``D`` numbers, and a label
(``0`` when there is none).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import read_text, write_text_atomic


def load_embeddings_csv(path: Path) -> tuple[list[str], NDArray[np.float32], list[str]]:
    """Read an embeddings CSV.

    Returns:
        The file names, the embeddings ``(N, D)`` float32 and the labels (as text).

    Raises:
        AlpickError: For a missing or empty file, a header that is not
            ``filenames,embedding_0..embedding_{D-1},labels``, a row of a different length, or
            a value that is not a finite number (naming the line).
    """
    path = Path(path)
    text = read_text(path)
    if not text.strip():
        raise AlpickError(f"{path}: empty file")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    dim = _check_header(path, header)
    filenames: list[str] = []
    labels: list[str] = []
    values: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != dim + 2:
            raise AlpickError(
                f"{path}:{reader.line_num}: expected {dim + 2} columns "
                f"(a file name, {dim} numbers, a label), got {len(row)}"
            )
        filenames.append(row[0])
        values.append(row[1:-1])
        labels.append(row[-1].strip())
        lines.append(reader.line_num)
    embeddings = _to_array(path, values, lines, dim)
    return filenames, embeddings, labels


def save_embeddings_csv(
    path: Path,
    filenames: Sequence[str],
    embeddings: NDArray[np.floating],
    labels: Sequence[str | int] | None = None,
) -> None:
    """Write an embeddings CSV (atomically); labels default to ``0``.

    Raises:
        AlpickError: If the numbers of file names, rows and labels disagree.
    """
    emb = np.asarray(embeddings, np.float32)
    if emb.ndim != 2 or len(emb) != len(filenames):
        raise AlpickError(f"embeddings must be (N, D) with N = {len(filenames)}, got {emb.shape}")
    if labels is not None and len(labels) != len(filenames):
        raise AlpickError(f"{len(labels)} labels for {len(filenames)} file names")
    if not np.isfinite(emb).all():
        raise AlpickError("embeddings must be finite")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["filenames", *(f"embedding_{i}" for i in range(emb.shape[1])), "labels"])
    label_list = [0] * len(filenames) if labels is None else list(labels)
    for name, row, label in zip(filenames, emb.tolist(), label_list, strict=True):
        # 9 significant digits read back to the same float32.
        writer.writerow([name, *(f"{v:.9g}" for v in row), label])
    write_text_atomic(Path(path), buf.getvalue())


def _check_header(path: Path, header: list[str]) -> int:
    if not header or header[0] != "filenames":
        raise AlpickError(f"{path}:1: the header must start with 'filenames'")
    if header[-1] != "labels":
        raise AlpickError(f"{path}:1: the header must end with 'labels'")
    dim = len(header) - 2
    if dim < 1:
        raise AlpickError(f"{path}:1: no embedding_* columns in the header")
    for i, name in enumerate(header[1:-1]):
        if name != f"embedding_{i}":
            raise AlpickError(f"{path}:1: column {i + 2} should be 'embedding_{i}', got {name!r}")
    return dim


def _to_array(
    path: Path, values: list[list[str]], lines: list[int], dim: int
) -> NDArray[np.float32]:
    if not values:
        return np.zeros((0, dim), np.float32)
    try:
        arr = np.array(values, dtype=np.float64)
    except ValueError:
        for row, line in zip(values, lines, strict=True):
            for v in row:
                try:
                    float(v)
                except ValueError:
                    raise AlpickError(f"{path}:{line}: not a number: {v!r}") from None
        raise  # pragma: no cover - numpy failed but no single value did
    bad = ~np.isfinite(arr) | (np.abs(arr) > np.finfo(np.float32).max)
    if bad.any():
        first = int(np.flatnonzero(bad.any(1))[0])
        raise AlpickError(f"{path}:{lines[first]}: values must be finite numbers")
    return arr.astype(np.float32)
