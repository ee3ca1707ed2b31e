"""Scores of a fitted model as a perturbation grows stronger."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.utils.validation import check_random_state

from ._perturbations import PERTURBATIONS, _check_labelled_images

__all__ = ["robustness_curve", "resolve_perturbation"]


def resolve_perturbation(perturbation, strength_param: str = "strength"):
    """Turn ``perturbation`` into a function ``apply(X, strength, random_state)`` and a name.

    Parameters
    ----------
    perturbation : str, transformer or callable
        A short name from :data:`PERTURBATIONS` (``"noise"``, ``"blur"``,
        ``"compression"``, ``"dropout"``, ``"dead_columns"``, ``"hot_pixels"``),
        a transformer with a ``strength_param`` parameter (e.g. a perturbation
        transformer or a Pipeline of them, then ``strength_param`` is the
        nested name such as ``"psfblur__strength"``), or a callable
        ``f(X, strength, random_state=...)``.
    strength_param : str
        Name of the strength parameter of a transformer.

    Returns
    -------
    apply : callable
    name : str

    Examples
    --------
    >>> import numpy as np
    >>> apply, name = resolve_perturbation("blur")
    >>> name, apply(np.ones((1, 1, 4, 4)), 1.0, 0).shape
    ('blur', (1, 1, 4, 4))
    """
    if isinstance(perturbation, str):
        if perturbation not in PERTURBATIONS:
            raise ValueError(
                f"Unknown perturbation {perturbation!r}; choose one of {sorted(PERTURBATIONS)} "
                "or pass a transformer or a callable."
            )
        return resolve_perturbation(PERTURBATIONS[perturbation](), strength_param)[0], perturbation
    if hasattr(perturbation, "transform") and hasattr(perturbation, "get_params"):
        if strength_param not in perturbation.get_params(deep=True):
            raise ValueError(
                f"{type(perturbation).__name__} has no parameter {strength_param!r}; "
                "set strength_param to the name of its strength parameter."
            )

        def apply(X, strength, random_state):
            transformer = clone(perturbation).set_params(**{strength_param: strength})
            # seed every step of a composed perturbation (a Pipeline's nested random_state)
            seeds = {
                key: random_state
                for key in transformer.get_params(deep=True)
                if key == "random_state" or key.endswith("__random_state")
            }
            transformer.set_params(**seeds)
            return transformer.fit_transform(X)

        return apply, type(perturbation).__name__
    if callable(perturbation):

        def apply_callable(X, strength, random_state):
            return perturbation(X, strength, random_state=random_state)

        return apply_callable, getattr(perturbation, "__name__", type(perturbation).__name__)
    raise ValueError(
        "perturbation must be a perturbation name, a transformer or a callable, got "
        f"{type(perturbation).__name__}."
    )


def robustness_curve(
    estimator,
    X,
    y,
    perturbation,
    strengths,
    *,
    scoring="accuracy",
    n_repeats: int = 1,
    random_state=None,
    strength_param: str = "strength",
) -> pd.DataFrame:
    """Score a fitted estimator on ``X`` perturbed at each strength.

    Parameters
    ----------
    estimator : fitted estimator
        Anything an sklearn scorer accepts (``predict``, and ``predict_proba``
        for probability metrics) taking image batches.
    X : array-like of shape (n, channels, height, width)
        Clean images.
    y : array-like of shape (n,)
        True labels (or targets for a regressor).
    perturbation : str, transformer or callable
        See :func:`resolve_perturbation`.
    strengths : sequence of float
        Strengths to evaluate; include 0 for the clean score.
    scoring : str, callable, list or dict, default="accuracy"
        Any scikit-learn scoring specification (several metrics at once with a
        list or dict).
    n_repeats : int, default=1
        Independent random draws of the perturbation per strength.
    random_state : int, RandomState instance or None
        Seed of the draws. Within one repeat all strengths share the seed, so
        the perturbation grows smoothly with strength.
    strength_param : str, default="strength"
        Name of the strength parameter of a transformer.

    Returns
    -------
    pandas.DataFrame
        Tidy table with one row per strength, repeat and metric: columns
        ``perturbation``, ``strength``, ``repeat``, ``metric``, ``score``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(40) % 2
    >>> X = rng.normal(size=(40, 1, 6, 6)) + 2.0 * y[:, None, None, None]
    >>> flatten = FunctionTransformer(lambda images: images.reshape(len(images), -1))
    >>> model = make_pipeline(flatten, LogisticRegression()).fit(X, y)
    >>> curve = robustness_curve(model, X, y, "noise", [0, 0.5, 2.0], random_state=0)
    >>> list(curve.columns), len(curve), float(curve.score.iloc[0])
    (['perturbation', 'strength', 'repeat', 'metric', 'score'], 3, 1.0)
    """
    X, y = _check_labelled_images(X, y)
    strengths = np.atleast_1d(np.asarray(strengths, dtype=float))
    if strengths.size == 0 or np.any(~np.isfinite(strengths)) or np.any(strengths < 0):
        raise ValueError("strengths must be a non-empty sequence of finite values >= 0.")
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be >= 1, got {n_repeats}.")
    apply, name = resolve_perturbation(perturbation, strength_param)
    scorers = _multimetric_scorer(estimator, scoring)
    rng = check_random_state(random_state)
    repeat_seeds = rng.randint(np.iinfo(np.int32).max, size=int(n_repeats))
    rows = []
    for repeat, seed in enumerate(repeat_seeds):
        for strength in strengths:
            perturbed = apply(X, float(strength), int(seed))
            scores = scorers(estimator, perturbed, y)
            for metric, value in scores.items():
                rows.append(
                    {
                        "perturbation": name,
                        "strength": float(strength),
                        "repeat": repeat,
                        "metric": metric,
                        "score": float(value),
                    }
                )
    return pd.DataFrame(rows, columns=["perturbation", "strength", "repeat", "metric", "score"])


def _multimetric_scorer(estimator, scoring) -> Callable:
    """A scorer returning a dict of named scores whatever the form of ``scoring``."""
    if scoring is None:
        return lambda est, X, y: {"score": est.score(X, y)}
    if isinstance(scoring, str):
        scoring = [scoring]
    elif callable(scoring):
        scoring = {getattr(scoring, "__name__", "score"): scoring}
    return check_scoring(estimator, scoring=scoring)
