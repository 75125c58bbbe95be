"""``alpick scores``: inside a project (stored sets, rows = images) and outside (rows = files)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import save_kitti
from alpick.scores import SCORES, BoxTable, compute_scores

NAMES = ["a.png", "b.png", "c.png", "sub/d.png"]


def _dets() -> dict[str, Detections]:
    box = [[1, 1, 5, 5]]
    return {
        "a.png": Detections(np.array(box * 3), [0, 0, 1], [0.9, 0.4, 0.05]),
        "b.png": Detections(np.array(box), [1], [0.6]),
        "sub/d.png": Detections.empty(with_confidence=True),
    }  # c.png: no file, no boxes


def _write(folder: Path, dets: dict[str, Detections]) -> None:
    for name, det in dets.items():
        save_kitti((folder / name).with_suffix(".txt"), det, Classes(["apple", "leaf"]))


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in NAMES:
        path = tmp_path / "data/raw/images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (16, 12)).save(path)
    Project.create(tmp_path).import_samples()
    _write(tmp_path / "infer_labels", _dets())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scores_in_project(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["scores", "--predictions", "infer_labels", "--out", "s.csv"])
    assert result.exit_code == 0, result.output
    assert "scored 4 images with prediction set 'infer_labels'" in result.output
    assert "saved score set 'infer_labels'" in result.output
    assert "wrote s.csv (4 rows x 7 scores)" in result.output
    assert "uncertainty_entropy" in result.output  # the summary table
    rows = _read(project_dir / "s.csv")
    assert rows[0] == ["sample", *SCORES]
    assert [r[0] for r in rows[1:]] == NAMES
    dets = _dets()
    table = BoxTable.from_detections(
        [dets.get(n, Detections.empty(with_confidence=True)) for n in NAMES]
    )
    expected = compute_scores(table)
    got = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(got, np.stack(list(expected.values()), axis=1), atol=1e-6)
    with Project.open() as project:
        assert [s.name for s in project.prediction_sets()] == ["infer_labels"]
        stored, record = project.scores()
        assert record.score_names == list(SCORES)
        np.testing.assert_array_equal(stored["uncertainty_margin"], got[:, 3])


def test_min_confidence_and_score_choice(project_dir: Path) -> None:
    runner = CliRunner()
    args = ["scores", "--predictions", "infer_labels", "--score", "objectness_least_confidence"]
    plain = runner.invoke(app, [*args, "--out", "all.csv"])
    high = runner.invoke(
        app, [*args, "--score", "UNCERTAINTY_ENTROPY", "--min-confidence", "0.5",
              "--name", "hi", "--out", "hi.csv"],
    )  # fmt: skip
    assert plain.exit_code == 0 and high.exit_code == 0, high.output
    assert "(4 boxes, 2 at or above 0.5)" in high.output
    rows_all, rows_hi = _read(project_dir / "all.csv"), _read(project_dir / "hi.csv")
    assert rows_all[0] == ["sample", "objectness_least_confidence"]
    assert rows_hi[0] == ["sample", "objectness_least_confidence", "uncertainty_entropy"]
    # a.png: mean(0.9, 0.4, 0.05) -> 0.9 alone once boxes under 0.5 are dropped
    assert float(rows_all[1][1]) == pytest.approx(1 - (0.9 + 0.4 + 0.05) / 3, abs=1e-6)
    assert float(rows_hi[1][1]) == pytest.approx(0.1, abs=1e-6)
    assert rows_hi[2][1] == rows_all[2][1]  # b.png's one box is above 0.5
    with Project.open() as project:
        assert [s.name for s in project.score_sets()] == ["infer_labels", "hi"]


def test_reduction_and_stdout(project_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["scores", "--predictions", "infer_labels", "--reduction", "mean",
              "--score", "uncertainty_entropy", "--out", "-"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "sample,uncertainty_entropy" and len(lines) == 5


def test_scores_outside_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "preds", {"x.png": _dets()["a.png"], "y.png": _dets()["b.png"]})
    result = CliRunner().invoke(app, ["scores", "--predictions", "preds", "--out", "o.csv"])
    assert result.exit_code == 0, result.output
    assert "2 prediction files (no project here: nothing stored)" in result.output
    rows = _read(tmp_path / "o.csv")
    assert [r[0] for r in rows] == ["sample", "x", "y"]
    assert not (tmp_path / ".alpick").exists()


def test_errors(project_dir: Path) -> None:
    (project_dir / "empty").mkdir()
    (project_dir / "bad").mkdir()
    (project_dir / "bad/a.txt").write_text("apple 0 0 0 1 1 5 5 0 0 0 0 0 0 0 0.5\nleaf 0 0\n")
    cases = {
        ("--predictions", "infer_labels", "--format", "xml"): "unknown prediction format 'xml'",
        ("--predictions", "infer_labels", "--score", "foo"): r"unknown score 'foo'; valid: obj",
        ("--predictions", "infer_labels", "--reduction", "median"): "unknown reduction",
        ("--predictions", "nothere"): "nothere: no such folder",
        ("--predictions", "empty"): "empty",
        ("--predictions", "bad"): r"a\.txt:2",
    }
    for args, message in cases.items():
        result = CliRunner().invoke(app, ["scores", *args])
        assert isinstance(result.exception, AlpickError), (args, result.output)
        assert re.search(message, str(result.exception)), (args, str(result.exception))
    with Project.open() as project:
        assert project.prediction_sets() == [] and project.score_sets() == []


def test_error_is_one_line(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alpick.cli.main import main

    monkeypatch.setattr(
        "sys.argv", ["alpick", "scores", "--predictions", "infer_labels", "--score", "nope"]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: unknown score 'nope'") and stderr.count("\n") == 1
