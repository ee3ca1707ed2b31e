"""Figures of open-set classification: confusion matrix with "unknown", latent space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import ConfusionMatrixDisplay

from ..metrics import open_set_confusion_matrix
from ._axes import single_axes
from ._style import NEUTRAL, PALETTE, palette_color

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["plot_open_set_confusion", "plot_open_set_latent"]


def plot_open_set_confusion(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    known_classes: ArrayLike,
    class_names: Mapping | None = None,
    unknown_name: str = "unknown",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Row-normalised confusion matrix over the known classes plus the unknown class.

    Drawn by :class:`sklearn.metrics.ConfusionMatrixDisplay`; empty cells carry
    no number.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    known_classes : array-like
        The classes the classifier knows; any other label is "unknown".
    class_names : list of str, optional
        Display names of ``known_classes``.
    unknown_name : str
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The confusion matrix with its unknown row and column.

    Examples
    --------
    >>> fig = plot_open_set_confusion([0, 1, 9], [0, -1, -1], known_classes=[0, 1])
    >>> len(fig.axes) >= 1
    True
    """
    matrix, labels = open_set_confusion_matrix(
        y_true, y_pred, known_classes=known_classes, unknown_name=unknown_name
    )
    rows = matrix.sum(axis=1, keepdims=True)
    fraction = np.divide(matrix, rows, out=np.zeros_like(matrix, dtype=float), where=rows > 0)
    names = [*(class_names or [str(c) for c in labels[:-1]]), unknown_name]
    size = 1.0 + 0.55 * len(names)
    fig, ax = single_axes(ax, (size + 1.0, size))
    display = ConfusionMatrixDisplay(fraction, display_labels=names).plot(
        ax=ax, cmap="Blues", values_format=".2f", colorbar=False,
        im_kw={"vmin": 0, "vmax": 1}, text_kw={"fontsize": 7},
    )
    for (i, j), text in np.ndenumerate(display.text_):
        if not matrix[i, j]:
            text.set_visible(False)
        else:
            text.set_color("white" if fraction[i, j] > 0.5 else "black")
    image = display.im_
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    return fig


def plot_open_set_latent(
    latent_source: ArrayLike,
    y_source: ArrayLike,
    latent_target: ArrayLike,
    y_target: ArrayLike,
    *,
    known_classes: ArrayLike,
    class_names: Mapping | None = None,
    method: str = "pca",
    max_points: int = 1500,
    random_state: int | None = 0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """2-d embedding of the latent features of both domains, unknown class highlighted.

    Source samples are drawn as circles, target samples of known classes as
    triangles (one color per class), and target samples of unknown classes as
    black crosses: after universal adaptation the known classes of the two
    domains should overlap and the unknown class sit apart.

    Parameters
    ----------
    latent_source, latent_target : array-like of shape (n, d)
    y_source, y_target : array-like
        True labels (target labels outside ``known_classes`` are unknown).
    known_classes : array-like
    class_names : list of str, optional
    method : {"pca", "tsne"}
        Embedding; t-SNE is slower.
    max_points : int
        Samples per domain drawn at most (a random subset).
    random_state : int

    Returns
    -------
    matplotlib.figure.Figure
        Known and unknown samples in a two-dimensional latent embedding.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_open_set_latent(rng.normal(size=(20, 4)), [0, 1] * 10,
    ...                            rng.normal(size=(20, 4)), [0, 1, 9, 9] * 5,
    ...                            known_classes=[0, 1])
    >>> len(fig.axes)
    1
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
    rng = np.random.default_rng(random_state)
    latent_source, latent_target = np.asarray(latent_source), np.asarray(latent_target)
    y_source = np.asarray(y_source, dtype=object)
    y_target = np.asarray(y_target, dtype=object)

    def subset(n):
        return np.sort(rng.choice(n, size=min(n, max_points), replace=False))

    s, t = subset(len(latent_source)), subset(len(latent_target))
    joint = np.vstack([latent_source[s], latent_target[t]]).astype(float)
    if method == "pca":
        embedded = PCA(n_components=2, random_state=random_state).fit_transform(joint)
    else:
        perplexity = float(min(30, max(2, (len(joint) - 1) / 3)))
        embedded = TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=random_state
        ).fit_transform(joint)
    emb_source, emb_target = embedded[: len(s)], embedded[len(s):]
    y_source, y_target = y_source[s], y_target[t]
    known = list(np.asarray(known_classes, dtype=object).ravel())
    names = class_names or [str(c) for c in known]
    colors = matplotlib.colormaps["tab20"] if len(known) > len(PALETTE) else None
    fig, ax = single_axes(ax, (7, 6))
    for i, label in enumerate(known):
        color = palette_color(i) if colors is None else colors(i % colors.N)
        mask = y_source == label
        ax.scatter(*emb_source[mask].T, s=8, marker="o", color=color, alpha=0.5,
                   label=f"{names[i]}")
        mask = y_target == label
        ax.scatter(*emb_target[mask].T, s=10, marker="^", color=color, alpha=0.5)
    unknown = np.array([v not in set(known) for v in y_target.tolist()], dtype=bool)
    if unknown.any():
        ax.scatter(*emb_target[unknown].T, s=22, marker="x", color="black", label="unknown")
    ax.scatter([], [], marker="o", color=NEUTRAL, label="source (o)")
    ax.scatter([], [], marker="^", color=NEUTRAL, label="target (^)")
    ax.legend(fontsize=7, markerscale=1.5, loc="best", ncol=2)
    ax.set_xlabel(f"{method.upper()} 1 (arbitrary units)")
    ax.set_ylabel(f"{method.upper()} 2 (arbitrary units)")
    if title:
        ax.set_title(title)
    return fig
