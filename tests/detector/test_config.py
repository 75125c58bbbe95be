from __future__ import annotations

import pytest

from alpick.detector.config import (
    ModelConfig,
    TrainConfig,
    model_config_from_dict,
    model_config_to_dict,
    parse_size,
)
from alpick.errors import AlpickError


def test_parse_size() -> None:
    assert parse_size("256x448") == (256, 448)
    assert parse_size(" 512X320 ") == (512, 320)


@pytest.mark.parametrize("text", ["256", "256x", "axb", "250x448", "32x64", "-64x64"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(AlpickError):
        parse_size(text)


def test_train_config_round_trip() -> None:
    config = TrainConfig(
        epochs=3, input_size=(128, 96), levels=(3, 4), aspect_ratios=(1.0,), arch="fcos", hue=0.0
    )
    data = config.to_dict()
    assert data["input_size"] == [128, 96]
    assert TrainConfig.from_dict({**data, "unknown": 1}) == config
    assert config.model_config() == ModelConfig(arch="fcos", input_size=(128, 96), levels=(3, 4))
    assert config.augmentation()["hue"] == 0.0


def test_model_config_round_trip() -> None:
    config = ModelConfig(fpn_width=32, head_convs=1)
    assert model_config_from_dict(model_config_to_dict(config)) == config


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"lr": 0.0},
        {"device": "tpu"},
        {"arch": "yolo"},
        {"fpn_width": 40},
        {"head_convs": 9},
        {"input_size": (100, 100)},
        {"hue": 0.7},
        {"jitter": 1.0},
        {"saturation": 0.5},
        {"steps": 0},
        {"steps": 10, "epochs": 2},
        {"freeze": 6},
        {"aspect_ratios": (0.0,)},
    ],
)
def test_train_config_rejects(kwargs: dict[str, object]) -> None:
    with pytest.raises(AlpickError):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_model_config_needs_fitting() -> None:
    with pytest.raises(AlpickError, match="not fitted"):
        TrainConfig().model_config()
    assert not TrainConfig(input_size=(64, 64)).fitted
