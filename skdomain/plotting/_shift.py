"""Figure of a shift-diagnosis table (:func:`skdomain.shift.shift_report`).

The function draws on the caller's axes (``ax=``) or on a new figure, and returns
the figure; the caller saves and closes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._axes import single_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["plot_shift_report"]


def plot_shift_report(
    table: pd.DataFrame, *, alpha: float = 0.05, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Per-feature ``-log10 p`` bars with the joint MMD and classifier results.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`skdomain.shift.shift_report`.
    alpha : float, default=0.05
        Level drawn as a dashed line (on the corrected p-values).
    title : str, optional
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The test statistics and p-values of the report, per feature.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.shift import shift_report
    >>> rng = np.random.default_rng(0)
    >>> t = shift_report(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)),
    ...                  n_permutations=50, random_state=0)
    >>> fig = plot_shift_report(t)
    >>> len(fig.axes)
    1
    """
    required = {"test", "feature", "statistic", "p_adjusted", "rejected"}
    if not required <= set(table.columns):
        raise ValueError(f"table needs the columns {sorted(required)} of shift_report.")
    per_feature = table[table["feature"] != "all"]
    joint = table[table["feature"] == "all"]
    floor = 1e-4
    heights = -np.log10(np.clip(per_feature["p_adjusted"].to_numpy(float), floor, 1.0))
    colors = np.where(per_feature["rejected"].to_numpy(bool), "tab:red", "tab:grey")
    own_figure = ax is None
    fig, ax = single_axes(ax, (max(6.0, 0.28 * len(per_feature) + 2), 3.6))
    ax.bar(np.arange(len(per_feature)), heights, color=colors)
    ax.axhline(-np.log10(alpha), color="k", ls="--", lw=1, label=f"alpha = {alpha}")
    ax.set_xticks(np.arange(len(per_feature)))
    ax.set_xticklabels(per_feature["feature"], rotation=90, fontsize=7)
    ax.set_ylabel("-log10 adjusted p (per feature)")
    lines = []
    for row in joint.itertuples(index=False):
        if row.test == "MMD":
            lines.append(f"MMD$^2$ = {row.statistic:.4f}, p = {row.p_value:.3g}")
        else:
            ci = ""
            if np.isfinite(getattr(row, "ci_low", np.nan)):
                ci = f" [{row.ci_low:.2f}, {row.ci_high:.2f}]"
            lines.append(f"classifier AUC = {row.statistic:.3f}{ci}")
    n_rejected = int(per_feature["rejected"].sum())
    lines.append(f"{n_rejected}/{len(per_feature)} features rejected")
    ax.text(0.01, 0.97, "\n".join(lines), transform=ax.transAxes, va="top", fontsize=8,
            bbox=dict(facecolor="white", alpha=0.8, lw=0))
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    if own_figure:
        fig.tight_layout()
    return fig
