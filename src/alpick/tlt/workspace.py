"""A project folder as the TLT/TAO container sees it: mounts, the spec, the launcher commands.

What ``alpick tlt mounts|spec|train|infer`` do. Host paths are relative to the project folder;
container paths are under the experiments root (``/workspace/tlt-experiments``, or
``/workspace/tao-experiments`` with TAO), through the launcher's mounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alpick.errors import AlpickError
from alpick.tlt.commands import default_model_path, tlt_commands
from alpick.tlt.mounts import (
    SPECS_SUBDIR,
    container_path,
    default_mounts,
    experiment_root,
    write_mounts,
)
from alpick.tlt.spec import Block, load_spec, save_spec
from alpick.tlt.yolo_v4 import BoxSet, build_yolo_v4_spec, most_common_size


@dataclass(frozen=True)
class SpecSettings:
    """The ``alpick tlt spec`` options that go into the spec (paths relative to the project).

    Attributes:
        train_dir: Training folder (holds ``images/`` and ``labels/``).
        val_dir: Validation folder (default: the training folder).
        pretrained: ``pretrain_model_path``.
        resume: ``resume_model_path`` (replaces the pretrained path).
        epochs: ``num_epochs``.
        batch_size: ``batch_size_per_gpu``.
        seed: Seed of the anchors' k-means.
    """

    train_dir: str = "data/train"
    val_dir: str | None = None
    pretrained: str | None = None
    resume: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class TltWorkspace:
    """The project folder ``root`` for the TLT (or, with ``tao``, TAO) launcher."""

    root: Path
    tao: bool = False

    def host(self, path: Path) -> Path:
        """``path`` on the host: as is when absolute, else under the project folder."""
        return path if path.is_absolute() else self.root / path

    def mounts(self) -> list[dict[str, str]]:
        """The tutorial's two mounts: project -> experiments root, specs folder -> its specs."""
        return default_mounts(self.root, self.root / SPECS_SUBDIR, tao=self.tao)

    def container(self, path: Path | str) -> str:
        """A container path as is (under the experiments root), or a host path mapped through
        the mounts.

        Raises:
            AlpickError: If the host path is outside every mount.
        """
        text = Path(path).as_posix()
        root = experiment_root(tao=self.tao)
        if text == root or text.startswith(root + "/"):
            return text
        return container_path(self.host(Path(path)), self.mounts())

    def write_mounts(self) -> Path:
        """Write the launcher's mounts file (merged into an existing one); returns its path."""
        specs = self.root / SPECS_SUBDIR
        specs.mkdir(parents=True, exist_ok=True)
        return write_mounts(self.root, specs, tao=self.tao)

    def write_spec(
        self,
        out: Path,
        boxes: BoxSet,
        settings: SpecSettings,
        *,
        template: Path | None = None,
        fresh: bool = False,
    ) -> tuple[Block, Path, Path | None]:
        """Write a YOLOv4 spec for ``boxes`` to ``out`` (relative to the project).

        It starts from ``template``, else from the existing ``out`` (unless ``fresh``), else
        from alpick's default spec.

        Returns:
            The spec, where it was written and the spec it started from (``None``: alpick's).
        """
        out_path = self.host(out)
        source = template if template is not None else None
        if source is None and not fresh and out_path.is_file():
            source = out_path
        spec = build_yolo_v4_spec(
            template=load_spec(source) if source is not None else None,
            classes=boxes.classes,
            image_size=most_common_size(boxes.image_sizes),
            boxes_wh=boxes.wh,
            box_image_sizes=boxes.image_sizes,
            tao=self.tao,
            train_dir=self.container(settings.train_dir),
            val_dir=self.container(settings.val_dir) if settings.val_dir else None,
            pretrained_model_path=(
                self.container(settings.pretrained) if settings.pretrained else None
            ),
            resume_model_path=self.container(settings.resume) if settings.resume else None,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            image_extension=boxes.image_extension if self.tao else None,
            seed=settings.seed,
        )
        save_spec(spec, out_path)
        return spec, out_path, source

    def train_commands(
        self,
        spec: Path,
        experiment_dir: Path,
        *,
        key_env: str = "KEY",
        gpus: int = 1,
        model_group: bool = False,
    ) -> list[list[str]]:
        """The launcher's training command (as argument lists; the key stays ``$KEY_ENV``)."""
        return tlt_commands(
            "train",
            tao=self.tao,
            spec_path=self.container(spec),
            experiment_dir=self.container(experiment_dir),
            key_env=key_env,
            gpus=gpus,
            model_group=model_group,
        )

    def infer_commands(
        self,
        spec: Path,
        experiment_dir: Path,
        *,
        model: Path | None,
        images: Path,
        out: Path,
        out_images: Path,
        key_env: str = "KEY",
        gpus: int = 1,
        model_group: bool = False,
    ) -> list[list[str]]:
        """The launcher's inference command; the model defaults to the spec's last epoch.

        Raises:
            AlpickError: Without ``model`` when there is no spec to name it.
        """
        exp = self.container(experiment_dir)
        if model is not None:
            model_path = self.container(model)
        elif self.host(spec).is_file():
            model_path = default_model_path(load_spec(self.host(spec)), exp)
        else:
            raise AlpickError(f"no spec at {self.host(spec)} to name the model; pass --model")
        return tlt_commands(
            "infer",
            tao=self.tao,
            spec_path=self.container(spec),
            experiment_dir=exp,
            key_env=key_env,
            gpus=gpus,
            model_path=model_path,
            images_dir=self.container(images),
            out_images_dir=self.container(out_images),
            out_labels_dir=self.container(out),
            model_group=model_group,
        )
