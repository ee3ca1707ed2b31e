"""MixVal, the ensemble criterion and LabelFreeGridSearch: properties and behaviour."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from skdomain import MMDClassifier
from skdomain.metrics import MixValScorer
from skdomain.model_selection import (
    DomainAwareGridSearchCV,
    LabelFreeGridSearch,
    select_by_ensemble,
)


class Linear(ClassifierMixin, BaseEstimator):
    """Fixed linear rule ``w . x > b`` (no learning); ``fit`` records what it saw."""

    def __init__(self, w=(1.0, 0.0), b=0.0, labels=(0, 1)):
        self.w = w
        self.b = b
        self.labels = labels

    def fit(self, X, y, X_target=None):
        self.classes_ = np.sort(np.asarray(self.labels))
        self.n_fit_rows_ = len(X)
        self.n_target_rows_ = None if X_target is None else len(X_target)
        return self

    def decision_function(self, X):
        return np.asarray(X, float) @ np.asarray(self.w, float) - self.b

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.clip(self.decision_function(X), -30, 30)))
        return np.c_[1 - p, p]

    def predict(self, X):
        return np.asarray(self.labels)[(self.decision_function(X) > 0).astype(int)]


class VoteOnly(Linear):
    """The same rule without ``predict_proba`` (the ensemble falls back to votes)."""

    predict_proba = property(lambda self: (_ for _ in ()).throw(AttributeError("no")))


def blobs(seed, n=60, gap=2.0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(-gap, 0.5, (n, 2)), rng.normal(gap, 0.5, (n, 2))]
    return X, np.r_[np.zeros(n, int), np.ones(n, int)]


#: Size of the ``moons`` fixture (tests/conftest.py).
N_MOONS = 100

points = st.integers(0, 2**16).map(lambda s: np.random.default_rng(s).normal(size=(40, 2)))
rules = st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(-1, 1))


# ---------------------------------------------------------------- MixVal
@settings(max_examples=30, deadline=None)
@given(points, rules, st.sampled_from(["both", "intra", "inter"]))
def test_mixval_is_an_accuracy(X, rule, probes):
    value = MixValScorer(X, probes=probes)(Linear(rule[:2], rule[2]).fit(X, None), None)
    assert 0.0 <= value <= 1.0


@settings(max_examples=30, deadline=None)
@given(points, rules)
def test_mixval_ignores_the_names_of_the_classes(X, rule):
    a = Linear(rule[:2], rule[2], labels=(0, 1)).fit(X, None)
    b = Linear(rule[:2], rule[2], labels=(7, -3)).fit(X, None)
    assert MixValScorer(X)(a, None) == MixValScorer(X)(b, None)


def test_mixval_of_a_linear_rule_on_intra_cluster_probes_is_perfect():
    # Both endpoints on the same side of a hyperplane: so is every mixture of them.
    X = np.random.default_rng(0).normal(size=(200, 3))
    rule = Linear((1.0, -2.0, 0.5), 0.3).fit(X, None)
    assert MixValScorer(X, probes="intra", n_repeats=5)(rule, None) == 1.0


def test_mixval_does_not_reward_a_collapsed_model():
    X, _ = blobs(0)
    collapsed = Linear((0.0, 0.0), -1.0).fit(X, None)  # class 1 everywhere
    assert MixValScorer(X, probes="inter")(collapsed, None) == 0.0
    assert MixValScorer(X)(collapsed, None) == 0.5
    assert MixValScorer(X)(Linear((1.0, 1.0), 0.0).fit(X, None), None) > 0.8


@pytest.mark.parametrize("seed", range(5))
def test_mixval_prefers_the_boundary_between_the_clusters(seed):
    X, labels = blobs(seed)
    between = Linear((1.0, 1.0), 0.0).fit(X, None)  # the gap between the blobs
    through = Linear((1.0, -1.0), 0.0).fit(X, None)  # cuts both blobs in half
    scorer = MixValScorer(X, random_state=seed)
    assert scorer(between, None) > scorer(through, None) + 0.05


def test_mixval_keeps_dataframe_columns():
    X, y = blobs(1)
    frame = pd.DataFrame(X, columns=["flux", "size"])
    model = LogisticRegression().fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        from_frame = MixValScorer(frame)(model, None)
    assert from_frame == MixValScorer(X)(LogisticRegression().fit(X, y), None)


def test_mixval_on_images_and_deep_models(moons):
    X, y, X_target, _ = moons
    deep = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    assert 0.0 <= MixValScorer(X_target)(deep, X, y) <= 1.0
    images = np.random.default_rng(0).random((30, 1, 4, 4))
    knn = KNeighborsClassifier(3).fit(images.reshape(30, -1), np.arange(30) % 2)

    class Flatten(ClassifierMixin, BaseEstimator):
        classes_ = knn.classes_

        def predict(self, Z):
            return knn.predict(np.asarray(Z).reshape(len(Z), -1))

    assert 0.0 <= MixValScorer(images)(Flatten(), None) <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [({"mix_ratio": 0.5}, "mix_ratio"), ({"mix_ratio": 1.2}, "mix_ratio"),
     ({"probes": "all"}, "probes"), ({"n_repeats": 0}, "n_repeats")],
)
def test_mixval_rejects_bad_parameters(kwargs, message):
    X, _ = blobs(0)
    with pytest.raises(ValueError, match=message):
        MixValScorer(X, **kwargs)(Linear().fit(X, None), None)
    with pytest.raises(ValueError, match="at least 2 target rows"):
        MixValScorer(X[:1])(Linear().fit(X, None), None)


# ---------------------------------------------------------------- ensemble
@settings(max_examples=30, deadline=None)
@given(points, st.lists(rules, min_size=2, max_size=5), st.randoms(use_true_random=False))
def test_ensemble_scores_follow_the_candidates(X, candidate_rules, rnd):
    models = [Linear(r[:2], r[2]).fit(X, None) for r in candidate_rules]
    result = select_by_ensemble(models, X)
    assert np.all((result.scores >= 0) & (result.scores <= 1))
    assert result.best_index == int(np.argmax(result.scores))
    order = list(range(len(models)))
    rnd.shuffle(order)
    shuffled = select_by_ensemble([models[i] for i in order], X)
    np.testing.assert_allclose(shuffled.scores, result.scores[order])


def test_ensemble_picks_the_majority_and_votes_without_probabilities():
    X, _ = blobs(2)
    rules = [((1.0, 1.0), 0.0), ((1.0, 0.9), 0.0), ((1.0, -1.0), 0.0)]  # two agree
    for cls in (Linear, VoteOnly):
        result = select_by_ensemble([cls(w, b).fit(X, None) for w, b in rules], X)
        assert np.argmin(result.scores) == 2
        assert result.scores[0] > 0.95
    same = select_by_ensemble([Linear().fit(X, None), Linear().fit(X, None)], X)
    np.testing.assert_array_equal(same.scores, [1.0, 1.0])


def test_ensemble_rejects_what_it_cannot_compare(moons):
    X, y, X_target, _ = moons
    one = Linear().fit(X, y)
    with pytest.raises(ValueError, match="at least 2"):
        select_by_ensemble([one], X_target)
    with pytest.raises(ValueError, match="same classes_"):
        select_by_ensemble([one, Linear(labels=(0, 2)).fit(X, y)], X_target)
    search = DomainAwareGridSearchCV(Linear(), {"b": [0.0, 1.0]}, cv=2).fit(X, y, X_target=X)
    with pytest.raises(ValueError, match="LabelFreeGridSearch"):
        select_by_ensemble(search, X_target)


# ---------------------------------------------------------------- the search
def test_label_free_search_fits_each_candidate_once_and_keeps_them():
    X, y = blobs(3)
    X_target = X + 0.3
    search = LabelFreeGridSearch(
        Linear(), {"b": [-10.0, 0.0, 0.3, 10.0]},
        scoring={"ensemble": "ensemble", "mixval": MixValScorer(), "accuracy": "accuracy"},
        selection="mixval", source_holdout=0.25, random_state=0,
    ).fit(X, y, X_target=X_target)
    assert len(search.candidates_) == 4
    assert {c.n_fit_rows_ for c in search.candidates_} == {90}  # 25% of 120 held out
    assert {c.n_target_rows_ for c in search.candidates_} == {120}
    assert search.best_estimator_ is search.candidates_[search.best_index_]
    # b = 0.3 splits the shifted blobs between their clusters; b = +-10 collapses.
    assert search.best_params_ == {"b": 0.3}
    assert search.results_["score_mixval"][0] == 0.5 == search.results_["score_mixval"][3]
    assert search.results_["rank_mixval"][search.best_index_] == 1
    assert search.ensemble_labels_.shape == (120,)
    best = search.best_estimator_
    np.testing.assert_array_equal(search.predict(X_target), best.predict(X_target))
    assert search.score(X_target, y) == search.best_estimator_.score(X_target, y)


def test_label_free_search_with_a_deep_estimator(moons):
    X, y, X_target, y_target = moons
    search = LabelFreeGridSearch(
        MMDClassifier(max_epochs=2, random_state=0), {"mmd_weight": [0.0, 5.0]},
    ).fit(X, y, X_target=X_target)
    assert list(search.results_) == ["params", "fit_time", "score_ensemble", "rank_ensemble"]
    assert search.predict_proba(X_target).shape == (len(X_target), 2)
    assert search.transform(X_target).shape[0] == len(X_target)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"scoring": {"a": "ensemble", "b": "accuracy"}}, "selection must name"),
     ({"selection": "nope"}, "selection='nope'"),
     ({"source_holdout": 1.0}, "source_holdout"),
     ({"scoring": {}}, "empty")],
)
def test_label_free_search_rejects_bad_settings(kwargs, message):
    X, y = blobs(0)
    with pytest.raises(ValueError, match=message):
        LabelFreeGridSearch(Linear(), {"b": [0.0, 1.0]}, **kwargs).fit(X, y, X_target=X)
    with pytest.raises(ValueError, match="X_target is required"):
        LabelFreeGridSearch(Linear(), {"b": [0.0]}).fit(X, y)
