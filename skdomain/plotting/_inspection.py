"""Figures for looking inside networks: Grad-CAM maps and latent t-SNE."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd

from ._axes import axes_grid, single_axes

__all__ = ["image_to_rgb", "plot_grad_cam", "plot_latent_embedding"]


def image_to_rgb(image, *, softening=0.1) -> np.ndarray:
    """An (channels, H, W) image as something ``imshow`` shows: asinh-stretched, in [0, 1].

    The one display stretch of every image figure of :mod:`skdomain.plotting`.

    The median pixel (the sky) maps to 0 and the 99.5th percentile to 1. Three
    or more bands become RGB (the first band blue, the last red, as for g, r,
    i); one or two bands give a grey image (their mean).

    Examples
    --------
    >>> image_to_rgb(np.ones((3, 4, 4))).shape, image_to_rgb(np.ones((1, 4, 4))).shape
    ((4, 4, 3), (4, 4))
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 3:
        raise ValueError(f"image must have shape (channels, height, width), got {image.shape}.")
    if image.shape[0] >= 3:
        shown = image[[-1, image.shape[0] // 2, 0]].transpose(1, 2, 0)
    else:
        shown = image.mean(axis=0)
    low = np.median(shown)
    high = np.percentile(shown, 99.5)
    scaled = np.clip((shown - low) / (high - low if high > low else 1.0), 0, None)
    stretched = np.arcsinh(scaled / softening) / np.arcsinh(1.0 / softening)
    return np.clip(stretched, 0, 1)


def plot_grad_cam(
    images, maps: dict, *, titles: Sequence[str] | None = None, alpha=0.55, axes=None
):
    """A grid: the images in the first row, one row of overlaid Grad-CAM maps per entry.

    Parameters
    ----------
    images : array-like of shape (n_images, channels, H, W)
    maps : dict of str -> array of shape (n_images, H, W)
        Row label -> maps (e.g. ``{"no DA, merger": ..., "MMD, merger": ...}``).
    titles : sequence of str, optional
        Column titles (one per image).
    alpha : float, default=0.55
        Opacity of the maps over the (grey) images.
    axes : array of matplotlib Axes of shape (1 + len(maps), n_images), optional
        Where to draw; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The images in the first row, each map over them in the next rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_grad_cam(rng.random((2, 3, 8, 8)), {"cam": rng.random((2, 8, 8))})
    >>> len(fig.axes)
    4
    """
    images = np.asarray(images)
    n = images.shape[0]
    for name, value in maps.items():
        if np.shape(value) != (n, *images.shape[2:]):
            raise ValueError(
                f"maps[{name!r}] has shape {np.shape(value)}, expected {(n, *images.shape[2:])}."
            )
    rows = 1 + len(maps)
    own_figure = axes is None
    fig, axes = axes_grid(axes, rows, n, figsize=(1.9 * n, 1.9 * rows))
    for j in range(n):
        rgb = image_to_rgb(images[j])
        axes[0, j].imshow(rgb, cmap="gray" if rgb.ndim == 2 else None)
        if titles is not None:
            axes[0, j].set_title(titles[j], fontsize=8)
        grey = rgb.mean(axis=-1) if rgb.ndim == 3 else rgb
        for i, (name, value) in enumerate(maps.items(), start=1):
            axes[i, j].imshow(grey, cmap="gray")
            axes[i, j].imshow(np.asarray(value)[j], cmap="jet", alpha=alpha, vmin=0, vmax=1)
            if j == 0:
                axes[i, j].set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=8)
    if own_figure:
        fig.tight_layout()
    return fig


def plot_latent_embedding(
    frame: pd.DataFrame,
    *,
    ax=None,
    class_names: dict | None = None,
    domain_alpha: dict | None = None,
    title: str | None = None,
    size=10,
):
    """Scatter of a t-SNE embedding: color = class, opacity = domain.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`skdomain.inspection.latent_embedding` (columns
        ``tsne_1``, ``tsne_2``, ``domain``, ``label``).
    ax : matplotlib Axes, optional
    class_names : dict, optional
        Label -> name shown in the legend.
    domain_alpha : dict, optional
        Domain -> opacity; by default the first domain is opaque (0.9) and the
        others faint (0.25).
    title : str, optional
    size : float, default=10
        Marker size.

    Returns
    -------
    matplotlib.axes.Axes
        The embedding, colored by class, marked by domain.

    Examples
    --------
    >>> df = pd.DataFrame({"tsne_1": [0, 1, 2, 3], "tsne_2": [0, 1, 0, 1],
    ...                    "domain": ["s", "s", "t", "t"], "label": [0, 1, 0, 1]})
    >>> ax = plot_latent_embedding(df)
    >>> len(ax.collections)
    4
    """
    _, ax = single_axes(ax, (4.5, 4))
    domains = list(dict.fromkeys(frame["domain"]))
    if domain_alpha is None:
        domain_alpha = {d: (0.9 if i == 0 else 0.25) for i, d in enumerate(domains)}
    labels = sorted(v for v in dict.fromkeys(frame["label"]) if not pd.isna(v))
    if frame["label"].isna().any():  # unlabelled samples (e.g. a domain without labels)
        labels.append(np.nan)
    colors = matplotlib.colormaps["tab10"]
    for domain in domains:
        for k, label in enumerate(labels):
            if pd.isna(label):
                rows = frame[(frame.domain == domain) & frame.label.isna()]
            else:
                rows = frame[(frame.domain == domain) & (frame.label == label)]
            if rows.empty:
                continue
            name = (class_names or {}).get(label, label)
            ax.scatter(
                rows.tsne_1,
                rows.tsne_2,
                s=size,
                color=colors(k % 10),
                alpha=domain_alpha.get(domain, 0.5),
                linewidths=0,
                label=f"{domain}: {name}",
            )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    legend = ax.legend(fontsize=7, markerscale=1.5, loc="best", frameon=False)
    for handle in legend.legend_handles:
        handle.set_sizes([20])
    return ax
