"""Scale-out: a grid search over loss weights with joblib processes and a Dask cluster."""

import joblib
import numpy as np
import pytest

from skdomain import MMDClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.metrics import SoftNeighborhoodDensityScorer
from skdomain.model_selection import DomainAwareGridSearchCV

distributed = pytest.importorskip("distributed")

GRID = {"mmd_weight": [0.0, 5.0]}


@pytest.fixture(scope="module")
def moons():
    return make_rotated_moons(80, random_state=0)


def _search(n_jobs=None):
    return DomainAwareGridSearchCV(
        MMDClassifier(max_epochs=4, batch_size=32, random_state=0), GRID,
        scoring=SoftNeighborhoodDensityScorer(), cv=2, n_jobs=n_jobs,
    )


@pytest.fixture(scope="module")
def sequential(moons):
    X, y, X_target, _ = moons
    return _search().fit(X, y, X_target=X_target)


def test_grid_search_with_two_joblib_processes(moons, sequential):
    X, y, X_target, _ = moons
    parallel = _search(n_jobs=2).fit(X, y, X_target=X_target)
    scores = parallel.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores, sequential.cv_results_["mean_test_score"], rtol=1e-4)
    assert parallel.best_params_ == sequential.best_params_


def test_grid_search_on_a_dask_local_cluster(moons, sequential):
    X, y, X_target, _ = moons
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        search = _search(n_jobs=-1).fit(X, y, X_target=X_target)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores, sequential.cv_results_["mean_test_score"], rtol=1e-4)
    assert search.best_estimator_.predict(X_target).shape == (len(X_target),)
