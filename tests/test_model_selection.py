"""X_target through grid search and cross-validation; weight selection without labels."""

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from skdomain import DANNClassifier, MMDClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.metrics import (
    DAScorer,
    PredictionEntropyScorer,
    SoftNeighborhoodDensityScorer,
    make_unsupervised_scorers,
)
from skdomain.model_selection import DomainAwareGridSearchCV, da_cross_validate, pair_target_rows
from skdomain.pipeline import make_da_pipeline


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Majority-class classifier that records the target rows it was fitted with."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y, X_target=None):
        self.X_target_ = None if X_target is None else np.asarray(X_target)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        return np.tile([0.75, 0.25], (len(X), 1))


class RecordingScorer(DAScorer):
    """Keeps the target rows each scoring call saw; scores their count."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def _score(self, estimator, X, y, X_target):
        self.seen.append(np.asarray(X_target))
        return float(len(X_target))


@pytest.fixture(scope="module")
def same_length():
    # Source and target of the same length: what plain GridSearchCV silently slices.
    X, y, X_target, y_target = make_rotated_moons(60, random_state=1)
    X_target = X_target + np.arange(len(X_target))[:, None] * 1e-3  # rows identifiable
    return X, y, X_target, y_target


@given(n_source=st.integers(1, 40), n_target=st.integers(1, 90), seed=st.integers(0, 99))
@settings(max_examples=60, deadline=None)
def test_pair_target_rows_is_an_even_partition(n_source, n_target, seed):
    rows = pair_target_rows(n_source, n_target, random_state=seed)
    assert rows.shape == (n_source,)
    assigned = np.concatenate(list(rows))
    np.testing.assert_array_equal(np.sort(assigned), np.arange(n_target))
    counts = np.array([len(r) for r in rows])
    assert counts.max() - counts.min() <= 1


def test_whole_gives_every_fold_all_target_rows(same_length):
    X, y, X_target, _ = same_length
    scorer = RecordingScorer()
    search = DomainAwareGridSearchCV(
        RecordingClassifier(), {"alpha": [1.0, 2.0]}, scoring=scorer, cv=3, target_split="whole"
    ).fit(X, y, X_target=X_target)
    np.testing.assert_array_equal(search.best_estimator_.X_target_, X_target)
    assert len(scorer.seen) == 6
    for seen in scorer.seen:
        np.testing.assert_array_equal(seen, X_target)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], [60.0, 60.0])


def test_split_gives_each_fold_its_share_and_scores_on_the_rest(same_length):
    X, y, X_target, _ = same_length
    fitted_targets = []

    class Recorder(RecordingClassifier):
        def fit(self, X, y, X_target=None):
            fitted_targets.append(np.asarray(X_target))
            return super().fit(X, y, X_target)

    scorer = RecordingScorer()
    search = DomainAwareGridSearchCV(
        Recorder(), {"alpha": [1.0]}, scoring=scorer, cv=KFold(3), target_split="split",
        random_state=0,
    ).fit(X, y, X_target=X_target)
    *fold_targets, refit_target = fitted_targets
    assert [len(t) for t in fold_targets] == [40, 40, 40]
    np.testing.assert_array_equal(refit_target, X_target)
    held_out = [set(map(tuple, s)) for s in scorer.seen]
    assert [len(h) for h in held_out] == [20, 20, 20]
    assert set.union(*held_out) == set(map(tuple, X_target))
    for trained, scored in zip(fold_targets, held_out, strict=True):
        assert not set(map(tuple, trained)) & scored
    assert search.best_score_ == 20.0


def test_split_does_not_depend_on_target_length(same_length):
    X, y, X_target, _ = same_length
    scorer = RecordingScorer()
    DomainAwareGridSearchCV(
        RecordingClassifier(), {"alpha": [1.0]}, scoring=scorer, cv=3, target_split="split"
    ).fit(X, y, X_target=X_target[:45])
    sizes = [len(s) for s in scorer.seen]
    # Fewer target than source rows: each fold holds out about a third of them.
    assert sum(sizes) == 45
    assert all(8 <= size <= 22 for size in sizes)


def test_da_cross_validate_with_pipeline(same_length):
    X, y, X_target, _ = same_length
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    for split in ("whole", "split"):
        result = da_cross_validate(
            pipe, X * 50, y, X_target=X_target * 50, cv=3, target_split=split,
            scoring={"entropy": PredictionEntropyScorer(), "acc": "accuracy"},
            return_estimator=True,
        )
        assert np.all(np.isfinite(result["test_entropy"]))
        assert result["test_acc"].shape == (3,)
        fitted = result["estimator"][0]
        expected_rows = 60 if split == "whole" else 40
        assert fitted[-1].X_target_.shape == (expected_rows, 2)
        assert abs(fitted[-1].X_target_.mean()) < 3  # scaled by the pipeline


def test_with_metadata_routing_enabled(same_length):
    X, y, X_target, _ = same_length
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    with sklearn.config_context(enable_metadata_routing=True):
        search = DomainAwareGridSearchCV(
            pipe, {"recordingclassifier__alpha": [1.0, 2.0]}, cv=2, target_split="split",
            scoring=SoftNeighborhoodDensityScorer(),
        ).fit(X, y, X_target=X_target)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_[-1].X_target_.shape == X_target.shape


def test_clear_errors(same_length):
    X, y, X_target, _ = same_length
    search = DomainAwareGridSearchCV(RecordingClassifier(), {"alpha": [1.0]}, cv=2)
    with pytest.raises(ValueError, match="X_target is required"):
        search.fit(X, y)
    with pytest.raises(ValueError, match="once"):
        search.fit(X, y, X_target=X_target, X_target_extra=1, alpha__X_target=X_target)
    with pytest.raises(ValueError, match="target_split"):
        DomainAwareGridSearchCV(
            RecordingClassifier(), {"alpha": [1.0]}, target_split="half"
        ).fit(X, y, X_target=X_target)
    with pytest.raises(ValueError, match="at least 2"):
        DomainAwareGridSearchCV(
            RecordingClassifier(), {"alpha": [1.0]}, cv=2, target_split="split"
        ).fit(X, y, X_target=X_target[:2])
    # A scorer that cannot find target rows fails loudly, not with NaN.
    from sklearn.model_selection import GridSearchCV

    with pytest.raises(ValueError, match="no target rows"):
        GridSearchCV(
            RecordingClassifier(), {"alpha": [1.0]}, scoring=PredictionEntropyScorer(), cv=2,
            error_score="raise",
        ).fit(X, y)


@pytest.mark.slow
def test_unsupervised_search_over_loss_weights_beats_no_adaptation():
    """Done-when: grid search over mmd_weight and domain_weight with an unsupervised scorer."""
    X, y, X_target, y_target = make_rotated_moons(200, rotation=35.0, random_state=0)
    grids = [
        (MMDClassifier(max_epochs=40, random_state=0), "mmd_weight", [0.0, 5.0]),
        (DANNClassifier(max_epochs=40, random_state=0), "domain_weight", [0.0, 1.0]),
    ]
    for estimator, param, weights in grids:
        search = DomainAwareGridSearchCV(
            estimator, {param: weights}, scoring=SoftNeighborhoodDensityScorer(), cv=2,
        ).fit(X, y, X_target=X_target)
        scores = search.cv_results_["mean_test_score"]
        assert np.all(np.isfinite(scores))
        chosen_accuracy = search.best_estimator_.score(X_target, y_target)
        baseline = estimator.set_params(**{param: 0.0}).fit(X, y, X_target=X_target)
        baseline_accuracy = baseline.score(X_target, y_target)
        assert chosen_accuracy >= baseline_accuracy, (param, search.best_params_, scores)
        assert search.best_params_[param] > 0, (param, scores)


def test_all_unsupervised_scorers_in_one_search(same_length):
    X, y, X_target, _ = same_length
    search = DomainAwareGridSearchCV(
        MMDClassifier(max_epochs=3, random_state=0), {"mmd_weight": [0.0, 1.0]},
        scoring=make_unsupervised_scorers(), refit="snd", cv=2, target_split="split",
    ).fit(X, y, X_target=X_target)
    for name in ("entropy", "snd", "iwv", "dev", "reverse"):
        assert np.all(np.isfinite(search.cv_results_[f"mean_test_{name}"])), name
    assert search.predict(X_target).shape == (len(X_target),)


def test_search_is_a_clonable_estimator():
    from sklearn.base import clone

    search = DomainAwareGridSearchCV(
        RecordingClassifier(), {"alpha": [1.0]}, target_split="split", random_state=3
    )
    copy = clone(search)
    assert copy.get_params()["target_split"] == "split"
    assert copy.get_params()["random_state"] == 3
    assert copy.error_score == "raise"


@pytest.mark.parametrize("routing", [False, True])
def test_plain_grid_search_slices_a_target_of_source_length(same_length, routing):
    """The scikit-learn behavior DomainAwareGridSearchCV exists for (failure 2 of the guide)."""
    from sklearn.model_selection import GridSearchCV

    X, y, X_target, _ = same_length
    with sklearn.config_context(enable_metadata_routing=routing):
        sizes = []

        class Recorder(RecordingClassifier):
            def fit(self, X, y, X_target=None):
                sizes.append(len(X_target))
                return super().fit(X, y, X_target)

        recorder = Recorder().set_fit_request(X_target=True) if routing else Recorder()
        GridSearchCV(recorder, {"alpha": [1.0]}, cv=3, refit=False).fit(
            X, y, X_target=X_target
        )
    assert sizes == [40, 40, 40]
