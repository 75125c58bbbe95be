"""``alpick demo``: the tutorial's whole loop on a generated orchard, then a small simulation.

Every step is skipped when its result is already there, so an interrupted demo continues
where it stopped when run again with the same ``--out``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from alpick.errors import AlpickError
from alpick.fileio import write_text_atomic

if TYPE_CHECKING:
    from alpick.api import Project
    from alpick.detector.config import TrainConfig
    from alpick.formats.detections import Detections

T = TypeVar("T")
INITIAL_TAG = "initial-selection"
CORAL_TAG = "coral-selection-1"


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo, chosen to finish within about 10 minutes on 2 CPU cores.

    The tutorial's first run takes ``steps`` optimizer steps of ``batch_size`` images (it only
    has to score the pool for CORAL), its retrain ``retrain_steps`` starting from the first
    run's weights (``warm_start``); the rest of the detector's settings are its defaults, fitted
    to the data. The simulation runs in a second process beside the tutorial's loop, each
    round ``sim_steps`` steps warm-started from the previous round, with the backbone frozen up
    to level ``sim_freeze`` (faster steps), its strategies in ``workers`` processes.
    """

    n_train: int = 150
    n_test: int = 50
    seed: int = 0
    initial: int = 50
    budget: int = 60
    steps: int = 60
    retrain_steps: int = 350
    sim_initial: int = 10
    sim_budget: int = 20
    sim_rounds: int = 2
    sim_steps: int = 100
    sim_freeze: int = 2
    batch_size: int = 4
    embed_size: int = 224
    warm_start: bool = True
    workers: int = 1


@dataclass
class DemoResult:
    """What the demo produced: the report and the figures it shows."""

    report: Path
    steps: list[tuple[str, float]] = field(default_factory=list)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)


Log = Callable[[str], None]


def run_demo(out: Path, config: DemoConfig | None = None, *, log: Log = print) -> DemoResult:
    """Run the demo into ``out``; returns where the report is.

    Raises:
        AlpickError: If ``out`` holds something that is not an earlier demo.
    """
    import torch

    from alpick.detector.config import TrainConfig

    torch.set_num_threads(1)  # the simulation's processes take the other core
    cfg = config or DemoConfig()
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / "demo.json").exists():
        raise AlpickError(f"{out} is not empty and holds no earlier demo; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "demo.json", json.dumps({"config": asdict(cfg)}) + "\n")
    result = DemoResult(report=out / "report.md")
    train_cfg = TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, checkpoint_every=0)
    retrain_cfg = replace(train_cfg, steps=cfg.retrain_steps)
    sim_cfg = replace(train_cfg, steps=cfg.sim_steps, freeze=cfg.sim_freeze)

    def step(name: str, fn: Callable[[], T]) -> T:
        log(f"» {name}")
        t0 = time.perf_counter()
        value = fn()
        result.steps.append((name, time.perf_counter() - t0))
        return value

    orchard, project_dir = out / "orchard", out / "project"
    step("generate a synthetic orchard", lambda: _generate(orchard, cfg))
    step("convert MinneApple masks to KITTI labels", lambda: _convert(orchard, project_dir))
    project = step("make the project (alpick init)", lambda: _init(project_dir))
    with project:
        step(
            "embed the images (EfficientNet-Lite0, ImageNet weights)", lambda: _embed(project, cfg)
        )
        simulation, stop = _start_simulation(project.root, cfg, sim_cfg, out, orchard)
        try:
            _tutorial(project, cfg, train_cfg, retrain_cfg, step, result, out)
        except BaseException:
            stop()  # no simulation left running after a failed or interrupted demo
            raise
        step("simulate RANDOM vs CORAL (beside the loop; waiting for it)", simulation)
        step("draw figures", lambda: _figures(project, out))
    from alpick.demo.report import write_demo_report

    write_demo_report(result, out, cfg)
    return result


def _tutorial(
    project: Project,
    cfg: DemoConfig,
    train_cfg: TrainConfig,
    retrain_cfg: TrainConfig,
    step: Callable[[str, Callable[[], None]], None],
    result: DemoResult,
    out: Path,
) -> None:
    """The tutorial's loop: select, annotate, train, predict, select, annotate, retrain."""
    step("initial CORESET selection + annotate", lambda: _initial(project, cfg))
    step("train on the initial selection", lambda: _train(project, INITIAL_TAG, train_cfg))
    step("predict on the pool (TLT-style KITTI)", lambda: _predict_pool(project))
    step("CORAL selection + annotate", lambda: _coral(project, cfg))
    start = _run_dir(project, INITIAL_TAG) if cfg.warm_start else None
    step(
        "retrain on the larger set" + (" (warm start)" if start else ""),
        lambda: _train(project, CORAL_TAG, retrain_cfg, init=start),
    )
    for tag in (INITIAL_TAG, CORAL_TAG):
        result.metrics[tag] = _evaluate(project, tag, out)


def _generate(orchard: Path, cfg: DemoConfig) -> None:
    from alpick.data.orchard import generate_orchard

    if not (orchard / "metadata.csv").exists():
        generate_orchard(orchard, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed)


def _convert(orchard: Path, project_dir: Path) -> None:
    from alpick.data.minneapple import convert_minneapple

    for split, target in (("train", "raw"), ("test", "test")):
        if not (project_dir / "data" / target / "labels").exists():
            convert_minneapple(orchard / split, project_dir / "data" / target)


