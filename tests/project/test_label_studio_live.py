"""The round trip through a real Label Studio server (``-m slow``).

Starts Label Studio on 127.0.0.1 with a temporary data folder, creates a project through its
REST API, imports alpick's exported tasks (with pre-annotations), submits annotations as a
labeller would (moves a pre-annotated box, deletes one, adds one), exports, imports back into
alpick and checks the project's labels equal what was submitted, to the pixel.

Label Studio is found as ``$ALPICK_LABEL_STUDIO`` (its ``label-studio`` executable, e.g. from its
own virtual environment), else on ``PATH`` (``pip install alpick[labelstudio]``), else it is
installed into a virtual environment of its own in a temporary folder (``pip install
label-studio``, under ``nice``). The test skips, saying why, when none of this works.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from alpick.api import Project

pytestmark = pytest.mark.slow

TOKEN = "alpick-test-token-0123456789"
START_TIMEOUT = float(os.environ.get("ALPICK_LABEL_STUDIO_START_S", "900"))


def _label_studio(tmp: Path) -> Path:
    given = os.environ.get("ALPICK_LABEL_STUDIO")
    if given:
        if not Path(given).is_file():
            pytest.skip(f"ALPICK_LABEL_STUDIO={given} is not a file")
        return Path(given)
    found = shutil.which("label-studio")
    if found:
        return Path(found)
    venv = tmp / "ls-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run(
            ["nice", "-n", "19", str(venv / "bin/pip"), "install", "-q", "label-studio"],
            check=True,
            timeout=3600,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"Label Studio is not installed and `pip install label-studio` failed: {exc}")
    return venv / "bin/label-studio"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {TOKEN}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=120) as answer:
            raw = answer.read()
        return json.loads(raw) if raw.strip() else None

    def body(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", f"Token {TOKEN}")
        with urllib.request.urlopen(request, timeout=60) as answer:
            return bytes(answer.read())

    def status(self, path: str) -> int:
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", f"Token {TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "p"
    (root / "data/raw/images").mkdir(parents=True)
    (root / "data/raw/labels").mkdir(parents=True)
    (root / "pred").mkdir()
    for i in range(3):
        Image.new("RGB", (100, 80), (60 * i, 90, 0)).save(root / f"data/raw/images/im{i}.png")
        (root / f"data/raw/labels/im{i}.txt").write_text("")
        (root / f"pred/im{i}.txt").write_text(
            "apple 0 0 0 10 10 30 40 0 0 0 0 0 0 0 0.9\napple 0 0 0 50 20 70 60 0 0 0 0 0 0 0 0.8\n"
        )
    p = Project.create(root)
    p.import_samples()
    p.create_tag("r1", p.sample_ids().tolist())
    p.import_predictions(root / "pred", "kitti", name="pred")
    yield p
    p.close()


@pytest.fixture
def server(project: Project, tmp_path: Path) -> Iterator[Api]:
    exe = _label_studio(tmp_path)
    port = _free_port()
    data = tmp_path / "ls-data"
    env = {
        **os.environ,
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(project.root),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        # the --user-token is a "legacy" token, off by default since Label Studio 1.18
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    }
    command = [
        "nice", "-n", "19", str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1",
        "--port", str(port), "--data-dir", str(data), "--username", "labeller@example.com",
        "--password", "alpick-test-pw", "--user-token", TOKEN,
    ]  # fmt: skip
    log = (tmp_path / "ls.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                tail = (tmp_path / "ls.log").read_text(errors="replace")[-600:]
                pytest.skip(f"Label Studio ({exe}) exited with {proc.returncode}: {tail}")
            try:
                if api.status("/health") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.skip(f"Label Studio did not answer on port {port} in {START_TIMEOUT:.0f} s")
            time.sleep(2)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _moved(result: dict[str, Any], dx: float) -> dict[str, Any]:
    out = json.loads(json.dumps(result))
    out["value"]["x"] += dx
    out.pop("score", None)
    out.pop("id", None)
    return out


def test_label_studio_round_trip(project: Project, server: Api, tmp_path: Path) -> None:
    export = project.export_tag("r1", tmp_path / "ls", "label-studio", predictions="pred")
    assert export.boxes == 6
    config = (tmp_path / "ls/labeling-config.xml").read_text()
    created = server.call("POST", "/api/projects", {"title": "alpick", "label_config": config})
    pid = created["id"]
    server.call(
        "POST",
        "/api/storages/localfiles",
        {
            "project": pid,
            "path": str(project.images_dir),
            "title": "images",
            "use_blob_urls": False,
        },
    )
    tasks = json.loads((tmp_path / "ls/tasks.json").read_text())
    server.call("POST", f"/api/projects/{pid}/import", tasks)
    listed = server.call(
        "GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true"
    )
    assert len(listed) == 3 and all(t["predictions"] for t in listed)
    # the images are served to the labeller from the local-files storage
    image = listed[0]["data"]["image"]
    assert image.startswith("/data/local-files/?d=data/raw/images/")
    assert (
        server.body(image) == (project.images_dir / listed[0]["data"]["alpick_path"]).read_bytes()
    )
    by_path = {t["data"]["alpick_path"]: t for t in listed}
    expected: dict[str, list[list[float]]] = {}
    for path, task in by_path.items():
        (prediction,) = server.call("GET", f"/api/predictions?task={task['id']}")
        pre = prediction["result"]
        assert len(pre) == 2 and pre[0]["score"] == pytest.approx(0.9)
        if path == "im0.png":  # move the first pre-annotated box 7 px right (100 px wide)
            result = [_moved(pre[0], 7.0), _moved(pre[1], 0.0)]
            expected[path] = [[17, 10, 37, 40], [50, 20, 70, 60]]
        elif path == "im1.png":  # delete the second box
            result = [_moved(pre[0], 0.0)]
            expected[path] = [[10, 10, 30, 40]]
        else:  # add one: x 80..95, y 4..20 on a 100 x 80 image
            new = _moved(pre[0], 0.0)
            new["value"].update({"x": 80.0, "y": 5.0, "width": 15.0, "height": 20.0})
            result = [_moved(pre[0], 0.0), _moved(pre[1], 0.0), new]
            expected[path] = [[10, 10, 30, 40], [50, 20, 70, 60], [80, 4, 95, 20]]
        server.call(
            "POST",
            f"/api/tasks/{task['id']}/annotations",
            {"result": result, "was_cancelled": False, "ground_truth": False},
        )
    exported = server.call(
        "GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true"
    )
    done = tmp_path / "export.json"
    done.write_text(json.dumps(exported))
    report = project.import_labels(done, "label-studio", add_classes=True)  # a new pool
    assert report.new_classes == ["apple"]
    assert report.label_set.images == 3 and report.skipped == 0
    ids = {s.path: s.id for s in project.samples()}
    labels = project.labels()
    for path, boxes in expected.items():
        got = labels[ids[path]]
        np.testing.assert_allclose(got.xyxy, np.array(boxes, np.float32), atol=1e-3, rtol=0)
        assert got.class_id.tolist() == [0] * len(boxes)
