"""Robustness of galaxy-morphology classifiers, with and without domain adaptation.

The DeepAdversaries set-up (Ciprijanovic et al. 2022) on synthetic data: a
DeepMerge CNN learns spiral / elliptical / merger images from a deep,
year-10-like survey (labelled source); a second copy also sees unlabelled
images of the shallow, year-1-like release (target) and aligns the two with
MMD. For both networks the experiment measures

- accuracy on held-out images of both domains;
- accuracy as each perturbation grows (noise, PSF blur, JPEG-like
  compression, pixel dropout, dead columns, hot pixels);
- the success rate of the untargeted one-pixel attack on images that both
  networks classify correctly;
- latent robustness: how far samples sit from the wrong classes (nearest
  wrong-class sample and centroid, relative to the latent spread) and how far
  perturbations move them;

each as mean and standard deviation over seeds (new data and weights per
seed), with figures and a Markdown report.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import MMDClassifier, SourceOnlyClassifier, plotting
from ..datasets import make_galaxy_morphologies
from ..robustness import (
    attack_results_frame,
    latent_shift_curve,
    latent_spread,
    one_pixel_attack_batch,
    robustness_curve,
    wrong_class_distances,
)
from ._config import ImageExperimentConfig, experiment_runner, progress_log
from ._report import Report, mean_std_table

__all__ = ["RobustnessConfig", "QUICK_OVERRIDES", "run", "run_seed"]

SOURCE, TARGET = "source (year 10)", "target (year 1)"
NO_DA, MMD_DA = "no DA", "MMD DA"

DEFAULT_STRENGTHS = {
    "noise": (0.0, 0.1, 0.25, 0.5, 1.0),
    "blur": (0.0, 0.5, 1.0, 1.5, 2.0),
    "compression": (0.0, 1.0, 2.0, 4.0, 8.0),
    "dropout": (0.0, 0.01, 0.05, 0.1, 0.2),
    "dead_columns": (0.0, 0.05, 0.1, 0.2, 0.3),
    "hot_pixels": (0.0, 0.002, 0.005, 0.01, 0.02),
}


@dataclass(frozen=True)
class RobustnessConfig(ImageExperimentConfig):
    """Size and settings of the robustness experiment.

    Besides the settings of :class:`~skdomain.experiments._config.ImageExperimentConfig`
    (labelled year-10 and unlabelled year-1 training images, one band; held-out
    images per domain):

    Parameters
    ----------
    classes : tuple of str
        Morphology classes (names understood by ``make_galaxy_morphologies``).
    source_survey, target_survey : str
        Survey presets of the two domains.
    strengths : dict of str -> tuple of float
        Perturbation name -> strengths of its robustness curve.
    n_attack : int
        Images per domain given to the one-pixel attack (correctly classified
        by both networks; fewer if there are not enough).
    attack_maxiter, attack_population : int
        Budget of the attack per image.

    Examples
    --------
    >>> RobustnessConfig(n_seeds=2).n_seeds
    2
    """

    classes: tuple = ("spiral", "elliptical", "merger")
    source_survey: str = "year10"
    target_survey: str = "year1"
    max_epochs: int = 20
    strengths: dict = field(default_factory=lambda: dict(DEFAULT_STRENGTHS))
    n_attack: int = 100
    attack_maxiter: int = 30
    attack_population: int = 50
    n_seeds: int = 5


#: Overrides of ``--quick``: small data, short training, a few attacks, two seeds.
QUICK_OVERRIDES = dict(
    n_source=900,
    n_target=900,
    n_test=300,
    max_epochs=8,
    n_attack=12,
    attack_maxiter=15,
    attack_population=40,
    n_seeds=2,
)


_log = progress_log("robustness")


def _make_data(config: RobustnessConfig, seed: int) -> dict:
    def draw(n, survey, offset):
        return make_galaxy_morphologies(
            n,
            survey=survey,
            classes=list(config.classes),
            include_lens=False,
            image_size=config.image_size,
            labels="name",
            random_state=10_000 * seed + offset,
        )

    X_source, y_source = draw(config.n_source, config.source_survey, 0)
    X_target, _ = draw(config.n_target, config.target_survey, 1)
    X_source_test, y_source_test = draw(config.n_test, config.source_survey, 2)
    X_target_test, y_target_test = draw(config.n_test, config.target_survey, 3)
    # One fixed flux scale for every image: like a photometric calibration, it
    # keeps the depth difference between the domains intact.
    scale = float(X_source.std())
    return {
        "train": (X_source / scale, y_source),
        "target_unlabelled": X_target / scale,
        "test": {
            SOURCE: (X_source_test / scale, y_source_test),
            TARGET: (X_target_test / scale, y_target_test),
        },
    }


def _models(config: RobustnessConfig, seed: int) -> dict:
    common = dict(module="deepmerge", **config.network_params(seed))
    return {
        NO_DA: SourceOnlyClassifier(**common),
        MMD_DA: MMDClassifier(mmd_weight=config.mmd_weight, **common),
    }


def _latent_measures(model, test: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-sample wrong-class distances and their per-domain means."""
    latents = {domain: model.transform(X) for domain, (X, _) in test.items()}
    spread = latent_spread(latents[SOURCE])
    per_sample, summary = [], []
    for domain, (_, y) in test.items():
        Z = latents[domain]
        nearest = wrong_class_distances(Z, y, method="nearest")
        centroid = wrong_class_distances(Z, y, method="centroid")
        margin = wrong_class_distances(Z, y, method="centroid", normalize="own_class")
        per_sample.append(pd.DataFrame({"domain": domain, "distance": nearest / spread}))
        summary.append(
            {
                "domain": domain,
                "nearest wrong sample (raw)": nearest.mean(),
                "nearest wrong sample / spread": nearest.mean() / spread,
                "nearest wrong centroid / spread": centroid.mean() / spread,
                "wrong / own centroid distance": np.median(margin),
            }
        )
    return pd.concat(per_sample, ignore_index=True), pd.DataFrame(summary)


