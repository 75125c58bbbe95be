"""KITTI labels (15 columns) and TLT/TAO predictions (16th column = confidence).

A line is ``class trunc occl alpha x0 y0 x1 y1 h w l x y z ry [confidence]``: the class name
(no spaces), then numbers; alpick uses the class, the 2D box (pixels, columns 5 to 8) and the
confidence. An empty or missing file means no boxes; a file with one line is one box; CRLF line
ends, trailing spaces and blank lines are fine. A file must not mix 15- and 16-column lines.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import ReadPool, write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.formats.tokens import (
    TokenTable,
    check_number_chars,
    raise_at,
    read_bytes,
    to_float,
    to_str,
    token_lengths,
    tokenise,
)

LABEL_COLUMNS = 15
PREDICTION_COLUMNS = 16
_CHUNK_FILES = 4096
_ImageSize = tuple[int, int] | None


def parse_kitti(
    text: str,
    classes: Classes,
    *,
    source: str = "<string>",
    image_size: tuple[int, int] | None = None,
) -> Detections:
    """Parse the text of one KITTI file.

    Args:
        text: The file's content.
        classes: Class names; new names are appended.
        source: The file name used in error messages.
        image_size: ``(width, height)``; boxes are clipped to the image when given.

    Returns:
        The boxes; ``confidence`` is set when the lines have 16 columns, else ``None``.

    Raises:
        AlpickError: ``SOURCE:LINE: ...`` for a line with the wrong number of columns, a value
            that is not a number, a box with x1 < x0 or y1 < y0, or a file mixing 15 and 16
            columns.
    """
    return _parse([text.encode("utf-8")], [source], classes, [image_size], predictions=False)[0]


def load_kitti(
    path: Path, classes: Classes, *, image_size: tuple[int, int] | None = None
) -> Detections:
    """Read one KITTI file; a missing or empty file means no boxes (see :func:`parse_kitti`)."""
    path = Path(path)
    return _parse([read_bytes(path)], [str(path)], classes, [image_size], predictions=False)[0]


def load_kitti_dir(
    directory: Path,
    classes: Classes,
    *,
    names: Sequence[str] | None = None,
    predictions: bool = True,
    image_sizes: Sequence[tuple[int, int] | None] | None = None,
) -> tuple[list[str], list[Detections]]:
    """Read many KITTI files at once (fast: the parse is vectorised over all of them).

    Args:
        directory: The folder of ``.txt`` files.
        names: File stems to read, e.g. ``["img_001", "sub/img_002"]`` for
            ``directory/img_001.txt`` ...; a missing file means no boxes. ``None`` reads every
            ``*.txt`` directly in ``directory``, sorted by name.
        predictions: When true (TLT/TAO inference output) every file must have 16 columns and
            every result has a confidence array, empty for an empty file. When false the
            results are as the files say (``confidence`` is ``None`` for 15 columns).
        image_sizes: ``(width, height)`` per name (or ``None``) to clip the boxes to.

    Returns:
        The names and the detections of each, in the same order.

    Raises:
        AlpickError: If ``directory`` is not a folder, or for a malformed line (naming file and
            line).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise AlpickError(f"{directory}: no such folder")
    if names is None:
        with os.scandir(directory) as entries:
            names = sorted(e.name[:-4] for e in entries if e.name.endswith(".txt") and e.is_file())
    names = list(names)
    if image_sizes is not None and len(image_sizes) != len(names):
        raise AlpickError(f"{len(image_sizes)} image sizes for {len(names)} files")
    dets: list[Detections] = []
    reader = ReadPool()  # on a few threads while the files come from the disk
    for lo in range(0, len(names), _CHUNK_FILES):
        chunk = names[lo : lo + _CHUNK_FILES]
        paths = [os.path.join(directory, f"{name}.txt") for name in chunk]
        sizes = [None] * len(chunk) if image_sizes is None else image_sizes[lo : lo + len(chunk)]
        blobs = reader.map(read_bytes, paths)
        dets += _parse(blobs, paths, classes, sizes, predictions=predictions)
    return names, dets


def format_kitti(det: Detections, classes: Classes) -> str:
    """KITTI text of ``det``: 15 columns, or 16 when it has a confidence.

    The 3D fields are written as zeros, like TLT does; coordinates with 2 decimals, confidences
    with 6.

    Raises:
        AlpickError: If a class name is empty or contains whitespace.
    """
    names = [classes.name(int(c)) for c in det.class_id]
    for name in set(names):
        if not name or len(name.split()) != 1 or name.split()[0] != name:
            raise AlpickError(f"class name {name!r} cannot be written to KITTI (no spaces)")
    boxes = det.xyxy.astype(np.float64).tolist()
    if det.confidence is None:
        tails = [""] * len(names)
    else:
        tails = [f" {s:.6f}" for s in det.confidence.astype(np.float64).tolist()]
    zeros = " 0.00" * 7
    lines = [
        f"{n} 0.00 0 0.00 {x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f}{zeros}{t}\n"
        for n, (x0, y0, x1, y1), t in zip(names, boxes, tails, strict=True)
    ]
    return "".join(lines)


def save_kitti(path: Path, det: Detections, classes: Classes) -> None:
    """Write ``det`` to ``path`` as KITTI (atomically; see :func:`format_kitti`)."""
    write_text_atomic(Path(path), format_kitti(det, classes))


