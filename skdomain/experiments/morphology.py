"""Universal domain adaptation on galaxy morphologies: SDSS-like -> DECaLS-like with lenses.

The DeepAstroUDA set-up (Ciprijanovic et al. 2023) on synthetic images from
:func:`skdomain.datasets.make_galaxy_morphologies`: a DeepMerge CNN learns the
nine Galaxy Zoo classes from labelled SDSS-like images (source); the
DECaLS-like target is deeper and sharper, has other class proportions and
holds a tenth class the source never had, strong gravitational lenses, which
should come out as *unknown*. The methods share the network and training
loop:

- source-only (no adaptation);
- MMD and DANN (closed-set adaptation: they align the domains but can never
  answer unknown);
- :class:`~skdomain.UniversalDAClassifier` (class-balanced
  cross-entropy, adaptive clustering and entropy separation);
- the same universal network with both unsupervised terms switched off (an
  ablation that isolates what the terms do; not run in ``--quick`` mode).

On held-out DECaLS-like images the experiment measures the open-set metrics of
:mod:`skdomain.metrics` (known-class accuracy, unknown accuracy, their mean,
H-score) and the AUROC of three unknown scores (prediction entropy, one minus
the largest probability, latent distance to the source class prototypes) for
every method, as mean and standard deviation over seeds.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.ndimage import zoom
from sklearn.metrics.pairwise import cosine_distances
from sklearn.neighbors import NearestNeighbors

from .. import DANNClassifier, MMDClassifier, SourceOnlyClassifier, UniversalDAClassifier, plotting
from ..datasets import MORPHOLOGY_CLASSES, SURVEYS, make_galaxy_morphologies
from ..metrics import open_set_scores, unknown_auroc
from ..nn import prediction_entropy
from ._config import ImageExperimentConfig, experiment_runner, progress_log
from ._report import Report, mean_std_table

__all__ = ["MorphologyConfig", "QUICK_OVERRIDES", "METHODS", "run", "run_seed", "unknown_scores"]

SOURCE_ONLY, MMD, DANN, UNIVERSAL = "source-only", "MMD", "DANN", "universal DA"
#: The universal network (cosine head, balanced loss) without its two unsupervised terms.
UNIVERSAL_ABLATION = "universal, terms off"
METHODS = (SOURCE_ONLY, MMD, DANN, UNIVERSAL, UNIVERSAL_ABLATION)
KNOWN_CODES = tuple(range(9))
LENS_CODE = 9
SCORE_KINDS = ("entropy", "max_softmax", "prototype", "knn", "density_ratio")
#: Neighbours of the ``knn`` and ``density_ratio`` scores.
N_NEIGHBORS = 10
METRICS = ("known_accuracy", "unknown_accuracy", "open_set_accuracy", "h_score")


@dataclass(frozen=True)
class MorphologyConfig(ImageExperimentConfig):
    """Size and settings of the morphology experiment.

    Besides the settings of :class:`~skdomain.experiments._config.ImageExperimentConfig`
    (the source is SDSS-like, the target and the test images DECaLS-like):

    Parameters
    ----------
    matched_field : bool
        Cut both surveys' images to the same patch of sky (``image_size`` pixels of
        the finer survey): the coarser survey is drawn on fewer of its own pixels
        and resampled (bilinear) onto the common grid, the way survey cutouts are
        resampled for classification. ``False`` keeps every survey's native
        pixels, so the same galaxy covers 1.5 times fewer pixels in SDSS-like
        than in DECaLS-like images.
    source_survey, target_survey : str
        Survey presets of the two domains (``"year1"`` / ``"year10"`` for two
        releases of one survey).
    methods : tuple of str
        Which of :data:`METHODS` to run.
    domain_weight : float
        Adaptation weight of the DANN baseline.
    clustering_weight, separation_weight, margin, top_k, rank_on, clustering, head, warmup
        Settings of :class:`~skdomain.UniversalDAClassifier`.
    universal_domain_weight : float
        Its optional DANN term (0 gives the plain DeepAstroUDA objective).
    pretrain_epochs, contrastive_weight : int, float
        Its optional contrastive self-supervised pre-training on source and
        target images, and contrastive term on target batches (0: off).
    unknown_score_kind : str
        The unknown score that its ``predict`` thresholds (``"entropy"``:
        DeepAstroUDA; ``"knn"``: latent distance to the nearest source images,
        thresholded at the 95 % quantile of the source's own distances).

    Examples
    --------
    >>> MorphologyConfig(n_seeds=2).n_seeds
    2
    """

    n_source: int = 2000
    n_target: int = 2000
    matched_field: bool = True
    source_survey: str = "sdss"
    target_survey: str = "decals"
    methods: tuple = METHODS
    domain_weight: float = 0.3
    clustering_weight: float = 0.1
    separation_weight: float = 0.1
    margin: float = 0.5
    top_k: int = 3
    rank_on: str = "features"
    clustering: str = "rank"
    head: str = "cosine"
    warmup: float = 0.2
    universal_domain_weight: float = 0.3
    pretrain_epochs: int = 0
    contrastive_weight: float = 0.0
    unknown_score_kind: str = "entropy"


#: Overrides of ``--quick``: small data, short training, two seeds.
QUICK_OVERRIDES = dict(
    n_source=800, n_target=800, n_test=500, max_epochs=10, n_seeds=2, methods=METHODS[:4]
)


_log = progress_log("morphology")


def _native_size(config: MorphologyConfig, survey: str) -> int:
    if not config.matched_field:
        return config.image_size
    finest = min(SURVEYS[s].pixel_scale for s in (config.source_survey, config.target_survey))
    field = config.image_size * finest  # arcsec
    return max(8, int(round(field / SURVEYS[survey].pixel_scale)))


def _make_data(config: MorphologyConfig, seed: int) -> dict:
    def draw(n, survey, offset, lenses):
        size = _native_size(config, survey)
        X, y = make_galaxy_morphologies(
            n,
            survey=survey,
            include_lens=lenses,
            image_size=size,
            random_state=10_000 * seed + offset,
        )
        if size != config.image_size:
            factor = config.image_size / size
            X = zoom(X, (1, 1, factor, factor), order=1, grid_mode=True, mode="nearest")
            X = (X / factor**2).astype(np.float32)  # flux per (smaller) pixel
        return X, y

    X_source, y_source = draw(config.n_source, config.source_survey, 0, False)
    X_target, y_target = draw(config.n_target, config.target_survey, 1, True)
    X_test, y_test = draw(config.n_test, config.target_survey, 2, True)
    # One fixed flux scale for all images (a photometric calibration), which
    # keeps the depth and resolution differences between the surveys intact.
    scale = float(X_source.std())
    return {
        "source": (X_source / scale, y_source),
        "target": (X_target / scale, y_target),
        "test": (X_test / scale, y_test),
    }


def _models(config: MorphologyConfig, seed: int) -> dict:
    common = dict(module="deepmerge", **config.network_params(seed))
    universal = dict(
        margin=config.margin,
        top_k=config.top_k,
        rank_on=config.rank_on,
        clustering=config.clustering,
        head=config.head,
        warmup=config.warmup,
        domain_weight=config.universal_domain_weight,
        pretrain_epochs=config.pretrain_epochs,
        contrastive_weight=config.contrastive_weight,
        unknown_score_kind=config.unknown_score_kind,
        **common,
    )
    factories = {
        SOURCE_ONLY: lambda: SourceOnlyClassifier(class_weight="balanced", **common),
        MMD: lambda: MMDClassifier(
            class_weight="balanced", mmd_weight=config.mmd_weight, **common
        ),
        DANN: lambda: DANNClassifier(
            class_weight="balanced", domain_weight=config.domain_weight, **common
        ),
        UNIVERSAL: lambda: UniversalDAClassifier(
            clustering_weight=config.clustering_weight,
            separation_weight=config.separation_weight,
            **universal,
        ),
        UNIVERSAL_ABLATION: lambda: UniversalDAClassifier(
            clustering_weight=0.0, separation_weight=0.0, **universal
        ),
    }
    return {name: factories[name]() for name in config.methods}


def unknown_scores(model, X_source, y_source, X, X_target=None) -> dict:
    """The unknown scores of ``X`` (kinds :data:`SCORE_KINDS`) for any fitted classifier.

    A model with an ``unknown_score`` method (:class:`~skdomain.UniversalDAClassifier`)
    gives its own :meth:`~skdomain.UniversalDAClassifier.unknown_score` of every
    kind (``density_ratio`` only when ``X_target``, its training target, is
    given). A closed-set model has none: it gets the same definitions computed
    from its probabilities and its latent features of ``X_source``, ``y_source``
    (and ``X_target``), so that the two kinds of models are compared on equal terms.

    Returns
    -------
    dict of str -> ndarray of shape (n_samples,)
    """
    kinds = [k for k in SCORE_KINDS if k != "density_ratio" or X_target is not None]
    if hasattr(model, "unknown_score"):
        return {kind: model.unknown_score(X, kind=kind) for kind in kinds}
    return _closed_set_unknown_scores(model, X_source, y_source, X, X_target)


def _closed_set_unknown_scores(model, X_source, y_source, X, X_target=None) -> dict:
    """``unknown_score``'s definitions for a classifier that only has ``predict_proba``
    and ``transform``: entropy and one minus the largest probability; cosine
    distance to the nearest source class mean (prototype); mean cosine distance
    to the :data:`N_NEIGHBORS` nearest source latents (knn); log ratio of the
    distances to the ``N_NEIGHBORS``-th nearest source and target latents."""
    proba = model.predict_proba(X)
    latent_source, labels = model.transform(X_source), np.asarray(y_source)
    prototypes = np.stack([latent_source[labels == c].mean(0) for c in model.classes_])
    latent = model.transform(X)

    def neighbour_distances(reference):
        search = NearestNeighbors(n_neighbors=min(N_NEIGHBORS, len(reference)), metric="cosine")
        return search.fit(reference).kneighbors(latent)[0]

    to_source = neighbour_distances(latent_source)
    scores = {
        "entropy": prediction_entropy(torch.as_tensor(proba)).numpy(),
        "max_softmax": 1.0 - proba.max(axis=1),
        "prototype": cosine_distances(latent, prototypes).min(axis=1),
        "knn": to_source.mean(axis=1),
    }
    if X_target is not None:
        to_target = neighbour_distances(model.transform(X_target))
        scores["density_ratio"] = np.log(to_source[:, -1] + 1e-12) - np.log(
            to_target[:, -1] + 1e-12
        )
    return scores


def run_seed(config: MorphologyConfig, seed: int, *, verbose: bool = True) -> dict:
    """Train every method on one seed's data and score it on the held-out target.

    Returns
    -------
    dict with ``scores`` (one row per method), ``entropy`` (per test sample
    and method), ``predictions`` (per method), ``latent`` (source and test
    latent features per method) and the test labels ``y_test``.

    Examples
    --------
    >>> cfg = MorphologyConfig(n_source=60, n_target=60, n_test=40, image_size=16,
    ...     max_epochs=1, methods=("source-only",))
    >>> sorted(run_seed(cfg, 0, verbose=False))
    ['entropy', 'latent', 'predictions', 'scores', 'y_source', 'y_test']
    """
    data = _make_data(config, seed)
    X_source, y_source = data["source"]
    X_target, _ = data["target"]
    X_test, y_test = data["test"]
    rows, entropies, predictions, latents = [], [], {}, {}
    for name, model in _models(config, seed).items():
        start = time.perf_counter()
        model.fit(X_source, y_source, X_target=X_target)
        seconds = time.perf_counter() - start
        y_pred = model.predict(X_test)
        scores = unknown_scores(model, X_source, y_source, X_test, X_target)
        row = {"seed": seed, "method": name}
        row.update(open_set_scores(y_test, y_pred, known_classes=KNOWN_CODES))
        for kind, values in scores.items():
            row[f"auroc_{kind}"] = unknown_auroc(y_test, values, known_classes=KNOWN_CODES)
        row["closed_set_known_accuracy"] = float(
            np.mean([np.mean(model.classes_[np.argmax(model.predict_proba(X_test[y_test == c]),
                                                      axis=1)] == c)
                     for c in KNOWN_CODES if np.any(y_test == c)])
        )
        row["fit_seconds"] = seconds
        rows.append(row)
        entropies.append(
            pd.DataFrame(
                {"seed": seed, "method": name, "lens": y_test == LENS_CODE,
                 "entropy": scores["entropy"]}
            )
        )
        predictions[name] = y_pred
        latents[name] = (model.transform(X_source), model.transform(X_test))
        _log(
            verbose,
            f"seed {seed}: {name} in {seconds:.0f} s, known acc {row['known_accuracy']:.3f}, "
            f"unknown acc {row['unknown_accuracy']:.3f}, AUROC (entropy) "
            f"{row['auroc_entropy']:.3f}",
        )
    return {
        "scores": pd.DataFrame(rows),
        "entropy": pd.concat(entropies, ignore_index=True),
        "predictions": predictions,
        "latent": latents,
        "y_source": y_source,
        "y_test": y_test,
    }


# Report -------------------------------------------------------------------


def _entropy_figure(entropy: pd.DataFrame, rho: float):
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(entropy["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(3.2 * len(methods), 2.8), squeeze=False)
    bins = np.linspace(0, max(float(entropy["entropy"].max()), 2 * rho) + 1e-6, 30)
    for ax, method in zip(axes[0], methods, strict=True):
        rows = entropy[entropy["method"] == method]
        ax.hist(rows.loc[~rows.lens, "entropy"], bins=bins, density=True, alpha=0.6,
                label="known classes")
        ax.hist(rows.loc[rows.lens, "entropy"], bins=bins, density=True, alpha=0.6,
                label="lenses (unknown)")
        ax.axvline(rho, color="k", ls="--", lw=1, label="threshold rho")
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("prediction entropy (nats)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _summary_lines(scores: pd.DataFrame) -> list[str]:
    means = scores.groupby("method", sort=False).mean(numeric_only=True)
    stds = scores.groupby("method", sort=False).std(ddof=1, numeric_only=True).fillna(0.0)

    def cell(method, column):
        return f"{means.loc[method, column]:.3f} ± {stds.loc[method, column]:.3f}"

    lines = []
    for method in means.index:
        lines.append(
            f"- {method}: known-class accuracy {cell(method, 'known_accuracy')}, "
            f"unknown accuracy {cell(method, 'unknown_accuracy')}, H-score "
            f"{cell(method, 'h_score')}, unknown AUROC (entropy) "
            f"{cell(method, 'auroc_entropy')}, (prototype distance) "
            f"{cell(method, 'auroc_prototype')}, (k-NN source distance) "
            f"{cell(method, 'auroc_knn')}."
        )
    if SOURCE_ONLY in means.index:
        base = means.loc[SOURCE_ONLY]
        for method in means.index.drop(SOURCE_ONLY):
            change = means.loc[method] - base
            lines.append(
                f"- {method} vs source-only: known-class accuracy "
                f"{change['known_accuracy']:+.3f}, unknown AUROC (entropy) "
                f"{change['auroc_entropy']:+.3f}, H-score {change['h_score']:+.3f}."
            )
    return lines


def _write_report(output_dir: Path, config: MorphologyConfig, results: list, mode: str, elapsed):
    scores = pd.concat([r["scores"] for r in results], ignore_index=True)
    entropy = pd.concat([r["entropy"] for r in results], ignore_index=True)
    columns = [*METRICS, "closed_set_known_accuracy", *(f"auroc_{k}" for k in SCORE_KINDS)]
    report = Report(output_dir, "Universal domain adaptation on galaxy morphologies")
    settings = dataclasses.asdict(config)
    report.text(
        f"Mode: {mode}; {config.n_seeds} seed(s), {elapsed:.0f} s. Source: "
        f"{config.n_source} labelled {config.source_survey}-like images of the nine Galaxy "
        f"Zoo classes; target: {config.n_target} unlabelled {config.target_survey}-like "
        "images with other class proportions and strong lenses (unknown class); metrics on "
        f"{config.n_test} held-out target images. Every network is the DeepMerge CNN with "
        "class-balanced cross-entropy. Numbers are mean ± std over seeds (ddof=1).\n\n"
        "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items())
    )
    report.text("## Summary\n\n" + "\n".join(_summary_lines(scores)))
    report.table("scores", scores, caption="Per seed and method", index=False)
    report.table(
        "scores_summary",
        mean_std_table(scores, "method", columns),
        caption="Open-set metrics on the held-out target (mean ± std over seeds)",
    )
    report.text(
        "`known_accuracy`: mean per-class accuracy over the nine known classes (a known "
        "galaxy called unknown counts as wrong); `closed_set_known_accuracy`: the same "
        "with the argmax over known classes; `unknown_accuracy`: fraction of lenses "
        "called unknown; `h_score`: harmonic mean of the two; `auroc_*`: AUROC of the "
        "unknown score for lenses vs known galaxies (entropy of the prediction, one minus "
        "the largest probability, cosine distance to the nearest source class prototype "
        "in latent space, mean cosine distance to the 10 nearest source latents, log ratio "
        "of the distances to the 10th nearest source and target latents)."
    )
    rho = float(np.log(len(KNOWN_CODES)) / 2)
    report.figure(
        "entropy_histograms",
        _entropy_figure(entropy, rho),
        "Prediction entropy of known galaxies and lenses on the held-out target, all seeds",
    )
    first = results[0]
    names = list(MORPHOLOGY_CLASSES[:9])
    for method in (SOURCE_ONLY, UNIVERSAL):
        if method not in first["predictions"]:
            continue
        slug = method.replace(" ", "_").replace("-", "_")
        report.figure(
            f"confusion_{slug}",
            plotting.plot_open_set_confusion(
                first["y_test"], first["predictions"][method], known_classes=KNOWN_CODES,
                class_names=names, unknown_name="unknown / lens", title=method,
            ),
            f"Confusion matrix of {method} on the held-out target (seed 0); lenses are the "
            "last row",
        )
        latent_source, latent_test = first["latent"][method]
        report.figure(
            f"latent_{slug}",
            plotting.plot_open_set_latent(
                latent_source, first["y_source"], latent_test, first["y_test"],
                known_classes=KNOWN_CODES, class_names=names, max_points=800,
                title=f"{method}: latent space (PCA), seed 0",
            ),
            f"Latent features of {method}: source (circles) and target (triangles) by "
            "class, lenses as black crosses",
        )
    return report.write()


def _validate(config: MorphologyConfig) -> None:
    unknown = set(config.methods) - set(METHODS)
    if unknown or not config.methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {config.methods}.")


run = experiment_runner(
    "morphology", MorphologyConfig, QUICK_OVERRIDES, run_seed, _write_report,
    validate=_validate,
)
