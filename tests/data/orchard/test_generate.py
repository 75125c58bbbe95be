import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alpick.data.orchard.generate as orchard
from alpick.data.orchard import (
    METADATA_COLUMNS,
    generate_orchard,
    orchard_contact_sheet,
    read_boxes,
)
from alpick.errors import AlpickError

SMALL = (96, 160)
# sha256 of the pixels and mask of test image 0 at 64x64, seed 0 (see test_pixels_are_pinned)
PINNED = "d85dc2a9fd91fdb7a6a82393cc66bace6385b996619f350cc420c63b9fb92233"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("orchard") / "ds"
    generate_orchard(out, n_train=6, n_test=4, size=SMALL, seed=3)
    return out


def read_metadata(out: Path) -> list[dict[str, str]]:
    with (out / "metadata.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_layout_and_metadata(dataset: Path) -> None:
    rows = read_metadata(dataset)
    assert tuple(rows[0]) == METADATA_COLUMNS
    assert [r["split"] for r in rows] == ["train"] * 6 + ["test"] * 4
    for split, n in (("train", 6), ("test", 4)):
        names = sorted(p.name for p in (dataset / split / "images").iterdir())
        assert names == [f"{split}_{i:05d}.png" for i in range(n)]
        assert sorted(p.name for p in (dataset / split / "masks").iterdir()) == names
        assert (dataset / split / "boxes.json").is_file()
    for row in rows:
        image = Image.open(dataset / row["split"] / "images" / row["image"])
        mask = Image.open(dataset / row["split"] / "masks" / row["image"])
        assert image.mode == "RGB" and image.size == SMALL
        assert mask.mode in ("L", "I;16") and mask.size == SMALL
    assert [p.name for p in dataset.parent.iterdir()] == ["ds"]  # no temporary leftovers


def test_records_are_the_extents_of_the_mask_ids(dataset: Path) -> None:
    rows = read_metadata(dataset)
    for split in ("train", "test"):
        record = read_boxes(dataset / split)
        names = [r["image"] for r in rows if r["split"] == split]
        assert sorted(record) == sorted(names)
        for row in (r for r in rows if r["split"] == split):
            mask = np.asarray(Image.open(dataset / split / "masks" / row["image"]))
            expected = []
            for i in range(1, int(mask.max()) + 1):
                ys, xs = np.nonzero(mask == i)
                if len(xs) == 0:
                    continue
                box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
                if box[2] - box[0] > 1 and box[3] - box[1] > 1:
                    expected.append(box)
            assert record[row["image"]].tolist() == expected
            assert int(row["apple_count"]) == len(expected)


def test_same_seed_gives_byte_identical_files(tmp_path: Path, dataset: Path) -> None:
    again = tmp_path / "again"
    generate_orchard(again, n_train=6, n_test=4, size=SMALL, seed=3)
    files = sorted(p.relative_to(dataset) for p in dataset.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (dataset / f).read_bytes() == (again / f).read_bytes(), f


def test_images_do_not_depend_on_the_counts(tmp_path: Path, dataset: Path) -> None:
    fewer = tmp_path / "fewer"
    generate_orchard(fewer, n_train=2, n_test=1, size=SMALL, seed=3)
    for name in ("train/images/train_00000.png", "train/masks/train_00001.png"):
        assert (fewer / name).read_bytes() == (dataset / name).read_bytes()
    assert (fewer / "test/images/test_00000.png").read_bytes() == (
        dataset / "test/images/test_00000.png"
    ).read_bytes()


def test_another_seed_gives_other_images(tmp_path: Path, dataset: Path) -> None:
    other = tmp_path / "other"
    generate_orchard(other, n_train=1, n_test=0, size=SMALL, seed=4)
    name = "train/images/train_00000.png"
    assert (other / name).read_bytes() != (dataset / name).read_bytes()


def test_pixels_are_pinned(tmp_path: Path) -> None:
    """Guards the generator's output on every machine; update only on purpose."""
    out = tmp_path / "pinned"
    generate_orchard(out, n_train=1, n_test=1, size=(64, 64), seed=0)
    pixels = np.asarray(Image.open(out / "test/images/test_00000.png")).tobytes()
    mask = np.asarray(Image.open(out / "test/masks/test_00000.png")).tobytes()
    digest = hashlib.sha256(pixels + mask).hexdigest()
    assert digest == PINNED, digest


def test_report_counts(tmp_path: Path) -> None:
    report = generate_orchard(tmp_path / "r", n_train=8, n_test=5, size=SMALL, seed=1)
    assert report.images == {"train": 8, "test": 5}
    assert sum(report.conditions["test"].values()) == 5
    assert all(v == 1 for v in report.conditions["test"].values())
    line = report.summary()
    assert "\n" not in line and "train: 8 images" in line and "test: 5 images" in line


def test_big_ids_use_16_bit_masks(tmp_path: Path) -> None:
    mask = np.zeros((4, 4), dtype=np.uint16)
    mask[0, 0] = 300
    assert orchard._mask_pixels(mask).dtype == np.uint16
    mask[0, 0] = 255
    assert orchard._mask_pixels(mask).dtype == np.uint8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_train": 0}, "n-train"),
        ({"n_test": -1}, "n-test"),
        ({"size": (63, 200)}, "64x64"),
        ({"size": (200, 10)}, "64x64"),
        ({"seed": -2}, "seed"),
        ({"regime": "skewed"}, "regime"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AlpickError, match=message):
        generate_orchard(tmp_path / "x", **{"n_train": 1, "n_test": 0, "size": SMALL, **kwargs})
    assert not (tmp_path / "x").exists()


def test_unwritable_out(tmp_path: Path) -> None:
    afile = tmp_path / "a_file"
    afile.write_text("x")
    with pytest.raises(AlpickError, match="is a file"):
        generate_orchard(afile / "sub", n_train=1, n_test=0, size=SMALL)
    with pytest.raises(AlpickError, match="is a file"):
        generate_orchard(afile, n_train=1, n_test=0, size=SMALL)


def test_existing_out_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    generate_orchard(out, n_train=1, n_test=0, size=SMALL)  # empty folder: fine
    with pytest.raises(AlpickError, match="not empty"):
        generate_orchard(out, n_train=1, n_test=0, size=SMALL)
    (out / "stale.txt").write_text("old")
    generate_orchard(out, n_train=2, n_test=0, size=SMALL, overwrite=True)
    assert not (out / "stale.txt").exists()
    assert len(read_metadata(out)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_interrupt_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = orchard.render_sequence

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(orchard, "render_sequence", flaky)
    with pytest.raises(KeyboardInterrupt):
        generate_orchard(tmp_path / "ds", n_train=20, n_test=2, size=SMALL)
    assert list(tmp_path.iterdir()) == []


def test_contact_sheet(tmp_path: Path, dataset: Path) -> None:
    sheet = tmp_path / "sheet.png"
    shown = orchard_contact_sheet(dataset, sheet, n=4, cols=2)
    assert len(shown) == 4
    image = Image.open(sheet)
    assert image.width == 2 * 256
    with pytest.raises(AlpickError):
        orchard_contact_sheet(tmp_path / "missing", sheet)
