import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alpick.cli.main import app
from alpick.errors import AlpickError


def test_generate_orchard_writes_and_summarises(tmp_path: Path) -> None:
    out = tmp_path / "orchard"
    args = ["generate", "orchard", str(out), "--n-train", "4", "--n-test", "2", "--size", "80x120"]
    result = CliRunner().invoke(app, [*args, "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "train: 4 images" in result.output and "test: 2 images" in result.output
    assert len(list((out / "train" / "images").iterdir())) == 4
    again = CliRunner().invoke(app, args)
    assert isinstance(again.exception, AlpickError)
    forced = CliRunner().invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output


def test_balanced_regime(tmp_path: Path) -> None:
    out = tmp_path / "orchard"
    args = ["generate", "orchard", str(out), "--n-train", "10", "--n-test", "0", "--size", "64x64"]
    result = CliRunner().invoke(app, [*args, "--regime", "balanced"])
    assert result.exit_code == 0, result.output
    rows = (out / "metadata.csv").read_text().splitlines()[1:]
    assert len(rows) == 10
    assert len({r.split(",")[3] for r in rows}) == 10  # one sequence per image


@pytest.mark.parametrize(
    "extra",
    [["--n-train", "0"], ["--size", "63x100"], ["--size", "wide"], ["--regime", "skewed"]],
)
def test_bad_input_is_a_user_error(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(app, ["generate", "orchard", str(tmp_path / "o"), *extra])
    assert isinstance(result.exception, AlpickError)
    assert not (tmp_path / "o").exists()


def test_unwritable_out_prints_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "alpick", "generate", "orchard", str(blocker / "out")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
