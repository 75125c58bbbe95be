import shlex
from pathlib import Path

import pytest

from alpick.errors import AlpickError
from alpick.tlt.commands import (
    default_model_path,
    format_command,
    run_commands,
    tlt_commands,
)
from alpick.tlt.spec import parse_spec

ROOT = "/workspace/tlt-experiments"
SPEC = f"{ROOT}/yolo_v4/specs/yolo_v4_minneapple.txt"
EXP = f"{ROOT}/yolo_v4/experiment_dir_unpruned"
MODEL = f"{EXP}/weights/yolov4_resnet18_epoch_050.tlt"
INFER = {
    "model_path": MODEL,
    "images_dir": f"{ROOT}/data/raw/images",
    "out_images_dir": f"{ROOT}/infer_images",
    "out_labels_dir": f"{ROOT}/infer_labels",
}


def test_train_command_is_the_tutorials() -> None:
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP)
    assert cmd == (f"tlt yolo_v4 train -e {SPEC} -r {EXP} -k $KEY --gpus 1".split())


def test_tao_and_tao_model_group() -> None:
    (cmd,) = tlt_commands("train", tao=True, spec_path=SPEC, experiment_dir=EXP, gpus=2)
    assert cmd[:3] == ["tao", "yolo_v4", "train"] and cmd[-2:] == ["--gpus", "2"]
    (cmd,) = tlt_commands("train", tao=True, spec_path=SPEC, experiment_dir=EXP, model_group=True)
    assert cmd[:4] == ["tao", "model", "yolo_v4", "train"]
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP, model_group=True)
    assert cmd[0] == "tlt" and cmd[1] == "yolo_v4"


def test_inference_command_is_the_tutorials() -> None:
    (cmd,) = tlt_commands("infer", tao=False, spec_path=SPEC, experiment_dir=EXP, **INFER)
    expected = (
        f"tlt yolo_v4 inference -i {ROOT}/data/raw/images -o {ROOT}/infer_images -e {SPEC} "
        f"-m {MODEL} -l {ROOT}/infer_labels -k $KEY"
    )
    assert cmd == expected.split()
    (cmd,) = tlt_commands("infer", tao=True, spec_path=SPEC, experiment_dir=EXP, **INFER)
    assert cmd[0] == "tao" and cmd[-2:] == ["--gpus", "1"]


def test_bad_arguments() -> None:
    with pytest.raises(AlpickError, match="model"):
        tlt_commands("infer", tao=False, spec_path=SPEC, experiment_dir=EXP)
    with pytest.raises(AlpickError, match="unknown action"):
        tlt_commands("export", tao=False, spec_path=SPEC, experiment_dir=EXP)  # type: ignore[arg-type]
    with pytest.raises(AlpickError, match="environment variable name"):
        tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP, key_env="$(rm -rf)")
    with pytest.raises(AlpickError, match="gpus"):
        tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP, gpus=0)


def test_printed_commands_hold_the_variable_not_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NGC_KEY", "s3cret-value")
    (cmd,) = tlt_commands(
        "train", tao=False, spec_path="/x/my spec.txt", experiment_dir=EXP, key_env="NGC_KEY"
    )
    text = format_command(cmd, key_env="NGC_KEY")
    assert "s3cret" not in text
    assert "-k $NGC_KEY" in text
    assert " \\\n    -e '/x/my spec.txt' \\\n" in text
    one_line = format_command(cmd, key_env="NGC_KEY", wrap=False)
    assert shlex.split(one_line) == cmd  # the shell would read back the same words


def test_run_substitutes_the_key_only_in_the_process_arguments() -> None:
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP)
    seen: list[list[str]] = []

    def runner(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    run_commands([cmd], env={"KEY": "s3cret"}, runner=runner)
    assert seen == [[("s3cret" if a == "$KEY" else a) for a in cmd]]
    assert "$KEY" in cmd  # the caller's list is left alone


def test_failures_never_show_the_key() -> None:
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP)
    with pytest.raises(AlpickError, match="exit status 3") as info:
        run_commands([cmd], env={"KEY": "s3cret"}, runner=lambda argv: 3)
    assert "s3cret" not in str(info.value)
    with pytest.raises(AlpickError, match="KEY is not set"):
        run_commands([cmd], env={}, runner=lambda argv: 0)
    with pytest.raises(AlpickError, match="KEY is not set"):
        run_commands([cmd], env={"KEY": ""}, runner=lambda argv: 0)


def test_run_without_the_launcher_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP)
    with pytest.raises(AlpickError) as info:
        run_commands([cmd], env={"KEY": "k"})
    assert str(info.value) == (
        "tlt is not on PATH; install NVIDIA TLT/TAO or run the printed commands where it is"
    )


def test_run_executes_the_launcher(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "argv.txt"
    fake = tmp_path / "tlt"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {shlex.quote(str(log))}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    (cmd,) = tlt_commands("train", tao=False, spec_path=SPEC, experiment_dir=EXP)
    run_commands([cmd], env={"KEY": "s3cret"})
    assert log.read_text().split("\n")[:-1] == [("s3cret" if a == "$KEY" else a) for a in cmd[1:]]


def test_default_model_path_follows_the_spec() -> None:
    spec = parse_spec(
        'yolov4_config { arch: "resnet" nlayers: 18 }\ntraining_config { num_epochs: 50 }'
    )
    assert default_model_path(spec, EXP + "/") == MODEL
    spec.set("training_config.num_epochs", 120)
    spec.set("yolov4_config.nlayers", 34)
    assert default_model_path(spec, EXP).endswith("/weights/yolov4_resnet34_epoch_120.tlt")
    with pytest.raises(AlpickError, match="--model"):
        default_model_path(parse_spec(""), EXP)
