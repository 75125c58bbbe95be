import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    images = tmp_path / "data/raw/images"
    images.mkdir(parents=True)
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (8, 8)).save(images / name)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    return tmp_path


def _csv(path: Path, rows: list[str]) -> None:
    path.write_text("filenames,embedding_0,embedding_1,labels\n" + "\n".join(rows) + "\n")


def test_import_csv_and_npy(project_dir: Path) -> None:
    runner = CliRunner()
    _csv(project_dir / "embeddings.csv", ["c.png,3,3,0", "a.png,1,1,0", "b.png,2,2,0"])
    result = runner.invoke(app, ["embed", "import", "embeddings.csv"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported embeddings 'embeddings': 3 images x 2 dims"

    np.save(project_dir / "e.npy", np.array([[2.0], [1.0], [3.0]]))
    (project_dir / "names.txt").write_text("b.png\na.png\nc.png\n")
    result = runner.invoke(
        app, ["embed", "import", "e.npy", "--filenames", "names.txt", "--name", "mine"]
    )
    assert result.exit_code == 0, result.output
    with Project.open() as project:
        assert project.embeddings("mine")[0].ravel().tolist() == [1.0, 2.0, 3.0]
        assert project.embeddings("embeddings")[0][:, 0].tolist() == [1.0, 2.0, 3.0]
        assert project.embeddings()[1].name == "mine"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["a.png,1,1,0", "b.png,2,2,0"], "covers 2 of 3 images; missing: c.png"),
        (["a.png,1,1,0", "b.png,2,2,0", "c.png,3,3,0", "d.png,4,4,0"], "not in the project"),
        (
            ["a.png,1,1,0", "b.png,2,0", "c.png,3,3,0"],
            r"bad\.csv:3: expected 4 columns \(a file name, 2 numbers, a label\), got 3",
        ),
    ],
)
def test_bad_files_are_refused(project_dir: Path, rows: list[str], message: str) -> None:
    _csv(project_dir / "bad.csv", rows)
    result = CliRunner().invoke(app, ["embed", "import", "bad.csv"])
    assert isinstance(result.exception, AlpickError)
    assert re.search(message, str(result.exception))
    with Project.open() as project:
        assert project.embedding_sets() == []
