"""The active-learning simulation: strategies x seeds x rounds on a fully labelled pool.

The pool's labels play the oracle. For each strategy and seed: pick an initial set, then per
round train a detector on the labelled images, evaluate it on the test split, score the pool with
its predictions, select the next batch and "annotate" it (add it to the labelled set). Each
finished round is appended to ``rounds.jsonl`` at once, so an interrupted run resumes where it
stopped. Any detector can be plugged in through :class:`DetectorAdapter`.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import write_text_atomic
from alpick.formats.detections import Detections
from alpick.select.presets import METHODS, method_needs

if TYPE_CHECKING:
    from alpick.simulate.parallel import Lineage, LineageExecutor

ROUNDS_FILE = "rounds.jsonl"
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class ImageSet:
    """Images with their oracle labels and optional per-image metadata.

    Attributes:
        paths: Image files, ``N`` of them.
        labels: Ground-truth boxes of each image, aligned with ``paths``.
        metadata: Optional per-image columns (e.g. ``condition``, ``sequence``), each ``(N,)``.
    """

    paths: list[Path]
    labels: list[Detections]
    metadata: Mapping[str, NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.paths) != len(self.labels):
            raise ValueError(f"{len(self.paths)} images but {len(self.labels)} label sets")
        for key, column in self.metadata.items():
            if len(column) != len(self.paths):
                raise ValueError(f"metadata column {key!r} has {len(column)} rows")

    def __len__(self) -> int:
        return len(self.paths)


class DetectorAdapter(Protocol):
    """What the loop needs from a detector: train on labelled images, predict on others."""

    def train(
        self,
        images: Sequence[Path],
        labels: Sequence[Detections],
        classes: Sequence[str],
        out_dir: Path,
        *,
        seed: int,
        previous: Path | None = None,
    ) -> Any:
        """Train; return a model handle for ``predict``.

        ``previous`` is the previous round's ``out_dir`` when the simulation warm-starts
        (``SimulationConfig.warm_start``; never passed otherwise): an adapter that supports it
        starts from the model it left there, else from the pretrained starting point.
        """
        ...

    def predict(self, model: Any, images: Sequence[Path]) -> list[Detections]:
        """Boxes with confidence (and class probabilities when known), one per image."""
        ...


Evaluator = Callable[[ImageSet, Sequence[Detections], Sequence[str]], dict[str, float]]


@dataclass(frozen=True)
class SimulationConfig:
    """Settings of one simulation; recorded in ``config.json`` of the output folder.

    Attributes:
        strategies: Selection methods (``random``, ``coreset``, ``coral``, ``uncertainty``).
        initial: Labelled images before the first round.
        budget: Images added per round.
        rounds: Selection rounds; the detector is trained ``rounds + 1`` times.
        seeds: One run per seed and strategy.
        initial_method: How the initial set is picked (``random`` or ``coreset``); the same
            initial set is used by every strategy for a given seed, so curves start together.
        score: The active-learning score that ``coral``/``uncertainty`` use.
        min_confidence: Predicted boxes below this confidence are ignored when scoring.
        warm_start: Each round's detector starts from the previous round's (of the same
            strategy and seed) instead of the pretrained starting point.
    """

    strategies: tuple[str, ...]
    initial: int
    budget: int
    rounds: int
    seeds: tuple[int, ...] = (0,)
    initial_method: str = "random"
    score: str = "uncertainty_entropy"
    min_confidence: float = 0.1
    extra: Mapping[str, Any] = field(default_factory=dict)
    warm_start: bool = False

    def validate(self, pool_size: int) -> None:
        if not self.strategies:
            raise AlpickError("no strategies given")
        unknown = [s for s in self.strategies if s not in KNOWN_STRATEGIES]
        if unknown:
            raise AlpickError(
                f"unknown strategy {unknown[0]!r}; choose from {', '.join(KNOWN_STRATEGIES)}"
            )
        if self.initial_method not in ("random", "coreset"):
            raise AlpickError("initial method must be random or coreset")
        if self.initial < 1 or self.budget < 1 or self.rounds < 0:
            raise AlpickError("--initial and --budget must be >= 1 and --rounds >= 0")
        if not self.seeds:
            raise AlpickError("no seeds given")
        needed = self.initial + self.budget * self.rounds
        if needed > pool_size:
            raise AlpickError(
                f"the plan labels {needed} images (initial {self.initial} + {self.rounds} rounds"
                f" x {self.budget}) but the pool has only {pool_size}"
            )

    def needs_embeddings(self) -> bool:
        """Whether the initial method or a strategy reads embeddings."""
        return any(needs_embeddings(s) for s in (self.initial_method, *self.strategies))

    def key(self) -> dict[str, Any]:
        """The settings that must match for a run to resume in the same folder."""
        d = asdict(self)
        d.pop("strategies")
        d.pop("seeds")
        d["extra"] = dict(self.extra)
        if not self.warm_start:
            d.pop("warm_start")  # folders from before the option resume as they were
        return d


#: The strategies: ``alpick select``'s preset methods, in lower case.
KNOWN_STRATEGIES = tuple(m.lower() for m in METHODS)


def needs_embeddings(strategy: str) -> bool:
    """Whether a strategy (or initial method) reads embeddings."""
    return strategy in KNOWN_STRATEGIES and method_needs(strategy).embeddings


def needs_scores(strategy: str) -> bool:
    """Whether a strategy reads scores: the detector's predictions on the pool."""
    return strategy in KNOWN_STRATEGIES and bool(method_needs(strategy).scores)


