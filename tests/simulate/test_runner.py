from pathlib import Path

import numpy as np
import pytest

from alpick.errors import AlpickError
from alpick.formats.detections import Detections
from alpick.simulate.oracle_noise import OracleNoiseDetector
from alpick.simulate.report import area_under_curve, curves, labels_to_reach, write_report
from alpick.simulate.runner import (
    ImageSet,
    SimulationConfig,
    load_rounds,
    run_simulation,
)


def _images(n: int, prefix: str, seed: int) -> ImageSet:
    rng = np.random.default_rng(seed)
    paths = [Path(f"/virtual/{prefix}{i}.png") for i in range(n)]
    labels = []
    for _ in range(n):
        k = int(rng.integers(0, 5))
        xy = rng.uniform(0, 80, size=(k, 2))
        wh = rng.uniform(8, 20, size=(k, 2))
        labels.append(Detections(np.hstack([xy, xy + wh]), np.zeros(k, np.int64)))
    conditions = np.array(["sunny" if i % 4 else "shade" for i in range(n)])
    sequences = np.array([f"s{i // 3}" for i in range(n)])
    return ImageSet(paths, labels, {"condition": conditions, "sequence": sequences})


def _ap50(test: ImageSet, preds, classes) -> dict[str, float]:
    # A cheap evaluator for the loop's tests: mean confidence-weighted recall proxy.
    score = float(np.mean([d.confidence.mean() if len(d) else 1.0 for d in preds]))
    return {"AP50": score, "AP": score / 2}


@pytest.fixture
def setup():
    pool, test = _images(40, "p", 0), _images(10, "t", 1)
    truth = dict(zip(pool.paths + test.paths, pool.labels + test.labels, strict=True))
    emb = np.random.default_rng(2).normal(size=(40, 8)).astype(np.float32)
    return pool, test, OracleNoiseDetector(truth), emb


def test_simulation_runs_and_resumes(tmp_path: Path, setup) -> None:
    pool, test, det, emb = setup
    cfg = SimulationConfig(
        ("random", "coreset", "coral"), initial=5, budget=5, rounds=2, seeds=(0, 1)
    )
    rows = run_simulation(
        pool, test, ["apple"], det, cfg, tmp_path, evaluator=_ap50, embeddings=emb
    )
    assert len(rows) == 3 * 2 * 3
    for r in rows:
        assert r.n_labelled == 5 + 5 * r.round
        assert len(set(r.labelled)) == len(r.labelled)
        assert not set(r.picked) & set(r.labelled)
        assert len(r.picked) == (5 if r.round < 2 else 0)
    # every strategy starts from the same initial set for a seed
    first = {r.strategy: r.labelled for r in rows if r.round == 0 and r.seed == 0}
    assert first["random"] == first["coreset"] == first["coral"]
    # resuming does nothing more; a cut last line is redone
    again = run_simulation(
        pool, test, ["apple"], det, cfg, tmp_path, evaluator=_ap50, embeddings=emb
    )
    assert len(again) == len(rows)
    path = tmp_path / "rounds.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    assert len(load_rounds(tmp_path)) == len(rows) - 1
    path.write_text("\n".join(lines[:-1]) + "\n")
    resumed = run_simulation(
        pool, test, ["apple"], det, cfg, tmp_path, evaluator=_ap50, embeddings=emb
    )
    assert [r.labelled for r in resumed] == [r.labelled for r in rows]

    report = write_report(resumed, tmp_path)
    text = report.read_text()
    assert "| random |" in text and "labels needed" in text
    assert (tmp_path / "learning_curve.png").stat().st_size > 1000
    assert (tmp_path / "results.csv").read_text().count("\n") == len(rows) + 1


def test_other_settings_in_same_folder_refused(tmp_path: Path, setup) -> None:
    pool, test, det, _ = setup
    cfg = SimulationConfig(("random",), initial=5, budget=5, rounds=1)
    run_simulation(pool, test, ["apple"], det, cfg, tmp_path, evaluator=_ap50)
    other = SimulationConfig(("random",), initial=6, budget=5, rounds=1)
    with pytest.raises(AlpickError, match="other settings"):
        run_simulation(pool, test, ["apple"], det, other, tmp_path, evaluator=_ap50)


