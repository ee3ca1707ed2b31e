"""Scores of domain-adapted models: closed-set, open-set and label-free (unsupervised DA).

- closed set: :func:`binary_classification_metrics`, :func:`metrics_table`;
- open set (unknown classes): :func:`h_score`, :func:`known_accuracy`,
  :func:`unknown_accuracy`, :func:`unknown_auroc`, ...;
- scorers for model selection without target labels, usable as ``scoring=``
  in any scikit-learn search: :class:`PredictionEntropyScorer`,
  :class:`SoftNeighborhoodDensityScorer`, :class:`ImportanceWeightedScorer`,
  :class:`DeepEmbeddedValidationScorer`, :class:`ReverseValidationScorer`,
  :class:`MixValScorer`,
  and :class:`LabeledTargetScorer` when a few target labels exist.
"""

from ._classification import (
    BINARY_METRICS,
    binary_classification_metrics,
    metrics_table,
)
from ._open_set import (
    h_score,
    known_accuracy,
    open_set_accuracy,
    open_set_confusion_matrix,
    open_set_scores,
    per_class_accuracy,
    unknown_accuracy,
    unknown_auroc,
)
from ._scorers import (
    DAScorer,
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    LabeledTargetScorer,
    MixValScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    SoftNeighborhoodDensityScorer,
    make_unsupervised_scorers,
)

__all__ = [
    "BINARY_METRICS",
    "DAScorer",
    "DeepEmbeddedValidationScorer",
    "ImportanceWeightedScorer",
    "LabeledTargetScorer",
    "MixValScorer",
    "PredictionEntropyScorer",
    "ReverseValidationScorer",
    "SoftNeighborhoodDensityScorer",
    "binary_classification_metrics",
    "h_score",
    "known_accuracy",
    "make_unsupervised_scorers",
    "metrics_table",
    "open_set_accuracy",
    "open_set_confusion_matrix",
    "open_set_scores",
    "per_class_accuracy",
    "unknown_accuracy",
    "unknown_auroc",
]