@dataclass
class RoundResult:
    """One trained-and-evaluated round of one strategy and seed."""

    strategy: str
    seed: int
    round: int
    n_labelled: int
    metrics: dict[str, float]
    labelled: list[int]
    picked: list[int]
    picked_conditions: dict[str, int]
    picked_sequences: int
    seconds: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


StageCallback = Callable[[str, int, int, str], None]


def load_rounds(out_dir: Path) -> list[RoundResult]:
    """The rounds already finished in ``out_dir`` (empty when none)."""
    path = out_dir / ROUNDS_FILE
    if not path.exists():
        return []
    rows: list[RoundResult] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            rows.append(RoundResult(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            break  # a line cut by a crash: everything after it is redone
    return rows


def _append_round(out_dir: Path, row: RoundResult) -> None:
    """Append one line, whole: under an exclusive lock, as parallel workers share the file."""
    with open(out_dir / ROUNDS_FILE, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            fh.write(row.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _check_config(out_dir: Path, config: SimulationConfig) -> None:
    path = out_dir / CONFIG_FILE
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("key") != json.loads(json.dumps(config.key())):
            raise AlpickError(
                f"{out_dir} holds a simulation with other settings; use another --out"
            )
    write_text_atomic(path, json.dumps({"key": config.key(), "config": asdict(config)}, indent=2))


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def initial_selection(
    config: SimulationConfig, pool_size: int, embeddings: NDArray[np.float32] | None, seed: int
) -> list[int]:
    """The initial labelled set for ``seed``: shared by every strategy."""
    rng = _rng(seed, 0)
    if config.initial_method == "coreset":
        if embeddings is None:
            raise AlpickError("initial method coreset needs embeddings")
        from alpick.select import k_center_greedy, l2_normalize

        none = np.zeros(pool_size, dtype=bool)
        normed = l2_normalize(embeddings)
        return [int(i) for i in k_center_greedy(normed, none, config.initial, rng=rng)]
    return [int(i) for i in rng.choice(pool_size, size=config.initial, replace=False)]


def select_next(
    strategy: str,
    labelled: Sequence[int],
    n_new: int,
    *,
    embeddings: NDArray[np.float32] | None,
    scores: NDArray[np.float64] | None,
    score_name: str,
    rng: np.random.Generator,
    pool_size: int,
) -> list[int]:
    """Pick ``n_new`` more pool images with ``strategy`` given what is labelled."""
    from alpick.select import SelectionInputs, preset_config, select_samples

    mask = np.zeros(pool_size, dtype=bool)
    mask[list(labelled)] = True
    if needs_embeddings(strategy) and embeddings is None:
        raise AlpickError(f"strategy {strategy} needs embeddings (run `alpick embed`)")
    cfg = preset_config(strategy.upper(), int(mask.sum()) + n_new, score=score_name)
    inputs = SelectionInputs(
        embeddings=embeddings,
        scores={score_name: scores} if scores is not None else {},
    )
    picks = select_samples(cfg, inputs, mask, rng=rng)
    return [int(i) for i in picks]


def _pool_scores(
    predictions: Sequence[Detections], score: str, min_confidence: float
) -> NDArray[np.float64]:
    from alpick.scores import BoxTable, compute_scores

    table = BoxTable.from_detections(predictions)
    return compute_scores(table, [score], min_confidence=min_confidence)[score]


def _picked_summary(pool: ImageSet, picks: Sequence[int]) -> tuple[dict[str, int], int]:
    conditions: dict[str, int] = {}
    sequences = 0
    if "condition" in pool.metadata and picks:
        column = pool.metadata["condition"]
        conditions = dict(Counter(str(column[i]) for i in picks))
    if "sequence" in pool.metadata and picks:
        column = pool.metadata["sequence"]
        sequences = len({str(column[i]) for i in picks})
    return conditions, sequences


def run_simulation(
    pool: ImageSet,
    test: ImageSet,
    classes: Sequence[str],
    detector: DetectorAdapter,
    config: SimulationConfig,
    out_dir: Path,
    *,
    evaluator: Evaluator,
    embeddings: NDArray[np.float32] | None = None,
    on_stage: StageCallback | None = None,
    workers: int = 1,
    executor: LineageExecutor | None = None,
) -> list[RoundResult]:
    """Run (or resume) the simulation; returns every round, finished earlier or now.

    With ``workers`` > 1 the strategies and seeds run in parallel processes of one torch thread
    each (the detector, the evaluator and the data must then be picklable); the rounds are
    the same as in one process, only their order in ``rounds.jsonl`` differs. ``executor``
    runs them elsewhere instead (e.g. as Ray tasks, :mod:`alpick.distributed.simulate`): each
    job appends its rounds to ``rounds.jsonl`` as they end, so ``out_dir`` must be on storage
    the workers share.

    Raises:
        AlpickError: On inconsistent settings or a folder holding another simulation.
    """
    config.validate(len(pool))
    if embeddings is not None and len(embeddings) != len(pool):
        raise AlpickError(f"{len(embeddings)} embedding rows for a pool of {len(pool)} images")
    if config.needs_embeddings() and embeddings is None:
        raise AlpickError("these strategies need embeddings (run `alpick embed` first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_config(out_dir, config)
    rows = load_rounds(out_dir)
    run = _Run(pool, test, classes, detector, config, out_dir, evaluator, embeddings,
               on_stage or (lambda *_: None))  # fmt: skip
    lineages = [(strategy, seed) for strategy in config.strategies for seed in config.seeds]
    if executor is not None:
        return rows + _run_elsewhere(run, lineages, rows, executor)
    if workers <= 1 or len(lineages) <= 1:
        for strategy, seed in lineages:
            rows += _run_lineage(run, strategy, seed, rows)
        return rows
    from alpick.simulate.parallel import in_processes

    return rows + _run_elsewhere(run, lineages, rows, in_processes(workers))


def _run_lineage(
    run: _Run, strategy: str, seed: int, rows: Sequence[RoundResult]
) -> list[RoundResult]:
    """The rounds of one strategy and seed not finished yet (each appended as it ends)."""
    done = [r for r in rows if r.strategy == strategy and r.seed == seed]
    if done:
        last = max(done, key=lambda r: r.round)
        start, labelled = last.round + 1, last.labelled + last.picked
    else:
        start = 0
        labelled = initial_selection(run.config, len(run.pool), run.embeddings, seed)
    new: list[RoundResult] = []
    for rnd in range(start, run.config.rounds + 1):
        row = _run_round(run, strategy, seed, rnd, labelled)
        _append_round(run.out_dir, row)
        new.append(row)
        labelled = row.labelled + row.picked
    return new


def _run_elsewhere(
    run: _Run, lineages: list[Lineage], rows: list[RoundResult], execute: LineageExecutor
) -> list[RoundResult]:
    """Each strategy and seed as a job of ``execute`` (processes, a cluster); the stage
    callback hears of each lineage as it ends. Paths are made absolute for the workers."""
    quiet = replace(
        run,
        stage=_no_stage,
        out_dir=run.out_dir.absolute(),
        pool=replace(run.pool, paths=[p.absolute() for p in run.pool.paths]),
        test=replace(run.test, paths=[p.absolute() for p in run.test.paths]),
    )
    jobs = {(s, seed): partial(_run_lineage, quiet, s, seed, rows) for s, seed in lineages}
    new: list[RoundResult] = []
    for (strategy, seed), finished in execute(jobs):
        new += finished
        last = finished[-1].round if finished else run.config.rounds
        run.stage(strategy, seed, last, "done")
    return new


def _no_stage(strategy: str, seed: int, rnd: int, stage: str) -> None:
    """A stage callback that does nothing (worker processes draw no progress)."""


@dataclass(frozen=True)
class _Run:
    """What every round of one simulation shares."""

    pool: ImageSet
    test: ImageSet
    classes: Sequence[str]
    detector: DetectorAdapter
    config: SimulationConfig
    out_dir: Path
    evaluator: Evaluator
    embeddings: NDArray[np.float32] | None
    stage: StageCallback


def _run_round(run: _Run, strategy: str, seed: int, rnd: int, labelled: list[int]) -> RoundResult:
    """Train on ``labelled``, evaluate on the test split, and (but in the last round) pick."""
    pool, config = run.pool, run.config
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    run.stage(strategy, seed, rnd, "training")
    work = run.out_dir / "work" / f"{strategy}-seed{seed}-round{rnd}"
    warm: dict[str, Any] = {}
    if config.warm_start and rnd > 0:
        warm["previous"] = run.out_dir / "work" / f"{strategy}-seed{seed}-round{rnd - 1}"
    model = run.detector.train(
        [pool.paths[i] for i in labelled],
        [pool.labels[i] for i in labelled],
        run.classes,
        work,
        seed=seed * 1000 + rnd,
        **warm,
    )
    seconds["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run.stage(strategy, seed, rnd, "evaluating")
    metrics = run.evaluator(run.test, run.detector.predict(model, run.test.paths), run.classes)
    seconds["evaluate"] = time.perf_counter() - t0
    picked: list[int] = []
    if rnd < config.rounds:
        scores = None
        if needs_scores(strategy):
            t0 = time.perf_counter()
            run.stage(strategy, seed, rnd, "predicting on the pool")
            scores = _unlabelled_scores(run, model, labelled)
            seconds["predict_pool"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        run.stage(strategy, seed, rnd, "selecting")
        picked = select_next(
            strategy,
            labelled,
            config.budget,
            embeddings=run.embeddings,
            scores=scores,
            score_name=config.score,
            rng=_rng(seed, rnd + 1),
            pool_size=len(pool),
        )
        seconds["select"] = time.perf_counter() - t0
    conditions, sequences = _picked_summary(pool, picked)
    return RoundResult(
        strategy=strategy,
        seed=seed,
        round=rnd,
        n_labelled=len(labelled),
        metrics=metrics,
        labelled=list(labelled),
        picked=picked,
        picked_conditions=conditions,
        picked_sequences=sequences,
        seconds=seconds,
    )


def _unlabelled_scores(run: _Run, model: Any, labelled: list[int]) -> NDArray[np.float64]:
    """The score of every pool image from ``model``'s predictions (labelled ones: no boxes)."""
    pool = run.pool
    unlabelled = np.setdiff1d(np.arange(len(pool)), labelled)
    preds = run.detector.predict(model, [pool.paths[i] for i in unlabelled])
    full: list[Detections] = [Detections.empty(with_confidence=True)] * len(pool)
    for i, det in zip(unlabelled, preds, strict=True):
        full[int(i)] = det
    return _pool_scores(full, run.config.score, run.config.min_confidence)
