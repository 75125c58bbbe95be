"""``alpick serve`` for real: uvicorn on 127.0.0.1 with port 0, then its one-line errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the serve extra (uvicorn) is not installed")

from serve_project import Server

TOKEN = "a-token-for-the-cli-test-0123"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _alpick(
    *args: str, cwd: Path | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "alpick", *args]
    env = {"PYTHONPATH": src, "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_serves_the_project_on_a_free_loopback_port(project_root: Path) -> None:
    with Server(project_root) as server:
        status, body = _get(server.base + "/api/overview")
        assert status == 200 and json.loads(body)["samples"] == 12
        status, body = _get(server.base + "/api/samples/1/thumb?size=128")
        assert status == 200 and body[:3] == b"\xff\xd8\xff"
        status, page = _get(server.base + "/")
        assert status == 200 and b"/static/app.js" in page
        status, body = _get(server.base + "/api/samples/%2e%2e%2fetc%2fpasswd/image")
        assert status in (404, 422) and b"root:" not in body and b"error" in body
        status, _ = _get(server.base + "/api/overview", {"Host": "evil.example"})
        assert status == 421
        request = urllib.request.Request(
            server.base + "/api/tags",
            data=json.dumps({"name": "from-cli-test", "sample_ids": [1, 2]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 201
    assert server.proc.returncode is not None
    shown = _alpick("--project", str(project_root), "tag", "show", "from-cli-test")
    assert shown.stdout.split() == ["train_00000.png", "train_00001.png"]


def test_alpick_token_is_required_when_set(project_root: Path) -> None:
    with Server(project_root, env={"ALPICK_TOKEN": TOKEN}) as server:
        assert server.url.endswith(f"?token={TOKEN}")
        assert _get(server.base + "/api/overview")[0] == 401
        assert _get(server.base + "/")[0] == 401
        ok, _ = _get(server.base + "/api/overview", {"Authorization": f"Bearer {TOKEN}"})
        assert ok == 200
        assert _get(server.url)[0] == 200


def test_one_line_errors(project_root: Path, tmp_path: Path) -> None:
    outside = _alpick("serve", cwd=tmp_path)
    assert outside.returncode == 1 and outside.stderr.count("\n") == 1
    assert outside.stderr.startswith("error: no alpick project found")

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        taken = _alpick("--project", str(project_root), "serve", "--port", str(port))
    assert taken.returncode == 1 and taken.stderr.startswith("error: cannot listen on")
    assert taken.stderr.count("\n") == 1

    bad_port = _alpick("--project", str(project_root), "serve", "--port", "70000")
    assert bad_port.returncode == 1 and "between 0 and 65535" in bad_port.stderr
    bad_meta = _alpick("--project", str(project_root), "serve", "--metadata", "nope.csv")
    assert bad_meta.returncode == 1 and "does not exist" in bad_meta.stderr
    bad_host = _alpick("--project", str(project_root), "serve", "--host", "no-such-host.invalid")
    assert bad_host.returncode == 1 and bad_host.stderr.startswith("error: cannot resolve")


def test_without_the_extra_it_says_how_to_get_it(project_root: Path) -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None;"
        f"sys.argv = ['alpick', '--project', {str(project_root)!r}, 'serve'];"
        "from alpick.cli.main import main; main()"
    )
    result = _alpick(code=code)
    assert result.returncode == 1
    assert result.stderr == (
        "error: alpick serve needs the serve extra: pip install 'alpick[serve]'\n"
    )


def test_help_stays_light() -> None:
    # `import alpick` without numpy is checked in tests/cli/test_main.py
    code = (
        "import sys; from alpick.cli.main import app; from typer.testing import CliRunner;"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0 and 'serve' in r.output;"
        "r = CliRunner().invoke(app, ['serve', '--help']); assert '--port' in r.output, r.output;"
        "bad = [m for m in ('fastapi', 'uvicorn', 'starlette', 'torch') if m in sys.modules];"
        "assert not bad, bad"
    )
    result = _alpick(code=code)
    assert result.returncode == 0, result.stderr


def test_open_hands_the_link_to_the_browser(project_root: Path, tmp_path: Path) -> None:
    import shlex
    import time

    seen = tmp_path / "opened.txt"
    script = f"import sys; open({str(seen)!r}, 'w').write(sys.argv[1])"
    browser = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} %s"
    with Server(project_root, "--open", env={"BROWSER": browser}) as server:
        for _ in range(100):
            if seen.exists() and seen.read_text():
                break
            time.sleep(0.1)
        assert seen.read_text() == server.url
