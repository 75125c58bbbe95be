"""Bad inputs get one clear error (issue 17, classes 3-5 and 7), never exit 0, a traceback or
a hang: inputs accepted silently, readers that crashed or blocked, projects that got stuck."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image
from tests.cli.sample_project import KITTI, N_IMAGES, snapshot

import alpick
from alpick.api import Project
from alpick.cli.main import run
from alpick.formats.detections import Classes, Detections
from alpick.formats.lightly_predictions import save_lightly_task
from alpick.formats.voc import save_voc


@pytest.fixture
def pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Images with KITTI labels, no project yet; the working folder."""
    (tmp_path / "data/raw/images").mkdir(parents=True)
    (tmp_path / "data/raw/labels").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (32, 24)).save(tmp_path / f"data/raw/images/im{i}.png")
        (tmp_path / f"data/raw/labels/im{i}.txt").write_text(KITTI.format(x=1, x2=9) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fails(capfd: pytest.CaptureFixture[str], args: list[str], *words: str) -> str:
    code = run(args)
    err = capfd.readouterr().err
    assert code == 1, (args, err)
    line = err.strip()
    assert len(line.splitlines()) == 1 and line.startswith("error: "), err
    assert "internal error" not in line, line
    for word in words:
        assert word in line, (word, line)
    return line


def _voc(path: Path, name: str) -> None:
    det = Detections([[2, 2, 9, 9]], [0])
    save_voc(path, det, Classes([name]), filename=path.stem + ".png", width=32, height=24)


def _no_project(root: Path) -> None:
    assert not (root / ".alpick").exists()


# --- class 3: bad inputs accepted -----------------------------------------------------------


def test_init_labels_must_exist(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _fails(capfd, ["init", "--labels", "/nonexistent"], "/nonexistent", "does not exist")
    _no_project(pool)


def test_box_entirely_outside_the_image(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (pool / "data/raw/labels/im1.txt").write_text(KITTI.format(x=100, x2=120) + "\n")
    _fails(capfd, ["init"], "im1.png", "outside the 32x24 image")
    _no_project(pool)


def test_upper_case_suffix_beside_the_label(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (pool / "data/raw/labels/im1.TXT").write_text(KITTI.format(x=1, x2=9) + "\n")
    _fails(capfd, ["init"], "im1.TXT", "rename it to im1.txt")


def test_coco_class_named_null(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    coco = {
        "images": [{"id": 1, "file_name": "im0.png", "width": 32, "height": 24}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}],
        "categories": [{"id": 1, "name": None}],
    }
    (pool / "coco.json").write_text(json.dumps(coco))
    args = ["init", "--labels", "coco.json", "--label-format", "coco"]
    _fails(capfd, args, "class name must be a non-empty string, got None")


def _lightly_dir(root: Path, edit: str) -> Path:
    folder = root / f"lightly-{edit}"
    dets = {f"im{i}.png": Detections([[1, 1, 5, 5]], [0], [0.5], [[0.5, 0.5]]) for i in range(3)}
    task = save_lightly_task(folder, "t", dets, Classes(["apple", "leaf"]))
    path = task / "im1.json"
    data = json.loads(path.read_text())
    if edit == "mismatch":
        data["file_name"] = "im2.png"
    elif edit == "outside":
        data["file_name"] = "../../etc/passwd"
    else:
        data["predictions"][0]["probabilities"] = [0.2, 0.3, 0.5]
    path.write_text(json.dumps(data))
    return folder


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ("mismatch", ["'im2.png'", "holds the predictions of 'im1.png'"]),
        ("outside", ["leaves the images folder"]),
        ("probs", ["3 values", "2 categories"]),
    ],
)
def test_lightly_prediction_that_lies(
    edit: str,
    words: list[str],
    pool: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert run(["init"]) == 0
    folder = _lightly_dir(pool, edit)
    before = snapshot(pool)
    _fails(capfd, ["predictions", "import", str(folder), "--format", "lightly"], *words)
    assert snapshot(pool) == before


# --- class 4: readers that crashed or hung --------------------------------------------------


def test_yolo_without_names_file_uses_indices(
    pool: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    for i in range(3):
        (pool / f"data/raw/labels/im{i}.txt").write_text(f"{i} 0.5 0.5 0.25 0.25\n")
    assert run(["init", "--label-format", "yolo"]) == 0, capfd.readouterr().err
    with Project.open(pool) as project:
        assert project.classes().names == ["0", "1", "2"]


def _bomb_png(path: Path, side: int = 100_000) -> None:
    """A PNG whose header claims ``side`` x ``side`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\0" * 64)
    body += struct.pack(">I", len(idat)) + b"IDAT" + idat
    body += struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    body += struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def test_decompression_bomb_header(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _bomb_png(pool / "data/raw/images/bomb.png")
    _fails(capfd, ["init"], "bomb.png", "too large")
    _no_project(pool)


def test_fifo_label_file_does_not_hang(pool: Path) -> None:
    os.mkfifo(pool / "data/raw/labels/im1.txt.fifo")
    (pool / "data/raw/labels/im1.txt").unlink()
    os.rename(pool / "data/raw/labels/im1.txt.fifo", pool / "data/raw/labels/im1.txt")
    env = {**os.environ, "PYTHONPATH": str(Path(alpick.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "alpick", "init"],
        cwd=pool,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "im1.txt" in done.stderr and "not a regular file" in done.stderr


# --- class 5: stuck projects ----------------------------------------------------------------


def test_zero_byte_database(project_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (project_copy / ".alpick/alpick.db").write_bytes(b"")
    _fails(capfd, ["tag", "list"], "empty (0 bytes)", "alpick init")
    assert run(["init"]) == 0
    assert run(["tag", "list"]) == 0


def test_settings_can_be_corrected(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert run(["init"]) == 0
    voc = pool / "voc"
    voc.mkdir()
    _voc(voc / "im0.xml", "pear")
    _fails(capfd, ["init", "--labels", "voc", "--label-format", "voc"], "--reconfigure")
    args = ["init", "--labels", "voc", "--label-format", "voc", "--reconfigure"]
    assert run(args) == 0, capfd.readouterr().err
    with Project.open(pool) as project:
        assert project.label_format == "voc"
        assert "pear" in project.classes().names


READ_ONLY_WORKS = [
    ["tag", "list"],
    ["tag", "show", "t1"],
    ["predictions", "list"],
    ["embed", "export", "{out}/e.csv"],
    ["embed", "map", "{out}/m.png", "--name", "emb"],
]
READ_ONLY_REFUSED = [
    ["tag", "create", "t2", "--from-file", "{out}/names.txt"],
    ["tag", "delete", "t1"],
    ["predictions", "import", "pred", "--name", "other"],
]


@pytest.fixture
def read_only(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A copy of the project that alpick sees as not writable (root writes anyway)."""
    from alpick.store import db

    root = project_copy
    out = tmp_path / "out"
    out.mkdir()
    (out / "names.txt").write_text("im0.png\n")
    monkeypatch.setattr(db, "writable", lambda path: False)
    return root, out


@pytest.mark.parametrize("args", READ_ONLY_WORKS, ids=" ".join)
def test_read_only_project_reads(
    args: list[str], read_only: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    root, out = read_only
    argv = [a.format(out=out) for a in args]
    before = snapshot(root)
    assert run(argv) == 0, capfd.readouterr().err
    assert snapshot(root) == before


@pytest.mark.parametrize("args", READ_ONLY_REFUSED, ids=" ".join)
def test_read_only_project_refuses_writes(
    args: list[str], read_only: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    root, out = read_only
    before = snapshot(root)
    _fails(capfd, [a.format(out=out) for a in args], "read-only")
    assert snapshot(root) == before


# --- class 7: silent nothing ----------------------------------------------------------------


def test_init_detects_voc(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    labels = pool / "data/raw/labels"
    for i in range(3):
        (labels / f"im{i}.txt").unlink()
        _voc(labels / f"im{i}.xml", "pear")
    assert run(["init"]) == 0
    assert "3 with labels" in capfd.readouterr().out
    with Project.open(pool) as project:
        assert project.label_format == "voc"


def test_init_refuses_mixed_label_files(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _voc(pool / "data/raw/labels/im0.xml", "a")
    _fails(capfd, ["init"], "more than one format", "3 kitti (.txt)", "1 voc (.xml)")
    _no_project(pool)


def test_init_with_no_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "data/raw/images").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    _fails(capfd, ["init"], "no images")
    _no_project(tmp_path)


assert N_IMAGES >= 3


def _predict_kitti(folder: Path) -> None:
    folder.mkdir()
    for i in range(3):
        (folder / f"im{i}.txt").write_text(KITTI.format(x=2, x2=9) + " 0.9\n")


def test_evaluate_reads_the_projects_voc_labels(
    pool: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The README's line, on a VOC project: the labels default to the project's."""
    labels = pool / "data/raw/labels"
    for i in range(3):
        (labels / f"im{i}.txt").unlink()
        _voc(labels / f"im{i}.xml", "apple")
    assert run(["init"]) == 0
    _predict_kitti(pool / "infer_labels")
    capfd.readouterr()
    assert run(["evaluate", "--predictions", "infer_labels", "--json", "m.json"]) == 0
    assert json.loads((pool / "m.json").read_text())["metrics"]["AP50"] == pytest.approx(1.0)
    args = ["evaluate", "--predictions", "infer_labels", "--labels", "data/raw/labels"]
    assert run(args) == 0


def test_evaluate_outside_a_project_matches_through_the_images(
    pool: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    labels = pool / "data/raw/labels"
    for i in range(3):
        (labels / f"im{i}.txt").unlink()
        _voc(labels / f"im{i}.xml", "apple")
    _predict_kitti(pool / "infer_labels")
    args = ["evaluate", "--predictions", "infer_labels", "--labels", "data/raw/labels"]
    assert run([*args, "--json", "m.json"]) == 0, capfd.readouterr().err
    assert json.loads((pool / "m.json").read_text())["metrics"]["AP50"] == pytest.approx(1.0)


def _ground_truth(root: Path, fmt: str) -> Path:
    """Labels of im0..im2 (box 2,2-9,9 in 32x24 images) in ``fmt``, in a folder with no images
    beside it; a COCO file is ``gt/coco/gt.json``."""
    folder = root / "gt" / fmt
    folder.mkdir(parents=True)
    if fmt == "coco":
        coco = {
            "images": [
                {"id": i, "file_name": f"im{i}.png", "width": 32, "height": 24} for i in range(3)
            ],
            "annotations": [
                {"id": i, "image_id": i, "category_id": 1, "bbox": [2, 2, 7, 7], "area": 49,
                 "iscrowd": 0}
                for i in range(3)
            ],
            "categories": [{"id": 1, "name": "apple"}],
        }  # fmt: skip
        (folder / "gt.json").write_text(json.dumps(coco))
    for i in range(3):
        if fmt == "voc":
            _voc(folder / f"im{i}.xml", "apple")
        elif fmt == "yolo":
            (folder / f"im{i}.txt").write_text(f"0 {5.5 / 32} {5.5 / 24} {7 / 32} {7 / 24}\n")
    return folder


def _predict_yolo(folder: Path) -> None:
    folder.mkdir()
    (folder / "classes.txt").write_text("apple\n")
    for i in range(3):
        (folder / f"im{i}.txt").write_text(f"0 {5.5 / 32} {5.5 / 24} {7 / 32} {7 / 24} 0.9\n")


@pytest.mark.parametrize(
    ("labels", "predictions"),
    [
        ("gt/voc", "infer_labels"),
        ("gt/voc", "infer_yolo"),
        ("gt/coco", "infer_labels"),
        ("gt/coco/gt.json", "infer_yolo"),
    ],
)
def test_evaluate_takes_the_images_from_coco_and_voc_labels(
    pool: Path, capfd: pytest.CaptureFixture[str], labels: str, predictions: str
) -> None:
    """Outside a project, with no images folder beside the labels: COCO and VOC carry the
    images' names and sizes, so no --images is needed (YOLO predictions are un-normalised
    with those sizes)."""
    for fmt in ("voc", "coco"):
        _ground_truth(pool, fmt)
    _predict_kitti(pool / "infer_labels")
    _predict_yolo(pool / "infer_yolo")
    args = ["evaluate", "--predictions", predictions, "--labels", labels, "--json", "m.json"]
    assert run(args) == 0, capfd.readouterr().err
    assert json.loads((pool / "m.json").read_text())["metrics"]["AP50"] == pytest.approx(1.0)


def test_evaluate_asks_for_images_where_the_labels_lack_sizes(
    pool: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """YOLO labels are fractions of the image size, KITTI labels are matched to other formats
    through the images: without an images folder, one line says to give --images."""
    yolo = _ground_truth(pool, "yolo")
    _predict_kitti(pool / "infer_labels")
    _predict_yolo(pool / "infer_yolo")
    args = ["evaluate", "--predictions", "infer_labels", "--labels"]
    _fails(capfd, [*args, "gt/yolo"], "YOLO labels", "give --images DIR", str(yolo.parent))
    kitti = ["evaluate", "--predictions", "infer_yolo", "--labels", "data/raw/labels"]
    (pool / "data/raw/images").rename(pool / "pictures")
    _fails(capfd, kitti, "kitti labels and yolo predictions", "give --images DIR")
    assert run([*args, "gt/yolo", "--images", "pictures"]) == 0, capfd.readouterr().err
    assert run([*kitti, "--images", "pictures"]) == 0, capfd.readouterr().err


def test_evaluate_asks_for_images_where_coco_or_voc_lack_a_size(
    pool: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    voc, coco = _ground_truth(pool, "voc"), _ground_truth(pool, "coco")
    (voc / "im1.xml").write_text("<annotation><filename>im1.png</filename></annotation>")
    data = json.loads((coco / "gt.json").read_text())
    del data["images"][2]["width"]
    (coco / "gt.json").write_text(json.dumps(data))
    _predict_kitti(pool / "infer_labels")
    args = ["evaluate", "--predictions", "infer_labels", "--labels"]
    _fails(capfd, [*args, "gt/voc"], "im1.xml: no image <size>: give --images DIR")
    _fails(capfd, [*args, "gt/coco"], "'im2.png' has no width and height: give --images DIR")


def test_evaluate_without_prediction_files(pool: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (pool / "empty").mkdir()
    args = ["evaluate", "--predictions", "empty", "--labels", "data/raw/labels"]
    _fails(capfd, args, "no prediction files")


def test_a_closed_pipe_is_not_an_error(project_copy: Path) -> None:
    """`alpick scores --out - | head -c 10`: the reader leaves early; no traceback, no log."""
    env = {**os.environ, "PYTHONPATH": str(Path(alpick.__file__).parents[1])}
    for i in range(1500):  # rows of about 100 bytes: more than a pipe holds
        Image.new("RGB", (8, 8)).save(project_copy / f"data/raw/images/x{i}.png")
    assert run(["init"]) == 0
    writer = subprocess.Popen(
        [sys.executable, "-m", "alpick", "scores", "--predictions", "pred", "--out", "-"],
        cwd=project_copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.read(10)
    writer.stdout.close()
    err = writer.stderr.read().decode()
    writer.wait(timeout=60)
    assert "Traceback" not in err and "internal error" not in err, err
    assert not (project_copy / ".alpick/logs").exists()


FIFO_INPUTS = [
    ["tag", "create", "t2", "--from-file", "fifo"],
    ["select", "--method", "RANDOM", "--n-samples", "2", "--new-tag", "t2", "--config", "fifo"],
    ["embed", "import", "fifo.npy", "--filenames", "fifo"],
    ["tlt", "spec", "--template", "fifo"],
]


@pytest.mark.parametrize("args", FIFO_INPUTS, ids=" ".join)
def test_a_fifo_input_is_refused_not_waited_on(args: list[str], project_copy: Path) -> None:
    os.mkfifo(project_copy / "fifo")
    os.mkfifo(project_copy / "fifo.npy")
    env = {**os.environ, "PYTHONPATH": str(Path(alpick.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "alpick", *args],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "not a regular file" in done.stderr and "Traceback" not in done.stderr, done.stderr
