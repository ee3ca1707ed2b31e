"""Cross-validation and grid search that carry the target domain to every fold.

``GridSearchCV.fit(X, y, X_target=Xt)`` slices ``Xt`` along with the source
folds when it happens to have as many rows as ``X`` and passes it whole
otherwise. :class:`DomainAwareGridSearchCV` and :func:`da_cross_validate` take
``X_target`` apart and give it to each fold as the user chose with
``target_split``. Pair them with the label-free scorers of
:mod:`skdomain.metrics`. :class:`LabelFreeGridSearch` fits each candidate once
on all source and target rows and selects among the fitted candidates without
target labels (e.g. by :func:`select_by_ensemble`, which needs them all).
"""

from ._label_free import LabelFreeGridSearch, select_by_ensemble
from ._search import (
    DomainAwareGridSearchCV,
    da_cross_validate,
    pair_target_rows,
)

__all__ = [
    "DomainAwareGridSearchCV",
    "LabelFreeGridSearch",
    "da_cross_validate",
    "pair_target_rows",
    "select_by_ensemble",
]
