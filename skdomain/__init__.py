"""skdomain: domain adaptation for science, the scikit-learn way."""

from ._adversarial import CDANClassifier, DeepJDOTClassifier, MCCClassifier
from ._classification import (
    DANNClassifier,
    DeepCORALClassifier,
    MMDClassifier,
    SourceOnlyClassifier,
)
from ._regression import DRRNRegressor, MMDRegressor, SourceOnlyRegressor
from ._self_training import SelfTrainingDA
from ._universal import UniversalDAClassifier
from .physics import ScalingRelationRegressor, YxScalingRegressor
from .pipeline import make_da_pipeline

__version__ = "0.1.0"

__all__ = [
    "MMDClassifier",
    "DANNClassifier",
    "DeepCORALClassifier",
    "SourceOnlyClassifier",
    "CDANClassifier",
    "MCCClassifier",
    "DeepJDOTClassifier",
    "SelfTrainingDA",
    "UniversalDAClassifier",
    "SourceOnlyRegressor",
    "MMDRegressor",
    "DRRNRegressor",
    "ScalingRelationRegressor",
    "YxScalingRegressor",
    "make_da_pipeline",
]