def _init(project_dir: Path) -> Project:
    from alpick.api import Project

    project, _ = Project.initialize(project_dir)
    return project


def _embed(project: Project, cfg: DemoConfig) -> None:
    from alpick.project.embed import embed_project

    embed_project(project, input_size=cfg.embed_size, progress=True)


def _has_tag(project: Project, name: str) -> bool:
    return any(t.name == name for t in project.tags())


def _initial(project: Project, cfg: DemoConfig) -> None:
    if not _has_tag(project, INITIAL_TAG):
        project.select(INITIAL_TAG, method="CORESET", n_samples=cfg.initial, seed=cfg.seed)
    project.annotate(INITIAL_TAG)


def _run_dir(project: Project, tag: str) -> Path:
    return project.root / "runs" / tag


def _train(project: Project, tag: str, train_cfg: TrainConfig, init: Path | None = None) -> None:
    from alpick.project.train import train_tag

    if not (_run_dir(project, tag) / "last.pt").exists():
        if init is not None:
            from alpick.detector.train import init_config

            train_cfg = init_config(init, steps=train_cfg.steps, batch_size=train_cfg.batch_size,
                                    checkpoint_every=0)  # fmt: skip
        train_tag(project, tag, train_cfg, out=_run_dir(project, tag), init=init)


def _predict_pool(project: Project) -> None:
    from alpick.project.train import predict_to_folder

    if not any(s.name == INITIAL_TAG for s in project.prediction_sets()):
        predict_to_folder(
            _run_dir(project, INITIAL_TAG), project.root / "infer_labels", project=project
        )


def _coral(project: Project, cfg: DemoConfig) -> None:
    if not _has_tag(project, CORAL_TAG):
        project.select(
            CORAL_TAG,
            method="CORAL",
            n_samples=cfg.initial + cfg.budget,
            preselected=INITIAL_TAG,
            prediction_set=INITIAL_TAG,
            min_confidence=0.1,
            seed=cfg.seed,
        )
    project.annotate(CORAL_TAG)


def _test_predictions(project: Project, tag: str) -> tuple[list[Path], list[Detections]]:
    from alpick.detector.predict import load_detector, predict_images
    from alpick.store.scan import find_images

    images = project.root / "data" / "test" / "images"
    paths = [images / p for p in find_images(images)]
    return paths, predict_images(load_detector(_run_dir(project, tag)), paths, progress=False)


def _evaluate(project: Project, tag: str, out: Path) -> dict[str, float]:
    """COCO metrics of the run trained on ``tag``, on the test split."""
    from alpick.evaluate.coco import coco_metrics
    from alpick.formats.labels_dir import load_label_dir
    from alpick.store.scan import find_images, read_images

    cache = out / f"metrics-{tag}.json"
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    paths, preds = _test_predictions(project, tag)
    root = project.root / "data" / "test"
    infos = read_images(root / "images", find_images(root / "images"))
    labels, classes = load_label_dir(
        root / "labels", "kitti", [(i.path, i.width, i.height) for i in infos], project.classes()
    )
    gt = {p.name: labels[p.name] for p in paths}
    pred = {p.name: d for p, d in zip(paths, preds, strict=True)}
    metrics = coco_metrics(gt, pred, classes.names, per_class=False).metrics
    keep = {k: float(metrics[k]) for k in ("AP", "AP50", "AP75")}
    write_text_atomic(cache, json.dumps(keep))
    return keep


def _start_simulation(
    project_dir: Path, cfg: DemoConfig, train_cfg: TrainConfig, out: Path, orchard: Path
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Start the simulation in a process of its own; returns functions that wait for it and
    that stop it.

    The tutorial's loop and the simulation need one core each: side by side, the demo takes
    the time of the longer of the two rather than their sum.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=_simulate, args=(project_dir, cfg, train_cfg, out, orchard), daemon=False
    )
    process.start()

    def wait() -> None:
        process.join()
        if process.exitcode != 0:
            raise AlpickError(
                f"the simulation failed (exit {process.exitcode}); rerun the demo to resume it"
            )

    def stop() -> None:
        process.terminate()
        process.join()

    return wait, stop


def _simulate(
    project_dir: Path, cfg: DemoConfig, train_cfg: TrainConfig, out: Path, orchard: Path
) -> None:
    import torch

    from alpick.api import Project
    from alpick.simulate.on_project import simulate_project
    from alpick.simulate.runner import SimulationConfig

    torch.set_num_threads(1)
    sim = SimulationConfig(
        strategies=("random", "coral"),
        initial=cfg.sim_initial,
        budget=cfg.sim_budget,
        rounds=cfg.sim_rounds,
        seeds=(cfg.seed,),
        extra={"steps": train_cfg.steps, "freeze": train_cfg.freeze},
        warm_start=cfg.warm_start,
    )
    with Project.open(project_dir) as project:
        simulate_project(
            project,
            sim,
            train_cfg,
            out_dir=out / "simulation",
            test_labels=project.root / "data" / "test" / "labels",
            metadata=orchard / "metadata.csv",
            workers=cfg.workers,
        )


def _figures(project: Project, out: Path) -> None:
    from alpick.demo.report import draw_predictions, selection_sheets

    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    paths, preds = _test_predictions(project, CORAL_TAG)
    draw_predictions(paths[:: max(1, len(paths) // 6)][:6], preds[:: max(1, len(paths) // 6)][:6],
                     figures / "predictions.png")  # fmt: skip
    selection_sheets(project, [INITIAL_TAG, CORAL_TAG], figures)
