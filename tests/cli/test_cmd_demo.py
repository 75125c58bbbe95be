"""`alpick demo` errors (the demo itself runs in minutes: `make demo`)."""

import subprocess
import sys
from pathlib import Path

import alpick

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


def test_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    run = _alpick(tmp_path, "demo", "--out", "x")
    assert run.returncode == 1 and "holds no earlier demo" in run.stderr
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


TINY = (
    "demo", "--out", "d", "--n-train", "16", "--n-test", "6", "--steps", "2",
    "--retrain-steps", "2", "--sim-steps", "2", "--initial", "4", "--budget", "4",
    "--sim-initial", "4", "--sim-budget", "4", "--rounds", "1",
)  # fmt: skip


def test_a_tiny_demo_runs_end_to_end(tmp_path: Path) -> None:
    """The whole demo at toy sizes: every step, the side-by-side simulation, the report."""
    run = _alpick(
        tmp_path, *TINY,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "coral-selection-1: AP50" in run.stdout
    assert "browse it: alpick serve --project" in run.stdout
    report = (tmp_path / "d" / "report.md").read_text()
    assert "retrain on the larger set (warm start)" in report
    assert "RANDOM vs CORAL" in report
    rounds = (tmp_path / "d" / "simulation" / "rounds.jsonl").read_text().splitlines()
    assert len(rounds) == 2 * 2  # two strategies, two rounds each
    assert (tmp_path / "d" / "figures" / "predictions.png").is_file()
    again = _alpick(tmp_path, *TINY)
    assert again.returncode == 0, again.stderr  # a rerun finds everything done
