"""Shift tests: they find the default cluster shift and keep their level under H0."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skdomain.datasets._clusters import log_observables, make_cluster_profiles
from skdomain.nn import mmd2
from skdomain.plotting import plot_shift_report
from skdomain.shift import (
    block_mmd_test,
    classifier_test,
    feature_tests,
    mmd_test,
    shift_report,
)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 30), m=st.integers(3, 30))
def test_permutation_statistic_is_the_biased_mmd2(seed, n, m):
    """The vectorized statistic equals losses.mmd2 (biased) on the same data."""
    import torch

    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, 2)), rng.normal(0.3, 1.0, size=(m, 2))
    # float64 on request (issue 14 made float32 the default, checked to 1e-4).
    res = mmd_test(a, b, n_permutations=5, standardize=False, dtype="float64", random_state=0)
    expected = float(mmd2(torch.as_tensor(a), torch.as_tensor(b), estimator="biased"))
    assert res.statistic == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert 1 / 6 <= res.p_value <= 1.0
    single = mmd_test(a, b, n_permutations=5, standardize=False, random_state=0)
    assert single.statistic == pytest.approx(expected, rel=1e-4, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 20), m=st.integers(2, 20),
       levels=st.integers(2, 50))
def test_delong_variance_equals_the_placement_value_definition(seed, n, m, levels):
    """DeLong's variance from ranks equals the explicit double loop, ties included
    (the bootstrap it replaced in issue 14 ignored that the scores were fitted)."""
    from skdomain.shift._two_sample import _delong_variance

    rng = np.random.default_rng(seed)
    neg, pos = rng.integers(0, levels, n) / levels, rng.integers(0, levels, m) / levels
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    expected = psi.mean(1).var(ddof=1) / m + psi.mean(0).var(ddof=1) / n
    auc = psi.mean()
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    hanley = (auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (n * m)
    assert _delong_variance(neg, pos) == pytest.approx(max(expected, hanley), abs=1e-12)


def _features(n, flavour, seed):
    return log_observables(make_cluster_profiles(n, flavour=flavour, random_state=seed)[0])


def test_default_cluster_shift_is_found_but_hard_to_see_in_the_integrated_quantities():
    source, target = _features(600, "magneticum", 0), _features(600, "tng", 1)
    table = shift_report(source, target, n_permutations=200, random_state=0)
    joint = table.set_index("test")
    assert joint.loc["MMD", "p_value"] < 0.01
    assert joint.loc["classifier AUC", "ci_low"] > 0.5
    per_feature = table[table.feature != "all"].set_index("feature")
    # The integrated quantities astronomers look at are not rejected on their own.
    assert not per_feature.loc[["log_Mgas", "log_Yx"], "rejected"].any()
    assert per_feature["rejected"].mean() < 0.75


@pytest.mark.slow
def test_false_positive_rate_at_alpha_005_between_samples_of_one_flavour():
    """100 repeats of two small samples of the same flavour: the MMD test rejects at
    about alpha, the per-feature KS tests (BH-corrected) rarely."""
    n_repeats, alpha = 100, 0.05
    pool = log_observables(make_cluster_profiles(n_repeats * 80, random_state=7)[0]).to_numpy()
    rng = np.random.default_rng(0)
    mmd_rejections, feature_rejections = 0, 0
    for i in range(n_repeats):
        rows = rng.choice(len(pool), 80, replace=False)
        a, b = pool[rows[:40]], pool[rows[40:]]
        mmd_rejections += mmd_test(a, b, n_permutations=99, random_state=i).p_value < alpha
        feature_rejections += feature_tests(a, b)["rejected"].any()
    # Binomial(100, 0.05): P(X > 11) < 0.5%.
    assert mmd_rejections <= 11
    assert feature_rejections <= 11


@pytest.mark.slow
def test_classifier_test_false_positives_and_power():
    rng = np.random.default_rng(0)
    from sklearn.linear_model import LogisticRegression

    same = [classifier_test(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)),
                            classifier=LogisticRegression(), cv=3,
                            random_state=i).p_value < 0.05 for i in range(20)]
    assert sum(same) <= 4
    shifted = classifier_test(rng.normal(size=(100, 3)), rng.normal(0.8, 1, size=(100, 3)),
                              classifier=LogisticRegression(), random_state=0)
    assert shifted.auc > 0.7 and shifted.p_value < 1e-4
    assert shifted.ci_low < shifted.auc < shifted.ci_high


def test_feature_tests_options():
    rng = np.random.default_rng(0)
    a = pd.DataFrame(rng.normal(size=(200, 3)), columns=["u", "v", "w"])
    b = a.copy() + [0.0, 0.0, 0.6]
    for test in ("ks", "anderson"):
        table = feature_tests(a, b, test=test, correction="bonferroni")
        assert table["feature"].tolist() == ["u", "v", "w"]
        assert table["rejected"].tolist() == [False, False, True]
        assert (table["p_adjusted"] >= table["p_value"]).all()


def test_bad_inputs_get_clear_errors():
    a = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="features"):
        mmd_test(a, a[:, :2])
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        shift_report(bad, a)
    for bad in (0, True, 2.5, -3):
        with pytest.raises(ValueError, match="n_permutations"):
            mmd_test(a, a, n_permutations=bad)
    for multipliers in ([], [1.0, 0.0], [-1.0]):
        with pytest.raises(ValueError, match="bandwidth_multipliers"):
            mmd_test(a, a, bandwidth_multipliers=multipliers)
    with pytest.raises(ValueError, match="dtype"):
        mmd_test(a, a, dtype="float16")
    with pytest.raises(ValueError, match="cv"):
        classifier_test(a[:3], a, cv=5)
    with pytest.raises(ValueError, match="cv"):
        classifier_test(a, a, cv=True)
    with pytest.raises(ValueError, match="block_size"):
        block_mmd_test(a, a, block_size=15)
    with pytest.raises(ValueError, match="block_size"):
        block_mmd_test(a, a, block_size=1)
    with pytest.raises(ValueError, match="test"):
        feature_tests(a, a, test="t")
    with pytest.raises(ValueError, match="columns"):
        feature_tests(pd.DataFrame(a, columns=list("abc")), pd.DataFrame(a, columns=list("abd")))


def test_report_plot():
    rng = np.random.default_rng(0)
    table = shift_report(rng.normal(size=(50, 4)), rng.normal(size=(50, 4)),
                         n_permutations=20, random_state=0)
    fig = plot_shift_report(table, title="t")
    assert len(fig.axes[0].patches) == 4
    with pytest.raises(ValueError, match="columns"):
        plot_shift_report(table.drop(columns="rejected"))


def test_latent_mmd_is_scale_free_and_sees_shifts():
    from sklearn.preprocessing import FunctionTransformer

    from skdomain.shift import latent_mmd

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(150, 3)), rng.normal(size=(150, 3))
    identity, scaled = FunctionTransformer(), FunctionTransformer(lambda X: 100 * X)
    assert latent_mmd(identity, a, b) == pytest.approx(latent_mmd(scaled, a, b), rel=1e-6)
    assert latent_mmd(identity, a, b + 0.7) > 5 * latent_mmd(identity, a, b)
    constant = FunctionTransformer(lambda X: np.ones((len(X), 2)))
    assert latent_mmd(constant, a, b) == 0.0


def test_constant_columns_are_reported_and_the_others_still_tested():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    a[:, 0] = b[:, 0] = 2.0
    b[:, 2] += 1.0
    for test in ("ks", "anderson"):
        table = feature_tests(a, b, test=test)
        assert table["constant"].tolist() == [True, False, False]
        assert np.isnan(table.loc[0, "p_value"]) and not table.loc[0, "rejected"]
        assert table["rejected"].tolist() == [False, False, True]
    report = shift_report(a, b, n_permutations=50, random_state=0)
    assert report["rejected"].tolist() == [True, True, False, False, True]


def test_rounding_noise_is_not_a_shift():
    """Samples that differ by one ulp of their magnitude: MMD near zero, no rejection
    (before issue 14 the median heuristic fitted the bandwidth to the rounding)."""
    import torch

    x = np.ones((20, 2))
    y = np.nextafter(x, 2.0)
    assert float(mmd2(torch.as_tensor(x), torch.as_tensor(y), estimator="biased")) < 1e-4
    assert mmd_test(x, y, n_permutations=50, random_state=0).p_value > 0.5


def test_identical_copies_give_auc_one_half():
    x = np.random.default_rng(0).normal(size=(60, 3))
    res = classifier_test(x, x.copy(), random_state=0)
    assert res.ci_low <= 0.5 <= res.ci_high and res.p_value > 0.05
