"""The CLI's command list, found from the typer app, for the tests that walk every command.

A command added to the app is walked automatically; the tables below say, with a reason, which
commands a walk must not really run and which outputs are not checked at parse time yet.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from alpick.cli import common
from alpick.cli.main import app

# Commands a walk that really runs commands skips: they start servers or train for minutes.
# (Walks that replace the command's body, like the internal-error one, cover them too.)
LONG_RUNNING: dict[tuple[str, ...], str] = {
    ("serve",): "starts a web server that runs until stopped",
    ("demo",): "generates an orchard and trains detectors for minutes",
    ("simulate",): "trains a detector per round and strategy",
    ("train",): "trains a detector",
    ("predict",): "needs a trained run",
    ("tlt", "train"): "runs the TAO container (or only prints its command)",
    ("tlt", "infer"): "runs the TAO container (or only prints its command)",
}

# Written outputs not yet checked by an output callback at parse time, with the reason.
UNCHECKED_OUTPUTS: dict[tuple[tuple[str, ...], str], str] = {
    (("tlt", "infer"), "out"): "written by the TAO container, not by alpick",
    (("tlt", "infer"), "out_images"): "written by the TAO container, not by alpick",
}


@dataclass
class Param:
    """One option or argument of a command, as declared in the Python signature."""

    name: str
    info: Any  # typer.models.OptionInfo | ArgumentInfo
    annotation: Any

    @property
    def is_argument(self) -> bool:
        return isinstance(self.info, typer.models.ArgumentInfo)

    @property
    def required(self) -> bool:
        return self.info.default is ... or self.info.default is Ellipsis

    @property
    def flag(self) -> str:
        decls = [d for d in self.info.param_decls if d.startswith("--")]
        return decls[0] if decls else "--" + self.name.replace("_", "-")

    @property
    def output(self) -> Callable[..., Any] | None:
        """The output callback (see ``cli.common.OUTPUT_CALLBACKS``), if any."""
        cb = getattr(self.info, "callback", None)
        return cb if cb in common.OUTPUT_CALLBACKS else None

    @property
    def is_path(self) -> bool:
        return Path in (self.annotation, *typing.get_args(self.annotation))

    def sample(self, tmp: Path) -> list[str]:
        """A value of the right type (a fresh path for paths)."""
        base = self.annotation
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if typing.get_origin(base) in (list, typing.Union) or type(base).__name__ == "UnionType":
            base = args[0] if args else str
        if typing.get_origin(base) is list:
            base = typing.get_args(base)[0]
        value = {int: "1", float: "0.5", bool: ""}.get(base, "x")
        if base is Path:
            value = str(tmp / f"new-{self.name}")
        if self.is_argument:
            return [value]
        return [self.flag] if base is bool else [self.flag, value]


@dataclass
class Command:
    """A command the user can run: its words (``("tag", "list")``) and its typer info."""

    path: tuple[str, ...]
    holder: Any  # the CommandInfo or TyperInfo whose ``callback`` runs the command
    attr: str

    @property
    def id(self) -> str:
        return " ".join(self.path)

    @property
    def callback(self) -> Callable[..., Any]:
        return typing.cast(Callable[..., Any], getattr(self.holder, self.attr))

    def params(self) -> list[Param]:
        hints = typing.get_type_hints(self.callback)
        result = []
        for name, p in inspect.signature(self.callback).parameters.items():
            if isinstance(p.default, typer.models.ParameterInfo):
                result.append(Param(name, p.default, hints.get(name)))
        return result

    def required_args(self, tmp: Path, *, skip: str | None = None) -> list[str]:
        """The command's words and a value for each required parameter (but ``skip``)."""
        words = list(self.path)
        params = [p for p in self.params() if p.required and p.name != skip]
        for p in [p for p in params if p.is_argument] + [p for p in params if not p.is_argument]:
            words += p.sample(tmp)
        return words

    def replace_body(self, monkeypatch: Any, body: Callable[..., Any]) -> None:
        """Run ``body(**kwargs)`` instead of the command (same parameters)."""
        original = self.callback

        @functools.wraps(original)
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            ctx = kwargs.get("ctx")
            if ctx is not None and getattr(ctx, "invoked_subcommand", None):
                return None
            return body(**kwargs)

        monkeypatch.setattr(self.holder, self.attr, stand_in)


def _walk(typer_app: typer.Typer, prefix: tuple[str, ...]) -> Iterator[Command]:
    for info in typer_app.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.replace("_", "-")
        yield Command((*prefix, name), info, "callback")
    for group in typer_app.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        name = group.name or sub.info.name
        assert isinstance(name, str)
        if sub.info.invoke_without_command and sub.registered_callback is not None:
            yield Command((*prefix, name), sub.registered_callback, "callback")
        yield from _walk(sub, (*prefix, name))


def all_commands() -> list[Command]:
    """Every command of ``alpick``, group callbacks that run on their own included."""
    return list(_walk(app, ()))


COMMANDS = all_commands()
COMMAND_IDS = [c.id for c in COMMANDS]
