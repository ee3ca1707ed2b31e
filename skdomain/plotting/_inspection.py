"""Figures for looking inside networks: Grad-CAM maps and latent t-SNE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._axes import axes_grid, single_axes
from ._style import GRAD_CAM_CMAP, IMAGE_CMAP, IMAGE_ORIGIN, NEUTRAL, palette_color

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "image_to_rgb",
    "plot_grad_cam",
    "plot_latent_embedding",
    "plot_latent_embeddings",
]


def image_to_rgb(image: ArrayLike, *, softening: float = 0.1) -> np.ndarray:
    """An (channels, H, W) image as something ``imshow`` shows: asinh-stretched, in [0, 1].

    The one display stretch of every image figure of :mod:`skdomain.plotting`.

    The median pixel (the sky) maps to 0 and the 99.5th percentile to 1. Three
    or more bands become RGB (the first band blue, the last red, as for g, r,
    i); one or two bands give a grey image (their mean).

    Parameters
    ----------
    image : ndarray of shape (channels, H, W)
        One image.
    softening : float, default=0.1
        Softening of the asinh stretch (smaller: more contrast for faint pixels).

    Returns
    -------
    ndarray
        ``(H, W, 3)`` RGB for three or more bands, else ``(H, W)``; values in [0, 1].

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
    images: ArrayLike,
    maps: dict,
    *,
    titles: Sequence[str] | None = None,
    alpha: float = 0.55,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
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
        The images in the first row, each map over them in the next rows
        (``inferno``, perceptually uniform), and one colorbar for the maps.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_grad_cam(rng.random((2, 3, 8, 8)), {"cam": rng.random((2, 8, 8))})
    >>> len(fig.axes)  # 2 x 2 panels and the colorbar
    5
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
        axes[0, j].imshow(rgb, cmap=IMAGE_CMAP if rgb.ndim == 2 else None, origin=IMAGE_ORIGIN)
        if titles is not None:
            axes[0, j].set_title(titles[j], fontsize=8)
        grey = rgb.mean(axis=-1) if rgb.ndim == 3 else rgb
        for i, (name, value) in enumerate(maps.items(), start=1):
            axes[i, j].imshow(grey, cmap=IMAGE_CMAP, origin=IMAGE_ORIGIN)
            heat = axes[i, j].imshow(
                np.asarray(value)[j], cmap=GRAD_CAM_CMAP, alpha=alpha, vmin=0, vmax=1,
                origin=IMAGE_ORIGIN,
            )
            if j == 0:
                axes[i, j].set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=8)
    if own_figure:
        fig.tight_layout()
    if maps:
        fig.colorbar(heat, ax=axes[1:, :].ravel().tolist(), shrink=0.8, pad=0.02,
                     label="Grad-CAM relevance (0-1)")
    return fig


_DOMAIN_MARKERS = ("o", "^", "s", "D", "v", "P")


