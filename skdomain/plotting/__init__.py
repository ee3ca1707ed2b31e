"""Figures of the experiments and tools; matplotlib is imported on first use.

Every function takes data (or a fitted estimator), draws on the caller's
``ax=`` (one panel) or ``axes=`` (several panels) or else on a new pyplot
figure, and returns that Axes or figure. None of them selects a backend or
changes global state: ``import skdomain.plotting`` does not import pyplot, the
submodule of a function is imported when the function is first asked for.
Where scikit-learn has a display for the job it draws the panel
(``RocCurveDisplay``, ``ConfusionMatrixDisplay``, ``DecisionBoundaryDisplay``).
"""

from __future__ import annotations

import importlib

_FUNCTIONS = {
    "image_to_rgb": "skdomain.plotting._inspection",
    "method_colors": "skdomain.plotting._mergers",
    "plot_attack_examples": "skdomain.plotting._robustness",
    "plot_decision_boundaries": "skdomain.plotting._decision",
    "plot_grad_cam": "skdomain.plotting._inspection",
    "plot_latent_distances": "skdomain.plotting._robustness",
    "plot_latent_domains": "skdomain.plotting._clusters",
    "plot_latent_embedding": "skdomain.plotting._inspection",
    "plot_metric_bars": "skdomain.plotting._mergers",
    "plot_open_set_confusion": "skdomain.plotting._open_set",
    "plot_open_set_latent": "skdomain.plotting._open_set",
    "plot_predicted_vs_true": "skdomain.plotting._clusters",
    "plot_robustness_curves": "skdomain.plotting._robustness",
    "plot_roc_curves": "skdomain.plotting._mergers",
    "plot_shift_report": "skdomain.plotting._shift",
}

__all__ = sorted(_FUNCTIONS)


def __getattr__(name: str):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'skdomain.plotting' has no attribute {name!r}")


def __dir__():
    return __all__
