import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from alpick.errors import AlpickError
from alpick.store import db
from alpick.store.project import ProjectStore

MakePool = Callable[..., Path]


def _counts(root: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(root / ".alpick/alpick.db")
    try:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("samples", "labels", "classes")
        )
    finally:
        conn.close()


# --- making, finding ---------------------------------------------------------------------------


def test_create_then_open_from_a_subfolder(tmp_path: Path) -> None:
    project = ProjectStore.create(tmp_path)
    assert project.root == tmp_path.resolve()
    assert project.state_dir == tmp_path.resolve() / ".alpick"
    assert project.images_dir == tmp_path.resolve() / "data/raw/images"
    assert project.labels_dir == tmp_path.resolve() / "data/raw/labels"
    assert project.label_format == "kitti"
    project.close()
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    with ProjectStore.open(sub) as found:
        assert found.root == tmp_path.resolve()


def test_open_uses_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ProjectStore.create(tmp_path).close()
    monkeypatch.chdir(tmp_path)
    with ProjectStore.open() as project:
        assert project.root == tmp_path.resolve()


def test_open_without_project(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match=r"no alpick project found in .* or its parents"):
        ProjectStore.open(tmp_path)


def test_create_again_same_settings_opens_other_settings_refused(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path, images="imgs", label_format="YOLO").close()
    with ProjectStore.create(tmp_path, images="imgs", label_format="yolo") as again:
        assert again.label_format == "yolo"
    with pytest.raises(AlpickError, match="already exists with images=imgs"):
        ProjectStore.create(tmp_path, images="other", label_format="yolo")


def test_unknown_label_format(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="unknown label format 'csv'"):
        ProjectStore.create(tmp_path, label_format="csv")
    assert not (tmp_path / ".alpick/alpick.db").exists()


def test_absolute_settings_inside_root_are_stored_relative(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path, images=str(tmp_path / "pics")) as project:
        assert project._settings["images"] == "pics"


def test_newer_database_is_refused(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path).close()
    raw = sqlite3.connect(tmp_path / ".alpick/alpick.db")
    raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    with pytest.raises(AlpickError, match="written by a newer alpick"):
        ProjectStore.open(tmp_path)


# --- import ------------------------------------------------------------------------------------


def test_import_reads_sizes_hashes_and_labels(
    pool_writer: Callable[..., Path], make_pool: MakePool
) -> None:
    root = make_pool(4, boxes=3)
    pool_writer(root, ["sub/deep.jpg"], boxes=0, size=(17, 9))
    (root / "data/raw/images/notes.txt").write_text("not an image")
    (root / "data/raw/images/.hidden.png").write_bytes(b"junk")
    with ProjectStore.create(root) as project:
        report = project.import_samples()
        assert (report.added, report.unchanged, report.total) == (5, 0, 5)
        assert (report.labelled, report.boxes, report.classes) == (4, 12, 1)
        samples = project.samples()
        assert [s.path for s in samples] == [
            "img_000.png",
            "img_001.png",
            "img_002.png",
            "img_003.png",
            "sub/deep.jpg",
        ]
        assert (samples[-1].width, samples[-1].height) == (17, 9)
        assert (samples[0].width, samples[0].height) == (40, 30)
        assert len({s.hash for s in samples}) == 5 and len(samples[0].hash) == 32
        assert project.sample_index() == {s.path: i for i, s in enumerate(samples)}
        assert project.classes().names == ["apple"]
        labels = project.labels()
        assert set(labels) == {s.id for s in samples}
        first = labels[samples[0].id]
        assert first.xyxy.tolist()[1] == [1, 2, 11, 13]
        assert first.class_id.tolist() == [0, 0, 0] and first.confidence is None
        assert len(labels[samples[-1].id]) == 0


def test_reimport_adds_only_new_images_and_keeps_ids(make_pool: MakePool) -> None:
    root = make_pool(3)
    with ProjectStore.create(root) as project:
        project.import_samples()
        before = project.samples()
        again = project.import_samples()
        assert (again.added, again.unchanged, again.total) == (0, 3, 3)
        make_pool(2, start=3)
        third = project.import_samples()
        assert (third.added, third.unchanged, third.total, third.boxes) == (2, 3, 5, 4)
        after = project.samples()
        assert after[:3] == before
        assert [s.path for s in after[3:]] == ["img_003.png", "img_004.png"]
        assert _counts(root) == (5, 10, 1)


