"""A YOLOv4 spec for a project, for users who train with NVIDIA TLT/TAO.

The library works on plain data: box widths/heights, image sizes, class names and container
paths. :class:`BoxSet` gathers them, from a project's tag (in the CLI) or from a folder of KITTI
label files (:func:`kitti_boxes`); :func:`build_yolo_v4_spec` turns them into a spec.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alpick.errors import AlpickError
from alpick.formats.detections import Classes
from alpick.formats.kitti import load_kitti_dir
from alpick.tlt.anchors import format_anchors, output_size, yolo_anchors
from alpick.tlt.mounts import experiment_root as default_experiment_root
from alpick.tlt.spec import Block, Field, Spec, parse_spec
from alpick.tlt.template import DEFAULT_YOLO_V4_SPEC

if TYPE_CHECKING:
    from alpick.store.project import ProjectStore

__all__ = [
    "IMAGE_SUFFIXES",
    "BoxSet",
    "build_yolo_v4_spec",
    "default_pretrained_path",
    "kitti_boxes",
    "most_common_size",
    "project_boxes",
    "spec_summary",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG")


@dataclass
class BoxSet:
    """Labelled boxes reduced to what a spec needs.

    Attributes:
        wh: Box widths and heights in pixels of their images, ``(M, 2)``.
        image_sizes: Width and height of each box's image, ``(M, 2)``.
        classes: Class names, in the project's order.
        image_extension: The images' most common extension without the dot (``"png"``), if known.
    """

    wh: NDArray[np.float64]
    image_sizes: NDArray[np.float64]
    classes: list[str]
    image_extension: str | None = None


def most_common_size(sizes: ArrayLike) -> tuple[int, int]:
    """The most frequent ``(width, height)`` among ``(M, 2)`` sizes (ties: the largest area).

    Raises:
        AlpickError: If there are no sizes.
    """
    rows = np.asarray(sizes, np.float64).reshape(-1, 2)
    if not len(rows):
        raise AlpickError("no image sizes to choose an output size from")
    counts = Counter((int(w), int(h)) for w, h in rows)
    return max(counts, key=lambda s: (counts[s], s[0] * s[1], s))


def default_pretrained_path(*, tao: bool = False, root: str | None = None) -> str:
    """The tutorial's ResNet-18 weights, as NGC's download places them under ``root``."""
    base = (root or default_experiment_root(tao=tao)).rstrip("/")
    folder = (
        "pretrained_object_detection_vresnet18"
        if tao
        else ("tlt_pretrained_object_detection_vresnet18")
    )
    return f"{base}/yolo_v4/pretrained_resnet18/{folder}/resnet_18.hdf5"


def _in_container(root: str, path: str) -> str:
    return path if path.startswith("/") else f"{root.rstrip('/')}/{path.strip('/')}"


def _rebase(path: str, root: str) -> str:
    """A template's path under the other launcher's root, moved under ``root``."""
    for other in (default_experiment_root(tao=False), default_experiment_root(tao=True)):
        if path == other or path.startswith(other + "/"):
            return root.rstrip("/") + path[len(other) :]
    return path


def _source(root: str, folder: str) -> Block:
    block = Block()
    block.set("label_directory_path", _in_container(root, f"{folder}/labels"))
    block.set("image_directory_path", _in_container(root, f"{folder}/images"))
    return block


def _replace_all(block: Block, key: str, values: Sequence[Block], *, colon: bool = False) -> None:
    """Put ``values`` where the first ``key`` field was (its comments kept), drop the others."""
    positions = [i for i, f in enumerate(block.fields) if f.key == key]
    at = positions[0] if positions else len(block.fields)
    first = block.fields[positions[0]] if positions else None
    new = [Field(key, v, colon=first.colon if first else colon) for v in values]
    if first is not None and new:
        new[0].comments, new[0].inline_comment = first.comments, first.inline_comment
    kept = [f for i, f in enumerate(block.fields) if i not in set(positions)]
    at -= sum(1 for i in positions if i < at)
    block.fields = kept[:at] + new + kept[at:]


def _class_mapping(classes: Sequence[str]) -> list[Block]:
    if not classes:
        raise AlpickError("no classes for the target class mapping")
    seen: dict[str, str] = {}
    blocks = []
    for name in classes:
        key = name.lower()  # TLT lowercases the KITTI class names before mapping them
        if key in seen:
            raise AlpickError(f"classes {seen[key]!r} and {name!r} differ only in case")
        seen[key] = name
        block = Block()
        block.set("key", key)
        block.set("value", name)
        blocks.append(block)
    return blocks


def build_yolo_v4_spec(
    *,
    classes: Sequence[str],
    image_size: tuple[int, int],
    boxes_wh: ArrayLike,
    box_image_sizes: ArrayLike | None = None,
    template: Spec | None = None,
    tao: bool = False,
    experiment_root: str | None = None,
    train_dir: str = "data/train",
    val_dir: str | None = None,
    pretrained_model_path: str | None = None,
    resume_model_path: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    image_extension: str | None = None,
    seed: int = 0,
) -> Spec:
    """A YOLOv4 spec for the given data, from a template (alpick's default unless given).

    Sets the nine anchors (k-means, IoU distance, on the boxes scaled to the output size), the
    output width/height (image size rounded down to multiples of 32), the training and
    validation sources, one ``target_class_mapping`` per class (key: the lowercased name, which
    is how TLT reads KITTI class names; value: the name), and the model to start from. Anything
    else in the template is kept as it is.

    Args:
        classes: Class names.
        image_size: The images' width and height (the most common one if they differ).
        boxes_wh: Widths and heights of the labelled boxes in image pixels, ``(M, 2)``.
        box_image_sizes: Each box's image size, ``(M, 2)``, when images differ in size.
        template: A spec to start from; it is not modified.
        tao: TAO defaults (``/workspace/tao-experiments``, ``output_channel: 3``, TAO's
            pretrained weights folder).
        experiment_root: The container folder the project is mounted on.
        train_dir: Training images/labels folder, relative to the project (or absolute in the
            container); holds ``images/`` and ``labels/``.
        val_dir: Validation folder (default: ``train_dir``, as the tutorial does).
        pretrained_model_path: ``pretrain_model_path`` (relative paths are under the root).
            Default: the template's, else the tutorial's ResNet-18 weights.
        resume_model_path: Resume from this checkpoint instead (replaces the pretrained path).
        epochs: ``num_epochs``, if given.
        batch_size: ``batch_size_per_gpu``, if given.
        image_extension: ``dataset_config.image_extension`` (TAO), if given.
        seed: Seed of the anchors' k-means.

    Raises:
        AlpickError: On bad sizes, too few distinct boxes, clashing class names, or both model
            paths given.
    """
    if pretrained_model_path and resume_model_path:
        raise AlpickError("give either a pretrained model or a model to resume from, not both")
    root = experiment_root or default_experiment_root(tao=tao)
    spec = copy.deepcopy(template) if template is not None else parse_spec(DEFAULT_YOLO_V4_SPEC)
    if not isinstance(spec, Spec):
        spec = Spec(spec.fields)
    out_w, out_h = output_size(image_size)
    sizes = image_size if box_image_sizes is None else box_image_sizes
    small, mid, big = yolo_anchors(np.asarray(boxes_wh), sizes, (out_w, out_h), seed=seed)
    spec.set("yolov4_config.big_anchor_shape", format_anchors(big))
    spec.set("yolov4_config.mid_anchor_shape", format_anchors(mid))
    spec.set("yolov4_config.small_anchor_shape", format_anchors(small))
    spec.set("augmentation_config.output_width", out_w)
    spec.set("augmentation_config.output_height", out_h)
    if tao and "augmentation_config.output_channel" not in spec:
        spec.set("augmentation_config.output_channel", 3)

    dataset = spec.get("dataset_config")
    if not isinstance(dataset, Block):
        dataset = Block()
        spec.set("dataset_config", dataset)
    _replace_all(dataset, "data_sources", [_source(root, train_dir)], colon=True)
    _replace_all(
        dataset, "validation_data_sources", [_source(root, val_dir or train_dir)], colon=True
    )
    _replace_all(dataset, "target_class_mapping", _class_mapping(classes))
    if image_extension:
        spec.set("dataset_config.image_extension", image_extension.lstrip("."))

    if resume_model_path:
        spec.remove("training_config.pretrain_model_path")
        spec.set("training_config.resume_model_path", _in_container(root, resume_model_path))
    else:
        spec.remove("training_config.resume_model_path")
        current = spec.get("training_config.pretrain_model_path")
        if pretrained_model_path:
            path = _in_container(root, pretrained_model_path)
        elif isinstance(current, str) and current:
            path = _rebase(current, root)
        else:
            path = default_pretrained_path(tao=tao, root=root)
        spec.set("training_config.pretrain_model_path", path)
    if epochs is not None:
        if epochs < 1:
            raise AlpickError(f"epochs must be at least 1, got {epochs}")
        spec.set("training_config.num_epochs", int(epochs))
    if batch_size is not None:
        if batch_size < 1:
            raise AlpickError(f"batch size must be at least 1, got {batch_size}")
        spec.set("training_config.batch_size_per_gpu", int(batch_size))
    return spec


def _image_size(images_dir: Path, stem: str, cache: dict[str, tuple[int, int]]) -> tuple[int, int]:
    if stem not in cache:
        from PIL import Image

        for suffix in IMAGE_SUFFIXES:
            path = images_dir / f"{stem}{suffix}"
            if path.is_file():
                try:
                    with Image.open(path) as im:
                        cache[stem] = im.size
                except OSError as exc:
                    raise AlpickError(f"cannot read image {path}: {exc}") from exc
                break
        else:
            raise AlpickError(
                f"no image for {stem} in {images_dir}; give the size with --image-size WxH"
            )
    return cache[stem]


def kitti_boxes(
    labels_dir: Path, *, image_size: tuple[int, int] | None = None, images_dir: Path | None = None
) -> BoxSet:
    """Boxes and classes of a folder of KITTI label files (``*.txt``, 15 or 16 columns).

    The files are read with :func:`alpick.formats.kitti.load_kitti_dir`; boxes are clipped to
    their image.

    Args:
        labels_dir: The folder of label files.
        image_size: Width and height of every image; when ``None``, each image's size is read
            from ``images_dir`` (default: ``labels_dir/../images``), matched by file stem.
        images_dir: Where the images are.

    Raises:
        AlpickError: If the folder holds no label files, a line is malformed (naming file and
            line), or an image size can't be found.
    """
    labels_dir = Path(labels_dir)
    if not labels_dir.is_dir():
        raise AlpickError(f"labels folder not found: {labels_dir}")
    classes = Classes()
    stems, dets = load_kitti_dir(labels_dir, classes, predictions=False)
    if not stems:
        raise AlpickError(f"no KITTI label files (*.txt) in {labels_dir}")
    images = Path(images_dir) if images_dir is not None else labels_dir.parent / "images"
    wh: list[NDArray[np.float64]] = []
    sizes: list[NDArray[np.float64]] = []
    cache: dict[str, tuple[int, int]] = {}
    for stem, det in zip(stems, dets, strict=True):
        if not len(det):
            continue
        width, height = image_size if image_size else _image_size(images, stem, cache)
        xyxy = det.clip(width, height).xyxy.astype(np.float64)
        wh.append(xyxy[:, 2:] - xyxy[:, :2])
        sizes.append(np.tile(np.array([width, height], np.float64), (len(det), 1)))
    exts: Counter[str] = Counter()
    if image_size is None and images.is_dir():
        exts.update(
            p.suffix.lower().lstrip(".") for p in images.iterdir() if p.suffix in IMAGE_SUFFIXES
        )
    return BoxSet(
        wh=np.concatenate(wh) if wh else np.zeros((0, 2), np.float64),
        image_sizes=np.concatenate(sizes) if sizes else np.zeros((0, 2), np.float64),
        classes=list(classes.names),
        image_extension=exts.most_common(1)[0][0] if exts else None,
    )


def project_boxes(project: ProjectStore, tag: str | None = None) -> BoxSet:
    """The labelled boxes of ``tag``'s samples (every sample when ``None``), with image sizes.

    Raises:
        AlpickError: For an unknown tag, or when its samples have no labelled box.
    """
    samples = {s.id: s for s in project.samples()}
    ids = list(project.tag(tag).sample_ids) if tag else list(samples)
    labels = project.labels(ids)
    wh, sizes = [], []
    exts: Counter[str] = Counter()
    for sid in ids:
        sample = samples[sid]
        exts[Path(sample.path).suffix.lower().lstrip(".")] += 1
        det = labels.get(sid)
        if det is None or not len(det):
            continue
        wh.append(det.xyxy[:, 2:] - det.xyxy[:, :2])
        sizes.append(np.tile([sample.width, sample.height], (len(det), 1)))
    if not wh:
        where = f"tag {tag!r}" if tag else "the project"
        raise AlpickError(f"{where} has no labelled boxes; annotate images first")
    return BoxSet(
        wh=np.concatenate(wh).astype(np.float64),
        image_sizes=np.concatenate(sizes).astype(np.float64),
        classes=list(project.classes().names),
        image_extension=exts.most_common(1)[0][0] if exts else None,
    )


@dataclass(frozen=True)
class SpecSummary:
    """What a YOLOv4 spec took from the data, for people to check.

    Attributes:
        output_size: The network's output width and height.
        anchors: The ``small``, ``mid`` and ``big`` anchor texts, by group.
        mean_iou: Mean IoU of each box (scaled to the output size) with its best anchor.
    """

    output_size: tuple[int, int]
    anchors: dict[str, str]
    mean_iou: float


def spec_summary(spec: Block, boxes: BoxSet) -> SpecSummary:
    """Output size, anchors and how well the anchors fit ``boxes``."""
    from alpick.tlt.anchors import mean_best_iou, parse_anchors

    width = int(spec.get("augmentation_config.output_width"))  # type: ignore[arg-type]
    height = int(spec.get("augmentation_config.output_height"))  # type: ignore[arg-type]
    texts = {g: str(spec.get(f"yolov4_config.{g}_anchor_shape")) for g in ("small", "mid", "big")}
    anchors = np.concatenate([parse_anchors(t) for t in texts.values()])
    scaled = boxes.wh / boxes.image_sizes * np.asarray([width, height], np.float64)
    return SpecSummary((width, height), texts, mean_best_iou(scaled, anchors))