@pytest.mark.parametrize(
    ("cfg", "msg"),
    [
        (SimulationConfig(("bogus",), initial=5, budget=5, rounds=1), "unknown strategy"),
        (SimulationConfig(("random",), initial=30, budget=10, rounds=2), "pool has only"),
        (SimulationConfig(("coreset",), initial=5, budget=5, rounds=1), "embeddings"),
    ],
)
def test_bad_settings(tmp_path: Path, setup, cfg, msg) -> None:
    pool, test, det, _ = setup
    with pytest.raises(AlpickError, match=msg):
        run_simulation(pool, test, ["apple"], det, cfg, tmp_path, evaluator=_ap50)


def test_curve_helpers() -> None:
    from alpick.simulate.report import Curve

    c = Curve("x", np.array([10, 20, 30]), np.array([0.2, 0.4, 0.5]), np.zeros(3), np.ones(3, int))
    assert area_under_curve(c) == pytest.approx((0.3 * 10 + 0.45 * 10) / 20)
    assert labels_to_reach(c, 0.3) == pytest.approx(15)
    assert labels_to_reach(c, 0.2) == 10
    assert labels_to_reach(c, 0.6) is None
    assert curves([]) == []


def test_parallel_workers_give_the_same_rounds(tmp_path: Path, setup) -> None:
    """Strategies and seeds in two processes: the same rounds as one process, file order aside."""
    pool, test, det, emb = setup
    cfg = SimulationConfig(("random", "coral"), initial=5, budget=5, rounds=2, seeds=(0, 1))
    one = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "one", evaluator=_ap50,
                         embeddings=emb)  # fmt: skip
    heard: list[tuple[str, int, str]] = []

    def stage(strategy: str, seed: int, rnd: int, what: str) -> None:
        heard.append((strategy, seed, what))

    two = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "two", evaluator=_ap50,
                         embeddings=emb, workers=2, on_stage=stage)  # fmt: skip

    def key(rows: list) -> list:
        return sorted((r.strategy, r.seed, r.round, r.labelled, r.picked, r.metrics) for r in rows)

    assert key(two) == key(one)
    assert key(load_rounds(tmp_path / "two")) == key(one)
    assert sorted(heard) == sorted(
        (s, seed, "done") for s in ("random", "coral") for seed in (0, 1)
    )
    # resuming a parallel run does nothing more
    again = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "two", evaluator=_ap50,
                           embeddings=emb, workers=2)  # fmt: skip
    assert len(again) == len(one)


class _Recorder(OracleNoiseDetector):
    """Remembers what each round was asked to start from."""

    def __init__(self, truth, calls: list) -> None:
        super().__init__(truth)
        self.calls = calls

    def train(self, images, labels, classes, out_dir, *, seed, previous=None) -> int:  # type: ignore[no-untyped-def]
        self.calls.append((out_dir.name, None if previous is None else previous.name))
        return len(images)


def test_warm_start_hands_each_round_the_previous_one(tmp_path: Path, setup) -> None:
    pool, test, det, _ = setup
    calls: list = []
    rec = _Recorder(det.truth, calls)
    cfg = SimulationConfig(("random",), initial=5, budget=5, rounds=2, warm_start=True)
    run_simulation(pool, test, ["apple"], rec, cfg, tmp_path / "warm", evaluator=_ap50)
    assert calls == [
        ("random-seed0-round0", None),
        ("random-seed0-round1", "random-seed0-round0"),
        ("random-seed0-round2", "random-seed0-round1"),
    ]
    calls.clear()
    cold = SimulationConfig(("random",), initial=5, budget=5, rounds=1)
    run_simulation(pool, test, ["apple"], rec, cold, tmp_path / "cold", evaluator=_ap50)
    assert [c[1] for c in calls] == [None, None]
    assert "warm_start" not in cold.key() and cfg.key()["warm_start"] is True
