from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alpick.errors import AlpickError
from alpick.tlt.anchors import parse_anchors, yolo_anchors
from alpick.tlt.spec import Block, format_spec, load_spec, parse_spec
from alpick.tlt.yolo_v4 import build_yolo_v4_spec, kitti_boxes, most_common_size

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
TLT_SAMPLE = SHARED / "samples" / "tlt" / "yolo_v4_minneapple.txt"


def _wh(seed: int = 0, n: int = 300) -> np.ndarray:
    return np.random.default_rng(seed).uniform(6, 50, (n, 2))


def _anchors(spec: Block) -> np.ndarray:
    return np.concatenate(
        [
            parse_anchors(str(spec.get(f"yolov4_config.{g}_anchor_shape")))
            for g in ("small", "mid", "big")
        ]
    )


def test_build_from_the_default_template() -> None:
    wh = _wh()
    spec = build_yolo_v4_spec(classes=["Apple"], image_size=(720, 1280), boxes_wh=wh)
    assert parse_spec(format_spec(spec)) == spec
    expected = np.concatenate(yolo_anchors(wh, (720, 1280), (704, 1280)))
    np.testing.assert_allclose(_anchors(spec), expected, atol=0.005)
    assert spec.get("augmentation_config.output_width") == 704
    assert spec.get("augmentation_config.output_height") == 1280
    mappings = spec.get_all("dataset_config.target_class_mapping")
    assert [(m.get("key"), m.get("value")) for m in mappings if isinstance(m, Block)] == [
        ("apple", "Apple")
    ]
    root = "/workspace/tlt-experiments"
    for key in ("data_sources", "validation_data_sources"):
        assert spec.get(f"dataset_config.{key}.label_directory_path") == f"{root}/data/train/labels"
        assert spec.get(f"dataset_config.{key}.image_directory_path") == f"{root}/data/train/images"
    assert spec.get("training_config.pretrain_model_path") == (
        f"{root}/yolo_v4/pretrained_resnet18/tlt_pretrained_object_detection_vresnet18/resnet_18.hdf5"
    )
    assert "training_config.resume_model_path" not in spec
    assert "augmentation_config.output_channel" not in spec
    assert (
        spec.get(
            "training_config.learning_rate.soft_start_cosine_annealing_schedule.min_learning_rate"
        )
        == 1e-7
    )


def test_tao_options_paths_and_overrides() -> None:
    spec = build_yolo_v4_spec(
        classes=["apple", "Pear"],
        image_size=(1280, 720),
        boxes_wh=_wh(),
        tao=True,
        train_dir="data/train",
        val_dir="/elsewhere/val",
        epochs=80,
        batch_size=4,
        image_extension=".jpg",
    )
    root = "/workspace/tao-experiments"
    assert spec.get("augmentation_config.output_width") == 1280
    assert spec.get("augmentation_config.output_height") == 704
    assert spec.get("augmentation_config.output_channel") == 3
    assert spec.get("dataset_config.image_extension") == "jpg"
    assert (
        spec.get("dataset_config.data_sources.image_directory_path") == f"{root}/data/train/images"
    )
    assert (
        spec.get("dataset_config.validation_data_sources.label_directory_path")
        == "/elsewhere/val/labels"
    )
    assert spec.get("training_config.num_epochs") == 80
    assert spec.get("training_config.batch_size_per_gpu") == 4
    assert "pretrained_object_detection_vresnet18" in str(
        spec.get("training_config.pretrain_model_path")
    )
    assert str(spec.get("training_config.pretrain_model_path")).startswith(root)
    keys = [
        m.get("key")
        for m in spec.get_all("dataset_config.target_class_mapping")
        if isinstance(m, Block)
    ]
    assert keys == ["apple", "pear"]


def test_resume_replaces_the_pretrained_model() -> None:
    spec = build_yolo_v4_spec(
        classes=["apple"],
        image_size=(720, 1280),
        boxes_wh=_wh(),
        resume_model_path="yolo_v4/experiment_dir_unpruned/weights/yolov4_resnet18_epoch_050.tlt",
    )
    assert "training_config.pretrain_model_path" not in spec
    assert spec.get("training_config.resume_model_path") == (
        "/workspace/tlt-experiments/yolo_v4/experiment_dir_unpruned/weights/yolov4_resnet18_epoch_050.tlt"
    )
    again = build_yolo_v4_spec(
        template=spec,
        classes=["apple"],
        image_size=(720, 1280),
        boxes_wh=_wh(),
        pretrained_model_path="/p.hdf5",
    )
    assert "training_config.resume_model_path" not in again
    assert again.get("training_config.pretrain_model_path") == "/p.hdf5"


def test_template_is_kept_but_not_modified() -> None:
    template = parse_spec(
        "# mine\nrandom_seed: 7\ntraining_config { num_epochs: 3 pretrain_model_path: "
        '"/workspace/tao-experiments/w.hdf5" }\ndataset_config {\n  # my sources\n'
        '  data_sources { label_directory_path: "/x" image_directory_path: "/y" }\n'
        '  data_sources { label_directory_path: "/x2" image_directory_path: "/y2" }\n'
        '  target_class_mapping { key: "car" value: "Apple" }\n  extra: 1\n}\n'
    )
    before = format_spec(template)
    spec = build_yolo_v4_spec(
        template=template, classes=["apple"], image_size=(64, 64), boxes_wh=_wh()
    )
    assert format_spec(template) == before
    assert spec.get("random_seed") == 7 and spec.get("training_config.num_epochs") == 3
    # the template's model, moved from the TAO root to the TLT one
    assert spec.get("training_config.pretrain_model_path") == "/workspace/tlt-experiments/w.hdf5"
    dataset = spec.get("dataset_config")
    assert isinstance(dataset, Block)
    assert dataset.keys() == [
        "data_sources", "target_class_mapping", "extra", "validation_data_sources"
    ]  # fmt: skip
    assert dataset.fields[0].comments == ["# my sources"]
    assert spec.get("dataset_config.target_class_mapping.key") == "apple"