def run_seed(config: RobustnessConfig, seed: int, *, verbose: bool = True) -> dict:
    """Train both networks on one seed's data and measure their robustness.

    Parameters
    ----------
    config : RobustnessConfig
    seed : int
    verbose : bool

    Returns
    -------
    dict of DataFrames (``accuracy``, ``curves``, ``attacks``, ``latent``,
    ``latent_samples``, ``shift``) and the raw attack ``examples``.

    Examples
    --------
    >>> cfg = RobustnessConfig(n_source=60, n_target=60, n_test=30, image_size=16,
    ...     max_epochs=1, n_attack=1, attack_maxiter=1, attack_population=5,
    ...     strengths={"blur": (0.0, 1.0)})
    >>> sorted(run_seed(cfg, 0, verbose=False))  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'attacks', 'curves', 'examples', 'latent', 'latent_samples', 'shift']
    """
    data = _make_data(config, seed)
    X_train, y_train = data["train"]
    models = _models(config, seed)
    accuracy, curves, latent, latent_samples, shift = [], [], [], [], []
    for name, model in models.items():
        start = time.perf_counter()
        if name == NO_DA:
            model.fit(X_train, y_train)
        else:
            model.fit(X_train, y_train, X_target=data["target_unlabelled"])
        _log(verbose, f"seed {seed}: trained {name} in {time.perf_counter() - start:.0f} s")
        for domain, (X, y) in data["test"].items():
            accuracy.append(
                {"seed": seed, "model": name, "domain": domain, "accuracy": model.score(X, y)}
            )
            for perturbation, strengths in config.strengths.items():
                curve = robustness_curve(model, X, y, perturbation, strengths, random_state=seed)
                curves.append(curve.assign(seed=seed, model=name, domain=domain))
        samples, summary = _latent_measures(model, data["test"])
        latent_samples.append(samples.assign(seed=seed, model=name))
        latent.append(summary.assign(seed=seed, model=name))
        X_source_test = data["test"][SOURCE][0]
        for perturbation, strengths in config.strengths.items():
            moved = latent_shift_curve(
                model, X_source_test, perturbation, strengths, random_state=seed
            )
            shift.append(moved.assign(seed=seed, model=name))

    attacks, examples = [], []
    for domain, (X, y) in data["test"].items():
        both_right = np.ones(len(y), dtype=bool)
        for model in models.values():
            both_right &= model.predict(X) == y
        chosen = np.flatnonzero(both_right)[: config.n_attack]
        for name, model in models.items():
            if chosen.size == 0:
                continue
            start = time.perf_counter()
            results = one_pixel_attack_batch(
                model,
                X[chosen],
                y[chosen],
                maxiter=config.attack_maxiter,
                population_size=config.attack_population,
                random_state=seed,
            )
            frame = attack_results_frame(results)
            attacks.append(frame.assign(seed=seed, model=name, domain=domain))
            examples.append((name, domain, results, X[chosen]))
            _log(
                verbose,
                f"seed {seed}: attacked {chosen.size} {domain} images of {name} in "
                f"{time.perf_counter() - start:.0f} s, success {frame.success.mean():.2f}",
            )
    return {
        "accuracy": pd.DataFrame(accuracy),
        "curves": pd.concat(curves, ignore_index=True),
        "attacks": pd.concat(attacks, ignore_index=True) if attacks else pd.DataFrame(),
        "latent": pd.concat(latent, ignore_index=True),
        "latent_samples": pd.concat(latent_samples, ignore_index=True),
        "shift": pd.concat(shift, ignore_index=True),
        "examples": examples,
    }


