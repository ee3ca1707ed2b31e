"""Decision-boundary figures for two-dimensional domain-adaptation problems."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_decision_boundaries"]


def plot_decision_boundaries(models, X, y, X_target, y_target, *, resolution=200, titles=None):
    """Probability maps of fitted 2-D classifiers with source and target points.

    Parameters
    ----------
    models : dict of str -> fitted classifier
        Binary classifiers with ``predict_proba`` on two features.
    X, y : arrays
        Source points and labels (circles).
    X_target, y_target : arrays
        Target points and labels (crosses); labels only colour the points.
    resolution : int, default=200
        Grid points per axis.
    titles : dict of str -> str, optional
        Panel titles (default: the dict keys).

    Returns
    -------
    matplotlib.figure.Figure

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
    points = np.vstack([X, X_target])
    low, high = points.min(0) - 0.5, points.max(0) + 0.5
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4), squeeze=False)
    for ax, (name, model) in zip(axes[0], models.items(), strict=True):
        proba = model.predict_proba(grid)[:, 1].reshape(gx.shape)
        ax.contourf(gx, gy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        ax.contour(gx, gy, proba, levels=[0.5], colors="k", linewidths=1.2)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=10, edgecolors="none", label="source")
        ax.scatter(
            X_target[:, 0],
            X_target[:, 1],
            c=y_target,
            cmap="coolwarm",
            s=14,
            marker="x",
            linewidths=0.8,
            label="target",
        )
        ax.set_title((titles or {}).get(name, name))
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig
