"""`embed`, `predict`, `scores` and `simulate` with `--ray` on a real local Ray cluster.

One cluster for the module (2 CPUs, on 127.0.0.1, stopped at the end); each command runs as a
separate process that connects to it by address, like a user's, and its result is compared
with the single-process run of the same command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.simulate.test_runner import _ap50, _images

import alpick
from alpick.api import Project, RayOptions
from alpick.distributed import ray_lineages
from alpick.simulate.oracle_noise import OracleNoiseDetector
from alpick.simulate.runner import SimulationConfig, load_rounds, run_simulation

#: Ray binds to the loopback address only (it would take the machine's address otherwise);
#: read when ray is imported.
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
os.environ.update(LOOPBACK)
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'alpick[ray]')")

SRC = str(Path(alpick.__file__).parents[1])
KITTI = "apple 0.00 0 0.00 10 20 26 36 0 0 0 0 0 0 0\n"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A 2-CPU Ray cluster on 127.0.0.1 owned by this process; its address."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**LOOPBACK, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}.items():
            mp.setenv(key, value)  # inherited by the cluster's workers
        context = ray.init(
            address="local",
            num_cpus=2,
            num_gpus=0,
            include_dashboard=False,
            object_store_memory=200 * 1024**2,
            logging_level="ERROR",
        )
        try:
            yield str(context.address_info["address"])
        finally:
            ray.shutdown()


def _alpick(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": SRC, **LOOPBACK}
    # The cluster's token (RAY_AUTH_MODE, set by ray.init; the token in ~/.ray).
    env.update({k: v for k, v in os.environ.items() if k.startswith("RAY_") or k == "HOME"})
    return subprocess.run(
        [sys.executable, "-m", "alpick", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


def _ok(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    run = _alpick(cwd, *args)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten 64x64 images with KITTI labels, a project, and a detector trained one epoch."""
    root = tmp_path_factory.mktemp("ray")
    images, labels = root / "data/raw/images", root / "data/raw/labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(10):
        pixels = rng.integers(60, 120, size=(64, 64, 3), dtype=np.uint8)
        pixels[20:36, 10 + i : 26 + i] = (220, 30, 30)
        Image.fromarray(pixels).save(images / f"im{i}.png")
        (labels / f"im{i}.txt").write_text(KITTI)
    _ok(root, "init")
    (root / "all.txt").write_text("\n".join(f"im{i}.png" for i in range(10)))
    _ok(root, "tag", "create", "all", "--from-file", "all.txt")
    _ok(root, "train", "--tag", "all", "--epochs", "1", "--batch-size", "4",
        "--input-size", "64x64")  # fmt: skip
    return root


EMBED = ["embed", "--model", "resnet18", "--random-init", "--input-size", "32", "--batch-size", "3"]


def test_embed_on_ray_equals_one_process(project: Path, cluster: str) -> None:
    _ok(project, *EMBED, "--name", "here")
    run = _ok(project, *EMBED, "--name", "there", "--ray", cluster)
    assert "embedded 10 images into 'there'" in run.stdout
    with Project.open(project) as p:
        here, rec_here = p.embeddings("here")
        there, rec_there = p.embeddings("there")
    assert np.abs(here - there).max() <= 1e-5
    assert rec_here.meta == rec_there.meta


def test_predict_on_ray_is_identical(project: Path, cluster: str) -> None:
    _ok(project, "predict", "--model", "runs/all", "--out", "pred_here", "--name", "here",
        "--batch-size", "3")  # fmt: skip
    _ok(project, "predict", "--model", "runs/all", "--out", "pred_there", "--name", "there",
        "--batch-size", "3", "--ray", cluster, "--ray-workers", "2")  # fmt: skip
    for i in range(10):
        here = (project / f"pred_here/im{i}.txt").read_bytes()
        assert (project / f"pred_there/im{i}.txt").read_bytes() == here
    with Project.open(project) as p:
        a, _, _ = p.predictions("here")
        b, _, _ = p.predictions("there")
    for key in a:
        assert np.array_equal(a[key].xyxy, b[key].xyxy)
        assert np.array_equal(a[key].class_probs, b[key].class_probs)


