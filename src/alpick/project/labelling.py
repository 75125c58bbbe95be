"""Humans in the loop: send a tag to a labelling tool (Label Studio, CVAT, or a COCO / YOLO / VOC
dataset folder) and bring the finished labels back as a versioned label set.

Import reads and checks everything first (images known to the project, classes known or mapped
or added, boxes inside their image, no rotated boxes or other shapes), then stores one label set
in one transaction: a failure leaves the project as it was.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np

from alpick.errors import AlpickError
from alpick.fileio import read_text, write_text_atomic
from alpick.formats.detections import Classes, Detections
from alpick.store.label_sets import LabelSet
from alpick.store.project import ProjectStore
from alpick.store.records import Sample

EXPORT_TARGETS = ("label-studio", "cvat", "coco", "yolo", "voc")
IMPORT_FORMATS = EXPORT_TARGETS

LS_TASKS = "tasks.json"
LS_CONFIG = "labeling-config.xml"
CVAT_XML = "annotations.xml"
CVAT_LABELS = "labels.json"
COCO_JSON = "annotations.json"

# How far (pixels) a box may reach past its image edge on import: rounding in the tools.
EDGE_TOLERANCE = 0.5


@dataclass(frozen=True)
class ExportReport:
    """What ``alpick export`` wrote.

    Attributes:
        target: The format.
        images: How many images.
        boxes: How many boxes (labels or pre-annotations).
        files: The main files written.
    """

    target: str
    images: int
    boxes: int
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class LabelImport:
    """What ``alpick labels import`` stored.

    Attributes:
        label_set: The new label set.
        skipped: Tasks or images without a (non-cancelled) annotation: left as they were.
        new_classes: Classes added (``--add-classes``).
    """

    label_set: LabelSet
    skipped: int
    new_classes: list[str]


def _check_target(target: str, choices: Sequence[str], what: str) -> str:
    low = target.lower().replace("_", "-").replace("labelstudio", "label-studio")
    if low not in choices:
        raise AlpickError(f"unknown {what} {target!r} (choose from {', '.join(choices)})")
    return low


# --- export ------------------------------------------------------------------------------------


def image_reference(project: ProjectStore, sample: Sample, image_root: str | None) -> str:
    """How a Label Studio task names the image of ``sample``.

    ``image_root``: ``None`` for Label Studio's local-files storage with the project folder as
    ``LOCAL_FILES_DOCUMENT_ROOT`` (``/data/local-files/?d=<path from the project folder>``); a
    folder, the document root to use instead; a URL (``http://...``) that the image's relative
    path is appended to; or a template with ``{id}`` / ``{path}`` (``alpick serve``:
    ``http://127.0.0.1:8000/api/samples/{id}/image``).
    """
    image = project.images_dir / sample.path
    if image_root is not None and ("{id}" in image_root or "{path}" in image_root):
        return image_root.replace("{id}", str(sample.id)).replace("{path}", quote(sample.path))
    if image_root is not None and "://" in image_root:
        return f"{image_root.rstrip('/')}/{quote(sample.path)}"
    base = project.root if image_root is None else Path(image_root)
    try:
        rel = image.resolve().relative_to(base.resolve())
    except ValueError:
        raise AlpickError(
            f"image {image} is not under {base}: Label Studio's local-files storage serves only "
            "files under its document root (give --image-root a folder above the images, or "
            "a URL)"
        ) from None
    return "/data/local-files/?d=" + quote(rel.as_posix())


def _predictions(
    project: ProjectStore, name: str | None, min_confidence: float
) -> tuple[dict[int, Detections], Classes]:
    if name is None:
        return {}, Classes()
    if not (0.0 <= min_confidence <= 1.0):
        raise AlpickError(f"--min-confidence must be in [0, 1], got {min_confidence}")
    by_id, classes, _ = project.predictions(name)
    kept = {}
    for sid, det in by_id.items():
        conf = det.confidence
        keep = np.ones(len(det), bool) if conf is None else conf >= min_confidence
        kept[sid] = Detections(
            det.xyxy[keep], det.class_id[keep], None if conf is None else conf[keep]
        )
    return kept, classes


def export_tag(
    project: ProjectStore,
    tag: str,
    out: Path,
    target: str,
    *,
    predictions: str | None = None,
    min_confidence: float = 0.0,
    image_root: str | None = None,
    with_labels: bool = False,
    extra_classes: Sequence[str] = (),
) -> ExportReport:
    """Write the images of ``tag`` for labelling in ``target`` format into folder ``out``.

    - ``label-studio``: ``tasks.json`` (image references, see :func:`image_reference`; with
      ``predictions`` the set's boxes as pre-annotations with their scores; with
      ``with_labels`` the current labels, of the images that have boxes, as annotations) and
      ``labeling-config.xml``.
    - ``cvat``: ``annotations.xml`` (CVAT for images 1.1: images, pre-annotations as
      ``source="auto"`` boxes, labels with ``with_labels``) and ``labels.json`` (the label list
      for CVAT's label constructor, Raw).
    - ``coco`` / ``yolo`` / ``voc``: ``images/`` (hard links or copies) and ``labels/`` with the
      current labels (``annotations.json``; ``classes.txt`` + one ``.txt`` per image; one
      ``.xml`` per image).

    ``extra_classes`` are names offered to labellers beyond the project's (a new pool has none
    yet); the import then needs ``add_classes`` for those used.

    Raises:
        AlpickError: For an unknown tag, format or prediction set, or a bad option.
    """
    target = _check_target(target, EXPORT_TARGETS, "export format")
    samples = project.tag_samples(tag)
    if not samples:
        raise AlpickError(f"tag {tag!r} is empty: nothing to export")
    if image_root is not None and target != "label-studio":
        raise AlpickError("--image-root applies to --to label-studio only")
    if predictions is not None and target not in ("label-studio", "cvat"):
        raise AlpickError("--predictions applies to --to label-studio or cvat only")
    pre, pre_classes = _predictions(project, predictions, min_confidence)
    if any(not c.strip() for c in extra_classes):
        raise AlpickError(f"--classes: an empty class name in {','.join(extra_classes)!r}")
    classes = project.classes()
    labels = project.labels([s.id for s in samples])
    names = list(classes.names)
    for name in [*(c.strip() for c in extra_classes), *pre_classes.names]:
        if name not in names:
            names.append(name)
    out = Path(out)
    if target == "label-studio":
        return _export_label_studio(
            project, samples, out, Classes(names), labels if with_labels else None,
            pre, pre_classes, predictions, image_root,
        )  # fmt: skip
    if target == "cvat":
        return _export_cvat(samples, out, Classes(names), labels if with_labels else None, pre,
                            pre_classes)  # fmt: skip
    return _export_dataset(project, samples, out, target, Classes(names), labels)


def _export_label_studio(
    project: ProjectStore,
    samples: list[Sample],
    out: Path,
    classes: Classes,
    labels: dict[int, Detections] | None,
    pre: dict[int, Detections],
    pre_classes: Classes,
    model: str | None,
    image_root: str | None,
) -> ExportReport:
    from alpick.formats.labelstudio import labeling_config, rectangle_results

    tasks = []
    boxes = 0
    for s in samples:
        task: dict[str, Any] = {
            "data": {
                "image": image_reference(project, s, image_root),
                "alpick_id": s.id,
                "alpick_path": s.path,
            }
        }
        if model is not None:
            det = pre.get(s.id, Detections.empty())
            result = rectangle_results(det, pre_classes, width=s.width, height=s.height, prefix="p")
            score = float(det.confidence.mean()) if det.confidence is not None and len(det) else 0
            task["predictions"] = [{"model_version": model, "score": score, "result": result}]
            boxes += len(det)
        if labels is not None and len(labels[s.id]):  # else it would show as done, empty
            det = labels[s.id]
            result = rectangle_results(det, classes, width=s.width, height=s.height, prefix="a")
            task["annotations"] = [{"result": result, "was_cancelled": False}]
            boxes += len(det)
        tasks.append(task)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / LS_TASKS, json.dumps(tasks, indent=1) + "\n")
    write_text_atomic(out / LS_CONFIG, labeling_config(classes.names))
    return ExportReport("label-studio", len(samples), boxes, [out / LS_TASKS, out / LS_CONFIG])


def _export_cvat(
    samples: list[Sample],
    out: Path,
    classes: Classes,
    labels: dict[int, Detections] | None,
    pre: dict[int, Detections],
    pre_classes: Classes,
) -> ExportReport:
    from alpick.formats.cvat import format_cvat

    images = []
    sources = []
    for s in samples:
        if labels is not None and len(labels[s.id]):
            det, source = labels[s.id], "manual"
        else:
            det, source = pre.get(s.id, Detections.empty()), "auto"
            remap = np.asarray(classes.ids(pre_classes.names), np.int64)
            det = Detections(det.xyxy, remap[det.class_id] if len(det) else det.class_id)
        images.append((s.path, s.width, s.height, det))
        sources.append(source)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / CVAT_XML, format_cvat(images, classes, sources=sources))
    label_list = [{"name": n, "type": "rectangle", "attributes": []} for n in classes.names]
    write_text_atomic(out / CVAT_LABELS, json.dumps(label_list, indent=1) + "\n")
    boxes = sum(len(d) for _, _, _, d in images)
    return ExportReport("cvat", len(samples), boxes, [out / CVAT_XML, out / CVAT_LABELS])


def _export_dataset(
    project: ProjectStore,
    samples: list[Sample],
    out: Path,
    fmt: str,
    classes: Classes,
    labels: dict[int, Detections],
) -> ExportReport:
    _link_images(project, samples, out)  # images first (all checked to exist), then labels
    folder = out / "labels"
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "coco":
        from alpick.formats.coco import save_coco_instances

        dets = {s.path: labels[s.id] for s in samples}
        sizes = {s.path: (s.width, s.height) for s in samples}
        save_coco_instances(folder / COCO_JSON, dets, classes, sizes)
        files = [folder / COCO_JSON]
    elif fmt == "yolo":
        from alpick.formats.yolo import save_yolo, save_yolo_names

        for s in samples:
            path = folder / PurePosixPath(s.path).with_suffix(".txt")
            path.parent.mkdir(parents=True, exist_ok=True)
            save_yolo(path, labels[s.id], width=s.width, height=s.height)
        save_yolo_names(folder / "classes.txt", classes)
        files = [folder]
    else:
        from alpick.formats.voc import save_voc

        for s in samples:
            path = folder / PurePosixPath(s.path).with_suffix(".xml")
            path.parent.mkdir(parents=True, exist_ok=True)
            save_voc(
                path,
                labels[s.id],
                classes,
                filename=PurePosixPath(s.path).name,
                width=s.width,
                height=s.height,
            )
        files = [folder]
    boxes = sum(len(labels[s.id]) for s in samples)
    return ExportReport(fmt, len(samples), boxes, [out / "images", *files])


def _link_images(project: ProjectStore, samples: list[Sample], out: Path) -> None:
    """Hard-link (or copy, atomically) the images of ``samples`` into ``out/images``."""
    from alpick.project.annotate import place_file

    missing = [s.path for s in samples if not (project.images_dir / s.path).is_file()]
    if missing:
        raise AlpickError(f"image {project.images_dir / missing[0]} does not exist")
    for s in samples:
        place_file(project.images_dir / s.path, out / "images" / s.path)


# --- import ------------------------------------------------------------------------------------

# One image's labels as read from a file: where (for messages), the sample, and its boxes as
# (class name, x0, y0, x1, y1) in pixels.
_Read = tuple[str, Sample, list[tuple[str, float, float, float, float]]]


def read_class_map(path: Path | None) -> dict[str, str]:
    """``--class-map``: a JSON object ``{"their name": "project name"}`` or lines
    ``their name,project name``.

    Raises:
        AlpickError: For an unreadable or malformed file.
    """
    if path is None:
        return {}
    text = read_text(Path(path))
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AlpickError(f"{path}: not valid JSON ({exc})") from None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise AlpickError(f"{path}: a class map maps names to names")
        return dict(data)
    mapping = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or not all(parts):
            raise AlpickError(f"{path}:{n}: expected 'their name,project name', got {line!r}")
        mapping[parts[0]] = parts[1]
    return mapping


class _Matcher:
    """Finds the project's sample for a name or reference from a file."""

    def __init__(self, samples: list[Sample]) -> None:
        self.by_path = {s.path: s for s in samples}
        self.by_id = {s.id: s for s in samples}
        self.by_stem = {os.path.splitext(s.path)[0]: s for s in samples}
        names: dict[str, list[Sample]] = {}
        for s in samples:
            names.setdefault(PurePosixPath(s.path).name, []).append(s)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}

    def path(self, name: str) -> Sample | None:
        name = name.replace("\\", "/").removeprefix("./")
        if name in self.by_path:
            return self.by_path[name]
        for k in range(1, name.count("/") + 1):  # a prefix folder the project does not have
            tail = name.split("/", k)[-1]
            if tail in self.by_path:
                return self.by_path[tail]
        return self.by_name.get(PurePosixPath(name).name)

    def ls_task(self, data: Mapping[str, Any]) -> Sample | None:
        if isinstance(data.get("alpick_path"), str):
            return self.by_path.get(data["alpick_path"])
        ref = data.get("image")
        if not isinstance(ref, str):
            return None
        served = re.search(r"/api/samples/(\d+)/image", ref)
        if served:
            return self.by_id.get(int(served.group(1)))
        parts = urlsplit(ref)
        local = parse_qs(parts.query).get("d")
        return self.path(unquote(local[0] if local else parts.path))


def _read_label_studio(path: Path, match: _Matcher) -> tuple[list[_Read], int]:
    from alpick.formats.labelstudio import load_label_studio_export

    file = _single_file(path, ".json", "Label Studio JSON export")
    found: list[_Read] = []
    skipped = 0
    for task in load_label_studio_export(file):
        sample = match.ls_task(task.data)
        if sample is None:
            ref = task.data.get("alpick_path", task.data.get("image"))
            raise AlpickError(f"{task.where}: image {ref!r} is not in the project")
        if task.boxes is None:
            skipped += 1
            continue
        boxes = []
        for k, b in enumerate(task.boxes, start=1):
            where = f"{task.where}, box {k}"
            if abs(b.rotation) > 1e-6 and abs(b.rotation - 360) > 1e-6:
                raise AlpickError(
                    f"{where}: a rotated box (rotation={b.rotation:g}); alpick stores "
                    "axis-aligned boxes only: set its rotation to 0 in Label Studio"
                )
            if b.original_size is not None and b.original_size != (sample.width, sample.height):
                raise AlpickError(
                    f"{where}: labelled on a {b.original_size[0]}x{b.original_size[1]} image, "
                    f"but {sample.path} is {sample.width}x{sample.height}"
                )
            w, h = sample.width, sample.height
            x0, y0 = b.x / 100.0 * w, b.y / 100.0 * h
            x1, y1 = (b.x + b.width) / 100.0 * w, (b.y + b.height) / 100.0 * h
            boxes.append((b.label, x0, y0, x1, y1))
        found.append((task.where, sample, boxes))
    return found, skipped


def _read_cvat(path: Path, match: _Matcher) -> tuple[list[_Read], int]:
    from alpick.formats.cvat import load_cvat

    file = _single_file(path, ".xml", "CVAT XML")
    found: list[_Read] = []
    for image in load_cvat(file):
        sample = match.path(image.name)
        if sample is None:
            raise AlpickError(f"{image.where}: not an image of the project")
        if image.size != (sample.width, sample.height):
            raise AlpickError(
                f"{image.where}: {image.size[0]}x{image.size[1]}, but {sample.path} is "
                f"{sample.width}x{sample.height}"
            )
        found.append((image.where, sample, list(image.boxes)))
    return found, 0


def _single_file(path: Path, suffix: str, what: str) -> Path:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == suffix and p.is_file())
        preferred = [p for p in files if p.name in (LS_TASKS, CVAT_XML)]
        if len(files) == 1:
            return files[0]
        if not files:
            raise AlpickError(f"{path}: no {suffix} file (expected a {what})")
        if len(files) > 1 and not preferred:
            raise AlpickError(f"{path}: several {suffix} files; name the one to import")
        return preferred[0]
    if not path.exists():
        raise AlpickError(f"{path} does not exist")
    return path


