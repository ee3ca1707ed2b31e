"""Figures for cluster-mass studies: predicted vs true masses, latent spaces.

Every function draws on the caller's axes (``axes=``) or on a new figure, and
returns the figure; the caller saves and closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA

from ._axes import axes_grid
from ._style import palette_color

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = ["plot_predicted_vs_true", "plot_latent_domains"]


def plot_predicted_vs_true(
    predictions: pd.DataFrame,
    *,
    max_points: int = 1500,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """One panel per method (rows) and domain (columns): predicted vs true mass.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``method``, ``domain``, ``y_true`` and ``y_pred`` (log10 masses).
    max_points : int, default=1500
        Points drawn per panel (a random subset beyond that).
    axes : array of matplotlib Axes of shape (n_methods, n_domains), optional
        Where to draw; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per method and domain: predictions against true values.

    Examples
    --------
    >>> df = pd.DataFrame({"method": ["a"] * 4, "domain": ["x", "x", "y", "y"],
    ...                    "y_true": [14.0, 14.5, 14.0, 14.5],
    ...                    "y_pred": [14.1, 14.4, 14.0, 14.6]})
    >>> len(plot_predicted_vs_true(df).axes)  # 1 method x 2 domains
    2
    """
    required = {"method", "domain", "y_true", "y_pred"}
    if not required <= set(predictions.columns):
        raise ValueError(f"predictions needs the columns {sorted(required)}.")
    methods = list(dict.fromkeys(predictions["method"]))
    domains = list(dict.fromkeys(predictions["domain"]))
    fig, axes = axes_grid(
        axes, len(methods), len(domains), figsize=(3.2 * len(domains), 2.6 * len(methods)),
        sharex=True, sharey=True,
    )
    own_figure = axes is None
    rng = np.random.default_rng(0)
    low, high = predictions["y_true"].min(), predictions["y_true"].max()
    for i, method in enumerate(methods):
        for j, domain in enumerate(domains):
            ax = axes[i, j]
            part = predictions[(predictions.method == method) & (predictions.domain == domain)]
            residual = part["y_pred"] - part["y_true"]  # on every point, not the drawn subset
            if len(part) > max_points:
                part = part.iloc[rng.choice(len(part), max_points, replace=False)]
            ax.scatter(part["y_true"], part["y_pred"], s=2, alpha=0.4, color=palette_color(i))
            ax.plot([low, high], [low, high], "k-", lw=0.8)
            ax.text(0.04, 0.96, f"bias {residual.mean():+.3f}\nscatter {residual.std():.3f}",
                    transform=ax.transAxes, va="top", fontsize=7)
            if i == 0:
                ax.set_title(str(domain), fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{method}\npredicted log10(M500 / Msun)", fontsize=8)
            if i == len(methods) - 1:
                ax.set_xlabel("true log10(M500 / Msun)", fontsize=8)
    if own_figure:
        fig.tight_layout()
    return fig


def plot_latent_domains(
    latents: dict,
    *,
    color: Mapping[str, ArrayLike] | None = None,
    title: str | None = None,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Two principal components of latent features, colored by domain.

    Parameters
    ----------
    latents : dict of str -> ndarray of shape (n_i, n_latent)
        Latent features per domain (the PCA is fitted on all of them).
    color : dict of str -> ndarray, optional
        Per-domain values (e.g. true masses) for a second panel colored by value.
    title : str, optional
    axes : sequence of matplotlib Axes, optional
        One Axes (two with ``color``) to draw on; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The latent features of each domain, projected to two dimensions.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_latent_domains({"a": rng.normal(size=(20, 4)), "b": rng.normal(size=(20, 4))})
    >>> len(fig.axes)
    1
    """
    names = list(latents)
    parts = [np.asarray(latents[name], float) for name in names]
    points = PCA(n_components=2).fit_transform(np.concatenate(parts))
    n_panels = 1 if color is None else 2
    own_figure = axes is None
    fig, axes = axes_grid(axes, 1, n_panels, figsize=(4.2 * n_panels, 3.6))
    ends = np.cumsum([len(part) for part in parts])
    for k, (name, domain_points) in enumerate(
        zip(names, np.split(points, ends[:-1]), strict=True)
    ):
        axes[0, 0].scatter(domain_points[:, 0], domain_points[:, 1], s=3, alpha=0.4,
                           label=str(name), color=palette_color(k))
    axes[0, 0].legend(fontsize=8, markerscale=3)
    axes[0, 0].set_xlabel("PC 1 (latent units)")
    axes[0, 0].set_ylabel("PC 2 (latent units)")
    if color is not None:
        values = np.concatenate([np.asarray(color[name], float) for name in names])
        art = axes[0, 1].scatter(points[:, 0], points[:, 1], s=3, c=values, cmap="viridis")
        fig.colorbar(art, ax=axes[0, 1], label="color value")
        axes[0, 1].set_xlabel("PC 1 (latent units)")
    if title:
        fig.suptitle(title, fontsize=10)
    if own_figure:
        fig.tight_layout()
    return fig
