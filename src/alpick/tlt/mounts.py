"""The TLT/TAO launcher's mounts file and the mapping of host paths into the container.

The launcher (``tlt`` / ``tao``) reads ``~/.tlt_mounts.json`` / ``~/.tao_mounts.json``::

    {"Mounts": [{"source": "/home/me/orchard", "destination": "/workspace/tlt-experiments"}, ...],
     "Envs": [...], "DockerOptions": {...}}

:func:`write_mounts` maps the project folder to the experiments root and the specs folder to
``<root>/yolo_v4/specs`` as the tutorial's ``mount.py`` did, but merges into an existing file:
mounts with another destination and every other key (``Envs``, ``DockerOptions``) are kept, and
the previous file is copied to ``<file>.bak`` before it is replaced.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from alpick.errors import AlpickError
from alpick.fileio import atomic_path, read_text, write_text_atomic

__all__ = [
    "SPECS_SUBDIR",
    "container_path",
    "default_mounts",
    "experiment_root",
    "mounts_file",
    "write_mounts",
]

SPECS_SUBDIR = "yolo_v4/specs"


def experiment_root(*, tao: bool = False) -> str:
    """The container folder the project is mounted on: ``/workspace/tlt-experiments`` (or tao)."""
    return "/workspace/tao-experiments" if tao else "/workspace/tlt-experiments"


def mounts_file(*, tao: bool = False, home: Path | None = None) -> Path:
    """``~/.tlt_mounts.json`` or ``~/.tao_mounts.json`` (under ``home`` when given)."""
    base = Path(home) if home is not None else Path.home()
    return base / (".tao_mounts.json" if tao else ".tlt_mounts.json")


def default_mounts(
    project_root: Path, specs_dir: Path, *, tao: bool = False
) -> list[dict[str, str]]:
    """The two mounts of the tutorial: project -> root, specs folder -> root/yolo_v4/specs."""
    root = experiment_root(tao=tao)
    return [
        {"source": str(Path(project_root).resolve()), "destination": root},
        {"source": str(Path(specs_dir).resolve()), "destination": f"{root}/{SPECS_SUBDIR}"},
    ]


def container_path(host_path: Path, mounts: list[dict[str, str]]) -> str:
    """Where ``host_path`` appears inside the container, through the deepest matching mount.

    Raises:
        AlpickError: If no mount contains the path.
    """
    host = Path(host_path).resolve()
    best: tuple[int, str] | None = None
    for mount in mounts:
        source = Path(mount["source"]).resolve()
        if host == source or source in host.parents:
            depth = len(source.parts)
            if best is None or depth > best[0]:
                rel = host.relative_to(source).as_posix()
                dest = PurePosixPath(mount["destination"])
                best = (depth, str(dest / rel) if rel != "." else str(dest))
    if best is None:
        raise AlpickError(
            f"{host} is not inside a folder mounted into the container "
            f"({', '.join(m['source'] for m in mounts)})"
        )
    return best[1]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_text(path))
    except (AlpickError, json.JSONDecodeError) as exc:
        raise AlpickError(
            f"{path} is not valid JSON ({exc}); fix or move it, it was not changed"
        ) from exc
    mounts = data.get("Mounts", []) if isinstance(data, dict) else None
    if not isinstance(mounts, list) or not all(
        isinstance(m, dict) and isinstance(m.get("destination"), str) for m in mounts
    ):
        raise AlpickError(
            f"{path} is not a mounts file (expected an object with a 'Mounts' list of "
            "{'source', 'destination'}); fix or move it, it was not changed"
        )
    return data


def _merge(data: dict[str, Any], ours: list[dict[str, str]]) -> dict[str, Any]:
    by_dest = {m["destination"]: m for m in ours}
    merged: list[dict[str, Any]] = []
    placed: set[str] = set()
    for mount in data.get("Mounts", []):
        dest = mount["destination"]
        if dest in by_dest:
            if dest not in placed:  # ours replaces the first entry there, later ones are dropped
                merged.append({**mount, **by_dest[dest]})
                placed.add(dest)
        else:
            merged.append(mount)
    merged.extend(m for m in ours if m["destination"] not in placed)
    return {**data, "Mounts": merged}


def write_mounts(
    project_root: Path, specs_dir: Path, *, tao: bool = False, home: Path | None = None
) -> Path:
    """Add the project's mounts to the launcher's mounts file, keeping everything else.

    An existing file is read first: entries with our destinations are replaced, other mounts and
    keys are kept, and the old file is copied to ``<file>.bak`` before the new one is written
    (atomically). Nothing is written when the file already holds these mounts.

    Args:
        project_root: The host folder mounted as the experiments root.
        specs_dir: The host folder holding the specs.
        tao: Write ``~/.tao_mounts.json`` with ``/workspace/tao-experiments``.
        home: The home folder (default: the user's).

    Returns:
        The mounts file's path.

    Raises:
        AlpickError: If the existing file is not valid JSON or not a mounts file (left as is).
    """
    path = mounts_file(tao=tao, home=home)
    ours = default_mounts(project_root, specs_dir, tao=tao)
    existing = _read(path) if path.exists() else None
    merged = _merge(existing or {}, ours)
    if existing is not None and merged == existing:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if existing is not None:
        with atomic_path(path.with_name(path.name + ".bak")) as tmp:
            shutil.copy2(path, tmp)
    write_text_atomic(path, json.dumps(merged, indent=4) + "\n")
    return path
