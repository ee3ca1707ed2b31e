"""Confident self-training around any classifier: pseudo-label the target, refit."""

from __future__ import annotations

import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

__all__ = ["SelfTrainingDA"]


def _accepts_target(estimator) -> bool:
    try:
        return "X_target" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def _stack(X, rows_of_other, other):
    """``X`` with the chosen rows of ``other`` appended (arrays or DataFrames)."""
    if hasattr(X, "iloc") and hasattr(other, "iloc"):
        import pandas as pd

        return pd.concat([X, other.iloc[rows_of_other]], ignore_index=True)
    return np.concatenate([np.asarray(X), np.asarray(other)[rows_of_other]])


class SelfTrainingDA(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Confident self-training for domain adaptation, around any classifier.

    Fits ``estimator`` on the labeled source (passing ``X_target`` when its
    ``fit`` accepts it, so a domain-adaptation estimator keeps aligning), then
    repeats up to ``max_iter`` times: predict the target, keep the rows whose
    top probability is at least ``threshold``, and refit a fresh clone on the
    source plus those target rows with their predicted labels. It stops early
    when no target row is confident or the pseudo-labels no longer change.
    At most ``max_per_class`` of the target rows per predicted class are kept
    (the most confident ones), so that one dominant class cannot take over.

    Without ``X_target`` it is the plain ``estimator``.

    References: D.-H. Lee, "Pseudo-Label: the simple and efficient
    semi-supervised learning method for deep neural networks", ICML workshop
    2013; Y. Zou, Z. Yu, B. V. K. Kumar, J. Wang, "Unsupervised Domain
    Adaptation for Semantic Segmentation via Class-Balanced Self-Training",
    ECCV 2018 (the per-class cap).

    Parameters
    ----------
    estimator : classifier with ``predict_proba``, default=None
        The base classifier; ``None`` means :class:`~skdomain.MMDClassifier`.
    threshold : float in (0, 1], default=0.9
        Minimum top class probability of a pseudo-labeled target row.
    max_iter : int, default=3
        Maximum number of refits on pseudo-labels.
    max_per_class : float in (0, 1], default=1.0
        Largest fraction of the target rows pseudo-labeled as any one class.

    Attributes
    ----------
    estimator_ : classifier
        The last fitted clone of ``estimator``.
    classes_ : ndarray
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit`` (when the estimator records it).
    n_pseudo_labeled_ : list of int
        Target rows pseudo-labeled at each refit.
    n_iter_ : int
        Number of fits done: 1 plus the number of refits on pseudo-labels.

    Examples
    --------
    >>> from skdomain import MMDClassifier, SelfTrainingDA
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, y_target = make_rotated_moons(n_samples=200, random_state=0)
    >>> clf = SelfTrainingDA(MMDClassifier(max_epochs=5, random_state=0), max_iter=1)
    >>> clf.fit(X, y, X_target=X_target).predict(X_target).shape
    (200,)
    """

    def __init__(self, estimator=None, *, threshold=0.9, max_iter=3, max_per_class=1.0):
        self.estimator = estimator
        self.threshold = threshold
        self.max_iter = max_iter
        self.max_per_class = max_per_class

    def _validate_params_(self):
        checks = (
            ("threshold", self.threshold, numbers.Real, 0, 1),
            ("max_per_class", self.max_per_class, numbers.Real, 0, 1),
        )
        for name, value, kind, low, high in checks:
            if not isinstance(value, kind) or isinstance(value, bool) or not low < value <= high:
                raise ValueError(f"{name} must be a float in ({low}, {high}], got {value!r}.")
        if (
            not isinstance(self.max_iter, numbers.Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 0
        ):
            raise ValueError(f"max_iter must be a non-negative int, got {self.max_iter!r}.")
        if self.estimator is not None and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"estimator must have predict_proba, got {type(self.estimator).__name__}."
            )

    def _base(self):
        if self.estimator is None:
            from ._classification import MMDClassifier

            return MMDClassifier()
        return self.estimator

    def _fit_one(self, X, y, X_target):
        est = clone(self._base())
        if X_target is not None and _accepts_target(est):
            est.fit(X, y, X_target=X_target)
        else:
            est.fit(X, y)
        return est

    def _pseudo_labels(self, est, X_target):
        proba = est.predict_proba(X_target)
        confidence, label = proba.max(1), proba.argmax(1)
        chosen = np.flatnonzero(confidence >= self.threshold)
        cap = max(1, int(self.max_per_class * proba.shape[0]))
        kept = []
        for k in np.unique(label[chosen]):
            rows = chosen[label[chosen] == k]
            kept.append(rows[np.argsort(-confidence[rows], kind="stable")][:cap])
        rows = np.sort(np.concatenate(kept)) if kept else np.empty(0, dtype=int)
        return rows, est.classes_[label[rows]]

    def fit(self, X, y, X_target=None):
        """Fit on the source, then refit on confident target pseudo-labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Labeled source samples.
        y : array-like of shape (n_samples,)
            Source labels.
        X_target : array-like of shape (n_target, ...), optional
            Unlabeled target samples.

        Returns
        -------
        self : SelfTrainingDA
        """
        self._validate_params_()
        est = self._fit_one(X, y, X_target)
        self.n_pseudo_labeled_ = []
        self.n_iter_ = 1
        previous = None
        if X_target is not None:
            y = np.asarray(y)
            for _ in range(self.max_iter):
                rows, labels = self._pseudo_labels(est, X_target)
                current = (tuple(rows), tuple(labels))
                if len(rows) == 0 or current == previous:
                    break
                previous = current
                est = self._fit_one(
                    _stack(X, rows, X_target), np.concatenate([y, labels]), X_target
                )
                self.n_pseudo_labeled_.append(len(rows))
                self.n_iter_ += 1
        self.estimator_ = est
        self.classes_ = est.classes_
        if hasattr(est, "n_features_in_"):
            self.n_features_in_ = est.n_features_in_
        if hasattr(est, "feature_names_in_"):
            self.feature_names_in_ = est.feature_names_in_
        return self

    def predict_proba(self, X):
        """Class probabilities of the last fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        """Predicted labels of the last fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._base().__sklearn_tags__()
        tags.input_tags = base.input_tags
        tags.non_deterministic = base.non_deterministic
        return tags
