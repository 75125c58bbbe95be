"""The package layout of docs/layout.md: imports point one way, and the CLI goes through the facade.

An AST walk over ``src/alpick``: every ``import alpick.X`` / ``from alpick.X import ...`` (at
module level, inside functions, or under ``TYPE_CHECKING``) must name a package of a lower
layer than the importing one, or the importing package itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import alpick

SRC = Path(alpick.__file__).parent

#: Each top-level module or package of ``alpick``, by layer; a module may import only from its
#: own package or a lower layer (``simulate`` builds on ``project``).
LAYERS: dict[str, int] = {
    "errors": 0,
    "device": 1,
    "fileio": 1,
    "lazy": 1,
    "progress": 1,
    "formats": 2,
    "store": 3,
    "data": 4,
    "detector": 4,
    "embed": 4,
    "evaluate": 4,
    "scores": 4,
    "select": 4,
    "project": 5,
    "tlt": 5,
    "serve": 5,
    "simulate": 6,
    "distributed": 7,
    "api": 8,
    "demo": 9,
    "cli": 10,
}
#: What a CLI module may import at run time: the facade, the demo, the error type, itself,
#: the progress bar, and two data tables named in help texts: the label formats (``alpick init
#: --help``) and the detector's settings, whose defaults ``alpick train --help`` shows (plain
#: dataclasses; importing them loads neither torch nor numpy).
CLI_MAY_IMPORT = {
    "api",
    "demo",
    "errors",
    "cli",
    "progress",
    "formats.registry",
    "detector.config",
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("").parts
        if len(rel) == 1 and rel[0] in ("__init__", "__main__"):
            continue  # the package root: the version, the lazy ``alpick.Project``, ``-m alpick``
        yield ".".join(rel), path


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _is_module(name: str) -> bool:
    return (SRC / f"{name}.py").is_file() or (SRC / name / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """``(module below alpick, line, only for type checking)`` of each alpick import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "alpick":  # submodules only, not names like __version__
                names = [f"alpick.{a.name}" for a in node.names if _is_module(a.name)]
        for name in names:
            if name.startswith("alpick."):
                yield name.removeprefix("alpick."), node.lineno, node.lineno in typing_only


def _package(module: str) -> str:
    return module.split(".")[0]


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m, _ in _modules()}
    assert packages <= set(LAYERS), f"add {sorted(packages - set(LAYERS))} to LAYERS"


def test_imports_point_down() -> None:
    upward = []
    for module, path in _modules():
        mine = _package(module)
        for target, line, _ in _imports(path):
            theirs = _package(target)
            if theirs != mine and theirs in LAYERS and LAYERS[theirs] >= LAYERS[mine]:
                upward.append(f"{path.relative_to(SRC)}:{line} imports alpick.{target}")
    assert not upward, "imports that do not point down:\n" + "\n".join(upward)


def test_the_cli_goes_through_the_facade() -> None:
    below = []
    for module, path in _modules():
        if _package(module) != "cli":
            continue
        for target, line, typing_only in _imports(path):
            allowed = target in CLI_MAY_IMPORT or _package(target) in CLI_MAY_IMPORT
            if not typing_only and not allowed:
                below.append(f"{path.relative_to(SRC)}:{line} imports alpick.{target}")
    assert not below, "CLI modules must call alpick.api:\n" + "\n".join(below)


def test_nothing_below_the_facade_imports_it() -> None:
    users = [
        f"{path.relative_to(SRC)}:{line}"
        for module, path in _modules()
        if LAYERS[_package(module)] < LAYERS["api"]
        for target, line, _ in _imports(path)
        if _package(target) == "api"
    ]
    assert not users
