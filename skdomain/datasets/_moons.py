"""Two moons with a rotated target domain: the classic domain-adaptation toy."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.datasets import make_moons
from sklearn.utils import check_random_state

__all__ = ["make_rotated_moons"]


def make_rotated_moons(
    n_samples: int = 500,
    *,
    n_target: int | None = None,
    rotation: float = 30.0,
    noise: float = 0.1,
    random_state=None,
):
    """Labeled source moons and a target domain rotated about the data center.

    Parameters
    ----------
    n_samples : int, default=500
        Number of source samples.
    n_target : int, optional
        Number of target samples (defaults to ``n_samples``).
    rotation : float, default=30.0
        Counter-clockwise rotation of the target in degrees.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise of both domains.
    random_state : int, RandomState instance or None

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    X_target : ndarray of shape (n_target, 2)
    y_target : ndarray of shape (n_target,)
        Target labels, for scoring only: a domain-adaptation model never sees them.

    Examples
    --------
    >>> X, y, X_target, y_target = make_rotated_moons(100, random_state=0)
    >>> X.shape, X_target.shape
    ((100, 2), (100, 2))
    """
    for name, value in (("rotation", rotation), ("noise", noise)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    rng = check_random_state(random_state)
    n_target = n_samples if n_target is None else n_target
    X, y = make_moons(n_samples, noise=noise, random_state=rng)
    X_target, y_target = make_moons(n_target, noise=noise, random_state=rng)
    # Rotate about the center of the noise-free moons, (0.5, 0.25).
    center = np.array([0.5, 0.25])
    angle = np.deg2rad(rotation)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    X_target = (X_target - center) @ rot.T + center
    return X, y, X_target, y_target