def test_labels_are_clipped_and_one_line_files_parse(make_pool: MakePool) -> None:
    root = make_pool(1, labels=False)
    (root / "data/raw/labels").mkdir(parents=True)
    (root / "data/raw/labels/img_000.txt").write_text(
        "pear 0.0 0 0.0 -5 3 50.5 8 0 0 0 0 0 0 0 0.9"  # one line, no newline, 16 columns
    )
    with ProjectStore.create(root) as project:
        project.import_samples()
        (det,) = project.labels().values()
        assert det.xyxy.tolist() == [[0, 3, 40, 8]]
        assert project.classes().names == ["pear"]


def test_labels_of_some_samples_and_unknown_ids(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(3)) as project:
        project.import_samples()
        ids = [s.id for s in project.samples()]
        assert list(project.labels([ids[2], ids[0]])) == [ids[2], ids[0]]
        with pytest.raises(AlpickError, match="unknown sample id"):
            project.labels([999])


def test_positions_and_sample_ids(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(4)) as project:
        project.import_samples()
        ids = project.sample_ids()
        assert project.positions([ids[3], ids[1]]).tolist() == [3, 1]
        assert ids.dtype == np.int64 and project.positions([]).dtype == np.int64
        assert project.positions([]).tolist() == []
        with pytest.raises(AlpickError, match=r"unknown sample id\(s\) \[0, 77\]"):
            project.positions([0, ids[0], 77])


def test_missing_labels_folder_means_no_boxes(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(2, labels=False)) as project:
        report = project.import_samples()
        assert (report.added, report.labelled, report.boxes) == (2, 0, 0)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("orphan", "label file .*ghost.txt has no image"),
        ("inverted", r"img_000\.txt:2: KITTI: inverted box \(x0=9\.0, y0=1\.0, x1=5\.0, y1=5\.0\)"),
        ("columns", r"img_000\.txt:1: KITTI: expected 15 columns \(labels\) or 16 .*got 3"),
        ("unreadable", "cannot read image .*broken.png"),
    ],
)
def test_failing_import_leaves_the_project_unchanged(
    make_pool: MakePool, breakage: str, message: str
) -> None:
    root = make_pool(3)
    with ProjectStore.create(root) as project:
        project.import_samples()
        make_pool(2, start=3)  # new images that must not get in
        before = _counts(root)
        labels = root / "data/raw/labels"
        if breakage == "orphan":
            (labels / "ghost.txt").write_text("")
        elif breakage == "inverted":
            (labels / "img_000.txt").write_text(
                "apple 0 0 0 1 1 5 5 0 0 0 0 0 0 0\napple 0 0 0 9 1 5 5 0 0 0 0 0 0 0\n"
            )
        elif breakage == "columns":
            (labels / "img_000.txt").write_text("apple 1 2\n")
        else:
            (root / "data/raw/images/broken.png").write_bytes(b"\x89PNG but not really")
        with pytest.raises(AlpickError, match=message):
            project.import_samples()
        assert _counts(root) == before == (3, 6, 1)


def test_initialize_new_project_failing_leaves_nothing(
    pool_writer: Callable[..., Path], tmp_path: Path
) -> None:
    pool_writer(tmp_path, ["a.png"])
    (tmp_path / "data/raw/labels/orphan.txt").write_text("")
    with pytest.raises(AlpickError, match="has no image"):
        ProjectStore.initialize(tmp_path)
    assert not (tmp_path / ".alpick").exists()


def test_initialize_missing_images_folder(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match=r"images folder .* does not exist"):
        ProjectStore.initialize(tmp_path)
    assert not (tmp_path / ".alpick").exists()


def test_initialize_keeps_existing_settings(
    pool_writer: Callable[..., Path], tmp_path: Path
) -> None:
    pool_writer(tmp_path / "x", ["a.png"], boxes=1)
    project, report = ProjectStore.initialize(
        tmp_path, images="x/data/raw/images", labels="x/data/raw/labels"
    )
    assert report.added == 1 and report.boxes == 1
    project.close()
    project, report = ProjectStore.initialize(tmp_path)  # re-run without options
    assert (report.added, report.total) == (0, 1)
    assert project.images_dir == tmp_path.resolve() / "x/data/raw/images"
    project.close()
    with pytest.raises(AlpickError, match="already exists"):
        ProjectStore.initialize(tmp_path, label_format="voc")


