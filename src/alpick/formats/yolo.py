"""YOLO txt: one line per box, ``class cx cy w h [confidence]``, coordinates normalised to 0..1.

The class is an integer index into a names list, kept apart in ``classes.txt`` (one name per line)
or a ``data.yaml`` (``names: [...]`` or ``names: {0: ...}``). Converting to pixels needs the
image size. An empty or missing file means no boxes; a file must not mix 5- and 6-column lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alpick.errors import AlpickError
from alpick.fileio import write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.formats.tokens import raise_at, read_bytes, to_float, tokenise

LABEL_COLUMNS = 5
PREDICTION_COLUMNS = 6


def parse_yolo(text: str, *, width: int, height: int, source: str = "<string>") -> Detections:
    """Parse the text of one YOLO file into pixel boxes of a ``width`` x ``height`` image.

    Raises:
        AlpickError: ``SOURCE:LINE: ...`` for a wrong number of columns, a value that is not a
            number, a class that is not a whole number >= 0, a negative width or height, or a
            file mixing 5 and 6 columns.
    """
    return _parse(text.encode("utf-8"), source, width, height)


def load_yolo(path: Path, *, width: int, height: int) -> Detections:
    """Read one YOLO file; a missing or empty file means no boxes (see :func:`parse_yolo`)."""
    return _parse(read_bytes(path), str(path), width, height)


def format_yolo(det: Detections, *, width: int, height: int) -> str:
    """YOLO text of ``det``: 5 columns, or 6 when it has a confidence (6 decimals each)."""
    if width <= 0 or height <= 0:
        raise AlpickError(f"image size must be positive, got {width} x {height}")
    xyxy = det.xyxy.astype(np.float64)
    cx = (xyxy[:, 0] + xyxy[:, 2]) / 2 / width
    cy = (xyxy[:, 1] + xyxy[:, 3]) / 2 / height
    w = (xyxy[:, 2] - xyxy[:, 0]) / width
    h = (xyxy[:, 3] - xyxy[:, 1]) / height
    rows = np.stack([cx, cy, w, h], axis=1).tolist()
    if det.confidence is None:
        tails = [""] * len(det)
    else:
        tails = [f" {s:.6f}" for s in det.confidence.astype(np.float64).tolist()]
    return "".join(
        f"{c} {a:.6f} {b:.6f} {d:.6f} {e:.6f}{t}\n"
        for c, (a, b, d, e), t in zip(det.class_id.tolist(), rows, tails, strict=True)
    )


def save_yolo(path: Path, det: Detections, *, width: int, height: int) -> None:
    """Write ``det`` to ``path`` as YOLO txt (atomically; see :func:`format_yolo`)."""
    write_text_atomic(Path(path), format_yolo(det, width=width, height=height))


def load_yolo_names(path: Path) -> Classes:
    """Class names of a YOLO dataset: ``classes.txt`` (one per line) or ``data.yaml``.

    Raises:
        AlpickError: If the file is missing, or a YAML file has no usable ``names``.
    """
    path = Path(path)
    if not path.is_file():
        raise AlpickError(f"{path}: no such file")
    text = read_bytes(path).decode("utf-8-sig", errors="replace")
    if path.suffix.lower() not in (".yaml", ".yml"):
        return Classes([line.strip() for line in text.splitlines() if line.strip()])
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlpickError(f"{path}: not valid YAML: {exc}") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise AlpickError(f"{path}: 'names' keys must be 0..{len(names) - 1}")
        return Classes([str(names[k]) for k in range(len(names))])
    if isinstance(names, list):
        return Classes([str(n) for n in names])
    raise AlpickError(f"{path}: needs 'names' as a list or a {{index: name}} mapping")


def save_yolo_names(path: Path, classes: Classes) -> None:
    """Write ``classes.txt``: one name per line (atomically)."""
    write_text_atomic(Path(path), "".join(f"{n}\n" for n in classes.names))


def _parse(data: bytes, source: str, width: int, height: int) -> Detections:
    if width <= 0 or height <= 0:
        raise AlpickError(f"{source}: image size must be positive, got {width} x {height}")
    table = tokenise([data])
    ntok = table.line_ntok
    n = len(ntok)
    if n == 0:
        return Detections.empty()
    bad = np.flatnonzero((ntok != LABEL_COLUMNS) & (ntok != PREDICTION_COLUMNS))
    if len(bad):
        k = int(bad[0])
        raise_at(table, [source], k, f"YOLO: expected 5 or 6 columns, got {ntok[k]}")
    mixed = np.flatnonzero(ntok != ntok[0])
    if len(mixed):
        raise_at(table, [source], int(mixed[0]), "YOLO: a file must not mix 5 and 6 columns")
    cols = int(ntok[0])
    lines = np.arange(n)
    tokens = (table.line_first[:, None] + np.arange(cols)).reshape(-1)
    values = to_float(table, tokens, np.repeat(lines, cols), [source], "YOLO").reshape(n, cols)
    cls = values[:, 0]
    not_class = np.flatnonzero((cls < 0) | (cls >= 2**31) | (cls != np.round(cls)))
    if len(not_class):
        k = int(not_class[0])
        raise_at(table, [source], k, f"YOLO: class must be a whole number >= 0, got {cls[k]}")
    negative = np.flatnonzero((values[:, 3] < 0) | (values[:, 4] < 0))
    if len(negative):
        raise_at(table, [source], int(negative[0]), "YOLO: negative box width or height")
    cx, cy = values[:, 1] * width, values[:, 2] * height
    w, h = values[:, 3] * width, values[:, 4] * height
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    conf = values[:, 5] if cols == PREDICTION_COLUMNS else None
    try:
        return Detections(
            xyxy.astype(np.float32),
            cls.astype(np.int64),
            None if conf is None else conf.astype(np.float32),
        )
    except ValueError as exc:
        raise AlpickError(f"{source}: YOLO: {exc}") from None
