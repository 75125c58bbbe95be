"""CLI: the `tlt` commands (parsing and printing only): TLT/TAO mounts, spec, train, infer."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alpick.cli.common import err, open_project, parse_wxh, project_output_file, seed_option, state
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.api import TltWorkspace

DEFAULT_SPEC = Path("yolo_v4/specs/yolo_v4.txt")
DEFAULT_EXPERIMENT = Path("yolo_v4/experiment_dir_unpruned")

sub = typer.Typer(
    no_args_is_help=True,
    help=(
        "Train with NVIDIA TLT/TAO: write the launcher's mounts and a YOLOv4 spec, print (or "
        "run) the tutorial's train and inference commands."
    ),
)

_TAO = typer.Option(False, "--tao", help="TAO instead of TLT (tao launcher, tao-experiments).")
_KEY_ENV = typer.Option(
    "KEY", "--key-env", help="Environment variable holding the NGC key (never printed)."
)
_RUN = typer.Option(False, "--run", help="Run the commands (needs tlt/tao on PATH).")
_SPEC = typer.Option(DEFAULT_SPEC, "--spec", help="The spec file, relative to the project.")
_EXPERIMENT = typer.Option(
    DEFAULT_EXPERIMENT, "--experiment-dir", help="Training output folder, relative to the project."
)
_GPUS = typer.Option(1, "--gpus", min=1, help="Number of GPUs.")
_MODEL_GROUP = typer.Option(
    False, "--model-group", help="TAO 4+ syntax: `tao model yolo_v4 ...` (default: TAO 3.x)."
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(sub, name="tlt")


def _root() -> Path:
    """The project folder; outside a project, ``--project`` or the working directory."""
    from alpick.api import find_project_root

    if state.project_dir is not None:
        return state.project_dir.resolve()
    return find_project_root() or Path.cwd().resolve()


def _workspace(tao: bool) -> TltWorkspace:
    from alpick.api import TltWorkspace

    return TltWorkspace(_root(), tao)


@sub.command("mounts")
def mounts_cmd(tao: bool = _TAO) -> None:
    """Write ~/.tlt_mounts.json (~/.tao_mounts.json with --tao): project -> experiments root.

    Merges into an existing file (other mounts, Envs and DockerOptions are kept) and copies the
    previous file to <file>.bak first.
    """
    workspace = _workspace(tao)
    path = workspace.write_mounts()
    for mount in workspace.mounts():
        typer.echo(f"{mount['source']} -> {mount['destination']}")
    typer.echo(f"wrote {path}")


@sub.command("spec")
def spec_cmd(
    out: Path = typer.Option(
        DEFAULT_SPEC,
        "--out",
        help="Spec to write, relative to the project.",
        callback=project_output_file,
    ),
    tao: bool = _TAO,
    tag: str | None = typer.Option(None, "--tag", help="Tag whose labelled boxes set the anchors."),
    template: Path | None = typer.Option(
        None, "--template", help="Spec to start from (default: the existing --out, else alpick's)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Start from alpick's default spec."),
    labels: Path | None = typer.Option(
        None, "--labels", help="Read boxes from this folder of KITTI files instead of the project."
    ),
    image_size: str | None = typer.Option(
        None, "--image-size", help="WIDTHxHEIGHT of the images (with --labels; default: read)."
    ),
    images: Path | None = typer.Option(
        None, "--images", help="Images of --labels, to read sizes (default: LABELS/../images)."
    ),
    train_dir: str = typer.Option("data/train", "--train-dir", help="Training folder."),
    val_dir: str | None = typer.Option(
        None, "--val-dir", help="Validation folder (default: train)."
    ),
    pretrained: str | None = typer.Option(None, "--pretrained", help="pretrain_model_path."),
    resume: str | None = typer.Option(None, "--resume", help="resume_model_path (replaces it)."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="num_epochs."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="batch_size_per_gpu."),
    seed: int = typer.Option(
        0, "--seed", help="Seed of the anchors' k-means.", callback=seed_option
    ),
) -> None:
    """Write a YOLOv4 spec: anchors, output size, class mapping and paths from the data."""
    from alpick.api import SpecSettings, kitti_boxes, spec_summary

    if labels is not None and tag is not None:
        raise AlpickError("--tag reads the project's labels; don't combine it with --labels")
    if labels is not None:
        size = (
            parse_wxh(image_size, option="--image-size", example="720x1280") if image_size else None
        )
        boxes = kitti_boxes(labels, image_size=size, images_dir=images)
    else:
        if image_size or images:
            raise AlpickError("--image-size and --images go with --labels")
        with open_project() as project:
            boxes = project.tlt_boxes(tag)
    settings = SpecSettings(train_dir, val_dir, pretrained, resume, epochs, batch_size, seed)
    spec, out_path, source = _workspace(tao).write_spec(
        out, boxes, settings, template=template, fresh=fresh
    )
    summary = spec_summary(spec, boxes)
    typer.echo(f"{len(boxes.wh)} boxes, classes: {', '.join(boxes.classes)}")
    typer.echo(f"output size {summary.output_size[0]}x{summary.output_size[1]}")
    for group, text in summary.anchors.items():
        typer.echo(f"{group} anchors {text}")
    typer.echo(f"mean IoU of each box with its best anchor: {summary.mean_iou:.3f}")
    typer.echo(f"wrote {out_path}" + (f" (from {source})" if source is not None else ""))


def _print_or_run(commands: list[list[str]], *, key_env: str, run: bool) -> None:
    from alpick.api import format_command, run_commands

    for argv in commands:
        typer.echo(format_command(argv, key_env=key_env))
    if run:
        run_commands(commands, key_env=key_env)


@sub.command("train")
def train_cmd(
    run: bool = _RUN,
    tao: bool = _TAO,
    spec: Path = _SPEC,
    experiment_dir: Path = _EXPERIMENT,
    key_env: str = _KEY_ENV,
    gpus: int = _GPUS,
    model_group: bool = _MODEL_GROUP,
) -> None:
    """Print the TLT/TAO training command for the project (run it with --run)."""
    from alpick.api import check_runnable

    workspace = _workspace(tao)
    spec_host, exp_host = workspace.host(spec), workspace.host(experiment_dir)
    commands = workspace.train_commands(
        spec, experiment_dir, key_env=key_env, gpus=gpus, model_group=model_group
    )
    if not spec_host.is_file():
        message = f"no spec at {spec_host}; write one with `alpick tlt spec`"
        if run:
            raise AlpickError(message)
        err.print(f"note: {message}", markup=False)
    typer.echo(f"mkdir -p {shlex.quote(str(exp_host))}")
    if run:
        check_runnable(commands, key_env=key_env)
        exp_host.mkdir(parents=True, exist_ok=True)
    _print_or_run(commands, key_env=key_env, run=run)


@sub.command("infer")
def infer_cmd(
    run: bool = _RUN,
    tao: bool = _TAO,
    model: Path | None = typer.Option(
        None, "--model", help="The .tlt model (default: the spec's last epoch checkpoint)."
    ),
    spec: Path = _SPEC,
    images: Path = typer.Option(Path("data/raw/images"), "--images", help="Images to predict."),
    out: Path = typer.Option(
        Path("infer_labels"),
        "--out",
        help="KITTI predictions with confidence: what `alpick scores/select --predictions` reads.",
    ),
    out_images: Path = typer.Option(
        Path("infer_images"), "--out-images", help="Annotated images TLT draws."
    ),
    experiment_dir: Path = _EXPERIMENT,
    key_env: str = _KEY_ENV,
    gpus: int = _GPUS,
    model_group: bool = _MODEL_GROUP,
) -> None:
    """Print the TLT/TAO inference command (run it with --run).

    Its label folder (default infer_labels/) is what `alpick scores --predictions` and
    `alpick select --predictions` read.
    """
    workspace = _workspace(tao)
    spec_host = workspace.host(spec)
    commands = workspace.infer_commands(
        spec,
        experiment_dir,
        model=model,
        images=images,
        out=out,
        out_images=out_images,
        key_env=key_env,
        gpus=gpus,
        model_group=model_group,
    )
    if run and not spec_host.is_file():
        raise AlpickError(f"no spec at {spec_host}; write one with `alpick tlt spec`")
    _print_or_run(commands, key_env=key_env, run=run)
    hint = f"predictions go to {workspace.host(out)}: next `alpick select ... --predictions {out}`"
    err.print(hint, markup=False, soft_wrap=True)
