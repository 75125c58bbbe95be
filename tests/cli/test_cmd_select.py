"""``alpick select``: presets, config files, the preselected total, errors, determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import save_kitti
from alpick.scores import BoxTable, compute_scores
from alpick.select import k_center_greedy, l2_normalize

N = 20


def _name(i: int) -> str:
    return f"img_{i:02d}.png"


def _dets(i: int, rng: np.random.Generator) -> Detections:
    k = int(rng.integers(0, 4))
    x0 = rng.uniform(0, 10, k)
    xyxy = np.stack([x0, x0, x0 + 4, x0 + 3], axis=1)
    return Detections(xyxy, rng.integers(0, 2, k), np.round(rng.uniform(0.05, 1, k), 3))


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    images = tmp_path / "data/raw/images"
    images.mkdir(parents=True)
    for i in range(N):
        Image.new("RGB", (24, 16), (i * 10, 0, 0)).save(images / _name(i))
    with Project.create(tmp_path) as project:
        project.import_samples()
        rng = np.random.default_rng(5)
        project.save_embeddings("emb", rng.normal(size=(N, 6)), model="test")
    classes = Classes(["apple", "leaf"])
    rng = np.random.default_rng(6)
    for i in range(N):
        save_kitti(tmp_path / "infer_labels" / f"img_{i:02d}.txt", _dets(i, rng), classes)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["select", *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _tag(name: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["tag", "show", name, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_random_then_coral_on_top(project_dir: Path) -> None:
    output = _run("--method", "random", "--n-samples", "5", "--new-tag", "initial")
    assert output.splitlines() == [
        "created tag 'initial' with 5 samples (5 new, RANDOM, seed 0)",
        "next: alpick annotate --tag initial",
    ]
    output = _run(
        "--method", "CORAL", "--n-samples", "8", "--new-tag", "coral-1",
        "--preselected-tag", "initial", "--predictions", "infer_labels",
    )  # fmt: skip
    assert "created tag 'coral-1' with 8 samples (5 from 'initial', 3 new, CORAL on " in output
    assert "uncertainty_entropy, seed 0)" in output
    initial, coral = _tag("initial"), _tag("coral-1")
    assert coral["samples"][:5] == initial["samples"]
    assert len(set(coral["samples"])) == 8
    assert coral["parent"] == "initial" and coral["method"] == "CORAL" and coral["seed"] == 0
    assert coral["config"]["n_samples"] == 8
    assert coral["config"]["strategies"][1] == {
        "input": "SCORES", "score": "uncertainty_entropy", "strategy": "WEIGHTS", "strength": 1.0,
    }  # fmt: skip
    assert coral["config"]["inputs"] == {
        "embeddings": "emb",
        "scores": {"prediction_set": "infer_labels", "score_set": "infer_labels"},
    }
    with Project.open() as project:
        assert [s.name for s in project.prediction_sets()] == ["infer_labels"]


def test_coreset_is_k_center_greedy(project_dir: Path) -> None:
    output = _run("--method", "coreset", "--n-samples", "6", "--new-tag", "c", "--seed", "4",
                  "--predictions", "infer_labels")  # fmt: skip
    assert "CORESET reads no scores or predictions; infer_labels was not imported" in output
    with Project.open() as project:
        emb, _ = project.embeddings()
        picks = k_center_greedy(
            l2_normalize(emb), np.zeros(N, bool), 6, rng=np.random.default_rng(4)
        )
        assert project.tag("c").sample_ids == project.sample_ids()[picks].tolist()
        assert project.tag("c").seed == 4
        assert project.prediction_sets() == []


def test_same_inputs_and_seed_same_tag(project_dir: Path) -> None:
    for name in ("a", "b"):
        _run("--method", "CORAL", "--n-samples", "7", "--new-tag", name,
             "--predictions", "infer_labels", "--seed", "9")  # fmt: skip
    for name in ("r1", "r2"):
        _run("--method", "RANDOM", "--n-samples", "7", "--new-tag", name, "--seed", "9")
    assert _tag("a")["samples"] == _tag("b")["samples"]
    assert _tag("r1")["samples"] == _tag("r2")["samples"]
    _run("--method", "RANDOM", "--n-samples", "7", "--new-tag", "r3", "--seed", "10")
    assert _tag("r3")["samples"] != _tag("r1")["samples"]


def test_coral_follows_the_score(project_dir: Path) -> None:
    """CORAL with a strong score weight picks the most uncertain images first."""
    (project_dir / "strong.json").write_text(
        json.dumps({"n_samples": 3, "strategies": [
            {"input": "EMBEDDINGS", "strategy": "DIVERSITY", "strength": 0.01},
            {"input": "SCORES", "score": "objectness_least_confidence", "strategy": "WEIGHTS",
             "strength": 50},
        ]})
    )  # fmt: skip
    _run("--config", "strong.json", "--new-tag", "s", "--predictions", "infer_labels")
    with Project.open() as project:
        by_id, _, _ = project.predictions()
        dets = [by_id[int(i)] for i in project.sample_ids()]
        score = compute_scores(BoxTable.from_detections(dets))["objectness_least_confidence"]
        rows = project.positions(project.tag("s").sample_ids)
        assert set(rows.tolist()) == set(np.argsort(-score, kind="stable")[:3].tolist())


def test_yaml_config_threshold_diversity_weights(project_dir: Path) -> None:
    _run("--method", "RANDOM", "--n-samples", "2", "--new-tag", "initial", "--seed", "1")
    (project_dir / "sel.yaml").write_text(
        "n_samples: 9\n"
        "strategies:\n"
        "  - input: EMBEDDINGS\n"
        "    strategy: DIVERSITY\n"
        "  - input: SCORES\n"
        "    score: uncertainty_margin\n"
        "    strategy: WEIGHTS\n"
        "    strength: 2.0\n"
        "  - input: SCORES\n"
        "    score: Object_Frequency\n"
        "    strategy: THRESHOLD\n"
        "    threshold: 0.95\n"
        "    operation: bigger_equal\n"
    )
    with Project.open() as project:
        project.score_predictions("infer_labels", min_confidence=0.2)
    output = _run("--config", "sel.yaml", "--new-tag", "y", "--preselected-tag", "initial")
    assert "with 9 samples (2 from 'initial', 7 new, config: DIVERSITY x " in output
    assert "WEIGHTS(uncertainty_margin) x THRESHOLD(object_frequency), seed 0)" in output
    record = _tag("y")
    assert record["method"] == "CONFIG" and record["parent"] == "initial"
    assert [s["strategy"] for s in record["config"]["strategies"]] == [
        "DIVERSITY", "WEIGHTS", "THRESHOLD",
    ]  # fmt: skip
    assert record["config"]["inputs"]["scores"]["score_set"] == "infer_labels"
    with Project.open() as project:
        scores, _ = project.scores("infer_labels")  # stored with --min-confidence 0.2
        new_rows = project.positions([s.id for s in project.added_samples("y")])
        assert (scores["object_frequency"][new_rows] >= 0.95).all()
    # --n-samples overrides the file's total
    _run("--config", "sel.yaml", "--new-tag", "y2", "--n-samples", "4")
    assert len(_tag("y2")["samples"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "RANDOM", "--n-samples", "3", "--new-tag", "initial"), "already exists"),
        (
            (
                "--method",
                "RANDOM",
                "--n-samples",
                "3",
                "--new-tag",
                "t",
                "--preselected-tag",
                "initial",
            ),
            r"total size of the new tag, preselected samples included: 3 < the 4 samples",
        ),
        (("--method", "RANDOM", "--n-samples", "21", "--new-tag", "t"), "the project has 20"),
        (("--method", "FOO", "--n-samples", "3", "--new-tag", "t"), "unknown method 'FOO'"),
        (
            (
                "--method",
                "CORAL",
                "--n-samples",
                "3",
                "--new-tag",
                "t",
                "--score",
                "bogus",
                "--predictions",
                "infer_labels",
            ),
            "unknown score 'bogus'; valid: object_frequency",
        ),
        (
            ("--n-samples", "3", "--new-tag", "t"),
            r"give --method \(RANDOM, CORESET, CORAL, UNCERTAINTY\)",
        ),
        (("--method", "CORAL", "--n-samples", "3", "--new-tag", "t"), "no predictions to score"),
        (("--config", "bad.yaml", "--new-tag", "t"), r"bad\.yaml: .*unknown key 'nsamples'"),
        (("--config", "nothere.yaml", "--new-tag", "t"), "cannot read config"),
        (("--config", "c.toml", "--new-tag", "t"), "must be .yaml, .yml or .json"),
        (
            ("--method", "RANDOM", "--config", "ok.json", "--new-tag", "t"),
            "give --method or --config, not both",
        ),
        (
            (
                "--method",
                "CORAL",
                "--n-samples",
                "5",
                "--new-tag",
                "t",
                "--predictions",
                "p",
                "--prediction-set",
                "x",
            ),
            "not both",
        ),
        (("--method", "RANDOM", "--n-samples", "3", "--new-tag", "bad name"), "invalid tag name"),
        (
            ("--method", "CORESET", "--n-samples", "3", "--new-tag", "t", "--embeddings", "zz"),
            "unknown embeddings 'zz'",
        ),
    ],
)
def test_errors(project_dir: Path, args: tuple[str, ...], message: str) -> None:
    _run("--method", "RANDOM", "--n-samples", "4", "--new-tag", "initial")
    (project_dir / "bad.yaml").write_text("nsamples: 3\nstrategies: []\n")
    (project_dir / "c.toml").write_text("")
    (project_dir / "ok.json").write_text('{"n_samples": 2, "strategies": [{"input": "RANDOM", '
                                         '"strategy": "WEIGHTS"}]}')  # fmt: skip
    result = CliRunner().invoke(app, ["select", *args])
    assert isinstance(result.exception, AlpickError), result.output
    assert re.search(message, str(result.exception)), str(result.exception)
    with Project.open() as project:
        assert [t.name for t in project.tags()] == ["initial"]


def test_coreset_without_embeddings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = tmp_path / "data/raw/images"
    images.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (8, 8)).save(images / _name(i))
    Project.create(tmp_path).import_samples()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["select", "--method", "CORESET", "--n-samples", "2", "--new-tag", "t"]
    )
    assert isinstance(result.exception, AlpickError)
    assert "no embeddings (run `alpick embed`" in str(result.exception)


def test_metadata_balance(project_dir: Path) -> None:
    rows = ["split,image,condition"] + [
        f"train,{_name(i)},{'sunny' if i < 15 else 'cloudy'}" for i in range(N)
    ]
    (project_dir / "metadata.csv").write_text("\n".join(rows) + "\n")
    (project_dir / "bal.yml").write_text(
        "proportion_samples: 0.4\n"
        "strategies:\n"
        "  - {input: METADATA, key: condition, strategy: BALANCE,"
        " target: {sunny: 0.5, cloudy: 0.5}}\n"
        "  - {input: RANDOM, strategy: WEIGHTS}\n"
    )
    _run("--config", "bal.yml", "--new-tag", "b", "--metadata", "metadata.csv", "--seed", "2")
    paths = _tag("b")["samples"]
    assert len(paths) == 8
    assert sum(int(p[4:6]) >= 15 for p in paths) == 4


@pytest.mark.parametrize("min_confidence", [None, "0.3"])
def test_a_folder_selects_as_the_same_folder_stored_first(
    project_dir: Path, min_confidence: str | None
) -> None:
    """`select --predictions DIR` reads the folder it has not stored yet (it stores it with
    the tag): the tag, its recorded inputs and the stored sets are those of `alpick scores
    DIR` followed by a selection on the stored set."""
    (project_dir / "mixed.json").write_text(
        json.dumps({"n_samples": 6, "strategies": [
            {"input": "SCORES", "score": "uncertainty_margin", "strategy": "WEIGHTS"},
            {"input": "PREDICTIONS", "strategy": "BALANCE",
             "target": {"apple": 0.5, "leaf": 0.5}},
        ]})
    )  # fmt: skip
    extra = [] if min_confidence is None else ["--min-confidence", min_confidence]
    _run("--config", "mixed.json", "--new-tag", "folder", "--predictions", "infer_labels", *extra)
    folder = _tag("folder")
    with Project.open() as project:
        folder_sets = [(s.name, s.boxes) for s in project.prediction_sets()]
        folder_scores = project.scores("infer_labels")[0]
        project.delete_tag("folder")
    threshold = 0.0 if min_confidence is None else float(min_confidence)
    scores = CliRunner().invoke(
        app, ["scores", "--predictions", "infer_labels", "--min-confidence", str(threshold)]
    )
    assert scores.exit_code == 0, scores.output
    _run("--config", "mixed.json", "--new-tag", "stored", *extra)
    with Project.open() as project:
        assert [(s.name, s.boxes) for s in project.prediction_sets()] == folder_sets
        for key, values in project.scores("infer_labels")[0].items():
            np.testing.assert_array_equal(values, folder_scores[key])
    stored = _tag("stored")
    assert folder["samples"] == stored["samples"]
    assert folder["config"] == stored["config"]
