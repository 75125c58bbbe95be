"""The tutorial's TLT/TAO commands for a project: built, printed without the key, and run.

The key (the NGC model key passed with ``-k``) comes from an environment variable and is never
printed: commands hold the placeholder ``$KEY`` (the variable's name), so a printed command can
be pasted into a shell that has the variable set. :func:`run_commands` substitutes the real value
only in the argument list handed to the process.

``tlt`` is the TLT 3.0 launcher (``tlt yolo_v4 train ...``). ``tao`` defaults to the TAO 3.x
launcher (``tao yolo_v4 ...``), the era of the tutorial's TAO spec (``output_channel``,
``image_extension``, ``.tlt`` checkpoints); TAO 4 and later group the task under ``model``
(``tao model yolo_v4 ...``): pass ``model_group=True``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from alpick.errors import AlpickError
from alpick.tlt.spec import Block

__all__ = [
    "check_runnable",
    "default_model_path",
    "format_command",
    "key_placeholder",
    "run_commands",
    "tlt_commands",
]

Action = Literal["train", "infer"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def key_placeholder(key_env: str) -> str:
    """``$NAME``: what printed commands show instead of the key.

    Raises:
        AlpickError: If ``key_env`` is not a valid environment variable name.
    """
    if not _ENV_NAME.match(key_env):
        raise AlpickError(f"not an environment variable name: {key_env!r}")
    return f"${key_env}"


def tlt_commands(
    action: Action,
    *,
    tao: bool,
    spec_path: str,
    experiment_dir: str,
    key_env: str = "KEY",
    gpus: int = 1,
    model_path: str | None = None,
    images_dir: str | None = None,
    out_images_dir: str | None = None,
    out_labels_dir: str | None = None,
    model_group: bool = False,
) -> list[list[str]]:
    """The launcher commands of one step, as argument lists with the key as ``$KEY_ENV``.

    Paths are container paths (``/workspace/tlt-experiments/...``).

    Args:
        action: ``"train"`` (``yolo_v4 train -e SPEC -r DIR -k KEY --gpus N``) or ``"infer"``
            (``yolo_v4 inference -i IMAGES -o OUT_IMAGES -e SPEC -m MODEL -l OUT_LABELS -k KEY``;
            TAO adds ``--gpus N`` as in the TAO tutorial).
        tao: Use the ``tao`` launcher instead of ``tlt``.
        spec_path: The spec file.
        experiment_dir: The training output folder (``-r``).
        key_env: The environment variable holding the key.
        gpus: Number of GPUs.
        model_path: The ``.tlt`` model for inference (required for ``infer``).
        images_dir: Images to run inference on (required for ``infer``).
        out_images_dir: Where inference draws the annotated images (required for ``infer``).
        out_labels_dir: Where inference writes KITTI labels with confidence (required for
            ``infer``).
        model_group: TAO 4+ syntax ``tao model yolo_v4 ...``.

    Raises:
        AlpickError: On an unknown action, a bad ``key_env`` or a missing inference path.
    """
    key = key_placeholder(key_env)
    if gpus < 1:
        raise AlpickError(f"--gpus must be at least 1, got {gpus}")
    launcher = ["tao", "model"] if tao and model_group else ["tao" if tao else "tlt"]
    base = [*launcher, "yolo_v4"]
    if action == "train":
        cmd = [
            *base,
            "train",
            "-e",
            spec_path,
            "-r",
            experiment_dir,
            "-k",
            key,
            "--gpus",
            str(gpus),
        ]
        return [cmd]
    if action == "infer":
        needed = {
            "model": model_path,
            "images folder": images_dir,
            "output images folder": out_images_dir,
            "output labels folder": out_labels_dir,
        }
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise AlpickError(f"inference needs the {', '.join(missing)}")
        assert model_path and images_dir and out_images_dir and out_labels_dir
        cmd = [
            *base, "inference",
            "-i", images_dir,
            "-o", out_images_dir,
            "-e", spec_path,
            "-m", model_path,
            "-l", out_labels_dir,
            "-k", key,
        ]  # fmt: skip
        if tao:
            cmd += ["--gpus", str(gpus)]
        return [cmd]
    raise AlpickError(f"unknown action {action!r}; use train or infer")


def format_command(argv: Sequence[str], *, key_env: str = "KEY", wrap: bool = True) -> str:
    """A shell line for ``argv``: arguments quoted, the ``$KEY`` placeholder left to the shell.

    With ``wrap``, each option starts a continued line as in the tutorial.
    """
    placeholder = key_placeholder(key_env)
    words = [a if a == placeholder else shlex.quote(a) for a in argv]
    if not wrap:
        return " ".join(words)
    lines: list[list[str]] = [[]]
    for word in words:
        if word.startswith("-") and lines[-1]:
            lines.append([])
        lines[-1].append(word)
    return " \\\n    ".join(" ".join(line) for line in lines)


def check_runnable(
    commands: Sequence[Sequence[str]],
    *,
    key_env: str = "KEY",
    env: Mapping[str, str] | None = None,
    need_path: bool = True,
) -> str:
    """Check that the commands can run; return the key (for :func:`run_commands` only).

    Raises:
        AlpickError: If a launcher is not on PATH (when ``need_path``) or the key variable is
            unset or empty. Messages never contain the key.
    """
    key_placeholder(key_env)
    if need_path:
        for binary in dict.fromkeys(argv[0] for argv in commands):
            if shutil.which(binary) is None:
                raise AlpickError(
                    f"{binary} is not on PATH; install NVIDIA TLT/TAO or run the printed "
                    "commands where it is"
                )
    key = (os.environ if env is None else env).get(key_env, "")
    if not key:
        raise AlpickError(
            f"environment variable {key_env} is not set; export your NGC key in it "
            f"(`export {key_env}=...`, or name another variable with --key-env); "
            "it is never printed"
        )
    return key


def run_commands(
    commands: Sequence[Sequence[str]],
    *,
    key_env: str = "KEY",
    env: Mapping[str, str] | None = None,
    runner: Callable[[list[str]], int] | None = None,
) -> None:
    """Run commands one after another, the key's value substituted for its placeholder.

    Args:
        commands: Argument lists from :func:`tlt_commands`.
        key_env: The environment variable holding the key.
        env: The environment to read the key from (default: ``os.environ``).
        runner: Runs one argument list and returns its exit status (default: a subprocess,
            which needs the launcher on PATH); for tests.

    Raises:
        AlpickError: As :func:`check_runnable`, or if a command fails. Messages never contain
            the key.
    """
    key = check_runnable(commands, key_env=key_env, env=env, need_path=runner is None)
    placeholder = key_placeholder(key_env)
    run = runner or _subprocess_runner
    for argv in commands:
        status = run([key if a == placeholder else a for a in argv])
        if status != 0:
            step = " ".join(a for a in argv[:4] if not a.startswith("-"))
            raise AlpickError(f"`{step}` failed with exit status {status}")


def _subprocess_runner(argv: list[str]) -> int:
    return subprocess.run(argv, check=False).returncode


def default_model_path(spec: Block, experiment_dir: str) -> str:
    """The last checkpoint training with ``spec`` writes, as TLT names it.

    ``<experiment_dir>/weights/yolov4_<arch><nlayers>_epoch_<num_epochs, 3 digits>.tlt``, e.g.
    ``.../weights/yolov4_resnet18_epoch_050.tlt``.

    Raises:
        AlpickError: If the spec lacks ``training_config.num_epochs``.
    """
    epochs = spec.get("training_config.num_epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool):
        raise AlpickError("the spec has no training_config.num_epochs; pass --model")
    arch = spec.get("yolov4_config.arch", "resnet")
    nlayers = spec.get("yolov4_config.nlayers", 18)
    name = f"yolov4_{arch}{nlayers if isinstance(nlayers, int) else ''}_epoch_{epochs:03d}.tlt"
    return f"{experiment_dir.rstrip('/')}/weights/{name}"
