"""Cross-validation and grid search that carry the target domain to every fold.

``GridSearchCV.fit(X, y, X_target=Xt)`` slices ``Xt`` along with the source
folds when it happens to have as many rows as ``X`` and passes it whole
otherwise. :class:`DomainAwareGridSearchCV` and :func:`da_cross_validate` take
``X_target`` apart and give it to each fold as the user chose with
``target_split``. Pair them with the label-free scorers of
:mod:`skdomain.metrics`.
"""

from ._search import (
    DomainAwareGridSearchCV,
    da_cross_validate,
    pair_target_rows,
)

__all__ = [
    "DomainAwareGridSearchCV",
    "da_cross_validate",
    "pair_target_rows",
]
