"""Figures for robustness studies: curves, one-pixel attack examples, latent distances.

Every function draws on the caller's axes (``axes=``) or on a new figure, and
returns the figure; the caller saves and closes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._axes import axes_grid
from ._inspection import image_to_rgb
from ._style import IMAGE_CMAP, IMAGE_ORIGIN, palette_color

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..robustness import OnePixelAttackResult


__all__ = ["plot_robustness_curves", "plot_attack_examples", "plot_latent_distances"]


def _group_label(key) -> str:
    return " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def plot_robustness_curves(
    curves: pd.DataFrame,
    *,
    metric: str = "accuracy",
    group_by: Sequence[str] = ("model",),
    n_columns: int = 3,
    panel_size: tuple[float, float] = (3.6, 2.9),
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Score against perturbation strength, one panel per perturbation.

    Parameters
    ----------
    curves : DataFrame
        Rows as returned by :func:`skdomain.robustness.robustness_curve`
        (``perturbation``, ``strength``, ``metric``, ``score``), possibly
        concatenated over models, domains and seeds (extra columns).
    metric : str, default="accuracy"
        Which metric to draw.
    group_by : sequence of str, default=("model",)
        Columns whose values get one line each; all other rows at the same
        strength (seeds, repeats) are averaged and their standard deviation is
        shaded.
    n_columns : int, default=3
        Panels per row.
    panel_size : (float, float)
        Size of one panel in inches.
    axes : array of matplotlib Axes, optional
        ``n_rows x n_columns`` Axes to draw on (spare ones are hidden); by
        default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per perturbation: the metric against its strength.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"perturbation": "noise", "strength": [0, 1, 0, 1],
    ...     "metric": "accuracy", "score": [1.0, 0.6, 0.9, 0.5], "model": ["a", "a", "b", "b"]})
    >>> fig = plot_robustness_curves(curves)
    >>> len(fig.axes)
    1
    """
    data = curves[curves["metric"] == metric]
    if data.empty:
        raise ValueError(f"No rows with metric {metric!r} in curves.")
    group_by = list(group_by)
    perturbations = list(dict.fromkeys(data["perturbation"]))
    n_columns = max(1, min(n_columns, len(perturbations)))
    n_rows = int(np.ceil(len(perturbations) / n_columns))
    fig, axes = axes_grid(
        axes, n_rows, n_columns,
        figsize=(panel_size[0] * n_columns, panel_size[1] * n_rows), constrained_layout=True,
    )
    for ax, perturbation in zip(axes.flat, perturbations, strict=False):
        panel = data[data["perturbation"] == perturbation]
        groups = panel.groupby(group_by, sort=False) if group_by else [("all", panel)]
        for g, (key, group) in enumerate(groups):
            stats = group.groupby("strength")["score"].agg(["mean", "std"]).fillna(0.0)
            line = ax.plot(stats.index, stats["mean"], marker="o", ms=3, label=_group_label(key),
                           color=palette_color(g))
            ax.fill_between(
                stats.index,
                stats["mean"] - stats["std"],
                stats["mean"] + stats["std"],
                color=line[0].get_color(),
                alpha=0.2,
                linewidth=0,
            )
        ax.set_title(perturbation)
        ax.set_xlabel("strength (perturbation units)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(perturbations) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize="small")
    return fig


def plot_attack_examples(
    results: Iterable[OnePixelAttackResult],
    images: ArrayLike,
    *,
    class_names: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    max_examples: int = 6,
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Clean image, attacked image (changed pixel circled) and class probabilities.

    Images are shown with :func:`image_to_rgb` (asinh stretch).

    Parameters
    ----------
    results : sequence of OnePixelAttackResult
    images : array-like of shape (n, channels, height, width)
        The clean images that were attacked, in the order of ``results``.
    class_names : sequence of str, optional
        Names of the probability columns (default: the result labels).
    titles : sequence of str, optional
        One row title per example (e.g. the model name).
    max_examples : int, default=6
        Rows drawn at most.
    axes : array of matplotlib Axes of shape (n_examples, 3), optional
        Where to draw; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Per row: the original image, the attacked image and the changed pixel.

    Examples
    --------
    Any scikit-learn classifier of images can be attacked, e.g. a pipeline that
    flattens them:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skdomain.robustness import one_pixel_attack
    >>> images = np.random.default_rng(0).random((20, 1, 4, 4))
    >>> labels = (images[:, 0, 0, 0] > 0.5).astype(int)
    >>> flatten = FunctionTransformer(lambda X: np.reshape(X, (len(X), -1)))
    >>> model = make_pipeline(flatten, LogisticRegression()).fit(images, labels)
    >>> result = one_pixel_attack(model, images[0], labels[0], maxiter=3,
    ...                           population_size=10, random_state=0)
    >>> len(plot_attack_examples([result], images[:1]).axes)
    3
    """
    results = list(results)[:max_examples]
    if not results:
        raise ValueError("No attack results to plot.")
    images = np.asarray(images)
    fig, axes = axes_grid(
        axes, len(results), 3, figsize=(8.4, 2.5 * len(results)), constrained_layout=True
    )
    for i, result in enumerate(results):
        clean_ax, attacked_ax, bar_ax = axes[i]
        clean_ax.imshow(image_to_rgb(images[i]), cmap=IMAGE_CMAP, origin=IMAGE_ORIGIN)
        clean_ax.set_title(f"clean: {result.label_before}", fontsize="small")
        attacked_ax.imshow(
            image_to_rgb(result.adversarial_image), cmap=IMAGE_CMAP, origin=IMAGE_ORIGIN
        )
        if result.pixel is not None:
            row, col = result.pixel
            attacked_ax.scatter(
                [col], [row], s=160, facecolors="none", edgecolors="red", linewidths=1.5
            )
        verdict = "success" if result.success else "failed"
        attacked_ax.set_title(f"one pixel: {result.label_after} ({verdict})", fontsize="small")
        for ax in (clean_ax, attacked_ax):
            ax.set_xticks([])
            ax.set_yticks([])
        if titles is not None:
            clean_ax.set_ylabel(titles[i], fontsize="small")
        names = list(class_names) if class_names is not None else [str(c) for c in result.classes]
        positions = np.arange(len(names))
        bar_ax.bar(positions - 0.2, result.probability_before, 0.4, label="before",
                   color=palette_color(0))
        bar_ax.bar(positions + 0.2, result.probability_after, 0.4, label="after",
                   color=palette_color(1))
        bar_ax.set_xticks(positions, names, fontsize="small", rotation=20)
        bar_ax.set_ylim(0, 1)
        bar_ax.set_ylabel("probability", fontsize="small")
        if i == 0:
            bar_ax.legend(fontsize="small")
    return fig


def plot_latent_distances(
    distances: pd.DataFrame,
    *,
    value: str = "distance",
    group_by: str = "model",
    panel_by: str | None = "domain",
    xlabel: str = "distance to the nearest wrong-class sample / latent spread",
    axes: Axes | Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Histograms of per-sample latent distances, one color per model.

    Parameters
    ----------
    distances : DataFrame
        One row per sample with a ``value`` column and the grouping columns.
    value : str, default="distance"
        Column holding the distances.
    group_by : str, default="model"
        One histogram per value of this column (its mean is marked).
    panel_by : str or None, default="domain"
        One panel per value of this column.
    xlabel : str
        Axis label.
    axes : sequence of matplotlib Axes, optional
        One Axes per panel; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per group: the distribution of the latent distances.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"distance": [1.0, 2.0, 3.0, 4.0], "model": ["a", "a", "b", "b"],
    ...     "domain": "source"})
    >>> len(plot_latent_distances(frame).axes)
    1
    """
    if distances.empty:
        raise ValueError("No distances to plot.")
    panels = list(dict.fromkeys(distances[panel_by])) if panel_by else [None]
    fig, axes = axes_grid(
        axes, 1, len(panels), figsize=(4.4 * len(panels), 3.2), constrained_layout=True
    )
    finite = distances[value][np.isfinite(distances[value])]
    bins = np.linspace(0, np.percentile(finite, 99) if len(finite) else 1.0, 40)
    for ax, panel in zip(axes[0], panels, strict=False):
        subset = distances if panel is None else distances[distances[panel_by] == panel]
        for g, (key, group) in enumerate(subset.groupby(group_by, sort=False)):
            values = group[value].to_numpy()
            color = palette_color(g)
            ax.hist(values, bins=bins, alpha=0.45, color=color,
                    label=f"{key} (mean {values.mean():.2f})")
            ax.axvline(values.mean(), color=color, linestyle="--")
        ax.set_title("" if panel is None else str(panel))
        ax.set_xlabel(xlabel, fontsize="small")
        ax.set_ylabel("number of samples")
        ax.legend(fontsize="small")
    return fig
