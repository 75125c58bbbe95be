"""`alpick simulate` end to end with the real detector (tiny)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import alpick
from alpick.data.orchard import generate_orchard

# The checkout under test, not whichever alpick the interpreter has installed.
SRC = str(Path(alpick.__file__).parents[1])


def _alpick(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alpick", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": SRC},
    )


@pytest.fixture(scope="module")
def orchard_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim")
    generate_orchard(root / "orchard", n_train=12, n_test=4, size=(64, 128), seed=1)
    for split, target in (("train", "data/raw"), ("test", "data/test")):
        run = _alpick(root, "convert", "minneapple", f"orchard/{split}", target)
        assert run.returncode == 0, run.stderr
    assert _alpick(root, "init").returncode == 0
    names = sorted(p.name for p in (root / "data/raw/images").iterdir())
    (root / "names.txt").write_text("\n".join(names))
    np.save(root / "emb.npy", np.random.default_rng(0).normal(size=(12, 8)).astype(np.float32))
    assert _alpick(root, "embed", "import", "emb.npy", "--filenames", "names.txt").returncode == 0
    return root


SIM = [
    "simulate", "--strategies", "random,coral", "--initial", "3", "--budget", "3",
    "--rounds", "2", "--epochs", "1", "--batch-size", "3", "--input-size", "64x128",
    "--seeds", "0", "--test-labels", "data/test/labels", "--metadata", "orchard/metadata.csv",
    "--out", "sim",
]  # fmt: skip


def test_tiny_simulation_end_to_end(orchard_project: Path) -> None:
    run = _alpick(orchard_project, *SIM)
    assert run.returncode == 0, run.stderr
    sim = orchard_project / "sim"
    rows = json.loads((sim / "results.json").read_text())
    assert [(r["strategy"], r["round"], r["n_labelled"]) for r in rows] == [
        ("random", 0, 3), ("random", 1, 6), ("random", 2, 9),
        ("coral", 0, 3), ("coral", 1, 6), ("coral", 2, 9),
    ]  # fmt: skip
    for r in rows:
        assert 0.0 <= r["metrics"]["AP50"] <= 1.0
        assert any(k.startswith("AP50/") for k in r["metrics"])  # per condition
    assert "predict_pool" in rows[3]["seconds"]  # coral scored the pool; random did not
    assert "predict_pool" not in rows[0]["seconds"]
    report = (sim / "report.md").read_text()
    assert "| coral |" in report and "labels needed" in report
    assert (sim / "learning_curve.png").stat().st_size > 1000
    assert not list((sim / "work").rglob("*.pt"))  # checkpoints are not kept
    again = _alpick(orchard_project, *SIM)  # everything done: resumes to the same report
    assert again.returncode == 0, again.stderr
    assert json.loads((sim / "results.json").read_text()) == rows
    merged = _alpick(orchard_project, "report", "sim", "--out", "merged")
    assert merged.returncode == 0, merged.stderr
    assert json.loads((orchard_project / "merged" / "results.json").read_text()) == rows
    twice = _alpick(orchard_project, "report", "sim", "sim", "--out", "merged2")
    assert twice.returncode == 1 and "twice" in twice.stderr


def test_simulation_bad_input(orchard_project: Path) -> None:
    bad = _alpick(orchard_project, *SIM[:-1], "sim-bad", "--strategies", "bogus")
    assert bad.returncode == 1 and bad.stderr.startswith("error: unknown strategy")
    big = _alpick(orchard_project, *SIM[:-1], "sim-big2", "--initial", "30")
    assert big.returncode == 1 and "pool has only 12" in big.stderr
    assert len(big.stderr.strip().splitlines()) == 1
