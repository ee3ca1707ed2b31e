"""skdomain: domain adaptation for science, the scikit-learn way."""

from .classification import DANNClassifier, MMDClassifier, SourceOnlyClassifier
from .pipeline import make_da_pipeline

__version__ = "0.1.0"

__all__ = [
    "MMDClassifier",
    "DANNClassifier",
    "SourceOnlyClassifier",
    "make_da_pipeline",
]
