"""Which label format a folder holds, from its files: ``alpick init`` and ``evaluate`` without
``--label-format``/``--format``.

``.xml`` files are VOC, a ``.json`` is COCO, ``.txt`` files are YOLO when a names file
(``classes.txt``, ``data.yaml``) is there or their first line is five or six numbers, KITTI
otherwise. A folder holding two kinds is refused, listing what was found.
"""

from __future__ import annotations

import os
from pathlib import Path

from alpick.errors import AlpickError

_NAME_FILES = ("classes.txt", "data.yaml", "data.yml")
#: Files looked at, at most: detection reads names, not the whole folder.
_MAX_FILES = 20_000


def _first_line(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for _, line in zip(range(50), fh, strict=False):
                if line.strip():
                    return line.split()
    except OSError:
        pass
    return []


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _txt_kind(folder: Path, txt: list[Path]) -> str:
    if any((folder / n).is_file() for n in _NAME_FILES):
        return "yolo"
    for path in txt[:20]:
        tokens = _first_line(path)
        if tokens:
            yolo = len(tokens) in (5, 6) and all(_is_number(t) for t in tokens)
            return "yolo" if yolo else "kitti"
    return "kitti"


def label_files_found(folder: Path) -> dict[str, int]:
    """Label files under ``folder`` by format guess: ``{"kitti": 118, "voc": 3}`` (``.txt``
    counts as kitti or yolo, decided from the files)."""
    folder = Path(folder)
    if folder.is_file():
        return {"coco": 1} if folder.suffix.lower() == ".json" else {}
    if not folder.is_dir():
        return {}
    by_suffix: dict[str, list[Path]] = {".txt": [], ".xml": [], ".json": []}
    seen = 0
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            suffix = os.path.splitext(name)[1].lower()
            if name.startswith(".") or suffix not in by_suffix or name in _NAME_FILES:
                continue
            by_suffix[suffix].append(Path(parent) / name)
            seen += 1
        if seen >= _MAX_FILES:
            break
    found: dict[str, int] = {}
    if by_suffix[".txt"]:
        found[_txt_kind(folder, by_suffix[".txt"])] = len(by_suffix[".txt"])
    if by_suffix[".xml"]:
        found["voc"] = len(by_suffix[".xml"])
    if by_suffix[".json"]:
        found["coco"] = len(by_suffix[".json"])
    return found


def describe_found(found: dict[str, int]) -> str:
    """``"118 voc (.xml), 3 kitti (.txt)"``."""
    suffix = {"kitti": ".txt", "yolo": ".txt", "voc": ".xml", "coco": ".json"}
    return ", ".join(f"{n:,} {fmt} ({suffix[fmt]})" for fmt, n in found.items())


def detect_label_format(folder: Path, *, option: str = "--label-format") -> str | None:
    """The one label format the files under ``folder`` are in; ``None`` when it holds none.

    Raises:
        AlpickError: If it holds files of two formats (listing them; give ``option``).
    """
    found = label_files_found(folder)
    if len(found) > 1:
        raise AlpickError(
            f"{folder}: found label files of more than one format: {describe_found(found)}; "
            f"give {option}"
        )
    return next(iter(found), None)
