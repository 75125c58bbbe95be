"""Walks of every ``alpick`` command (tests/cli/commands.py finds them from the typer app).

- The last line of defence: an unexpected exception in any command is one line on stderr,
  a log file with the traceback, exit 1; ``--debug``/``ALPICK_DEBUG=1`` show the traceback.
- Outputs: every file or folder a command writes is checked while the command line is parsed,
  before the command's work starts; an unwritable place is one line naming path and reason.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.cli.commands import COMMANDS, LONG_RUNNING, UNCHECKED_OUTPUTS, Command

from alpick.api import Project
from alpick.cli.main import run

BY_ID = {c.id: c for c in COMMANDS}


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh temporary folder (for logs written outside a project) and a working folder."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.delenv("ALPICK_DEBUG", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return temp / "alpick-logs"


def _boom(**kwargs: Any) -> None:
    raise RuntimeError("boom\nsecond line")


def test_commands_are_found() -> None:
    ids = set(BY_ID)
    assert {"init", "scores", "tag list", "embed", "embed map", "tlt spec"} <= ids


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.id)
def test_internal_error_is_one_line_and_a_log(
    command: Command,
    logs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    command.replace_body(monkeypatch, _boom)
    code = run(command.required_args(tmp_path / "work"))
    captured = capfd.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 1, captured
    assert len(lines) == 1, captured.err
    want = "error: internal error: RuntimeError: boom second line — details in "
    assert lines[0].startswith(want)
    log = Path(lines[0].rsplit("details in ", 1)[1])
    assert log.parent == logs
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: boom" in text
    assert "Traceback" not in captured.out


@pytest.mark.parametrize("how", ["--debug", "--debug-after", "ALPICK_DEBUG"])
def test_debug_shows_the_traceback(
    how: str,
    logs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    command = BY_ID["tag list"]
    command.replace_body(monkeypatch, _boom)
    args = command.required_args(tmp_path)
    if how == "ALPICK_DEBUG":
        monkeypatch.setenv("ALPICK_DEBUG", "1")
    else:
        args = ["--debug", *args] if how == "--debug" else [*args, "--debug"]
    assert run(args) == 1
    err = capfd.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert err.strip().splitlines()[-1].startswith("error: internal error: RuntimeError")


def test_internal_error_log_goes_into_the_project(
    logs: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    Project.create(Path.cwd())
    BY_ID["tag list"].replace_body(monkeypatch, _boom)
    assert run(["tag", "list"]) == 1
    line = capfd.readouterr().err.strip()
    assert f"details in {Path.cwd() / '.alpick' / 'logs'}{os.sep}error-" in line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.id)
def test_usage_errors_exit_2(
    command: Command, logs: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run([*command.required_args(tmp_path), "--no-such-option"]) == 2
    assert "Traceback" not in capfd.readouterr().err


# --- outputs -------------------------------------------------------------------------------


def _outputs() -> list[tuple[Command, str]]:
    return [(c, p.name) for c in COMMANDS for p in c.params() if p.output is not None]


def _looks_like_output(command: Command, name: str, help_text: str) -> bool:
    words = name.split("_")
    return bool({"out", "dest", "dst", "json", "png", "map"} & set(words)) or (
        "write" in help_text.lower() and "read" not in help_text.lower()
    )


def test_every_written_path_has_an_output_check() -> None:
    """A path parameter that names something the command writes has an output callback (or a
    reason in UNCHECKED_OUTPUTS)."""
    missing = []
    for command in COMMANDS:
        for p in command.params():
            if not p.is_path or p.output is not None:
                continue
            if (command.path, p.name) in UNCHECKED_OUTPUTS:
                continue
            if _looks_like_output(command, p.name, p.info.help or ""):
                missing.append(f"{command.id} {p.name}")
    assert not missing, missing
    assert len(_outputs()) >= 9


BAD_FILE = ["a-folder", "under-a-file", "proc", "read-only"]


def _bad_place(kind: str, tmp: Path, *, folder: bool) -> Path:
    (tmp / "a-file").write_text("x")
    (tmp / "a-folder").mkdir(exist_ok=True)
    if kind == "a-folder":
        return tmp / "a-file" if folder else tmp / "a-folder"
    if kind == "under-a-file":
        return tmp / "a-file" / "sub" / "out.csv"
    if kind == "proc":
        return Path("/proc/alpick-no-such/out.csv")
    ro = tmp / "ro"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o555)
    probe = ro / "probe"
    try:
        probe.write_text("")
        probe.unlink()
        pytest.skip("this user can write into a read-only folder (root)")
    except OSError:
        pass
    return ro / "out.csv"


@pytest.mark.parametrize("kind", BAD_FILE)
@pytest.mark.parametrize(("command", "name"), _outputs(), ids=lambda x: getattr(x, "id", x))
def test_unwritable_output_is_refused_before_the_work(
    command: Command,
    name: str,
    kind: str,
    logs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    param = next(p for p in command.params() if p.name == name)
    folder = param.output.__name__.endswith("dir")  # type: ignore[union-attr]
    bad = _bad_place(kind, tmp_path, folder=folder)
    ran: list[dict[str, Any]] = []
    command.replace_body(monkeypatch, lambda **kw: ran.append(kw))
    if param.is_argument:
        args = command.required_args(tmp_path / "work")
        sample = param.sample(tmp_path / "work")[0]
        if sample in args:
            args[args.index(sample)] = str(bad)
        else:  # an optional argument: after the required ones
            args.append(str(bad))
    else:
        args = [*command.required_args(tmp_path / "work", skip=name), param.flag, str(bad)]
    code = run(args)
    err = capfd.readouterr().err
    assert code == 1, err
    assert not ran, "the command's work started"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert str(bad) in lines[0] and "cannot write" in lines[0], lines[0]


# --- seeds -----------------------------------------------------------------------------------

UNCHECKED_SEEDS: dict[tuple[str, ...], str] = {}


def test_every_seed_is_checked() -> None:
    from alpick.cli.common import seed_option

    missing = [
        f"{c.id} {p.name}"
        for c in COMMANDS
        for p in c.params()
        if p.name == "seed" and p.info.callback is not seed_option and c.path not in UNCHECKED_SEEDS
    ]
    assert not missing, missing


@pytest.mark.parametrize("value", ["-1", str(2**63)])
@pytest.mark.parametrize(
    "command",
    [
        c
        for c in COMMANDS
        if any(p.name == "seed" for p in c.params()) and c.path not in UNCHECKED_SEEDS
    ],
    ids=lambda c: c.id,
)
def test_bad_seed_is_refused_before_the_work(
    command: Command,
    value: str,
    logs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    ran: list[dict[str, Any]] = []
    command.replace_body(monkeypatch, lambda **kw: ran.append(kw))
    assert run([*command.required_args(tmp_path / "work"), "--seed", value]) == 1
    assert not ran
    assert "--seed must be in [0, " in capfd.readouterr().err


# --- stuck projects: every command on a 0-byte database and on a read-only project ----------

# Not run against a project here, and why (they compute for long before touching it).
SLOW_ON_A_PROJECT = {
    **LONG_RUNNING,
    ("generate", "orchard"): "opens no project; would paint 400 images",
}
WALKED = [c for c in COMMANDS if c.path not in SLOW_ON_A_PROJECT]


def _one_line_or_success(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 1:
        assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("command", WALKED, ids=lambda c: c.id)
def test_zero_byte_database(
    command: Command, project_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (project_copy / ".alpick/alpick.db").write_bytes(b"")
    code = run(command.required_args(tmp_path))
    err = capfd.readouterr().err
    _one_line_or_success(code, err)
    if command.path == ("init",):
        assert code == 0, err  # init makes the lost database again


@pytest.mark.parametrize("command", WALKED, ids=lambda c: c.id)
def test_read_only_project(
    command: Command,
    project_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Any command on a project whose database cannot be written: it works without writing
    to the database, or says so in one line; the database is unchanged either way."""
    from tests.cli.sample_project import snapshot

    from alpick.store import db

    monkeypatch.setattr(db, "writable", lambda path: False)
    before = snapshot(project_copy)["<db>"]
    code = run(command.required_args(tmp_path))
    _one_line_or_success(code, capfd.readouterr().err)
    assert snapshot(project_copy)["<db>"] == before
