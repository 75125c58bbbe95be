"""CLI: ``alpick demo`` (parsing and printing only)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import err, out, output_dir, seed_option
from alpick.demo.run import DemoConfig
from alpick.errors import AlpickError

_DEFAULTS = DemoConfig()  # the one source of the demo's sizes (plain data: a light import)


def demo(
    out_dir: Path = typer.Option(
        Path("alpick-demo"), "--out", help="Folder for everything.", callback=output_dir
    ),
    n_train: int = typer.Option(_DEFAULTS.n_train, help="Generated training-pool images."),
    n_test: int = typer.Option(_DEFAULTS.n_test, help="Generated test images."),
    steps: int = typer.Option(_DEFAULTS.steps, help="Optimizer steps of the first training."),
    retrain_steps: int = typer.Option(
        _DEFAULTS.retrain_steps, help="Optimizer steps of the (warm-started) retrain."
    ),
    sim_steps: int = typer.Option(
        _DEFAULTS.sim_steps, help="Optimizer steps of each simulation round."
    ),
    initial: int = typer.Option(_DEFAULTS.initial, help="Initial selection size."),
    budget: int = typer.Option(_DEFAULTS.budget, help="Images added per round."),
    sim_initial: int = typer.Option(
        _DEFAULTS.sim_initial, help="Simulation: initial labelled images."
    ),
    sim_budget: int = typer.Option(
        _DEFAULTS.sim_budget, help="Simulation: images added per round."
    ),
    rounds: int = typer.Option(_DEFAULTS.sim_rounds, help="Simulation rounds."),
    seed: int = typer.Option(
        _DEFAULTS.seed, help="Seed of the data and the selections.", callback=seed_option
    ),
) -> None:
    """The whole loop on a generated orchard: select, annotate, train, predict, simulate."""
    from alpick.demo.run import run_demo

    sizes = (n_train, n_test, steps, retrain_steps, sim_steps, initial, budget, sim_initial)
    if min(*sizes, sim_budget) < 1 or rounds < 0:
        raise AlpickError("sizes, steps and budget must be >= 1 and --rounds >= 0")
    config = DemoConfig(
        n_train=n_train,
        n_test=n_test,
        seed=seed,
        initial=initial,
        budget=budget,
        steps=steps,
        retrain_steps=retrain_steps,
        sim_steps=sim_steps,
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
