import numpy as np

from alpick.data.orchard.noise import ValueNoise, bell, directions, noise_1d, skewed, uniform


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_directions_are_unit_vectors_all_round() -> None:
    c, s = directions(rng(), 4000)
    assert np.allclose(c * c + s * s, 1.0)
    assert (c < -0.9).any() and (c > 0.9).any() and (s < -0.9).any() and (s > 0.9).any()


def test_draws_stay_in_range() -> None:
    for values, lo, hi in (
        (uniform(rng(), 2.0, 5.0, 1000), 2.0, 5.0),
        (skewed(rng(), 2.0, 5.0, 1000, power=3), 2.0, 5.0),
        (bell(rng(), 1.0, 0.5, 1000), 0.5, 1.5),
    ):
        assert values.min() >= lo and values.max() <= hi
    small = skewed(rng(), 0.0, 1.0, 4000, power=2)
    assert np.mean(small < 0.25) > 0.45  # crowded towards the low end


def test_value_noise_field_agrees_with_points() -> None:
    noise = ValueNoise(rng(1), 40, 60, 7.0, 3.0)
    field = noise.field(40, 60)
    ys, xs = np.mgrid[0:40, 0:60]
    at = noise.at(xs.ravel().astype(float), ys.ravel().astype(float)).reshape(40, 60)
    assert np.allclose(field, at, atol=1e-5)
    assert field.min() >= 0.0 and field.max() <= 1.0
    assert np.allclose(noise.field(10, 60, top=20), field[20:30], atol=1e-6)


def test_same_generator_state_same_noise() -> None:
    assert (noise_1d(rng(3), 50, 8.0) == noise_1d(rng(3), 50, 8.0)).all()
