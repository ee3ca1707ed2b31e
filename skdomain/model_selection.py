"""Model selection without target labels: X_target through CV, and unsupervised DA scorers.

Two problems of plain scikit-learn, solved here:

1. ``GridSearchCV.fit(X, y, X_target=Xt)`` slices ``Xt`` along with the source
   folds when it happens to have as many rows as ``X`` and passes it whole
   otherwise (it slices every fit parameter of the length of ``X``).
   :class:`DomainAwareGridSearchCV` and :func:`da_cross_validate` take
   ``X_target`` apart from the fit parameters and give it to each fold as the
   user chose with ``target_split``: ``"whole"`` (every fit gets all target
   rows) or ``"split"`` (every fold gets its own share of the target rows,
   for training and, held out, for scoring), whatever its length.
2. The default score of a search is accuracy on held-out *source* data. The
   scorers here estimate how good a model is on the *target* without its
   labels (entropy, importance-weighted validation, deep embedded validation,
   soft neighbourhood density, reverse validation), or with a few labels
   (:class:`LabelledTargetScorer`). They are plain callables
   ``scorer(estimator, X, y)``, "greater is better", usable as ``scoring=`` in
   any scikit-learn search; each returns a finite float or raises a
   ``ValueError`` that says why.

Where a scorer finds its target rows, in this order: an ``X_target`` keyword
(metadata routing, see :meth:`DAScorer.set_score_request`); the rows the
:class:`DomainAwareGridSearchCV` fold set aside for scoring; the ``X_target``
given to the scorer's constructor.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.model_selection import cross_validate as _sk_cross_validate
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import check_array

__all__ = [
    "DomainAwareGridSearchCV",
    "da_cross_validate",
    "DAScorer",
    "PredictionEntropyScorer",
    "ImportanceWeightedScorer",
    "DeepEmbeddedValidationScorer",
    "SoftNeighborhoodDensityScorer",
    "ReverseValidationScorer",
    "LabelledTargetScorer",
    "make_unsupervised_scorers",
    "pair_target_rows",
]

_TARGET_SPLITS = ("whole", "split")


# --------------------------------------------------------------------------
# X_target through the folds
# --------------------------------------------------------------------------
def pair_target_rows(n_source: int, n_target: int, random_state=None) -> np.ndarray:
    """Assign every target row to one source row, at random and evenly.

    The result is an object array of length ``n_source`` whose entry ``i``
    holds the indices of the target rows paired with source row ``i``. Any
    cross-validation splitter slices it along with the source rows, so the
    target rows follow the source fold of their partner: a K-fold split of the
    source then splits the target into K matching shares, and every fold has
    target rows to train and to score on, whatever the two domain sizes.

    Parameters
    ----------
    n_source, n_target : int
        Numbers of source and target rows.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    ndarray of shape (n_source,), dtype=object

    Examples
    --------
    >>> rows = pair_target_rows(4, 6, random_state=0)
    >>> sorted(np.concatenate(list(rows)).tolist())
    [0, 1, 2, 3, 4, 5]
    >>> sorted(len(r) for r in rows)
    [1, 1, 2, 2]
    """
    if n_source < 1 or n_target < 1:
        raise ValueError(f"Need source and target rows, got {n_source} and {n_target}.")
    rng = check_random_state(random_state)
    target_order = rng.permutation(n_target)
    source_order = rng.permutation(n_source)
    owner = source_order[np.arange(n_target) % n_source]
    pairing = np.empty(n_source, dtype=object)
    for i in range(n_source):
        pairing[i] = np.sort(target_order[owner == i])
    return pairing


class _TargetBoundEstimator(BaseEstimator):
    """An estimator bound to the whole target set; folds pick rows through ``target_rows``.

    Parameters (``get_params``/``set_params``) are those of the wrapped
    estimator, so a grid over ``mmd_weight`` or ``pipe__step__param`` reads as
    for the bare estimator. ``clone`` keeps the binding (``__sklearn_clone__``).
    Fitted, it delegates prediction, ``transform`` etc. to ``estimator_`` and
    exposes ``scoring_target_``: the target rows a scorer should use.
    """

    __metadata_request__fit = {"target_rows": True}

    def __init__(self, estimator, X_target):
        self.estimator = estimator
        self.X_target = X_target

    def __sklearn_clone__(self):
        return _TargetBoundEstimator(clone(self.estimator), self.X_target)

    def get_params(self, deep=True):
        return self.estimator.get_params(deep=deep)

    def set_params(self, **params):
        self.estimator.set_params(**params)
        return self

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()

    def __getattr__(self, name):
        if name.startswith("__") or name in ("estimator", "X_target", "estimator_"):
            raise AttributeError(name)
        fitted = self.__dict__.get("estimator_")
        return getattr(fitted if fitted is not None else self.__dict__["estimator"], name)

    def get_metadata_routing(self):
        router = MetadataRouter(owner=self).add_self_request(self)
        mapping = MethodMapping().add(caller="fit", callee="fit")
        mapping.add(caller="score", callee="score")
        return router.add(estimator=self.estimator, method_mapping=mapping)

    def fit(self, X, y=None, target_rows=None, **params):
        if target_rows is None:
            used = np.arange(len(self.X_target))
        else:
            parts = [np.asarray(r, dtype=np.intp) for r in target_rows]
            used = np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
        if used.size < 2:
            raise ValueError(
                f"A fold received {used.size} target rows; at least 2 are needed. Use "
                "target_split='whole' or fewer folds."
            )
        X_target_fit = _take_rows(self.X_target, np.sort(used))
        held_out = np.setdiff1d(np.arange(len(self.X_target)), used)
        self.scoring_target_ = (
            self.X_target if held_out.size < 2 else _take_rows(self.X_target, held_out)
        )
        if _routing_enabled():
            params = process_routing(self, "fit", **params).estimator.fit
        estimator = clone(self.estimator)
        estimator.fit(X, y, X_target=X_target_fit, **params)
        self.estimator_ = estimator
        return self

    def score(self, X, y=None, **params):
        return self.estimator_.score(X, y, **params)


def _take_rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _fit_params_with_target(target_split, X, X_target, random_state, params):
    if target_split not in _TARGET_SPLITS:
        raise ValueError(f"target_split must be 'whole' or 'split', got {target_split!r}.")
    if X_target is None:
        raise ValueError(
            "X_target is required: this search exists to pass the target domain to every "
            "fold. Use sklearn's GridSearchCV for a source-only model."
        )
    if "X_target" in params or any(k.endswith("__X_target") for k in params):
        raise ValueError("Pass the target domain once, as X_target=..., not as a fit parameter.")
    params = dict(params)
    if target_split == "split":
        params["target_rows"] = pair_target_rows(len(X), len(X_target), random_state)
    return params


class DomainAwareGridSearchCV(GridSearchCV):
    """Grid search that gives every fold the target domain the way the user chose.

    ``fit(X, y, X_target=X_target)`` cross-validates every candidate on the
    labelled source ``X, y`` and trains each fold with target rows chosen by
    ``target_split``, never by the length of ``X_target``:

    - ``"whole"``: every fold's fit gets all of ``X_target`` (the usual
      transductive setting: the unlabelled observations are all available);
      unsupervised scorers score on all of it too.
    - ``"split"``: the target rows are paired at random with source rows
      (:func:`pair_target_rows`) and follow their partner's fold: a fold
      trains on the target share of its training rows, and scorers see the
      held-out share (rows that fold's model never saw).

    Everything else (``param_grid``, multi-metric ``scoring``, ``refit``,
    ``cv_results_``, ``n_jobs`` and joblib backends such as Dask) is
    :class:`~sklearn.model_selection.GridSearchCV`; parameter names are those of
    the bare estimator (``mmd_weight``, ``dannclassifier__domain_weight``).
    Metadata routing is not needed; when it is enabled, other metadata is
    routed to the estimator as usual.

    Parameters
    ----------
    estimator : estimator whose ``fit`` accepts ``X_target``
        A skdomain estimator or a :class:`~skdomain.pipeline.DAPipeline`.
    param_grid : dict or list of dicts
    target_split : {"whole", "split"}, default="whole"
    scoring : str, callable, list, dict or None, default=None
        E.g. the scorers of :func:`make_unsupervised_scorers`. ``None`` is the
        estimator's ``score`` on held-out *source* data.
    n_jobs : int, default=None
    refit : bool, str or callable, default=True
        Refit the best candidate on all source rows with all target rows.
    cv : int, cross-validation generator or iterable, default=None
    verbose : int, default=0
    pre_dispatch : int or str, default="2*n_jobs"
    error_score : "raise" or float, default="raise"
        Unlike GridSearchCV's NaN default, a failed fit or score raises, so that
        no candidate is silently dropped.
    return_train_score : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Pairing of target with source rows (``target_split="split"``).

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, scorer_
        As in GridSearchCV.
    n_splits_, refit_time_, multimetric_
        As in :class:`~sklearn.model_selection.GridSearchCV`; ``best_estimator_``
        is the bare estimator, fitted with all of ``X_target``.

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.model_selection import (
    ...     DomainAwareGridSearchCV, PredictionEntropyScorer)
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> search = DomainAwareGridSearchCV(
    ...     MMDClassifier(max_epochs=2, random_state=0), {"mmd_weight": [0.0, 1.0]},
    ...     scoring=PredictionEntropyScorer(), cv=2)
    >>> search.fit(X, y, X_target=X_target).best_params_ in (
    ...     {"mmd_weight": 0.0}, {"mmd_weight": 1.0})
    True
    """

    _parameter_constraints: dict = {
        **GridSearchCV._parameter_constraints,
        "target_split": [StrOptions(set(_TARGET_SPLITS))],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        target_split="whole",
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score="raise",
        return_train_score=False,
        random_state=None,
    ):
        super().__init__(
            estimator,
            param_grid,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.target_split = target_split
        self.random_state = random_state

    def fit(self, X, y=None, X_target=None, **params):
        """Run the search.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Labelled source inputs.
        y : array-like of shape (n_samples,)
        X_target : array-like of shape (n_target, ...)
            Unlabelled target inputs; required.
        **params : dict
            Other parameters of ``GridSearchCV.fit`` (``groups``, fit params).

        Returns
        -------
        self
        """
        self._validate_params()
        params = _fit_params_with_target(
            self.target_split, X, X_target, self.random_state, params
        )
        search = GridSearchCV(
            _TargetBoundEstimator(self.estimator, X_target),
            self.param_grid,
            scoring=self.scoring,
            n_jobs=self.n_jobs,
            refit=self.refit,
            cv=self.cv,
            verbose=self.verbose,
            pre_dispatch=self.pre_dispatch,
            error_score=self.error_score,
            return_train_score=self.return_train_score,
        )
        search.fit(X, y, **params)
        for name in (
            "cv_results_", "best_index_", "best_score_", "best_params_", "scorer_",
            "n_splits_", "refit_time_", "multimetric_",
        ):
            if hasattr(search, name):
                setattr(self, name, getattr(search, name))
        if hasattr(search, "best_estimator_"):
            self.best_estimator_ = search.best_estimator_.estimator_
        return self


def da_cross_validate(
    estimator,
    X,
    y=None,
    *,
    X_target,
    target_split="whole",
    groups=None,
    scoring=None,
    cv=None,
    n_jobs=None,
    verbose=0,
    params=None,
    return_train_score=False,
    return_estimator=False,
    error_score="raise",
    random_state=None,
):
    """:func:`sklearn.model_selection.cross_validate` with ``X_target`` handled explicitly.

    Parameters
    ----------
    estimator : estimator whose ``fit`` accepts ``X_target``
    X, y : array-like
        Labelled source data.
    X_target : array-like of shape (n_target, ...)
        Unlabelled target data.
    target_split : {"whole", "split"}, default="whole"
        As in :class:`DomainAwareGridSearchCV`.
    groups, scoring, cv, n_jobs, verbose, return_train_score, error_score
        As in ``cross_validate`` (``error_score`` defaults to ``"raise"``).
    params : dict, default=None
        Other fit parameters.
    return_estimator : bool, default=False
        Return the fitted bare estimators.
    random_state : int, RandomState instance or None, default=None
        Pairing of target with source rows (``"split"``).

    Returns
    -------
    dict
        As ``cross_validate``.

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.model_selection import da_cross_validate
    >>> X, y, X_target, _ = make_rotated_moons(60, random_state=0)
    >>> result = da_cross_validate(
    ...     MMDClassifier(max_epochs=1, random_state=0), X, y, X_target=X_target, cv=2)
    >>> result["test_score"].shape
    (2,)
    """
    fit_params = _fit_params_with_target(target_split, X, X_target, random_state, params or {})
    result = _sk_cross_validate(
        _TargetBoundEstimator(estimator, X_target),
        X,
        y,
        groups=groups,
        scoring=scoring,
        cv=cv,
        n_jobs=n_jobs,
        verbose=verbose,
        params=fit_params,
        return_train_score=return_train_score,
        return_estimator=return_estimator,
        error_score=error_score,
    )
    if return_estimator:
        result["estimator"] = [bound.estimator_ for bound in result["estimator"]]
    return result


# --------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------
def _finite(value, name: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(
            f"{name} is {value}: the model's outputs on the target are not finite or the "
            "score is undefined for them."
        )
    return value


def _bare(estimator):
    return estimator.estimator_ if isinstance(estimator, _TargetBoundEstimator) else estimator


def _fit_accepts_target(estimator) -> bool:
    try:
        return "X_target" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def _flat(X) -> np.ndarray:
    X = check_array(X, allow_nd=True, dtype=np.float64)
    return X.reshape(X.shape[0], -1)


def _proba(estimator, X, scorer_name) -> np.ndarray:
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{scorer_name} needs class probabilities, but {type(estimator).__name__} has "
            "no predict_proba (regressors cannot use it)."
        )
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    if not np.all(np.isfinite(proba)):
        raise ValueError(f"{scorer_name}: predict_proba returned non-finite values.")
    return proba


class DAScorer:
    """Base class of the domain-adaptation scorers: finds the target rows.

    Parameters
    ----------
    X_target : array-like of shape (n_target, ...), default=None
        Unlabelled target rows to score on, when neither metadata routing nor
        :class:`DomainAwareGridSearchCV` provides them.

    Notes
    -----
    With metadata routing enabled, ``scorer.set_score_request(X_target=True)``
    lets a search pass ``X_target`` to the scorer as score metadata (sliced by
    scikit-learn like any metadata of the length of ``X``).
    """

    name = "da_score"
    _routed_target_requested = False

    def __init__(self, X_target=None):
        self.X_target = X_target

    def set_score_request(self, *, X_target=None):
        """Request ``X_target`` as routed score metadata (metadata routing only).

        Parameters
        ----------
        X_target : bool or None, default=None

        Returns
        -------
        self
        """
        self._routed_target_requested = bool(X_target)
        return self

    def get_metadata_routing(self):
        """Routing of this scorer: it may request ``X_target`` for ``score``."""
        from sklearn.utils.metadata_routing import MetadataRequest

        request = MetadataRequest(owner=self)
        if self._routed_target_requested:
            request.score.add_request(param="X_target", alias=True)
        return request

    def _target(self, estimator, X_target):
        for candidate in (X_target, getattr(estimator, "scoring_target_", None), self.X_target):
            if candidate is not None:
                return candidate
        raise ValueError(
            f"{type(self).__name__} has no target rows to score on: pass X_target to its "
            "constructor, use DomainAwareGridSearchCV / da_cross_validate, or route X_target "
            "as score metadata."
        )

    def __call__(self, estimator, X, y=None, X_target=None, **kwargs):
        target = self._target(estimator, X_target)
        return _finite(self._score(estimator, X, y, target), type(self).__name__)

    def _score(self, estimator, X, y, X_target):
        raise NotImplementedError

    def __repr__(self):
        shown = {k: v for k, v in vars(self).items() if k != "X_target" and not k.startswith("_")}
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"


class PredictionEntropyScorer(DAScorer):
    """Negative mean entropy of the predicted class probabilities on the target.

    Confident target predictions score high. Cheap, but blind to confident
    mistakes: a model that collapses the target onto one class scores best.

    Parameters
    ----------
    X_target : array-like, default=None
        See :class:`DAScorer`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> PredictionEntropyScorer(X_target)(clf, X, y) <= 0
    True
    """

    def _score(self, estimator, X, y, X_target):
        proba = np.clip(_proba(estimator, X_target, type(self).__name__), 1e-12, 1.0)
        return np.mean(np.sum(proba * np.log(proba), axis=1))


class SoftNeighborhoodDensityScorer(DAScorer):
    """Soft neighbourhood density of the target predictions (Saito et al. 2021).

    Target probability vectors are L2-normalised; each row's similarities to
    the others are turned into a distribution by a softmax at ``temperature``,
    and the score is the mean entropy of those distributions: high when target
    samples form dense neighbourhoods of consistent predictions.

    Parameters
    ----------
    X_target : array-like, default=None
    temperature : float, default=0.05
    max_samples : int, default=1000
        Target rows used at most (a random subset), bounding the n^2 memory.
    random_state : int, default=0

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> SoftNeighborhoodDensityScorer(X_target)(clf, X, y) > 0
    True
    """

    def __init__(self, X_target=None, *, temperature=0.05, max_samples=1000, random_state=0):
        super().__init__(X_target)
        self.temperature = temperature
        self.max_samples = max_samples
        self.random_state = random_state

    def _score(self, estimator, X, y, X_target):
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}.")
        n = len(X_target)
        if n > self.max_samples:
            rows = check_random_state(self.random_state).choice(n, self.max_samples, False)
            X_target = _take_rows(X_target, np.sort(rows))
        proba = _proba(estimator, X_target, type(self).__name__)
        if proba.shape[0] < 2:
            raise ValueError("SoftNeighborhoodDensityScorer needs at least 2 target rows.")
        unit = proba / np.linalg.norm(proba, axis=1, keepdims=True)
        logits = unit @ unit.T / self.temperature
        np.fill_diagonal(logits, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(weights > 0, weights * np.log(weights), 0.0)
        return -np.mean(np.sum(terms, axis=1))


def _density_ratio(Z_source, Z_target, domain_classifier, cv, random_state, clip):
    """Cross-fitted p_target(z) / p_source(z) at the source rows, from a domain classifier."""
    Z = np.concatenate([Z_source, Z_target])
    domain = np.r_[np.zeros(len(Z_source)), np.ones(len(Z_target))]
    n_splits = int(min(cv, len(Z_source), len(Z_target)))
    if n_splits < 2:
        raise ValueError("Importance weights need at least 2 source and 2 target rows.")
    # Plain shuffled K-fold: on two equally sized, identically distributed domains
    # StratifiedKFold's cross-fitted probabilities were biased (0.8 vs 0.5 at the
    # source vs target rows in our tests), KFold's were not.
    splitter = KFold(n_splits, shuffle=True, random_state=random_state)
    classifier = LogisticRegression() if domain_classifier is None else clone(domain_classifier)
    proba = cross_val_predict(classifier, Z, domain, cv=splitter, method="predict_proba")
    p_target = np.clip(proba[: len(Z_source), 1], 1e-6, 1 - 1e-6)
    ratio = p_target / (1 - p_target) * (len(Z_source) / len(Z_target))
    return np.clip(ratio, 0.0, clip)


def _per_sample_loss(estimator, X, y, scorer_name):
    if is_regressor(estimator):
        pred = np.asarray(estimator.predict(X), dtype=np.float64).reshape(len(X), -1)
        return np.mean((pred - np.asarray(y, np.float64).reshape(len(X), -1)) ** 2, axis=1)
    proba = _proba(estimator, X, scorer_name)
    classes = list(estimator.classes_)
    index = np.array([classes.index(label) for label in np.asarray(y)])
    return -np.log(np.clip(proba[np.arange(len(index)), index], 1e-12, 1.0))


class _WeightedSourceScorer(DAScorer):
    def __init__(
        self, X_target=None, *, domain_classifier=None, cv=5, clip=20.0, random_state=0
    ):
        super().__init__(X_target)
        self.domain_classifier = domain_classifier
        self.cv = cv
        self.clip = clip
        self.random_state = random_state

    def _check_labels(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} needs the held-out source labels y.")


class ImportanceWeightedScorer(_WeightedSourceScorer):
    """Importance-weighted validation (Sugiyama et al. 2007) on held-out source data.

    A domain classifier (cross-fitted, on the raw inputs) estimates the density
    ratio ``w(x) = p_target(x) / p_source(x)`` at the held-out source rows; the
    score is the ``w``-weighted accuracy (classifiers) or minus the weighted
    mean squared error (regressors): held-out source errors counted as often as
    such inputs occur in the target.

    Parameters
    ----------
    X_target : array-like, default=None
    domain_classifier : classifier with predict_proba, default=None
        ``None`` is a ``LogisticRegression``.
    cv : int, default=5
        Folds of the cross-fitting of the domain classifier.
    clip : float, default=20.0
        Upper bound on the weights (variance control).
    random_state : int, default=0

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> 0 <= ImportanceWeightedScorer(X_target)(clf, X, y) <= 1
    True
    """

    def _score(self, estimator, X, y, X_target):
        self._check_labels(y)
        weights = _density_ratio(
            _flat(X), _flat(X_target), self.domain_classifier, self.cv,
            self.random_state, self.clip,
        )
        if weights.sum() <= 0:
            raise ValueError("All importance weights are zero: the domains do not overlap.")
        if is_regressor(estimator):
            loss = _per_sample_loss(estimator, X, y, type(self).__name__)
            return -np.average(loss, weights=weights)
        correct = np.asarray(estimator.predict(X)) == np.asarray(y)
        return np.average(correct, weights=weights)


class DeepEmbeddedValidationScorer(_WeightedSourceScorer):
    """Deep embedded validation (You et al. 2019): minus the DEV risk.

    The density ratio is estimated by a domain classifier on the model's
    *latent features* (``estimator.transform``), where adaptation happens;
    the weighted held-out source loss (cross-entropy, or squared error for
    regressors) is then corrected by a control variate,
    ``risk = mean(w * l) + eta * mean(w) - eta`` with
    ``eta = -cov(w * l, w) / var(w)``, which lowers the variance of the estimate.

    Parameters
    ----------
    X_target : array-like, default=None
    domain_classifier : classifier with predict_proba, default=None
        ``None`` is a ``LogisticRegression`` on standardised features.
    cv : int, default=5
    clip : float, default=20.0
    random_state : int, default=0

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    >>> DeepEmbeddedValidationScorer(X_target)(clf, X, y) <= 0
    True
    """

    def _score(self, estimator, X, y, X_target):
        self._check_labels(y)
        if not hasattr(estimator, "transform"):
            raise ValueError(
                "DeepEmbeddedValidationScorer needs latent features: "
                f"{type(_bare(estimator)).__name__} has no transform."
            )
        Z_source = _flat(estimator.transform(X))
        Z_target = _flat(estimator.transform(X_target))
        # Standardise on both domains; constant (e.g. dead ReLU) features stay constant.
        pooled = np.concatenate([Z_source, Z_target])
        scale = pooled.std(axis=0)
        scale = np.where(scale > 1e-6, scale, 1.0)
        centre = pooled.mean(axis=0)
        weights = _density_ratio(
            (Z_source - centre) / scale, (Z_target - centre) / scale,
            self.domain_classifier, self.cv, self.random_state, self.clip,
        )
        loss = _per_sample_loss(estimator, X, y, type(self).__name__)
        weighted = weights * loss
        variance = np.var(weights, ddof=1) if len(weights) > 1 else 0.0
        eta = 0.0
        if variance > 1e-12:
            eta = -np.cov(weighted, weights, ddof=1)[0, 1] / variance
        return -(np.mean(weighted) + eta * np.mean(weights) - eta)


class ReverseValidationScorer(DAScorer):
    """Reverse (circular) validation (Zhong et al. 2010; Ganin et al. 2016).

    The fitted model labels the target; a fresh copy of it
    (:func:`sklearn.base.clone`, the same hyper-parameters, no deep copy of a
    fitted network) is trained on the pseudo-labelled target, with the
    held-out source as *its* target domain when its ``fit`` accepts
    ``X_target``, and scored on the held-out source labels (its ``score``:
    accuracy or R^2). A model whose target labels are consistent with the
    source labels scores high. Costs one extra fit per call.

    If the model predicts a single class on the whole target, the reverse model
    is that constant, and the score its accuracy on the source labels.

    Parameters
    ----------
    X_target : array-like, default=None
    reverse_estimator : estimator, default=None
        Trained in the reverse direction; ``None`` clones the scored estimator.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> 0 <= ReverseValidationScorer(X_target)(clf, X, y) <= 1
    True
    """

    def __init__(self, X_target=None, *, reverse_estimator=None):
        super().__init__(X_target)
        self.reverse_estimator = reverse_estimator

    def _score(self, estimator, X, y, X_target):
        if y is None:
            raise ValueError("ReverseValidationScorer needs the held-out source labels y.")
        pseudo = np.asarray(estimator.predict(X_target))
        template = _bare(estimator) if self.reverse_estimator is None else self.reverse_estimator
        if is_classifier(template) and np.unique(pseudo).size < 2:
            return np.mean(np.asarray(y) == pseudo[0])
        reverse = clone(template)
        if _fit_accepts_target(reverse):
            reverse.fit(X_target, pseudo, X_target=X)
        else:
            reverse.fit(X_target, pseudo)
        return reverse.score(X, y)


class LabelledTargetScorer(DAScorer):
    """Score on a few labelled target samples (semi-supervised model selection).

    Parameters
    ----------
    X_target_labelled : array-like of shape (n_labelled, ...)
    y_target_labelled : array-like of shape (n_labelled,)
    scoring : str or callable, default=None
        A scikit-learn scoring name or scorer; ``None`` is the estimator's
        ``score`` (accuracy or R^2).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, y_target = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> scorer = LabelledTargetScorer(X_target[:10], y_target[:10])
    >>> 0 <= scorer(clf, X, y) <= 1
    True
    """

    def __init__(self, X_target_labelled, y_target_labelled, *, scoring=None):
        super().__init__(None)
        self.X_target_labelled = X_target_labelled
        self.y_target_labelled = y_target_labelled
        self.scoring = scoring

    def __call__(self, estimator, X, y=None, X_target=None, **kwargs):
        if len(self.X_target_labelled) != len(self.y_target_labelled):
            raise ValueError("X_target_labelled and y_target_labelled differ in length.")
        if len(self.y_target_labelled) < 1:
            raise ValueError("LabelledTargetScorer needs at least one labelled target sample.")
        scorer = check_scoring(estimator, scoring=self.scoring)
        value = scorer(estimator, self.X_target_labelled, self.y_target_labelled)
        return _finite(value, type(self).__name__)

    def __repr__(self):
        return f"LabelledTargetScorer(n_labelled={len(self.y_target_labelled)})"


def make_unsupervised_scorers(X_target=None, *, classifier=True, reverse=True, random_state=0):
    """The unsupervised DA scorers by name, for multi-metric ``scoring=``.

    Parameters
    ----------
    X_target : array-like, default=None
        Target rows for use outside :class:`DomainAwareGridSearchCV`.
    classifier : bool, default=True
        Include the scorers that need class probabilities (entropy, SND).
    reverse : bool, default=True
        Include reverse validation (one extra fit per fold and candidate).
    random_state : int, default=0

    Returns
    -------
    dict of str -> DAScorer
        Keys among ``"entropy"``, ``"snd"``, ``"iwv"``, ``"dev"``, ``"reverse"``.

    Examples
    --------
    >>> sorted(make_unsupervised_scorers())
    ['dev', 'entropy', 'iwv', 'reverse', 'snd']
    >>> sorted(make_unsupervised_scorers(classifier=False, reverse=False))
    ['dev', 'iwv']
    """
    scorers: dict[str, DAScorer] = {}
    if classifier:
        scorers["entropy"] = PredictionEntropyScorer(X_target)
        scorers["snd"] = SoftNeighborhoodDensityScorer(X_target, random_state=random_state)
    scorers["iwv"] = ImportanceWeightedScorer(X_target, random_state=random_state)
    scorers["dev"] = DeepEmbeddedValidationScorer(X_target, random_state=random_state)
    if reverse:
        scorers["reverse"] = ReverseValidationScorer(X_target)
    return scorers
