"""The one-pixel attack (Su, Vargas & Sakurai 2019) with differential evolution.

A candidate is one pixel position and new values for it in every band,
``(row, col, v_1, ..., v_C)``. Differential evolution searches that space for
a candidate that makes the model give up the true class (untargeted) or
choose a given class (targeted). The whole population of a generation is
evaluated in one ``predict_proba`` call (``vectorized=True`` of
:func:`scipy.optimize.differential_evolution`), which is what makes the
attack cheap on a CPU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution
from sklearn.utils import check_random_state

from ._perturbations import _check_labelled_images

__all__ = [
    "OnePixelAttackResult",
    "one_pixel_attack",
    "one_pixel_attack_batch",
    "attack_results_frame",
]


@dataclass
class OnePixelAttackResult:
    """Outcome of a one-pixel attack on one image.

    Attributes
    ----------
    success : bool
        Whether the success criterion holds for the returned pixel.
    pixel : tuple of int or None
        ``(row, col)`` of the changed pixel (the best one found, even when
        the attack failed); None when the criterion held before any change.
    values : ndarray of shape (channels,) or None
        New values of the pixel in each band.
    original_values : ndarray of shape (channels,) or None
        Values of the pixel before the attack.
    true_label, target_label
        The class of the image and, for a targeted attack, the class aimed at
        (None when untargeted).
    label_before, label_after
        Predicted class before and after the change.
    probability_before, probability_after : ndarray of shape (n_classes,)
        Predicted class probabilities before and after the change.
    criterion_before, criterion_after : float
        The objective the attack minimizes; the attack succeeds when it is
        negative (see :func:`one_pixel_attack`).
    already_successful : bool
        The criterion held on the clean image (e.g. it was misclassified), so
        nothing was attacked.
    n_evaluations : int
        Number of perturbed images the model scored.
    n_iterations : int
        Generations of differential evolution that ran.
    adversarial_image : ndarray
        The image with the pixel changed (a copy of the input if none).
    classes : ndarray
        The model's classes, in the order of the probability columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.robustness import OnePixelAttackResult, one_pixel_attack
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((20, 1, 3, 3)); y = (X[:, 0, 1, 1] > 0.5).astype(int)
    >>> clf = LogisticRegression().fit(X.reshape(20, -1), y)
    >>> class Flat:  # the attack calls predict_proba on images
    ...     classes_ = clf.classes_
    ...     def predict_proba(self, images):
    ...         return clf.predict_proba(np.asarray(images).reshape(len(images), -1))
    >>> result = one_pixel_attack(Flat(), X[0], y[0], maxiter=3, population_size=10,
    ...                           random_state=0)
    >>> isinstance(result, OnePixelAttackResult), result.adversarial_image.shape
    (True, (1, 3, 3))
    """

    success: bool
    pixel: tuple[int, int] | None
    values: np.ndarray | None
    original_values: np.ndarray | None
    true_label: object
    target_label: object
    label_before: object
    label_after: object
    probability_before: np.ndarray
    probability_after: np.ndarray
    criterion_before: float
    criterion_after: float
    already_successful: bool
    n_evaluations: int
    n_iterations: int
    adversarial_image: np.ndarray = field(repr=False)

    @property
    def true_probability_before(self) -> float:
        """Probability of the true class before the attack."""
        return float(self.probability_before[self._column(self.true_label)])

    @property
    def true_probability_after(self) -> float:
        """Probability of the true class after the attack."""
        return float(self.probability_after[self._column(self.true_label)])

    classes: np.ndarray = field(default=None, repr=False)

    def _column(self, label) -> int:
        return _class_column(self.classes, label)


def _plain(label):
    """numpy scalars as plain Python values, for readable results."""
    return label.item() if isinstance(label, np.generic) else label


def _class_column(classes, label) -> int:
    matches = np.flatnonzero(np.asarray(classes) == label)
    if matches.size != 1:
        raise ValueError(f"Label {label!r} is not one of the model's classes {list(classes)}.")
    return int(matches[0])


def _model_classes(estimator, n_columns: int) -> np.ndarray:
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return np.arange(n_columns)
    classes = np.asarray(classes)
    if classes.size != n_columns:
        raise ValueError(
            f"predict_proba returned {n_columns} columns but the estimator has "
            f"{classes.size} classes."
        )
    return classes


def _criterion(proba: np.ndarray, column: int, targeted: bool, threshold: float | None):
    """Objective minimized by the attack; negative exactly when the attack succeeded."""
    chosen = proba[:, column]
    if threshold is not None:
        return chosen - threshold if not targeted else threshold - chosen
    others = np.delete(proba, column, axis=1)
    best_other = others.max(axis=1) if others.shape[1] else np.zeros(len(proba))
    # a tie between the chosen class and another one is not a success
    return best_other - chosen if targeted else chosen - best_other


def _value_bounds(value_bounds, reference: np.ndarray) -> np.ndarray:
    channels = reference.shape[-3]
    if value_bounds is None:
        other_axes = tuple(i for i in range(reference.ndim) if i != reference.ndim - 3)
        low, high = reference.min(axis=other_axes), reference.max(axis=other_axes)
        bounds = np.stack([low, high], axis=1).astype(float)
    else:
        bounds = np.asarray(value_bounds, dtype=float)
        if bounds.shape == (2,):
            bounds = np.tile(bounds, (channels, 1))
        if bounds.shape != (channels, 2):
            raise ValueError(
                f"value_bounds must be (low, high) or of shape ({channels}, 2), got "
                f"shape {bounds.shape}."
            )
    if np.any(~np.isfinite(bounds)) or np.any(bounds[:, 1] < bounds[:, 0]):
        raise ValueError(f"Invalid value bounds {bounds.tolist()}.")
    # differential_evolution needs a non-empty interval
    flat = bounds[:, 1] == bounds[:, 0]
    bounds[flat, 1] = bounds[flat, 0] + 1e-12
    return bounds


class _PixelObjective:
    """Scores populations of one-pixel candidates in batches and remembers success."""

    def __init__(self, estimator, image, column, targeted, threshold, batch_size):
        self.estimator = estimator
        self.image = image
        self.height, self.width = image.shape[1:]
        self.column = column
        self.targeted = targeted
        self.threshold = threshold
        self.batch_size = batch_size
        self.n_evaluations = 0
        self.best_value = np.inf
        self.best_candidate = None

    def decode(self, candidates: np.ndarray):
        rows = np.clip(np.floor(candidates[:, 0]).astype(int), 0, self.height - 1)
        cols = np.clip(np.floor(candidates[:, 1]).astype(int), 0, self.width - 1)
        return rows, cols, candidates[:, 2:]

    def perturbed(self, candidates: np.ndarray) -> np.ndarray:
        rows, cols, values = self.decode(candidates)
        images = np.repeat(self.image[None], len(candidates), axis=0)
        images[np.arange(len(candidates)), :, rows, cols] = values.astype(self.image.dtype)
        return images

    def probabilities(self, candidates: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(candidates), self.batch_size):
            images = self.perturbed(candidates[start : start + self.batch_size])
            out.append(np.asarray(self.estimator.predict_proba(images), dtype=float))
        self.n_evaluations += len(candidates)
        return np.concatenate(out)

    def __call__(self, population_by_parameter: np.ndarray) -> np.ndarray:
        candidates = np.atleast_2d(population_by_parameter.T)
        values = _criterion(
            self.probabilities(candidates), self.column, self.targeted, self.threshold
        )
        best = int(np.argmin(values))
        if values[best] < self.best_value:
            self.best_value = float(values[best])
            self.best_candidate = candidates[best].copy()
        return values

    def stop(self, intermediate_result=None) -> bool:
        return self.best_value < 0


def one_pixel_attack(
    estimator,
    image,
    label,
    *,
    target=None,
    maxiter: int = 30,
    population_size: int = 60,
    probability_threshold: float | None = None,
    value_bounds=None,
    mutation=(0.5, 1.0),
    recombination: float = 0.9,
    batch_size: int = 512,
    random_state=None,
) -> OnePixelAttackResult:
    """Search for one pixel whose change flips the prediction of ``estimator``.

    Untargeted (``target=None``): the attack succeeds when the true class
    ``label`` is no longer the most probable one, or, with
    ``probability_threshold=t``, when its probability falls below ``t``.
    Targeted: it succeeds when ``target`` becomes the most probable class, or
    its probability reaches ``t``. Differential evolution minimizes a
    criterion that is negative exactly on success (the probability margin
    between the true/target class and the best other class, or the distance
    to the threshold) and stops at the first generation with a success.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
        Called on image batches of shape ``(m, channels, height, width)``;
        its ``classes_`` (or column indices if it has none) name the labels.
    image : array-like of shape (channels, height, width)
        The image to attack.
    label : label
        Its true class.
    target : label, optional
        Class to push the image into (targeted attack).
    maxiter : int, default=30
        Generations of differential evolution.
    population_size : int, default=60
        Candidates per generation (at least 5); the budget is at most
        ``(maxiter + 1) * population_size`` model evaluations.
    probability_threshold : float in (0, 1), optional
        Success threshold on the predicted probability (see above).
    value_bounds : (low, high) or array of shape (channels, 2), optional
        Range of the new pixel values; defaults to each band's range in
        ``image``.
    mutation, recombination : see :func:`scipy.optimize.differential_evolution`
    batch_size : int, default=512
        Images per ``predict_proba`` call.
    random_state : int, RandomState instance or None
        Seed of the search.

    Returns
    -------
    OnePixelAttackResult

    Examples
    --------
    >>> import numpy as np
    >>> class CornerModel:  # looks only at pixel (0, 0)
    ...     classes_ = np.array([0, 1])
    ...     def predict_proba(self, X):
    ...         p = 1 / (1 + np.exp(-20 * (X[:, 0, 0, 0] - 0.5)))
    ...         return np.stack([1 - p, p], axis=1)
    >>> image = np.zeros((1, 5, 5)); image[0, 4, 4] = 1.0
    >>> result = one_pixel_attack(CornerModel(), image, 0, random_state=0)
    >>> result.success, result.pixel, result.label_after
    (True, (0, 0), 1)
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"image must have shape (channels, height, width), got {image.shape}.")
    if not np.all(np.isfinite(image)):
        raise ValueError("image contains NaN or infinite values.")
    if int(maxiter) < 1:
        raise ValueError(f"maxiter must be >= 1, got {maxiter}.")
    if int(population_size) < 5:
        raise ValueError(f"population_size must be >= 5, got {population_size}.")
    if probability_threshold is not None and not 0 < probability_threshold < 1:
        raise ValueError(f"probability_threshold must be in (0, 1), got {probability_threshold}.")
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(f"{type(estimator).__name__} has no predict_proba.")
    if not np.issubdtype(image.dtype, np.floating):
        image = image.astype(np.float32)

    proba_before = np.asarray(estimator.predict_proba(image[None]), dtype=float)[0]
    classes = _model_classes(estimator, proba_before.size)
    targeted = target is not None
    column = _class_column(classes, target if targeted else label)
    _class_column(classes, label)
    bounds_values = _value_bounds(value_bounds, image)
    channels, height, width = image.shape
    criterion_before = float(
        _criterion(proba_before[None], column, targeted, probability_threshold)[0]
    )
    label_before = _plain(classes[int(np.argmax(proba_before))])

    def result(success, pixel, values, original, proba_after, criterion_after, evals, iters, adv):
        return OnePixelAttackResult(
            success=bool(success),
            pixel=pixel,
            values=values,
            original_values=original,
            true_label=_plain(label),
            target_label=_plain(target),
            label_before=label_before,
            label_after=_plain(classes[int(np.argmax(proba_after))]),
            probability_before=proba_before,
            probability_after=proba_after,
            criterion_before=criterion_before,
            criterion_after=float(criterion_after),
            already_successful=pixel is None and bool(success),
            n_evaluations=int(evals),
            n_iterations=int(iters),
            adversarial_image=adv,
            classes=classes,
        )

    if criterion_before < 0:
        return result(True, None, None, None, proba_before, criterion_before, 0, 0, image.copy())

    rng = check_random_state(random_state)
    bounds = np.vstack([[0.0, height - 1e-6], [0.0, width - 1e-6], bounds_values])
    initial = bounds[:, 0] + rng.random_sample((int(population_size), len(bounds))) * (
        bounds[:, 1] - bounds[:, 0]
    )
    objective = _PixelObjective(
        estimator, image, column, targeted, probability_threshold, int(batch_size)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # Whole generations at once (vectorized, deferred updating), no convergence
        # tolerance and no polishing: the search stops at the first success.
        search = differential_evolution(
            objective, [tuple(b) for b in bounds], maxiter=int(maxiter), init=initial,
            mutation=mutation, recombination=recombination, polish=False, tol=0.0, atol=0.0,
            vectorized=True, updating="deferred", callback=objective.stop,
            rng=rng.randint(np.iinfo(np.int32).max),
        )
    best = objective.best_candidate
    rows, cols, values = objective.decode(best[None])
    adversarial = objective.perturbed(best[None])[0]
    proba_after = np.asarray(estimator.predict_proba(adversarial[None]), dtype=float)[0]
    criterion_after = float(
        _criterion(proba_after[None], column, targeted, probability_threshold)[0]
    )
    pixel = (int(rows[0]), int(cols[0]))
    return result(
        criterion_after < 0,
        pixel,
        adversarial[:, pixel[0], pixel[1]].copy(),
        image[:, pixel[0], pixel[1]].copy(),
        proba_after,
        criterion_after,
        objective.n_evaluations,
        search.nit,
        adversarial,
    )


def one_pixel_attack_batch(
    estimator, X, y, *, targets=None, value_bounds=None, random_state=None, **attack_params
) -> list[OnePixelAttackResult]:
    """Attack every image of a batch; see :func:`one_pixel_attack`.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n, channels, height, width)
    y : array-like of shape (n,)
        True classes.
    targets : array-like of shape (n,), optional
        Target class per image for targeted attacks.
    value_bounds : (low, high) or array of shape (channels, 2), optional
        Range of the new pixel values; defaults to each band's range over the
        whole batch ``X`` (values that occur in real images).
    random_state : int, RandomState instance or None
        Seed; each image gets its own seed drawn from it.
    **attack_params
        ``maxiter``, ``population_size``, ``probability_threshold``, ...

    Returns
    -------
    list of OnePixelAttackResult

    Examples
    --------
    >>> import numpy as np
    >>> class Constant:
    ...     classes_ = np.array([0, 1])
    ...     def predict_proba(self, X):
    ...         return np.tile([0.9, 0.1], (len(X), 1))
    >>> results = one_pixel_attack_batch(
    ...     Constant(), np.zeros((2, 1, 4, 4)), [0, 0], maxiter=2, random_state=0)
    >>> [r.success for r in results]
    [False, False]
    """
    X, y = _check_labelled_images(X, y)
    if targets is not None and len(targets) != len(X):
        raise ValueError("targets must have one entry per image.")
    bounds = _value_bounds(value_bounds, X)
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(X))
    return [
        one_pixel_attack(
            estimator,
            X[i],
            y[i],
            target=None if targets is None else targets[i],
            value_bounds=bounds,
            random_state=int(seeds[i]),
            **attack_params,
        )
        for i in range(len(X))
    ]


