"""Fixtures of the tests that run commands against a whole project (tests/cli/sample_project.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from tests.cli.sample_project import copy_project, make_project


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project, made once."""
    return make_project(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project_copy(project_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the sample project, as the working folder; internal-error logs written
    outside a project go under ``tmp_path``."""
    root = copy_project(project_template, tmp_path / "p")
    monkeypatch.chdir(root)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return root
