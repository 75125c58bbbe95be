import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError
from alpick.tlt.anchors import parse_anchors, yolo_anchors
from alpick.tlt.spec import Block, load_spec

runner = CliRunner()
SPEC = Path("yolo_v4/specs/yolo_v4.txt")


def _anchors(spec: Block) -> np.ndarray:
    groups = ("small", "mid", "big")
    return np.concatenate(
        [parse_anchors(str(spec.get(f"yolov4_config.{g}_anchor_shape"))) for g in groups]
    )


def _write_labels(folder: Path, seed: int = 0, images: int = 6, per: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    all_wh = []
    for i in range(images):
        wh = rng.integers(6, 60, (per, 2)).astype(float)
        xy = rng.integers(0, 600, (per, 2)).astype(float)
        cls = ["Apple" if k % 3 else "Pear" for k in range(per)]
        lines = [
            f"{c} 0.00 0 0.00 {x:.1f} {y:.1f} {x + w:.1f} {y + h:.1f} 0 0 0 0 0 0 0"
            for c, (x, y), (w, h) in zip(cls, xy, wh, strict=True)
        ]
        (folder / f"img{i:03d}.txt").write_text("\n".join(lines) + "\n")
        all_wh.append(wh)
    return np.concatenate(all_wh)


def _invoke(args: list[str]) -> object:
    return runner.invoke(app, args)


def test_spec_from_a_labels_folder(tmp_path: Path) -> None:
    wh = _write_labels(tmp_path / "data/raw/labels")
    result = runner.invoke(
        app,
        ["--project", str(tmp_path), "tlt", "spec", "--labels", str(tmp_path / "data/raw/labels"),
         "--image-size", "720x1280", "--epochs", "80"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    spec = load_spec(tmp_path / SPEC)
    np.testing.assert_allclose(
        _anchors(spec), np.concatenate(yolo_anchors(wh, (720, 1280), (704, 1280))), atol=0.005
    )
    assert spec.get("augmentation_config.output_width") == 704
    assert spec.get("training_config.num_epochs") == 80
    mapping = spec.get_all("dataset_config.target_class_mapping")
    assert [m.get("value") for m in mapping if isinstance(m, Block)] == ["Pear", "Apple"]
    assert "output size 704x1280" in result.output
    assert "mean IoU" in result.output


def test_an_existing_spec_is_the_template_unless_fresh(tmp_path: Path) -> None:
    _write_labels(tmp_path / "labels")
    args = ["--project", str(tmp_path), "tlt", "spec", "--labels", str(tmp_path / "labels"),
            "--image-size", "640x480"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    path = tmp_path / SPEC
    path.write_text(path.read_text().replace("batch_size_per_gpu: 8", "batch_size_per_gpu: 2"))
    assert runner.invoke(app, args).exit_code == 0
    assert load_spec(path).get("training_config.batch_size_per_gpu") == 2
    assert runner.invoke(app, [*args, "--fresh"]).exit_code == 0
    assert load_spec(path).get("training_config.batch_size_per_gpu") == 8
    other = tmp_path / "mine.txt"
    other.write_text("random_seed: 9\n")
    assert runner.invoke(app, [*args, "--template", str(other), "--out", "x.txt"]).exit_code == 0
    assert load_spec(tmp_path / "x.txt").get("random_seed") == 9


def _real_project(root: Path, *, labelled: bool = True) -> np.ndarray:
    """A real project of 5 images (720x1280): 1-3 labelled, 4 without boxes, 5 not tagged.

    Tag ``initial`` holds images 1 to 4. Returns the tagged boxes' widths and heights.
    """
    rng = np.random.default_rng(1)
    (root / "data/raw/images").mkdir(parents=True)
    (root / "data/raw/labels").mkdir(parents=True)
    tagged = []
    for i in range(1, 6):
        Image.new("L", (720, 1280)).save(root / f"data/raw/images/img{i}.png")
        n = 30 if labelled and i != 4 else 0
        xy = rng.uniform(0, 600, (n, 2)).round(1)
        wh = (rng.uniform(5, 50, (n, 2)) * (4 if i == 5 else 1)).round(1)  # 5 isn't tagged
        lines = [
            f"apple 0.00 0 0.00 {x:.1f} {y:.1f} {x + w:.1f} {y + h:.1f} 0 0 0 0 0 0 0"
            for (x, y), (w, h) in zip(xy, wh, strict=True)
        ]
        (root / f"data/raw/labels/img{i}.txt").write_text("".join(f"{t}\n" for t in lines))
        if i < 5:
            tagged.append(wh)
    project, _ = Project.initialize(root)
    with project:
        by_path = {s.path: s.id for s in project.samples()}
        project.create_tag("initial", [by_path[f"img{i}.png"] for i in range(1, 5)])
    return np.concatenate(tagged)


def test_spec_from_a_project_tag(tmp_path: Path) -> None:
    wh = _real_project(tmp_path)
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "spec", "--tag", "initial",
                                 "--tao"])  # fmt: skip
    assert result.exit_code == 0, result.output
    spec = load_spec(tmp_path / SPEC)
    expected = np.concatenate(yolo_anchors(wh, (720, 1280), (704, 1280)))
    np.testing.assert_allclose(_anchors(spec), expected, atol=0.01)
    assert spec.get("dataset_config.target_class_mapping.value") == "apple"
    assert spec.get("dataset_config.image_extension") == "png"
    assert str(spec.get("dataset_config.data_sources.image_directory_path")) == (
        "/workspace/tao-experiments/data/train/images"
    )
    assert "90 boxes" in result.output


def test_spec_errors(tmp_path: Path) -> None:
    _real_project(tmp_path, labelled=False)
    project = ["--project", str(tmp_path)]
    result = runner.invoke(app, [*project, "tlt", "spec", "--tag", "initial"])
    assert isinstance(result.exception, AlpickError)
    assert "no labelled boxes" in str(result.exception)
    result = runner.invoke(app, [*project, "tlt", "spec", "--tag", "nope"])
    assert isinstance(result.exception, AlpickError) and "nope" in str(result.exception)
    for args in (
        ["--labels", str(tmp_path), "--tag", "initial"],
        ["--labels", str(tmp_path), "--image-size", "720by1280"],
        ["--image-size", "720x1280"],
    ):
        result = runner.invoke(app, [*project, "tlt", "spec", *args])
        assert isinstance(result.exception, AlpickError), args
    assert not (tmp_path / SPEC).exists()


def test_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    project = tmp_path / "orchard"
    project.mkdir()
    result = runner.invoke(app, ["--project", str(project), "tlt", "mounts", "--tao"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "home/.tao_mounts.json").read_text())
    assert data["Mounts"][0] == {
        "source": str(project),
        "destination": "/workspace/tao-experiments",
    }
    assert (project / "yolo_v4/specs").is_dir()


def _with_spec(root: Path, epochs: int = 50) -> None:
    (root / SPEC).parent.mkdir(parents=True, exist_ok=True)
    (root / SPEC).write_text(
        'yolov4_config { arch: "resnet" nlayers: 18 }\n'
        f"training_config {{ num_epochs: {epochs} }}\n"
    )


def test_train_prints_the_command_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEY", "s3cret-key")
    _with_spec(tmp_path)
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "train"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert f"mkdir -p {tmp_path}/yolo_v4/experiment_dir_unpruned\n" in result.output
    assert "tlt yolo_v4 train \\\n" in result.output
    assert "-e /workspace/tlt-experiments/yolo_v4/specs/yolo_v4.txt" in result.output
    assert "-r /workspace/tlt-experiments/yolo_v4/experiment_dir_unpruned" in result.output
    assert "-k $KEY" in result.output
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "train", "--tao",
                                 "--key-env", "NVIDIA_API_KEY", "--model-group"])  # fmt: skip
    assert "tao model yolo_v4 train" in result.output and "-k $NVIDIA_API_KEY" in result.output


