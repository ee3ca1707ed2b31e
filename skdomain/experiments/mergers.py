"""Galaxy mergers with domain adaptation, end to end (Ciprijanovic et al. 2020, 2021).

Two cross-domain problems on images from :func:`skdomain.datasets.make_galaxy_mergers`:

- **simulation to simulation**: labelled noiseless simulated images
  (``"pristine"``) to unlabelled images of the same simulation with the sky and
  photon noise of a deep survey (``"noisy"``);
- **simulation to "real"**: a smaller labelled set of noisy simulated images to
  unlabelled SDSS-like images (``"sdss"``: wider PSF, coarser pixels, another
  flux scale and sky level, more easy mergers).

Each is solved by the DeepMerge CNN without adaptation, with MMD, MMD + Fisher
+ entropy, DANN and DANN + Fisher + entropy. Simulation to real also starts
from the networks trained in simulation to simulation (transfer learning via
``warm_start``). Every image set is normalised with a
:class:`~skdomain.datasets.MergerNormalizer` fitted on its own domain's
training images. Metrics on held-out images of both domains are reported as
mean and std over seeds, with ROC curves, metric bars, t-SNE of the latent
space and Grad-CAM maps.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import DANNClassifier, MMDClassifier, SourceOnlyClassifier, plotting
from ..datasets import MergerNormalizer, make_galaxy_mergers
from ..inspection import grad_cam, latent_embedding
from ..metrics import BINARY_METRICS, binary_classification_metrics
from ..nn import DeepMergeEncoder
from ._config import ImageExperimentConfig, experiment_runner, progress_log
from ._report import Report, mean_std_table

__all__ = ["MergersConfig", "QUICK_OVERRIDES", "run", "run_seed"]

SIM2SIM, SIM2REAL = "sim2sim", "sim2real"
SOURCE, TARGET = "source", "target"
NO_DA, MMD, MMD_FE, DANN, DANN_FE = "no DA", "MMD", "MMD+F+E", "DANN", "DANN+F+E"
NO_DA_TL, MMD_TL = "no DA+TL", "MMD+TL"
METHODS = (NO_DA, MMD, MMD_FE, DANN, DANN_FE)
CLASS_NAMES = {0: "non-merger", 1: "merger"}


@dataclass(frozen=True)
class MergersConfig(ImageExperimentConfig):
    """Sizes and settings of the merger experiment.

    Besides the settings of :class:`~skdomain.experiments._config.ImageExperimentConfig`
    (``n_source``, ``n_target`` and ``n_test`` are those of simulation to
    simulation; ``max_epochs``, ``batch_size`` and ``lr`` also apply to the
    transfer-learning continuation, and lr=1e-3 is kept for DANN too: 1e-2
    diverged on images):

    Parameters
    ----------
    n_bands : int
        Bands of the images.
    n_source_real, n_target_real : int
        The training sizes of simulation to real (smaller, as in the paper).
    sim_domains, real_domains : tuple of (str, str)
        (source, target) domain presets of the two experiments.
    domain_weight, fisher_weight, entropy_weight : float
        Loss weights of the adapted networks (F+E = Fisher and entropy on).
    n_tsne : int
        Samples per domain in each t-SNE embedding (first seed only).

    Examples
    --------
    >>> MergersConfig(n_seeds=3).lr
    0.001
    """

    image_size: int = 75
    n_bands: int = 3
    n_source_real: int = 1200
    n_target_real: int = 1200
    sim_domains: tuple = ("pristine", "noisy")
    real_domains: tuple = ("noisy", "sdss")
    max_epochs: int = 30
    batch_size: int = 32
    domain_weight: float = 1.0
    fisher_weight: float = 0.01
    entropy_weight: float = 0.05
    n_tsne: int = 300
    n_seeds: int = 5


#: Overrides of ``--quick``: 32-pixel images, a few hundred of them, short training.
QUICK_OVERRIDES = dict(
    image_size=32,
    n_source=500,
    n_target=400,
    n_source_real=300,
    n_target_real=300,
    n_test=300,
    max_epochs=8,
    n_tsne=100,
    n_seeds=3,
)


_log = progress_log("mergers")


def _draw(config, n, domain, seed, offset):
    return make_galaxy_mergers(
        n,
        domain=domain,
        image_size=config.image_size,
        n_bands=config.n_bands,
        random_state=10_000 * seed + offset,
    )


def _make_data(config: MergersConfig, seed: int) -> dict:
    """Train / unlabelled / test images of both experiments, normalised per domain."""
    sizes = {
        SIM2SIM: (config.sim_domains, config.n_source, config.n_target),
        SIM2REAL: (config.real_domains, config.n_source_real, config.n_target_real),
    }
    data = {}
    for k, (experiment, ((source, target), n_source, n_target)) in enumerate(sizes.items()):
        X_s, y_s = _draw(config, n_source, source, seed, 10 * k)
        X_t, _ = _draw(config, n_target, target, seed, 10 * k + 1)
        X_s_test, y_s_test = _draw(config, config.n_test, source, seed, 10 * k + 2)
        X_t_test, y_t_test = _draw(config, config.n_test, target, seed, 10 * k + 3)
        norm_s = MergerNormalizer().fit(X_s)
        norm_t = MergerNormalizer().fit(X_t)  # fitted on unlabelled target images only
        data[experiment] = {
            "names": (source, target),
            "train": (norm_s.transform(X_s), y_s),
            "target": norm_t.transform(X_t),
            "test": {
                SOURCE: (norm_s.transform(X_s_test), y_s_test),
                TARGET: (norm_t.transform(X_t_test), y_t_test),
            },
        }
    return data


def _models(config: MergersConfig, seed: int) -> dict:
    common = dict(module="deepmerge", **config.network_params(seed))
    fe = dict(fisher_weight=config.fisher_weight, entropy_weight=config.entropy_weight)
    return {
        NO_DA: SourceOnlyClassifier(**common),
        MMD: MMDClassifier(mmd_weight=config.mmd_weight, **common),
        MMD_FE: MMDClassifier(mmd_weight=config.mmd_weight, **fe, **common),
        DANN: DANNClassifier(domain_weight=config.domain_weight, **common),
        DANN_FE: DANNClassifier(domain_weight=config.domain_weight, **fe, **common),
    }


def _transfer(model):
    """A copy of a fitted model that continues training at its next ``fit``."""
    return copy.deepcopy(model).set_params(warm_start=True)


def _evaluate(experiment, name, model, test, seed) -> tuple[list, dict]:
    rows, probabilities = [], {}
    for domain, (X, y) in test.items():
        proba = model.predict_proba(X)[:, 1]
        probabilities[domain] = proba
        rows.append(
            {
                "experiment": experiment,
                "method": name,
                "domain": domain,
                "seed": seed,
                **binary_classification_metrics(y, proba),
                "predicted_merger_fraction": float(np.mean(proba >= 0.5)),
            }
        )
    return rows, probabilities


def run_seed(config: MergersConfig, seed: int, *, verbose: bool = True, inspect: bool = False):
    """Train and evaluate every method of both experiments on one seed's images.

    Parameters
    ----------
    config : MergersConfig
    seed : int
    verbose : bool
    inspect : bool
        Also compute t-SNE embeddings and Grad-CAM maps (the report does this
        for the first seed).

    Returns
    -------
    dict
        ``metrics`` (DataFrame, one row per experiment, method and domain),
        ``probabilities`` ({(experiment, method, domain): positive-class
        probabilities}), ``labels`` ({(experiment, domain): labels}), and with
        ``inspect`` also ``tsne`` (list of (title, DataFrame)), ``grad_cam`` and
        ``examples``.

    Examples
    --------
    >>> cfg = MergersConfig(image_size=16, n_source=40, n_target=40, n_source_real=40,
    ...     n_target_real=40, n_test=20, max_epochs=1, n_seeds=1)
    >>> out = run_seed(cfg, 0, verbose=False)
    >>> sorted(out["metrics"].method.unique())[:3]
    ['DANN', 'DANN+F+E', 'MMD']
    """
    data = _make_data(config, seed)
    rows, probabilities, fitted = [], {}, {}
    for experiment in (SIM2SIM, SIM2REAL):
        part = data[experiment]
        X, y = part["train"]
        models = _models(config, seed)
        if experiment == SIM2REAL:
            models[NO_DA_TL] = _transfer(fitted[(SIM2SIM, NO_DA)])
            models[MMD_TL] = _transfer(fitted[(SIM2SIM, MMD)])
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(X, y, X_target=part["target"])
            fitted[(experiment, name)] = model
            new_rows, proba = _evaluate(experiment, name, model, part["test"], seed)
            rows += new_rows
            for domain, p in proba.items():
                probabilities[(experiment, name, domain)] = p
            target_row = new_rows[-1]
            _log(
                verbose,
                f"seed {seed} {experiment} {name:9s} {time.perf_counter() - start:5.1f} s  "
                f"target acc {target_row['accuracy']:.3f} AUC {target_row['roc_auc']:.3f}",
            )
    out = {
        "metrics": pd.DataFrame(rows),
        "probabilities": probabilities,
        "labels": {
            (experiment, domain): data[experiment]["test"][domain][1]
            for experiment in (SIM2SIM, SIM2REAL)
            for domain in (SOURCE, TARGET)
        },
    }
    if inspect:
        out.update(_inspect(config, seed, data, fitted, verbose))
    return out


def _inspect(config, seed, data, fitted, verbose) -> dict:
    start = time.perf_counter()
    tsne = []
    with torch.random.fork_rng():  # seeded weights; the caller's torch RNG is left alone
        torch.manual_seed(seed)
        untrained = DeepMergeEncoder((config.n_bands, config.image_size, config.image_size))
    panels = [
        (SIM2SIM, "before training", untrained),
        (SIM2SIM, NO_DA, None),
        (SIM2SIM, MMD, None),
        (SIM2SIM, MMD_FE, None),
        (SIM2SIM, DANN, None),
        (SIM2REAL, NO_DA, None),
        (SIM2REAL, MMD, None),
        (SIM2REAL, MMD_TL, None),
    ]
    for experiment, name, model in panels:
        part = data[experiment]
        source, target = part["names"]
        test = part["test"]
        frame = latent_embedding(
            model if model is not None else fitted[(experiment, name)],
            {f"{source} (source)": test[SOURCE][0], f"{target} (target)": test[TARGET][0]},
            labels={f"{source} (source)": test[SOURCE][1], f"{target} (target)": test[TARGET][1]},
            max_samples=config.n_tsne,
            perplexity=30.0,
            random_state=seed,
        )
        tsne.append((f"{experiment}: {name}", frame))

    # Grad-CAM: two mergers and two non-mergers from each domain's test set.
    cams, examples = {}, {}
    for experiment, methods in ((SIM2SIM, (NO_DA, MMD)), (SIM2REAL, (NO_DA, MMD_TL))):
        test = data[experiment]["test"]
        images, titles = [], []
        source, target = data[experiment]["names"]
        for domain, domain_name in ((SOURCE, source), (TARGET, target)):
            X, y = test[domain]
            for label in (1, 0):
                for i in np.flatnonzero(y == label)[:2]:
                    images.append(X[i])
                    titles.append(f"{domain_name}: {CLASS_NAMES[label]}")
        images = np.stack(images)
        maps = {}
        for name in methods:
            model = fitted[(experiment, name)]
            for label in (1, 0):
                maps[f"{name}: {CLASS_NAMES[label]}"] = grad_cam(model, images, target_class=label)
        cams[experiment] = maps
        examples[experiment] = (images, titles)
    _log(verbose, f"seed {seed}: t-SNE and Grad-CAM in {time.perf_counter() - start:.0f} s")
    return {"tsne": tsne, "grad_cam": cams, "examples": examples}


# Report ---------------------------------------------------------------------


def _closing_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Target accuracy and AUC per method, and the gain over no DA (mean ± std over seeds)."""
    target = metrics[metrics.domain == TARGET].set_index(["experiment", "method", "seed"])
    baseline = target.xs(NO_DA, level="method")[["accuracy", "roc_auc"]]
    gain = (
        target[["accuracy", "roc_auc"]]
        - baseline.reindex(target.index.droplevel("method")).to_numpy()
    )
    frame = target[["accuracy", "roc_auc", "predicted_merger_fraction"]].copy()
    frame["accuracy gain"] = gain["accuracy"]
    frame["AUC gain"] = gain["roc_auc"]
    frame = frame.reset_index()
    table = mean_std_table(
        frame,
        ["experiment", "method"],
        ["accuracy", "roc_auc", "accuracy gain", "AUC gain", "predicted_merger_fraction"],
    )
    return table.rename(
        columns={
            "accuracy": "target accuracy",
            "roc_auc": "target AUC",
            "predicted_merger_fraction": "predicted merger fraction",
        }
    )


