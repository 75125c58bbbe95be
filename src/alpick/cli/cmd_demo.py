"""CLI: ``alpick demo`` (parsing and printing only)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import err, out
from alpick.errors import AlpickError


def demo(
    out_dir: Path = typer.Option(Path("alpick-demo"), "--out", help="Folder for everything."),
    n_train: int = typer.Option(150, help="Generated training-pool images."),
    n_test: int = typer.Option(50, help="Generated test images."),
    epochs: int = typer.Option(8, help="Training epochs per run."),
    initial: int = typer.Option(20, help="Initial selection size."),
    budget: int = typer.Option(20, help="Images added per round."),
    sim_initial: int = typer.Option(10, help="Simulation: initial labelled images."),
    sim_budget: int = typer.Option(10, help="Simulation: images added per round."),
    rounds: int = typer.Option(2, help="Simulation rounds."),
    seed: int = typer.Option(0, help="Seed of the data and the selections."),
) -> None:
    """The whole loop on a generated orchard: select, annotate, train, predict, simulate."""
    from alpick.demo.run import DemoConfig, run_demo

    if min(n_train, n_test, epochs, initial, budget, sim_initial, sim_budget) < 1 or rounds < 0:
        raise AlpickError("sizes, epochs and budget must be >= 1 and --rounds >= 0")
    config = DemoConfig(
        n_train=n_train,
        n_test=n_test,
        seed=seed,
        initial=initial,
        budget=budget,
        epochs=epochs,
        sim_initial=sim_initial,
        sim_budget=sim_budget,
        sim_rounds=rounds,
    )
    result = run_demo(out_dir, config, log=lambda line: err.print(line, markup=False))
    for tag, m in result.metrics.items():
        out.print(f"{tag}: AP50 {m['AP50']:.3f} on the test split", markup=False)
    out.print(f"report: {result.report}", markup=False)
    out.print(f"browse it: alpick serve --project {result.report.parent / 'project'}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("demo")(demo)
