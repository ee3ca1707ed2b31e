"""The cluster-profile generator and the scatter augmentation."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skdomain.datasets._clusters import (
    FLAVOURS,
    ScatterAugmenter,
    augment_scatter,
    log_observables,
    make_cluster_profiles,
    profile_columns,
)


@pytest.fixture(scope="module")
def clusters():
    return make_cluster_profiles(1500, random_state=0)


def test_frame_layout_and_ranges(clusters):
    X, y = clusters
    assert list(X.columns) == profile_columns(12)
    assert y.name == "log10_M500" and y.between(13.5, 15.0).all()
    assert np.allclose(X["Yx"], X["Mgas"] * X["T"])
    assert (X[["Mgas", "T", "Yx"]] > 0).all().all()
    # Density falls outwards on average; gas fractions stay physical.
    ne = X.filter(like="log_ne_").to_numpy()
    assert np.all(np.diff(ne.mean(0)) < 0)
    fgas = X["Mgas"] / 10 ** y
    assert 0.03 < fgas.median() < 0.2


def test_numpy_output_matches_frame():
    X, y = make_cluster_profiles(50, random_state=3)
    Xa, ya = make_cluster_profiles(50, as_frame=False, random_state=3)
    np.testing.assert_allclose(X.to_numpy(), Xa)
    np.testing.assert_allclose(y.to_numpy(), ya)


def test_same_seed_same_data_and_flavours_differ():
    a, _ = make_cluster_profiles(100, random_state=1)
    b, _ = make_cluster_profiles(100, random_state=1)
    c, _ = make_cluster_profiles(100, flavour="tng", random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_profiles_are_binned_without_the_true_mass(clusters):
    """No label leak through the radial bins.

    Were the bins in units of the true R500, the mean gas density inside R500
    read off the profile and Mgas(<R500) would give M500 = 500 rho_c 4/3 pi R500^3
    almost exactly, through a model linear in log Mgas and the log density bins.
    With bins in units of R500 estimated from Yx, that model must not beat the
    Yx relation.
    """
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_predict

    from skdomain.physics import YxScalingRegressor

    X, y = clusters
    logged = log_observables(X)
    columns = ["log_Mgas"] + [c for c in logged.columns if c.startswith("log_ne_")]
    leak = cross_val_predict(LinearRegression(), logged[columns], y, cv=5)
    yx = cross_val_predict(YxScalingRegressor(), X, y, cv=5)
    rms_leak, rms_yx = np.sqrt(np.mean((leak - y) ** 2)), np.sqrt(np.mean((yx - y) ** 2))
    assert rms_leak > 0.9 * rms_yx


def test_physics_overrides_and_bad_arguments():
    X, _ = make_cluster_profiles(200, physics={"f0": 0.2}, random_state=0)
    X0, _ = make_cluster_profiles(200, random_state=0)
    assert X["Mgas"].median() > 1.5 * X0["Mgas"].median()
    with pytest.raises(ValueError, match="flavour"):
        make_cluster_profiles(10, flavour="eagle")
    with pytest.raises(ValueError, match="Unknown physics"):
        make_cluster_profiles(10, physics={"bogus": 1})
    with pytest.raises(ValueError, match="n_samples"):
        make_cluster_profiles(0)
    with pytest.raises(ValueError, match="log_mass_range"):
        make_cluster_profiles(10, log_mass_range=(15, 14))
    assert set(FLAVOURS) == {"magneticum", "tng"}


def test_yx_is_the_robust_proxy_between_flavours():
    """Relations fitted on one flavour: on the other, Yx degrades least."""
    from skdomain.physics import ScalingRelationRegressor

    X, y = make_cluster_profiles(2000, random_state=0)
    Xv, yv = make_cluster_profiles(2000, random_state=1)
    Xt, yt = make_cluster_profiles(2000, flavour="tng", random_state=2)

    def rms(rel, X, y):
        return np.sqrt(np.mean((rel.predict(X) - y) ** 2))

    ratio = {}
    for c in ("Mgas", "T", "Yx"):
        rel = ScalingRelationRegressor(c).fit(X, y)
        ratio[c] = rms(rel, Xt, yt) / rms(rel, Xv, yv)
    assert ratio["Yx"] < min(ratio["Mgas"], ratio["T"])
    assert ratio["Yx"] < 1.1


def test_augment_scatter_adds_scatter_consistently(clusters):
    X, y = clusters
    X_aug, y_aug = augment_scatter(X, y, scatter_mgas=0.2, scatter_T=0.1, n_copies=2,
                                   random_state=0)
    assert X_aug.shape == (2 * len(X), X.shape[1]) and len(y_aug) == 2 * len(y)
    np.testing.assert_allclose(X_aug["Yx"], X_aug["Mgas"] * X_aug["T"])
    first = X_aug.iloc[: len(X)]
    d_gas = np.log(first["Mgas"].to_numpy() / X["Mgas"].to_numpy())
    assert 0.17 < d_gas.std() < 0.23
    # The whole density profile moves with Mgas.
    np.testing.assert_allclose(first["log_ne_03"] - X["log_ne_03"], d_gas / np.log(10))
    # Inputs untouched; no scatter -> identical copy.
    X_copy = X.copy()
    augment_scatter(X, y, random_state=0)
    pd.testing.assert_frame_equal(X, X_copy)
    same = augment_scatter(X.to_numpy(), scatter_mgas=0, scatter_T=0)
    np.testing.assert_allclose(same, X.to_numpy())


def test_scatter_augmenter_is_a_clonable_resampler(clusters):
    X, y = clusters
    aug = ScatterAugmenter(n_copies=2, include_original=True, random_state=0)
    X_out, y_out = clone(aug).fit_resample(X, y)
    assert len(X_out) == 3 * len(X)
    pd.testing.assert_frame_equal(X_out.iloc[: len(X)], X.reset_index(drop=True))
    with pytest.raises(ValueError):
        ScatterAugmenter(n_copies=0).fit_resample(X, y)
    with pytest.raises(ValueError, match="columns"):
        augment_scatter(np.ones((5, 4)))
    with pytest.raises(ValueError, match="finite"):
        bad = X.to_numpy().copy()
        bad[0, 0] = np.nan
        augment_scatter(bad)


def test_log_observables(clusters):
    X, _ = clusters
    logged = log_observables(X)
    np.testing.assert_allclose(logged["log_Yx"], np.log10(X["Yx"]))
    assert X["Yx"].min() > 1e10  # input untouched
    np.testing.assert_allclose(log_observables(X.to_numpy()), logged.to_numpy())
    bad = X.copy()
    bad.loc[0, "Yx"] = -1.0
    with pytest.raises(ValueError, match="positive"):
        log_observables(bad)
