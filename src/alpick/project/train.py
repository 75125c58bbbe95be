"""Training on a tag and predicting with a run: the project side of the built-in detector."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.project.predictions import write_kitti_folder

if TYPE_CHECKING:
    from alpick.detector.config import TrainConfig
    from alpick.detector.train import TrainResult
    from alpick.store.project import ProjectStore


def train_tag(
    project: ProjectStore,
    tag: str,
    config: TrainConfig,
    *,
    out: Path | None = None,
    resume: Path | None = None,
    init: Path | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train the built-in detector on the labelled samples of ``tag``; record the run.

    Args:
        project: The project.
        tag: Whose samples (with the project's labels) are the training set.
        config: Training settings.
        out: Run folder (default ``runs/<tag>`` in the project).
        resume: A checkpoint (or run folder) to continue from.
        init: A checkpoint (or run folder) whose weights to start from (warm start).
        progress: Show a progress bar.
        log: Told, one line each, what was fitted to the data and why (before training).

    Raises:
        AlpickError: For an unknown or empty tag, a tag with no labelled box, or a bad checkpoint.
    """
    from alpick.detector.defaults import fit_config
    from alpick.detector.train import train_detector

    samples = project.tag_samples(tag)
    if not samples:
        raise AlpickError(f"tag {tag!r} is empty")
    labels = project.labels([s.id for s in samples])
    if not any(len(labels[s.id]) for s in samples):
        raise AlpickError(
            f"the {len(samples)} samples of tag {tag!r} have no labelled boxes; "
            "check the labels folder (`alpick init --labels`) or bring labels back from a "
            "labelling tool (`alpick labels import`)"
        )
    items = [(project.images_dir / s.path, labels[s.id]) for s in samples]
    run_dir = out if out is not None else project.root / "runs" / tag
    if resume is None and init is None and not config.fitted:
        config, reasons = fit_config(config, items)
        for line in reasons if log is not None else ():
            log(line)  # type: ignore[misc]
    result = train_detector(
        items,
        project.classes().names,
        run_dir,
        config=config,
        resume=resume,
        init=init,
        progress=progress,
    )
    project.record_run(
        run_dir.name, os.path.relpath(run_dir, project.root), {"tag": tag, **config.to_dict()}
    )
    return result


@dataclass(frozen=True)
class PredictReport:
    """What :func:`predict_to_folder` did.

    Attributes:
        images: Images predicted on.
        boxes: Boxes written.
        out: The KITTI folder.
        prediction_set: The project's prediction set it was stored as (``None`` outside one).
    """

    images: int
    boxes: int
    out: Path
    prediction_set: str | None


def predict_to_folder(
    run: Path,
    out: Path,
    *,
    project: ProjectStore | None = None,
    images: Path | None = None,
    tag: str | None = None,
    name: str | None = None,
    confidence_threshold: float = 0.001,
    top_k: int = 200,
    batch_size: int = 8,
    progress: bool = True,
    predict: Callable[..., list[Detections]] | None = None,
) -> PredictReport:
    """Predict with a trained run; write KITTI files and store a prediction set.

    Images come from ``images`` (a folder), or the samples of ``tag``, or every sample of the
    project. Predictions on the project's images are stored as prediction set ``name``
    (default: the run folder's name), with class probabilities, for ``alpick scores/select``.
    ``predict`` replaces :func:`alpick.detector.predict.predict_images` (same arguments and
    result), e.g. to predict on a Ray cluster; files and the set are written here only.

    Raises:
        AlpickError: For a missing run or checkpoint, an empty image list, or bad settings.
    """
    from alpick.detector.predict import load_detector, predict_images
    from alpick.store.scan import find_images

    predict = predict or predict_images
    if images is not None and tag is not None:
        raise AlpickError("give --images or --tag, not both")
    detector = load_detector(run)
    store_ids: list[int] | None = None
    if images is None:
        if project is None:
            raise AlpickError("no project here: give --images DIR")
        samples = project.tag_samples(tag) if tag else project.samples()
        rels = [s.path for s in samples]
        root = project.images_dir
        store_ids = [s.id for s in samples]
    else:
        if not images.is_dir():
            raise AlpickError(f"images folder {images} does not exist")
        root, rels = images, find_images(images)
        if project is not None and images.resolve() == project.images_dir.resolve():
            index = project.sample_index()
            ids = project.sample_ids()
            if all(r in index for r in rels):
                store_ids = [int(ids[index[r]]) for r in rels]
    if not rels:
        raise AlpickError(f"no images to predict on in {root}")
    dets = predict(
        detector,
        [root / r for r in rels],
        confidence_threshold=confidence_threshold,
        top_k=top_k,
        batch_size=batch_size,
        progress=progress,
    )
    classes = Classes(list(detector.classes))
    write_kitti_folder(out, [os.path.splitext(r)[0] for r in rels], dets, classes)
    set_name = None
    if project is not None and store_ids is not None:
        set_name = name or Path(run).resolve().name
        if set_name.endswith(".pt"):
            set_name = Path(set_name).stem
        project.save_predictions(
            set_name, dict(zip(store_ids, dets, strict=True)), classes, source=str(run)
        )
    return PredictReport(len(rels), sum(len(d) for d in dets), out, set_name)