def _read_dataset(path: Path, fmt: str, match: _Matcher, classes: Classes) -> list[_Read]:
    """COCO / YOLO / VOC: the images with a label file (YOLO, VOC) or listed (COCO)."""
    from alpick.formats.labels_dir import YOLO_NAME_FILES, load_label_dir

    if not path.exists():
        raise AlpickError(f"{path} does not exist")
    folder = path / "labels" if (path / "labels").is_dir() else path
    chosen: list[tuple[str, Sample]] = []
    if fmt == "coco":
        from alpick.formats.coco import load_coco_index

        file = _single_file(folder, ".json", "COCO instances file")
        for name in load_coco_index(file).sizes:
            sample = match.path(name)
            if sample is None:
                raise AlpickError(f"{file}: image {name!r} is not in the project")
            chosen.append((f"{file}: image {name!r}", sample))
        folder = file
    else:
        if not folder.is_dir():
            raise AlpickError(f"{folder}: expected a folder of {fmt.upper()} label files")
        suffix = ".txt" if fmt == "yolo" else ".xml"
        for file in sorted(folder.rglob(f"*{suffix}")):
            rel = file.relative_to(folder).as_posix()
            if rel in YOLO_NAME_FILES:
                continue
            sample = match.by_stem.get(rel[: -len(suffix)])
            if sample is None:
                raise AlpickError(f"{file}: no image of the project has this label file")
            chosen.append((str(file), sample))
    images = [(s.path, s.width, s.height) for _, s in chosen]
    # YOLO indices without a classes.txt are the project's class ids
    dets, classes = load_label_dir(folder, fmt, images, Classes(list(classes.names)))
    found: list[_Read] = []
    for where, sample in chosen:
        det = dets[sample.path]
        boxes = [
            (classes.name(int(c)), x0, y0, x1, y1)
            for (x0, y0, x1, y1), c in zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True)
        ]
        found.append((where, sample, boxes))
    return found