def attack_results_frame(results) -> pd.DataFrame:
    """One row per attack result: success, pixel, labels and probabilities.

    Parameters
    ----------
    results : iterable of OnePixelAttackResult

    Returns
    -------
    pandas.DataFrame
        Columns ``success``, ``already_successful``, ``row``, ``col``,
        ``true_label``, ``target_label``, ``label_before``, ``label_after``,
        ``true_probability_before``, ``true_probability_after``,
        ``n_evaluations``, ``n_iterations``.

    Examples
    --------
    >>> import numpy as np
    >>> def brightness_model(images):  # brighter images are more likely "bright"
    ...     p = np.clip(images.mean(axis=(1, 2, 3)), 0.0, 1.0)
    ...     return np.column_stack([1 - p, p])
    >>> model = type("Model", (), {"predict_proba": staticmethod(brightness_model)})()
    >>> r = one_pixel_attack(model, np.full((1, 4, 4), 0.1), 0, maxiter=1, random_state=0)
    >>> frame = attack_results_frame([r])
    >>> len(frame), list(frame.columns[:4])
    (1, ['success', 'already_successful', 'row', 'col'])
    """
    rows = []
    for r in results:
        rows.append(
            {
                "success": r.success,
                "already_successful": r.already_successful,
                "row": None if r.pixel is None else r.pixel[0],
                "col": None if r.pixel is None else r.pixel[1],
                "true_label": r.true_label,
                "target_label": r.target_label,
                "label_before": r.label_before,
                "label_after": r.label_after,
                "true_probability_before": r.true_probability_before,
                "true_probability_after": r.true_probability_after,
                "n_evaluations": r.n_evaluations,
                "n_iterations": r.n_iterations,
            }
        )
    return pd.DataFrame(rows)
