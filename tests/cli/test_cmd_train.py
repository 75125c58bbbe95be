"""`alpick train` / `alpick predict` on a project: the happy path (tiny) and bad input."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alpick
from alpick.formats import Classes
from alpick.formats.kitti import load_kitti

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
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    images, labels = root / "data/raw/images", root / "data/raw/labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(4):
        pixels = rng.integers(60, 120, size=(64, 64, 3), dtype=np.uint8)
        pixels[20:36, 10:26] = (220, 30, 30)
        Image.fromarray(pixels).save(images / f"im{i}.png")
        line = "apple 0.00 0 0.00 10 20 26 36 0 0 0 0 0 0 0\n" if i < 3 else ""
        (labels / f"im{i}.txt").write_text(line)
    assert _alpick(root, "init").returncode == 0
    (root / "all.txt").write_text("im0.png\nim1.png\nim2.png\n")
    (root / "bare.txt").write_text("im3.png\n")
    assert _alpick(root, "tag", "create", "all", "--from-file", "all.txt").returncode == 0
    assert _alpick(root, "tag", "create", "bare", "--from-file", "bare.txt").returncode == 0
    return root


def test_train_then_predict(project: Path) -> None:
    run = _alpick(
        project, "train", "--tag", "all", "--epochs", "1", "--batch-size", "2",
        "--input-size", "64x64",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (project / "runs/all/last.pt").exists() and (project / "runs/all/metrics.csv").exists()
    run = _alpick(project, "predict", "--model", "runs/all", "--top-k", "5")
    assert run.returncode == 0, run.stderr
    files = sorted(p.name for p in (project / "infer_labels").iterdir())
    assert files == ["im0.txt", "im1.txt", "im2.txt", "im3.txt"]
    det = load_kitti(project / "infer_labels/im0.txt", Classes())
    assert det.confidence is not None and len(det) <= 5
    assert "stored as prediction set 'all'" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--tag", "bare", "--epochs", "1"], "no labelled boxes"),
        (["train", "--tag", "nope", "--epochs", "1"], "nope"),
        (["train", "--tag", "all", "--input-size", "50x50"], "input size"),
        (["predict", "--model", "runs/missing"], "missing"),
        (["predict", "--model", "broken.pt"], "broken.pt"),
    ],
)
def test_bad_input_is_one_line(project: Path, args: list[str], message: str) -> None:
    (project / "broken.pt").write_bytes(b"not a checkpoint")
    run = _alpick(project, *args)
    assert run.returncode == 1, run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
