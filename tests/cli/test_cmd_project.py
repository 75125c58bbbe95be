import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import alpick
from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError
from alpick.formats.coco import save_coco_instances
from alpick.formats.detections import Classes, Detections
from alpick.formats.voc import save_voc
from alpick.formats.yolo import save_yolo, save_yolo_names

KITTI = "apple 0.00 0 0.00 {0} 1 {1} 9 0 0 0 0 0 0 0"


def _pool(root: Path, n: int, *, start: int = 0, boxes: int = 2) -> None:
    (root / "data/raw/images").mkdir(parents=True, exist_ok=True)
    (root / "data/raw/labels").mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        Image.new("RGB", (32, 24), (i, 0, 0)).save(root / f"data/raw/images/im{i:02d}.png")
        lines = [KITTI.format(k, k + 5) for k in range(boxes)]
        (root / f"data/raw/labels/im{i:02d}.txt").write_text("\n".join(lines) + "\n")


def alpick_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m alpick ARGS`` in ``cwd`` with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(Path(alpick.__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "alpick", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_init_then_rerun_picks_up_new_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pool(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        "added 3 images (3 with labels, 6 boxes, 1 class) — 3 in the project"
    )
    _pool(tmp_path, 1, start=3, boxes=1)
    second = runner.invoke(app, ["init"])
    assert (
        second.output.strip() == "added 1 image (1 with labels, 1 box, 1 class) — 4 in the project"
    )
    third = runner.invoke(app, ["init"])
    assert (
        third.output.strip()
        == "added 0 images (0 with labels, 0 boxes, 1 class) — 4 in the project"
    )


def test_init_with_options_and_project_flag(tmp_path: Path) -> None:
    _pool(tmp_path / "elsewhere", 2)
    images = tmp_path / "elsewhere/data/raw/images"
    labels = tmp_path / "elsewhere/data/raw/labels"
    result = CliRunner().invoke(
        app,
        ["--project", str(tmp_path), "init", "--images", str(images), "--labels", str(labels)],
    )
    assert result.exit_code == 0, result.output
    with Project.open(tmp_path) as project:
        assert project.images_dir == images.resolve()
        assert len(project.samples()) == 2


def test_annotate_reports_new_and_existing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pool(tmp_path, 4)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(app, ["init"])
    with Project.open() as project:
        ids = project.sample_ids().tolist()
        project.create_tag("initial-selection", ids[:2])
        project.create_tag("more", ids, parent="initial-selection")
    out = runner.invoke(app, ["annotate", "--tag", "initial-selection"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == (
        "annotated 2 new images of tag 'initial-selection' (0 already in data/train)"
    )
    out = runner.invoke(app, ["annotate", "--tag", "more"])
    assert out.output.strip() == "annotated 2 new images of tag 'more' (2 already in data/train)"
    assert len(list((tmp_path / "data/train/labels").iterdir())) == 4
    missing = runner.invoke(app, ["annotate", "--tag", "nope"])
    assert isinstance(missing.exception, AlpickError)


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    result = alpick_cli(tmp_path, "init")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: images folder ") and "does not exist" in result.stderr
    assert not (tmp_path / ".alpick").exists()

    result = alpick_cli(tmp_path, "tag", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no alpick project found in ")


def test_bad_input_leaves_the_project_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pool(tmp_path, 2)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    _pool(tmp_path, 1, start=5)
    labels = tmp_path / "data/raw/labels"

    def fails(message: str) -> None:
        result = runner.invoke(app, ["init"])
        assert isinstance(result.exception, AlpickError), result.output
        assert re.search(message, str(result.exception)), str(result.exception)

    (labels / "orphan.txt").write_text("")
    fails(r"label file .*orphan\.txt has no image")
    (labels / "orphan.txt").unlink()
    (labels / "im00.txt").write_text("apple 0 0 0 9 1 2 9 0 0 0 0 0 0 0\n")
    fails(r"im00\.txt:1: KITTI: inverted box \(x0=9\.0, y0=1\.0, x1=2\.0, y1=9\.0\)")
    (labels / "im00.txt").write_text("")
    (tmp_path / "data/raw/images/bad.png").write_bytes(b"not a png")
    fails(r"cannot read image .*bad\.png")
    with Project.open(tmp_path) as project:
        assert len(project.samples()) == 2
        assert sum(len(d) for d in project.labels().values()) == 4


def test_newer_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pool(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    raw = sqlite3.connect(tmp_path / ".alpick/alpick.db")
    raw.execute("PRAGMA user_version = 999")
    raw.commit()
    raw.close()
    result = CliRunner().invoke(app, ["tag", "list"])
    assert isinstance(result.exception, AlpickError)
    assert "written by a newer alpick (schema 999 > " in str(result.exception)
    assert str(result.exception).endswith("upgrade alpick")


FORMAT_IMAGES = {"a.png": (64, 48), "sub/b.png": (40, 30), "c.png": (20, 20)}
FORMAT_BOXES = {"a.png": [[1, 2, 30, 40, 1], [10, 10, 20, 20, 0]], "sub/b.png": [[0, 0, 8, 6, 1]]}


def _labelled_pool(root: Path, fmt: str) -> Path:
    """Images of FORMAT_IMAGES with FORMAT_BOXES (c.png unlabelled) in ``fmt``; the labels path."""
    classes = Classes(["apple", "leaf"])
    labels = root / "data/raw/labels"
    dets, sizes = {}, {}
    for rel, (w, h) in FORMAT_IMAGES.items():
        (root / "data/raw/images" / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (w, h)).save(root / "data/raw/images" / rel)
        rows = np.array(FORMAT_BOXES.get(rel, []), np.float32).reshape(-1, 5)
        dets[rel] = Detections(rows[:, :4], rows[:, 4].astype(np.int64))
        sizes[rel] = (w, h)
    for rel, det in dets.items():
        stem = labels / Path(rel).with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        w, h = sizes[rel]
        if fmt == "yolo" and len(det):
            save_yolo(stem.with_suffix(".txt"), det, width=w, height=h)
        elif fmt == "voc" and len(det):
            save_voc(
                stem.with_suffix(".xml"), det, classes, filename=Path(rel).name, width=w, height=h
            )
    if fmt == "yolo":
        save_yolo_names(labels / "classes.txt", classes)
    if fmt == "coco":
        labelled = {rel: d for rel, d in dets.items() if len(d)}
        save_coco_instances(labels / "instances.json", labelled, classes, sizes)
        return labels / "instances.json"
    return labels


@pytest.mark.parametrize(
    ("fmt", "use_file"), [("yolo", False), ("voc", False), ("coco", False), ("coco", True)]
)
def test_init_reads_each_label_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, use_file: bool
) -> None:
    labels = _labelled_pool(tmp_path, fmt)
    monkeypatch.chdir(tmp_path)
    args = ["init", "--label-format", fmt.upper()]
    if use_file:
        args += ["--labels", str(labels)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "added 3 images (2 with labels, 3 boxes, 2 classes) — 3 in the project"
    )
    with Project.open() as project:
        assert project.label_format == fmt
        names = project.classes().names  # VOC names its classes in the order they appear
        assert sorted(names) == ["apple", "leaf"]
        by_path = {s.path: s.id for s in project.samples()}
        got = project.labels()
        for rel, rows in FORMAT_BOXES.items():
            det = got[by_path[rel]]
            np.testing.assert_allclose(det.xyxy, [r[:4] for r in rows], atol=0.01)
            assert [names[c] for c in det.class_id] == [["apple", "leaf"][r[4]] for r in rows]
        assert len(got[by_path["c.png"]]) == 0
        project.create_tag("t", [by_path["a.png"], by_path["sub/b.png"]])
    assert CliRunner().invoke(app, ["annotate", "--tag", "t"]).exit_code == 0
    train = tmp_path / "data/train/labels"
    copied = sorted(p.relative_to(train).as_posix() for p in train.rglob("*") if p.is_file())
    expected = {"yolo": ["a.txt", "classes.txt", "sub/b.txt"], "voc": ["a.xml", "sub/b.xml"]}
    assert copied == expected.get(fmt, [])


def test_init_refuses_labels_without_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = _labelled_pool(tmp_path, "coco")
    (tmp_path / "data/raw/images/a.png").unlink()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", "--label-format", "coco"])
    assert isinstance(result.exception, AlpickError)
    assert str(result.exception) == (
        f"COCO labels in {labels.parent} name image 'a.png', which is not in the images folder"
    )
    assert not (tmp_path / ".alpick").exists()
    result = CliRunner().invoke(app, ["init", "--label-format", "csv"])
    assert isinstance(result.exception, AlpickError)
    assert "unknown label format 'csv' (choose from kitti, coco, yolo, voc)" in str(
        result.exception
    )
