"""Export a tag for labelling, import the labels back: round trips, versioning, bad inputs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.api import Project
from alpick.errors import AlpickError
from alpick.formats.detections import Detections

SIZES = [(40, 30), (64, 48), (33, 21), (50, 50), (40, 30)]
KITTI = "{c} 0.00 0 0.00 {x0} {y0} {x1} {y1} 0 0 0 0 0 0 0\n"
BOXES = [
    [("apple", 1, 2, 11.5, 12)],
    [("apple", 0, 0, 64, 48), ("leaf", 3.25, 4, 9, 10.75)],
    [],
    [("leaf", 10, 10, 20, 20)],
    [("apple", 5, 5, 6, 6)],
]


def make(root: Path) -> Project:
    for i, ((w, h), boxes) in enumerate(zip(SIZES, BOXES, strict=True)):
        image = root / f"data/raw/images/sub/im{i}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (w, h), (30 * i, 0, 0)).save(image)
        label = root / f"data/raw/labels/sub/im{i}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(
            "".join(KITTI.format(c=c, x0=a, y0=b, x1=d, y1=e) for c, a, b, d, e in boxes)
        )
    project = Project.create(root)
    project.import_samples()
    project.create_tag("t1", project.sample_ids()[:4].tolist())
    return project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    p = make(tmp_path / "p")
    yield p
    p.close()


def _same(a: dict[int, Detections], b: dict[int, Detections], atol: float = 0.0) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].class_id.tolist() == b[k].class_id.tolist(), k
        np.testing.assert_allclose(a[k].xyxy, b[k].xyxy, atol=atol, rtol=0)


def _dump(project: Project) -> str:
    conn = sqlite3.connect(project.state_dir / "alpick.db")
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("target", "atol"),
    [("label-studio", 0.0), ("cvat", 0.0), ("coco", 1e-4), ("yolo", 1e-3), ("voc", 1e-4)],
)
def test_round_trip(project: Project, tmp_path: Path, target: str, atol: float) -> None:
    ids = project.tag("t1").sample_ids
    before = project.labels(ids)
    report = project.export_tag("t1", tmp_path / "out", target, with_labels=True)
    assert report.images == 4 and report.boxes == 4
    # the import must really replace: clear the ground truth the comparison starts from
    conn = sqlite3.connect(project.state_dir / "alpick.db")
    conn.execute("DELETE FROM labels")
    conn.commit()
    conn.close()
    assert not any(len(d) for d in project.labels(ids).values())
    result = project.import_labels(tmp_path / "out", target)
    # Label Studio: an image without boxes gets no annotation (it would show as done)
    assert result.label_set.images == (3 if target == "label-studio" else 4)
    assert result.label_set.boxes == 4
    _same(project.labels(ids), before, atol)
    assert not len(project.labels([project.sample_ids()[4]])[project.sample_ids()[4]])


def test_label_studio_tasks_and_predictions(project: Project, tmp_path: Path) -> None:
    pred = tmp_path / "pred"
    pred.mkdir()
    (pred / "sub").mkdir()
    (pred / "sub/im0.txt").write_text(
        "apple 0 0 0 4 6 24 18 0 0 0 0 0 0 0 0.9\napple 0 0 0 1 1 2 2 0 0 0 0 0 0 0 0.1\n"
    )
    project.import_predictions(pred, "kitti", name="pred")
    project.export_tag(
        "t1", tmp_path / "ls", "label-studio", predictions="pred", min_confidence=0.5
    )
    tasks = json.loads((tmp_path / "ls/tasks.json").read_text())
    assert len(tasks) == 4
    first = tasks[0]
    assert first["data"]["image"] == "/data/local-files/?d=data/raw/images/sub/im0.png"
    (result,) = first["predictions"][0]["result"]
    assert result["value"]["x"] == pytest.approx(10.0) and result["value"]["width"] == 50.0
    assert result["value"]["rectanglelabels"] == ["apple"] and result["score"] == pytest.approx(0.9)
    assert result["original_width"] == 40 and "annotations" not in first
    config = (tmp_path / "ls/labeling-config.xml").read_text()
    assert '<Label value="apple"/>' in config and '<Label value="leaf"/>' in config
    project.export_tag(
        "t1", tmp_path / "ls2", "label-studio", image_root="http://h:8000/api/samples/{id}/image"
    )
    tasks = json.loads((tmp_path / "ls2/tasks.json").read_text())
    assert (
        tasks[1]["data"]["image"]
        == f"http://h:8000/api/samples/{tasks[1]['data']['alpick_id']}/image"
    )


def _ls_export(tmp_path: Path, tasks: list[dict]) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return path


def _rect(label: str, x: float, y: float, w: float, h: float, **extra: float) -> dict:
    value = {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]}
    value.update(extra)
    return {"type": "rectanglelabels", "from_name": "label", "to_name": "image", "value": value}


def test_label_studio_latest_annotation_and_history(project: Project, tmp_path: Path) -> None:
    s0, s1, s2 = project.samples()[:3]
    tasks = [
        {
            "id": 7,
            "data": {"image": "/data/local-files/?d=data/raw/images/sub/im0.png"},
            "annotations": [
                {"id": 1, "updated_at": "2026-01-01", "result": [_rect("apple", 0, 0, 50, 50)]},
                {"id": 2, "updated_at": "2026-01-02", "result": [_rect("leaf", 25, 10, 50, 20)]},
                {"id": 3, "updated_at": "2026-01-03", "was_cancelled": True, "result": []},
            ],
            "predictions": [{"result": [_rect("apple", 1, 1, 1, 1)]}],
        },
        {"id": 8, "data": {"image": "x/sub/im1.png"}, "annotations": []},
        {"id": 9, "data": {"alpick_path": s2.path}, "annotations": [{"result": []}]},
    ]
    report = project.import_labels(_ls_export(tmp_path, tasks), "label-studio")
    assert report.skipped == 1 and report.label_set.images == 2
    labels = project.labels([s0.id, s1.id, s2.id])
    assert labels[s0.id].xyxy.tolist() == [[10.0, 3.0, 30.0, 9.0]]
    assert labels[s0.id].class_id.tolist() == [project.classes().names.index("leaf")]
    assert len(labels[s1.id]) == 2  # no annotation: left as it was
    assert len(labels[s2.id]) == 0  # annotated with no boxes
    history = project.label_history(s0.id)
    assert [v.set.id if v.set else None for v in history] == [None, 1]
    _, described = project.label_history_of("sub/im0.png")
    assert described[1][1].startswith("+1 (leaf 10 3 30 9) -1 (apple 1 2 11.5 12)")


BAD_LS = {
    "unknown image": (
        {"data": {"image": "/x/nope.png"}, "annotations": [{"result": []}]},
        "not in the project",
    ),
    "unknown class": (
        {
            "data": {"alpick_path": "sub/im0.png"},
            "annotations": [{"result": [_rect("pear", 1, 1, 5, 5)]}],
        },
        "class 'pear' is not in the project",
    ),
    "rotated": (
        {
            "data": {"alpick_path": "sub/im0.png"},
            "annotations": [{"result": [_rect("apple", 1, 1, 5, 5, rotation=30)]}],
        },
        "rotated box",
    ),
    "out of image": (
        {
            "data": {"alpick_path": "sub/im0.png"},
            "annotations": [{"result": [_rect("apple", 90, 1, 20, 5)]}],
        },
        "out of the 40x30 image",
    ),
    "polygon": (
        {
            "data": {"alpick_path": "sub/im0.png"},
            "annotations": [{"result": [{"type": "polygonlabels", "value": {}}]}],
        },
        "rectangles (rectanglelabels) only",
    ),
}


@pytest.mark.parametrize("case", list(BAD_LS))
def test_bad_label_studio_changes_nothing(project: Project, tmp_path: Path, case: str) -> None:
    good = {"id": 1, "data": {"alpick_path": "sub/im3.png"}, "annotations": [{"result": []}]}
    bad, message = BAD_LS[case]
    path = _ls_export(tmp_path, [good, {"id": 2, **bad}])
    before = _dump(project)
    with pytest.raises(AlpickError, match="task 2 \\(id 2\\)") as info:
        project.import_labels(path, "label-studio")
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)
    assert _dump(project) == before


def test_class_map_and_add_classes(project: Project, tmp_path: Path) -> None:
    tasks = [
        {
            "data": {"alpick_path": "sub/im0.png"},
            "annotations": [{"result": [_rect("Apfel", 0, 0, 10, 10)]}],
        },
        {
            "data": {"alpick_path": "sub/im1.png"},
            "annotations": [{"result": [_rect("pear", 0, 0, 10, 10)]}],
        },
    ]
    path = _ls_export(tmp_path, tasks)
    (tmp_path / "map.csv").write_text("Apfel,apple\n")
    with pytest.raises(AlpickError, match="'pear'"):
        project.import_labels(path, "label-studio", class_map=tmp_path / "map.csv")
    report = project.import_labels(
        path, "label-studio", class_map=tmp_path / "map.csv", add_classes=True
    )
    assert report.new_classes == ["pear"] and project.classes().names[-1] == "pear"
    s0 = project.samples()[0]
    assert project.labels([s0.id])[s0.id].class_id.tolist() == [0]


def test_cvat_refuses_rotation_and_unknown_images(project: Project, tmp_path: Path) -> None:
    project.export_tag("t1", tmp_path / "c", "cvat", with_labels=True)
    xml = (tmp_path / "c/annotations.xml").read_text()
    before = _dump(project)
    (tmp_path / "c/annotations.xml").write_text(
        xml.replace('z_order="0"', 'z_order="0" rotation="15"', 1)
    )
    with pytest.raises(AlpickError, match="rotated box"):
        project.import_labels(tmp_path / "c", "cvat")
    (tmp_path / "c/annotations.xml").write_text(
        xml.replace('name="sub/im1.png"', 'name="other.png"')
    )
    with pytest.raises(AlpickError, match=r"image 'other\.png'.*not an image of the project"):
        project.import_labels(tmp_path / "c", "cvat")
    assert _dump(project) == before


def test_yolo_label_file_without_image(project: Project, tmp_path: Path) -> None:
    project.export_tag("t1", tmp_path / "y", "yolo")
    (tmp_path / "y/labels/sub/stray.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(AlpickError, match=r"stray\.txt: no image of the project"):
        project.import_labels(tmp_path / "y", "yolo")


def test_training_uses_current_labels(project: Project, tmp_path: Path) -> None:
    """project.labels() (what train --tag, simulate and TLT read) returns the imported ones."""
    sid = project.samples()[2].id  # unlabelled in the files
    tasks = [
        {
            "data": {"alpick_path": "sub/im2.png"},
            "annotations": [{"result": [_rect("apple", 0, 0, 100, 100)]}],
        }
    ]
    project.import_labels(_ls_export(tmp_path, tasks), "label-studio")
    assert project.labels([sid])[sid].xyxy.tolist() == [[0.0, 0.0, 33.0, 21.0]]
    project.import_samples()  # re-reading the label files keeps the imported labels current
    assert project.labels([sid])[sid].xyxy.tolist() == [[0.0, 0.0, 33.0, 21.0]]


def test_a_new_pool_offers_classes_and_adds_them(tmp_path: Path) -> None:
    root = tmp_path / "pool"
    (root / "data/raw/images").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (20, 10)).save(root / f"data/raw/images/{i}.png")
    with Project.create(root) as project:
        project.import_samples()
        project.create_tag("r1", project.sample_ids()[:2].tolist())
        project.export_tag("r1", root / "ls", "label-studio", extra_classes=["apple", "leaf"])
        config = (root / "ls/labeling-config.xml").read_text()
        assert '<Label value="apple"/>' in config and '<Label value="leaf"/>' in config
        tasks = json.loads((root / "ls/tasks.json").read_text())
        tasks[0]["annotations"] = [{"result": [_rect("leaf", 50, 0, 50, 100)]}]
        (root / "done.json").write_text(json.dumps(tasks))
        with pytest.raises(AlpickError, match="--add-classes"):
            project.import_labels(root / "done.json", "label-studio")
        report = project.import_labels(root / "done.json", "label-studio", add_classes=True)
        assert report.skipped == 1 and report.new_classes == ["leaf"]
        sid = project.sample_ids()[0]
        assert project.labels([sid])[sid].xyxy.tolist() == [[10.0, 0.0, 20.0, 10.0]]
