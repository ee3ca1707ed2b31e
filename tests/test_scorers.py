"""Unsupervised and few-label DA scorers: finite numbers or clear errors."""

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV

from skdomain import DANNClassifier, MMDClassifier, metrics
from skdomain.datasets import make_rotated_moons


class ConstantProba(ClassifierMixin, BaseEstimator):
    """Returns the same probability row for every sample."""

    def __init__(self, row=(0.5, 0.5)):
        self.row = row

    def fit(self, X, y, X_target=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.row, dtype=float), (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


#: Size of the ``moons`` fixture (tests/conftest.py).
N_MOONS = 150


@pytest.fixture(scope="module")
def logistic(moons):
    X, y, _, _ = moons
    return LogisticRegression().fit(X, y)


@pytest.fixture(scope="module")
def deep(moons):
    X, y, X_target, _ = moons
    return MMDClassifier(max_epochs=10, random_state=0).fit(X, y, X_target=X_target)


def test_entropy_prefers_confident_predictions(moons):
    X, y, X_target, _ = moons
    scorer = metrics.PredictionEntropyScorer(X_target)
    uniform = scorer(ConstantProba((0.5, 0.5)).fit(X, y), X, y)
    confident = scorer(ConstantProba((0.99, 0.01)).fit(X, y), X, y)
    assert uniform == pytest.approx(-np.log(2))
    assert confident > uniform


def test_snd_is_maximal_for_uniform_neighborhoods(moons):
    X, y, X_target, _ = moons
    scorer = metrics.SoftNeighborhoodDensityScorer(X_target[:50])
    # All predictions equal: every neighbor is as similar, entropy log(n - 1).
    assert scorer(ConstantProba().fit(X, y), X, y) == pytest.approx(np.log(49))


def test_iwv_without_shift_is_close_to_accuracy(moons, logistic):
    X, y, _, _ = moons
    _, _, same_domain, _ = make_rotated_moons(150, rotation=0.0, random_state=5)
    value = metrics.ImportanceWeightedScorer(same_domain)(logistic, X, y)
    assert value == pytest.approx(logistic.score(X, y), abs=0.05)


def test_dev_without_shift_is_close_to_minus_log_loss(moons, deep):
    X, y, _, _ = moons
    proba = deep.predict_proba(X)
    log_loss = -np.mean(np.log(proba[np.arange(len(y)), y]))
    _, _, same_domain, _ = make_rotated_moons(150, rotation=0.0, random_state=5)
    value = metrics.DeepEmbeddedValidationScorer(same_domain)(deep, X, y)
    assert value == pytest.approx(-log_loss, rel=0.2)


@pytest.mark.parametrize("name", ["entropy", "snd", "mixval", "iwv", "dev", "reverse"])
def test_scorers_on_deep_estimators_are_finite(moons, deep, name):
    X, y, X_target, _ = moons
    value = metrics.make_unsupervised_scorers(X_target)[name](deep, X, y)
    assert np.isfinite(value)


def test_reverse_validation_does_not_touch_the_fitted_model(moons, deep):
    X, y, X_target, _ = moons
    before = deep.predict_proba(X_target)
    value = metrics.ReverseValidationScorer(X_target)(deep, X, y)
    assert 0.0 <= value <= 1.0
    np.testing.assert_array_equal(deep.predict_proba(X_target), before)


def test_reverse_validation_with_a_collapsed_model(moons):
    X, y, X_target, _ = moons
    collapsed = ConstantProba((0.9, 0.1)).fit(X, y)
    reverse = metrics.ReverseValidationScorer(X_target)
    assert reverse(collapsed, X, y) == pytest.approx(np.mean(y == 0))


def test_regressors(moons):
    X, y, X_target, _ = moons
    target = X[:, 0] + 2 * X[:, 1]
    ridge = Ridge().fit(X, target)
    assert metrics.ImportanceWeightedScorer(X_target)(ridge, X, target) <= 0
    assert np.isfinite(metrics.ReverseValidationScorer(X_target)(ridge, X, target))
    with pytest.raises(ValueError, match="predict_proba"):
        metrics.PredictionEntropyScorer(X_target)(ridge, X, target)
    with pytest.raises(ValueError, match="predict_proba"):
        metrics.SoftNeighborhoodDensityScorer(X_target)(ridge, X, target)
    with pytest.raises(ValueError, match="transform"):
        metrics.DeepEmbeddedValidationScorer(X_target)(ridge, X, target)


def test_labeled_target_scorer(moons, logistic):
    X, y, X_target, y_target = moons
    scorer = metrics.LabeledTargetScorer(X_target[:10], y_target[:10])
    assert scorer(logistic, X, y) == logistic.score(X_target[:10], y_target[:10])
    balanced = metrics.LabeledTargetScorer(
        X_target[:10], y_target[:10], scoring="balanced_accuracy"
    )
    assert 0 <= balanced(logistic, X, y) <= 1
    with pytest.raises(ValueError, match="differ in length"):
        metrics.LabeledTargetScorer(X_target[:10], y_target[:9])(logistic, X, y)


def test_non_finite_outputs_raise(moons):
    X, y, X_target, _ = moons
    broken = ConstantProba((np.nan, np.nan)).fit(X, y)
    with pytest.raises(ValueError, match="non-finite"):
        metrics.PredictionEntropyScorer(X_target)(broken, X, y)
    with pytest.raises(ValueError, match="labels y"):
        metrics.ImportanceWeightedScorer(X_target)(broken, X, None)


def test_plain_grid_search_with_scorer_bound_to_target(moons):
    """Scorers built with X_target work in scikit-learn's own GridSearchCV, deep models too."""
    X, y, X_target, _ = moons
    search = GridSearchCV(
        DANNClassifier(max_epochs=3, random_state=0), {"domain_weight": [0.0, 1.0]},
        scoring=metrics.make_unsupervised_scorers(X_target), refit="dev", cv=2, error_score="raise",
    ).fit(X, y, X_target=X_target[:100])
    for name in ("entropy", "snd", "iwv", "dev", "reverse"):
        assert np.all(np.isfinite(search.cv_results_[f"mean_test_{name}"]))


def test_routed_target_metadata(moons):
    X, y, X_target, _ = moons
    scorer = metrics.PredictionEntropyScorer().set_score_request(X_target=True)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LogisticRegression(), {"C": [0.1, 10.0]}, scoring=scorer, cv=2,
            error_score="raise",
        ).fit(X, y, X_target=X_target[:70])
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == {"C": 10.0}
