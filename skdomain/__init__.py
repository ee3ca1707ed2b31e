"""skdomain: domain adaptation for science, the scikit-learn way."""

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("skdomain")
except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
    __version__ = "0+unknown"

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
