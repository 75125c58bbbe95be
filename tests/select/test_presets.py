import numpy as np
import pytest

from alpick.select import (
    METHODS,
    SelectionError,
    SelectionInputs,
    k_center_greedy,
    l2_normalize,
    preset_config,
    select_samples,
)

EMB = np.random.default_rng(1).standard_normal((500, 16)).astype(np.float32) * 3


@pytest.mark.parametrize("name", ["random", "Coreset", "CORAL"])
def test_methods_case_insensitive(name: str) -> None:
    config = preset_config(name, 10)
    assert config.n_samples == 10
    assert name.upper() in METHODS


def test_unknown_method() -> None:
    with pytest.raises(SelectionError, match="RANDOM, CORESET, CORAL"):
        preset_config("entropy", 5)


def test_preset_configs() -> None:
    assert preset_config("random", 3).to_dict()["strategies"] == [
        {"input": "RANDOM", "strategy": "WEIGHTS", "strength": 1.0}
    ]
    assert [s.strategy for s in preset_config("coreset", 3).strategies] == ["DIVERSITY"]
    coral = preset_config("coral", 3, score="Uncertainty_Margin").strategies
    assert [s.strategy for s in coral] == ["DIVERSITY", "WEIGHTS"]
    assert coral[1].score == "uncertainty_margin"
    assert preset_config("coral", 3).strategies[1].score == "uncertainty_entropy"


@pytest.mark.parametrize("n_pre", [0, 1, 37])
def test_coreset_is_k_center_greedy_on_normalised_embeddings(n_pre: int) -> None:
    pre = np.zeros(500, bool)
    pre[np.random.default_rng(2).choice(500, n_pre, replace=False)] = True
    got = select_samples(
        preset_config("CORESET", n_pre + 40), SelectionInputs(embeddings=EMB), pre,
        rng=np.random.default_rng(11),
    )  # fmt: skip
    want = k_center_greedy(l2_normalize(EMB), pre, 40, rng=np.random.default_rng(11))
    assert got.tolist() == want.tolist()


def test_coral_uses_the_score() -> None:
    score = np.zeros(500)
    score[123] = 1.0  # the only uncertain sample: CORAL's first pick without preselection
    inputs = SelectionInputs(embeddings=EMB, scores={"uncertainty_entropy": score})
    picks = select_samples(preset_config("coral", 5), inputs, np.zeros(500, bool))
    assert picks[0] == 123


def test_random_picks_distinct_non_preselected() -> None:
    pre = np.zeros(50, bool)
    pre[:40] = True
    picks = select_samples(preset_config("random", 50), SelectionInputs(), pre)
    assert sorted(picks.tolist()) == list(range(40, 50))


def test_resolve_config() -> None:
    from alpick.select import resolve_config

    assert resolve_config(method="coral", n_samples=5, score="s").strategies[1].score == "s"
    raw = {"proportion_samples": 0.5, "strategies": [{"input": "RANDOM", "strategy": "WEIGHTS"}]}
    assert resolve_config(config=raw).proportion_samples == 0.5
    assert resolve_config(config=raw, n_samples=9).n_samples == 9
    with pytest.raises(SelectionError, match="not both"):
        resolve_config(method="RANDOM", n_samples=3, config=raw)
    with pytest.raises(SelectionError, match="--method"):
        resolve_config(n_samples=3)
    with pytest.raises(SelectionError, match="--n-samples"):
        resolve_config(method="RANDOM")
    with pytest.raises(SelectionError, match="--n-samples"):
        resolve_config(config={"strategies": raw["strategies"]})


def test_uncertainty_preset_takes_the_highest_scores() -> None:
    import numpy as np

    from alpick.select import SelectionInputs, preset_config, select_samples

    scores = np.array([0.1, 0.9, 0.5, 0.95, 0.2])
    cfg = preset_config("uncertainty", 3, score="s")
    pre = np.zeros(5, dtype=bool)
    pre[3] = True
    picks = select_samples(cfg, SelectionInputs(scores={"s": scores}), pre)
    assert list(picks) == [1, 2]
