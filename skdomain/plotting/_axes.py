"""Where a figure function draws: the caller's axes, or new ones.

Imported only by the plotting modules, which the package loads on first use,
so ``import skdomain.plotting`` does not import pyplot.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["axes_grid", "single_axes"]


def single_axes(ax, figsize):
    """``(figure, ax)``: ``ax`` and its figure, or a new figure of ``figsize`` with one Axes.

    Examples
    --------
    >>> fig, ax = single_axes(None, (2, 2))
    >>> single_axes(ax, (9, 9))[1] is ax
    True
    """
    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


def axes_grid(axes, n_rows: int, n_columns: int, *, figsize, **subplots_kw):
    """``(figure, axes)`` with ``axes`` an ``(n_rows, n_columns)`` array of Axes.

    ``axes=None`` makes a new figure (``plt.subplots`` with ``figsize`` and
    ``subplots_kw``); otherwise the caller's Axes (any shape holding
    ``n_rows * n_columns`` of them, on one figure) are used as they are.

    Examples
    --------
    >>> fig, grid = axes_grid(None, 2, 3, figsize=(3, 2))
    >>> grid.shape, axes_grid(grid.ravel(), 2, 3, figsize=None)[1].shape
    ((2, 3), (2, 3))
    >>> axes_grid(grid, 1, 2, figsize=None)
    Traceback (most recent call last):
    ...
    ValueError: axes must hold 2 Axes (1 x 2), got 6.
    """
    if axes is None:
        return plt.subplots(n_rows, n_columns, figsize=figsize, squeeze=False, **subplots_kw)
    grid = np.asarray(axes, dtype=object)
    if grid.size != n_rows * n_columns:
        raise ValueError(
            f"axes must hold {n_rows * n_columns} Axes ({n_rows} x {n_columns}), got {grid.size}."
        )
    grid = grid.reshape(n_rows, n_columns)
    return grid.flat[0].figure, grid
