"""The simulation's image sets: the project's pool, and a test split from folders."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.formats.detections import Classes
from alpick.simulate.runner import ImageSet
from alpick.store.records import Sample

if TYPE_CHECKING:
    from alpick.store.project import ProjectStore

#: The metadata columns the simulation reports on, when the CSV has them.
METADATA_COLUMNS = ("condition", "sequence")


def _metadata(path: Path | None, samples: Sequence[Sample]) -> dict[str, NDArray[Any]]:
    if path is None:
        return {}
    from alpick.project.select_inputs import load_metadata

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = [h.strip() for h in next(csv.reader(fh), [])]
    except OSError as exc:
        raise AlpickError(f"cannot read metadata {path}: {exc.strerror}") from None
    wanted = [c for c in METADATA_COLUMNS if c in header]
    return load_metadata(path, samples, wanted) if wanted else {}


def project_pool(
    project: ProjectStore, *, metadata: Path | None = None
) -> tuple[ImageSet, Classes]:
    """Every sample of the project with its labels (the oracle), in ``samples()`` order.

    Raises:
        AlpickError: If the project has no images or no labelled boxes at all.
    """
    samples = project.samples()
    if not samples:
        raise AlpickError("the project has no images (run `alpick init`)")
    labels = project.labels()
    if not any(len(d) for d in labels.values()):
        raise AlpickError(
            "the pool has no labelled boxes: the simulation needs the oracle's labels"
        )
    return (
        ImageSet(
            [project.images_dir / s.path for s in samples],
            [labels[s.id] for s in samples],
            _metadata(metadata, samples),
        ),
        project.classes(),
    )


def folder_split(
    images_dir: Path,
    labels_dir: Path,
    classes: Classes,
    *,
    label_format: str = "kitti",
    metadata: Path | None = None,
) -> ImageSet:
    """A labelled split from an images folder and a labels folder (e.g. the test split).

    Class names are looked up in (and added to) ``classes`` so ids agree with the pool's.

    Raises:
        AlpickError: If a folder is missing or holds no image.
    """
    from alpick.formats.labels_dir import load_label_dir
    from alpick.store.scan import find_images, read_images

    for folder, what in ((images_dir, "test images"), (labels_dir, "test labels")):
        if not folder.is_dir():
            raise AlpickError(f"{what} folder {folder} does not exist")
    infos = read_images(images_dir, find_images(images_dir))
    if not infos:
        raise AlpickError(f"no images in {images_dir}")
    images = [(i.path, i.width, i.height) for i in infos]
    labels, _ = load_label_dir(labels_dir, label_format, images, classes)
    samples = [Sample(k, i.path, i.width, i.height, i.hash) for k, i in enumerate(infos)]
    return ImageSet(
        [images_dir / i.path for i in infos],
        [labels[i.path] for i in infos],
        _metadata(metadata, samples),
    )
