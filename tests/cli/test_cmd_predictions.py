"""`alpick predictions`: export to the platform successor's layout and back, and to KITTI."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from alpick.api import Project
from alpick.formats import Classes, Detections
from alpick.formats.kitti import load_kitti
from alpick.formats.lightly_predictions import load_lightly_task


def _alpick(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alpick", *args], cwd=cwd, capture_output=True, text=True
    )


def test_export_import_round_trip(tmp_path: Path) -> None:
    images = tmp_path / "data" / "raw" / "images"
    images.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (40, 30)).save(images / f"im{i}.png")
    project = Project.create(tmp_path)
    project.import_samples()
    ids = [s.id for s in project.samples()]
    det = Detections(
        np.array([[1, 2, 10, 12], [5, 5, 9, 9]], np.float32),
        np.zeros(2, np.int64),
        np.array([0.9, 0.4], np.float32),
    )
    project.save_predictions("run1", {ids[0]: det}, Classes(["apple"]), source="test")
    project.close()

    run = _alpick(tmp_path, "predictions", "export", "out")
    assert run.returncode == 0, run.stderr
    dets, classes = load_lightly_task(tmp_path / "out", "run1")
    assert classes.names == ["apple"] and set(dets) == {"im0.png", "im1.png", "im2.png"}
    np.testing.assert_allclose(dets["im0.png"].xyxy, det.xyxy, atol=1e-3)
    assert len(dets["im1.png"]) == 0

    run = _alpick(tmp_path, "predictions", "import", "out", "--format", "lightly", "--name", "b")
    assert run.returncode == 0, run.stderr
    assert "2 boxes on 3 images" in run.stdout
    run = _alpick(tmp_path, "predictions", "export", "kitti", "--format", "kitti", "--set", "b")
    assert run.returncode == 0, run.stderr
    back = load_kitti(tmp_path / "kitti" / "im0.txt", Classes())
    np.testing.assert_allclose(back.confidence, det.confidence, atol=1e-4)
    assert (tmp_path / "kitti" / "im2.txt").read_text() == ""  # empty file = no detections

    bad = _alpick(tmp_path, "predictions", "export", "x", "--set", "nope")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