def plot_latent_embedding(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    class_names: dict | None = None,
    domain_alpha: dict | None = None,
    title: str | None = None,
    size: float = 10,
    legend: bool = True,
) -> Axes:
    """Scatter of a t-SNE embedding: color = class, marker shape = domain.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`skdomain.inspection.latent_embedding` (columns
        ``tsne_1``, ``tsne_2``, ``domain``, ``label``).
    ax : matplotlib Axes, optional
        Axes to draw on; by default a new figure.
    class_names : dict, optional
        Label -> name shown in the legend.
    domain_alpha : dict, optional
        Domain -> opacity; by default 0.6 for every domain (targets are as
        visible as sources; the marker shape tells them apart).
    title : str, optional
        Title of the Axes.
    size : float, default=10
        Marker size.
    legend : bool, default=True
        Draw a legend (classes by color, domains by marker in a neutral color);
        pass False when several panels share one legend
        (:func:`plot_latent_embeddings`).

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
        domain_alpha = {d: 0.6 for d in domains}
    labels = sorted(v for v in dict.fromkeys(frame["label"]) if not pd.isna(v))
    if frame["label"].isna().any():  # unlabelled samples (e.g. a domain without labels)
        labels.append(np.nan)
    for d, domain in enumerate(domains):
        for k, label in enumerate(labels):
            if pd.isna(label):
                rows = frame[(frame.domain == domain) & frame.label.isna()]
            else:
                rows = frame[(frame.domain == domain) & (frame.label == label)]
            if rows.empty:
                continue
            ax.scatter(
                rows.tsne_1,
                rows.tsne_2,
                s=size,
                color=NEUTRAL if pd.isna(label) else palette_color(k),
                marker=_DOMAIN_MARKERS[d % len(_DOMAIN_MARKERS)],
                alpha=domain_alpha.get(domain, 0.6),
                linewidths=0,
            )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE 1 (arbitrary units)", fontsize=8)
    ax.set_ylabel("t-SNE 2 (arbitrary units)", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(*_embedding_legend(domains, labels, class_names), fontsize=7, frameon=False,
                  loc="best")
    return ax


def _embedding_legend(domains, labels, class_names):
    from matplotlib.lines import Line2D

    handles, texts = [], []
    for k, label in enumerate(labels):
        color = NEUTRAL if pd.isna(label) else palette_color(k)
        name = "unlabeled" if pd.isna(label) else (class_names or {}).get(label, label)
        handles.append(Line2D([], [], ls="", marker="s", ms=6, color=color))
        texts.append(f"class: {name}")
    for d, domain in enumerate(domains):
        handles.append(Line2D([], [], ls="", marker=_DOMAIN_MARKERS[d % len(_DOMAIN_MARKERS)],
                              ms=6, color=NEUTRAL))
        texts.append(f"domain: {domain}")
    return handles, texts


def plot_latent_embeddings(
    frames: Sequence[tuple[str, pd.DataFrame]],
    *,
    class_names: dict | None = None,
    n_columns: int = 4,
    size: float = 7,
) -> Figure:
    """A grid of latent embeddings (one per model) with one shared legend.

    Parameters
    ----------
    frames : sequence of (str, DataFrame)
        Panel title and an output of :func:`skdomain.inspection.latent_embedding`.
    class_names : dict, optional
        Label -> name shown in the legend.
    n_columns : int, default=4
        Panels per row.
    size : float, default=7
        Marker size.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per model and a single legend below the panels.

    Examples
    --------
    >>> df = pd.DataFrame({"tsne_1": [0, 1, 2, 3], "tsne_2": [0, 1, 0, 1],
    ...                    "domain": ["s", "s", "t", "t"], "label": [0, 1, 0, 1]})
    >>> fig = plot_latent_embeddings([("a", df), ("b", df)], n_columns=2)
    >>> len(fig.legends), len(fig.axes)
    (1, 2)
    """
    import matplotlib.pyplot as plt

    frames = list(frames)
    if not frames:
        raise ValueError("frames is empty: nothing to plot.")
    n_columns = max(1, min(n_columns, len(frames)))
    n_rows = int(np.ceil(len(frames) / n_columns))
    fig, axes = plt.subplots(n_rows, n_columns, figsize=(4.0 * n_columns, 3.8 * n_rows + 0.6),
                             squeeze=False)
    for ax, (title, frame) in zip(axes.flat, frames, strict=False):
        plot_latent_embedding(frame, ax=ax, class_names=class_names, title=title, size=size,
                              legend=False)
    for ax in list(axes.flat)[len(frames):]:
        fig.delaxes(ax)
    first = frames[0][1]
    domains = list(dict.fromkeys(first["domain"]))
    labels = sorted(v for v in dict.fromkeys(first["label"]) if not pd.isna(v))
    if first["label"].isna().any():
        labels.append(np.nan)
    handles, texts = _embedding_legend(domains, labels, class_names)
    fig.tight_layout(rect=(0, 0.6 / (3.8 * n_rows + 0.6), 1, 1))
    fig.legend(handles, texts, loc="lower center", ncol=len(texts), fontsize=8, frameon=False)
    return fig