def test_truncated_image_header_is_named(make_pool: MakePool) -> None:
    root = make_pool(1)
    good = (root / "data/raw/images/img_000.png").read_bytes()
    (root / "data/raw/images/cut.png").write_bytes(good[:20])
    with ProjectStore.create(root) as project, pytest.raises(AlpickError, match=r"cut\.png"):
        project.import_samples()


# --- tags --------------------------------------------------------------------------------------


def test_tags_parents_and_added_samples(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(6)) as project:
        project.import_samples()
        ids = [s.id for s in project.samples()]
        first = project.create_tag("initial", [ids[4], ids[1]], method="RANDOM", seed=7)
        assert first.sample_ids == [ids[4], ids[1]]
        assert (first.parent, first.method, first.seed) == (None, "RANDOM", 7)
        second = project.create_tag(
            "CORESET_4",
            [ids[4], ids[1], ids[0], ids[5]],
            parent="initial",
            method="CORESET",
            config={"n_samples": 4, "strategies": [{"input": "EMBEDDINGS"}]},
        )
        assert second.config == {"n_samples": 4, "strategies": [{"input": "EMBEDDINGS"}]}
        assert [t.name for t in project.tags()] == ["initial", "CORESET_4"]
        assert project.tag("CORESET_4") == second
        assert [s.path for s in project.tag_samples("CORESET_4")] == [
            "img_004.png",
            "img_001.png",
            "img_000.png",
            "img_005.png",
        ]
        assert [s.path for s in project.added_samples("CORESET_4")] == [
            "img_000.png",
            "img_005.png",
        ]
        assert [s.id for s in project.added_samples("initial")] == [ids[4], ids[1]]
        assert project.create_tag("empty", []).sample_ids == []


def test_tag_errors_leave_no_trace(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(3)) as project:
        project.import_samples()
        ids = [s.id for s in project.samples()]
        project.create_tag("a", ids[:1])
        with pytest.raises(AlpickError, match="tag 'a' already exists"):
            project.create_tag("a", ids)
        with pytest.raises(AlpickError, match=r"unknown tag 'zzz' \(tags: a\)"):
            project.create_tag("b", ids, parent="zzz")
        with pytest.raises(AlpickError, match="unknown sample id"):
            project.create_tag("b", [ids[0], 1234])
        with pytest.raises(AlpickError, match="more than once"):
            project.create_tag("b", [ids[0], ids[0]])
        with pytest.raises(AlpickError, match="invalid tag name"):
            project.create_tag("has space", ids)
        with pytest.raises(AlpickError, match="JSON"):
            project.create_tag("b", ids, config={"x": object()})
        with pytest.raises(AlpickError, match="seed must be an integer"):
            project.create_tag("b", ids, seed="3")  # type: ignore[arg-type]
        with pytest.raises(AlpickError, match=r"unknown tag 'nope' \(tags: a\)"):
            project.tag("nope")
        assert [t.name for t in project.tags()] == ["a"]


def test_delete_tag_refuses_parents(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(3)) as project:
        project.import_samples()
        ids = [s.id for s in project.samples()]
        project.create_tag("base", ids[:1])
        project.create_tag("more", ids, parent="base")
        with pytest.raises(AlpickError, match="'base' is the parent of 'more'"):
            project.delete_tag("base")
        project.delete_tag("more")
        project.delete_tag("base")
        assert project.tags() == []
        with pytest.raises(AlpickError, match="unknown tag"):
            project.delete_tag("base")


def test_tag_numpy_config_values_become_json(make_pool: MakePool) -> None:
    with ProjectStore.create(make_pool(2)) as project:
        project.import_samples()
        ids = project.sample_ids()
        tag = project.create_tag("t", ids, config={"n": np.int64(2), "w": np.float32(0.5)})
        assert tag.config == {"n": 2, "w": 0.5}
        assert tag.sample_ids == ids.tolist()


def test_image_header_sizes_are_not_decoded(
    make_pool: MakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_pool(2)

    def no_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    monkeypatch.setattr(Image.Image, "load", no_decode)
    with ProjectStore.create(root) as project:
        assert project.import_samples().added == 2
