"""Label savings: every selection strategy against RANDOM, over seeds and orchard regimes.

The experiment behind ``docs/results.md``. For each orchard regime (``default``: sequences of
near-duplicate frames and skewed conditions; ``balanced``: independent scenes, conditions evenly
spread, where active learning should help less) it generates the orchard (300 pool / 100 test
by default), makes a project of its training split (the pool, with the oracle's labels), embeds
it, and simulates every strategy for every seed with alpick's detector. Then it writes, in
``--out``:

* ``rounds.csv``: one row per (regime, strategy, seed, round) with ``labelled``, ``AP``,
  ``AP50``, ``AP75``, AP50 per test condition, distinct sequences picked and seconds per stage;
* ``<regime>_curves.png``: learning curves drawn from that table;
* ``<regime>.md``: mean ± std per round, the differences to RANDOM paired by seed with 95%
  bootstrap intervals (per round and in area under the curve), and the labels each strategy
  needs to reach RANDOM's final AP50, with its interval.

Each regime's simulation folder (``--work``) resumes where it stopped, so an interrupted run
goes on from its last finished round.

    PYTHONPATH=src python bench/label_savings.py --out docs/results --work /tmp/savings
        [--regimes default,balanced] [--seeds 0,1,2,3,4]
        [--strategies random,coreset,coral,uncertainty] [--initial 20] [--budget 20]
        [--rounds 5] [--steps N] [--warm-start] [--workers 2]

``--tiny`` runs the same pipeline on a 40-image orchard with a stand-in detector that learns
nothing (``OracleNoiseDetector``): a check that the pipeline works, not a result.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

COLUMNS = ("regime", "strategy", "seed", "round", "labelled", "AP", "AP50", "AP75")
STAGES = ("train", "evaluate", "predict_pool", "select")


def build_project(
    regime: str, work: Path, *, n_train: int, n_test: int, size: tuple[int, int], seed: int = 0
):  # type: ignore[no-untyped-def]
    """The regime's orchard, converted, imported and embedded (each step skipped when done)."""
    from alpick.api import Project, convert_minneapple, generate_orchard
    from alpick.project.embed import embed_project

    orchard, project_dir = work / f"{regime}-orchard", work / f"{regime}-project"
    if not (orchard / "metadata.csv").exists():
        generate_orchard(
            orchard,
            n_train=n_train,
            n_test=n_test,
            size=size,
            seed=seed,
            regime=regime,
            overwrite=True,
        )
    for split, target in (("train", "raw"), ("test", "test")):
        if not (project_dir / "data" / target / "labels").exists():
            convert_minneapple(orchard / split, project_dir / "data" / target)
    project, _ = Project.initialize(project_dir)
    if not project.embedding_sets():
        embed_project(project, input_size=min(224, *size), progress=False)
    return project, orchard, project_dir


def rows_of(regime: str, rounds: Sequence) -> list[dict[str, object]]:  # type: ignore[type-arg]
    """The table's rows for one regime's finished rounds."""
    out = []
    for r in rounds:
        row: dict[str, object] = {
            "regime": regime,
            "strategy": r.strategy,
            "seed": r.seed,
            "round": r.round,
            "labelled": r.n_labelled,
        }
        row.update({k: round(float(v), 4) for k, v in sorted(r.metrics.items())})
        row["distinct_sequences"] = r.picked_sequences
        row.update({f"seconds_{s}": round(float(r.seconds.get(s, 0.0)), 1) for s in STAGES})
        out.append(row)
    return out


def write_table(rows: Sequence[dict[str, object]], path: Path) -> None:
    """``rounds.csv``: the fixed columns first, then every other key in sorted order."""
    from alpick.fileio import write_text_atomic

    extra = sorted({k for r in rows for k in r} - set(COLUMNS))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, [*COLUMNS, *extra], restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buf.getvalue())


def read_table(path: Path) -> dict[str, list]:  # type: ignore[type-arg]
    """``rounds.csv`` back as :class:`RoundResult` per regime (the figures come from it)."""
    from alpick.simulate.runner import RoundResult

    fixed = {"regime", "strategy", "seed", "round", "labelled", "distinct_sequences"}
    by_regime: dict[str, list] = {}  # type: ignore[type-arg]
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            metrics = {
                k: float(v)
                for k, v in row.items()
                if k not in fixed and not k.startswith("seconds_") and v != ""
            }
            seconds = {k[8:]: float(v) for k, v in row.items() if k.startswith("seconds_")}
            by_regime.setdefault(row["regime"], []).append(
                RoundResult(
                    row["strategy"],
                    int(row["seed"]),
                    int(row["round"]),
                    int(row["labelled"]),
                    metrics,
                    [],
                    [],
                    {},
                    int(row["distinct_sequences"]),
                    seconds,
                )
            )
    return by_regime