def test_sample_as_template() -> None:
    if not TLT_SAMPLE.is_file():
        pytest.skip("shared samples not available")
    sample = load_spec(TLT_SAMPLE)
    spec = build_yolo_v4_spec(
        template=sample, classes=["apple"], image_size=(720, 1280), boxes_wh=_wh()
    )
    assert spec.get("yolov4_config.loss_neg_obj_weights") == 100.0
    assert spec.get("training_config.pretrain_model_path") == sample.get(
        "training_config.pretrain_model_path"
    )
    assert len(spec.get_all("dataset_config.target_class_mapping")) == 1
    assert spec.get("dataset_config.target_class_mapping.key") == "apple"


def test_errors() -> None:
    with pytest.raises(AlpickError, match="differ only in case"):
        build_yolo_v4_spec(classes=["Apple", "apple"], image_size=(64, 64), boxes_wh=_wh())
    with pytest.raises(AlpickError, match="no classes"):
        build_yolo_v4_spec(classes=[], image_size=(64, 64), boxes_wh=_wh())
    with pytest.raises(AlpickError, match="not both"):
        build_yolo_v4_spec(
            classes=["a"],
            image_size=(64, 64),
            boxes_wh=_wh(),
            pretrained_model_path="a",
            resume_model_path="b",
        )
    with pytest.raises(AlpickError, match="distinct"):
        build_yolo_v4_spec(classes=["a"], image_size=(64, 64), boxes_wh=np.ones((20, 2)))


def test_most_common_size() -> None:
    assert most_common_size([[720, 1280], [720, 1280], [640, 480]]) == (720, 1280)
    assert most_common_size([[640, 480], [720, 1280]]) == (720, 1280)  # tie: larger
    with pytest.raises(AlpickError):
        most_common_size(np.zeros((0, 2)))


def _write_kitti(
    folder: Path, name: str, rows: list[tuple[str, float, float, float, float]]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{c} 0.0 0 0.0 {x0} {y0} {x1} {y1} 0 0 0 0 0 0 0" for c, x0, y0, x1, y1 in rows]
    (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")


def test_kitti_boxes_with_a_given_size(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    _write_kitti(labels, "b", [("Apple", 0, 0, 10, 20), ("Pear", 5, 5, 8, 9)])
    _write_kitti(labels, "a", [("Pear", 1, 1, 4, 5)])
    (labels / "c.txt").write_text("")  # an image with no boxes
    (labels / "d.txt").write_text("Apple 0.0 0 0.0 1 2 3 4 0 0 0 0 0 0 0 0.87\n")  # prediction
    boxes = kitti_boxes(labels, image_size=(720, 1280))
    assert boxes.classes == ["Pear", "Apple"]
    np.testing.assert_allclose(boxes.wh, [[3, 4], [10, 20], [3, 4], [2, 2]])
    np.testing.assert_allclose(boxes.image_sizes, np.tile([720, 1280], (4, 1)))


def test_kitti_boxes_reads_image_sizes(tmp_path: Path) -> None:
    _write_kitti(tmp_path / "labels", "a", [("apple", 0, 0, 10, 20)])
    _write_kitti(tmp_path / "labels", "b", [("apple", 0, 0, 5, 5)])
    (tmp_path / "images").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "a.png")
    Image.new("RGB", (32, 32)).save(tmp_path / "images" / "b.jpg")
    Image.new("RGB", (32, 32)).save(tmp_path / "images" / "c.png")
    boxes = kitti_boxes(tmp_path / "labels")
    np.testing.assert_allclose(boxes.image_sizes, [[64, 48], [32, 32]])
    assert boxes.image_extension == "png"
    (tmp_path / "images" / "b.jpg").unlink()
    with pytest.raises(AlpickError, match="no image for b"):
        kitti_boxes(tmp_path / "labels")


@pytest.mark.parametrize(
    ("line", "match"),
    [("apple 0 0 0 1 2 3", r"KITTI: expected 15 columns \(labels\) or 16 \(predictions\), got 7"),
     ("apple 0 0 0 a 2 3 4 0 0 0 0 0 0 0", "KITTI: not a number: 'a'"),
     ("apple 0 0 0 5 2 3 4 0 0 0 0 0 0 0", r"KITTI: inverted box \(x0=5\.0, y0=2\.0, x1=3\.0")],
)  # fmt: skip
def test_kitti_boxes_errors_name_the_line(tmp_path: Path, line: str, match: str) -> None:
    (tmp_path / "x.txt").write_text("\n" + line + "\n")
    with pytest.raises(AlpickError, match=rf"x\.txt:2: {match}"):
        kitti_boxes(tmp_path, image_size=(10, 10))


def test_kitti_boxes_needs_label_files(tmp_path: Path) -> None:
    with pytest.raises(AlpickError, match="labels folder not found"):
        kitti_boxes(tmp_path / "missing")
    with pytest.raises(AlpickError, match="no KITTI label files"):
        kitti_boxes(tmp_path)
