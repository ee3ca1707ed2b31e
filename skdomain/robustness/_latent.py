"""Robustness seen in the latent space: how far perturbations move a sample,
and how far a sample sits from the classes it does not belong to.

Raw latent distances depend on the scale of each network's latent space, so
comparing two networks (with and without domain adaptation) needs a
normalization: ``normalize="spread"`` divides by the root mean square
distance of the reference latents to their mean, ``normalize="own_class"``
divides by the distance to the sample's own class (a margin ratio).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from sklearn.utils.validation import check_random_state

from ._curves import resolve_perturbation

__all__ = [
    "paired_latent_distances",
    "latent_spread",
    "wrong_class_distances",
    "latent_shift_curve",
]

_CHUNK = 1024


def _check_latents(Z, name="Z") -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2 or Z.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2D array (n_samples, n_latent), got {Z.shape}."
        )
    if not np.all(np.isfinite(Z)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return Z


def paired_latent_distances(Z_clean, Z_perturbed, *, metric: str = "euclidean") -> np.ndarray:
    """Distance between each clean latent vector and its perturbed counterpart.

    Parameters
    ----------
    Z_clean, Z_perturbed : array-like of shape (n, d)
        Latent embeddings of the same samples before and after a perturbation.
    metric : {"euclidean", "cosine"}
        Euclidean distance or cosine distance (1 - cosine similarity).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> paired_latent_distances([[0, 0], [1, 1]], [[3, 4], [1, 1]]).tolist()
    [5.0, 0.0]
    """
    a = _check_latents(Z_clean, "Z_clean")
    b = _check_latents(Z_perturbed, "Z_perturbed")
    if a.shape != b.shape:
        raise ValueError(f"Z_clean and Z_perturbed have different shapes {a.shape}, {b.shape}.")
    if metric == "euclidean":
        return np.linalg.norm(a - b, axis=1)
    if metric == "cosine":
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cosine = np.divide(np.sum(a * b, axis=1), norms, out=np.zeros(len(a)), where=norms > 0)
        return 1.0 - cosine
    raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}.")


def latent_spread(Z) -> float:
    """Root mean square Euclidean distance of latent vectors to their mean.

    Parameters
    ----------
    Z : array-like of shape (n, d)

    Returns
    -------
    float

    Examples
    --------
    >>> latent_spread([[1.0, 0.0], [-1.0, 0.0]])
    1.0
    """
    Z = _check_latents(Z)
    return float(np.sqrt(np.mean(np.sum((Z - Z.mean(axis=0)) ** 2, axis=1))))


def _min_distance_by_mask(Z, reference, mask_fn, exclude_self: bool) -> np.ndarray:
    """Per sample the smallest distance to reference rows allowed by ``mask_fn``."""
    out = np.empty(len(Z))
    for start in range(0, len(Z), _CHUNK):
        stop = min(start + _CHUNK, len(Z))
        distances = cdist(Z[start:stop], reference)
        allowed = mask_fn(slice(start, stop))
        if exclude_self:
            allowed[np.arange(stop - start), np.arange(start, stop)] = False
        distances = np.where(allowed, distances, np.inf)
        out[start:stop] = distances.min(axis=1)
    return out


def wrong_class_distances(
    Z,
    y,
    *,
    reference=None,
    reference_labels=None,
    method: str = "nearest",
    normalize: str | None = None,
) -> np.ndarray:
    """Distance of each sample to the nearest sample (or centroid) of a wrong class.

    Parameters
    ----------
    Z : array-like of shape (n, d)
        Latent embeddings of the samples.
    y : array-like of shape (n,)
        Their true classes.
    reference, reference_labels : array-like of shape (m, d) and (m,), optional
        Labeled latents that define the classes (e.g. the training set);
        default: ``Z`` and ``y`` themselves (a sample is never its own
        neighbor).
    method : {"nearest", "centroid"}
        Distance to the nearest reference sample of another class, or to the
        nearest centroid of another class.
    normalize : {None, "spread", "own_class"}
        None: raw Euclidean distances. "spread": divided by
        :func:`latent_spread` of the reference (comparable across networks).
        "own_class": divided by the distance to the nearest sample (or the
        centroid) of the sample's own class, a margin ratio (> 1 means closer
        to its own class).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[0.0], [1.0], [10.0], [12.0]])
    >>> wrong_class_distances(Z, [0, 0, 1, 1]).tolist()
    [10.0, 9.0, 9.0, 11.0]
    >>> wrong_class_distances(Z, [0, 0, 1, 1], method="centroid").tolist()
    [11.0, 10.0, 9.5, 11.5]
    """
    Z = _check_latents(Z)
    y = np.asarray(y)
    if len(y) != len(Z):
        raise ValueError(f"Z and y have different lengths: {len(Z)} and {len(y)}.")
    if (reference is None) != (reference_labels is None):
        raise ValueError("Give both reference and reference_labels, or neither.")
    own_reference = reference is None
    if own_reference:
        reference, reference_labels = Z, y
    else:
        reference = _check_latents(reference, "reference")
        reference_labels = np.asarray(reference_labels)
        if len(reference_labels) != len(reference):
            raise ValueError("reference and reference_labels have different lengths.")
        if reference.shape[1] != Z.shape[1]:
            raise ValueError(
                f"reference has {reference.shape[1]} latent dimensions, Z has {Z.shape[1]}."
            )
    classes = np.unique(reference_labels)
    if classes.size < 2:
        raise ValueError("The reference needs at least two classes.")
    if not np.all(np.isin(y, classes)):
        raise ValueError("Some labels in y do not occur in the reference labels.")
    if method not in ("nearest", "centroid"):
        raise ValueError(f"method must be 'nearest' or 'centroid', got {method!r}.")
    if normalize not in (None, "spread", "own_class"):
        raise ValueError(f"normalize must be None, 'spread' or 'own_class', got {normalize!r}.")

    if method == "centroid":
        centroids = np.stack([reference[reference_labels == c].mean(axis=0) for c in classes])
        distances = cdist(Z, centroids)
        own = y[:, None] == classes[None, :]
        wrong = np.where(own, np.inf, distances).min(axis=1)
        own_distance = np.where(own, distances, np.inf).min(axis=1)
    else:
        wrong = _min_distance_by_mask(
            Z, reference, lambda rows: y[rows, None] != reference_labels[None, :], False
        )
        own_distance = None
        if normalize == "own_class":
            own_distance = _min_distance_by_mask(
                Z,
                reference,
                lambda rows: y[rows, None] == reference_labels[None, :],
                own_reference,
            )
    if normalize == "spread":
        return wrong / latent_spread(reference)
    if normalize == "own_class":
        if not np.all(np.isfinite(own_distance)):
            raise ValueError("Some samples have no other sample of their own class.")
        with np.errstate(divide="ignore"):
            return wrong / own_distance
    return wrong


def latent_shift_curve(
    estimator,
    X,
    perturbation,
    strengths,
    *,
    random_state=None,
    strength_param: str = "strength",
) -> pd.DataFrame:
    """How far a perturbation moves samples in the latent space of ``estimator``.

    Parameters
    ----------
    estimator : fitted estimator with ``transform``
        Maps image batches to latent features (e.g. a skdomain classifier).
    X : array-like of shape (n, channels, height, width)
        Clean images.
    perturbation : str, transformer or callable
        See :func:`~skdomain.robustness.resolve_perturbation`.
    strengths : sequence of float
    random_state : int, RandomState instance or None
    strength_param : str, default="strength"

    Returns
    -------
    pandas.DataFrame
        One row per strength: ``perturbation``, ``strength``, ``mean_distance``,
        ``median_distance`` and ``relative_distance`` (the mean divided by the
        latent spread of the clean embeddings, comparable across networks).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> flatten = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    >>> X = np.random.default_rng(0).normal(size=(10, 1, 4, 4))
    >>> curve = latent_shift_curve(flatten, X, "noise", [0.0, 1.0], random_state=0)
    >>> float(curve.mean_distance.iloc[0]), bool(curve.mean_distance.iloc[1] > 0)
    (0.0, True)
    """
    apply, name = resolve_perturbation(perturbation, strength_param)
    X = np.asarray(X)
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    clean = _check_latents(estimator.transform(X), "latents")
    spread = latent_spread(clean)
    rows = []
    for strength in np.atleast_1d(np.asarray(strengths, dtype=float)):
        moved = paired_latent_distances(clean, estimator.transform(apply(X, float(strength), seed)))
        rows.append(
            {
                "perturbation": name,
                "strength": float(strength),
                "mean_distance": float(moved.mean()),
                "median_distance": float(np.median(moved)),
                "relative_distance": float(moved.mean() / spread) if spread > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)
