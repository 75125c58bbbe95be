"""Simulations found near a project: folders holding ``rounds.jsonl`` (``alpick simulate``).

Searched: the project folder (a few levels down, skipping ``.alpick`` and the data folders) and
the folders beside it (``alpick demo`` puts ``simulation/`` next to ``project/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUNDS_FILE = "rounds.jsonl"
_SKIP = {".alpick", "data", "images", "labels", "masks", ".git", "node_modules", "__pycache__"}
_MAX_DEPTH = 3
_MAX_FOLDERS = 2000
_MAX_SIBLINGS = 50


@dataclass(frozen=True)
class Simulation:
    """One simulation output folder and its finished rounds."""

    name: str
    rounds: list[dict[str, Any]]


def _walk(folder: Path, depth: int, found: list[Path], seen: list[int]) -> None:
    if depth < 0 or seen[0] > _MAX_FOLDERS:
        return
    seen[0] += 1
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        if child.name == ROUNDS_FILE and child.is_file():
            found.append(folder)
        elif child.is_dir() and not child.is_symlink() and child.name not in _SKIP:
            _walk(child, depth - 1, found, seen)


def _rounds(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            break  # a line cut by a crash
        if isinstance(row, dict) and isinstance(row.get("metrics"), dict):
            rows.append(
                {
                    "strategy": str(row.get("strategy", "?")),
                    "seed": row.get("seed", 0),
                    "round": row.get("round", 0),
                    "n_labelled": row.get("n_labelled", 0),
                    "metrics": {
                        k: v for k, v in row["metrics"].items() if isinstance(v, int | float)
                    },
                }
            )
    return rows


def find_simulations(root: Path) -> list[Simulation]:
    """Simulations in ``root`` and beside it, named by their path relative to ``root``'s parent."""
    found: list[Path] = []
    _walk(root, _MAX_DEPTH, found, [0])
    try:
        siblings = sorted(root.parent.iterdir())[:_MAX_SIBLINGS] if root.parent != root else []
    except OSError:
        siblings = []
    for sibling in siblings:
        if sibling != root and sibling.is_dir() and not sibling.is_symlink():
            _walk(sibling, 1, found, [0])
    out = []
    for folder in dict.fromkeys(found):
        name = folder.relative_to(root.parent).as_posix()
        out.append(Simulation(name, _rounds(folder / ROUNDS_FILE)))
    return out
