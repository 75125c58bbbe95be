"""``alpick export`` and ``alpick labels import | history`` on the sample project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpick.cli.main import run


def test_export_label_and_import(project_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert (
        run(["export", "ls", "--tag", "t1", "--to", "label-studio", "--predictions", "pred"]) == 0
    )
    assert "exported 2 images, 2 boxes (label-studio)" in capfd.readouterr().out
    tasks = json.loads((project_copy / "ls/tasks.json").read_text())
    # a labeller moves the pre-annotated box of the first image and deletes that of the second
    first, second = tasks
    moved = first["predictions"][0]["result"][0]
    moved["value"]["x"] += 12.5  # 32 px wide: +4 px
    first["annotations"] = [{"id": 1, "result": [moved]}]
    second["annotations"] = [{"id": 2, "result": []}]
    (project_copy / "done.json").write_text(json.dumps(tasks))
    assert run(["labels", "import", "done.json", "--format", "label-studio"]) == 0
    assert "imported label set 1: 2 images, 1 boxes" in capfd.readouterr().out
    assert run(["labels", "list"]) == 0
    assert "  label-studio  2 images  1 boxes  " in capfd.readouterr().out
    assert run(["labels", "history", "im0.png"]) == 0
    text = capfd.readouterr().out
    assert "label files: 1 apple\n" in text and "label set 1 (label-studio" in text
    assert "+1 (apple 5 2 12 9) -1 (apple 1 2 8 9)" in text
    assert run(["labels", "history", "im1.png"]) == 0
    assert "no boxes; -1" in capfd.readouterr().out


def test_bad_import_is_one_line(project_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (project_copy / "x.json").write_text(json.dumps([{"data": {"image": "/a/zz.png"}}]))
    assert run(["labels", "import", "x.json", "--format", "label-studio"]) == 1
    err = capfd.readouterr().err.strip()
    assert err.startswith("error: ") and "task 1" in err and "not in the project" in err
    assert len(err.splitlines()) == 1
