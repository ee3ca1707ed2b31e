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

from .._lazy import attach

_FUNCTIONS = {
    "image_to_rgb": "._inspection",
    "method_colors": "._mergers",
    "plot_attack_examples": "._robustness",
    "plot_decision_boundaries": "._decision",
    "plot_grad_cam": "._inspection",
    "plot_latent_distances": "._robustness",
    "plot_latent_domains": "._clusters",
    "plot_latent_embedding": "._inspection",
    "plot_latent_embeddings": "._inspection",
    "plot_metric_bars": "._mergers",
    "plot_open_set_confusion": "._open_set",
    "plot_open_set_latent": "._open_set",
    "plot_predicted_vs_true": "._clusters",
    "plot_robustness_curves": "._robustness",
    "plot_roc_curves": "._mergers",
    "plot_shift_report": "._shift",
}

__getattr__, __dir__, __all__ = attach(__name__, _FUNCTIONS)
