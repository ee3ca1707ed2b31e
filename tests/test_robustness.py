"""Perturbations and robustness curves."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skdomain.robustness import (
    PERTURBATIONS,
    GaussianNoise,
    PSFBlur,
    dead_columns,
    gaussian_noise,
    hot_pixels,
    jpeg_compression,
    pixel_dropout,
    psf_blur,
    robustness_curve,
)

FUNCTIONS = {
    "noise": gaussian_noise,
    "blur": psf_blur,
    "compression": jpeg_compression,
    "dropout": pixel_dropout,
    "dead_columns": dead_columns,
    "hot_pixels": hot_pixels,
}
# strengths in increasing order; fractions stay within [0, 1]
STRENGTHS = {
    "noise": [0.05, 0.2, 1.0],
    "blur": [0.5, 1.5, 3.0],
    "compression": [0.5, 2.0, 8.0],
    "dropout": [0.02, 0.1, 0.4],
    "dead_columns": [0.05, 0.2, 0.5],
    "hot_pixels": [0.01, 0.05, 0.2],
}


def galaxy_like(n=6, channels=2, height=20, width=24, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    center = np.exp(-((yy - height / 2) ** 2 + (xx - width / 2) ** 2) / 20.0)
    images = center[None, None] * rng.uniform(0.5, 1.5, (n, channels, 1, 1))
    images = images + 0.05 * rng.standard_normal((n, channels, height, width))
    return images.astype(dtype)


def test_every_named_perturbation_has_a_function():
    assert set(FUNCTIONS) == set(PERTURBATIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strength_zero_is_the_identity(name, dtype):
    X = galaxy_like(dtype=dtype)
    out = FUNCTIONS[name](X, 0.0, random_state=0)
    assert out.dtype == X.dtype
    np.testing.assert_array_equal(out, X)
    assert out is not X


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16])
def test_shape_and_dtype_are_kept(name, dtype):
    X = galaxy_like(height=13, width=19)  # not multiples of the 8 x 8 JPEG block
    if dtype is np.uint16:
        X = np.clip(X * 1000 + 100, 0, None).astype(np.uint16)
    else:
        X = X.astype(dtype)
    out = FUNCTIONS[name](X, STRENGTHS[name][1], random_state=1)
    assert out.shape == X.shape
    assert out.dtype == X.dtype
    assert np.all(np.isfinite(out.astype(float)))
    assert not np.array_equal(out, X)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_same_seed_same_result_other_seed_other_result(name):
    X = galaxy_like()
    strength = STRENGTHS[name][1]
    first = FUNCTIONS[name](X, strength, random_state=3)
    np.testing.assert_array_equal(first, FUNCTIONS[name](X, strength, random_state=3))
    transformer = PERTURBATIONS[name](strength, random_state=3)
    np.testing.assert_array_equal(first, transformer.fit_transform(X))
    np.testing.assert_array_equal(first, clone(transformer).fit(X).transform(X))
    if name not in ("blur", "compression"):  # deterministic ones
        assert not np.array_equal(first, FUNCTIONS[name](X, strength, random_state=4))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_damage_grows_with_strength(name):
    X = galaxy_like(n=10)
    damage = [
        np.abs(FUNCTIONS[name](X, s, random_state=0).astype(float) - X).mean()
        for s in [0.0, *STRENGTHS[name]]
    ]
    assert damage[0] == 0
    assert all(b > a for a, b in zip(damage, damage[1:], strict=False)), damage


@pytest.mark.parametrize("name", ["dropout", "dead_columns", "hot_pixels"])
def test_random_damage_is_nested_across_strengths(name):
    X = galaxy_like()
    weak = FUNCTIONS[name](X, STRENGTHS[name][0], random_state=5) != X
    strong = FUNCTIONS[name](X, STRENGTHS[name][2], random_state=5) != X
    assert weak.any()
    assert np.all(strong[weak])


@settings(max_examples=25, deadline=None)
@given(
    sigma=st.floats(0.3, 4.0),
    value=st.floats(-5.0, 5.0),
)
def test_blur_keeps_flux_and_constant_images(sigma, value):
    X = np.full((2, 1, 16, 16), value)
    np.testing.assert_allclose(psf_blur(X, sigma), X, atol=1e-9)
    point = np.zeros((1, 1, 33, 33))
    point[0, 0, 16, 16] = 1.0
    blurred = psf_blur(point, sigma, mode="constant")
    assert blurred.sum() == pytest.approx(1.0, abs=1e-6)
    assert blurred.max() < 1.0


@settings(max_examples=25, deadline=None)
@given(snr=st.floats(2.0, 50.0), seed=st.integers(0, 1000))
def test_noise_level_matches_requested_snr(snr, seed):
    X = np.full((4, 2, 32, 32), 3.0)
    noisy = gaussian_noise(X, 1.0 / snr, random_state=seed)
    measured_snr = 3.0 / (noisy - X).std()
    assert measured_snr == pytest.approx(snr, rel=0.1)


def test_compression_keeps_block_means_and_flattens_blocks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 1, 16, 16))
    out = jpeg_compression(X, 50.0)
    blocks = out.reshape(3, 1, 2, 8, 2, 8)
    # with a huge step every AC coefficient is quantised to zero: flat blocks
    assert np.allclose(blocks.std(axis=(3, 5)), 0.0, atol=1e-9)
    # a mild compression changes little
    assert np.abs(jpeg_compression(X, 0.05) - X).mean() < 0.05 * np.abs(X).mean()


def test_hot_pixels_hit_one_band_and_only_brighten():
    X = galaxy_like(n=4, channels=3)
    out = hot_pixels(X, 0.1, random_state=0)
    changed = out != X
    assert np.all(out >= X)
    assert changed.sum(axis=1).max() == 1  # one band per hit position


def test_dead_columns_are_whole_columns_in_every_band():
    X = galaxy_like(n=4) + 10.0
    out = dead_columns(X, 0.3, random_state=0, fill_value=-1.0)
    dead = out == -1.0
    assert np.all(dead.all(axis=(1, 2)) == dead.any(axis=(1, 2)))
    assert dead.any()


@pytest.mark.parametrize(
    "call",
    [
        lambda X: gaussian_noise(X, -0.1),
        lambda X: pixel_dropout(X, 1.5),
        lambda X: psf_blur(X, np.nan),
        lambda X: psf_blur(X[0], 1.0),
        lambda X: hot_pixels(X, 0.1, amplitude=-1.0),
    ],
)
def test_bad_input_is_rejected_clearly(call):
    with pytest.raises(ValueError):
        call(galaxy_like())


def test_transformers_compose_in_a_pipeline():
    X = galaxy_like()
    pipeline = make_pipeline(PSFBlur(1.0), GaussianNoise(0.1, random_state=0))
    expected = gaussian_noise(psf_blur(X, 1.0), 0.1, random_state=0)
    np.testing.assert_array_equal(pipeline.fit_transform(X), expected)
    with pytest.raises(ValueError):
        GaussianNoise(strength=-1.0).fit(X)


def _flat_model(X, y):
    flatten = FunctionTransformer(lambda images: images.reshape(len(images), -1))
    return make_pipeline(flatten, LogisticRegression(max_iter=500)).fit(X, y)


def test_robustness_curve_is_tidy_and_drops_with_noise():
    rng = np.random.default_rng(0)
    y = np.arange(80) % 2
    X = rng.normal(size=(80, 1, 6, 6)) * 0.5 + np.where(y, 1.0, -1.0)[:, None, None, None]
    model = _flat_model(X, y)
    curve = robustness_curve(
        model,
        X,
        y,
        "noise",
        [0.0, 1.0, 10.0],
        scoring=["accuracy", "roc_auc"],
        n_repeats=2,
        random_state=0,
    )
    assert isinstance(curve, pd.DataFrame)
    assert len(curve) == 3 * 2 * 2
    assert set(curve.metric) == {"accuracy", "roc_auc"}
    accuracy = curve[curve.metric == "accuracy"].groupby("strength").score.mean()
    assert accuracy.loc[0.0] == 1.0
    assert accuracy.loc[10.0] < 0.8
    again = robustness_curve(
        model,
        X,
        y,
        "noise",
        [0.0, 1.0, 10.0],
        scoring=["accuracy", "roc_auc"],
        n_repeats=2,
        random_state=0,
    )
    pd.testing.assert_frame_equal(curve, again)


def test_robustness_curve_accepts_transformers_pipelines_and_callables():
    rng = np.random.default_rng(1)
    y = np.arange(40) % 2
    X = rng.normal(size=(40, 1, 6, 6)) + 2.0 * y[:, None, None, None]
    model = _flat_model(X, y)
    from_pipeline = robustness_curve(
        model,
        X,
        y,
        make_pipeline(PSFBlur(0.0), GaussianNoise(0.0)),
        [0.0, 2.0],
        strength_param="gaussiannoise__strength",
        random_state=0,
    )
    from_callable = robustness_curve(model, X, y, gaussian_noise, [0.0, 2.0], random_state=0)
    np.testing.assert_allclose(from_pipeline.score, from_callable.score)
    with pytest.raises(ValueError, match="Unknown perturbation"):
        robustness_curve(model, X, y, "smudge", [0.0])
    with pytest.raises(ValueError, match="strength_param"):
        robustness_curve(model, X, y, PSFBlur(), [0.0], strength_param="sigma")
    with pytest.raises(ValueError):
        robustness_curve(model, X, y, "blur", [-1.0])
