"""Calibration of the tests in skdomain.shift as tested properties (issue 14).

Under the null (both samples from N(0, I), 3 features) the rejection rate at
alpha = 0.05 over 500 fixed-seed repeats must lie in the binomial 99% interval
around 0.05, for n = 30 and n = 500 per domain; the null p-values must pass a
KS test of uniformity (where the test's p-values are fine-grained enough), and
the classifier test's AUC interval must cover 0.5 at its nominal rate. One
shift_report per repeat serves every test (MMD row, classifier row, per-feature
KS rows with their BH correction); a cheap classifier (LDA, 3 folds) and 99
permutations keep the module within its time budget.
"""

import numpy as np
import pytest
from scipy import stats
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from skdomain.shift import block_mmd_test, shift_report

ALPHA, REPEATS = 0.05, 500
LOW, HIGH = (v / REPEATS for v in stats.binom.interval(0.99, REPEATS, ALPHA))


def _null_reports(n, seed):
    rng = np.random.default_rng(seed)
    out = {"MMD": [], "classifier": [], "features": [], "covered": []}
    for i in range(REPEATS):
        a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
        table = shift_report(a, b, n_permutations=99, classifier=LinearDiscriminantAnalysis(),
                             cv=2, random_state=i)
        out["MMD"].append(table.loc[0, "p_value"])
        out["classifier"].append(table.loc[1, "p_value"])
        out["covered"].append(table.loc[1, "ci_low"] <= 0.5 <= table.loc[1, "ci_high"])
        out["features"].append(table.loc[2:, "p_adjusted"].min())
    return {k: np.asarray(v, float) for k, v in out.items()}


@pytest.fixture(scope="module", params=[30, 500], ids=["n30", "n500"])
def null(request):
    return request.param, _null_reports(request.param, seed=request.param)


@pytest.mark.parametrize("test", ["MMD", "classifier", "features"])
def test_null_rejection_rate_is_alpha(null, test):
    n, p = null
    rate = np.mean(p[test] < ALPHA)
    assert LOW <= rate <= HIGH, (n, test, rate)


@pytest.mark.parametrize("test", ["MMD", "classifier"])
def test_null_p_values_are_uniform(null, test):
    _, p = null
    assert stats.kstest(p[test], "uniform").pvalue > 0.01


def test_feature_p_values_are_super_uniform(null):
    # Two-sample KS statistics take few values (k / n): their p-values are discrete
    # (coarse near 1), so a KS test of uniformity fails at n = 30 and n = 500 alike;
    # what holds, and is checked, is P(p <= t) <= t on a grid of levels.
    _, p = null
    grid = np.linspace(0.01, 0.99, 50)
    assert all(np.mean(p["features"] <= t) <= t + 3 * np.sqrt(t * (1 - t) / REPEATS)
               for t in grid)


def test_classifier_interval_covers_half_at_its_nominal_rate(null):
    _, p = null
    low, high = (v / REPEATS for v in stats.binom.interval(0.99, REPEATS, 0.95))
    assert low <= np.mean(p["covered"]) <= high


def test_block_test_is_calibrated_and_has_power():
    rng = np.random.default_rng(3)
    null_p = np.array([block_mmd_test(rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3)),
                                      random_state=i).p_value for i in range(REPEATS)])
    assert LOW <= np.mean(null_p < ALPHA) <= HIGH
    assert stats.kstest(null_p, "uniform").pvalue > 0.01
    shifted = [block_mmd_test(rng.normal(size=(1000, 3)), rng.normal(0.3, 1, size=(1000, 3)),
                              random_state=i).p_value < ALPHA for i in range(50)]
    assert np.mean(shifted) > 0.8
