"""Importing embeddings computed elsewhere: ``lightly-embed``'s CSV, or a ``.npy`` with a list
of file names. The rows may come in any order; they are aligned to the project's samples.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import read_bytes
from alpick.formats.embeddings_csv import load_embeddings_csv
from alpick.store.names import read_filenames, resolve_names
from alpick.store.records import EmbeddingSet

if TYPE_CHECKING:
    from alpick.store.project import ProjectStore


def default_name(path: Path) -> str:
    """A set name made from a file's stem (``embeddings.csv`` -> ``embeddings``)."""
    name = re.sub(r"[^A-Za-z0-9_.+@-]", "_", path.stem)[:128]
    return name if name and name[0].isalnum() else f"e{name}"[:128]


def read_npy(path: Path, filenames: Path) -> tuple[list[str], NDArray[np.float32]]:
    """Rows of a ``(N, D)`` ``.npy`` and the ``N`` image names of ``filenames``.

    Raises:
        AlpickError: If the array is unreadable, not 2-D or not finite, or the counts differ.
    """
    try:
        array = np.load(io.BytesIO(read_bytes(path)), allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise AlpickError(f"cannot read {path}: {exc}") from None
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise AlpickError(f"{path} must hold a 2-D numeric array, got {array.shape} {array.dtype}")
    names = read_filenames(filenames)
    if len(names) != len(array):
        raise AlpickError(f"{path} has {len(array)} rows but {filenames} lists {len(names)} names")
    with np.errstate(over="ignore"):
        rows = array.astype(np.float32)
    if not np.isfinite(rows).all():
        raise AlpickError(f"{path}: values must be finite numbers (within float32 range)")
    return names, rows


def read_csv(path: Path) -> tuple[list[str], NDArray[np.float32]]:
    """Image names and ``(N, D)`` rows of a ``lightly-embed`` CSV.

    Raises:
        AlpickError: On an unreadable file, rows of different lengths or non-numeric values.
    """
    names, array, _labels = load_embeddings_csv(path)
    return names, array


def align(
    names: Sequence[str], array: NDArray[Any], project: ProjectStore, *, what: str
) -> NDArray[np.float32]:
    """Reorder ``array``'s rows (one per name) into :meth:`ProjectStore.samples` order.

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
    project: ProjectStore, path: Path, *, filenames: Path | None = None, name: str | None = None
) -> EmbeddingSet:
    """Read embeddings from ``path`` (CSV, or ``.npy`` + ``filenames``), align and save them.

    Raises:
        AlpickError: On a bad file, names that do not match the project's images, or a
            ``.npy`` without ``filenames``. The project is unchanged then.
    """
    if not path.exists():
        raise AlpickError(f"embeddings file {path} does not exist")
    if not path.is_file():
        raise AlpickError(f"embeddings file {path}: cannot read: not a regular file")
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
