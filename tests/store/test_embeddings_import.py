from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from alpick.errors import AlpickError
from alpick.store.embeddings_import import default_name, import_embeddings
from alpick.store.project import ProjectStore


@pytest.fixture
def project(make_pool: Callable[..., Path]) -> ProjectStore:
    p = ProjectStore.create(make_pool(3))
    p.import_samples()
    return p


def _csv(path: Path, rows: list[str], dim: int = 2) -> Path:
    header = ",".join(["filenames", *(f"embedding_{i}" for i in range(dim)), "labels"])
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_csv_rows_in_any_order_are_aligned(project: ProjectStore, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "embeddings.csv",
        ["img_002.png,2.0,2.5,0", "img_000.png,0.0,0.5,0", "img_001.png,1.0,1.5,0"],
    )
    record = import_embeddings(project, f)
    assert (record.name, record.rows, record.dim, record.model) == ("embeddings", 3, 2, "imported")
    array, _ = project.embeddings("embeddings")
    assert array.tolist() == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["img_000.png,0,0,0", "img_001.png,1,1,0"], r"covers 2 of 3 images; missing: img_002.png"),
        (
            ["img_000.png,0,0,0", "img_001.png,1,1,0", "img_002.png,1,1,0", "zz.png,1,1,0"],
            "not in the project: 'zz.png'",
        ),
        (["img_000.png,0,0,0", "img_000.png,1,1,0", "img_002.png,1,1,0"], "listed twice"),
        (
            ["img_000.png,0,0,0", "img_001.png,1,0", "img_002.png,1,1,0"],
            r"e\.csv:3: expected 4 columns \(a file name, 2 numbers, a label\), got 3",
        ),
        (
            ["img_000.png,0,0,0", "img_001.png,1,oops,0", "img_002.png,1,1,0"],
            r"e\.csv:3: not a number: 'oops'",
        ),
    ],
)
def test_bad_csv_files_change_nothing(
    project: ProjectStore, tmp_path: Path, rows: list[str], message: str
) -> None:
    with pytest.raises(AlpickError, match=message):
        import_embeddings(project, _csv(tmp_path / "e.csv", rows))
    assert project.embedding_sets() == []


def test_npy_with_filenames(project: ProjectStore, tmp_path: Path) -> None:
    np.save(tmp_path / "e.npy", np.array([[1.0], [0.0], [2.0]], np.float32))
    (tmp_path / "names.txt").write_text("img_001.png\nimg_000.png\nimg_002.png\n")
    record = import_embeddings(
        project, tmp_path / "e.npy", filenames=tmp_path / "names.txt", name="n1"
    )
    assert record.meta["format"] == "npy"
    assert project.embeddings("n1")[0].ravel().tolist() == [0.0, 1.0, 2.0]
    (tmp_path / "short.txt").write_text("img_001.png\n")
    with pytest.raises(AlpickError, match=r"has 3 rows but .*short\.txt lists 1 names"):
        import_embeddings(project, tmp_path / "e.npy", filenames=tmp_path / "short.txt")
    with pytest.raises(AlpickError, match="needs --filenames"):
        import_embeddings(project, tmp_path / "e.npy")
    with pytest.raises(AlpickError, match="does not exist"):
        import_embeddings(project, tmp_path / "missing.csv")


def test_default_name() -> None:
    assert default_name(Path("embeddings.csv")) == "embeddings"
    assert default_name(Path("my file (1).csv")) == "my_file__1_"
    assert default_name(Path("-x.npy")) == "e-x"