def summary(regime: str, rows: Sequence, png: str) -> str:  # type: ignore[type-arg]
    """The regime's tables: curves, paired differences, labels to reach RANDOM, conditions."""
    from alpick.simulate.report import report_markdown

    text = report_markdown(rows, png=png).replace(
        "# Active-learning simulation", f"# Regime `{regime}`", 1
    )
    lines = [text, _conditions_table(rows), _batch_table(rows)]
    return "\n".join(lines)


def _conditions_table(rows: Sequence) -> str:  # type: ignore[type-arg]
    """AP50 per test condition at the last round, mean over seeds."""
    names = sorted({k[5:] for r in rows for k in r.metrics if k.startswith("AP50/")})
    if not names:
        return ""
    last = max(r.n_labelled for r in rows)
    lines = [
        f"AP50 per test condition at {last} labelled images (mean over seeds):",
        "",
        "| strategy | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for s in dict.fromkeys(r.strategy for r in rows):
        mine = [r for r in rows if r.strategy == s and r.n_labelled == last]
        cells = [
            f"{np.mean([r.metrics.get(f'AP50/{n}', np.nan) for r in mine]):.3f}" for n in names
        ]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, ""])


def _batch_table(rows: Sequence) -> str:  # type: ignore[type-arg]
    """Distinct sequences per selected batch and wall time per round, per strategy."""
    lines = [
        "Per strategy: distinct camera sequences in each selected batch (mean over the "
        "batches picked after each round but the last) and wall seconds per round (mean):",
        "",
        "| strategy | distinct sequences per batch | seconds per round |",
        "|---|---|---|",
    ]
    for s in dict.fromkeys(r.strategy for r in rows):
        mine = [r for r in rows if r.strategy == s]
        last = max(r.round for r in mine)
        picked = [r.picked_sequences for r in mine if r.round < last]
        seq = f"{np.mean(picked):.1f}" if picked else "-"
        sec = np.mean([sum(r.seconds.values()) for r in mine])
        lines.append(f"| {s} | {seq} | {sec:.0f} |")
    return "\n".join([*lines, ""])


def run_regime(regime: str, args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    """Simulate every strategy and seed on one regime (resuming); its finished rounds."""
    from alpick.api import SimulationConfig, TrainConfig

    size = (64, 96) if args.tiny else (448, 256)
    n_train, n_test = (40, 10) if args.tiny else (args.n_train, args.n_test)
    project, orchard, project_dir = build_project(
        regime, args.work, n_train=n_train, n_test=n_test, size=size
    )
    config = SimulationConfig(
        strategies=tuple(args.strategies.split(",")),
        initial=args.initial,
        budget=args.budget,
        rounds=args.rounds,
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        warm_start=args.warm_start,
    )
    train = TrainConfig(steps=args.steps, freeze=args.freeze)
    options: dict[str, object] = {}
    if args.tiny:
        options["detector"] = _stand_in(project_dir)
    with project:
        rounds, _ = project.simulate(
            config,
            train,
            out_dir=args.work / f"{regime}-sim",
            test_labels=project_dir / "data" / "test" / "labels",
            metadata=orchard / "metadata.csv",
            workers=args.workers,
            **options,
        )
    return rounds


def _stand_in(project_dir: Path):  # type: ignore[no-untyped-def]
    """The detector that learns nothing, knowing every image's true boxes."""
    from alpick.api import Project
    from alpick.simulate.image_sets import folder_split, project_pool
    from alpick.simulate.oracle_noise import OracleNoiseDetector

    with Project.open(project_dir) as project:
        pool, classes = project_pool(project)
    test = folder_split(project_dir / "data/test/images", project_dir / "data/test/labels", classes)
    truth = dict(zip(pool.paths, pool.labels, strict=True))
    truth.update(zip(test.paths, test.labels, strict=True))
    return OracleNoiseDetector(truth)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="rounds.csv, figures, tables")
    parser.add_argument("--work", type=Path, required=True, help="orchards, projects, sims")
    parser.add_argument("--regimes", default="default,balanced")
    parser.add_argument("--strategies", default="random,coreset,coral,uncertainty")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=None, help="default: fitted to the set")
    parser.add_argument("--freeze", type=int, default=1)
    parser.add_argument("--warm-start", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--n-train", type=int, default=300)
    parser.add_argument("--n-test", type=int, default=100)
    parser.add_argument("--tiny", action="store_true", help="stand-in detector, 40 images")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    table: list[dict[str, object]] = []
    for regime in args.regimes.split(","):
        table += rows_of(regime, run_regime(regime, args))
    write_table(table, args.out / "rounds.csv")
    from alpick.fileio import write_text_atomic
    from alpick.simulate.report import plot_learning_curves

    for regime, rows in read_table(args.out / "rounds.csv").items():
        png = f"{regime}_curves.png"
        plot_learning_curves(
            rows, args.out / png, title=f"{regime} orchard: AP50 (mean ± std over seeds)"
        )
        write_text_atomic(args.out / f"{regime}.md", summary(regime, rows, png))
        print(f"{regime}: {len(rows)} rounds -> {args.out / (regime + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
