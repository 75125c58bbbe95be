"""CLI: ``alpick simulate`` and ``alpick report`` (parsing and printing only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from alpick.cli.common import RAY, err, open_project, out, output_dir, parse_wxh
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.simulate.runner import SimulationConfig, StageCallback


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise AlpickError(f"{what} must be comma-separated integers, got {text!r}") from None
    if not values:
        raise AlpickError(f"{what} is empty")
    return values


def simulate(
    strategies: str = typer.Option(
        "random,coreset,coral", help="Comma-separated: random, coreset, coral, uncertainty."
    ),
    initial: int = typer.Option(20, help="Labelled images before the first round."),
    budget: int = typer.Option(20, help="Images labelled per round."),
    rounds: int = typer.Option(4, help="Selection rounds (the detector trains rounds + 1 times)."),
    steps: int | None = typer.Option(
        None, help="Training steps per round (default: fitted to the labelled set's size)."
    ),
    epochs: int | None = typer.Option(None, help="Training epochs per round, instead of --steps."),
    warm_start: bool = typer.Option(
        False, help="Start each round's detector from the previous round's."
    ),
    workers: int = typer.Option(
        1, help="Run strategies and seeds in this many parallel processes (one thread each)."
    ),
    seeds: str = typer.Option("0", help="Comma-separated seeds, one run per seed and strategy."),
    test_labels: Path = typer.Option(..., help="KITTI labels of the test split."),
    test_images: Path | None = typer.Option(
        None, help="Images of the test split (default: TEST_LABELS/../images)."
    ),
    metadata: Path | None = typer.Option(
        None, help="CSV with image,condition,sequence columns (e.g. the orchard's metadata.csv)."
    ),
    embeddings: str | None = typer.Option(None, help="Embedding set (default: the latest)."),
    score: str = typer.Option("uncertainty_entropy", help="Score used by coral/uncertainty."),
    min_confidence: float = typer.Option(0.1, help="Ignore boxes below this when scoring."),
    initial_method: str = typer.Option("random", help="Initial set: random or coreset."),
    batch_size: int | None = typer.Option(None, help="Training batch size (default: train's)."),
    input_size: str | None = typer.Option(
        None, help="Detector input WxH (default: fitted to the images)."
    ),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    out_dir: Path = typer.Option(
        ..., "--out", help="Results folder; rerun to resume.", callback=output_dir
    ),
    ray: str | None = RAY,
    cpus_per_run: float = typer.Option(
        1.0, help="With --ray: CPUs (and torch threads) of each strategy-and-seed task."
    ),
    gpus_per_run: float | None = typer.Option(
        None, help="With --ray: GPUs of each task (default 1 when the cluster has any)."
    ),
) -> None:
    """Compare selection strategies on a fully labelled pool: learning curves and a report."""
    from alpick.api import RayOptions, SimulationConfig, TrainConfig

    config = SimulationConfig(
        strategies=tuple(s.strip().lower() for s in strategies.split(",") if s.strip()),
        initial=initial,
        budget=budget,
        rounds=rounds,
        seeds=_ints(seeds, "--seeds"),
        initial_method=initial_method.lower(),
        score=score,
        min_confidence=min_confidence,
        extra=_extra(epochs=epochs, steps=steps, batch_size=batch_size, input_size=input_size),
        warm_start=warm_start,
    )
    if workers < 1:
        raise AlpickError("--workers must be at least 1")
    settings: dict[str, Any] = {"epochs": epochs, "steps": steps, "device": device}
    if batch_size is not None:
        settings["batch_size"] = batch_size
    if input_size:
        settings["input_size"] = parse_wxh(input_size, option="--input-size")
    train = TrainConfig(**settings)
    cluster = None
    if ray is not None:
        cluster = RayOptions(ray, cpus_per_worker=cpus_per_run, gpus_per_worker=gpus_per_run)
    with open_project() as project, _stage_display(config) as stage:
        _, report = project.simulate(
            config,
            train,
            out_dir=out_dir,
            test_labels=test_labels,
            test_images=test_images,
            metadata=metadata,
            embeddings=embeddings,
            on_stage=stage,
            workers=workers,
            ray=cluster,
        )
    out.print(f"report: {report}")


def _extra(**given: Any) -> dict[str, Any]:
    """The training settings a resumed simulation must share (those given; epochs always, so
    folders from before steps existed resume as they were)."""
    return {k: v for k, v in given.items() if v is not None or k in ("epochs", "input_size")}


@contextmanager
def _stage_display(config: SimulationConfig) -> Iterator[StageCallback]:
    """A rich progress bar over all rounds, showing strategy, seed, round and stage.

    It appears at the first stage, so that errors found before any work print cleanly.
    """
    from alpick.progress import progress_bar

    total = len(config.strategies) * len(config.seeds) * (config.rounds + 1)
    seen: set[tuple[str, int, int]] = set()
    bar = progress_bar(total, "starting", unit=None, show_after_s=0.0, transient=True, console=err)
    with bar as advance:

        def stage(strategy: str, seed: int, rnd: int, what: str) -> None:
            done = 1 if seen and (strategy, seed, rnd) not in seen else 0  # the previous round
            seen.add((strategy, seed, rnd))
            where = f"{strategy} seed {seed} round {rnd}/{config.rounds}"
            advance(done, description=f"{where}: {what}")

        yield stage


def report(
    folders: list[Path] = typer.Argument(..., help="Simulation folders (e.g. one per seed)."),
    out_dir: Path = typer.Option(
        ..., "--out", help="Where to write the merged report.", callback=output_dir
    ),
) -> None:
    """Merge simulations run in separate folders (say, one seed per process) into one report."""
    from alpick.api import merge_simulations

    path, n_rounds = merge_simulations(folders, out_dir)
    out.print(f"report: {path} ({n_rounds} rounds)", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("simulate")(simulate)
    app.command("report")(report)
