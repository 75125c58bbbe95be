"""CLI: ``alpick select`` — choose the next samples and record them as a tag (parsing and
printing only; the work is :meth:`alpick.api.Project.select_report`)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import err, open_project, out, seed_option


def select(
    method: str | None = typer.Option(
        None, "--method", help="RANDOM, CORESET, CORAL or UNCERTAINTY (case-insensitive)."
    ),
    n_samples: int | None = typer.Option(
        None, "--n-samples", help="TOTAL size of the new tag, preselected samples included."
    ),
    new_tag: str = typer.Option(..., "--new-tag", help="Name of the tag to create."),
    preselected: str | None = typer.Option(
        None, "--preselected-tag", help="The tag selected so far (the new tag's parent)."
    ),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="Prediction folder: imported and scored as `alpick scores`."
    ),
    fmt: str = typer.Option("kitti", "--format", help="Format of --predictions."),
    prediction_set: str | None = typer.Option(
        None, "--prediction-set", help="Stored prediction set to score (default: the latest)."
    ),
    score: str = typer.Option(
        "uncertainty_entropy", "--score", help="CORAL's active-learning score."
    ),
    embeddings: str | None = typer.Option(
        None, "--embeddings", help="Embedding set (default: the latest)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of every random draw.", callback=seed_option),
    config: Path | None = typer.Option(
        None, "--config", help="Full selection config (.yaml, .yml or .json)."
    ),
    metadata: Path | None = typer.Option(
        None, "--metadata", help="CSV of per-image metadata (for METADATA inputs)."
    ),
    min_confidence: float | None = typer.Option(
        None,
        "--min-confidence",
        help="Drop boxes below this before scoring (default: the stored scores' setting, or 0).",
    ),
) -> None:
    """Select samples to label next and record them as a new tag.

    With --method: a preset (RANDOM, CORESET = k-center greedy on the embeddings, CORAL =
    diversity x --score). With --config: any combination of strategies."""
    from alpick.api import METHODS, read_config_file
    from alpick.errors import AlpickError

    if method is None and config is None:
        raise AlpickError(f"give --method ({', '.join(METHODS)}) or --config FILE")
    if predictions is not None and prediction_set is not None:
        raise AlpickError("give --predictions DIR or --prediction-set NAME, not both")
    raw = read_config_file(config) if config is not None else None
    with open_project() as project:
        result = project.select_report(
            new_tag,
            method=method,
            n_samples=n_samples,
            preselected=preselected,
            score=score,
            embeddings=embeddings,
            prediction_set=prediction_set,
            seed=seed,
            config=raw,
            metadata=None if metadata is None else metadata.resolve(),
            min_confidence=min_confidence,
            predictions=None if predictions is None else predictions.resolve(),
            predictions_format=fmt,
        )
    if result.imported is not None:
        err.print(
            f"imported and scored predictions {result.imported.name!r} from {predictions}",
            markup=False,
            soft_wrap=True,
        )
    elif predictions is not None:
        err.print(
            f"note: {result.description} reads no scores or predictions; {predictions} was not "
            "imported",
            markup=False,
            soft_wrap=True,
        )
    parts = [f"{result.new:,} new", result.description, f"seed {seed}"]
    if preselected is not None:
        parts.insert(0, f"{result.preselected:,} from {preselected!r}")
    size = result.preselected + result.new
    out.print(
        f"created tag {result.tag.name!r} with {size:,} samples ({', '.join(parts)})",
        markup=False,
        soft_wrap=True,
    )
    if result.stopped_early:
        out.print(
            f"note: stopped before {result.asked:,}: every remaining sample is closer than "
            "stopping_condition_minimum_distance",
            markup=False,
        )
    out.print(f"next: alpick annotate --tag {result.tag.name}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("select")(select)
