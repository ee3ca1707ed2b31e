"""Synthetic stand-ins for the seed data sets, generated on the fly.

Each generator lives in its own private module and is imported on first use,
so that importing :mod:`skdomain.datasets` stays cheap.
"""

from __future__ import annotations

from .._lazy import attach

_GENERATORS = {
    "make_rotated_moons": "._moons",
    "make_galaxy_mergers": "._mergers",
    "MergerNormalizer": "._mergers",
    "ObservingConditions": "._mergers",
    "MERGER_DOMAINS": "._mergers",
    "make_cluster_profiles": "._clusters",
    "augment_scatter": "._clusters",
    "ScatterAugmenter": "._clusters",
    "log_observables": "._clusters",
    "profile_columns": "._clusters",
    "make_galaxy_morphologies": "._morphologies",
    "MORPHOLOGY_CLASSES": "._morphologies",
    "SURVEYS": "._morphologies",
    "SurveyConditions": "._morphologies",
    "load_images": "._images",
    "make_cutouts": "._images",
    "fill_invalid": "._images",
    "IMAGE_SUFFIXES": "._images",
}

__getattr__, __dir__, __all__ = attach(__name__, _GENERATORS)
