"""skdomain: domain adaptation for science, the scikit-learn way."""

from .classification import DANNClassifier, MMDClassifier, SourceOnlyClassifier
from .pipeline import make_da_pipeline
from .regression import DRRNRegressor, MMDRegressor, SourceOnlyRegressor
from .scaling_relations import ScalingRelationRegressor, YxScalingRegressor
from .universal import UniversalDAClassifier

__version__ = "0.1.0"

__all__ = [
    "MMDClassifier",
    "DANNClassifier",
    "SourceOnlyClassifier",
    "UniversalDAClassifier",
    "SourceOnlyRegressor",
    "MMDRegressor",
    "DRRNRegressor",
    "ScalingRelationRegressor",
    "YxScalingRegressor",
    "make_da_pipeline",
]
