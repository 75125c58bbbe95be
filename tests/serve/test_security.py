"""The guards: traversal attempts, symlinks, the token, the Host check, same-origin writes,
errors without tracebacks, and reading while another process writes."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")

from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from alpick.api import Project
from alpick.cli.main import app as cli
from alpick.errors import AlpickError
from alpick.serve.app import create_app
from alpick.serve.reader import Reader
from alpick.serve.security import LOOPBACK_NAMES, Guard, host_name, is_loopback
from alpick.serve.server import make_guard, url_for

TOKEN = "t0ken-for-the-tests-0123456789"


def _json_error(response: Any, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text and "root:" not in response.text
    return str(response.json()["error"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/samples/../../../etc/passwd/image",
        "/api/samples/..%2f..%2f..%2fetc%2fpasswd/image",
        "/api/samples/%2e%2e/%2e%2e/etc/passwd/image",
        "/api/samples/%2e%2e%2f%2e%2e%2fetc%2fpasswd/thumb",
        "/api/samples//etc/passwd/image",
        "/api/samples/%2fetc%2fpasswd/image",
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e%2f%2e%2e%2fapp.py",
        "/static/%2e%2e/serve/app.py",
        "/static//etc/passwd",
        "/static/app.js%00.png",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/api/samples/1%2f..%2f..%2f..%2fetc%2fpasswd/image",
        "/api/tags/..%2f..%2fetc/selection",
    ],
)
def test_traversal_attempts_never_reach_files(client: Any, path: str) -> None:
    _json_error(client.get(path), 400, 404, 422)


def _insert_sample(root: Path, path: str) -> int:
    conn = sqlite3.connect(root / ".alpick" / "alpick.db")
    with conn:
        cur = conn.execute(
            "INSERT INTO samples (path, width, height, hash) VALUES (?, 8, 8, 'x')", (path,)
        )
    conn.close()
    return int(cur.lastrowid or 0)


def test_stored_paths_and_symlinks_cannot_leave_the_images_folder(tmp_path: Path) -> None:
    from serve_project import make_project

    root = make_project(tmp_path)
    secret = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), "red").save(secret)
    images = root / "data" / "raw" / "images"
    (images / "link.png").symlink_to(secret)
    (images / "inner.png").symlink_to(images / "train_00000.png")
    with Project.open(root) as p:
        p.import_samples()
        ids = {s.path: s.id for s in p.samples()}
    dotted = _insert_sample(root, "../../../secret.png")
    absolute = _insert_sample(root, str(secret))
    missing = _insert_sample(root, "gone.png")
    app = create_app(Reader(root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for sid in (ids["link.png"], dotted, absolute):
            for what in ("image", "thumb"):
                text = _json_error(c.get(f"/api/samples/{sid}/{what}"), 403)
                assert "outside the images folder" in text
        assert c.get(f"/api/samples/{ids['inner.png']}/image").status_code == 200
        assert "missing" in _json_error(c.get(f"/api/samples/{missing}/image"), 404)
    assert not list((root / ".alpick").rglob("*secret*"))


def test_broken_image_is_a_404(tmp_path: Path) -> None:
    from serve_project import make_project

    root = make_project(tmp_path)
    with Project.open(root) as p:
        first = p.samples()[0]
        (p.images_dir / first.path).write_bytes(b"not an image")
    app = create_app(Reader(root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert "cannot be decoded" in _json_error(c.get(f"/api/samples/{first.id}/thumb"), 404)


def _post(c: Any, body: dict[str, Any], **headers: str) -> Any:
    return c.post("/api/tags", json=body, headers=headers)


def test_create_tag_and_read_it_back_through_the_cli(
    client: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _post(client, {"name": "picked-by-hand", "sample_ids": [5, 2, 9]})
    assert made.status_code == 201, made.text
    assert made.json()["size"] == 3 and made.json()["method"] == "manual"
    monkeypatch.chdir(project_root)
    shown = CliRunner().invoke(cli, ["tag", "show", "picked-by-hand", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert '"method": "manual"' in shown.output and "train_00004.png" in shown.output
    with Project.open(project_root) as p:
        assert p.tag("picked-by-hand").sample_ids == [5, 2, 9]
        assert p.tag("picked-by-hand").config["source"] == "alpick serve"

    assert "already exists" in _json_error(
        _post(client, {"name": "picked-by-hand", "sample_ids": [1]}), 409
    )
    assert "unknown sample" in _json_error(_post(client, {"name": "u", "sample_ids": [999]}), 400)
    assert "more than once" in _json_error(_post(client, {"name": "u", "sample_ids": [1, 1]}), 400)
    assert "at least one" in _json_error(_post(client, {"name": "u", "sample_ids": []}), 400)
    assert "invalid tag name" in _json_error(
        _post(client, {"name": "../x", "sample_ids": [1]}), 400
    )
    _json_error(_post(client, {"name": "u", "sample_ids": ["x"]}), 400)
    _json_error(_post(client, {"name": "u", "sample_ids": [True]}), 400)
    assert "needs a name" in _json_error(_post(client, {"sample_ids": [1]}), 400)
    _json_error(_post(client, {"name": "u", "sample_ids": [1], "evil": 1}), 400)
    _json_error(_post(client, {"name": "u" * 200, "sample_ids": [1]}), 400)
    _json_error(client.post("/api/tags", json=[1, 2]), 400)
    _json_error(_post(client, {"name": "u", "sample_ids": [1], "parent": "nope"}), 400)
    _json_error(
        client.post(
            "/api/tags", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
    )
    huge = client.post(
        "/api/tags",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(10**9)},
    )
    assert "too large" in _json_error(huge, 413)
    form = client.post("/api/tags", data={"name": "u", "sample_ids": "1"})
    _json_error(form, 415)
    plain = client.post(
        "/api/tags",
        content=b'{"name": "u", "sample_ids": [1]}',
        headers={"content-type": "text/plain"},
    )
    assert "application/json" in _json_error(plain, 415)

    evil = _post(client, {"name": "u", "sample_ids": [1]}, origin="http://evil.example")
    assert "cross-origin" in _json_error(evil, 403)
    _json_error(_post(client, {"name": "u", "sample_ids": [1]}, origin="null"), 403)
    site = _post(client, {"name": "u", "sample_ids": [1]}, **{"sec-fetch-site": "cross-site"})
    assert "cross-site" in _json_error(site, 403)
    _json_error(
        _post(client, {"name": "u", "sample_ids": [1]}, **{"sec-fetch-site": "same-site"}), 403
    )
    same = _post(
        client,
        {"name": "same-origin-ok", "sample_ids": [1]},
        origin="http://127.0.0.1",
        **{"sec-fetch-site": "same-origin"},
    )
    assert same.status_code == 201, same.text
    with Project.open(project_root) as p:
        assert "u" not in [t.name for t in p.tags()]


def test_token_is_checked_on_every_request(project_root: Path) -> None:
    app = create_app(Reader(project_root), guard=Guard(TOKEN, None))
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        for path in (
            "/",
            "/static/app.js",
            "/api/overview",
            "/api/samples/1/thumb",
            "/api/samples/1/image",
            "/api/nothing",
        ):
            assert "token" in _json_error(c.get(path), 401)
        _json_error(c.get("/api/overview", headers={"authorization": "Bearer wrong"}), 401)
        _json_error(c.get("/api/overview", params={"token": TOKEN[:-1]}), 401)
        assert (
            c.get("/api/overview", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        )
        assert c.get("/api/overview", headers={"x-alpick-token": TOKEN}).status_code == 200
        _json_error(_post(c, {"name": "tok", "sample_ids": [1]}), 401)
        # the printed link: ?token= sets a strict same-site cookie; then the cookie alone works
        first = c.get("/", params={"token": TOKEN})
        assert first.status_code == 200
        cookie = first.headers["set-cookie"]
        assert "alpick_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert c.get("/api/overview").status_code == 200
        made = _post(c, {"name": "with-token", "sample_ids": [1]}, origin="http://192.0.2.10:8000")
        assert made.status_code == 201, made.text
        evil = _post(c, {"name": "x", "sample_ids": [1]}, origin="http://evil.example")
        _json_error(evil, 403)


def test_loopback_checks_the_host_header(project_root: Path) -> None:
    app = create_app(Reader(project_root), guard=Guard(None, LOOPBACK_NAMES))
    for base, ok in (
        ("http://127.0.0.1:5000", True),
        ("http://localhost", True),
        ("http://[::1]:80", True),
        ("http://evil.example", False),
        ("http://127.0.0.1.evil.example", False),
    ):
        with TestClient(app, base_url=base) as c:
            r = c.get("/api/overview")
            if ok:
                assert r.status_code == 200, base
            else:
                assert "Host" in _json_error(r, 421)


def test_a_bug_is_a_json_500_without_traceback(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpick.serve import views

    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(views, "overview", boom)
    app = create_app(Reader(project_root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        r = c.get("/api/overview")
        assert r.status_code == 500 and r.json() == {"error": "internal error"}


def test_reads_while_another_connection_writes(client: Any, project_root: Path) -> None:
    writer = sqlite3.connect(project_root / ".alpick" / "alpick.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO tags (name, parent_id, method, config, seed, created_at) "
        "VALUES ('in-flight', NULL, 'manual', '{}', NULL, '2026-01-01T00:00:00+00:00')"
    )
    try:
        t0 = time.perf_counter()
        names = [t["name"] for t in client.get("/api/overview").json()["tags"]]
        grid = client.get("/api/samples").json()
        assert time.perf_counter() - t0 < 5 and "in-flight" not in names and grid["total"] >= 12
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert "in-flight" in [t["name"] for t in client.get("/api/overview").json()["tags"]]


def test_parallel_requests(client: Any) -> None:
    errors: list[str] = []

    def hit() -> None:
        for path in ("/api/samples?limit=10", "/api/map", "/api/samples/2", "/api/overview"):
            r = client.get(path)
            if r.status_code != 200:
                errors.append(f"{path} {r.status_code}")

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_guard_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and not is_loopback("0.0.0.0") and not is_loopback("::")
    assert not is_loopback("example.org")
    assert host_name("127.0.0.1:8000") == "127.0.0.1" and host_name("[::1]:80") == "::1"
    assert host_name("LocalHost") == "localhost"
    loop = make_guard("127.0.0.1", env={})
    assert loop.token is None and loop.allowed_hosts == LOOPBACK_NAMES
    assert make_guard("127.0.0.1", env={"ALPICK_TOKEN": TOKEN}).token == TOKEN
    wide = make_guard("0.0.0.0", env={})
    assert wide.allowed_hosts is None and wide.token and len(wide.token) >= 24
    assert make_guard("0.0.0.0", env={}).token != wide.token
    assert make_guard("0.0.0.0", env={"ALPICK_TOKEN": TOKEN}).token == TOKEN
    with pytest.raises(AlpickError, match="at least 16"):
        make_guard("0.0.0.0", env={"ALPICK_TOKEN": "short"})
    assert url_for("::1", 80, None) == "http://[::1]:80/"
    assert url_for("10.0.0.1", 8000, "abc") == "http://10.0.0.1:8000/?token=abc"


def test_missing_images_folder_content_is_not_fatal(tmp_path: Path) -> None:
    from serve_project import make_project

    root = make_project(tmp_path)
    shutil.rmtree(root / "data" / "raw" / "images")
    app = create_app(Reader(root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/samples").status_code == 200
        _json_error(c.get("/api/samples/1/thumb"), 404)
