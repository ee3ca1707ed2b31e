"""Robustness of models to data perturbations and one-pixel attacks.

- :mod:`perturbations <skdomain.robustness._perturbations>`: Gaussian noise at a
  given SNR, PSF blur, JPEG-like compression, pixel dropout, dead columns and
  cosmic-ray hot pixels, as seeded functions and scikit-learn transformers;
- :func:`robustness_curve`: any scikit-learn metric as a perturbation grows;
- :func:`one_pixel_attack`: differential-evolution one-pixel attack, targeted
  or untargeted, for any classifier with ``predict_proba``;
- latent robustness: :func:`latent_shift_curve`, :func:`paired_latent_distances`,
  :func:`wrong_class_distances`.
"""

from ._attack import (
    OnePixelAttackResult,
    attack_results_frame,
    one_pixel_attack,
    one_pixel_attack_batch,
)
from ._curves import resolve_perturbation, robustness_curve
from ._latent import (
    latent_shift_curve,
    latent_spread,
    paired_latent_distances,
    wrong_class_distances,
)
from ._perturbations import (
    PERTURBATIONS,
    DeadColumns,
    GaussianNoise,
    HotPixels,
    JPEGCompression,
    PixelDropout,
    PSFBlur,
    dead_columns,
    gaussian_noise,
    hot_pixels,
    jpeg_compression,
    pixel_dropout,
    psf_blur,
)

__all__ = [
    "PERTURBATIONS",
    "DeadColumns",
    "GaussianNoise",
    "HotPixels",
    "JPEGCompression",
    "OnePixelAttackResult",
    "PSFBlur",
    "PixelDropout",
    "attack_results_frame",
    "dead_columns",
    "gaussian_noise",
    "hot_pixels",
    "jpeg_compression",
    "latent_shift_curve",
    "latent_spread",
    "one_pixel_attack",
    "one_pixel_attack_batch",
    "paired_latent_distances",
    "pixel_dropout",
    "psf_blur",
    "resolve_perturbation",
    "robustness_curve",
    "wrong_class_distances",
]
