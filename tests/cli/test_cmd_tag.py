import json
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app
from alpick.errors import AlpickError


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    images = tmp_path / "data/raw/images"
    (images / "sub").mkdir(parents=True)
    for name in ("a.png", "b.png", "sub/c.png"):
        Image.new("RGB", (8, 8)).save(images / name)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    return tmp_path


def test_create_list_show_delete(project_dir: Path) -> None:
    runner = CliRunner()
    (project_dir / "pick.txt").write_text("sub/c.png\n\na.png\n")
    made = runner.invoke(app, ["tag", "create", "initial", "--from-file", "pick.txt"])
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "created tag 'initial' with 2 images"

    listed = runner.invoke(app, ["tag", "list"])
    assert listed.exit_code == 0
    assert "initial" in listed.output and "manual" in listed.output
    row = next(line for line in listed.output.splitlines() if "initial" in line)
    assert " 2 " in row

    shown = runner.invoke(app, ["tag", "show", "initial"])
    assert shown.output.splitlines() == ["sub/c.png", "a.png"]
    record = json.loads(runner.invoke(app, ["tag", "show", "initial", "--format", "json"]).output)
    assert record["samples"] == ["sub/c.png", "a.png"]
    assert record["method"] == "manual" and record["parent"] is None and record["seed"] is None

    assert (
        runner.invoke(app, ["tag", "delete", "initial"]).output.strip() == "deleted tag 'initial'"
    )
    with Project.open() as project:
        assert project.tags() == []


def test_errors(project_dir: Path) -> None:
    runner = CliRunner()
    (project_dir / "pick.txt").write_text("a.png\n")
    (project_dir / "bad.txt").write_text("a.png\nzz.png\nyy.png\n")
    runner.invoke(app, ["tag", "create", "t", "--from-file", "pick.txt"])
    cases = {
        ("tag", "create", "t", "--from-file", "pick.txt"): "already exists",
        ("tag", "create", "u", "--from-file", "bad.txt"): "not in the project: 'zz.png', 'yy.png'",
        ("tag", "create", "u", "--from-file", "nothere.txt"): "cannot read",
        ("tag", "show", "nope"): r"unknown tag 'nope' \(tags: t\)",
        ("tag", "show", "t", "--format", "xml"): "unknown --format",
        ("tag", "delete", "nope"): "unknown tag",
    }
    for args, message in cases.items():
        result = runner.invoke(app, list(args))
        assert isinstance(result.exception, AlpickError), (args, result.output)
        assert re.search(message, str(result.exception)), (args, str(result.exception))
    with Project.open() as project:
        assert [t.name for t in project.tags()] == ["t"]


def test_empty_list(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["tag", "list"])
    assert result.exit_code == 0 and "no tags yet" in result.output
