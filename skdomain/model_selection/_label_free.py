"""Selection among fitted candidates from the target rows alone (no folds, no labels).

The unsupervised-DA literature selects among models that were each trained
once on all source rows and all unlabeled target rows, judging them on those
target rows (MixVal, SND, entropy) or against each other (the ensemble of
:func:`select_by_ensemble`). :class:`LabelFreeGridSearch` is that procedure
as a scikit-learn meta-estimator: one fit per candidate, every criterion
computed on the same fitted candidates, and the candidates kept, which is what
an ensemble-based criterion needs and what a K-fold search throws away.
"""

from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, train_test_split
from sklearn.utils import Bunch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..metrics import DAScorer
from ._search import _take_rows

__all__ = ["LabelFreeGridSearch", "select_by_ensemble"]

#: The name under which ``scoring`` asks for the ensemble criterion.
ENSEMBLE = "ensemble"


def _candidate_list(candidates):
    if isinstance(candidates, LabelFreeGridSearch):
        check_is_fitted(candidates, "candidates_")
        return list(candidates.candidates_)
    if hasattr(candidates, "cv_results_") and not hasattr(candidates, "candidates_"):
        raise ValueError(
            "select_by_ensemble needs the fitted candidates, and a cross-validated search "
            f"({type(candidates).__name__}) keeps none of them. Use LabelFreeGridSearch "
            "(scoring='ensemble'), or pass a list of fitted estimators."
        )
    candidates = list(candidates)
    if len(candidates) < 2:
        raise ValueError(
            f"select_by_ensemble needs at least 2 fitted candidates, got {len(candidates)}."
        )
    return candidates


def select_by_ensemble(candidates, X_target):
    """Score fitted candidates by their agreement with the ensemble of all of them (EnsV).

    Hu et al., "Towards Trustable Unsupervised Model Selection: Ensemble as a
    Validator" (EnsV, 2024). The candidates' class probabilities on the target
    rows are averaged (majority vote of ``predict`` when a candidate has no
    ``predict_proba``); the ensemble's labels serve as pseudo-labels, and each
    candidate's score is its accuracy against them. An ensemble is usually
    more accurate than most of its members and is not fooled by one
    confident, collapsed candidate, so the candidate that agrees most with it
    is a safe pick: rarely the best, rarely bad.

    Parameters
    ----------
    candidates : list of fitted classifiers, or a fitted :class:`LabelFreeGridSearch`
        At least two, all fitted on the same classes (e.g. one model per value
        of a loss weight).
    X_target : array-like of shape (n_target, ...)
        Unlabeled target rows.

    Returns
    -------
    Bunch
        ``scores`` (ndarray of shape (n_candidates,), the agreements in [0, 1]),
        ``best_index`` (int, the first candidate of highest agreement) and
        ``pseudo_labels`` (ndarray of shape (n_target,), the ensemble's labels).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> models = [LogisticRegression(C=c).fit(X, y) for c in (0.01, 1.0, 100.0)]
    >>> result = select_by_ensemble(models, X_target)
    >>> result.scores.shape, int(result.best_index) in (0, 1, 2)
    ((3,), True)
    """
    candidates = _candidate_list(candidates)
    if len(X_target) < 1:
        raise ValueError("select_by_ensemble needs at least one target row in X_target.")
    classes = [np.asarray(getattr(c, "classes_", [])) for c in candidates]
    if any(c.size == 0 for c in classes) or any(
        c.shape != classes[0].shape or np.any(c != classes[0]) for c in classes
    ):
        raise ValueError(
            "select_by_ensemble needs fitted classifiers that share the same classes_; "
            f"got {[c.tolist() for c in classes]}."
        )
    classes = classes[0]
    predictions = [np.asarray(c.predict(X_target)) for c in candidates]
    if all(hasattr(c, "predict_proba") for c in candidates):
        mean_proba = np.mean([np.asarray(c.predict_proba(X_target), float) for c in candidates], 0)
        if not np.all(np.isfinite(mean_proba)):
            raise ValueError("select_by_ensemble: a candidate's predict_proba is not finite.")
        pseudo = classes[np.argmax(mean_proba, axis=1)]
    else:
        votes = np.stack([(p[:, None] == classes[None, :]) for p in predictions]).sum(0)
        pseudo = classes[np.argmax(votes, axis=1)]
    scores = np.array([np.mean(p == pseudo) for p in predictions])
    return Bunch(scores=scores, best_index=int(np.argmax(scores)), pseudo_labels=pseudo)


