"""`--ray` without Ray installed, and the Ray options' own checks (no cluster needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import alpick
from alpick.distributed.cluster import RayOptions, worker_resources
from alpick.errors import AlpickError

SRC = str(Path(alpick.__file__).parents[1])


@pytest.mark.parametrize(
    "args",
    [
        ["embed", "--ray", "auto"],
        ["predict", "--model", "runs/x", "--ray", "auto"],
        ["scores", "--predictions", "p", "--ray", "auto"],
        ["simulate", "--test-labels", "l", "--out", "o", "--ray", "auto"],
    ],
)
def test_ray_missing_is_one_line_with_the_install_hint(tmp_path: Path, args: list[str]) -> None:
    fake = tmp_path / "site" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no ray here')\n")
    run = subprocess.run(
        [sys.executable, "-m", "alpick", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path / 'site'}:{SRC}"},
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert "pip install 'alpick[ray]'" in lines[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"address": " "}, "needs an address"),
        ({"workers": 0}, "--ray-workers"),
        ({"cpus_per_worker": 0}, "--cpus-per-worker"),
        ({"gpus_per_worker": -1}, "--gpus-per-worker"),
    ],
)
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(AlpickError, match=message):
        RayOptions(**options)


class _Cluster:
    def __init__(self, cpus: float, gpus: float) -> None:
        self.total = {"CPU": cpus, "GPU": gpus}

    def cluster_resources(self) -> dict[str, float]:
        return self.total


@pytest.mark.parametrize(
    ("cpus", "gpus", "options", "expected"),
    [
        (2, 0, RayOptions(), (2, 1.0, 0.0)),  # one worker per CPU
        (8, 2, RayOptions(), (2, 1.0, 1.0)),  # one per GPU
        (8, 0, RayOptions(cpus_per_worker=4), (2, 4.0, 0.0)),  # one per N CPUs
        (8, 0, RayOptions(workers=3), (3, 1.0, 0.0)),
        (2, 0, RayOptions(workers=5), (2, 1.0, 0.0)),  # never more than fit
    ],
)
def test_worker_pool_size(cpus, gpus, options, expected) -> None:
    assert worker_resources(_Cluster(cpus, gpus), options) == expected


def test_a_cluster_too_small_is_one_line() -> None:
    with pytest.raises(AlpickError, match="not enough for one worker"):
        worker_resources(_Cluster(1, 0), RayOptions(cpus_per_worker=2))
