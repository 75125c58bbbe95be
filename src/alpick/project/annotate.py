"""The simulated annotator: "labelling" a sample = copying its image and label file into the
training folder (the tutorial's ``annotate_images``).

Files are hard-linked when source and target share a filesystem, copied otherwise; a copy goes
to a temporary name first and is renamed, so an interrupted run never leaves a truncated file and
re-running completes it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from alpick.errors import AlpickError
from alpick.fileio import atomic_path
from alpick.store.records import Sample


def place_file(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` (absent): hard link if possible, else an atomic copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        return
    except OSError:
        pass  # another filesystem, or links not supported: copy instead
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def annotate(
    samples: Sequence[Sample],
    *,
    src: Path,
    dst: Path,
    label_suffix: str | None = ".txt",
    shared_label_files: Sequence[str] = (),
) -> int:
    """Copy each sample's image and label file from ``src`` into ``dst`` unless already there.

    Images go from ``src/images/<path>`` to ``dst/images/<path>``; label files (when the source
    has one) from ``src/labels/<path with label_suffix>`` to ``dst/labels/...``.

    Args:
        samples: The samples to annotate (e.g. a tag's).
        src: The pool folder, holding ``images/`` and ``labels/``.
        dst: The training folder; created as needed.
        label_suffix: Suffix of the per-image label files, or ``None`` to copy no labels.
        shared_label_files: Files directly in ``src/labels`` that go with every label file
            (YOLO's ``classes.txt``): copied when the source has them and ``dst`` does not.

    Returns:
        How many images were newly added to ``dst/images``.

    Raises:
        AlpickError: If an image is missing from ``src/images`` (checked before copying any).
    """
    plan: list[tuple[Path, Path]] = []
    missing: list[str] = []
    added = 0
    for sample in samples:
        image_src = src / "images" / sample.path
        image_dst = dst / "images" / sample.path
        if not image_dst.exists():
            if not image_src.is_file():
                missing.append(sample.path)
                continue
            plan.append((image_src, image_dst))
            added += 1
        if label_suffix is not None:
            rel = PurePosixPath(sample.path).with_suffix(label_suffix)
            label_src = src / "labels" / rel
            label_dst = dst / "labels" / rel
            if not label_dst.exists() and label_src.is_file():
                plan.append((label_src, label_dst))
    for name in shared_label_files:
        if (src / "labels" / name).is_file() and not (dst / "labels" / name).exists():
            plan.append((src / "labels" / name, dst / "labels" / name))
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise AlpickError(f"image {src / 'images' / missing[0]} does not exist{more}")
    for a, b in plan:
        place_file(a, b)
    return added
