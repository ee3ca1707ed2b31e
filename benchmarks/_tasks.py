"""Named benchmark tasks: fixed data seeds, source / target / held-out target splits.

Every task is a function ``task(seed) -> Task`` that draws its data from the
given data seed; the suite fixes one data seed per task and varies only the
training seed. Target labels are used for scoring only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.utils import check_random_state

__all__ = ["Task", "TASKS", "rotated_moons", "make_task"]


@dataclass
class Task:
    """One domain-adaptation problem with a held-out target sample."""

    name: str
    X: np.ndarray
    y: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    kind: str = "tabular"  # "tabular" or "image"
    extra: dict = field(default_factory=dict)


def _rotation(angle_deg):
    a = np.deg2rad(angle_deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def rotated_moons(n, rotation, *, about="origin", noise=0.1, target_proportion=None, seed=0):
    """Source moons and a rotated target (about the origin or the data center).

    ``target_proportion`` (fraction of class 1 in the target) makes a
    label-shifted variant; the held-out target sample has the same law.
    """
    rng = check_random_state(seed)
    X, y = make_moons(n, noise=noise, random_state=rng)

    def target(m):
        if target_proportion is None:
            Xt, yt = make_moons(m, noise=noise, random_state=rng)
        else:
            Xt, yt = make_moons(4 * m, noise=noise, random_state=rng)
            n1 = int(round(target_proportion * m))
            idx = np.concatenate([
                rng.choice(np.flatnonzero(yt == 0), m - n1, replace=False),
                rng.choice(np.flatnonzero(yt == 1), n1, replace=False),
            ])
            rng.shuffle(idx)
            Xt, yt = Xt[idx], yt[idx]
        center = np.zeros(2) if about == "origin" else np.array([0.5, 0.25])
        return (Xt - center) @ _rotation(rotation).T + center, yt

    Xt, yt = target(n)
    Xh, yh = target(n)
    return X, y, Xt, yt, Xh, yh


def _library_moons(n, rotation, seed):
    """skdomain's own ``make_rotated_moons`` (about the center): the README's example."""
    from skdomain.datasets import make_rotated_moons

    X, y, Xt, yt = make_rotated_moons(n, rotation=rotation, random_state=seed)
    _, _, Xh, yh = make_rotated_moons(n, rotation=rotation, random_state=seed + 1000)
    return X, y, Xt, yt, Xh, yh


def _affine_tabular(n, seed):
    """Ten-feature two-class Gaussian mixture; target = affine map + extra noise."""
    rng = check_random_state(seed)
    d = 10

    def draw(m):
        y = rng.randint(0, 2, m)
        means = np.stack([np.r_[1.0, 1.0, np.zeros(d - 2)], np.r_[-1.0, -1.0, np.zeros(d - 2)]])
        Xn = rng.randn(m, d) @ np.diag(np.r_[0.6, 0.6, np.ones(d - 2)]) + means[y]
        # non-linear class boundary: flip the sign of class 1 on half the space
        Xn[:, 2] += 1.5 * np.sin(2 * Xn[:, 0])
        return Xn, y

    A = np.eye(d) + 0.5 * rng.randn(d, d) / np.sqrt(d)
    b = 0.8 * rng.randn(d)
    X, y = draw(n)
    Xt, yt = draw(n)
    Xh, yh = draw(n)

    def shift(Z):
        return Z @ A.T + b + 0.3 * rng.randn(*Z.shape)

    return X, y, shift(Xt), yt, shift(Xh), yh


def _skada_shift(kind, n, seed):
    from skada.datasets import make_shifted_datasets

    def draw(s):
        X, y, dom = make_shifted_datasets(
            n_samples_source=n // 8, n_samples_target=n // 8, shift=kind, noise=0.3,
            label="binary", random_state=s,
        )
        return X[dom > 0], y[dom > 0], X[dom < 0], y[dom < 0]

    X, y, Xt, yt = draw(seed)
    # held-out target from the same generator, another draw (the shift is fixed
    # by the generator, not by the seed)
    _, _, Xh, yh = draw(seed + 1000)
    return X, y, Xt, yt, Xh, yh


def _psf_blur(images, sigma):
    from scipy.ndimage import gaussian_filter

    return np.stack([gaussian_filter(im, sigma) for im in images])


def _digits(seed, n=None):
    """sklearn digits (8x8): source clean, target observed through a survey.

    The target is half inverted and blurred by a Gaussian PSF, with noise and a
    different pixel scale (a 0.8 flux scale plus offset).
    """
    rng = check_random_state(seed)
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 1, 8, 8).astype(np.float32) / 16.0
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    third = len(X) // 3
    Xs, ys = X[:third], y[:third]

    def observe(Z):
        Z = _psf_blur(Z[:, 0], 0.7)[:, None]
        invert = rng.rand(len(Z)) < 0.5
        Z[invert] = Z[invert].max() - Z[invert]
        Z = 0.8 * Z + 0.1 + 0.1 * rng.randn(*Z.shape)
        return Z.astype(np.float32)

    Xt, yt = observe(X[third:2 * third]), y[third:2 * third]
    Xh, yh = observe(X[2 * third:]), y[2 * third:]
    return Xs, ys, Xt, yt, Xh, yh


def _mergers(n, seed):
    from skdomain.datasets import make_galaxy_mergers

    X, y = make_galaxy_mergers(n, domain="pristine", image_size=24, random_state=seed)
    Xt, yt = make_galaxy_mergers(n, domain="noisy", image_size=24, random_state=seed + 1)
    Xh, yh = make_galaxy_mergers(n, domain="noisy", image_size=24, random_state=seed + 2)
    return X, y, Xt, yt, Xh, yh


def _morphologies(n, seed):
    from skdomain.datasets import make_galaxy_morphologies

    classes = [2, 4, 7]  # round smooth, barred spiral, edge-on
    kw = dict(classes=classes, image_size=24)
    X, y = make_galaxy_morphologies(n, survey="decals", random_state=seed, **kw)
    Xt, yt = make_galaxy_morphologies(n, survey="sdss", random_state=seed + 1, **kw)
    Xh, yh = make_galaxy_morphologies(n, survey="sdss", random_state=seed + 2, **kw)
    if X.ndim == 3:
        X, Xt, Xh = X[:, None], Xt[:, None], Xh[:, None]
    return X, y, Xt, yt, Xh, yh


def _registry():
    tasks = {}
    for angle in (20, 30, 50, 70):
        tasks[f"moons-origin-{angle}"] = (
            lambda n, s, a=angle: rotated_moons(n, a, about="origin", seed=s), "tabular", 1000)
    for angle in (30, 50, 70):
        tasks[f"moons-center-{angle}"] = (
            lambda n, s, a=angle: _library_moons(n, a, s), "tabular", 1000)
    tasks["moons-origin-30-label-shift"] = (
        lambda n, s: rotated_moons(n, 30, about="origin", target_proportion=0.25, seed=s),
        "tabular", 1000)
    tasks["affine-noise-10d"] = (_affine_tabular, "tabular", 1000)
    for kind in ("covariate_shift", "target_shift", "conditional_shift", "subspace"):
        tasks[f"skada-{kind.replace('_shift', '')}"] = (
            lambda n, s, k=kind: _skada_shift(k, n, s), "tabular", 800)
    tasks["digits-survey"] = (lambda n, s: _digits(s), "image", 0)
    tasks["mergers-pristine-noisy"] = (_mergers, "image", 400)
    tasks["morphologies-decals-sdss"] = (_morphologies, "image", 600)
    return tasks


TASKS = _registry()


def make_task(name: str, *, data_seed: int = 0, n: int | None = None) -> Task:
    """Build the named task with its fixed data seed."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known: {sorted(TASKS)}")
    build, kind, default_n = TASKS[name]
    X, y, Xt, yt, Xh, yh = build(n or default_n, data_seed)
    f = np.float32
    return Task(name, X.astype(f), np.asarray(y).astype(int), Xt.astype(f),
                np.asarray(yt).astype(int), Xh.astype(f), np.asarray(yh).astype(int), kind)
