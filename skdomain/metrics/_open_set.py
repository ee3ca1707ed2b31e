"""Open-set classification metrics: known classes, the unknown class, H-score, AUROC.

The true labels ``y_true`` may hold classes that the classifier never learnt
(any label outside ``known_classes`` counts as *unknown*); the predictions
``y_pred`` hold known classes and the classifier's unknown answer (any label
outside ``known_classes``, typically ``unknown_label``). A closed-set
classifier, which never answers unknown, gets an unknown accuracy of 0 and an
H-score of 0.

All functions follow scikit-learn's metric conventions: ``(y_true, y_pred or
score)`` first, keyword-only options after.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.utils.validation import check_consistent_length, column_or_1d

__all__ = [
    "per_class_accuracy",
    "known_accuracy",
    "unknown_accuracy",
    "open_set_accuracy",
    "h_score",
    "unknown_auroc",
    "open_set_confusion_matrix",
    "open_set_scores",
]


_LABEL_PARAMS = """Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; labels not in ``known_classes`` are unknown.
    y_pred : array-like of shape (n_samples,)
        Predicted labels; labels not in ``known_classes`` mean "unknown".
    known_classes : array-like
        The classes of the source domain.

    Returns
    -------
    float"""


def _label_params(func):
    """Fill in the Parameters (``y_true, y_pred, known_classes``) and the float return type
    shared by the label metrics."""
    if func.__doc__:
        func.__doc__ = func.__doc__.replace("%(label_params)s", _LABEL_PARAMS)
    return func


def _isin(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Membership test that works for labels of mixed types (no sorting involved)."""
    members = set(classes.tolist())
    return np.fromiter((v in members for v in values.tolist()), dtype=bool, count=len(values))


def _split(y_true, y_pred, known_classes):
    y_true = column_or_1d(np.asarray(y_true, dtype=object), warn=True)
    y_pred = column_or_1d(np.asarray(y_pred, dtype=object), warn=True)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty.")
    known = np.asarray(known_classes, dtype=object).ravel()
    if known.size == 0:
        raise ValueError("known_classes must hold at least one class.")
    true_known = _isin(y_true, known)
    pred_known = _isin(y_pred, known)
    return y_true, y_pred, known, true_known, pred_known


def per_class_accuracy(y_true, y_pred, *, known_classes) -> dict:
    """Recall of each known class present in ``y_true``, and of the unknown class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    known_classes : array-like
        The classes the classifier was trained on.

    Returns
    -------
    dict
        ``{class: accuracy}`` for each known class present in ``y_true``, plus
        ``"unknown"`` when ``y_true`` holds unknown samples.

    Examples
    --------
    >>> per_class_accuracy([0, 0, 1, 9], [0, 1, 1, -1], known_classes=[0, 1])
    {0: 0.5, 1: 1.0, 'unknown': 1.0}
    """
    y_true, y_pred, known, true_known, pred_known = _split(y_true, y_pred, known_classes)
    scores = {}
    for label in known:
        mask = y_true == label
        if mask.any():
            scores[label] = float(np.mean(y_pred[mask] == label))
    if (~true_known).any():
        scores["unknown"] = float(np.mean(~pred_known[~true_known]))
    return scores


@_label_params
def known_accuracy(y_true, y_pred, *, known_classes) -> float:
    """Mean per-class accuracy over the known classes present in ``y_true`` (OS*).

    A known sample predicted as unknown counts as wrong.

    %(label_params)s
        In [0, 1]; NaN without known samples.

    Examples
    --------
    >>> known_accuracy([0, 0, 1, 9], [0, 1, 1, -1], known_classes=[0, 1])
    0.75
    """
    scores = per_class_accuracy(y_true, y_pred, known_classes=known_classes)
    scores.pop("unknown", None)
    if not scores:
        raise ValueError("y_true holds no sample of a known class.")
    return float(np.mean(list(scores.values())))


@_label_params
def unknown_accuracy(y_true, y_pred, *, known_classes) -> float:
    """Fraction of the unknown samples (true label not known) predicted as unknown.

    %(label_params)s
        In [0, 1]; NaN without unknown samples.

    Examples
    --------
    >>> unknown_accuracy([0, 9, 9], [0, -1, 0], known_classes=[0, 1])
    0.5
    """
    _, _, _, true_known, pred_known = _split(y_true, y_pred, known_classes)
    if true_known.all():
        raise ValueError("y_true holds no sample of an unknown class.")
    return float(np.mean(~pred_known[~true_known]))


@_label_params
def open_set_accuracy(y_true, y_pred, *, known_classes) -> float:
    """Mean of the known per-class accuracies and the unknown accuracy (OS, K + 1 terms).

    %(label_params)s
        In [0, 1].

    Examples
    --------
    >>> open_set_accuracy([0, 0, 1, 9], [0, 1, 1, -1], known_classes=[0, 1])
    0.8333333333333334
    """
    scores = per_class_accuracy(y_true, y_pred, known_classes=known_classes)
    return float(np.mean(list(scores.values())))


