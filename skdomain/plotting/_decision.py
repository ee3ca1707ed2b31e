"""Decision-boundary figures for two-dimensional domain-adaptation problems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike
from sklearn.inspection import DecisionBoundaryDisplay

from ._axes import axes_grid
from ._style import NEUTRAL

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = ["plot_decision_boundaries"]


def plot_decision_boundaries(
    models: Mapping[str, Any],
    X: ArrayLike,
    y: ArrayLike,
    X_target: ArrayLike,
    y_target: ArrayLike,
    *,
    resolution: int = 200,
    titles: Mapping[str, str] | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Probability maps of fitted 2-D classifiers with source and target points.

    Each panel is a :class:`sklearn.inspection.DecisionBoundaryDisplay` of the
    positive-class probability, with its 0.5 contour in black.

    Parameters
    ----------
    models : dict of str -> fitted classifier
        Binary classifiers with ``predict_proba`` on two features.
    X, y : arrays
        Source points and labels (circles).
    X_target, y_target : arrays
        Target points and labels (crosses); labels only color the points.
    resolution : int, default=200
        Grid points per axis.
    titles : dict of str -> str, optional
        Panel titles (default: the dict keys).
    axes : sequence of matplotlib Axes, optional
        One Axes per model; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per model: its decision map with source and target points.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, Xt, yt = make_rotated_moons(100, random_state=0)
    >>> fig = plot_decision_boundaries({"logistic": LogisticRegression().fit(X, y)},
    ...                                X, y, Xt, yt, resolution=20)
    >>> len(fig.axes)
    1
    """
    X, X_target = np.asarray(X), np.asarray(X_target)
    points = np.vstack([X, X_target])
    own_figure = axes is None
    fig, axes = axes_grid(axes, 1, len(models), figsize=(4.2 * len(models), 4))
    for ax, (name, model) in zip(axes[0], models.items(), strict=True):
        display = DecisionBoundaryDisplay.from_estimator(
            model, points, grid_resolution=resolution, eps=0.5,
            response_method="predict_proba", plot_method="contourf", ax=ax,
            levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35,
        )
        ax.contour(display.xx0, display.xx1, display.response, levels=[0.5], colors="k",
                   linewidths=1.2)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=10, edgecolors="none")
        ax.scatter(
            X_target[:, 0], X_target[:, 1], c=y_target, cmap="coolwarm", s=14, marker="x",
            linewidths=0.8,
        )
        ax.set_title((titles or {}).get(name, name))
        ax.set_xlabel("feature 1 (input units)", fontsize=8)
        ax.set_ylabel("feature 2 (input units)", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    # Shape encodes the domain, color the class: the legend shows shapes in a neutral color.
    domain_handles = [
        Line2D([], [], ls="", marker="o", ms=5, color=NEUTRAL, label="source (labeled)"),
        Line2D([], [], ls="", marker="x", ms=6, color=NEUTRAL,
               label="target (unlabeled in training)"),
    ]
    axes[0][0].legend(handles=domain_handles, loc="lower left", fontsize=8)
    if own_figure:
        fig.tight_layout()
    return fig
