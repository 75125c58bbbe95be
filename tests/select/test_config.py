import pytest

from alpick.select import (
    InputKind,
    Operation,
    SelectionConfig,
    SelectionError,
    StrategyConfig,
    StrategyKind,
    load_selection_config,
)

FULL = {
    "n_samples": 100,
    "strategies": [
        {"input": "embeddings", "strategy": "diversity", "strength": 2.0,
         "stopping_condition_minimum_distance": 0.1},
        {"input": "SCORES", "score": "Uncertainty_Entropy", "strategy": "WEIGHTS"},
        {"input": "SCORES", "score": "object_frequency", "strategy": "THRESHOLD",
         "threshold": 0.95, "operation": "bigger_equal"},
        {"input": "METADATA", "key": "camera", "strategy": "BALANCE",
         "target": {"a": 0.5, 3: 0.25}},
        {"input": "PREDICTIONS", "strategy": "BALANCE", "target": {"apple": 1.0}},
        {"input": "EMBEDDINGS", "strategy": "TYPICALITY", "k": 5},
        {"input": "EMBEDDINGS", "strategy": "SIMILARITY", "query_tag_name": "hard"},
        {"input": "RANDOM", "strategy": "WEIGHTS", "strength": 0.5},
    ],
}  # fmt: skip


def test_parse_and_round_trip() -> None:
    config = SelectionConfig.from_dict(FULL)
    s = config.strategies
    assert s[0].input == InputKind.EMBEDDINGS and s[0].strategy == StrategyKind.DIVERSITY
    assert s[0].strength == 2.0 and s[0].stopping_condition_minimum_distance == 0.1
    assert s[1].score == "uncertainty_entropy"
    assert s[2].operation == Operation.BIGGER_EQUAL
    assert s[3].target == {"a": 0.5, "3": 0.25}
    assert SelectionConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["strategies"][1] == {
        "input": "SCORES",
        "strategy": "WEIGHTS",
        "strength": 1.0,
        "score": "uncertainty_entropy",
    }


def test_nested_platform_form() -> None:
    nested = StrategyConfig.from_dict(
        {
            "input": {"type": "SCORES", "score": "uncertainty_margin"},
            "strategy": {"type": "THRESHOLD", "threshold": 0.5, "operation": "SMALLER"},
        }
    )
    flat = StrategyConfig.from_dict(
        {"input": "SCORES", "score": "uncertainty_margin", "strategy": "THRESHOLD",
         "threshold": 0.5, "operation": "SMALLER"}
    )  # fmt: skip
    assert nested == flat


def test_totals() -> None:
    div = [{"input": "EMBEDDINGS", "strategy": "DIVERSITY"}]
    assert SelectionConfig.from_dict({"n_samples": 7, "strategies": div}).total_samples(50) == 7
    prop = SelectionConfig.from_dict({"proportion_samples": 0.25, "strategies": div})
    assert prop.total_samples(10) == 2
    assert prop.with_n_samples(4).total_samples(10) == 4
    with pytest.raises(SelectionError, match="n_samples or proportion_samples"):
        SelectionConfig.from_dict({"strategies": div}).total_samples(10)


D = {"input": "EMBEDDINGS", "strategy": "DIVERSITY"}


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ([], "mapping"),
        ({"n_samples": 1, "strategies": [D], "seed": 1}, "unknown key 'seed'"),
        ({"n_samples": 1, "strategies": D}, "must be a list"),
        ({"n_samples": 1, "strategies": []}, "at least one"),
        ({"n_samples": 1, "proportion_samples": 0.5, "strategies": [D]}, "not both"),
        ({"n_samples": -1, "strategies": [D]}, ">= 0"),
        ({"n_samples": 1.5, "strategies": [D]}, "integer"),
        ({"proportion_samples": 1.5, "strategies": [D]}, r"\(0, 1\]"),
        ({"n_samples": 1, "strategies": [D, D]}, "at most one DIVERSITY"),
        ({"n_samples": 1, "strategies": [{"input": "EMBEDDINGS"}]}, "missing 'strategy'"),
        ({"n_samples": 1, "strategies": [{**D, "input": "PIXELS"}]}, r"strategies\[0\]\.input"),
        ({"n_samples": 1, "strategies": [{**D, "strategy": "CLUSTER"}]}, "DIVERSITY, WEIGHTS"),
        ({"n_samples": 1, "strategies": [{**D, "input": "SCORES"}]}, "takes input EMBEDDINGS"),
        ({"n_samples": 1, "strategies": [{**D, "strength": "high"}]}, "finite number"),
        ({"n_samples": 1, "strategies": [{**D, "k": 3}]}, "unknown key 'k'"),
        (
            {"n_samples": 1, "strategies": [{**D, "stopping_condition_minimum_distance": -1}]},
            ">= 0",
        ),
        ({"n_samples": 1, "strategies": [{"input": "SCORES", "strategy": "WEIGHTS"}]}, "'score'"),
        (
            {"n_samples": 1, "strategies": [
                {"input": "SCORES", "score": "x", "strategy": "THRESHOLD", "threshold": 1}
            ]},
            "'operation'",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": "SCORES", "score": "x", "strategy": "THRESHOLD", "threshold": 1,
                 "operation": "EQUAL"}
            ]},
            "SMALLER, SMALLER_EQUAL",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": "SCORES", "score": "x", "strategy": "THRESHOLD", "threshold": 1,
                 "operation": "BIGGER"}
            ]},
            "THRESHOLD only filters",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": "PREDICTIONS", "strategy": "BALANCE", "target": {"a": 0.7, "b": 0.6}}
            ]},
            "sum to",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": "PREDICTIONS", "strategy": "BALANCE", "target": {"a": 2}}
            ]},
            r"\[0, 1\]",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": {"score": "x"}, "strategy": "WEIGHTS"}
            ]},
            "missing 'type'",
        ),
        (
            {"n_samples": 1, "strategies": [
                {"input": "EMBEDDINGS", "strategy": "TYPICALITY", "k": 0}
            ]},
            "integer >= 1",
        ),
    ],
)  # fmt: skip
def test_errors_name_the_problem(raw: object, match: str) -> None:
    with pytest.raises(SelectionError, match=match):
        SelectionConfig.from_dict(raw)  # type: ignore[arg-type]


def test_load_yaml_and_json() -> None:
    yaml_text = "n_samples: 10\nstrategies:\n  - input: EMBEDDINGS\n    strategy: DIVERSITY\n"
    assert load_selection_config(yaml_text, ".YAML")["n_samples"] == 10
    assert load_selection_config(yaml_text, "yml")["strategies"][0]["strategy"] == "DIVERSITY"
    assert load_selection_config('{"n_samples": 3, "strategies": []}', ".json")["n_samples"] == 3


@pytest.mark.parametrize(
    ("text", "suffix", "match"),
    [
        ("n_samples: 1", ".toml", "must be .yaml"),
        ("n_samples: [1", ".yaml", "cannot parse YAML"),
        ("{bad json", ".json", "cannot parse JSON"),
        ("- 1\n- 2\n", ".yaml", "mapping"),
    ],
)
def test_load_errors(text: str, suffix: str, match: str) -> None:
    with pytest.raises(SelectionError, match=match):
        load_selection_config(text, suffix)


def test_needs_lists_the_inputs_to_load() -> None:
    needs = SelectionConfig.from_dict(FULL).needs()
    assert needs.embeddings and needs.predictions
    assert needs.scores == ("uncertainty_entropy", "object_frequency")
    assert needs.metadata == ("camera",)
    assert needs.query_tags == ("hard",)
    random_only = SelectionConfig.from_dict(
        {"n_samples": 1, "strategies": [{"input": "RANDOM", "strategy": "WEIGHTS"}]}
    ).needs()
    assert not random_only.embeddings and random_only.scores == ()
