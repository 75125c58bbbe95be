from __future__ import annotations

import pytest

from alpick.detector.config import (
    ModelConfig,
    TrainConfig,
    model_config_from_dict,
    model_config_to_dict,
)
from alpick.errors import AlpickError


@pytest.mark.parametrize("size", [(250, 448), (32, 64), (64, 100)])
def test_input_size_must_be_multiples_of_32(size: tuple[int, int]) -> None:
    with pytest.raises(AlpickError, match="multiples of 32"):
        ModelConfig(input_size=size)


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