def import_labels(
    project: ProjectStore,
    path: Path,
    fmt: str,
    *,
    class_map: Path | None = None,
    add_classes: bool = False,
) -> LabelImport:
    """Check the labels in ``path`` against the project, then store them as one label set.

    Raises:
        AlpickError: Naming the file and task (or image) of the first problem: an image the
            project does not know (or one given twice), a class not in the project (unless
            mapped by ``class_map`` or added with ``add_classes``), a box out of its image, a
            rotated box or another shape, a malformed file. Nothing is stored then.
    """
    fmt = _check_target(fmt, IMPORT_FORMATS, "label format")
    path = Path(path)
    mapping = read_class_map(class_map)
    samples = project.samples()
    match = _Matcher(samples)
    project.check_writable()
    skipped = 0
    if fmt == "label-studio":
        found, skipped = _read_label_studio(path, match)
    elif fmt == "cvat":
        found, skipped = _read_cvat(path, match)
    else:
        found = _read_dataset(path, fmt, match, project.classes())
    classes = project.classes()
    known = set(classes.names)
    new: list[str] = []
    seen: dict[int, str] = {}
    labels: dict[int, Detections] = {}
    for where, sample, boxes in found:
        if sample.id in seen:
            raise AlpickError(
                f"{where}: image {sample.path} is labelled again (also {seen[sample.id]})"
            )
        seen[sample.id] = where
        xyxy, ids = [], []
        for k, (name, x0, y0, x1, y1) in enumerate(boxes, start=1):
            here = f"{where}, box {k}"
            name = mapping.get(name, name)
            if name not in known:
                if not add_classes:
                    have = ", ".join(classes.names) or "it has no classes yet"
                    raise AlpickError(
                        f"{here}: class {name!r} is not in the project ({have}); map it with "
                        "--class-map or add it with --add-classes"
                    )
                known.add(name)
                new.append(name)
            w, h, tol = sample.width, sample.height, EDGE_TOLERANCE
            if not (x0 < x1 and y0 < y1):
                raise AlpickError(
                    f"{here}: an empty or inverted box ({x0:g}, {y0:g}, {x1:g}, {y1:g})"
                )
            if x0 < -tol or y0 < -tol or x1 > w + tol or y1 > h + tol:
                raise AlpickError(
                    f"{here}: box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) reaches out of the {w}x{h} "
                    f"image {sample.path}"
                )
            xyxy.append((max(x0, 0.0), max(y0, 0.0), min(x1, float(w)), min(y1, float(h))))
            ids.append(classes.id(name))
        labels[sample.id] = Detections(
            np.asarray(xyxy, np.float32).reshape(-1, 4), np.asarray(ids, np.int64)
        )
    if not labels:
        raise AlpickError(f"{path}: no annotated image to import")
    record = project.save_label_set(labels, source=str(path.resolve()), fmt=fmt, new_classes=new)
    return LabelImport(record, skipped, new)


