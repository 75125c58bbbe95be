import pytest

from alpick.cli.common import parse_wxh
from alpick.errors import AlpickError


def parse_size(text: str) -> tuple[int, int]:
    return parse_wxh(text, option="--size")


def test_parse_size() -> None:
    assert parse_size("256x448") == (256, 448)
    assert parse_size("720X1280") == (720, 1280)
    for bad in ("256", "ax448", "256x448x3", "-1x5"):
        with pytest.raises(AlpickError):
            parse_size(bad)


def test_parse_size_names_the_option() -> None:
    with pytest.raises(AlpickError, match="--image-size"):
        parse_wxh("0x5", option="--image-size")
