"""Names of sets (tags, embeddings, ...) and resolving image names given by users to samples."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from alpick.errors import AlpickError
from alpick.store.records import Sample

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+@\-]{0,127}")


def check_name(kind: str, name: str) -> str:
    """``name`` if it is a valid name for a ``kind`` (letters, digits, ``_.+@-``, <= 128).

    Raises:
        AlpickError: If it is not.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AlpickError(
            f"invalid {kind} name {name!r}: use letters, digits and _ . + @ - "
            "(not first), at most 128 characters"
        )
    return name


def _normalize(name: str) -> str:
    name = name.strip().replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


def _preview(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def resolve_names(
    names: Sequence[str],
    samples: Sequence[Sample] | Callable[[], Sequence[Sample]],
    *,
    what: str,
    lookup: Callable[[list[str]], Mapping[str, int]] | None = None,
) -> list[int]:
    """Sample ids of ``names``, each an image's relative path or its bare file name.

    Args:
        names: Image names, in the caller's order.
        samples: The project's samples, or a call returning them (then called only when a name
            is not a relative path, to match bare file names).
        what: Where the names come from, for error messages (e.g. a file name).
        lookup: Relative paths to sample ids for the paths among the names that are in the
            project (e.g. indexed database look-ups); default: from ``samples``.

    Returns:
        The sample id of each name, in the same order.

    Raises:
        AlpickError: If a name is unknown, ambiguous (a bare name shared by several images) or
            names the same sample twice; the message lists the first few offenders.
    """
    normalized = [_normalize(raw) for raw in names]
    if lookup is None:
        everything = samples() if callable(samples) else samples
        by_path: Mapping[str, int] = {s.path: s.id for s in everything}
    else:
        by_path = lookup(normalized)
    by_base: dict[str, list[int]] = defaultdict(list)
    if any(name not in by_path for name in normalized):
        for sample in samples() if callable(samples) else samples:
            by_base[sample.path.rsplit("/", 1)[-1]].append(sample.id)
    ids: list[int] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for name in normalized:
        if name in by_path:
            ids.append(by_path[name])
        elif len(by_base.get(name, ())) == 1:
            ids.append(by_base[name][0])
        elif name in by_base:
            ambiguous.append(name)
        else:
            unknown.append(name)
    if unknown:
        raise AlpickError(
            f"{len(unknown)} image name(s) in {what} are not in the project: {_preview(unknown)}"
        )
    if ambiguous:
        raise AlpickError(
            f"image name(s) in {what} match several images (give the relative path): "
            f"{_preview(ambiguous)}"
        )
    seen: dict[int, str] = {}
    repeated: list[str] = []
    for raw, sid in zip(names, ids, strict=True):
        if sid in seen:
            repeated.append(_normalize(raw))
        seen[sid] = raw
    if repeated:
        raise AlpickError(f"image(s) listed twice in {what}: {_preview(repeated)}")
    return ids


def read_filenames(path: Path) -> list[str]:
    """One image name per non-blank line of ``path``.

    Raises:
        AlpickError: If the file cannot be read.
    """
    from alpick.fileio import read_text

    text = read_text(path)  # one-line errors; a FIFO is refused, not waited on
    return [line.strip() for line in text.splitlines() if line.strip()]
