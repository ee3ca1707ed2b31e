"""Shift diagnostics: is the target domain out of the source's domain, and where?

Two-sample tests (MMD permutation test, classifier two-sample test,
per-feature tests with multiple-testing correction), a combined
:func:`shift_report`, and :func:`latent_mmd` between the latent features of a
fitted model.
"""

from ._two_sample import (
    BlockMMDTestResult,
    ClassifierTestResult,
    MMDTestResult,
    block_mmd_test,
    classifier_test,
    feature_tests,
    latent_mmd,
    mmd_test,
    shift_report,
)

__all__ = [
    "BlockMMDTestResult",
    "block_mmd_test",
    "ClassifierTestResult",
    "MMDTestResult",
    "classifier_test",
    "feature_tests",
    "latent_mmd",
    "mmd_test",
    "shift_report",
]
