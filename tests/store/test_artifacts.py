from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from alpick.errors import AlpickError
from alpick.formats.detections import Classes, Detections
from alpick.store.project import ProjectStore


@pytest.fixture
def project(make_pool: Callable[..., Path]) -> ProjectStore:
    p = ProjectStore.create(make_pool(4))
    p.import_samples()
    return p


def _files(project: ProjectStore, kind: str) -> list[str]:
    return sorted(f.name for f in (project.state_dir / kind).iterdir())


# --- embeddings --------------------------------------------------------------------------------


def test_embeddings_round_trip_and_latest(project: ProjectStore) -> None:
    with pytest.raises(AlpickError, match=r"no embeddings \(run `alpick embed`"):
        project.embeddings()
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    record = project.save_embeddings("ssl", a, model="efficientnet_lite0", meta={"epochs": 2})
    assert (record.name, record.model, record.dim, record.rows) == (
        "ssl",
        "efficientnet_lite0",
        3,
        4,
    )
    assert record.file == "embeddings/ssl.npy" and record.meta == {"epochs": 2}
    b = np.ones((4, 2), np.float32)
    project.save_embeddings("other", b, model="imported")
    array, latest = project.embeddings()
    assert latest.name == "other" and array.dtype == np.float32
    np.testing.assert_array_equal(project.embeddings("ssl")[0], a.astype(np.float32))
    assert [s.name for s in project.embedding_sets()] == ["ssl", "other"]
    with pytest.raises(AlpickError, match=r"unknown embeddings 'x' \(embeddings: ssl, other\)"):
        project.embeddings("x")


def test_embeddings_replace_keeps_one_file(project: ProjectStore) -> None:
    project.save_embeddings("e", np.zeros((4, 2)), model="m")
    project.save_embeddings("e", np.ones((4, 5)), model="m2")
    array, record = project.embeddings("e")
    assert array.shape == (4, 5) and record.model == "m2"
    assert _files(project, "embeddings") == [record.file.split("/")[-1]]
    assert len(project.embedding_sets()) == 1


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((3, 2)), "has 3 rows but the project has 4 samples"),
        (np.zeros(4), "2-D"),
        (np.zeros((4, 0)), "2-D"),
        (np.array([[np.nan, 1]] * 4), "NaN"),
        (np.array([["a", "b"]] * 4), "numbers"),
    ],
)
def test_bad_embeddings_are_refused(project: ProjectStore, array: np.ndarray, message: str) -> None:
    with pytest.raises(AlpickError, match=message):
        project.save_embeddings("e", array, model="m")
    assert project.embedding_sets() == []
    assert not (project.state_dir / "embeddings").exists() or not _files(project, "embeddings")


def test_embeddings_go_stale_when_images_are_added(
    project: ProjectStore, make_pool: Callable[..., Path]
) -> None:
    project.save_embeddings("e", np.zeros((4, 2)), model="m")
    make_pool(1, start=10)
    project.import_samples()
    with pytest.raises(AlpickError, match=r"4 rows but the project has 5 samples .*re-embed"):
        project.embeddings("e")