def _bars_frame(metrics: pd.DataFrame, experiment: str) -> pd.DataFrame:
    part = metrics[metrics.experiment == experiment]
    long = part.melt(
        id_vars=["method", "domain", "seed"], value_vars=list(BINARY_METRICS), var_name="metric"
    )
    stats = long.groupby(["method", "domain", "metric"], sort=False)["value"].agg(["mean", "std"])
    return stats.fillna(0.0).reset_index()


def _example_figure(config: MergersConfig, seed: int):
    import matplotlib.pyplot as plt

    domains = list(dict.fromkeys([*config.sim_domains, *config.real_domains]))
    fig, axes = plt.subplots(2 * len(domains), 6, figsize=(9, 3.1 * len(domains)))
    for r, domain in enumerate(domains):
        X, y = _draw(config, 40, domain, seed, 99)
        X = MergerNormalizer().fit_transform(X)
        for c, label in enumerate((1, 0)):
            for j, i in enumerate(np.flatnonzero(y == label)[:6]):
                ax = axes[2 * r + c, j]
                ax.imshow(plotting.image_to_rgb(X[i]), origin="lower")
                ax.set_xticks([])
                ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(f"{domain}\n{CLASS_NAMES[label]}", fontsize=8)
    fig.tight_layout()
    return fig


