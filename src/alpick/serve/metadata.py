"""Per-image metadata for the grid's filter and the map's colours: a CSV with an image column.

The first header named like an image column (``image``, ``filename``, ...) or else the first
column names the image, by its relative path or bare file name; every other column is kept as
text.
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath

from alpick.serve.reader import SampleTable

#: Header names taken as the image column of a metadata CSV (else its first column).
IMAGE_COLUMNS = ("image", "filename", "filenames", "file_name", "sample", "path")


def find_metadata(root: Path) -> Path | None:
    """``metadata.csv`` in the project folder, else in a folder beside it (``alpick demo``
    keeps the orchard's next to the project), else ``None``."""
    own = root / "metadata.csv"
    if own.is_file():
        return own
    try:
        siblings = sorted(p for p in root.parent.iterdir() if p.is_dir() and p != root)
    except OSError:
        return None
    return next((p / "metadata.csv" for p in siblings[:50] if (p / "metadata.csv").is_file()), None)


def read_metadata(path: Path, table: SampleTable) -> dict[str, list[str]]:
    """Column to one string per row of ``table`` (``""`` where the CSV has no row for it);
    empty when the file is unreadable or names none of the samples."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    if not rows or not rows[0]:
        return {}
    header = [h.strip() for h in rows[0]]
    image_col = next((i for i, h in enumerate(header) if h.lower() in IMAGE_COLUMNS), 0)
    by_path = {p: i for i, p in enumerate(table.paths)}
    by_name: dict[str, int] = {}
    for i, p in enumerate(table.paths):
        by_name.setdefault(PurePosixPath(p).name, i)
    columns = {h: [""] * len(table.ids) for i, h in enumerate(header) if i != image_col and h}
    matched = 0
    for row in rows[1:]:
        if len(row) <= image_col:
            continue
        image = row[image_col].strip().replace("\\", "/")
        found = by_path.get(image, by_name.get(PurePosixPath(image).name))
        if found is None:
            continue
        matched += 1
        for i, h in enumerate(header):
            if h in columns and i < len(row):
                columns[h][found] = row[i].strip()
    return columns if matched else {}