def test_embeddings_db_failure_removes_the_new_file(
    project: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpick.store import filesets

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    project.save_embeddings("e", np.zeros((4, 2)), model="m")
    monkeypatch.setattr(filesets, "transaction", broken)
    with pytest.raises(RuntimeError):
        project.save_embeddings("e", np.ones((4, 2)), model="m")
    monkeypatch.undo()
    assert _files(project, "embeddings") == ["e.npy"]
    np.testing.assert_array_equal(project.embeddings("e")[0], np.zeros((4, 2)))


# --- predictions -------------------------------------------------------------------------------


def test_predictions_round_trip(project: ProjectStore) -> None:
    ids = project.sample_ids().tolist()
    dets = {
        ids[0]: Detections(
            np.array([[1, 2, 3, 4], [0, 0, 5, 5]]),
            np.array([0, 1]),
            confidence=np.array([0.9, 0.2]),
            class_probs=np.array([[0.9, 0.1], [0.3, 0.7]]),
        ),
        ids[2]: Detections.empty(with_confidence=True),
    }
    record = project.save_predictions("run1", dets, Classes(["apple", "pear"]), source="runs/a")
    assert (record.samples, record.boxes, record.classes, record.source) == (
        2,
        2,
        ["apple", "pear"],
        "runs/a",
    )
    loaded, classes, again = project.predictions()
    assert again == record and classes.names == ["apple", "pear"]
    assert set(loaded) == {ids[0], ids[2]}
    np.testing.assert_array_equal(loaded[ids[0]].xyxy, dets[ids[0]].xyxy)
    np.testing.assert_array_equal(loaded[ids[0]].class_probs, dets[ids[0]].class_probs)
    assert loaded[ids[0]].confidence.tolist() == pytest.approx([0.9, 0.2])  # type: ignore[union-attr]
    assert len(loaded[ids[2]]) == 0 and loaded[ids[2]].confidence is not None


def test_predictions_replace_and_errors(project: ProjectStore) -> None:
    ids = project.sample_ids().tolist()
    one = {ids[1]: Detections(np.array([[0, 0, 1, 1]]), np.array([0]), np.array([0.5]))}
    project.save_predictions("p", one, Classes(["apple"]))
    project.save_predictions("p", {}, Classes(["apple"]))
    loaded, _, record = project.predictions("p")
    assert loaded == {} and record.boxes == 0
    assert len(_files(project, "predictions")) == 1
    no_conf = {ids[1]: Detections(np.array([[0, 0, 1, 1]]), np.array([0]))}
    with pytest.raises(AlpickError, match="no confidence"):
        project.save_predictions("q", no_conf, Classes(["apple"]))
    with pytest.raises(AlpickError, match="class id 0 but only 0 classes"):
        project.save_predictions("q", one, Classes())
    with pytest.raises(AlpickError, match="unknown sample id"):
        project.save_predictions("q", {999: one[ids[1]]}, Classes(["apple"]))
    with pytest.raises(AlpickError, match="unknown predictions 'q'"):
        project.predictions("q")


# --- scores and runs ---------------------------------------------------------------------------


def test_scores_round_trip(project: ProjectStore) -> None:
    project.save_predictions("p", {}, Classes(["apple"]))
    values = {"objectness_least_confidence": np.linspace(0, 1, 4), "object_frequency": np.ones(4)}
    record = project.save_scores("s", "p", values)
    assert record.score_names == ["objectness_least_confidence", "object_frequency"]
    loaded, again = project.scores()
    assert again == record
    for key, array in values.items():
        np.testing.assert_array_equal(loaded[key], array)
        assert loaded[key].dtype == np.float64
    with pytest.raises(AlpickError, match=r"unknown predictions 'nope'"):
        project.save_scores("t", "nope", values)
    with pytest.raises(AlpickError, match=r"shape \(3,\), expected \(4,\)"):
        project.save_scores("t", "p", {"x": np.ones(3)})
    with pytest.raises(AlpickError, match="no scores"):
        project.save_scores("t", "p", {})
    assert [s.name for s in project.score_sets()] == ["s"]


def test_runs_are_recorded_and_updated(project: ProjectStore) -> None:
    assert project.runs() == []
    project.record_run("r1", "runs/r1", {"epochs": 3})
    run = project.record_run("r1", "runs/r1b", {"epochs": 4})
    assert (run.path, run.config) == ("runs/r1b", {"epochs": 4})
    assert [r.name for r in project.runs()] == ["r1"]


# --- one transaction for several saves ---------------------------------------------------------


def _one_box(project: ProjectStore, conf: float) -> dict[int, Detections]:
    sid = int(project.sample_ids()[0])
    return {sid: Detections(np.array([[0, 0, 5, 5]]), np.array([0]), np.array([conf]))}


def _confidence(project: ProjectStore, name: str) -> float:
    conf = project.predictions(name)[0][int(project.sample_ids()[0])].confidence
    assert conf is not None
    return float(conf[0])


def test_a_failed_transaction_stores_no_set_and_leaves_no_file(project: ProjectStore) -> None:
    """Predictions and their scores saved together: a failure after both saves undoes both,
    removes their new files and keeps the files of the sets they were replacing."""
    project.save_predictions("p", _one_box(project, 0.5), Classes(["apple"]))
    project.save_scores("p", "p", {"object_frequency": np.zeros(4)})
    before = (_files(project, "predictions"), _files(project, "scores"))
    with pytest.raises(RuntimeError), project.transaction():
        project.save_predictions("p", _one_box(project, 0.9), Classes(["apple"]))
        project.save_predictions("q", _one_box(project, 0.9), Classes(["apple"]))
        project.save_scores("p", "p", {"object_frequency": np.ones(4)})
        assert _confidence(project, "p") == pytest.approx(0.9)  # reads see the writes
        raise RuntimeError("killed between the saves")
    assert [s.name for s in project.prediction_sets()] == ["p"]
    assert (_files(project, "predictions"), _files(project, "scores")) == before
    assert _confidence(project, "p") == 0.5
    np.testing.assert_array_equal(project.scores("p")[0]["object_frequency"], np.zeros(4))


def test_a_committed_transaction_removes_the_replaced_files(project: ProjectStore) -> None:
    project.save_predictions("p", _one_box(project, 0.5), Classes(["apple"]))
    project.save_scores("p", "p", {"object_frequency": np.zeros(4)})
    with project.transaction():
        project.save_predictions("p", _one_box(project, 0.9), Classes(["apple"]))
        project.save_scores("p", "p", {"object_frequency": np.ones(4)})
        assert len(_files(project, "predictions")) == 2  # the old file waits for the commit
    assert len(_files(project, "predictions")) == len(_files(project, "scores")) == 1
    np.testing.assert_array_equal(project.scores("p")[0]["object_frequency"], np.ones(4))


def test_a_file_left_by_a_kill_is_harmless(project: ProjectStore) -> None:
    """`kill -9` after an array file is written and before its row commits leaves a file no
    row names. Nothing reads it and no save writes over it: a later save of that set takes a
    fresh name, and the left-over file stays as it was."""
    (project.state_dir / "predictions").mkdir(exist_ok=True)
    (project.state_dir / "scores").mkdir(exist_ok=True)
    (project.state_dir / "predictions/p.npz").write_bytes(b"half a file")
    (project.state_dir / "scores/p.npy").write_bytes(b"half a file")
    record = project.save_predictions("p", _one_box(project, 0.5), Classes(["apple"]))
    scores = project.save_scores("p", "p", {"object_frequency": np.zeros(4)})
    assert record.file != "predictions/p.npz" and scores.file != "scores/p.npy"
    assert len(project.predictions("p")[0]) == 1
    assert project.scores("p")[1] == scores
    assert (project.state_dir / "predictions/p.npz").read_bytes() == b"half a file"