def _write_report(output_dir, config, results, mode, elapsed) -> Path:
    import matplotlib.pyplot as plt

    metrics = pd.concat([r["metrics"] for r in results], ignore_index=True)
    report = Report(
        output_dir, "Galaxy mergers: domain adaptation from simulations to surveys",
        device=config.device,
    )
    metrics.to_csv(Path(output_dir) / "metrics_per_seed.csv", index=False)
    settings = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(config).items())
    report.text(
        f"Mode: {mode}; {config.n_seeds} seed(s) (new images and "
        f"weights per seed); {elapsed:.0f} s in total. All networks are the DeepMerge CNN "
        "trained with Adam; 'no DA' sees only the labelled source, the other methods also "
        "see unlabelled target images. 'F+E' adds the Fisher loss and entropy "
        "minimisation. '+TL' starts simulation to real from the network of the same seed "
        "trained in simulation to simulation (warm start). Every image set is normalised "
        "per domain (MergerNormalizer fitted on that domain's training images). Metrics are "
        "on held-out images; every number is mean ± std (ddof=1) over seeds.\n\n"
        f"Settings: {settings}."
    )
    report.figure(
        "examples",
        _example_figure(config, 0),
        "Example images of each domain (mergers above non-mergers), asinh stretch.",
    )

    report.text("## Summary: target accuracy and AUC against no DA")
    closing = _closing_table(metrics)
    report.table("summary_target", closing, caption="Target domain, gain = method - no DA")
    report.text(
        "A target accuracy of 0.5 with a predicted merger fraction near 0 or 1 means the "
        "network puts every target image in one class: its decision threshold does not "
        "carry over to the shifted domain, even where the AUC shows that its ranking of "
        "the images still holds some information."
    )

    for experiment, title in (
        (SIM2SIM, "Simulation to simulation"),
        (SIM2REAL, "Simulation to real"),
    ):
        part = metrics[metrics.experiment == experiment]
        source, target = config.sim_domains if experiment == SIM2SIM else config.real_domains
        report.text(f"## {title} ({source} -> {target})")
        table = mean_std_table(part, ["method", "domain"], list(BINARY_METRICS))
        report.table(f"metrics_{experiment}", table, caption=f"{title}: all metrics")
        labels = results[0]["labels"][(experiment, TARGET)]
        methods = list(dict.fromkeys(part.method))
        probabilities = {m: results[0]["probabilities"][(experiment, m, TARGET)] for m in methods}
        auc_text = mean_std_table(part[part.domain == TARGET], "method", ["roc_auc"])
        auc_text = auc_text["roc_auc"].to_dict()
        fig, ax = plt.subplots(figsize=(4.8, 4.4))
        plotting.plot_roc_curves(
            labels,
            probabilities,
            ax=ax,
            auc_text=auc_text,
            title=f"{title}: target ({target}), seed 0",
        )
        report.figure(
            f"roc_{experiment}",
            fig,
            f"ROC curves on the target domain ({title.lower()}); curves of the first seed, "
            "AUC mean ± std over seeds.",
        )
        fig, ax = plt.subplots(figsize=(10, 4))
        plotting.plot_metric_bars(_bars_frame(metrics, experiment), ax=ax, title=title)
        report.figure(
            f"metrics_{experiment}",
            fig,
            f"{title}: metrics on the source (dashed) and target (solid) test images, "
            "mean ± std over seeds (Brier: lower is better).",
        )

    first = results[0]
    if "tsne" in first:
        report.text(
            "## Latent space (t-SNE, first seed)\n\n"
            "Color: class; marker shape: domain (source circles, target triangles). Without "
            "adaptation the target images form their own region of the latent space; "
            "adaptation should make the domains overlap while keeping the classes apart."
        )
        fig = plotting.plot_latent_embeddings(first["tsne"], class_names=CLASS_NAMES)
        report.figure("tsne", fig, "t-SNE of the latent features of held-out images.")

        report.text(
            "## Grad-CAM (first seed)\n\n"
            "Where each network finds evidence for the merger and for the non-merger class "
            "(last convolutional layer), on source and target test images."
        )
        for experiment in (SIM2SIM, SIM2REAL):
            images, titles = first["examples"][experiment]
            fig = plotting.plot_grad_cam(images, first["grad_cam"][experiment], titles=titles)
            report.figure(f"grad_cam_{experiment}", fig, f"Grad-CAM maps, {experiment}.")
    return report.write()


def _validate(config: MergersConfig) -> None:
    if config.n_test < 4:
        raise ValueError(
            f"n_test must be >= 4 (both classes in every test set), got {config.n_test}."
        )


def _run_seed_inspecting_the_first(config: MergersConfig, seed: int, *, verbose: bool):
    return run_seed(config, seed, verbose=verbose, inspect=seed == 0)


run = experiment_runner(
    "mergers", MergersConfig, QUICK_OVERRIDES, _run_seed_inspecting_the_first, _write_report,
    validate=_validate, what="merger experiment",
    quick_note=": about two minutes on one CPU core",
)
