"""A real sky image end to end: generated morphologies -> galaxies of the Hubble Deep Field.

The target domain is real: the Hubble Deep Field image that scikit-image ships
(``skimage.data.hubble_deep_field()``, HST WFPC2 imaging, no download). The
experiment

1. detects the galaxies of the frame (sky level and noise from astropy's
   ``sigma_clipped_stats``, photutils segmentation) and cuts a stamp around
   each with :func:`skdomain.datasets.make_cutouts`;
2. trains a DeepMerge CNN on labelled generated images
   (:func:`skdomain.datasets.make_galaxy_morphologies`, nine Galaxy Zoo
   classes, the same stamp size and normalization: sky-subtracted, scaled by
   the 99.5th percentile) with and without adaptation (DANN), the real stamps
   being the unlabelled target;
3. reports the shift diagnosis between generated and real stamps
   (:func:`skdomain.shift.mmd_test` and :func:`skdomain.shift.classifier_test`),
   the latent-space MMD between the domains for each model
   (:func:`skdomain.shift.latent_mmd`), the predicted class fractions on the
   real galaxies, Grad-CAM maps on real galaxies and a gallery of real stamps
   with their predictions.

There are no labels for the real galaxies: the report measures how far apart
the domains are and what the models answer, not an accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import DANNClassifier, SourceOnlyClassifier, plotting
from ..datasets import MORPHOLOGY_CLASSES, make_cutouts, make_galaxy_morphologies
from ..inspection import grad_cam
from ..shift import classifier_test, latent_mmd, mmd_test
from ._config import ExperimentConfig, experiment_runner, progress_log
from ._report import Report

__all__ = ["HubbleConfig", "QUICK_OVERRIDES", "detect_galaxies", "normalize_stamps", "run"]

SOURCE_ONLY, DANN = "source-only", "DANN"
log = progress_log("hubble")


@dataclass(frozen=True)
class HubbleConfig(ExperimentConfig):
    """Size and settings of the Hubble experiment.

    Besides the settings of :class:`~skdomain.experiments._config.ExperimentConfig`
    (new generated images and new weights per seed; ``max_epochs`` trains both
    networks):

    Parameters
    ----------
    n_source : int
        Labelled generated images (DECaLS-like, nine known classes).
    max_stamps : int
        Largest number of real galaxies cut from the frame (the brightest).
    image_size : int
        Side of the stamps in pixels (generated and real).
    min_area : int
        Smallest segment (pixels above 3 sigma) kept as a galaxy.
    domain_weight : float
        Weight of DANN's domain-adversarial term.

    Examples
    --------
    >>> HubbleConfig(n_seeds=2).n_seeds
    2
    """

    n_source: int = 1500
    max_stamps: int = 300
    image_size: int = 32
    min_area: int = 30
    domain_weight: float = 0.3
    n_seeds: int = 1


#: Settings of ``--quick`` (part of ``make demo``).
QUICK_OVERRIDES = {"n_source": 360, "max_stamps": 120, "max_epochs": 4}


def detect_galaxies(frame, *, min_area=30, max_sources=300, n_sigma=3.0):
    """Pixel positions ``(x, y)`` of the brightest sources of a sky frame.

    The sky level and noise are the sigma-clipped median and standard
    deviation of the frame; sources are photutils segments of at least
    ``min_area`` connected pixels above ``n_sigma`` noise levels.

    Returns
    -------
    ndarray of shape (n, 2)
        Centroids, brightest first.
    """
    from astropy.stats import sigma_clipped_stats
    from photutils.segmentation import SourceCatalog, detect_sources

    _, sky, noise = sigma_clipped_stats(frame, sigma=3.0)
    segments = detect_sources(frame - sky, n_sigma * noise, n_pixels=min_area)
    if segments is None:
        raise ValueError("No source found in the frame.")
    catalog = SourceCatalog(frame - sky, segments)
    flux = np.asarray(catalog.segment_flux)
    order = np.argsort(flux)[::-1][:max_sources]
    return np.column_stack([catalog.x_centroid, catalog.y_centroid])[order]


def normalize_stamps(stamps):
    """Sky-subtract each stamp (sigma-clipped median) and scale its 99.5th percentile to 1."""
    from astropy.stats import sigma_clipped_stats

    out = np.empty_like(stamps, dtype=np.float32)
    for i, stamp in enumerate(stamps):
        _, sky, _ = sigma_clipped_stats(stamp, sigma=3.0)
        shifted = stamp - sky
        scale = np.percentile(shifted, 99.5)
        out[i] = shifted / (scale if scale > 0 else 1.0)
    return out


def _real_stamps(config):
    from skimage import data

    rgb = data.hubble_deep_field().astype(np.float32) / 255.0
    frame = rgb.mean(axis=2)  # one band, as the generated images
    positions = detect_galaxies(frame, min_area=config.min_area, max_sources=config.max_stamps)
    stamps, mask = make_cutouts(frame, positions, config.image_size)
    return frame, positions, normalize_stamps(stamps), float(mask.mean())


def _pooled(X, factor=4):
    n, c, h, w = X.shape
    return X.reshape(n, c, h // factor, factor, w // factor, factor).mean((3, 5)).reshape(n, -1)


def run_seed(config, seed, *, verbose=True):
    frame, positions, X_real, masked = _real_stamps(config)
    log(verbose, f"{len(X_real)} galaxies detected and cut ({masked:.1%} pixels off the frame)")
    X, y = make_galaxy_morphologies(
        config.n_source, survey="decals", include_lens=False, image_size=config.image_size,
        random_state=seed,
    )
    X = normalize_stamps(X)
    shift = {
        "MMD test": mmd_test(_pooled(X), _pooled(X_real), n_permutations=200, random_state=seed),
        "classifier test": classifier_test(_pooled(X), _pooled(X_real), random_state=seed),
    }
    common = {"module": "deepmerge", "max_epochs": config.max_epochs, "random_state": seed,
              "batch_size": 64, "device": config.device}
    models = {
        SOURCE_ONLY: SourceOnlyClassifier(**common).fit(X, y),
        DANN: DANNClassifier(domain_weight=config.domain_weight, **common).fit(
            X, y, X_target=X_real
        ),
    }
    log(verbose, "fitted source-only and DANN")
    return {"frame": frame, "positions": positions, "X": X, "y": y, "X_real": X_real,
            "shift": shift, "models": models}


def _class_fractions(models, X_real):
    names = [MORPHOLOGY_CLASSES[c] for c in range(9)]
    rows = {}
    for name, model in models.items():
        counts = np.bincount(model.predict(X_real), minlength=9)
        rows[name] = counts / counts.sum()
    return pd.DataFrame(rows, index=names)


def _gallery(X_real, predictions, n=24):
    import matplotlib.pyplot as plt

    n = min(n, len(X_real))
    cols = 8
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.8 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(plotting.image_to_rgb(X_real[i]), origin="lower")
            ax.set_title(MORPHOLOGY_CLASSES[int(predictions[i])], fontsize=7)
    return fig


def _frame_figure(frame, positions):
    import matplotlib.pyplot as plt
    from astropy.visualization import AsinhStretch, ImageNormalize, PercentileInterval

    fig, ax = plt.subplots(figsize=(6, 5.2))
    norm = ImageNormalize(frame, interval=PercentileInterval(99.5), stretch=AsinhStretch(0.05))
    ax.imshow(frame, origin="lower", cmap="gray", norm=norm)
    ax.scatter(positions[:, 0], positions[:, 1], s=40, facecolors="none", edgecolors="tab:red",
               linewidths=0.6)
    ax.set_axis_off()
    return fig


def _write_report(output_dir, config, results, mode, elapsed):
    result = results[0]
    models, X, X_real = result["models"], result["X"], result["X_real"]
    report = Report(output_dir, "Generated morphologies -> the real Hubble Deep Field")
    report.text(
        f"Source: {len(X)} labelled generated images (nine Galaxy Zoo classes, "
        f"{config.image_size}x{config.image_size}). Target: {len(X_real)} galaxies detected "
        "in scikit-image's Hubble Deep Field (real HST imaging, grey = mean of the three "
        "bands), unlabelled. DeepMerge CNN, "
        f"{config.max_epochs} epochs; {mode} mode, {elapsed:.0f} s. No labels exist for "
        "the real galaxies: the tables measure the domain gap and what the models answer."
    )
    mmd, clf = result["shift"]["MMD test"], result["shift"]["classifier test"]
    shift = pd.DataFrame(
        {"statistic": [mmd.statistic, clf.auc], "p-value": [mmd.p_value, clf.p_value]},
        index=["MMD^2 (4x4-pooled pixels)", "classifier AUC (4x4-pooled pixels)"],
    )
    report.table("shift", shift, caption="Shift diagnosis, generated vs real stamps")
    latent = pd.DataFrame(
        {"latent MMD^2 (generated vs real)": [latent_mmd(m, X, X_real) for m in models.values()]},
        index=list(models),
    )
    report.table("latent_mmd", latent, caption="Latent-space MMD between the domains")
    report.table(
        "class_fractions", _class_fractions(models, X_real),
        caption="Predicted class fractions on the real galaxies",
    )
    report.figure("frame", _frame_figure(result["frame"], result["positions"]),
                  "The Hubble Deep Field (asinh stretch) and the detected galaxies")
    report.figure("gallery", _gallery(X_real, models[DANN].predict(X_real)),
                  "Real galaxies with the DANN model's predictions")
    shown = X_real[:6]
    maps = {name: grad_cam(model, shown) for name, model in models.items()}
    report.figure("grad_cam", plotting.plot_grad_cam(shown, maps),
                  "Grad-CAM of the predicted class on six real galaxies")
    return report.write()


def _validate(config):
    if config.image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4, got {config.image_size}.")
    if config.max_stamps < 10:
        raise ValueError(f"max_stamps must be at least 10, got {config.max_stamps}.")


run = experiment_runner(
    "hubble", HubbleConfig, QUICK_OVERRIDES, run_seed, _write_report, validate=_validate,
    what="Hubble Deep Field experiment",
)
