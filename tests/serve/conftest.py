"""Fixtures of the web app's tests: one generated project per module, an app over it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serve_project import make_project


@pytest.fixture(scope="module")
def project_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("serve"))


@pytest.fixture
def client(project_root: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from alpick.serve.app import create_app
    from alpick.serve.reader import Reader
    from alpick.serve.security import LOOPBACK_NAMES, Guard

    app = create_app(Reader(project_root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
