import numpy as np
import pytest

from skdomain.datasets import make_galaxy_morphologies
from skdomain.datasets._morphologies import MORPHOLOGY_CLASSES


def test_shapes_dtypes_and_default_classes():
    X, y = make_galaxy_morphologies(120, survey="sdss", image_size=24, random_state=0)
    assert X.shape == (120, 1, 24, 24) and X.dtype == np.float32
    assert y.dtype == np.int64
    assert set(y.tolist()) == set(range(9))  # no lenses in the shallow survey
    Xt, yt = make_galaxy_morphologies(120, survey="decals", image_size=24, random_state=0)
    assert 9 in set(yt.tolist())
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(Xt))


def test_reproducible_and_seed_dependent():
    a = make_galaxy_morphologies(30, random_state=3)
    b = make_galaxy_morphologies(30, random_state=3)
    c = make_galaxy_morphologies(30, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_class_subset_by_name_with_aliases_and_names_as_labels():
    X, y = make_galaxy_morphologies(
        90,
        survey="year1",
        classes=["spiral", "elliptical", "merger"],
        labels="name",
        random_state=0,
    )
    assert sorted(set(y.tolist())) == ["elliptical", "merger", "spiral"]
    _, codes = make_galaxy_morphologies(
        90, survey="year10", classes=["spiral", "elliptical", "merger"], random_state=0
    )
    assert set(codes.tolist()) == {
        MORPHOLOGY_CLASSES.index("unbarred_loose_spiral"),
        MORPHOLOGY_CLASSES.index("round_smooth"),
        MORPHOLOGY_CLASSES.index("merging"),
    }


def test_class_proportions_are_exact_counts():
    _, y = make_galaxy_morphologies(
        100, classes=["merging", "round_smooth"], class_proportions=[3, 1], random_state=0
    )
    assert np.sum(y == 1) == 75 and np.sum(y == 2) == 25
    _, y = make_galaxy_morphologies(
        10,
        classes=["merging", "round_smooth"],
        class_proportions={"merging": 1.0},
        random_state=0,
    )
    assert set(y.tolist()) == {1}


def test_include_lens_overrides_survey_default():
    _, y = make_galaxy_morphologies(200, survey="sdss", include_lens=True, random_state=0)
    assert 9 in set(y.tolist())
    _, y = make_galaxy_morphologies(200, survey="decals", include_lens=False, random_state=0)
    assert 9 not in set(y.tolist())


def test_deeper_survey_is_less_noisy():
    # Far from the galaxy the pixels hold only sky noise.
    def corner_noise(survey):
        X, _ = make_galaxy_morphologies(300, survey=survey, image_size=32, random_state=0)
        return X[:, 0, :3, :3].std()

    assert corner_noise("year10") < 0.5 * corner_noise("year1")
    assert corner_noise("decals") < corner_noise("sdss")


def test_same_galaxies_look_smaller_on_coarser_pixels():
    # Light-weighted radius (in pixels) of noise-free smooth galaxies.
    def radius(survey):
        X, _ = make_galaxy_morphologies(
            200, survey=survey, classes=["round_smooth"], depth=1e12, random_state=0
        )
        image = np.clip(X[:, 0], 0, None)
        center = (image.shape[-1] - 1) / 2
        yy, xx = np.indices(image.shape[1:])
        r = np.hypot(xx - center, yy - center)
        return float(np.mean((image * r).sum((1, 2)) / image.sum((1, 2))))

    assert radius("sdss") < radius("decals")


def test_classes_are_distinguishable_by_a_linear_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X, y = make_galaxy_morphologies(
        600,
        survey="decals",
        classes=["round_smooth", "edge_on_no_bulge", "strong_lens"],
        class_proportions=[1, 1, 1],
        image_size=16,
        random_state=0,
    )
    score = cross_val_score(LogisticRegression(max_iter=300), X.reshape(len(X), -1), y, cv=3)
    assert score.mean() > 0.6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_samples": 0},
        {"survey": "hubble"},
        {"image_size": 4},
        {"classes": ["unicorn"]},
        {"classes": "spiral"},
        {"classes": [12]},
        {"classes": ["spiral", "loose_spiral"]},
        {"classes": ["merging"], "class_proportions": [1, 2]},
        {"class_proportions": [-1] * 9},
        {"depth": 0},
        {"labels": "letters"},
        {"classes": ["lens"], "include_lens": False},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    kwargs = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError):
        make_galaxy_morphologies(**kwargs)