def _fit_candidate(estimator, X, y, X_target):
    start = time.perf_counter()
    estimator.fit(X, y, X_target=X_target)
    return estimator, time.perf_counter() - start


def _has_best(name):
    def check(self):
        check_is_fitted(self, "best_estimator_")
        return hasattr(self.best_estimator_, name)

    return check


class LabelFreeGridSearch(MetaEstimatorMixin, BaseEstimator):
    """Fit every grid point once on source + target; pick one without target labels.

    For each point of ``param_grid`` a clone of ``estimator`` is fitted on the
    labeled source rows and all unlabeled target rows (the transductive
    setting: the observations to label are the ones adapted to). Every
    criterion of ``scoring`` is computed on those same fitted candidates, and
    the one named by ``selection`` picks ``best_estimator_``, which is already
    fitted (no refit). Unlike :class:`DomainAwareGridSearchCV` there are no
    folds: ``n_candidates`` fits instead of ``n_candidates * cv``, and the
    candidates are kept (``candidates_``), so the ensemble criterion
    (:func:`select_by_ensemble`) can compare them with each other.

    Parameters
    ----------
    estimator : estimator whose ``fit`` accepts ``X_target``
        A skdomain estimator or a :class:`~skdomain.pipeline.DAPipeline`.
    param_grid : dict or list of dicts
        As in :class:`~sklearn.model_selection.GridSearchCV`.
    scoring : "ensemble", str, callable or dict, default="ensemble"
        ``"ensemble"`` is :func:`select_by_ensemble`; a
        :class:`~skdomain.metrics.DAScorer` (e.g.
        :class:`~skdomain.metrics.MixValScorer`) gets ``X_target``; another
        scikit-learn scoring name or callable is computed on the held-out
        source rows. A dict maps names to any of these.
    selection : str, default=None
        The key of ``scoring`` that picks the best candidate; required when
        ``scoring`` is a dict of more than one entry.
    source_holdout : float, default=0.0
        Fraction of the source rows held out from training (stratified for
        classifiers) and given as ``X, y`` to the scorers that use source
        labels (importance-weighted, DEV, reverse validation, accuracy). With
        0 they see the training rows, which flatters candidates that fit the
        source closely; the target-only criteria do not use them.
    n_jobs : int, default=None
        Candidates fitted in parallel (joblib).
    random_state : int, RandomState instance or None, default=None
        The source hold-out split.
    verbose : int, default=0
        Passed to joblib.

    Attributes
    ----------
    candidates_ : list of estimators
        The fitted candidates, in the order of ``results_["params"]``.
    results_ : dict of ndarray
        ``params``, ``fit_time``, ``score_<name>`` and ``rank_<name>`` (1 is
        best) for every criterion; ``pandas.DataFrame(search.results_)`` shows it.
    best_index_ : int
    best_params_ : dict
    best_score_ : float
        The selection criterion's score of the best candidate.
    best_estimator_ : estimator
        ``candidates_[best_index_]``.
    ensemble_labels_ : ndarray of shape (n_target,)
        The ensemble's pseudo-labels, when ``"ensemble"`` is among the criteria.

    See Also
    --------
    DomainAwareGridSearchCV : K-fold search with the target passed to every fold.
    select_by_ensemble : the ensemble criterion for any list of fitted models.

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.metrics import MixValScorer
    >>> from skdomain.model_selection import LabelFreeGridSearch
    >>> X, y, X_target, y_target = make_rotated_moons(100, random_state=0)
    >>> search = LabelFreeGridSearch(
    ...     MMDClassifier(max_epochs=3, random_state=0), {"mmd_weight": [0.0, 5.0]},
    ...     scoring={"ensemble": "ensemble", "mixval": MixValScorer()}, selection="ensemble",
    ... ).fit(X, y, X_target=X_target)
    >>> sorted(k for k in search.results_ if k.startswith("score_"))
    ['score_ensemble', 'score_mixval']
    >>> search.best_params_ in ({"mmd_weight": 0.0}, {"mmd_weight": 5.0})
    True
    >>> search.predict(X_target).shape
    (100,)
    """

    def __init__(
        self, estimator, param_grid, *, scoring=ENSEMBLE, selection=None, source_holdout=0.0,
        n_jobs=None, random_state=None, verbose=0,
    ):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.selection = selection
        self.source_holdout = source_holdout
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _criteria(self):
        scoring = self.scoring
        if not isinstance(scoring, dict):
            scoring = {scoring if isinstance(scoring, str) else "score": scoring}
        if not scoring:
            raise ValueError("scoring is an empty dict; give at least one criterion.")
        if self.selection is None:
            if len(scoring) > 1:
                raise ValueError(
                    f"selection must name one of the criteria {sorted(scoring)} when scoring "
                    "has more than one."
                )
            selection = next(iter(scoring))
        elif self.selection not in scoring:
            raise ValueError(
                f"selection={self.selection!r} is not a key of scoring ({sorted(scoring)})."
            )
        else:
            selection = self.selection
        return scoring, selection

    def _split_source(self, X, y):
        fraction = self.source_holdout
        if not isinstance(fraction, Real) or not 0.0 <= fraction < 1.0:
            raise ValueError(f"source_holdout must be a float in [0, 1), got {fraction!r}.")
        if fraction == 0:
            return X, y, X, y
        rows = np.arange(len(X))
        stratify = y if is_classifier(self.estimator) else None
        fit_rows, held_rows = train_test_split(
            rows, test_size=fraction, stratify=stratify, random_state=self.random_state
        )
        y = np.asarray(y)
        return _take_rows(X, fit_rows), y[fit_rows], _take_rows(X, held_rows), y[held_rows]

    def fit(self, X, y, X_target=None):
        """Fit every candidate on ``X, y`` and ``X_target``, score them, keep the best.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Labeled source inputs.
        y : array-like of shape (n_samples,)
        X_target : array-like of shape (n_target, ...)
            Unlabeled target inputs; required.

        Returns
        -------
        self
        """
        if X_target is None:
            raise ValueError(
                "X_target is required: LabelFreeGridSearch selects on the target rows."
            )
        if self.n_jobs is not None and not isinstance(self.n_jobs, Integral):
            raise ValueError(f"n_jobs must be an int or None, got {self.n_jobs!r}.")
        scoring, selection = self._criteria()
        params = list(ParameterGrid(self.param_grid))
        X_fit, y_fit, X_held, y_held = self._split_source(X, y)
        fitted = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fit_candidate)(clone(self.estimator).set_params(**p), X_fit, y_fit, X_target)
            for p in params
        )
        self.candidates_ = [estimator for estimator, _ in fitted]
        results = {"params": params, "fit_time": np.array([t for _, t in fitted])}
        for name, criterion in scoring.items():
            if isinstance(criterion, str) and criterion == ENSEMBLE:
                ensemble = select_by_ensemble(self.candidates_, X_target)
                self.ensemble_labels_ = ensemble.pseudo_labels
                scores = ensemble.scores
            elif isinstance(criterion, DAScorer):
                scores = [criterion(c, X_held, y_held, X_target=X_target)
                          for c in self.candidates_]
            else:
                scorer = check_scoring(self.estimator, scoring=criterion)
                scores = [scorer(c, X_held, y_held) for c in self.candidates_]
            scores = np.asarray(scores, dtype=float)
            results[f"score_{name}"] = scores
            # rank 1 is best; ties share the lower rank, as in GridSearchCV
            worst_if_nan = np.where(np.isnan(scores), -np.inf, scores)
            results[f"rank_{name}"] = rankdata(-worst_if_nan, method="min").astype(int)
        self.results_ = results
        best = results[f"score_{selection}"]
        self.best_index_ = int(np.argmax(best))
        self.best_score_ = float(best[self.best_index_])
        self.best_params_ = params[self.best_index_]
        self.best_estimator_ = self.candidates_[self.best_index_]
        return self

    @property
    def classes_(self):
        """Classes of the best candidate."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @available_if(_has_best("predict"))
    def predict(self, X):
        """Predict with the best candidate."""
        return self.best_estimator_.predict(X)

    @available_if(_has_best("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the best candidate."""
        return self.best_estimator_.predict_proba(X)

    @available_if(_has_best("transform"))
    def transform(self, X):
        """Latent features of the best candidate."""
        return self.best_estimator_.transform(X)

    def score(self, X, y):
        """The best candidate's ``score`` on ``X, y``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score(X, y)
