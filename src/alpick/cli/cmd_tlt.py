"""CLI: the `tlt` commands (parsing and printing only): TLT/TAO mounts, spec, train, infer."""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alpick.cli.common import err, open_project, state
from alpick.errors import AlpickError

if TYPE_CHECKING:
    from alpick.api import Project
    from alpick.tlt.spec import Block
    from alpick.tlt.yolo_v4 import BoxSet

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
    if state.project_dir is not None:
        return state.project_dir.resolve()
    try:
        project = open_project()
    except AlpickError:
        return Path.cwd().resolve()
    with project:
        return Path(project.root).resolve()


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path


def _mounts(root: Path, tao: bool) -> list[dict[str, str]]:
    from alpick.tlt.mounts import SPECS_SUBDIR, default_mounts

    return default_mounts(root, root / SPECS_SUBDIR, tao=tao)


def _in_container(root: Path, path: Path, tao: bool) -> str:
    """A container path as is (under /workspace/...), or a host path mapped through the mounts."""
    from alpick.tlt.mounts import container_path, experiment_root

    text = path.as_posix()
    if text.startswith(experiment_root(tao=tao) + "/") or text == experiment_root(tao=tao):
        return text
    return container_path(_under(root, path), _mounts(root, tao))


def _parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise AlpickError(
            f"--image-size must be WIDTHxHEIGHT, e.g. 720x1280; got {text!r}"
        ) from None
    if w <= 0 or h <= 0:
        raise AlpickError(f"--image-size must be positive, got {text!r}")
    return w, h


def _project_boxes(tag: str | None) -> BoxSet:
    """The labelled boxes of ``tag`` (all samples when ``None``) with their image sizes."""
    import numpy as np

    from alpick.tlt.yolo_v4 import BoxSet

    project: Project
    with open_project() as project:
        samples = {s.id: s for s in project.samples()}
        ids = list(project.tag(tag).sample_ids) if tag else list(samples)
        labels = project.labels(ids)
        class_names = list(project.classes().names)
    wh, sizes = [], []
    exts: Counter[str] = Counter()
    for sid in ids:
        sample = samples[sid]
        exts[Path(sample.path).suffix.lower().lstrip(".")] += 1
        det = labels.get(sid)
        if det is None or not len(det):
            continue
        wh.append(det.xyxy[:, 2:] - det.xyxy[:, :2])
        sizes.append(np.tile([sample.width, sample.height], (len(det), 1)))
    if not wh:
        where = f"tag {tag!r}" if tag else "the project"
        raise AlpickError(f"{where} has no labelled boxes; annotate images first")
    return BoxSet(
        wh=np.concatenate(wh).astype(np.float64),
        image_sizes=np.concatenate(sizes).astype(np.float64),
        classes=class_names,
        image_extension=exts.most_common(1)[0][0] if exts else None,
    )


@sub.command("mounts")
def mounts_cmd(tao: bool = _TAO) -> None:
    """Write ~/.tlt_mounts.json (~/.tao_mounts.json with --tao): project -> experiments root.

    Merges into an existing file (other mounts, Envs and DockerOptions are kept) and copies the
    previous file to <file>.bak first.
    """
    from alpick.tlt.mounts import SPECS_SUBDIR, write_mounts

    root = _root()
    specs = root / SPECS_SUBDIR
    specs.mkdir(parents=True, exist_ok=True)
    path = write_mounts(root, specs, tao=tao)
    for mount in _mounts(root, tao):
        typer.echo(f"{mount['source']} -> {mount['destination']}")
    typer.echo(f"wrote {path}")


