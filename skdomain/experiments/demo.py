"""The first demo: source-only, MMD and DANN on two moons with a rotated target."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import DANNClassifier, MMDClassifier, SourceOnlyClassifier
from ..datasets import make_rotated_moons
from ..plotting import plot_decision_boundaries
from ._config import ExperimentConfig, resolve_config
from ._report import Report, mean_std_table

__all__ = ["DemoConfig", "run", "evaluate"]

METHODS = {
    "source only": SourceOnlyClassifier,
    "MMD": MMDClassifier,
    "DANN": DANNClassifier,
}


@dataclass(frozen=True)
class DemoConfig(ExperimentConfig):
    """Size of the moons demo.

    Besides the settings of :class:`~skdomain.experiments._config.ExperimentConfig`:

    Parameters
    ----------
    n_samples : int
        Size of the data drawn by :func:`~skdomain.datasets.make_rotated_moons`.
    rotation : float
        Rotation of the target domain in degrees.
    max_epochs : int or None
        ``None`` keeps each estimator's default.

    Examples
    --------
    >>> DemoConfig(n_seeds=1)
    DemoConfig(n_seeds=1, max_epochs=None, device='cpu', n_samples=500, rotation=30.0)
    """

    n_samples: int = 500
    rotation: float = 30.0
    n_seeds: int = 5
    max_epochs: int | None = None


QUICK = DemoConfig(n_seeds=3)


def evaluate(config: DemoConfig, verbose: bool = True):
    """Fit every method on every seed; return the scores and the last seed's models.

    Examples
    --------
    >>> scores, models = evaluate(DemoConfig(n_samples=100, n_seeds=1, max_epochs=2),
    ...                           verbose=False)
    >>> sorted(scores["method"].unique())
    ['DANN', 'MMD', 'source only']
    """
    rows, models = [], {}
    total = config.n_seeds * len(METHODS)
    step = 0
    for seed in range(config.n_seeds):
        X, y, X_target, y_target = make_rotated_moons(
            config.n_samples, rotation=config.rotation, random_state=seed
        )
        for name, cls in METHODS.items():
            step += 1
            params = {"random_state": seed, "device": config.device}
            if config.max_epochs is not None:
                params["max_epochs"] = config.max_epochs
            start = time.perf_counter()
            model = cls(**params).fit(X, y, X_target=X_target)
            seconds = time.perf_counter() - start
            rows.append({
                "method": name,
                "seed": seed,
                "source accuracy": model.score(X, y),
                "target accuracy": model.score(X_target, y_target),
                "fit seconds": seconds,
            })
            models[name] = model
            if verbose:
                print(f"[{step}/{total}] seed {seed} {name:12s} target accuracy "
                      f"{rows[-1]['target accuracy']:.3f}  ({seconds:.1f} s)", flush=True)
    return pd.DataFrame(rows), (models, (X, y, X_target, y_target))


def run(output_dir, *, quick=False, n_seeds=None, verbose=True, config=None, **overrides) -> Path:
    """Run the moons demo and write ``report.md`` with a table and a figure.

    Parameters
    ----------
    output_dir : str or Path
    quick : bool
        Three seeds instead of five.
    n_seeds : int, optional
        Overrides the number of seeds.
    verbose : bool
        Print one progress line per fit.
    config : DemoConfig, optional
        Full control over the sizes (used by the tests).
    **overrides
        Fields of :class:`DemoConfig` to change, e.g. ``device="cuda"``.

    Returns
    -------
    Path of the report.
    """
    config = config or (QUICK if quick else DemoConfig())
    config = resolve_config(config, {}, quick=False, n_seeds=n_seeds, overrides=overrides)
    scores, (models, data) = evaluate(config, verbose=verbose)
    report = Report(output_dir, "Rotated moons: source-only vs MMD vs DANN")
    report.text(
        f"Two moons ({config.n_samples} labelled source samples); the target domain "
        f"is the same distribution rotated by {config.rotation:g} degrees and is "
        "unlabelled during training. Target labels are used only for scoring. "
        f"Mean ± std over {config.n_seeds} seeds."
    )
    summary = mean_std_table(
        scores, "method", ["source accuracy", "target accuracy", "fit seconds"]
    )
    report.table("accuracy", summary, caption="Accuracy by method")
    report.table("accuracy_per_seed", scores, index=False, caption="Every fit")
    fig = plot_decision_boundaries(models, *data)
    report.figure(
        "decision_boundaries", fig,
        "Decision boundaries of the last seed; circles: source, crosses: target.",
    )
    return report.write()
