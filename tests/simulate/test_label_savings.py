"""The label-savings experiment (bench/label_savings.py) end to end, tiny: it must not rot."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "label_savings.py"


@pytest.fixture(scope="module")
def experiment():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("label_savings", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_experiment_end_to_end(tmp_path: Path, experiment) -> None:  # type: ignore[no-untyped-def]
    out, work = tmp_path / "out", tmp_path / "work"
    argv = [
        "--tiny",
        "--out",
        str(out),
        "--work",
        str(work),
        "--seeds",
        "0,1",
        "--rounds",
        "2",
        "--initial",
        "4",
        "--budget",
        "4",
        "--strategies",
        "random,coreset,uncertainty",
    ]
    assert experiment.main(argv) == 0
    with open(out / "rounds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:8] == list(experiment.COLUMNS)
    # 2 regimes x 3 strategies x 2 seeds x (initial + 2 rounds)
    assert len(rows) == 2 * 3 * 2 * 3
    assert {r["regime"] for r in rows} == {"default", "balanced"}
    assert sorted({int(r["labelled"]) for r in rows}) == [4, 8, 12]
    assert any(k.startswith("AP50/") for k in rows[0])
    for regime in ("default", "balanced"):
        text = (out / f"{regime}.md").read_text()
        assert "paired by seed" in text and "| uncertainty |" in text
        assert "AP50 per test condition" in text and "distinct camera sequences" in text
        assert (out / f"{regime}_curves.png").stat().st_size > 1000
    # the balanced pool has no near-duplicate sequences: every pick is its own sequence
    balanced = [r for r in rows if r["regime"] == "balanced" and r["round"] != "2"]
    assert all(int(r["distinct_sequences"]) == 4 for r in balanced)
    # the table reads back into the same rounds, and a rerun resumes instead of recomputing
    back = experiment.read_table(out / "rounds.csv")
    assert sum(len(v) for v in back.values()) == len(rows)
    before = (out / "rounds.csv").read_text()
    assert experiment.main(argv) == 0
    assert (out / "rounds.csv").read_text().splitlines()[0] == before.splitlines()[0]
    assert len((out / "rounds.csv").read_text().splitlines()) == len(before.splitlines())
