"""Binary classification metrics from labels and predicted probabilities.

The table the DeepMerge papers report for every method and domain: accuracy,
precision, recall, F1 score, Brier score and ROC AUC, computed from the true
labels and the probability of the positive class (e.g. ``predict_proba``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = ["BINARY_METRICS", "binary_classification_metrics", "metrics_table"]

#: Column order of :func:`binary_classification_metrics`.
BINARY_METRICS = ("accuracy", "precision", "recall", "f1", "brier", "roc_auc")


def _positive_probability(y_proba) -> np.ndarray:
    proba = np.asarray(y_proba, dtype=float)
    if proba.ndim == 2:
        if proba.shape[1] != 2:
            raise ValueError(
                "y_proba must be of shape (n_samples,) or (n_samples, 2) for binary "
                f"classification, got {proba.shape}."
            )
        proba = proba[:, 1]
    elif proba.ndim != 1:
        raise ValueError(f"y_proba must be 1d or 2d, got shape {proba.shape}.")
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ValueError("y_proba must hold finite probabilities in [0, 1].")
    return proba


def binary_classification_metrics(
    y_true, y_proba, *, pos_label=None, threshold=0.5
) -> dict[str, float]:
    """Accuracy, precision, recall, F1, Brier score and ROC AUC of one binary classifier.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, two distinct values at most.
    y_proba : array-like of shape (n_samples,) or (n_samples, 2)
        Probability of the positive class, or ``predict_proba`` output whose
        second column is the positive class (scikit-learn's sorted order).
    pos_label : label, default=None
        The positive class; by default the larger of the (sorted) labels, which
        matches the second column of ``predict_proba``.
    threshold : float, default=0.5
        A sample is predicted positive when its probability is >= ``threshold``.

    Returns
    -------
    dict of str -> float
        Keys :data:`BINARY_METRICS`. Precision is 0 when nothing is predicted
        positive; ROC AUC is NaN when ``y_true`` holds a single class.

    Examples
    --------
    >>> m = binary_classification_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["accuracy"], m["roc_auc"], round(m["brier"], 3)
    (0.5, 0.75, 0.185)
    """
    y_true = column_or_1d(y_true)
    if y_true.size == 0:
        raise ValueError("y_true is empty.")
    classes = np.unique(y_true)
    if pos_label is None:
        pos_label = classes[-1]
        if classes.size == 1 and classes[0] in (0, False):
            pos_label = 1
    if classes.size > 2:
        raise ValueError(f"y_true must be binary, got {classes.size} classes: {classes[:5]}.")
    if classes.size == 2 and pos_label not in classes:
        raise ValueError(f"pos_label={pos_label!r} is not one of the labels {classes.tolist()}.")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}.")
    proba = _positive_probability(y_proba)
    check_consistent_length(y_true, proba)
    positive = y_true == pos_label
    predicted = proba >= threshold
    if classes.size == 2:
        auc = float(roc_auc_score(positive, proba))
    else:
        auc = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero_division is handled explicitly
        return {
            "accuracy": float(accuracy_score(positive, predicted)),
            "precision": float(precision_score(positive, predicted, zero_division=0)),
            "recall": float(recall_score(positive, predicted, zero_division=0)),
            "f1": float(f1_score(positive, predicted, zero_division=0)),
            "brier": float(brier_score_loss(positive, proba)),
            "roc_auc": auc,
        }


def metrics_table(y_true, probabilities: Mapping, *, pos_label=None, threshold=0.5):
    """One row of :func:`binary_classification_metrics` per model.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    probabilities : mapping of name -> array-like
        Positive-class probabilities (or ``predict_proba`` outputs) of each
        model on the same samples.
    pos_label, threshold
        As in :func:`binary_classification_metrics`.

    Returns
    -------
    pandas.DataFrame
        Index: the model names; columns :data:`BINARY_METRICS`.

    Examples
    --------
    >>> table = metrics_table([0, 1, 1], {"a": [0.2, 0.7, 0.9], "b": [0.6, 0.4, 0.8]})
    >>> table["accuracy"].round(3).tolist()
    [1.0, 0.333]
    """
    if not probabilities:
        raise ValueError("probabilities is empty: give at least one model.")
    rows = {
        name: binary_classification_metrics(y_true, proba, pos_label=pos_label, threshold=threshold)
        for name, proba in probabilities.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(BINARY_METRICS))
