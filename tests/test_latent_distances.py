"""Latent distances on hand-made embeddings with known answers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.preprocessing import FunctionTransformer

from skdomain.robustness import (
    latent_shift_curve,
    latent_spread,
    paired_latent_distances,
    wrong_class_distances,
)

# two classes on a line plus a third one above: every distance is easy by hand
Z = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [13.0, 0.0], [0.0, 6.0]])
Y = np.array([0, 0, 1, 1, 2])


def test_nearest_wrong_class_sample():
    np.testing.assert_allclose(wrong_class_distances(Z, Y), [6.0, 40**0.5, 8.0, 11.0, 6.0])


def test_nearest_wrong_class_centroid():
    # centroids: class 0 (1, 0), class 1 (11.5, 0), class 2 (0, 6)
    expected = [6.0, 40**0.5, 9.0, 12.0, 37**0.5]
    np.testing.assert_allclose(wrong_class_distances(Z, Y, method="centroid"), expected)


def test_own_class_normalisation_is_a_margin_ratio():
    ratio = wrong_class_distances(Z[:4], Y[:4], normalize="own_class")
    np.testing.assert_allclose(ratio, [10 / 2, 8 / 2, 8 / 3, 11 / 3])
    centroid_ratio = wrong_class_distances(Z[:4], Y[:4], method="centroid", normalize="own_class")
    np.testing.assert_allclose(centroid_ratio, [11.5 / 1, 9.5 / 1, 9 / 1.5, 12 / 1.5])


def test_spread_normalisation_removes_the_latent_scale():
    raw = wrong_class_distances(Z, Y, normalize="spread")
    scaled = wrong_class_distances(7.0 * Z + 3.0, Y, normalize="spread")
    np.testing.assert_allclose(raw, scaled)
    assert latent_spread([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]) == pytest.approx((2 / 3) ** 0.5)


def test_reference_set_defines_the_classes():
    reference = np.array([[0.0], [1.0], [5.0]])
    labels = np.array(["x", "x", "y"])
    queries = np.array([[0.5], [4.0]])
    np.testing.assert_allclose(
        wrong_class_distances(queries, ["x", "y"], reference=reference, reference_labels=labels),
        [4.5, 3.0],
    )


def test_separating_classes_further_grows_the_distance():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    blobs = rng.normal(size=(100, 3))
    close = blobs + np.where(y[:, None], 1.0, 0.0)
    far = blobs + np.where(y[:, None], 5.0, 0.0)
    for normalize in (None, "spread", "own_class"):
        assert (
            wrong_class_distances(far, y, normalize=normalize).mean()
            > wrong_class_distances(close, y, normalize=normalize).mean()
        )


@settings(max_examples=30, deadline=None)
@given(
    latents=hnp.arrays(np.float64, (12, 3), elements=st.floats(-10, 10)),
    shift=hnp.arrays(np.float64, (3,), elements=st.floats(-10, 10)),
)
def test_nearest_distances_are_translation_invariant_and_match_brute_force(latents, shift):
    y = np.arange(12) % 3
    nearest = wrong_class_distances(latents, y)
    np.testing.assert_allclose(nearest, wrong_class_distances(latents + shift, y), atol=1e-6)
    assert np.all(nearest >= 0)
    for i in range(12):
        others = np.linalg.norm(latents[y != y[i]] - latents[i], axis=1)
        assert nearest[i] == pytest.approx(others.min())


def test_paired_distances():
    np.testing.assert_allclose(paired_latent_distances([[0, 0], [1, 0]], [[3, 4], [1, 0]]), [5, 0])
    np.testing.assert_allclose(
        paired_latent_distances([[1, 0], [1, 0]], [[0, 2], [-3, 0]], metric="cosine"), [1, 2]
    )
    with pytest.raises(ValueError, match="shapes"):
        paired_latent_distances(np.zeros((2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="metric"):
        paired_latent_distances(np.zeros((2, 2)), np.zeros((2, 2)), metric="manhattan")


def test_latent_shift_curve_grows_with_strength():
    embed = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    X = np.random.default_rng(0).normal(size=(20, 1, 5, 5))
    curve = latent_shift_curve(embed, X, "dropout", [0.0, 0.1, 0.5], random_state=0)
    assert curve.mean_distance.iloc[0] == 0
    assert curve.mean_distance.is_monotonic_increasing
    assert (curve.relative_distance > 0).iloc[1:].all()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(method="farthest"),
        dict(normalize="max"),
        dict(reference=np.zeros((3, 2))),
        dict(reference=np.zeros((3, 5)), reference_labels=[0, 1, 1]),
    ],
)
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError):
        wrong_class_distances(Z, Y, **kwargs)


def test_bad_latents_are_rejected():
    with pytest.raises(ValueError, match="two classes"):
        wrong_class_distances(Z, np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        wrong_class_distances(np.full((5, 2), np.nan), Y)
    with pytest.raises(ValueError, match="lengths"):
        wrong_class_distances(Z, Y[:3])
