import json
from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.tlt.mounts import container_path, default_mounts, mounts_file, write_mounts


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "orchard"
    (root / "yolo_v4" / "specs").mkdir(parents=True)
    return root


def test_writes_the_tutorial_mounts(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = write_mounts(project, project / "yolo_v4/specs", home=home)
    assert path == home / ".tlt_mounts.json"
    assert json.loads(path.read_text()) == {
        "Mounts": [
            {"source": str(project), "destination": "/workspace/tlt-experiments"},
            {
                "source": str(project / "yolo_v4/specs"),
                "destination": "/workspace/tlt-experiments/yolo_v4/specs",
            },
        ]
    }
    assert not (home / ".tlt_mounts.json.bak").exists()


def test_tao_file_and_root(project: Path, tmp_path: Path) -> None:
    path = write_mounts(project, project / "yolo_v4/specs", tao=True, home=tmp_path)
    assert path.name == ".tao_mounts.json" == mounts_file(tao=True, home=tmp_path).name
    dests = [m["destination"] for m in json.loads(path.read_text())["Mounts"]]
    assert dests == ["/workspace/tao-experiments", "/workspace/tao-experiments/yolo_v4/specs"]


def test_merges_into_an_existing_file_and_keeps_a_backup(project: Path, tmp_path: Path) -> None:
    existing = {
        "Mounts": [
            {"source": "/data/other", "destination": "/workspace/other"},
            {"source": "/old/place", "destination": "/workspace/tlt-experiments"},
            {"source": "/older", "destination": "/workspace/tlt-experiments"},
        ],
        "Envs": [{"variable": "CUDA_VISIBLE_DEVICES", "value": "0"}],
        "DockerOptions": {"shm_size": "16G", "user": "1000:1000"},
    }
    path = tmp_path / ".tlt_mounts.json"
    old_text = json.dumps(existing)
    path.write_text(old_text)
    write_mounts(project, project / "yolo_v4/specs", home=tmp_path)
    data = json.loads(path.read_text())
    assert data["Envs"] == existing["Envs"]
    assert data["DockerOptions"] == existing["DockerOptions"]
    assert data["Mounts"] == [
        {"source": "/data/other", "destination": "/workspace/other"},
        {"source": str(project), "destination": "/workspace/tlt-experiments"},
        {
            "source": str(project / "yolo_v4/specs"),
            "destination": "/workspace/tlt-experiments/yolo_v4/specs",
        },
    ]
    assert (tmp_path / ".tlt_mounts.json.bak").read_text() == old_text


def test_second_write_changes_nothing(project: Path, tmp_path: Path) -> None:
    path = write_mounts(project, project / "yolo_v4/specs", home=tmp_path)
    text = path.read_text()
    write_mounts(project, project / "yolo_v4/specs", home=tmp_path)
    assert path.read_text() == text
    assert not path.with_name(path.name + ".bak").exists()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"Mounts": {}}', '{"Mounts": [1]}'])
def test_a_corrupt_file_is_an_error_and_left_alone(
    project: Path, tmp_path: Path, content: str
) -> None:
    path = tmp_path / ".tlt_mounts.json"
    path.write_text(content)
    with pytest.raises(AlpickError, match="not changed"):
        write_mounts(project, project / "yolo_v4/specs", home=tmp_path)
    assert path.read_text() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tlt_mounts.json", "orchard"]


def test_container_path_uses_the_deepest_mount(project: Path, tmp_path: Path) -> None:
    specs = tmp_path / "elsewhere" / "specs"
    mounts = default_mounts(project, specs)
    assert container_path(project, mounts) == "/workspace/tlt-experiments"
    assert (
        container_path(project / "data/train/images", mounts)
        == "/workspace/tlt-experiments/data/train/images"
    )
    assert (
        container_path(specs / "a.txt", mounts) == "/workspace/tlt-experiments/yolo_v4/specs/a.txt"
    )
    with pytest.raises(AlpickError, match="not inside a folder mounted"):
        container_path(tmp_path / "outside.txt", mounts)