def _check_columns(
    table: TokenTable, sources: Sequence[str], *, predictions: bool
) -> NDArray[np.int64]:
    """Each file's column count (15 or 16), after checking every line against it.

    Raises:
        AlpickError: At the first line with another count, a file mixing labels and
            predictions, or (with ``predictions``) a line without a confidence.
    """
    ntok = table.line_ntok
    bad = np.flatnonzero((ntok != LABEL_COLUMNS) & (ntok != PREDICTION_COLUMNS))
    if len(bad):
        raise_at(
            table,
            sources,
            int(bad[0]),
            f"KITTI: expected {LABEL_COLUMNS} columns (labels) or {PREDICTION_COLUMNS} "
            f"(predictions), got {ntok[bad[0]]}",
        )
    file_cols = np.zeros(table.n_files, np.int64)
    is_first = np.ones(len(ntok), bool)
    is_first[1:] = table.line_file[1:] != table.line_file[:-1]
    file_cols[table.line_file[is_first]] = ntok[is_first]
    mixed = np.flatnonzero(ntok != file_cols[table.line_file])
    if len(mixed):
        k = int(mixed[0])
        raise_at(
            table,
            sources,
            k,
            f"KITTI: {ntok[k]} columns after lines of {file_cols[table.line_file[k]]}; "
            "a file must not mix labels (15) and predictions (16)",
        )
    if predictions and (ntok == LABEL_COLUMNS).any():
        k = int(np.flatnonzero(ntok == LABEL_COLUMNS)[0])
        raise_at(table, sources, k, "KITTI: a prediction needs a 16th column (confidence)")
    return file_cols


def _parse(
    blobs: Sequence[bytes],
    sources: Sequence[str],
    classes: Classes,
    sizes: Sequence[_ImageSize],
    *,
    predictions: bool,
) -> list[Detections]:
    """Parse several KITTI files in one vectorised pass; one :class:`Detections` per file."""
    table = tokenise(blobs)
    ntok = table.line_ntok
    n_lines = len(ntok)
    file_cols = _check_columns(table, sources, predictions=predictions)

    # Columns 5..8 (the box) and 16 (confidence) are parsed; the others only checked to be
    # numbers, lexically, which is much cheaper.
    lines = np.arange(n_lines)
    name_lengths = token_lengths(table, table.line_first)
    check_number_chars(table, name_lengths, sources, "KITTI")
    box_tokens = table.line_first[:, None] + np.arange(4, 8)
    xyxy = to_float(table, box_tokens.reshape(-1), np.repeat(lines, 4), sources, "KITTI")
    xyxy = xyxy.reshape(n_lines, 4)
    inverted = np.flatnonzero((xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1]))
    if len(inverted):
        k = int(inverted[0])
        x0, y0, x1, y1 = xyxy[k]
        raise_at(table, sources, k, f"KITTI: inverted box (x0={x0}, y0={y0}, x1={x1}, y1={y1})")
    pred_lines = np.flatnonzero(ntok == PREDICTION_COLUMNS)
    confidence = np.zeros(n_lines, np.float64)
    confidence[pred_lines] = to_float(
        table, table.line_first[pred_lines] + LABEL_COLUMNS, pred_lines, sources, "KITTI"
    )
    xyxy = _clip(xyxy, table.line_file, sizes)

    names, name_index = to_str(table, table.line_first, name_lengths)
    class_id = np.asarray(classes.ids(names), np.int64)[name_index] if names else name_index

    limit = float(np.finfo(np.float32).max)
    too_big = np.flatnonzero((np.abs(xyxy) > limit).any(1) | (np.abs(confidence) > limit))
    if len(too_big):
        raise_at(table, sources, int(too_big[0]), "KITTI: a number is too large")
    xyxy32 = xyxy.astype(np.float32)
    conf32 = confidence.astype(np.float32)
    counts = table.lines_per_file()
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    is_prediction = (file_cols == PREDICTION_COLUMNS).tolist()
    out: list[Detections] = []
    for f in range(table.n_files):
        lo, hi = bounds[f], bounds[f + 1]
        has_conf = is_prediction[f] or (predictions and lo == hi)
        # Every rule of Detections was checked above for the whole batch at once.
        out.append(
            Detections.unchecked(
                xyxy32[lo:hi], class_id[lo:hi], conf32[lo:hi] if has_conf else None
            )
        )
    return out


def _clip(
    xyxy: NDArray[np.float64], line_file: NDArray[np.int64], sizes: Sequence[_ImageSize]
) -> NDArray[np.float64]:
    """Boxes clipped to their file's image size (files without a size are left alone)."""
    if all(s is None for s in sizes) or len(xyxy) == 0:
        return xyxy
    wh = np.array([(np.inf, np.inf) if s is None else s for s in sizes], np.float64)
    floor = np.array([-np.inf if s is None else 0.0 for s in sizes], np.float64)
    limit = wh[line_file]
    out = np.maximum(xyxy, floor[line_file][:, None])
    out[:, [0, 2]] = np.minimum(out[:, [0, 2]], limit[:, :1])
    out[:, [1, 3]] = np.minimum(out[:, [1, 3]], limit[:, 1:])
    return out
