"""Figures of the merger experiment: ROC curves and grouped metric bars."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import RocCurveDisplay

from ._axes import single_axes
from ._style import palette_color

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["method_colors", "plot_metric_bars", "plot_roc_curves"]


def method_colors(methods: Iterable[str]) -> dict:
    """A fixed color per method name, in order, from the colour-blind-safe palette.

    The colors are Okabe & Ito's (``skdomain.plotting._style.PALETTE``):
    blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow,
    black; every method of a figure gets a distinct one (up to eight).

    Parameters
    ----------
    methods : iterable of str
        Method names, in the order of the legend.

    Returns
    -------
    dict
        Method name -> hex color.


    Examples
    --------
    >>> list(method_colors(["no DA", "MMD"]))
    ['no DA', 'MMD']
    """
    return {m: palette_color(i) for i, m in enumerate(methods)}


def plot_roc_curves(
    y_true: ArrayLike,
    probabilities: Mapping,
    *,
    ax: Axes | None = None,
    auc_text: Mapping | None = None,
    title: str | None = None,
) -> Axes:
    """ROC curves of several models on the same samples, AUC in the legend.

    Each curve is a :class:`sklearn.metrics.RocCurveDisplay` drawn on ``ax``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels (1 = positive).
    probabilities : mapping of name -> array-like of shape (n_samples,)
        Positive-class probability of each model.
    ax : matplotlib Axes, optional
    auc_text : mapping of name -> str, optional
        Legend text for the AUC (e.g. ``"0.85 ± 0.03"`` over seeds); by default
        the AUC of the curve shown.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        The ROC curve of every method.

    Examples
    --------
    >>> ax = plot_roc_curves([0, 1, 1, 0], {"a": [0.1, 0.8, 0.7, 0.3]})
    >>> ax.get_legend().get_texts()[0].get_text()
    'a (AUC 1.000)'
    """
    _, ax = single_axes(ax, (4.5, 4.2))
    y_true = np.asarray(y_true)
    colors = method_colors(probabilities)
    for name, proba in probabilities.items():
        display = RocCurveDisplay.from_predictions(
            y_true, np.asarray(proba), name=name, ax=ax,
            curve_kwargs={"color": colors[name], "lw": 1.6},
        )
        text = (auc_text or {}).get(name, f"{display.roc_auc:.3f}")
        display.line_.set_label(f"{name} (AUC {text})")
    ax.set_aspect("auto")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_metric_bars(
    table: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    source: str = "source",
    target: str = "target",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Grouped bars of metrics per method: source dashed outline, target solid.

    Parameters
    ----------
    table : DataFrame
        Long format with columns ``method``, ``domain``, ``metric``, ``mean``
        and optionally ``std`` (drawn as error bars).
    metrics : list of str, optional
        Metrics in display order; default: their order in ``table``.
    source, target : str
        The values of ``domain`` drawn as dashed and as solid bars.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Grouped bars of every metric per method and domain.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["a", "a"], "domain": ["source", "target"],
    ...                   "metric": ["accuracy", "accuracy"], "mean": [0.9, 0.7]})
    >>> len(plot_metric_bars(t).patches)
    2
    """
    missing = {"method", "domain", "metric", "mean"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns {sorted(missing)}.")
    metrics = list(metrics or dict.fromkeys(table["metric"]))
    methods = list(dict.fromkeys(table["method"]))
    colors = method_colors(methods)
    _, ax = single_axes(ax, (max(6.0, 1.4 * len(metrics) * len(methods) / 3), 3.8))
    width = 0.8 / (2 * len(methods))
    indexed = table.set_index(["method", "domain", "metric"])
    for i, method in enumerate(methods):
        for j, (domain, style) in enumerate(((source, "dashed"), (target, "solid"))):
            offsets = np.arange(len(metrics)) - 0.4 + width * (2 * i + j + 0.5)
            values, errors = [], []
            for metric in metrics:
                key = (method, domain, metric)
                row = indexed.loc[key] if key in indexed.index else None
                values.append(np.nan if row is None else float(row["mean"]))
                errors.append(
                    0.0 if row is None or "std" not in indexed.columns else float(row["std"])
                )
            solid = style == "solid"
            ax.bar(
                offsets,
                values,
                width,
                yerr=errors,
                color=colors[method] if solid else "none",
                edgecolor=colors[method],
                linestyle=style,
                linewidth=1.2,
                error_kw={"elinewidth": 0.8, "ecolor": "black"},
                label=f"{method} ({domain})",
            )
    ax.set_xticks(np.arange(len(metrics)))
    ax.set_xticklabels(metrics)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    return ax
