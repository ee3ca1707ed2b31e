"""The galaxy-merger generator, its observing conditions and the per-domain normalizer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain.datasets import MergerNormalizer, make_galaxy_mergers
from skdomain.datasets._mergers import MERGER_DOMAINS, ObservingConditions


@settings(max_examples=8, deadline=None)
@given(
    n=st.integers(1, 12),
    size=st.integers(8, 24),
    bands=st.integers(1, 4),
    domain=st.sampled_from(sorted(MERGER_DOMAINS)),
    fraction=st.floats(0, 1),
)
def test_shapes_dtype_and_labels(n, size, bands, domain, fraction):
    X, y = make_galaxy_mergers(
        n,
        domain=domain,
        image_size=size,
        n_bands=bands,
        merger_fraction=fraction,
        random_state=0,
    )
    assert X.shape == (n, bands, size, size)
    assert X.dtype == np.float32
    assert np.isfinite(X).all()
    assert y.dtype == np.int64 and set(np.unique(y)) <= {0, 1}
    assert y.sum() == round(fraction * n)


def test_same_seed_same_images_other_seed_other_images():
    a = make_galaxy_mergers(30, domain="noisy", image_size=16, random_state=3)
    b = make_galaxy_mergers(30, domain="noisy", image_size=16, random_state=3)
    c = make_galaxy_mergers(30, domain="noisy", image_size=16, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


def test_chunked_generation_matches_labels_and_scales():
    # more images than one rendering chunk: every chunk gets galaxies of both classes
    X, y = make_galaxy_mergers(600, domain="pristine", image_size=12, random_state=0)
    flux = X.sum(axis=(1, 2, 3))
    assert (flux > 0).all()
    assert abs(y.mean() - 0.5) < 1e-9


def _asymmetry(X):
    """Rotational asymmetry about the light centroid: 0 for a point-symmetric galaxy."""
    values = []
    for image in X.sum(axis=1):
        centroid = np.array(ndimage.center_of_mass(image))
        centered = ndimage.shift(image, (np.array(image.shape) - 1) / 2 - centroid, order=1)
        values.append(np.abs(centered - centered[::-1, ::-1]).sum() / np.abs(centered).sum())
    return np.array(values)


def test_mergers_are_more_asymmetric_than_single_galaxies():
    X, y = make_galaxy_mergers(300, domain="pristine", image_size=48, random_state=1)
    asym = _asymmetry(X)
    assert np.median(asym[y == 1]) > 1.5 * np.median(asym[y == 0])


def test_easy_mergers_are_more_asymmetric_than_hard_ones():
    easy = MERGER_DOMAINS["pristine"].replace(hard_merger_fraction=0.0)
    hard = MERGER_DOMAINS["pristine"].replace(hard_merger_fraction=1.0)
    X_easy, _ = make_galaxy_mergers(
        200, domain=easy, image_size=32, merger_fraction=1.0, random_state=0
    )
    X_hard, _ = make_galaxy_mergers(
        200, domain=hard, image_size=32, merger_fraction=1.0, random_state=0
    )
    assert np.median(_asymmetry(X_easy)) > np.median(_asymmetry(X_hard))


def test_coarse_pixels_come_in_blocks():
    coarse = MERGER_DOMAINS["pristine"].replace(pixel_factor=2.0)
    X, _ = make_galaxy_mergers(5, domain=coarse, image_size=16, random_state=0)
    np.testing.assert_array_equal(X[..., ::2, :], X[..., 1::2, :])
    np.testing.assert_array_equal(X[..., ::2], X[..., 1::2])


def test_noise_and_sky_level_follow_the_conditions():
    quiet = ObservingConditions(sky_level=0.3)
    loud = ObservingConditions(sky_noise=0.2)
    X_quiet, _ = make_galaxy_mergers(50, domain=quiet, image_size=32, random_state=0)
    X_loud, _ = make_galaxy_mergers(50, domain=loud, image_size=32, random_state=0)
    corner_quiet, corner_loud = X_quiet[..., :3, :3], X_loud[..., :3, :3]
    assert np.allclose(corner_quiet, 0.3, atol=0.02)  # empty sky: the background level
    assert 0.15 < corner_loud.std() < 0.25


def _two_sample_accuracy(X_a, X_b):
    """Cross-validated accuracy of a classifier of the domain: 0.5 when they do not differ."""
    X = np.concatenate([X_a, X_b])
    # pixel-value distribution per band and of pixel-to-pixel differences (noise, PSF)
    X = np.concatenate(
        [
            np.sort(X.reshape(*X.shape[:2], -1), axis=2),
            np.sort(np.diff(X, axis=3).reshape(*X.shape[:2], -1), axis=2),
        ],
        axis=2,
    ).reshape(len(X), -1)
    d = np.r_[np.zeros(len(X_a)), np.ones(len(X_b))]
    model = LogisticRegression(C=0.1, max_iter=300)
    return cross_val_score(model, X, d, cv=3).mean()


def test_domains_differ_even_after_per_domain_normalization():
    """A classifier tells pristine and SDSS-like images apart; two pristine draws it cannot."""

    def draw(domain, seed):
        X, _ = make_galaxy_mergers(240, domain=domain, image_size=16, random_state=seed)
        return MergerNormalizer().fit_transform(X)

    pristine_a, pristine_b = draw("pristine", 0), draw("pristine", 1)
    assert _two_sample_accuracy(pristine_a, draw("sdss", 2)) > 0.9
    assert _two_sample_accuracy(pristine_a, draw("noisy", 3)) > 0.9
    assert _two_sample_accuracy(pristine_a, pristine_b) < 0.65


def test_observing_conditions_validation_and_replace():
    with pytest.raises(ValueError, match="pixel_factor"):
        ObservingConditions(pixel_factor=0.5)
    with pytest.raises(ValueError, match="hard_merger_fraction"):
        MERGER_DOMAINS["sdss"].replace(hard_merger_fraction=2.0)
    combined = MERGER_DOMAINS["sdss"].replace(sky_noise=MERGER_DOMAINS["noisy"].sky_noise)
    assert combined.psf_fwhm == MERGER_DOMAINS["sdss"].psf_fwhm
    assert combined.sky_noise == MERGER_DOMAINS["noisy"].sky_noise


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_samples=0),
        dict(image_size=4),
        dict(n_bands=0),
        dict(merger_fraction=1.5),
        dict(domain="hst"),
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        make_galaxy_mergers(**{"n_samples": 5, **kwargs})


# MergerNormalizer -------------------------------------------------------------


@parametrize_with_checks([MergerNormalizer(), MergerNormalizer(stretch="asinh")])
def test_normalizer_sklearn_compatible(estimator, check):
    check(estimator)


def test_normalizer_removes_background_and_flux_scale():
    X, _ = make_galaxy_mergers(200, domain="sdss", image_size=16, random_state=0)
    before = X.copy()
    normalizer = MergerNormalizer(percentile=99.0).fit(X)
    Xn = normalizer.transform(X)
    np.testing.assert_array_equal(X, before)  # input untouched
    assert Xn.dtype == np.float32
    for band in range(3):
        values = Xn[:, band].ravel()
        assert abs(np.median(values)) < 1e-5
        assert np.percentile(values, 99.0) == pytest.approx(1.0, rel=1e-4)
    # a rescaled, shifted copy of the domain normalizes to the same images
    shifted = 2.5 * X + 0.7
    np.testing.assert_allclose(MergerNormalizer().fit_transform(shifted), Xn, atol=1e-4)


def test_normalizer_asinh_is_monotonic_and_rejects_other_band_counts():
    X, _ = make_galaxy_mergers(50, image_size=16, random_state=0)
    linear = MergerNormalizer().fit_transform(X).ravel()
    stretched = MergerNormalizer(stretch="asinh").fit_transform(X).ravel()
    order = np.argsort(linear)
    assert np.all(np.diff(stretched[order]) >= -1e-6)
    normalizer = MergerNormalizer().fit(X)
    with pytest.raises(ValueError):
        normalizer.transform(X[:, :2])