@_label_params
def h_score(y_true, y_pred, *, known_classes) -> float:
    """Harmonic mean of the known-class accuracy and the unknown accuracy.

    High only when a classifier is good at both; 0 for a closed-set classifier.

    %(label_params)s
        In [0, 1]; NaN without known or without unknown samples.

    Examples
    --------
    >>> round(h_score([0, 0, 1, 9], [0, 1, 1, -1], known_classes=[0, 1]), 4)
    0.8571
    """
    known = known_accuracy(y_true, y_pred, known_classes=known_classes)
    unknown = unknown_accuracy(y_true, y_pred, known_classes=known_classes)
    if known + unknown == 0:
        return 0.0
    return float(2.0 * known * unknown / (known + unknown))


def unknown_auroc(y_true, unknown_score, *, known_classes) -> float:
    """Area under the ROC curve of ``unknown_score`` for telling unknown from known samples.

    0.5 is chance; below 0.5 the score ranks unknown samples as *more* familiar
    than known ones.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; labels not in ``known_classes`` are unknown.
    unknown_score : array-like of shape (n_samples,)
        Higher means more likely unknown.
    known_classes : array-like
        The classes of the source domain.

    Returns
    -------
    float
        ROC AUC; NaN when one of the two groups is empty.

    Examples
    --------
    >>> unknown_auroc([0, 1, 9, 9], [0.1, 0.2, 0.9, 0.3], known_classes=[0, 1])
    1.0
    """
    y_true = column_or_1d(np.asarray(y_true, dtype=object), warn=True)
    score = column_or_1d(np.asarray(unknown_score, dtype=float), warn=True)
    check_consistent_length(y_true, score)
    if not np.all(np.isfinite(score)):
        raise ValueError("unknown_score contains NaN or infinity.")
    is_unknown = ~_isin(y_true, np.asarray(known_classes, dtype=object).ravel())
    if is_unknown.all() or not is_unknown.any():
        raise ValueError("unknown_auroc needs both known and unknown samples in y_true.")
    return float(roc_auc_score(is_unknown, score))


def open_set_confusion_matrix(
    y_true, y_pred, *, known_classes, unknown_name="unknown", normalize=None
):
    """Confusion matrix over the known classes plus one "unknown" row and column.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    known_classes : array-like
    unknown_name : str, default="unknown"
        Name of the extra row/column.
    normalize : {"true", "pred", "all"} or None
        As in :func:`sklearn.metrics.confusion_matrix`.

    Returns
    -------
    matrix : ndarray of shape (K + 1, K + 1)
        Rows: true class; columns: predicted class; the unknown last.
    labels : list
        Row/column labels.

    Examples
    --------
    >>> m, labels = open_set_confusion_matrix([0, 1, 9], [0, -1, -1], known_classes=[0, 1])
    >>> m.tolist(), labels
    ([[1, 0, 0], [0, 0, 1], [0, 0, 1]], [0, 1, 'unknown'])
    """
    y_true, y_pred, known, true_known, pred_known = _split(y_true, y_pred, known_classes)
    codes = {label: i for i, label in enumerate(known)}
    unknown_code = len(known)
    true_codes = np.array([codes.get(v, unknown_code) for v in y_true])
    pred_codes = np.array([codes.get(v, unknown_code) for v in y_pred])
    matrix = confusion_matrix(
        true_codes, pred_codes, labels=np.arange(len(known) + 1), normalize=normalize
    )
    return matrix, [*known.tolist(), unknown_name]


def open_set_scores(y_true, y_pred, unknown_score=None, *, known_classes) -> dict:
    """All open-set metrics at once.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; labels not in ``known_classes`` are unknown.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    unknown_score : array-like of shape (n_samples,), optional
        Higher means more likely unknown (e.g. ``unknown_score`` of a classifier).
    known_classes : array-like
        The classes of the source domain.

    Returns
    -------
    dict
        ``known_accuracy``, ``unknown_accuracy``, ``open_set_accuracy``,
        ``h_score`` and, when ``unknown_score`` is given, ``unknown_auroc``
        (NaN entries where ``y_true`` has no unknown, or no known, samples).

    Examples
    --------
    >>> scores = open_set_scores([0, 1, 9], [0, 1, 0], [0.1, 0.2, 0.3], known_classes=[0, 1])
    >>> scores["known_accuracy"], scores["h_score"], scores["unknown_auroc"]
    (1.0, 0.0, 1.0)
    """
    _, _, _, true_known, _ = _split(y_true, y_pred, known_classes)
    has_unknown = not true_known.all()
    scores = {
        "known_accuracy": known_accuracy(y_true, y_pred, known_classes=known_classes)
        if true_known.any()
        else float("nan")
    }
    if has_unknown:
        scores["unknown_accuracy"] = unknown_accuracy(y_true, y_pred, known_classes=known_classes)
        scores["h_score"] = (
            h_score(y_true, y_pred, known_classes=known_classes)
            if true_known.any()
            else float("nan")
        )
    else:
        scores["unknown_accuracy"] = scores["h_score"] = float("nan")
    scores["open_set_accuracy"] = open_set_accuracy(y_true, y_pred, known_classes=known_classes)
    if unknown_score is not None:
        scores["unknown_auroc"] = (
            unknown_auroc(y_true, unknown_score, known_classes=known_classes)
            if has_unknown and true_known.any()
            else float("nan")
        )
    return scores