@sub.command("spec")
def spec_cmd(
    out: Path = typer.Option(DEFAULT_SPEC, "--out", help="Spec to write, relative to the project."),
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
    seed: int = typer.Option(0, "--seed", help="Seed of the anchors' k-means."),
) -> None:
    """Write a YOLOv4 spec: anchors, output size, class mapping and paths from the data."""
    from alpick.tlt.spec import load_spec, save_spec
    from alpick.tlt.yolo_v4 import build_yolo_v4_spec, kitti_boxes, most_common_size

    if labels is not None and tag is not None:
        raise AlpickError("--tag reads the project's labels; don't combine it with --labels")
    if labels is not None:
        size = _parse_size(image_size) if image_size else None
        boxes = kitti_boxes(labels, image_size=size, images_dir=images)
    else:
        if image_size or images:
            raise AlpickError("--image-size and --images go with --labels")
        boxes = _project_boxes(tag)
    root = _root()
    out_path = _under(root, out)
    source: Path | None = None
    if template is not None:
        source = template
    elif not fresh and out_path.is_file():
        source = out_path
    base = load_spec(source) if source is not None else None
    spec = build_yolo_v4_spec(
        template=base,
        classes=boxes.classes,
        image_size=most_common_size(boxes.image_sizes),
        boxes_wh=boxes.wh,
        box_image_sizes=boxes.image_sizes,
        tao=tao,
        train_dir=_in_container(root, Path(train_dir), tao),
        val_dir=_in_container(root, Path(val_dir), tao) if val_dir else None,
        pretrained_model_path=_in_container(root, Path(pretrained), tao) if pretrained else None,
        resume_model_path=_in_container(root, Path(resume), tao) if resume else None,
        epochs=epochs,
        batch_size=batch_size,
        image_extension=boxes.image_extension if tao else None,
        seed=seed,
    )
    save_spec(spec, out_path)
    _describe(spec, boxes)
    typer.echo(f"wrote {out_path}" + (f" (from {source})" if source is not None else ""))


def _describe(spec: Block, boxes: BoxSet) -> None:
    """Print what the spec took from the data: boxes, classes, output size, anchors and fit."""
    import numpy as np

    from alpick.tlt.anchors import mean_best_iou, parse_anchors

    width = spec.get("augmentation_config.output_width")
    height = spec.get("augmentation_config.output_height")
    typer.echo(f"{len(boxes.wh)} boxes, classes: {', '.join(boxes.classes)}")
    typer.echo(f"output size {width}x{height}")
    anchors = []
    for group in ("small", "mid", "big"):
        text = str(spec.get(f"yolov4_config.{group}_anchor_shape"))
        anchors.append(parse_anchors(text))
        typer.echo(f"{group} anchors {text}")
    scaled = boxes.wh / boxes.image_sizes * np.asarray([width, height], np.float64)
    fit = mean_best_iou(scaled, np.concatenate(anchors))
    typer.echo(f"mean IoU of each box with its best anchor: {fit:.3f}")


def _print_or_run(commands: list[list[str]], *, key_env: str, run: bool) -> None:
    from alpick.tlt.commands import format_command, run_commands

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
    from alpick.tlt.commands import check_runnable, tlt_commands

    root = _root()
    spec_host, exp_host = _under(root, spec), _under(root, experiment_dir)
    commands = tlt_commands(
        "train",
        tao=tao,
        spec_path=_in_container(root, spec, tao),
        experiment_dir=_in_container(root, experiment_dir, tao),
        key_env=key_env,
        gpus=gpus,
        model_group=model_group,
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
    from alpick.tlt.commands import default_model_path, tlt_commands
    from alpick.tlt.spec import load_spec

    root = _root()
    spec_host = _under(root, spec)
    exp = _in_container(root, experiment_dir, tao)
    if model is not None:
        model_path = _in_container(root, model, tao)
    elif spec_host.is_file():
        model_path = default_model_path(load_spec(spec_host), exp)
    else:
        raise AlpickError(f"no spec at {spec_host} to name the model; pass --model")
    commands = tlt_commands(
        "infer",
        tao=tao,
        spec_path=_in_container(root, spec, tao),
        experiment_dir=exp,
        key_env=key_env,
        gpus=gpus,
        model_path=model_path,
        images_dir=_in_container(root, images, tao),
        out_images_dir=_in_container(root, out_images, tao),
        out_labels_dir=_in_container(root, out, tao),
        model_group=model_group,
    )
    if run and not spec_host.is_file():
        raise AlpickError(f"no spec at {spec_host}; write one with `alpick tlt spec`")
    _print_or_run(commands, key_env=key_env, run=run)
    hint = f"predictions go to {_under(root, out)}: next `alpick select ... --predictions {out}`"
    err.print(hint, markup=False, soft_wrap=True)
