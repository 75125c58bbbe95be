"""Crash safety and concurrency: `kill -9` at random moments, two writers at once.

After every kill the project passes an integrity check and the same command, run again,
succeeds. The always-run tests kill a few times; the `slow` ones many times, embed included.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.cli.sample_project import check_integrity, copy_project

import alpick
from alpick.api import Project

ENV = {
    **os.environ,
    "PYTHONPATH": str(Path(alpick.__file__).parents[1]),
    "OMP_NUM_THREADS": "1",
}

COMMANDS = {
    "scores": ["scores", "--predictions", "pred", "--name", "again"],
    "select": ["select", "--method", "CORAL", "--n-samples", "4", "--new-tag", "new"],
    "select-import": [
        "select", "--method", "UNCERTAINTY", "--n-samples", "4", "--new-tag", "new",
        "--predictions", "pred",
    ],
    "embed": ["embed", "--input-size", "32", "--name", "e32", "--batch-size", "2"],
}  # fmt: skip


def _start(root: Path, args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "alpick", *args],
        cwd=root,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_then_rerun(root: Path, args: list[str], delay: float) -> None:
    proc = _start(root, args)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    check_integrity(root)
    again = subprocess.run(
        [sys.executable, "-m", "alpick", *args],
        cwd=root,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if again.returncode != 0:  # only the tag the killed run managed to create may clash
        assert "already exists" in again.stderr, again.stderr
    check_integrity(root)


@pytest.mark.parametrize("name", ["scores", "select-import"])
def test_kill_9_then_rerun(name: str, project_template: Path, tmp_path: Path) -> None:
    rng = random.Random(name)
    for k in range(2):
        root = copy_project(project_template, tmp_path / f"p{k}")
        _kill_then_rerun(root, COMMANDS[name], rng.uniform(0.3, 1.5))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_kill_9_at_many_moments(name: str, project_template: Path, tmp_path: Path) -> None:
    rng = random.Random(name)
    high = 8.0 if name == "embed" else 2.5
    for k in range(6):
        root = copy_project(project_template, tmp_path / f"p{k}")
        _kill_then_rerun(root, COMMANDS[name], rng.uniform(0.1, high))


def _writers(root: Path, jobs: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    procs = [_start(root, args) for args in jobs]
    results = []
    for args, proc in zip(jobs, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


@pytest.mark.parametrize("rounds", [1])
def test_two_writers_at_once(rounds: int, project_template: Path, tmp_path: Path) -> None:
    _concurrent(project_template, tmp_path, rounds)


@pytest.mark.slow
def test_two_writers_many_rounds(project_template: Path, tmp_path: Path) -> None:
    _concurrent(project_template, tmp_path, 10)


def _concurrent(template: Path, tmp_path: Path, rounds: int) -> None:
    for r in range(rounds):
        root = copy_project(template, tmp_path / f"c{r}")
        jobs = [
            ["select", "--method", "RANDOM", "--n-samples", "3", "--new-tag", "a", "--seed", "1"],
            ["select", "--method", "RANDOM", "--n-samples", "3", "--new-tag", "a", "--seed", "2"],
            ["scores", "--predictions", "pred", "--name", "x"],
            ["tag", "create", "b", "--from-file", "names.txt"],
        ]
        (root / "names.txt").write_text("im0.png\nim1.png\n")
        results = _writers(root, jobs)
        for res in results:
            assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res
            assert res.returncode in (0, 1), res
        # the two `select --new-tag a`: exactly one wins, the other says the tag exists
        assert sorted(r.returncode for r in results[:2]) == [0, 1], results[:2]
        assert all(r.returncode == 0 for r in results[2:]), results[2:]
        check_integrity(root)
        with Project.open(root) as project:
            assert sorted(t.name for t in project.tags()) == ["a", "b", "t1"]
            assert len(project.tag("a").sample_ids) == 3
