"""scikit-learn's own estimator checks on every deep estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain import (
    CDANClassifier,
    DANNClassifier,
    DeepJDOTClassifier,
    MCCClassifier,
    MMDClassifier,
    SelfTrainingDA,
    SourceOnlyClassifier,
)

# Small but learnable settings: the checks fit each estimator dozens of times.
FAST = dict(max_epochs=10, batch_size=32, lr=2e-2, hidden_units=(16,), random_state=0)


@parametrize_with_checks(
    [
        SourceOnlyClassifier(**FAST),
        MMDClassifier(**FAST),
        DANNClassifier(**FAST),
        CDANClassifier(**FAST),
        MCCClassifier(**FAST),
        DeepJDOTClassifier(**FAST),
        SelfTrainingDA(SourceOnlyClassifier(**FAST), max_iter=1),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
