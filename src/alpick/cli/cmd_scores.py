"""CLI: ``alpick scores`` — active-learning scores of a prediction folder (parsing and printing)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alpick.cli.common import (
    CPUS_PER_WORKER,
    GPUS_PER_WORKER,
    RAY,
    RAY_WORKERS,
    err,
    in_project,
    open_project,
    out,
    output_file,
    ray_settings,
)

if TYPE_CHECKING:
    from alpick.project.scores import ScoreReport


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _summary(report: ScoreReport) -> None:
    from rich.table import Table

    table = Table("score", "count", "mean", "min", "max")
    for name, values in report.scores.items():
        if len(values):
            stats = (f"{values.mean():.4f}", f"{values.min():.4f}", f"{values.max():.4f}")
        else:
            stats = ("", "", "")
        table.add_row(name, f"{len(values):,}", *stats)
    out.print(table)


def scores(
    predictions: Path = typer.Option(..., "--predictions", help="The prediction folder."),
    fmt: str = typer.Option("kitti", "--format", help="kitti, coco, yolo or lightly."),
    out_file: Path | None = typer.Option(
        None,
        "--out",
        help="Write the scores as CSV to this file ('-': standard output).",
        callback=output_file,
    ),
    name: str | None = typer.Option(
        None, "--name", help="Prediction and score set name (default: the folder's name)."
    ),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", help="Drop boxes below this confidence before scoring."
    ),
    reduction: str = typer.Option(
        "max", "--reduction", help="Per-box uncertainties to one per image: max, mean or sum."
    ),
    score: list[str] | None = typer.Option(
        None, "--score", help="Compute only this score (repeatable; default: all)."
    ),
    ray: str | None = RAY,
    ray_workers: int | None = RAY_WORKERS,
    cpus_per_worker: float = CPUS_PER_WORKER,
    gpus_per_worker: float | None = GPUS_PER_WORKER,
) -> None:
    """Score predictions: inside a project they are stored as a prediction set and a score
    set (rows: the project's images); outside, rows are the prediction files.

    Without --out, prints a summary (count, mean, min, max per score)."""
    from alpick.api import format_scores_csv, score_folder, write_scores_csv
    from alpick.errors import AlpickError

    to_stdout = out_file is not None and str(out_file) == "-"
    cluster = ray_settings(ray, ray_workers, cpus_per_worker, gpus_per_worker)
    if in_project():
        with open_project() as project:
            report = project.score_predictions(
                predictions,
                fmt,
                name=name,
                scores=score,
                reduction=reduction,
                min_confidence=min_confidence,
                ray=cluster,
            )
        assert report.prediction_set is not None and report.score_set is not None
        where = (
            f"{len(report.samples):,} images with prediction set {report.prediction_set.name!r}; "
            f"saved score set {report.score_set.name!r}"
        )
    else:
        if name is not None:
            raise AlpickError("--name names the sets stored in a project; no project found here")
        if cluster is not None:
            raise AlpickError("--ray scores the prediction files of a project; no project here")
        report = score_folder(
            predictions, fmt, names=score, reduction=reduction, min_confidence=min_confidence
        )
        where = f"{len(report.samples):,} prediction files (no project here: nothing stored)"
    boxes = f"{report.boxes:,} boxes"
    if min_confidence > 0:
        boxes += f", {report.kept:,} at or above {min_confidence:g}"
    info = err if to_stdout else out
    info.print(f"scored {where} ({boxes})", markup=False, soft_wrap=True)
    if report.without_file:
        err.print(
            f"note: {_count(report.without_file, 'image has', 'images have')} no prediction "
            "file (no boxes)",
            markup=False,
        )
    if report.orphans:
        more = f" and {len(report.orphans) - 3:,} more" if len(report.orphans) > 3 else ""
        err.print(
            "note: "
            + _count(len(report.orphans), "prediction file matches", "prediction files match")
            + " no image: "
            f"{', '.join(report.orphans[:3])}{more}",
            markup=False,
            soft_wrap=True,
        )
    if to_stdout:
        typer.echo(format_scores_csv(report.samples, report.scores), nl=False)
        return
    if out_file is not None:
        write_scores_csv(out_file, report.samples, report.scores)
        out.print(
            f"wrote {out_file} ({len(report.samples):,} rows x {len(report.scores)} scores)",
            markup=False,
        )
    _summary(report)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("scores")(scores)
