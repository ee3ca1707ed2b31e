"""X_target through cross-validation and grid search.

``GridSearchCV.fit(X, y, X_target=Xt)`` slices ``Xt`` along with the source
folds when it happens to have as many rows as ``X`` and passes it whole
otherwise (it slices every fit parameter of the length of ``X``).
:class:`DomainAwareGridSearchCV` and :func:`da_cross_validate` take
``X_target`` apart from the fit parameters and give it to each fold as the
user chose with ``target_split``: ``"whole"`` (every fit gets all target
rows) or ``"split"`` (every fold gets its own share of the target rows, for
training and, held out, for scoring), whatever its length. Label-free scorers
for these searches live in :mod:`skdomain.metrics`.
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV
from sklearn.model_selection import cross_validate as _sk_cross_validate
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing

from .._compat import StrOptions

__all__ = [
    "DomainAwareGridSearchCV",
    "da_cross_validate",
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
        if sklearn.get_config()["enable_metadata_routing"]:
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
    labeled source ``X, y`` and trains each fold with target rows chosen by
    ``target_split``, never by the length of ``X_target``:

    - ``"whole"``: every fold's fit gets all of ``X_target`` (the usual
      transductive setting: the unlabeled observations are all available);
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
    >>> from skdomain.model_selection import DomainAwareGridSearchCV
    >>> from skdomain.metrics import PredictionEntropyScorer
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
            Labeled source inputs.
        y : array-like of shape (n_samples,)
        X_target : array-like of shape (n_target, ...)
            Unlabeled target inputs; required.
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
        Labeled source data.
    X_target : array-like of shape (n_target, ...)
        Unlabeled target data.
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