# Tables -------------------------------------------------------------------


def _mean_std(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    return mean_std_table(frame, by, columns).reset_index()


def _attack_table(attacks: pd.DataFrame) -> pd.DataFrame:
    per_seed = (
        attacks.groupby(["model", "domain", "seed"], sort=False)
        .agg(
            attacked=("success", "size"),
            success_rate=("success", "mean"),
            p_true_before=("true_probability_before", "mean"),
            p_true_after=("true_probability_after", "mean"),
            evaluations=("n_evaluations", "mean"),
        )
        .reset_index()
    )
    table = _mean_std(
        per_seed,
        ["model", "domain"],
        ["success_rate", "p_true_before", "p_true_after", "evaluations"],
    )
    counts = per_seed.groupby(["model", "domain"], sort=False)["attacked"].sum().to_numpy()
    table.insert(2, "images attacked (all seeds)", counts)
    return table


def _latent_ratio_table(latent: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Per seed and domain the ratio MMD DA / no DA of each mean distance."""
    indexed = latent.set_index(["seed", "domain", "model"])[measures]
    ratio = indexed.xs(MMD_DA, level="model") / indexed.xs(NO_DA, level="model")
    return _mean_std(ratio.reset_index(), ["domain"], measures)


def _pivot_mean_std(frame: pd.DataFrame, value: str, columns: list[str]) -> pd.DataFrame:
    """Rows (perturbation, strength) in their given order, one "mean ± std" column per group."""
    per_seed = frame.groupby(["perturbation", "strength", *columns, "seed"], sort=False)[
        value
    ].mean()
    stats = per_seed.groupby(["perturbation", "strength", *columns], sort=False).agg(
        ["mean", "std"]
    )
    stats["cell"] = [f"{m:.3f} ± {0.0 if np.isnan(s) else s:.3f}" for m, s in stats.to_numpy()]
    table = stats["cell"].unstack(columns)
    table.columns = [
        ", ".join(key) if isinstance(key, tuple) else str(key) for key in table.columns
    ]
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["perturbation"]))}
    table = table.reset_index()
    table["_order"] = table["perturbation"].map(order)
    return table.sort_values(["_order", "strength"]).drop(columns="_order")


def _curve_table(curves: pd.DataFrame) -> pd.DataFrame:
    return _pivot_mean_std(curves[curves.metric == "accuracy"], "score", ["model", "domain"])


# Report -------------------------------------------------------------------


def _verdict(accuracy: pd.DataFrame, attacks: pd.DataFrame, ratios: pd.DataFrame) -> list[str]:
    means = accuracy.groupby(["model", "domain"])["accuracy"].mean()
    lines = []
    for domain in (SOURCE, TARGET):
        lines.append(
            f"- Accuracy on {domain}: {means[(NO_DA, domain)]:.3f} without DA, "
            f"{means[(MMD_DA, domain)]:.3f} with MMD DA."
        )
    if not attacks.empty:
        rates = attacks.groupby(["model", "domain"])["success"].mean()
        for domain in (SOURCE, TARGET):
            if (NO_DA, domain) in rates and (MMD_DA, domain) in rates:
                lines.append(
                    f"- One-pixel attack success on {domain}: {rates[(NO_DA, domain)]:.2f} "
                    f"without DA, {rates[(MMD_DA, domain)]:.2f} with MMD DA."
                )
    for _, row in ratios.iterrows():
        lines.append(
            f"- Distance to the nearest wrong-class sample, MMD DA / no DA, on {row['domain']}: "
            f"raw {row['nearest wrong sample (raw)']}, relative to the latent spread "
            f"{row['nearest wrong sample / spread']} (the seed reports about 2.3 for raw)."
        )
    return lines


def _write_report(
    output_dir: Path, config: RobustnessConfig, results: list[dict], mode: str, elapsed: float
):
    accuracy = pd.concat([r["accuracy"] for r in results], ignore_index=True)
    curves = pd.concat([r["curves"] for r in results], ignore_index=True)
    attacks = pd.concat([r["attacks"] for r in results], ignore_index=True)
    latent = pd.concat([r["latent"] for r in results], ignore_index=True)
    latent_samples = pd.concat([r["latent_samples"] for r in results], ignore_index=True)
    shift = pd.concat([r["shift"] for r in results], ignore_index=True)
    measures = [c for c in latent.columns if c not in ("domain", "seed", "model")]

    accuracy_table = _mean_std(accuracy, ["model", "domain"], ["accuracy"])
    attack_table = _attack_table(attacks) if not attacks.empty else pd.DataFrame()
    ratio_table = _latent_ratio_table(latent, measures)
    raw_tables = {
        "accuracy": accuracy,
        "robustness_curves": curves,
        "one_pixel_attacks": attacks,
        "latent_distances": latent,
        "latent_shift": shift,
    }
    for name, table in raw_tables.items():
        table.to_csv(output_dir / f"{name}.csv", index=False)

    report = Report(output_dir, "Robustness to perturbations and one-pixel attacks")
    settings = dataclasses.asdict(config)
    settings.pop("strengths")
    report.text(
        f"Mode: {mode}; {config.n_seeds} seed(s), {elapsed:.0f} s. "
        "Source: labelled year-10-like images; target: unlabelled year-1-like images "
        f"(classes {', '.join(config.classes)}). Both networks are the DeepMerge CNN; "
        "'no DA' is trained on the source only, 'MMD DA' adds an MMD term between "
        "source and target latents. Every number is mean ± std over seeds.\n\n"
        "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items())
    )
    report.text("## Summary\n\n" + "\n".join(_verdict(accuracy, attacks, ratio_table)))
    report.text("## Accuracy")
    report.table("accuracy_summary", accuracy_table, caption="Accuracy", index=False)

    report.text(
        "## Accuracy under perturbations\n\n"
        "Strengths: noise = 1 / SNR (relative to each image's RMS), blur = PSF sigma in "
        "pixels, compression = scale of the JPEG quantisation table (1 ~ quality 50), "
        "dropout / hot pixels = fraction of pixels, dead columns = fraction of columns."
    )
    curves_fig = plotting.plot_robustness_curves(curves, group_by=("model", "domain"))
    curves_fig.suptitle("Accuracy under perturbations (mean ± std over seeds)")
    report.figure("robustness_curves", curves_fig, "robustness curves")
    report.table(
        "robustness_curves_summary", _curve_table(curves),
        caption="Accuracy per strength", index=False,
    )

    report.text(
        "## One-pixel attack\n\n"
        f"Untargeted; budget {config.attack_maxiter} generations x "
        f"{config.attack_population} candidates; success = the true class is no longer the "
        "most probable. Only images that both networks classify correctly are attacked. "
        "Where a network predicts one class for almost every image of a domain, the "
        "images both get right all belong to that class and sit at a probability near 1, "
        "so a low success rate there reflects a collapsed network, not a robust one."
    )
    attack_table.to_csv(output_dir / "one_pixel_attack_summary.csv", index=False)
    if attack_table.empty:
        report.text("No image was attacked.")
    else:
        report.table(
            "one_pixel_attack_summary", attack_table, caption="One-pixel attack", index=False
        )
    first_seed = results[0]["examples"]
    if first_seed:
        rows, images, titles = [], [], []
        for name, domain, attack_results, X in first_seed:
            # one example per network and domain, a successful attack when there is one
            shown = next((i for i, r in enumerate(attack_results) if r.success), 0)
            rows.append(attack_results[shown])
            images.append(X[shown])
            titles.append(f"{name}, {domain}")
        report.figure(
            "one_pixel_examples",
            plotting.plot_attack_examples(rows, np.stack(images), titles=titles, max_examples=8),
            "one-pixel attack examples",
        )

    report.text(
        "## Latent space\n\n"
        "Distances of held-out images to the nearest sample and to the nearest centroid of "
        "a wrong class (true labels), raw and divided by the RMS spread of the source "
        "test latents of the same network (raw latent scales differ between networks, so "
        "only the relative numbers compare them fairly); and the median ratio of the "
        "distances to the nearest wrong and to the own class centroid."
    )
    report.table(
        "latent_distances_summary", _mean_std(latent, ["model", "domain"], measures),
        caption="Latent distances", index=False,
    )
    report.text("Ratio MMD DA / no DA per seed:")
    report.table("latent_distance_ratios", ratio_table, caption="Ratios", index=False)
    report.figure(
        "latent_distances", plotting.plot_latent_distances(latent_samples), "latent distances"
    )
    report.text(
        "How far perturbations move source images in latent space "
        "(mean distance / latent spread):"
    )
    shift_fig = plotting.plot_robustness_curves(
        shift.assign(metric="relative latent shift", score=shift["relative_distance"]),
        metric="relative latent shift",
        group_by=("model",),
    )
    shift_fig.suptitle("Latent displacement of source images / latent spread")
    report.figure("latent_shift", shift_fig, "latent shift")
    report.table(
        "latent_shift_summary", _pivot_mean_std(shift, "relative_distance", ["model"]),
        caption="Latent shift", index=False,
    )
    report.text("Raw tables as CSV: " + ", ".join(f"{name}.csv" for name in sorted(raw_tables)))
    return report.write()


def _validate(config: RobustnessConfig) -> None:
    unknown = set(config.strengths) - set(DEFAULT_STRENGTHS)
    if unknown:
        raise ValueError(f"Unknown perturbations {sorted(unknown)}.")


run = experiment_runner(
    "robustness", RobustnessConfig, QUICK_OVERRIDES, run_seed, _write_report,
    validate=_validate, quick_note=": a few minutes on two CPU cores",
)
