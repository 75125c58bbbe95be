"""Selection and scoring in a project: project/select.py, project/select_inputs.py,
project/scores.py and the ``Project`` methods on top of them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.api import Project
from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.formats.kitti import save_kitti
from alpick.project.scores import format_scores_csv, score_folder
from alpick.project.select_inputs import NO_PREDICTION, load_metadata, majority_class
from alpick.scores import SCORES, BoxTable, compute_scores
from alpick.select import k_center_greedy, l2_normalize

N = 12
CLASSES = ("apple", "leaf")


def _names() -> list[str]:
    return [f"img_{i:02d}.png" for i in range(N - 2)] + ["sub/x_10.png", "sub/x_11.png"]


def _predictions(seed: int = 0) -> list[Detections]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(N):
        k = 0 if i % 5 == 0 else int(rng.integers(1, 5))
        x0 = rng.uniform(0, 20, k)
        y0 = rng.uniform(0, 10, k)
        xyxy = np.stack([x0, y0, x0 + 5, y0 + 4], axis=1)
        cls = rng.integers(0, 2, k) if i % 3 else np.zeros(k, np.int64)
        conf = np.round(rng.uniform(0.01, 1.0, k), 4)
        out.append(Detections(xyxy, cls, conf))
    return out


def write_predictions(folder: Path, dets: list[Detections], names: list[str]) -> None:
    classes = Classes(list(CLASSES))
    for name, det in zip(names, dets, strict=True):
        save_kitti((folder / name).with_suffix(".txt"), det, classes)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    images = tmp_path / "data/raw/images"
    for i, name in enumerate(_names()):
        (images / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 24), (i * 9, 0, 0)).save(images / name)
    labels = tmp_path / "data/raw/labels"
    labels.mkdir(parents=True)
    (labels / "img_00.txt").write_text("apple 0.00 0 0.00 1 2 8 9 0 0 0 0 0 0 0\n")
    proj = Project.create(tmp_path)
    proj.import_samples()
    rng = np.random.default_rng(1)
    proj.save_embeddings("emb", rng.normal(size=(N, 5)), model="test")
    write_predictions(tmp_path / "infer_labels", _predictions(), _names())
    return proj


def test_score_predictions_stores_sets_and_matches_compute_scores(project: Project) -> None:
    report = project.score_predictions(project.root / "infer_labels")
    assert report.samples == [s.path for s in project.samples()]
    assert report.prediction_set is not None and report.prediction_set.name == "infer_labels"
    assert report.score_set is not None and report.score_set.name == "infer_labels"
    assert list(report.scores) == list(SCORES)
    expected = compute_scores(BoxTable.from_detections(_predictions()))
    for key, values in expected.items():
        np.testing.assert_allclose(report.scores[key], values, atol=1e-6)
    stored, record = project.scores("infer_labels")
    assert record.prediction_set == "infer_labels"
    np.testing.assert_array_equal(
        stored["uncertainty_entropy"], report.scores["uncertainty_entropy"]
    )
    again = project.compute_scores("infer_labels", scores=["Uncertainty_Entropy"])
    np.testing.assert_array_equal(
        again["uncertainty_entropy"], report.scores["uncertainty_entropy"]
    )


def test_min_confidence_and_missing_files(project: Project) -> None:
    (project.root / "infer_labels/img_03.txt").unlink()
    (project.root / "infer_labels/stray.txt").write_text("")
    report = project.score_predictions(
        project.root / "infer_labels", name="p2", scores=["objectness_least_confidence"],
        min_confidence=0.5,
    )  # fmt: skip
    assert report.without_file == 1 and report.orphans == ("stray.txt",)
    dets = _predictions()
    dets[3] = Detections.empty(with_confidence=True)
    table = BoxTable.from_detections(dets)
    assert report.boxes == table.n_boxes and report.kept == int((table.confidence >= 0.5).sum())
    expected = compute_scores(table, ["objectness_least_confidence"], min_confidence=0.5)
    np.testing.assert_allclose(
        report.scores["objectness_least_confidence"],
        expected["objectness_least_confidence"],
        atol=1e-6,
    )
    # the stored predictions keep every box
    by_id, _, _ = project.predictions("p2")
    assert sum(len(d) for d in by_id.values()) == table.n_boxes


def test_folder_errors(project: Project, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "zzz.txt").write_text("")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "img_00.txt").write_text("apple 0 0 0 1 2 3 4 0 0 0 0 0 0 0 0.5\napple 1 2\n")
    cases = {
        tmp_path / "nope": "no such folder",
        tmp_path / "empty": "empty",
        other: "no prediction file names an image",
        bad: "img_00.txt:2",
    }
    for folder, message in cases.items():
        with pytest.raises(AlpickError, match=message):
            project.score_predictions(folder)
    with pytest.raises(AlpickError, match="unknown prediction format"):
        project.score_predictions(project.root / "infer_labels", "xml")
    with pytest.raises(AlpickError, match="unknown score 'nope'; valid: object_frequency"):
        project.score_predictions(project.root / "infer_labels", scores=["nope"])
    assert project.prediction_sets() == []


def test_score_folder_outside_project(tmp_path: Path) -> None:
    dets = _predictions()
    names = [f"f{i:02d}.png" for i in range(N)]
    write_predictions(tmp_path / "p", dets, names)
    report = score_folder(tmp_path / "p", min_confidence=0.2)
    assert report.samples == [n[:-4] for n in names]
    expected = compute_scores(BoxTable.from_detections(dets), min_confidence=0.2)
    for key, values in expected.items():
        np.testing.assert_allclose(report.scores[key], values, atol=1e-6)


def test_csv_is_exact_and_quoted() -> None:
    values = np.array([0.1 + 0.2, 1.0, 1 / 3])
    text = format_scores_csv(["a.png", 'we,ird".png', "c"], {"s": values, "t": values * 2})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["sample", "s", "t"]
    assert [r[0] for r in rows[1:]] == ["a.png", 'we,ird".png', "c"]
    assert np.array([float(r[1]) for r in rows[1:]]).tolist() == values.tolist()
    assert format_scores_csv([], {"s": np.zeros(0)}) == "sample,s\n"


def test_majority_class() -> None:
    dets = [
        Detections(np.zeros((3, 4)), [1, 0, 1], [0.9, 0.9, 0.1]),
        Detections(np.zeros((2, 4)), [2, 1], [0.5, 0.5]),
        Detections.empty(with_confidence=True),
        Detections(np.zeros((1, 4)), [0], [0.05]),
    ]
    assert majority_class(dets).tolist() == [1, 1, -1, 0]
    assert majority_class(dets, 0.2).tolist() == [0, 1, -1, -1]


def test_select_presets_and_tag_record(project: Project) -> None:
    project.score_predictions(project.root / "infer_labels")
    ids = project.sample_ids()
    first = project.select("c1", method="coreset", n_samples=4, seed=3)
    assert first.method == "CORESET" and first.parent is None and first.seed == 3
    emb, _ = project.embeddings("emb")
    picks = k_center_greedy(l2_normalize(emb), np.zeros(N, bool), 4, rng=np.random.default_rng(3))
    assert first.sample_ids == ids[picks].tolist()
    assert first.config["inputs"] == {"embeddings": "emb"}
    assert first.config["n_samples"] == 4

    coral = project.select("c2", method="CORAL", n_samples=7, preselected="c1")
    assert coral.parent == "c1" and len(coral.sample_ids) == 7
    assert coral.sample_ids[:4] == first.sample_ids
    assert coral.config["inputs"]["scores"] == {
        "prediction_set": "infer_labels",
        "score_set": "infer_labels",
    }
    same = project.select("c3", method="CORAL", n_samples=7, preselected="c1")
    assert same.sample_ids == coral.sample_ids

    rnd = project.select("r", method="RANDOM", n_samples=5, seed=11)
    rnd2 = project.select("r2", method="RANDOM", n_samples=5, seed=11)
    assert rnd.sample_ids == rnd2.sample_ids and rnd.config["inputs"] == {}


def test_select_min_confidence_recomputes(project: Project) -> None:
    project.score_predictions(project.root / "infer_labels")
    tag = project.select(
        "t", method="CORAL", n_samples=3, score="objectness_least_confidence", min_confidence=0.5
    )
    assert tag.config["inputs"]["scores"] == {
        "prediction_set": "infer_labels",
        "min_confidence": 0.5,
    }


def test_select_imports_a_folder(project: Project) -> None:
    tag = project.select_report("t", method="CORAL", n_samples=3, predictions="infer_labels")
    assert tag.imported is not None and tag.imported.name == "infer_labels"
    assert [s.name for s in project.score_sets()] == ["infer_labels"]


def test_select_errors(project: Project, tmp_path: Path) -> None:
    project.select("base", method="RANDOM", n_samples=4)
    cases = [
        ({"method": "RANDOM", "n_samples": 2, "preselected": "base"}, "2 < the 4 samples"),
        ({"method": "RANDOM", "n_samples": N + 1}, f"the project has {N}"),
        ({"method": "FOO", "n_samples": 2}, "unknown method 'FOO'; valid: RANDOM, CORESET"),
        ({"method": "CORAL", "n_samples": 2, "score": "nah"}, "unknown score 'nah'"),
        ({"method": "CORAL", "n_samples": 2}, "no predictions to score"),
        ({"method": "RANDOM", "n_samples": 2, "preselected": "zz"}, "unknown tag 'zz'"),
        ({"config": {"n_samples": 2, "strategies": [], "x": 1}}, "unknown key 'x'"),
        (
            {"config": {"n_samples": 2, "strategies": [{"input": "METADATA", "key": "k",
                                                        "strategy": "WEIGHTS"}]}},
            "give --metadata",
        ),
    ]  # fmt: skip
    for kwargs, message in cases:
        with pytest.raises(AlpickError, match=message):
            project.select("new", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(AlpickError, match="already exists"):
        project.select("base", method="RANDOM", n_samples=2)
    assert [t.name for t in project.tags()] == ["base"]


def test_coreset_needs_embeddings(tmp_path: Path) -> None:
    images = tmp_path / "data/raw/images"
    images.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (8, 8)).save(images / f"{i}.png")
    project = Project.create(tmp_path)
    project.import_samples()
    with pytest.raises(AlpickError, match=r"no embeddings \(run `alpick embed`"):
        project.select("t", n_samples=2)


def test_metadata_threshold_and_balance(project: Project, tmp_path: Path) -> None:
    meta = tmp_path / "metadata.csv"
    lines = ["split,image,condition,apple_count"]
    for i, s in enumerate(project.samples()):
        lines.append(f"train,{s.path.rsplit('/', 1)[-1]},{'sun' if i % 2 else 'shade'},{i}")
    lines.append("test,test_0.png,sun,3")  # not in the project: ignored
    meta.write_text("\n".join(lines) + "\n")
    config = {
        "n_samples": 6,
        "strategies": [
            {"input": "METADATA", "key": "apple_count", "strategy": "THRESHOLD",
             "threshold": 4, "operation": "BIGGER_EQUAL"},
            {"input": "METADATA", "key": "condition", "strategy": "BALANCE",
             "target": {"sun": 0.5, "shade": 0.5}},
        ],
    }  # fmt: skip
    tag = project.select("m", config=config, metadata=meta)
    rows = project.positions(tag.sample_ids)
    assert (rows >= 4).all()
    assert sorted(int(r) % 2 for r in rows) == [0, 0, 0, 1, 1, 1]
    assert tag.method == "CONFIG" and tag.config["inputs"]["metadata"] == str(meta.resolve())

    loaded = load_metadata(meta, project.samples(), ["condition"])
    assert loaded["condition"].tolist()[:3] == ["shade", "sun", "shade"]
    meta.write_text("image,condition\nimg_00.png,sun\n")
    with pytest.raises(AlpickError, match="no row for 11 of the project's 12 images"):
        load_metadata(meta, project.samples(), ["condition"])
    with pytest.raises(AlpickError, match="no column 'nope'"):
        load_metadata(meta, project.samples(), ["nope"])


def test_balance_on_predicted_classes(project: Project) -> None:
    project.score_predictions(project.root / "infer_labels")
    config = {
        "n_samples": 4,
        "strategies": [{"input": "PREDICTIONS", "strategy": "BALANCE",
                        "target": {"apple": 0.5, "leaf": 0.5}}],
    }  # fmt: skip
    tag = project.select("b", config=config)
    classes = majority_class(_predictions())
    names = np.array([*CLASSES, NO_PREDICTION])[classes]
    picked = names[project.positions(tag.sample_ids)]
    assert sorted(picked.tolist()) == ["apple", "apple", "leaf", "leaf"]


def test_lightly_predictions_with_class_probabilities(project: Project, tmp_path: Path) -> None:
    from alpick.formats.lightly_predictions import save_lightly_task

    probs = np.array([[0.6, 0.4], [0.95, 0.05]])  # one per schema category (issue 17)
    det = Detections(np.array([[1, 1, 4, 4], [2, 2, 6, 6]]), [0, 0], [0.5, 0.9], probs)
    save_lightly_task(tmp_path / "src", "det", {"sub/x_10.png": det}, Classes(list(CLASSES)))
    report = project.score_predictions(
        tmp_path / "src", "lightly", name="lp", scores=["uncertainty_margin"]
    )
    row = project.sample_index()["sub/x_10.png"]
    margin = report.scores["uncertainty_margin"]
    assert margin[row] == pytest.approx(1 - (0.6 - 0.4), abs=1e-6)
    assert np.count_nonzero(margin) == 1