def test_scores_on_ray_are_identical(project: Path, cluster: str) -> None:
    folder = project / "kitti"
    folder.mkdir()
    for i in range(10):  # a class the project does not know yet, from the 7th image on
        name = "pear" if i >= 7 else "apple"
        (folder / f"im{i}.txt").write_text(KITTI.replace("apple", name)[:-1] + f" 0.{i + 1}\n")
    _ok(project, "scores", "--predictions", "kitti", "--name", "here")
    _ok(project, "scores", "--predictions", "kitti", "--name", "there", "--ray", cluster)
    with Project.open(project) as p:
        here, _ = p.scores("here")
        there, _ = p.scores("there")
        dets_here, classes_here, _ = p.predictions("here")
        dets_there, classes_there, _ = p.predictions("there")
    assert here.keys() == there.keys()
    for key in here:
        assert np.array_equal(here[key], there[key])
    assert classes_here.names == classes_there.names
    for key in dets_here:
        assert np.array_equal(dets_here[key].class_id, dets_there[key].class_id)


def test_a_bad_file_or_an_unreadable_image_is_one_line(project: Path, cluster: str) -> None:
    bad = project / "badkitti"
    bad.mkdir()
    (bad / "im0.txt").write_text("apple 1 2\n")
    run = _alpick(project, "scores", "--predictions", "badkitti", "--ray", cluster)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert run.returncode == 1 and len(errors) == 1, run.stderr  # (a slow run shows progress)
    assert "badkitti/im0.txt:1: KITTI: expected 15 columns" in errors[0]
    gone = project / "data/raw/images/im9.png"
    saved = gone.read_bytes()
    gone.unlink()
    try:
        run = _alpick(project, *EMBED, "--name", "gone", "--ray", cluster)
    finally:
        gone.write_bytes(saved)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert run.returncode == 1 and len(errors) == 1, run.stderr  # (and the random-init warning)
    assert "im9.png: file not found (on Ray worker" in errors[0]
    assert "every node must see the project's files" in errors[0]


def test_simulation_tasks_on_ray_give_the_same_rounds(tmp_path: Path, cluster: str) -> None:
    pool, test = _images(40, "p", 0), _images(10, "t", 1)
    truth = dict(zip(pool.paths + test.paths, pool.labels + test.labels, strict=True))
    det = OracleNoiseDetector(truth)
    emb = np.random.default_rng(2).normal(size=(40, 8)).astype(np.float32)
    cfg = SimulationConfig(("random", "coral"), initial=5, budget=5, rounds=2, seeds=(0, 1))
    one = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "one", evaluator=_ap50,
                         embeddings=emb)  # fmt: skip
    executor = ray_lineages(RayOptions(cluster))
    two = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "two", evaluator=_ap50,
                         embeddings=emb, executor=executor)  # fmt: skip

    def key(rows: list) -> list:
        return sorted((r.strategy, r.seed, r.round, r.labelled, r.picked, r.metrics) for r in rows)

    assert key(two) == key(one)
    assert key(load_rounds(tmp_path / "two")) == key(one)
    again = run_simulation(pool, test, ["apple"], det, cfg, tmp_path / "two", evaluator=_ap50,
                           embeddings=emb, executor=executor)  # fmt: skip
    assert len(again) == len(one)


@pytest.mark.slow
def test_simulate_command_on_ray_equals_one_process(project: Path, cluster: str) -> None:
    """The real detector, trained per round in Ray tasks: the same rounds as one process."""
    import json

    test = project / "data/test"
    (test / "images").mkdir(parents=True)
    (test / "labels").mkdir()
    for i in range(2):
        (test / f"images/t{i}.png").write_bytes(
            (project / f"data/raw/images/im{i}.png").read_bytes()
        )
        (test / f"labels/t{i}.txt").write_text(KITTI)
    sim = ["simulate", "--strategies", "random,coral", "--initial", "3", "--budget", "2",
           "--rounds", "1", "--epochs", "1", "--batch-size", "3", "--input-size", "64x64",
           "--seeds", "0", "--test-labels", "data/test/labels"]  # fmt: skip
    _ok(project, *sim, "--out", "sim_here")
    _ok(project, *sim, "--out", "sim_there", "--ray", cluster, "--cpus-per-run", "1")

    def rounds(folder: str) -> list:
        text = (project / folder / "rounds.jsonl").read_text()
        rows = [json.loads(line) for line in text.splitlines()]
        return sorted(
            (r["strategy"], r["round"], r["labelled"], r["picked"], sorted(r["metrics"].items()))
            for r in rows
        )

    assert rounds("sim_there") == rounds("sim_here")
    merged = _ok(project, "report", "sim_there", "--out", "merged")
    assert "4 rounds" in merged.stdout
