import os
from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.project import annotate as oracle
from alpick.store.records import Sample


def _pool(root: Path, names: list[str], labelled: set[str]) -> list[Sample]:
    samples = []
    for i, name in enumerate(names):
        image = root / "images" / name
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(f"image {name}".encode())
        if name in labelled:
            label = (root / "labels" / name).with_suffix(".txt")
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text(f"apple 0 0 0 1 1 2 2 0 0 0 0 0 0 0  # {name}\n")
        samples.append(Sample(i + 1, name, 4, 4, "h"))
    return samples


def test_copies_images_and_labels_once(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png", "sub/b.png", "c.jpg"], labelled={"a.png", "sub/b.png"})
    assert oracle.annotate(samples[:2], src=src, dst=dst) == 2
    assert (dst / "images/sub/b.png").read_bytes() == b"image sub/b.png"
    assert (dst / "labels/sub/b.txt").read_text().endswith("# sub/b.png\n")
    assert oracle.annotate(samples, src=src, dst=dst) == 1  # only c.jpg is new
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == [
        "images/a.png",
        "images/c.jpg",
        "images/sub/b.png",
        "labels/a.txt",
        "labels/sub/b.txt",
    ]
    assert oracle.annotate(samples, src=src, dst=dst) == 0


def test_hard_links_on_the_same_filesystem(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png"], labelled={"a.png"})
    oracle.annotate(samples, src=src, dst=dst)
    assert os.path.samefile(src / "images/a.png", dst / "images/a.png")


def test_falls_back_to_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png"], labelled={"a.png"})

    def no_links(a: object, b: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(oracle.os, "link", no_links)
    assert oracle.annotate(samples, src=src, dst=dst) == 1
    assert not os.path.samefile(src / "images/a.png", dst / "images/a.png")
    assert (dst / "labels/a.txt").read_text() == (src / "labels/a.txt").read_text()
    assert not list(dst.rglob("*.tmp"))


def test_label_added_later_is_completed(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png"], labelled=set())
    assert oracle.annotate(samples, src=src, dst=dst) == 1
    (src / "labels").mkdir()
    (src / "labels/a.txt").write_text("x\n")
    assert oracle.annotate(samples, src=src, dst=dst) == 0
    assert (dst / "labels/a.txt").read_text() == "x\n"


def test_missing_source_image_copies_nothing(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png", "b.png"], labelled={"a.png"})
    (src / "images/b.png").unlink()
    with pytest.raises(AlpickError, match=r"images/b\.png does not exist"):
        oracle.annotate(samples, src=src, dst=dst)
    assert not dst.exists()


def test_no_labels_when_suffix_is_none(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png"], labelled={"a.png"})
    oracle.annotate(samples, src=src, dst=dst, label_suffix=None)
    assert not (dst / "labels").exists()


def test_shared_label_files_go_along_once(tmp_path: Path) -> None:
    src, dst = tmp_path / "raw", tmp_path / "train"
    samples = _pool(src, ["a.png"], labelled={"a.png"})
    (src / "labels/classes.txt").write_text("apple\n")
    names = ("classes.txt", "data.yaml")
    oracle.annotate(samples, src=src, dst=dst, shared_label_files=names)
    assert (dst / "labels/classes.txt").read_text() == "apple\n"
    assert not (dst / "labels/data.yaml").exists()
    (dst / "labels/classes.txt").unlink()
    (dst / "labels/classes.txt").write_text("kept\n")
    oracle.annotate(samples, src=src, dst=dst, shared_label_files=names)
    assert (dst / "labels/classes.txt").read_text() == "kept\n"