# --- history -----------------------------------------------------------------------------------


def find_sample(project: ProjectStore, image: str) -> Sample:
    """The sample named ``image`` (relative path, unique file name, or sample id).

    Raises:
        AlpickError: If none matches.
    """
    samples = project.samples()
    match = _Matcher(samples)
    if image.isdigit() and int(image) in match.by_id:
        return match.by_id[int(image)]
    sample = match.path(image)
    if sample is None:
        raise AlpickError(f"image {image!r} is not in the project")
    return sample


def describe_change(before: Detections, after: Detections, classes: Classes) -> str:
    """What changed between two versions of an image's boxes, in words."""

    def key(det: Detections) -> list[tuple[str, tuple[float, ...]]]:
        return [
            (classes.name(int(c)), tuple(round(v, 2) for v in box))
            for box, c in zip(det.xyxy.tolist(), det.class_id.tolist(), strict=True)
        ]

    old, new = key(before), key(after)
    added = [b for b in new if b not in old]
    removed = [b for b in old if b not in new]
    if not added and not removed:
        return "unchanged"
    parts = []
    if added:
        parts.append(f"+{len(added)} ({_boxes_text(added)})")
    if removed:
        parts.append(f"-{len(removed)} ({_boxes_text(removed)})")
    return " ".join(parts)


def _boxes_text(boxes: list[tuple[str, tuple[float, ...]]]) -> str:
    return "; ".join(f"{n} {' '.join(f'{v:g}' for v in b)}" for n, b in boxes[:5]) + (
        "; ..." if len(boxes) > 5 else ""
    )
