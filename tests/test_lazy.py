import sys

import pytest

import alpick.api
import alpick.simulate
from alpick.lazy import lazy_exports


def test_names_resolve_and_are_cached() -> None:
    from alpick.simulate.runner import SimulationConfig

    assert alpick.simulate.SimulationConfig is SimulationConfig
    assert "SimulationConfig" in vars(alpick.simulate)  # later lookups skip __getattr__
    assert alpick.api.score_folder.__module__ == "alpick.project.scores"


def test_every_exported_name_resolves() -> None:
    for module in (alpick.api, alpick.simulate):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)


def test_unknown_name_is_an_attribute_error() -> None:
    getattr_ = lazy_exports("alpick.simulate", {})
    with pytest.raises(AttributeError, match="nope"):
        getattr_("nope")
    assert "alpick.simulate" in sys.modules
