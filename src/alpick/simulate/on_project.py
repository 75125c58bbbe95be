"""The simulation on a project: its pool, a test split from folders, alpick's detector."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alpick.simulate.report import write_report
from alpick.simulate.runner import (
    DetectorAdapter,
    RoundResult,
    SimulationConfig,
    StageCallback,
    run_simulation,
)

if TYPE_CHECKING:
    from alpick.detector.config import TrainConfig
    from alpick.simulate.parallel import LineageExecutor
    from alpick.store.project import ProjectStore


def simulate_project(
    project: ProjectStore,
    config: SimulationConfig,
    train: TrainConfig,
    *,
    out_dir: Path,
    test_labels: Path,
    test_images: Path | None = None,
    metadata: Path | None = None,
    embeddings: str | None = None,
    on_stage: StageCallback | None = None,
    workers: int = 1,
    detector: DetectorAdapter | None = None,
    executor: LineageExecutor | None = None,
) -> tuple[list[RoundResult], Path]:
    """Run (or resume) ``config`` on the project's labelled pool; write and return the report.

    Args:
        project: The project whose samples and labels are the pool and the oracle.
        config: Strategies, seeds, initial size, budget and rounds.
        train: Settings of each round's training run.
        out_dir: Results folder (resumable).
        test_labels: KITTI labels of the test split.
        test_images: Its images (default: ``test_labels/../images``).
        metadata: CSV with ``condition``/``sequence`` columns, for per-condition figures.
        embeddings: Embedding set for coreset/coral (default: the latest).
        on_stage: Called with (strategy, seed, round, stage) as work starts.
        workers: Run the strategies and seeds in this many parallel processes (one torch
            thread each).
        detector: The learner (default: alpick's detector with the ``train`` settings).
        executor: Run them there instead (e.g. Ray tasks); see :func:`run_simulation`.

    Raises:
        AlpickError: On bad settings or inputs.
    """
    from alpick.simulate.adapters import BuiltinDetector, coco_evaluator
    from alpick.simulate.image_sets import folder_split, project_pool

    pool, classes = project_pool(project, metadata=metadata)
    test = folder_split(
        test_images or test_labels.parent / "images", test_labels, classes, metadata=metadata
    )
    emb = project.embeddings(embeddings)[0] if config.needs_embeddings() else None
    rows = run_simulation(
        pool,
        test,
        list(classes.names),
        detector or BuiltinDetector(train, warm_start=config.warm_start),
        config,
        out_dir,
        evaluator=coco_evaluator,
        embeddings=emb,
        on_stage=on_stage,
        workers=workers,
        executor=executor,
    )
    return rows, write_report(rows, out_dir)
