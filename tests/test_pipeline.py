"""DAPipeline: X_target goes through every transformer step."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import DANNClassifier, MMDClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.pipeline import DAPipeline, make_da_pipeline


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class and keeps what ``fit`` received."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y, X_target=None):
        self.X_ = np.asarray(X)
        self.X_target_ = None if X_target is None else np.asarray(X_target)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


@pytest.fixture(scope="module")
def domains():
    X, y, X_target, y_target = make_rotated_moons(120, n_target=90, random_state=0)
    # Physical units: large offsets and scales, different between the columns.
    units = np.array([100.0, 0.01])
    return X * units + 5.0, y, X_target * units + 5.0, y_target


def test_final_estimator_receives_source_scaled_target(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    pipe.fit(X, y, X_target=X_target)
    recorder = pipe[-1]
    expected = (X_target - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(recorder.X_target_, expected)
    np.testing.assert_allclose(recorder.X_.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(pipe.transform_target(X_target), expected)


def test_fit_transformers_on_both_standardises_the_union(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier(), fit_transformers_on="both")
    pipe.fit(X, y, X_target=X_target)
    received = np.vstack([pipe[-1].X_, pipe[-1].X_target_])
    np.testing.assert_allclose(received.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(received.std(axis=0), 1.0)
    union = np.vstack([X, X_target])
    np.testing.assert_allclose(pipe[0].mean_, union.mean(axis=0))


def test_plain_pipeline_would_pass_target_unscaled(domains):
    """The failure DAPipeline exists for (plain scikit-learn behavior)."""
    X, y, X_target, _ = domains
    pipe = make_pipeline(StandardScaler(), RecordingClassifier())
    pipe.fit(X, y, recordingclassifier__X_target=X_target)
    np.testing.assert_allclose(pipe[-1].X_target_, X_target)


def test_several_steps_and_passthrough(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), "passthrough", PCA(1), RecordingClassifier())
    pipe.fit(X, y, X_target=X_target)
    assert pipe[-1].X_target_.shape == (len(X_target), 1)
    np.testing.assert_allclose(pipe[-1].X_target_, pipe[:-1].transform(X_target))


def test_without_target_is_a_plain_pipeline(domains):
    X, y, _, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier(), fit_transformers_on="both")
    pipe.fit(X, y)
    assert pipe[-1].X_target_ is None
    np.testing.assert_allclose(pipe[0].mean_, X.mean(axis=0))


def test_dataframes(domains):
    X, y, X_target, _ = domains
    Xd = pd.DataFrame(X, columns=["flux", "size"])
    Xtd = pd.DataFrame(X_target, columns=["flux", "size"])
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier(), fit_transformers_on="both")
    pipe.fit(Xd, y, X_target=Xtd)
    assert pipe[-1].X_target_.shape == X_target.shape
    assert list(pipe.feature_names_in_) == ["flux", "size"]


def test_clone_params_and_nested_names():
    pipe = make_da_pipeline(StandardScaler(), DANNClassifier(), fit_transformers_on="both")
    pipe.set_params(dannclassifier__domain_weight=0.3)
    copy = clone(pipe)
    assert isinstance(copy, DAPipeline)
    assert copy.fit_transformers_on == "both"
    assert copy.get_params()["dannclassifier__domain_weight"] == 0.3
    assert pipe[:1].fit_transformers_on == "both"


def test_real_estimator_learns_in_a_pipeline(domains):
    X, y, X_target, y_target = domains
    pipe = make_da_pipeline(StandardScaler(), MMDClassifier(max_epochs=30, random_state=0))
    pipe.fit(X, y, X_target=X_target)
    assert pipe.score(X, y) > 0.8
    assert pipe.predict_proba(X_target).shape == (len(X_target), 2)
    assert pipe.transform(X_target).shape == (len(X_target), 64)
    assert pipe.fit_predict(X, y, X_target=X_target).shape == (len(X),)


def test_grid_search_and_cross_validate_without_routing(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    search = GridSearchCV(pipe, {"recordingclassifier__alpha": [1.0, 2.0]}, cv=2)
    search.fit(X, y, X_target=X_target)  # lengths differ: passed whole
    assert search.best_estimator_[-1].X_target_.shape == X_target.shape
    result = cross_validate(pipe, X, y, params={"X_target": X_target}, cv=2,
                            return_estimator=True)
    for fitted in result["estimator"]:
        scaler = fitted[0]
        np.testing.assert_allclose(fitted[-1].X_target_, scaler.transform(X_target))


def test_grid_search_with_metadata_routing_needs_no_request(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(pipe, {"recordingclassifier__alpha": [1.0, 2.0]}, cv=2)
        search.fit(X, y, X_target=X_target)
    fitted = search.best_estimator_
    np.testing.assert_allclose(fitted[-1].X_target_, fitted[0].transform(X_target))


def test_clear_errors(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    with pytest.raises(ValueError, match="X_target=..."):
        pipe.fit(X, y, recordingclassifier__X_target=X_target)
    both = make_da_pipeline(StandardScaler(), RecordingClassifier(), fit_transformers_on="both")
    with pytest.raises(ValueError, match="cannot be passed"):
        both.fit(X, y, X_target=X_target, standardscaler__sample_weight=np.ones(len(X)))
    with pytest.raises(ValueError, match="fit_transformers_on"):
        make_da_pipeline(StandardScaler(), RecordingClassifier(), fit_transformers_on="target")
    with pytest.raises(ValueError, match="fit_transformers_on"):
        DAPipeline([("r", RecordingClassifier())], fit_transformers_on="x").fit(X, y)
    with pytest.raises(ValueError, match="X_target has features"):
        make_da_pipeline(MMDClassifier(max_epochs=1)).fit(X, y, X_target=X_target[:, :1])


def test_memory_caches_transformers(domains, tmp_path):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier(), memory=str(tmp_path))
    first = pipe.fit(X, y, X_target=X_target)[-1].X_target_.copy()
    second = pipe.fit(X, y, X_target=X_target)[-1].X_target_
    np.testing.assert_allclose(first, second)


class RecordingMMD(MMDClassifier):
    """The real deep estimator, keeping the X_target its fit received."""

    def fit(self, X, y, X_target=None):
        self.received_target_ = np.array(X_target, copy=True)
        return super().fit(X, y, X_target=X_target)


def test_deep_estimator_receives_scaled_target(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingMMD(max_epochs=1, random_state=0),
                            fit_transformers_on="both")
    pipe.fit(X, y, X_target=X_target)
    received = pipe[-1].received_target_
    assert np.abs(received).max() < 10  # raw target reaches ~100 in the first column
    np.testing.assert_allclose(received, pipe[0].transform(X_target))
    search = GridSearchCV(pipe, {"recordingmmd__mmd_weight": [0.0, 1.0]}, cv=2)
    search.fit(X, y, X_target=X_target)
    np.testing.assert_allclose(
        search.best_estimator_[-1].received_target_,
        search.best_estimator_[0].transform(X_target),
    )


def test_wrong_target_width_blames_X_target(domains):
    """Issue 15, finding 13: the error named X ("X has 3 features, but StandardScaler...")."""
    X, y, X_target, _ = domains
    wide = np.hstack([X_target, X_target[:, :1]])
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    with pytest.raises(ValueError, match=r"X_target has features \(3,\), but X has \(2,\)"):
        pipe.fit(X, y, X_target=wide)
    Xd = pd.DataFrame(X, columns=["flux", "size"])
    Xtd = pd.DataFrame(X_target, columns=["flux", "radius"])
    with pytest.raises(ValueError, match="X_target has columns"):
        pipe.fit(Xd, y, X_target=Xtd)
    pipe.fit(X, y, X_target=X_target)
    with pytest.raises(ValueError, match="X_target has 3 features"):
        pipe.transform_target(wide)


def test_steps_are_parameters(domains):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier())
    assert not isinstance(pipe, Pipeline)  # composition, public API only
    assert pipe.named_steps["standardscaler"] is pipe[0] is pipe["standardscaler"]
    assert len(pipe) == 2
    pipe.set_params(standardscaler="passthrough", recordingclassifier__alpha=3.0)
    assert pipe[0] == "passthrough" and pipe[-1].alpha == 3.0
    pipe.fit(X, y, X_target=X_target)
    np.testing.assert_allclose(pipe[-1].X_target_, X_target)
    search = GridSearchCV(
        make_da_pipeline(StandardScaler(), RecordingClassifier()),
        {"standardscaler": ["passthrough", StandardScaler()]},
        cv=2,
    )
    search.fit(X, y, X_target=X_target)
    assert search.best_estimator_.get_params()["standardscaler"] == "passthrough"
    with pytest.raises(ValueError, match="Invalid parameter"):
        pipe.set_params(nosuchstep__alpha=1.0)


def test_methods_follow_the_final_step(domains, capsys):
    X, y, X_target, _ = domains
    pipe = make_da_pipeline(StandardScaler(), RecordingClassifier(), verbose=True)
    assert not hasattr(pipe, "predict_proba") and not hasattr(pipe, "transform")
    assert is_classifier(pipe)
    with pytest.raises(NotFittedError, match="DAPipeline"):
        pipe.predict(X)
    with pytest.raises(ValueError, match="does not accept the sample_weight"):
        pipe.fit(X, y, X_target=X_target, sample_weight=np.ones(len(X)))
    pipe.fit(X, y, X_target=X_target)
    assert "(step 2 of 2) Processing recordingclassifier" in capsys.readouterr().out
    assert pipe.n_features_in_ == 2
    np.testing.assert_array_equal(pipe.classes_, [0, 1])
    assert pipe.predict(X_target).shape == (len(X_target),)
