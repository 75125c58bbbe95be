from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from alpick.cli.main import app


def make_split(root: Path) -> None:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    mask = np.zeros((10, 12), np.uint16)
    mask[1:4, 2:6] = 500
    mask[6, 0:5] = 3  # degenerate
    Image.new("RGB", (12, 10)).save(root / "images" / "a.png")
    Image.fromarray(mask).save(root / "masks" / "a.png")


def test_convert_minneapple(tmp_path: Path) -> None:
    make_split(tmp_path / "src")
    result = CliRunner().invoke(
        app,
        [
            "convert",
            "minneapple",
            str(tmp_path / "src"),
            str(tmp_path / "out"),
            "--class-name",
            "pome",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "converted 1 images, 1 boxes (1 degenerate dropped) ->" in result.output
    line = (tmp_path / "out" / "labels" / "a.txt").read_text().split()
    assert line[0] == "pome" and line[4:8] == ["2.00", "1.00", "6.00", "4.00"]


def test_convert_error_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "alpick",
            "convert",
            "minneapple",
            str(tmp_path / "nope"),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