def test_run_without_tlt_is_a_clear_error(tmp_path: Path) -> None:
    _with_spec(tmp_path)
    env = {
        **os.environ,
        "PATH": str(tmp_path),
        "KEY": "s3cret",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "alpick", "--project", str(tmp_path), "tlt", "train", "--run"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: tlt is not on PATH; install NVIDIA TLT/TAO or run the printed commands where it is"
    )
    assert "s3cret" not in proc.stdout + proc.stderr
    assert not (tmp_path / "yolo_v4/experiment_dir_unpruned").exists()  # nothing made


def test_run_passes_the_key_to_tlt_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "argv.txt"
    (bindir / "tlt").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {shlex.quote(str(log))}\n')
    (bindir / "tlt").chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("MY_NGC", "s3cret")
    _with_spec(tmp_path)
    args = ["--project", str(tmp_path), "tlt", "train", "--run", "--key-env", "MY_NGC"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "-k\ns3cret\n" in log.read_text()
    assert (tmp_path / "yolo_v4/experiment_dir_unpruned").is_dir()
    monkeypatch.delenv("MY_NGC")
    result = runner.invoke(app, args)
    assert isinstance(result.exception, AlpickError) and "MY_NGC is not set" in str(
        result.exception
    )


def test_infer(tmp_path: Path) -> None:
    _with_spec(tmp_path, epochs=80)
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "infer"])
    assert result.exit_code == 0, result.output
    root = "/workspace/tlt-experiments"
    for part in (
        "tlt yolo_v4 inference",
        f"-i {root}/data/raw/images",
        f"-o {root}/infer_images",
        f"-m {root}/yolo_v4/experiment_dir_unpruned/weights/yolov4_resnet18_epoch_080.tlt",
        f"-l {root}/infer_labels",
        "-k $KEY",
    ):
        assert part in result.output
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "infer", "--model",
                                 str(tmp_path / "models/best.tlt"), "--out", "preds"])  # fmt: skip
    assert f"-m {root}/models/best.tlt" in result.output and f"-l {root}/preds" in result.output
    (tmp_path / SPEC).unlink()
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "infer"])
    assert isinstance(result.exception, AlpickError) and "--model" in str(result.exception)
    result = runner.invoke(app, ["--project", str(tmp_path), "tlt", "infer", "--model", "/etc/x"])
    assert isinstance(result.exception, AlpickError)
    assert "not inside a folder mounted" in str(result.exception)


def test_infer_help_names_the_predictions_reader() -> None:
    result = runner.invoke(app, ["tlt", "infer", "--help"])
    assert result.exit_code == 0
    assert "--predictions" in result.output
