"""Importing embeddings computed elsewhere: ``lightly-embed``'s CSV, or a ``.npy`` with a list
of file names. The rows may come in any order; they are aligned to the project's samples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.store.names import read_filenames, resolve_names
from alpick.store.records import EmbeddingSet

if TYPE_CHECKING:
    from alpick.store.project import Project


def default_name(path: Path) -> str:
    """A set name made from a file's stem (``embeddings.csv`` -> ``embeddings``)."""
    name = re.sub(r"[^A-Za-z0-9_.+@-]", "_", path.stem)[:128]
    return name if name and name[0].isalnum() else f"e{name}"[:128]


def read_npy(path: Path, filenames: Path) -> tuple[list[str], NDArray[np.float32]]:
    """Rows of a ``(N, D)`` ``.npy`` and the ``N`` image names of ``filenames``.

    Raises:
        AlpickError: If the array is unreadable or not 2-D, or the counts differ.
    """
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise AlpickError(f"{path} must hold a 2-D numeric array, got {array.shape} {array.dtype}")
    names = read_filenames(filenames)
    if len(names) != len(array):
        raise AlpickError(f"{path} has {len(array)} rows but {filenames} lists {len(names)} names")
    return names, array.astype(np.float32)


def read_csv(path: Path) -> tuple[list[str], NDArray[np.float32]]:
    """Image names and ``(N, D)`` rows of a ``lightly-embed`` CSV.

    Raises:
        AlpickError: On an unreadable file, rows of different lengths or non-numeric values.
    """
    try:
        from alpick.formats.embeddings_csv import (  # type: ignore[import-not-found,unused-ignore]
            load_embeddings_csv,
        )
    except ImportError:
        # fallback until formats land; integrator removes
        names, array = _fallback_read_csv(path)
        return names, array
    names, array, _labels = load_embeddings_csv(path)
    return list(names), np.asarray(array, dtype=np.float32)


def align(
    names: Sequence[str], array: NDArray[Any], project: Project, *, what: str
) -> NDArray[np.float32]:
    """Reorder ``array``'s rows (one per name) into :meth:`Project.samples` order.

    Raises:
        AlpickError: If a name is not in the project, repeats, or a sample has no row.
    """
    samples = project.samples()
    ids = resolve_names(names, samples, what=what)
    if len(ids) != len(samples):
        have = set(ids)
        missing = [s.path for s in samples if s.id not in have]
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise AlpickError(f"{what} covers {len(ids)} of {len(samples)} images; missing: {shown}")
    out = np.empty((len(samples), array.shape[1]), dtype=np.float32)
    out[project.positions(ids)] = array
    return out


def import_embeddings(
    project: Project, path: Path, *, filenames: Path | None = None, name: str | None = None
) -> EmbeddingSet:
    """Read embeddings from ``path`` (CSV, or ``.npy`` + ``filenames``), align and save them.

    Raises:
        AlpickError: On a bad file, names that do not match the project's images, or a
            ``.npy`` without ``filenames``. The project is unchanged then.
    """
    if not path.is_file():
        raise AlpickError(f"embeddings file {path} does not exist")
    if path.suffix.lower() == ".npy":
        if filenames is None:
            raise AlpickError("a .npy embeddings file needs --filenames LIST.txt")
        names, array = read_npy(path, filenames)
        fmt = "npy"
    else:
        names, array = read_csv(path)
        fmt = "lightly-csv"
    aligned = align(names, array, project, what=path.name)
    meta = {"source": str(path.resolve()), "format": fmt}
    return project.save_embeddings(name or default_name(path), aligned, model="imported", meta=meta)


# --- fallback until formats land; integrator removes (everything below) ---------------------


def _fallback_read_csv(path: Path) -> tuple[list[str], NDArray[np.float32]]:
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None
    if not rows or not rows[0] or rows[0][0] != "filenames":
        raise AlpickError(f"{path}: expected a header starting with 'filenames'")
    header = rows[0]
    dims = [i for i, h in enumerate(header) if h.startswith("embedding_")]
    if not dims:
        raise AlpickError(f"{path}: no embedding_* columns")
    names: list[str] = []
    values: list[list[float]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise AlpickError(
                f"{path}:{number}: {len(row)} fields but the header has {len(header)} "
                "(rows have different lengths)"
            )
        try:
            values.append([float(row[i]) for i in dims])
        except ValueError:
            raise AlpickError(f"{path}:{number}: non-numeric embedding value") from None
        names.append(row[0])
    return names, np.array(values, dtype=np.float32).reshape(len(values), len(dims))
