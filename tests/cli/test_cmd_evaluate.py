from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alpick.cli.main import app

KITTI = "{c} 0.00 0 0.00 {x0} {y0} {x1} {y1} 0.00 0.00 0.00 0.00 0.00 0.00 0.00"


def _write(folder: Path, name: str, rows: list[tuple], conf: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for row in rows:
        line = KITTI.format(c=row[0], x0=row[1], y0=row[2], x1=row[3], y1=row[4])
        lines.append(f"{line} {row[5]}" if conf else line)
    (folder / f"{name}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    gt, pred = tmp_path / "labels", tmp_path / "infer_labels"
    _write(gt, "img1", [("apple", 10, 10, 30, 30), ("Apple", 50, 50, 70, 80)], conf=False)
    _write(gt, "img2", [("apple", 5, 5, 25, 25)], conf=False)  # one line: must count
    _write(gt, "img3", [], conf=False)
    _write(pred, "img1", [("apple", 10, 10, 30, 30, 0.9), ("apple", 50, 50, 70, 80, 0.8)], True)
    _write(pred, "img2", [("apple", 5, 5, 25, 25, 0.7)], conf=True)
    _write(pred, "img3", [], conf=True)  # an empty prediction file: no detections
    return gt, pred


def test_evaluate_perfect(folders: tuple[Path, Path], tmp_path: Path) -> None:
    gt, pred = folders
    out = tmp_path / "m" / "metrics.json"
    result = CliRunner().invoke(
        app, ["evaluate", "--predictions", str(pred), "--labels", str(gt), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "AP50" in result.output and "3 images, 3 boxes, 3 predictions" in result.output
    data = json.loads(out.read_text())
    assert data["metrics"]["AP50"] == pytest.approx(1.0)
    assert data["metrics"]["APl"] is None
    assert data["classes"] == ["apple"]  # "Apple" folded into "apple"


def test_prediction_without_label_file_is_an_image_without_objects(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    gt, pred = folders
    _write(pred, "extra", [("apple", 1, 1, 9, 9, 0.95)], conf=True)
    out = tmp_path / "m.json"
    result = CliRunner().invoke(
        app, ["evaluate", "--predictions", str(pred), "--labels", str(gt), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["n_images"] == 4
    assert data["metrics"]["AP50"] < 1.0


def test_missing_prediction_file_means_no_detections(folders: tuple[Path, Path]) -> None:
    gt, pred = folders
    (pred / "img2.txt").unlink()
    result = CliRunner().invoke(app, ["evaluate", "--predictions", str(pred), "--labels", str(gt)])
    assert result.exit_code == 0, result.output
    assert "3 images, 3 boxes, 2 predictions" in result.output


def test_errors(folders: tuple[Path, Path], tmp_path: Path) -> None:
    from alpick.errors import AlpickError

    gt, pred = folders
    runner = CliRunner()
    result = runner.invoke(
        app, ["evaluate", "--predictions", str(tmp_path / "no"), "--labels", str(gt)]
    )
    assert isinstance(result.exception, AlpickError) and "no such folder" in str(result.exception)
    result = runner.invoke(
        app, ["evaluate", "--predictions", str(pred), "--labels", str(gt), "--format", "voc"]
    )
    assert isinstance(result.exception, AlpickError)
    (pred / "img1.txt").write_text("apple 0 0 0 1 2 3\n")
    result = runner.invoke(app, ["evaluate", "--predictions", str(pred), "--labels", str(gt)])
    assert isinstance(result.exception, AlpickError) and "img1.txt" in str(result.exception)
    empty_a, empty_b = tmp_path / "ea", tmp_path / "eb"
    empty_a.mkdir()
    empty_b.mkdir()
    result = runner.invoke(
        app, ["evaluate", "--predictions", str(empty_a), "--labels", str(empty_b)]
    )
    assert isinstance(result.exception, AlpickError)
