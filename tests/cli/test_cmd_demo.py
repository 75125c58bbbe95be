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
