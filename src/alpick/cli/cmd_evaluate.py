"""CLI: the built-in detector's commands (parsing and printing only).

``alpick evaluate`` (no project needed); ``alpick train`` and ``alpick predict``, which work on
a project, are in :mod:`alpick.cli.cmd_train`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.formats.detections import Classes, Detections

EVAL_FORMATS = ("kitti",)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("evaluate")(evaluate)


def evaluate(
    predictions: Path = typer.Option(
        ...,
        "--predictions",
        help="Folder of prediction files (KITTI with a 16th confidence column).",
    ),
    labels: Path = typer.Option(..., "--labels", help="Folder of ground-truth label files."),
    fmt: str = typer.Option("kitti", "--format", help="Format of both folders: kitti."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the metrics as JSON."),
) -> None:
    """COCO metrics of predictions against labels: AP, AP50, AP75, AP by size, AR.

    Images are matched by file stem. A label file without a prediction file is an image with no
    detections; a prediction file without a label file is an image with no objects. Class names
    are matched case-insensitively.
    """
    from alpick.cli.common import out
    from alpick.evaluate.coco import coco_metrics

    fmt = fmt.lower()
    if fmt not in EVAL_FORMATS:
        raise AlpickError(f"unknown format {fmt!r} for evaluate; choose one of {EVAL_FORMATS}")
    gt, preds, names = _read_kitti_folders(labels, predictions)
    if not gt and not preds:
        raise AlpickError(f"no label or prediction files in {labels} or {predictions}")
    if not names:
        names = ["object"]
    result = coco_metrics(gt, preds, names)
    out.print(result.to_table())
    if json_out is not None:
        payload = {"predictions": str(predictions), "labels": str(labels), **result.to_dict()}
        _write_json(json_out, payload)
        out.print(f"wrote {json_out}")


def _write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON to a temporary name beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_kitti_folders(
    labels: Path, predictions: Path
) -> tuple[dict[str, Detections], dict[str, Detections], list[str]]:
    """Ground truth and predictions by file stem, with one class list shared by both."""
    from alpick.formats.detections import Classes

    for folder in (labels, predictions):
        if not folder.is_dir():
            raise AlpickError(f"{folder}: no such folder")
    from alpick.formats.kitti import load_kitti_dir

    classes = Classes()
    gt_names, gt_dets = load_kitti_dir(labels, classes, predictions=False)
    pr_names, pr_dets = load_kitti_dir(predictions, classes, predictions=True)
    remap, names = _fold_case(classes)
    gt = {
        n: _relabel(d, remap, keep_confidence=False) for n, d in zip(gt_names, gt_dets, strict=True)
    }
    preds = {
        n: _relabel(d, remap, keep_confidence=True) for n, d in zip(pr_names, pr_dets, strict=True)
    }
    return gt, preds, names


def _fold_case(classes: Classes) -> tuple[list[int], list[str]]:
    """Map class ids so names differing only in case share one id."""
    index: dict[str, int] = {}
    names: list[str] = []
    remap = []
    for name in classes.names:
        key = name.lower()
        if key not in index:
            index[key] = len(names)
            names.append(name)
        remap.append(index[key])
    return remap, names


def _relabel(det: Detections, remap: list[int], *, keep_confidence: bool) -> Detections:
    import numpy as np

    from alpick.formats.detections import Detections

    ids = np.asarray(remap, np.int64)[det.class_id] if len(det) else det.class_id
    return Detections(det.xyxy, ids, det.confidence if keep_confidence else None)
